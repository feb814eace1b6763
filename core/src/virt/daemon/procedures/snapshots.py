"""Snapshot listing procedures: virt makes no snapshots, so every domain has none.

Clients ask before undefining (virsh undefine counts them) and when showing a domain (virt-manager
lists them); the answers are empty, once the domain is known to exist.
"""

from __future__ import annotations

from typing import Any

from virt.remote.message_types import DOMAIN_SNAPSHOT_LIST_MAX
from virt.remote.procedure_numbers import RemoteProcedure as P

from . import wire
from .listing import limit
from .registry import Call, handles

_LIST_FLAGS = 0x7FF  # every virDomainSnapshotListFlags bit


def _existing_domain(call: Call) -> None:
    wire.domain(call.conn, call.args["dom"]).is_active()  # NO_DOMAIN when it is not there


@handles(P.DOMAIN_SNAPSHOT_NUM)
def snapshot_num(call: Call) -> dict[str, Any]:
    call.check_flags(_LIST_FLAGS, "DomainSnapshotNum")
    _existing_domain(call)
    return {"num": 0}


@handles(P.DOMAIN_SNAPSHOT_LIST_NAMES)
def snapshot_list_names(call: Call) -> dict[str, Any]:
    limit(call, "maxnames", DOMAIN_SNAPSHOT_LIST_MAX, "REMOTE_DOMAIN_SNAPSHOT_LIST_MAX")
    call.check_flags(_LIST_FLAGS, "DomainSnapshotListNames")
    _existing_domain(call)
    return {"names": []}


@handles(P.DOMAIN_LIST_ALL_SNAPSHOTS)
def list_all_snapshots(call: Call) -> dict[str, Any]:
    call.check_flags(_LIST_FLAGS, "DomainListAllSnapshots")
    _existing_domain(call)
    return {"snapshots": [], "ret": 0}


@handles(P.DOMAIN_HAS_CURRENT_SNAPSHOT)
def has_current_snapshot(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainHasCurrentSnapshot")
    _existing_domain(call)
    return {"result": 0}
