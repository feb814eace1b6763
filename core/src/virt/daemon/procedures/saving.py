"""Procedures of a domain's saved state: save and restore (plain and with flags), the save images'
XML, managed save's XML, and start with flags (FORCE_BOOT, which discards a managed save image).

Paths arrive absolute (the client library made them so); flags are refused as the driver refuses
unknown ones; read-only and ACL rules are the dispatcher's, from each procedure's table entry.
"""

from __future__ import annotations

from typing import Any

from virt.connection import Domain
from virt.domainsave import SaveFlags, SaveImageXMLFlags, StartFlags
from virt.remote.procedure_numbers import RemoteProcedure as P

from . import wire
from .registry import Call, handles

_SAVE_FLAGS = int(SaveFlags.BYPASS_CACHE | SaveFlags.RUNNING | SaveFlags.PAUSED)
_STATE_FLAGS = int(SaveFlags.RUNNING | SaveFlags.PAUSED)


def _domain(call: Call) -> Domain:
    return wire.domain(call.conn, call.args["dom"])


@handles(P.DOMAIN_CREATE_WITH_FLAGS)
def create_with_flags(call: Call) -> dict[str, Any]:
    flags = call.check_flags(sum(StartFlags), "DomainCreateWithFlags")
    domain = _domain(call)
    domain.start(StartFlags(flags))
    domain.id  # noqa: B018 - refreshes the handle: the reply carries the new id
    return {"dom": wire.wire_domain(domain)}


@handles(P.DOMAIN_SAVE)
def save(call: Call) -> None:
    _domain(call).save(call.args["to"])


@handles(P.DOMAIN_SAVE_FLAGS)
def save_flags(call: Call) -> None:
    flags = call.check_flags(_SAVE_FLAGS, "DomainSaveFlags")
    _domain(call).save(call.args["to"], call.args["dxml"], SaveFlags(flags))


@handles(P.DOMAIN_RESTORE)
def restore(call: Call) -> None:
    call.conn.restore(call.args["from"])


@handles(P.DOMAIN_RESTORE_FLAGS)
def restore_flags(call: Call) -> None:
    flags = call.check_flags(_SAVE_FLAGS, "DomainRestoreFlags")
    call.conn.restore(call.args["from"], call.args["dxml"], SaveFlags(flags))


@handles(P.DOMAIN_SAVE_IMAGE_GET_XML_DESC)
def save_image_get_xml_desc(call: Call) -> dict[str, Any]:
    flags = call.check_flags(int(SaveImageXMLFlags.SECURE), "DomainSaveImageGetXMLDesc")
    return {"xml": call.conn.save_image_xml(call.args["file"], SaveImageXMLFlags(flags))}


@handles(P.DOMAIN_SAVE_IMAGE_DEFINE_XML)
def save_image_define_xml(call: Call) -> None:
    flags = call.check_flags(_STATE_FLAGS, "DomainSaveImageDefineXML")
    call.conn.define_save_image_xml(call.args["file"], call.args["dxml"], SaveFlags(flags))


@handles(P.DOMAIN_MANAGED_SAVE_GET_XML_DESC)
def managed_save_get_xml_desc(call: Call) -> dict[str, Any]:
    flags = call.check_flags(int(SaveImageXMLFlags.SECURE), "DomainManagedSaveGetXMLDesc")
    return {"xml": _domain(call).managed_save_xml(SaveImageXMLFlags(flags))}


@handles(P.DOMAIN_MANAGED_SAVE_DEFINE_XML)
def managed_save_define_xml(call: Call) -> None:
    flags = call.check_flags(_STATE_FLAGS, "DomainManagedSaveDefineXML")
    _domain(call).define_managed_save_xml(call.args["dxml"], SaveFlags(flags))
