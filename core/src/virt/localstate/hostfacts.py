"""The real host's facts for the local drivers, read where libvirt's host code reads them (virhostcpu.c,
virhostmem.c, virnuma.c): processor times from /proc/stat, memory from /proc/meminfo and each NUMA
node's meminfo, free pages from the nodes' hugepages folders. Errors carry no driver's domain, as
libvirt's host utilities report them, but for ``sysinfo``'s, the driver's (``virt.localstate.sysinfo``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from virt.domainstats import ParamType, TypedParameter
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError, libvirt_error
from virt.hostfacts import FreePages
from virt.scheduler import TYPED_PARAM_STRING_OKAY, validate

PROC = Path("/proc")
NODES = Path("/sys/devices/system/node")
KSM = Path("/sys/kernel/mm/ksm")
"""The kernel's same-page merging service, whose settings virNodeGet/SetMemoryParameters read and write."""
"""Where the NUMA nodes are (a host without it is one cell holding all the memory)."""

_NODE_NAME = re.compile(r"node(\d+)$")


def _error(code: ErrorNumber, message: str) -> VirtError:
    return VirtError(message, code, ErrorDomain.NONE)


def _unsupported_flags(flags: int, function: str) -> None:
    if flags:
        raise InvalidArgument(
            f"unsupported flags (0x{flags:x}) in function {function}", ErrorNumber.INVALID_ARG, ErrorDomain.NONE
        )


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise _error(ErrorNumber.SYSTEM_ERROR, f"cannot open {path}: {exc.strerror}") from None


def _meminfo(text: str, prefix: str = "") -> dict[str, int]:
    """The KiB figures of a meminfo file (``prefix``: the ``Node N`` that starts a node's lines)."""
    found = {}
    for line in text.splitlines():
        if prefix:
            if not line.startswith(prefix):
                continue
            line = line[len(prefix) :]
        name, _, rest = line.partition(":")
        value = rest.split()
        if value and value[0].isdigit():
            found[name.strip()] = int(value[0])
    return found


def max_node() -> int:
    """The highest NUMA node number (0 on a host without NUMA)."""
    try:
        numbers = [int(m.group(1)) for p in NODES.iterdir() if (m := _NODE_NAME.match(p.name))]
    except OSError:
        return 0
    return max(numbers, default=0)


def node_memory(node: int) -> tuple[int, int]:
    """(total, free) bytes of NUMA node ``node``; the whole host's when there are no nodes."""
    path = NODES / f"node{node}" / "meminfo"
    if not path.exists() and node == 0 and not NODES.exists():
        figures = _meminfo(_read(PROC / "meminfo"))
    else:
        figures = _meminfo(_read(path), f"Node {node} ")
    return figures.get("MemTotal", 0) * 1024, figures.get("MemFree", 0) * 1024


def _check_start(start_cell: int, last: int) -> None:
    if start_cell > last:
        raise _error(ErrorNumber.INTERNAL_ERROR, f"internal error: start cell {start_cell} out of range (0-{last})")


