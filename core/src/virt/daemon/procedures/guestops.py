"""NMI injection and guest clock setting (virsh inject-nmi, domtime --now/--sync/--time): both kept
from read-only clients, as libvirtd does (the protocol's write rule)."""

from __future__ import annotations

from virt.remote.procedure_numbers import RemoteProcedure as P

from . import wire
from .registry import Call, handles


@handles(P.DOMAIN_INJECT_NMI)
def inject_nmi(call: Call) -> None:
    wire.domain(call.conn, call.args["dom"]).inject_nmi(int(call.args["flags"]))


@handles(P.DOMAIN_SET_TIME)
def set_time(call: Call) -> None:
    args = call.args
    wire.domain(call.conn, args["dom"]).set_guest_time(int(args["seconds"]), int(args["nseconds"]), int(args["flags"]))
