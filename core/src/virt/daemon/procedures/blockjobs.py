"""Procedures of block jobs: virDomainBlockCopy, BlockRebase, BlockCommit, BlockPull, BlockResize,
GetBlockJobInfo, BlockJobAbort and BlockJobSetSpeed (their events are ``events``').

Each calls the public API (``virt.blockjobs.DomainBlockJobs``), whose checks and the driver's flag
checks refuse as libvirt does; read-only and ACL rules are the dispatcher's, from each procedure's
table entry (every one but GetBlockJobInfo is refused to read-only clients, as libvirt's).
"""

from __future__ import annotations

from typing import Any

from virt.connection import Domain
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.remote.typedparams import from_wire

from . import wire
from .registry import Call, handles


def _domain(call: Call) -> Domain:
    return wire.domain(call.conn, call.args["dom"])


@handles(P.DOMAIN_GET_BLOCK_JOB_INFO)
def get_block_job_info(call: Call) -> dict[str, Any]:
    args = call.args
    info = _domain(call).block_job_info(args["path"], int(args["flags"]))
    if info is None:
        return {"found": 0, "type": 0, "bandwidth": 0, "cur": 0, "end": 0}
    return {"found": 1, "type": info.type, "bandwidth": info.bandwidth, "cur": info.cur, "end": info.end}


@handles(P.DOMAIN_BLOCK_JOB_ABORT)
def block_job_abort(call: Call) -> None:
    _domain(call).block_job_abort(call.args["path"], int(call.args["flags"]))


@handles(P.DOMAIN_BLOCK_JOB_SET_SPEED)
def block_job_set_speed(call: Call) -> None:
    args = call.args
    _domain(call).block_job_set_speed(args["path"], int(args["bandwidth"]), int(args["flags"]))


@handles(P.DOMAIN_BLOCK_PULL)
def block_pull(call: Call) -> None:
    args = call.args
    _domain(call).block_pull(args["path"], int(args["bandwidth"]), int(args["flags"]))


@handles(P.DOMAIN_BLOCK_REBASE)
def block_rebase(call: Call) -> None:
    args = call.args
    _domain(call).block_rebase(args["path"], args["base"], int(args["bandwidth"]), int(args["flags"]))


@handles(P.DOMAIN_BLOCK_COPY)
def block_copy(call: Call) -> None:
    args = call.args
    _domain(call).block_copy(args["path"], args["destxml"], from_wire(args["params"]), int(args["flags"]))


@handles(P.DOMAIN_BLOCK_COMMIT)
def block_commit(call: Call) -> None:
    args = call.args
    _domain(call).block_commit(args["disk"], args["base"], args["top"], int(args["bandwidth"]), int(args["flags"]))


@handles(P.DOMAIN_BLOCK_RESIZE)
def block_resize(call: Call) -> None:
    args = call.args
    _domain(call).block_resize(args["disk"], int(args["size"]), int(args["flags"]))
