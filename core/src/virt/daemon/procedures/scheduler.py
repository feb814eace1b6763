"""Scheduler procedures: virsh schedinfo's type, parameters and their change.

As libvirtd's: the number of parameters the client asks for is bounded by the wire's limit and must
be positive (libvirt's public API checks it), the answer holds at most that many, and the flags go
to the driver as they came (the test driver refuses any, naming them).
"""

from __future__ import annotations

from typing import Any

from virt.connection import Domain
from virt.domainchanges import Impact
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument
from virt.remote.message_types import DOMAIN_SCHEDULER_PARAMETERS_MAX
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.remote.typedparams import from_wire

from . import wire
from .registry import Call, handles, internal_error
from .stats import wire_params


def _domain(call: Call) -> Domain:
    return wire.domain(call.conn, call.args["dom"])


def _wanted(call: Call, api: str) -> int:
    wanted = int(call.args["nparams"])
    if wanted > DOMAIN_SCHEDULER_PARAMETERS_MAX:
        raise internal_error("nparams too large")
    if wanted <= 0:
        raise InvalidArgument(
            f"nparams in {api} must be greater than zero", ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN
        )
    return wanted


@handles(P.DOMAIN_GET_SCHEDULER_TYPE)
def get_scheduler_type(call: Call) -> dict[str, Any]:
    found = _domain(call).scheduler_type()
    return {"type": found.name, "nparams": found.nparams}


@handles(P.DOMAIN_GET_SCHEDULER_PARAMETERS)
def get_scheduler_parameters(call: Call) -> dict[str, Any]:
    wanted = _wanted(call, "virDomainGetSchedulerParameters")
    return {"params": wire_params(_domain(call).scheduler_parameters()[:wanted])}


@handles(P.DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS)
def get_scheduler_parameters_flags(call: Call) -> dict[str, Any]:
    wanted = _wanted(call, "virDomainGetSchedulerParametersFlags")
    params = _domain(call).scheduler_parameters(Impact(int(call.args["flags"])))
    return {"params": wire_params(params[:wanted])}


@handles(P.DOMAIN_SET_SCHEDULER_PARAMETERS)
def set_scheduler_parameters(call: Call) -> None:
    _domain(call).set_scheduler_parameters(from_wire(call.args["params"]))


@handles(P.DOMAIN_SET_SCHEDULER_PARAMETERS_FLAGS)
def set_scheduler_parameters_flags(call: Call) -> None:
    _domain(call).set_scheduler_parameters(from_wire(call.args["params"]), Impact(int(call.args["flags"])))
