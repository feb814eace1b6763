"""Host facts procedures: virsh maxvcpus, freecell, freepages, sysinfo, nodecpustats, node-memory-tune,
cpu-models and find-storage-pool-sources.

As libvirtd's: the number of cells a client asks for is bounded by the wire's limit before the
public API checks it, and so is the number of processor statistics (none asked: only their count
comes back); the flags go to the driver as they came.
"""

from __future__ import annotations

from typing import Any

from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError
from virt.remote.message_types import (
    CONNECT_CPU_MODELS_MAX,
    NODE_CPU_STATS_MAX,
    NODE_MAX_CELLS,
    NODE_MEMORY_PARAMETERS_MAX,
    NODE_MEMORY_STATS_MAX,
)
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.remote.typedparams import from_wire, to_wire

from .registry import Call, handles, internal_error


@handles(P.CONNECT_GET_MAX_VCPUS)
def get_max_vcpus(call: Call) -> dict[str, Any]:
    return {"max_vcpus": call.conn.max_vcpus(call.args["type"])}


@handles(P.NODE_GET_FREE_MEMORY)
def get_free_memory(call: Call) -> dict[str, Any]:
    return {"freeMem": call.conn.free_memory()}


@handles(P.NODE_GET_CELLS_FREE_MEMORY)
def get_cells_free_memory(call: Call) -> dict[str, Any]:
    wanted = int(call.args["maxcells"])
    if wanted > NODE_MAX_CELLS:
        raise internal_error("maxCells > REMOTE_NODE_MAX_CELLS")
    return {"cells": call.conn.cells_free_memory(int(call.args["startCell"]), wanted)}


@handles(P.CONNECT_GET_SYSINFO)
def get_sysinfo(call: Call) -> dict[str, Any]:
    return {"sysinfo": call.conn.sysinfo(int(call.args["flags"]))}


@handles(P.NODE_GET_CPU_STATS)
def get_cpu_stats(call: Call) -> dict[str, Any]:
    wanted = int(call.args["nparams"])
    if wanted > NODE_CPU_STATS_MAX:
        raise internal_error("nparams too large")
    if wanted < 0:
        raise InvalidArgument(
            "nparams in virNodeGetCPUStats must be zero or greater", ErrorNumber.INVALID_ARG, ErrorDomain.NONE
        )
    if wanted == 0:
        # only the count: every processor has the fields all of them have together, and libvirt's
        # drivers answer it without looking at the number (a wrong one fails the next call)
        return {"params": [], "nparams": len(call.conn.node_cpu_stats(-1, int(call.args["flags"])))}
    stats = call.conn.node_cpu_stats(int(call.args["cpuNum"]), int(call.args["flags"]))
    given = stats[:wanted]
    return {"params": [{"field": field, "value": value} for field, value in given], "nparams": len(given)}


@handles(P.NODE_GET_MEMORY_STATS)
def get_memory_stats(call: Call) -> dict[str, Any]:
    wanted = int(call.args["nparams"])
    if wanted > NODE_MEMORY_STATS_MAX:
        raise internal_error("nparams too large")
    if wanted < 0:
        raise InvalidArgument(
            "nparams in virNodeGetMemoryStats must be zero or greater", ErrorNumber.INVALID_ARG, ErrorDomain.NONE
        )
    stats = call.conn.node_memory_stats(int(call.args["cellNum"]), int(call.args["flags"]))
    if wanted == 0:
        return {"params": [], "nparams": len(stats)}
    given = stats[:wanted]
    return {"params": [{"field": field, "value": value} for field, value in given], "nparams": len(given)}


@handles(P.NODE_GET_MEMORY_PARAMETERS)
def get_memory_parameters(call: Call) -> dict[str, Any]:
    wanted = int(call.args["nparams"])
    if wanted > NODE_MEMORY_PARAMETERS_MAX:
        raise internal_error("nparams too large")
    if wanted < 0:
        raise InvalidArgument(
            "nparams in virNodeGetMemoryParameters must be zero or greater", ErrorNumber.INVALID_ARG, ErrorDomain.NONE
        )
    params = call.conn.node_memory_parameters(int(call.args["flags"]))
    if wanted == 0:
        return {"params": [], "nparams": len(params)}
    given = params[:wanted]
    return {"params": to_wire(given), "nparams": len(given)}


@handles(P.NODE_SET_MEMORY_PARAMETERS)
def set_memory_parameters(call: Call) -> None:
    call.conn.set_node_memory_parameters(from_wire(call.args["params"]), int(call.args["flags"]))


@handles(P.NODE_GET_FREE_PAGES)
def get_free_pages(call: Call) -> dict[str, Any]:
    pages = [int(size) for size in call.args["pages"]]
    cells = int(call.args["cellCount"])
    if len(pages) * cells > NODE_MAX_CELLS:
        raise VirtError("the result won't fit into REMOTE_NODE_MAX_CELLS", ErrorNumber.RPC, ErrorDomain.RPC)
    found = call.conn.free_pages(pages, int(call.args["startCell"]), cells, int(call.args["flags"]))
    if found.returned <= 0:
        # libvirtd's answer to a driver that returns no count without an error: the test driver's
        raise VirtError(
            "Library function returned error but did not set virError", ErrorNumber.INTERNAL_ERROR, ErrorDomain.RPC
        )
    return {"counts": found.counts[: found.returned]}


@handles(P.CONNECT_GET_CPU_MODEL_NAMES)
def get_cpu_model_names(call: Call) -> dict[str, Any]:
    found = call.conn.cpu_model_names(str(call.args["arch"]), int(call.args["flags"]))
    if len(found) > CONNECT_CPU_MODELS_MAX:
        raise internal_error(f"Too many CPU models '{len(found)}' for limit '{CONNECT_CPU_MODELS_MAX}'")
    # without need_results the client only counts them
    return {"models": found if call.args["need_results"] else [], "ret": len(found)}


@handles(P.CONNECT_FIND_STORAGE_POOL_SOURCES)
def find_storage_pool_sources(call: Call) -> dict[str, Any]:
    args = call.args
    return {"xml": call.conn.find_storage_pool_sources(str(args["type"]), args["srcSpec"], int(args["flags"]))}
