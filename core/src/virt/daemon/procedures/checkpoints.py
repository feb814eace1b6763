"""Checkpoint procedures (virDomainCheckpoint*): create, list, children, look up, XML, parent, delete.

A driver without checkpoints answers the domain's listing as a domain without any, once the domain
is known to exist (as snapshots are answered); the other calls are refused as its operations are
missing.
"""

from __future__ import annotations

from typing import Any

from virt.checkpoints import DomainCheckpoint
from virt.connection import Domain
from virt.errors import NotSupported
from virt.remote.procedure_numbers import RemoteProcedure as P

from . import wire
from .registry import Call, handles

_LIST_FLAGS = 0xF  # ROOTS/DESCENDANTS, TOPOLOGICAL, LEAVES, NO_LEAVES
_MISSING = "this function is not supported by the connection driver"


def _checkpoint(call: Call) -> DomainCheckpoint:
    chk = call.args["checkpoint"]
    return DomainCheckpoint(wire.domain(call.conn, chk["dom"]), chk["name"])


def _wire(checkpoint: DomainCheckpoint) -> dict[str, Any]:
    return {"name": checkpoint.name, "dom": wire.wire_domain(checkpoint.domain)}


def _listed(call: Call, found: list[DomainCheckpoint]) -> dict[str, Any]:
    return {"checkpoints": [_wire(c) for c in found] if call.args["need_results"] else [], "ret": len(found)}


@handles(P.DOMAIN_CHECKPOINT_CREATE_XML)
def create_xml(call: Call) -> dict[str, Any]:
    domain = wire.domain(call.conn, call.args["dom"])
    return {"checkpoint": _wire(domain.create_checkpoint(call.args["xml_desc"], int(call.args["flags"])))}


@handles(P.DOMAIN_CHECKPOINT_GET_XML_DESC)
def get_xml_desc(call: Call) -> dict[str, Any]:
    return {"xml": _checkpoint(call).xml(int(call.args["flags"]))}


@handles(P.DOMAIN_LIST_ALL_CHECKPOINTS)
def list_all(call: Call) -> dict[str, Any]:
    domain: Domain = wire.domain(call.conn, call.args["dom"])
    try:
        found = domain.list_checkpoints(int(call.args["flags"]))
    except NotSupported as exc:
        if not exc.message.startswith(_MISSING):
            raise
        domain.is_active()  # NO_DOMAIN when it is not there
        call.check_flags(_LIST_FLAGS, "DomainListAllCheckpoints")
        found = []
    return _listed(call, found)


@handles(P.DOMAIN_CHECKPOINT_LIST_ALL_CHILDREN)
def list_all_children(call: Call) -> dict[str, Any]:
    return _listed(call, _checkpoint(call).children(int(call.args["flags"])))


@handles(P.DOMAIN_CHECKPOINT_LOOKUP_BY_NAME)
def lookup_by_name(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainCheckpointLookupByName")
    domain = wire.domain(call.conn, call.args["dom"])
    return {"checkpoint": _wire(domain.lookup_checkpoint(call.args["name"]))}


@handles(P.DOMAIN_CHECKPOINT_GET_PARENT)
def get_parent(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainCheckpointGetParent")
    return {"parent": _wire(_checkpoint(call).parent())}


@handles(P.DOMAIN_CHECKPOINT_DELETE)
def delete(call: Call) -> None:
    _checkpoint(call).delete(int(call.args["flags"]))
