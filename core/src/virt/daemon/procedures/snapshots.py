"""Snapshot procedures (virDomainSnapshot*): create, list, look up, XML, parent, current, delete.

A driver without snapshots answers the listings as a domain without any (virsh undefine counts
them, virt-manager lists them), once the domain is known to exist; the other calls are refused as
its operations are missing.
"""

from __future__ import annotations

from typing import Any

from virt.connection import Domain
from virt.errors import NotSupported
from virt.remote.message_types import DOMAIN_SNAPSHOT_LIST_MAX
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.snapshots import DeleteFlags, DomainSnapshot

from . import wire
from .listing import limit
from .registry import Call, handles

_LIST_FLAGS = 0x7FF  # every virDomainSnapshotListFlags bit
_MISSING = "this function is not supported by the connection driver"


def _domain(call: Call) -> Domain:
    return wire.domain(call.conn, call.args["dom"])


def _snapshot(call: Call) -> DomainSnapshot:
    snap = call.args["snap"]
    return DomainSnapshot(wire.domain(call.conn, snap["dom"]), snap["name"])


def _wire(snapshot: DomainSnapshot) -> dict[str, Any]:
    return {"name": snapshot.name, "dom": wire.wire_domain(snapshot.domain)}


def _names(call: Call, domain: Domain, function: str) -> list[str]:
    flags = call.check_flags(_LIST_FLAGS, function)  # the driver's words name the call's own function
    try:
        return [s.name for s in domain.list_snapshots(flags)]
    except NotSupported as exc:
        if not exc.message.startswith(_MISSING):
            raise
        domain.is_active()  # NO_DOMAIN when it is not there
        return []


@handles(P.DOMAIN_SNAPSHOT_NUM)
def snapshot_num(call: Call) -> dict[str, Any]:
    return {"num": len(_names(call, _domain(call), "DomainSnapshotNum"))}


@handles(P.DOMAIN_SNAPSHOT_LIST_NAMES)
def snapshot_list_names(call: Call) -> dict[str, Any]:
    most = limit(call, "maxnames", DOMAIN_SNAPSHOT_LIST_MAX, "REMOTE_DOMAIN_SNAPSHOT_LIST_MAX")
    return {"names": _names(call, _domain(call), "DomainSnapshotListNames")[:most]}


@handles(P.DOMAIN_LIST_ALL_SNAPSHOTS)
def list_all_snapshots(call: Call) -> dict[str, Any]:
    domain = _domain(call)
    names = _names(call, domain, "DomainListAllSnapshots")
    found = [_wire(DomainSnapshot(domain, n)) for n in names] if call.args["need_results"] else []
    return {"snapshots": found, "ret": len(names)}


@handles(P.DOMAIN_HAS_CURRENT_SNAPSHOT)
def has_current_snapshot(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainHasCurrentSnapshot")
    domain = _domain(call)
    try:
        return {"result": int(domain.has_current_snapshot())}
    except NotSupported as exc:
        if not exc.message.startswith(_MISSING):
            raise
        domain.is_active()
        return {"result": 0}


@handles(P.DOMAIN_SNAPSHOT_CREATE_XML)
def create_xml(call: Call) -> dict[str, Any]:
    return {"snap": _wire(_domain(call).create_snapshot(call.args["xml_desc"], int(call.args["flags"])))}


@handles(P.DOMAIN_SNAPSHOT_GET_XML_DESC)
def get_xml_desc(call: Call) -> dict[str, Any]:
    flags = call.check_flags(1, "DomainSnapshotGetXMLDesc")  # VIR_DOMAIN_SNAPSHOT_XML_SECURE
    return {"xml": _snapshot(call).xml(secure=bool(flags & 1))}


@handles(P.DOMAIN_SNAPSHOT_LOOKUP_BY_NAME)
def lookup_by_name(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainSnapshotLookupByName")
    return {"snap": _wire(_domain(call).lookup_snapshot(call.args["name"]))}


@handles(P.DOMAIN_SNAPSHOT_CURRENT)
def current(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainSnapshotCurrent")
    return {"snap": _wire(_domain(call).current_snapshot())}


@handles(P.DOMAIN_SNAPSHOT_GET_PARENT)
def get_parent(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainSnapshotGetParent")
    return {"snap": _wire(_snapshot(call).parent())}


@handles(P.DOMAIN_SNAPSHOT_IS_CURRENT)
def is_current(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainSnapshotIsCurrent")
    snapshot = _snapshot(call)
    snapshot.domain.lookup_snapshot(snapshot.name)
    return {"current": int(snapshot.is_current())}


@handles(P.DOMAIN_SNAPSHOT_HAS_METADATA)
def has_metadata(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainSnapshotHasMetadata")
    return {"metadata": int(_snapshot(call).has_metadata())}


@handles(P.DOMAIN_REVERT_TO_SNAPSHOT)
def revert(call: Call) -> None:
    _snapshot(call).revert(int(call.args["flags"]))


@handles(P.DOMAIN_SNAPSHOT_DELETE)
def delete(call: Call) -> None:
    _snapshot(call).delete(DeleteFlags(int(call.args["flags"])))


def _children(call: Call, snapshot: DomainSnapshot, function: str) -> list[str]:
    flags = call.check_flags(_LIST_FLAGS, function)
    return [s.name for s in snapshot.domain.snapshot_children(snapshot, flags)]


@handles(P.DOMAIN_SNAPSHOT_NUM_CHILDREN)
def num_children(call: Call) -> dict[str, Any]:
    return {"num": len(_children(call, _snapshot(call), "DomainSnapshotNumChildren"))}


@handles(P.DOMAIN_SNAPSHOT_LIST_CHILDREN_NAMES)
def list_children_names(call: Call) -> dict[str, Any]:
    most = limit(call, "maxnames", DOMAIN_SNAPSHOT_LIST_MAX, "REMOTE_DOMAIN_SNAPSHOT_LIST_MAX")
    return {"names": _children(call, _snapshot(call), "DomainSnapshotListChildrenNames")[:most]}


@handles(P.DOMAIN_SNAPSHOT_LIST_ALL_CHILDREN)
def list_all_children(call: Call) -> dict[str, Any]:
    snap = call.args["snapshot"]
    snapshot = DomainSnapshot(wire.domain(call.conn, snap["dom"]), snap["name"])
    names = _children(call, snapshot, "DomainSnapshotListAllChildren")
    found = [_wire(DomainSnapshot(snapshot.domain, n)) for n in names] if call.args["need_results"] else []
    return {"snapshots": found, "ret": len(names)}
