"""Host facts procedures: virsh maxvcpus, freecell and sysinfo.

As libvirtd's: the number of cells a client asks for is bounded by the wire's limit before the
public API checks it; the flags go to the driver as they came.
"""

from __future__ import annotations

from typing import Any

from virt.remote.message_types import NODE_MAX_CELLS
from virt.remote.procedure_numbers import RemoteProcedure as P

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
