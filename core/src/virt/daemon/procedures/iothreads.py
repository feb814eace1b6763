"""IOThread procedures (virsh iothreadinfo, iothreadpin, iothreadadd, iothreaddel, iothreadset): as
libvirtd's, the query's list is bounded by the wire's limit and each CPU map is as long as the host's
CPUs need; the changes are kept from read-only clients (the protocol's write rule)."""

from __future__ import annotations

from typing import Any

from virt.connection import Domain
from virt.domainstats import cpumap_bytes, cpumap_length, cpus_of_map
from virt.remote.message_types import IOTHREAD_INFO_MAX
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.remote.typedparams import from_wire

from . import wire
from .registry import Call, handles, internal_error


def _domain(call: Call) -> Domain:
    return wire.domain(call.conn, call.args["dom"])


def _flags(call: Call) -> int:
    return int(call.args["flags"])


@handles(P.DOMAIN_GET_IOTHREAD_INFO)
def get_iothread_info(call: Call) -> dict[str, Any]:
    found = _domain(call).iothread_info(_flags(call))
    if len(found) > IOTHREAD_INFO_MAX:
        raise internal_error(f"Too many IOThreads in info: {len(found)} for limit {IOTHREAD_INFO_MAX}")
    info = [
        {"iothread_id": one.iothread_id, "cpumap": cpumap_bytes(one.cpus, cpumap_length(one.host_cpus))}
        for one in found
    ]
    return {"info": info, "ret": len(info)}


@handles(P.DOMAIN_PIN_IOTHREAD)
def pin_iothread(call: Call) -> None:
    args = call.args
    _domain(call).pin_iothread(int(args["iothreads_id"]), cpus_of_map(bytes(args["cpumap"])), _flags(call))


@handles(P.DOMAIN_ADD_IOTHREAD)
def add_iothread(call: Call) -> None:
    _domain(call).add_iothread(int(call.args["iothread_id"]), _flags(call))


@handles(P.DOMAIN_DEL_IOTHREAD)
def del_iothread(call: Call) -> None:
    _domain(call).del_iothread(int(call.args["iothread_id"]), _flags(call))


@handles(P.DOMAIN_SET_IOTHREAD_PARAMS)
def set_iothread_params(call: Call) -> None:
    args = call.args
    _domain(call).set_iothread_params(int(args["iothread_id"]), from_wire(args["params"]), _flags(call))