class LocalHostFacts:
    """The host-fact operations of a local driver's connection (virNodeGet*, virConnectGetSysinfo),
    from the real host."""

    driver_name: ClassVar[str]
    error_domain: ClassVar[ErrorDomain]

    def get_sysinfo(self, flags: int) -> str:
        from virt.localstate.sysinfo import host_sysinfo

        if flags:
            raise InvalidArgument(
                f"unsupported flags (0x{flags:x}) in function {self.driver_name.lower()}ConnectGetSysinfo",
                ErrorNumber.INVALID_ARG,
                self.error_domain,
            )
        document = host_sysinfo()
        if document is None:
            raise libvirt_error(
                ErrorNumber.CONFIG_UNSUPPORTED, "Host SMBIOS information is not available", self.error_domain
            )
        return document

    def get_node_free_memory(self) -> int:
        return sum(node_memory(node)[1] for node in range(max_node() + 1))

    def get_node_cells_free_memory(self, start_cell: int, max_cells: int) -> list[int]:
        last = max_node()
        _check_start(start_cell, last)
        return [node_memory(node)[1] for node in range(start_cell, min(start_cell + max_cells - 1, last) + 1)]

    def get_node_cpu_stats(self, cpu: int, flags: int) -> list[tuple[str, int]]:
        _unsupported_flags(flags, "virHostCPUGetStats")
        wanted = "cpu" if cpu == -1 else f"cpu{cpu}"
        for line in _read(PROC / "stat").splitlines():
            fields = line.split()
            if fields and fields[0] == wanted:
                user, nice, system, idle, iowait, irq, softirq = (int(v) for v in fields[1:8])
                tick = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
                return [
                    ("kernel", (system + irq + softirq) * tick),
                    ("user", (user + nice) * tick),
                    ("idle", idle * tick),
                    ("iowait", iowait * tick),
                ]
        raise InvalidArgument("Invalid cpuNum in virHostCPUGetStatsLinux", ErrorNumber.INVALID_ARG, ErrorDomain.NONE)

    def get_node_memory_stats(self, cell: int, flags: int) -> list[tuple[str, int]]:
        _unsupported_flags(flags, "virHostMemGetStats")
        if cell == -1:
            figures = _meminfo(_read(PROC / "meminfo"))
            return [(name.lower(), figures.get(field, 0)) for name, field in _ALL_CELLS]
        last = max_node()
        if cell > last:
            raise InvalidArgument(
                f"cellNum in virHostMemGetStats must be less than or equal to {last}",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.NONE,
            )
        total, free = node_memory(cell)
        return [("total", total // 1024), ("free", free // 1024)]

    def get_node_memory_parameters(self, flags: int) -> list[TypedParameter]:
        _unsupported_flags(flags & ~TYPED_PARAM_STRING_OKAY, "virHostMemGetParameters")
        found = []
        for field, (name, kind) in _KSM_PARAMETERS.items():
            path = KSM / name
            if name == "merge_across_nodes" and not path.exists():
                continue  # kernels built without NUMA lack it: libvirt leaves it out
            text = _read(path).strip()
            try:
                value = int(text)
            except ValueError:
                raise _error(ErrorNumber.INTERNAL_ERROR, f"internal error: failed to parse {name}") from None
            found.append(TypedParameter(field, kind, value))
        return found

    def set_node_memory_parameters(self, params: Sequence[TypedParameter], flags: int) -> None:
        _unsupported_flags(flags, "virHostMemSetParameters")
        validate(params, SETTABLE, ErrorDomain.NONE)
        for param in params:
            name = _KSM_PARAMETERS[param.field][0]
            path = KSM / name
            if name == "merge_across_nodes" and not path.exists():
                raise _error(
                    ErrorNumber.OPERATION_INVALID,
                    "Requested operation is not valid: Setting merge_across_nodes is not supported by host kernel",
                )
            try:
                path.write_text(f"{param.value}")
            except OSError as exc:
                raise _error(ErrorNumber.SYSTEM_ERROR, f"failed to set {param.field}: {exc.strerror}") from None

    def get_node_free_pages(self, pages: Sequence[int], start_cell: int, cell_count: int, flags: int) -> FreePages:
        if flags:  # the driver's own check, in its domain (qemuNodeGetFreePages)
            raise InvalidArgument(
                f"unsupported flags (0x{flags:x}) in function {self.driver_name.lower()}NodeGetFreePages",
                ErrorNumber.INVALID_ARG,
                self.error_domain,
            )
        last = max_node()
        _check_start(start_cell, last)
        end = start_cell + cell_count - 1
        if end > last:
            raise _error(ErrorNumber.INTERNAL_ERROR, f"internal error: end cell {end} out of range (0-{last})")
        counts = [_free_pages(node, size) for node in range(start_cell, end + 1) for size in pages]
        return FreePages(counts, len(counts))


_KSM_PARAMETERS = {
    "shm_pages_to_scan": ("pages_to_scan", ParamType.UINT),
    "shm_sleep_millisecs": ("sleep_millisecs", ParamType.UINT),
    "shm_pages_shared": ("pages_shared", ParamType.ULLONG),
    "shm_pages_sharing": ("pages_sharing", ParamType.ULLONG),
    "shm_pages_unshared": ("pages_unshared", ParamType.ULLONG),
    "shm_pages_volatile": ("pages_volatile", ParamType.ULLONG),
    "shm_full_scans": ("full_scans", ParamType.ULLONG),
    "shm_merge_across_nodes": ("merge_across_nodes", ParamType.UINT),
}
"""virNodeGetMemoryParameters' fields, in libvirt's order: the KSM file each reads, and its type."""
SETTABLE = {field: ParamType.UINT for field in ("shm_pages_to_scan", "shm_sleep_millisecs", "shm_merge_across_nodes")}
"""What virNodeSetMemoryParameters may change (the rest are the service's counters)."""

_ALL_CELLS = (("total", "MemTotal"), ("free", "MemFree"), ("buffers", "Buffers"), ("cached", "Cached"))


def _free_pages(node: int, size_kib: int) -> int:
    """Free pages of ``size_kib`` on ``node``: the system's page size counts the node's free memory
    (huge pages reserved aside, as libvirt's estimate does not), others their free huge pages."""
    if size_kib * 1024 == os.sysconf("SC_PAGESIZE"):
        return node_memory(node)[1] // (size_kib * 1024)
    path = NODES / f"node{node}" / "hugepages" / f"hugepages-{size_kib}kB" / "free_hugepages"
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        raise _error(
            ErrorNumber.OPERATION_FAILED, f"operation failed: page size {size_kib} is not available on node {node}"
        ) from None
