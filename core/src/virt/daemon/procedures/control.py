"""virDomainGetControlInfo's procedure (virsh domcontrol): read-only clients may ask, as libvirtd's."""

from __future__ import annotations

from typing import Any

from virt.remote.procedure_numbers import RemoteProcedure as P

from . import wire
from .registry import Call, handles


@handles(P.DOMAIN_GET_CONTROL_INFO)
def get_control_info(call: Call) -> dict[str, Any]:
    info = wire.domain(call.conn, call.args["dom"]).control_info(int(call.args["flags"]))
    return {"state": info.state, "details": info.details, "stateTime": info.state_time}
