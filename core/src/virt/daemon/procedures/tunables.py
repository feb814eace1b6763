"""Tunables procedures: memory, NUMA, block I/O and interface parameters, disk I/O throttling and perf
events (virsh memtune, numatune, blkiotune, domiftune, blkdeviotune, perf).

As libvirtd's: a Get call with ``nparams`` 0 asks how many parameters there are; otherwise the answer
holds at most that many, bounded by the wire's limit, and string values only for a client that said
it takes them (VIR_TYPED_PARAM_STRING_OKAY in its flags). The flags go to the driver as they came.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from virt import tunables
from virt.connection import Domain
from virt.domainchanges import Impact, exclusive_flags
from virt.domainstats import ParamType, TypedParameter
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError
from virt.remote.message_types import (
    DOMAIN_BLKIO_PARAMETERS_MAX,
    DOMAIN_BLOCK_IO_TUNE_PARAMETERS_MAX,
    DOMAIN_INTERFACE_PARAMETERS_MAX,
    DOMAIN_MEMORY_PARAMETERS_MAX,
    DOMAIN_NUMA_PARAMETERS_MAX,
    DOMAIN_PERF_EVENTS_MAX,
)
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.remote.typedparams import from_wire, to_wire
from virt.scheduler import TYPED_PARAM_STRING_OKAY

from . import wire
from .registry import Call, handles, internal_error


def _domain(call: Call) -> Domain:
    return wire.domain(call.conn, call.args["dom"])


def _impact(call: Call) -> Impact:
    return Impact(int(call.args["flags"]))


def _count(call: Call, read: Callable[[], list[TypedParameter]], known: int, exclusive_checked: bool) -> int:
    """How many parameters a Get call has, as libvirt answers ``nparams`` 0: its public API refuses
    --live with --config first for some calls (``exclusive_checked``), a driver its unknown flags (or
    the call, when it has none), and nothing else yet (the domain and the device are looked up by the
    call that fetches them); ``known`` is the count libvirt's drivers give without looking."""
    flags = int(call.args["flags"])
    if exclusive_checked and flags & Impact.LIVE and flags & Impact.CONFIG:
        raise exclusive_flags()
    try:
        return len(read())
    except VirtError as exc:
        if exc.code == ErrorNumber.NO_SUPPORT or (
            exc.code == ErrorNumber.INVALID_ARG and exc.message.startswith("unsupported flags")
        ):
            raise
        return known


def _answer(
    call: Call,
    limit: int,
    api: str,
    read: Callable[[], list[TypedParameter]],
    known: int,
    *,
    exclusive_checked: bool = True,
) -> dict[str, Any]:
    """A Get call's reply: the count, or at most ``nparams`` parameters (remoteDispatchDomainGet*)."""
    wanted = int(call.args["nparams"])
    if wanted > limit:
        raise internal_error("nparams too large")
    if wanted < 0:
        raise InvalidArgument(f"nparams in {api} must be zero or greater", ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN)
    if wanted == 0:
        return {"params": [], "nparams": _count(call, read, known, exclusive_checked)}
    params = read()[:wanted]
    if not int(call.args["flags"]) & TYPED_PARAM_STRING_OKAY:
        # an old client cannot read strings: libvirtd leaves them out
        params = [p for p in params if p.type is not ParamType.STRING]
    return {"params": to_wire(params), "nparams": len(params)}


@handles(P.DOMAIN_GET_MEMORY_PARAMETERS)
def get_memory_parameters(call: Call) -> dict[str, Any]:
    dom = _domain(call)
    read = lambda: dom.memory_parameters(_impact(call))  # noqa: E731
    api = "virDomainGetMemoryParameters"
    return _answer(call, DOMAIN_MEMORY_PARAMETERS_MAX, api, read, len(tunables.MEMORY_PARAMETERS))


@handles(P.DOMAIN_SET_MEMORY_PARAMETERS)
def set_memory_parameters(call: Call) -> None:
    _domain(call).set_memory_parameters(from_wire(call.args["params"]), _impact(call))


@handles(P.DOMAIN_GET_NUMA_PARAMETERS)
def get_numa_parameters(call: Call) -> dict[str, Any]:
    dom = _domain(call)
    read = lambda: dom.numa_parameters(_impact(call))  # noqa: E731
    api = "virDomainGetNumaParameters"
    return _answer(call, DOMAIN_NUMA_PARAMETERS_MAX, api, read, 2, exclusive_checked=False)


@handles(P.DOMAIN_SET_NUMA_PARAMETERS)
def set_numa_parameters(call: Call) -> None:
    _domain(call).set_numa_parameters(from_wire(call.args["params"]), _impact(call))


@handles(P.DOMAIN_GET_BLKIO_PARAMETERS)
def get_blkio_parameters(call: Call) -> dict[str, Any]:
    dom = _domain(call)
    read = lambda: dom.blkio_parameters(_impact(call))  # noqa: E731
    known = 1 + len(tunables.BLKIO_DEVICE_PARAMETERS)
    return _answer(call, DOMAIN_BLKIO_PARAMETERS_MAX, "virDomainGetBlkioParameters", read, known)


@handles(P.DOMAIN_SET_BLKIO_PARAMETERS)
def set_blkio_parameters(call: Call) -> None:
    _domain(call).set_blkio_parameters(from_wire(call.args["params"]), _impact(call))


@handles(P.DOMAIN_GET_INTERFACE_PARAMETERS)
def get_interface_parameters(call: Call) -> dict[str, Any]:
    dom = _domain(call)
    device = call.args["device"]
    read = lambda: dom.interface_parameters(device, _impact(call))  # noqa: E731
    api = "virDomainGetInterfaceParameters"
    known = len(tunables.BANDWIDTH_PARAMETERS)
    return _answer(call, DOMAIN_INTERFACE_PARAMETERS_MAX, api, read, known, exclusive_checked=False)


@handles(P.DOMAIN_SET_INTERFACE_PARAMETERS)
def set_interface_parameters(call: Call) -> None:
    _domain(call).set_interface_parameters(call.args["device"], from_wire(call.args["params"]), _impact(call))


@handles(P.DOMAIN_GET_BLOCK_IO_TUNE)
def get_block_io_tune(call: Call) -> dict[str, Any]:
    dom = _domain(call)
    disk = call.args["disk"]  # virsh asks the count without naming a disk
    if disk is None and int(call.args["nparams"]):
        raise InvalidArgument(
            "disk in virDomainGetBlockIoTune must not be NULL", ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN
        )
    read = lambda: dom.block_io_tune(disk or "", _impact(call))  # noqa: E731
    known = len(tunables.BLOCK_IOTUNE_PARAMETERS)
    return _answer(call, DOMAIN_BLOCK_IO_TUNE_PARAMETERS_MAX, "virDomainGetBlockIoTune", read, known)


@handles(P.DOMAIN_SET_BLOCK_IO_TUNE)
def set_block_io_tune(call: Call) -> None:
    _domain(call).set_block_io_tune(call.args["disk"], from_wire(call.args["params"]), _impact(call))


@handles(P.DOMAIN_GET_PERF_EVENTS)
def get_perf_events(call: Call) -> dict[str, Any]:
    params = _domain(call).perf_events(_impact(call))
    if len(params) > DOMAIN_PERF_EVENTS_MAX:
        raise internal_error("Too many perf events")
    return {"params": to_wire(params)}


@handles(P.DOMAIN_SET_PERF_EVENTS)
def set_perf_events(call: Call) -> None:
    _domain(call).set_perf_events(from_wire(call.args["params"]), _impact(call))
