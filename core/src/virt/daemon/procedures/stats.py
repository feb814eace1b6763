"""Statistics and information procedures: vCPUs and pinning (read side), memory, block and interface
counters, block sizes, bulk domain statistics, jobs, the guest's clock and the host's CPU map.

The size checks on the client's buffers are libvirtd's (remote.c), in its words; a bulk statistics
call leaves out the domains the ACL hides from the client, as libvirt's ACL filter does.
"""

from __future__ import annotations

from typing import Any

from virt.connection import Domain
from virt.domainstats import (
    DomainStatsRecord,
    StatsGroup,
    TypedParameter,
    cpumap_bytes,
    cpumap_length,
)
from virt.info import DomainFilter
from virt.remote.message_types import (
    CPUMAPS_MAX,
    DOMAIN_BLOCK_STATS_PARAMETERS_MAX,
    DOMAIN_MEMORY_STATS_MAX,
    VCPUINFO_MAX,
)
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.remote.typedparams import to_wire

from . import wire
from .domains import listed_states
from .listing import either
from .registry import Call, handles, internal_error

_AFFECT_LIVE, _AFFECT_CONFIG = 1, 2  # virDomainModificationImpact
_TYPED_PARAM_STRING_OKAY = 4
_JOB_STATS_COMPLETED, _JOB_STATS_KEEP_COMPLETED = 1, 2
# virConnectGetAllDomainStatsFlags
_STATS_ACTIVE, _STATS_INACTIVE, _STATS_PERSISTENT, _STATS_TRANSIENT = 1, 2, 4, 8
_STATS_NOWAIT, _STATS_BACKING, _STATS_ENFORCE = 1 << 29, 1 << 30, 1 << 31
_STATS_FLAGS = 0xFF | _STATS_NOWAIT | _STATS_BACKING | _STATS_ENFORCE


def _domain(call: Call) -> Domain:
    return wire.domain(call.conn, call.args["dom"])


def _affect(call: Call, function: str) -> dict[str, bool]:
    flags = call.check_flags(_AFFECT_LIVE | _AFFECT_CONFIG, function)
    return {"live": bool(flags & _AFFECT_LIVE), "config": bool(flags & _AFFECT_CONFIG)}


def _cpumaps(affinities: list[frozenset[int]], count: int, maplen: int) -> bytes:
    """``count`` maps of ``maplen`` bytes each, the missing ones empty (the client's buffer, filled in)."""
    data = b"".join(cpumap_bytes(cpus, maplen) for cpus in affinities[:count])
    return data + bytes(count * maplen - len(data))


def _maps_limit(count: int, maplen: int, what: str) -> None:
    if count > VCPUINFO_MAX:
        raise internal_error(f"{what} > REMOTE_VCPUINFO_MAX")
    if maplen < 0 or count * maplen > CPUMAPS_MAX:
        raise internal_error(f"{what} * maplen > REMOTE_CPUMAPS_MAX")


def wire_params(params: tuple[TypedParameter, ...] | list[TypedParameter]) -> list[dict[str, Any]]:
    """Typed parameters as remote_typed_param."""
    return to_wire(params)


# -- the host ---------------------------------------------------------------------------------------
@handles(P.NODE_GET_CPU_MAP)
def node_get_cpu_map(call: Call) -> dict[str, Any]:
    call.check_flags(0, "NodeGetCPUMap")
    cpu_map = call.conn.node_cpu_map()
    args = call.args
    return {
        "cpumap": cpumap_bytes(cpu_map.online, cpumap_length(cpu_map.cpus)) if args["need_map"] else b"",
        "online": len(cpu_map.online) if args["need_online"] else 0,
        "ret": cpu_map.cpus,
    }


# -- vCPUs --------------------------------------------------------------------------------------------
@handles(P.DOMAIN_GET_VCPUS)
def get_vcpus(call: Call) -> dict[str, Any]:
    maxinfo, maplen = call.args["maxinfo"], call.args["maplen"]
    _maps_limit(maxinfo, maplen, "maxinfo")
    infos = _domain(call).vcpus()[: max(maxinfo, 0)]
    return {
        "info": [{"number": i.number, "state": int(i.state), "cpu_time": i.cpu_time_ns, "cpu": i.cpu} for i in infos],
        "cpumaps": _cpumaps([i.affinity for i in infos], maxinfo, maplen),
    }


@handles(P.DOMAIN_GET_VCPU_PIN_INFO)
def get_vcpu_pin_info(call: Call) -> dict[str, Any]:
    count, maplen = call.args["ncpumaps"], call.args["maplen"]
    _maps_limit(count, maplen, "ncpumaps")
    affinities = _domain(call).vcpu_pin_info(**_affect(call, "DomainGetVcpuPinInfo"))[: max(count, 0)]
    return {"cpumaps": _cpumaps(affinities, count, maplen), "num": len(affinities)}


@handles(P.DOMAIN_GET_EMULATOR_PIN_INFO)
def get_emulator_pin_info(call: Call) -> dict[str, Any]:
    maplen = call.args["maplen"]
    _maps_limit(1, maplen, "maxinfo")
    cpus = _domain(call).emulator_pin_info(**_affect(call, "DomainGetEmulatorPinInfo"))
    return {"cpumaps": cpumap_bytes(cpus, maplen), "ret": 1}


