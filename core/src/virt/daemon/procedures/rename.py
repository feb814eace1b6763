"""virDomainRename's procedure (virsh domrename): kept from read-only clients (the protocol's write
rule); the retcode is 0 whenever the driver succeeds, as libvirtd answers."""

from __future__ import annotations

from typing import Any

from virt.remote.procedure_numbers import RemoteProcedure as P

from . import wire
from .registry import Call, handles


@handles(P.DOMAIN_RENAME)
def rename(call: Call) -> dict[str, Any]:
    args = call.args
    wire.domain(call.conn, args["dom"]).rename(args["new_name"], int(args["flags"]))
    return {"retcode": 0}