# -- memory, block devices, interfaces ------------------------------------------------------------------
@handles(P.DOMAIN_MEMORY_STATS)
def memory_stats(call: Call) -> dict[str, Any]:
    most = call.args["maxStats"]
    if most > DOMAIN_MEMORY_STATS_MAX:
        raise internal_error("maxStats > REMOTE_DOMAIN_MEMORY_STATS_MAX")
    call.check_flags(0, "DomainMemoryStats")
    stats = _domain(call).memory_stats()[:most]
    return {"stats": [{"tag": int(tag), "val": value} for tag, value in stats]}


@handles(P.DOMAIN_BLOCK_STATS)
def block_stats(call: Call) -> dict[str, Any]:
    stats = _domain(call).block_stats(call.args["path"])
    return {
        "rd_req": stats.rd_req,
        "rd_bytes": stats.rd_bytes,
        "wr_req": stats.wr_req,
        "wr_bytes": stats.wr_bytes,
        "errs": stats.errs,
    }


@handles(P.DOMAIN_BLOCK_STATS_FLAGS)
def block_stats_flags(call: Call) -> dict[str, Any]:
    wanted = call.args["nparams"]
    if wanted > DOMAIN_BLOCK_STATS_PARAMETERS_MAX:
        raise internal_error("nparams too large")
    call.check_flags(_TYPED_PARAM_STRING_OKAY, "DomainBlockStatsFlags")
    params = _domain(call).block_stats_parameters(call.args["path"])
    if wanted == 0:  # the client asks how many there are
        return {"params": [], "nparams": len(params)}
    params = params[:wanted]
    return {"params": wire_params(params), "nparams": len(params)}


@handles(P.DOMAIN_INTERFACE_STATS)
def interface_stats(call: Call) -> dict[str, Any]:
    stats = _domain(call).interface_stats(call.args["path"])
    return {
        "rx_bytes": stats.rx_bytes,
        "rx_packets": stats.rx_packets,
        "rx_errs": stats.rx_errs,
        "rx_drop": stats.rx_drop,
        "tx_bytes": stats.tx_bytes,
        "tx_packets": stats.tx_packets,
        "tx_errs": stats.tx_errs,
        "tx_drop": stats.tx_drop,
    }


@handles(P.DOMAIN_GET_BLOCK_INFO)
def get_block_info(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainGetBlockInfo")
    info = _domain(call).block_info(call.args["path"])
    return {"allocation": info.allocation, "capacity": info.capacity, "physical": info.physical}


# -- bulk statistics ------------------------------------------------------------------------------------
def stats_filter(flags: int) -> DomainFilter:
    """The listing filter of virConnectGetAllDomainStats' flags."""
    states = listed_states(flags)
    return DomainFilter(
        active=either(flags, _STATS_ACTIVE, _STATS_INACTIVE),
        persistent=either(flags, _STATS_PERSISTENT, _STATS_TRANSIENT),
        states=states,
    )


def _wire_record(record: DomainStatsRecord) -> dict[str, Any]:
    return {"dom": wire.wire_domain(record.domain), "params": wire_params(record.params)}


@handles(P.CONNECT_GET_ALL_DOMAIN_STATS)
def get_all_domain_stats(call: Call) -> dict[str, Any]:
    flags = call.check_flags(_STATS_FLAGS, "ConnectGetAllDomainStats")
    doms = call.args["doms"]
    refs = [wire.domain(call.conn, d).ref for d in doms] if doms else None
    records = call.conn.driver.get_domain_stats(
        refs,
        StatsGroup(call.args["stats"]),  # IntFlag keeps bits newer than these groups: ENFORCE refuses them
        stats_filter(flags),
        enforce=bool(flags & _STATS_ENFORCE),
        backing=bool(flags & _STATS_BACKING),
        nowait=bool(flags & _STATS_NOWAIT),
    )
    return {"retStats": [_wire_record(r) for r in records if call.visible(r.domain.name)]}


# -- jobs and the guest's clock ---------------------------------------------------------------------------
@handles(P.DOMAIN_GET_JOB_INFO)
def get_job_info(call: Call) -> dict[str, Any]:
    job = _domain(call).job_info()
    return {
        "type": int(job.type),
        "timeElapsed": job.time_elapsed,
        "timeRemaining": job.time_remaining,
        "dataTotal": job.data_total,
        "dataProcessed": job.data_processed,
        "dataRemaining": job.data_remaining,
        "memTotal": job.mem_total,
        "memProcessed": job.mem_processed,
        "memRemaining": job.mem_remaining,
        "fileTotal": job.file_total,
        "fileProcessed": job.file_processed,
        "fileRemaining": job.file_remaining,
    }


@handles(P.DOMAIN_GET_JOB_STATS)
def get_job_stats(call: Call) -> dict[str, Any]:
    flags = call.check_flags(_JOB_STATS_COMPLETED | _JOB_STATS_KEEP_COMPLETED, "DomainGetJobStats")
    job = _domain(call).job_info(completed=bool(flags & _JOB_STATS_COMPLETED))
    return {"type": int(job.type), "params": wire_params(job.params)}


@handles(P.DOMAIN_GET_TIME)
def get_time(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainGetTime")
    clock = _domain(call).guest_time()
    return {"seconds": clock.seconds, "nseconds": clock.nseconds}
