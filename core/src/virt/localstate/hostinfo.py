"""The host as libvirt's nodeinfo code reads it: /proc/cpuinfo, /proc/meminfo, /sys topology.

``hostname()`` is virGetHostname; ``node_info()`` is virNodeGetInfo as libvirt's QEMU driver
answers it (NUMA cells' memory, the topology's odd cases folded as libvirt folds them).
"""

from __future__ import annotations

import os
import platform
import socket
from pathlib import Path

from virt.info import NodeInfo

_SYS_CPU = Path("/sys/devices/system/cpu")
_SYS_NODE = Path("/sys/devices/system/node")


def hostname() -> str:
    """The host's name, fully qualified when the resolver knows it (libvirt's virGetHostname)."""
    name = socket.gethostname()
    if "." in name:
        return name
    try:
        fqdn = socket.getfqdn(name)
    except OSError:
        return name
    return fqdn if fqdn and not fqdn.startswith("localhost") else name


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _cpu_list(text: str) -> list[int]:
    """``0-3,8`` -> [0, 1, 2, 3, 8]."""
    cpus: list[int] = []
    for part in text.split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        cpus.extend(range(int(low), int(high or low) + 1))
    return cpus


def _online_cpus() -> list[int]:
    text = _read(_SYS_CPU / "online")
    if text:
        return _cpu_list(text)
    return sorted(os.sched_getaffinity(0))


def _mhz() -> int:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("cpu MHz", "clock"):
                return int(float(value.strip().rstrip("MHz")))
    except (OSError, ValueError):
        pass
    text = _read(_SYS_CPU / "cpu0" / "cpufreq" / "cpuinfo_max_freq")
    return int(text) // 1000 if text and text.isdigit() else 0


def _memory_kib() -> int:
    # libvirt's nodeinfo adds up the NUMA cells' memory; /proc/meminfo only stands in without NUMA
    # (the two differ where the kernel reserves memory outside every node, as on this sandbox).
    cells = [_mem_total(path) for path in sorted(_SYS_NODE.glob("node[0-9]*/meminfo"))]
    if cells and all(cell is not None for cell in cells):
        return sum(cell for cell in cells if cell is not None)
    return _mem_total(Path("/proc/meminfo")) or 0


def _mem_total(path: Path) -> int | None:
    """The MemTotal line of a meminfo file ("MemTotal: N kB" or "Node 0 MemTotal: N kB"), in KiB."""
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.split()[-1:] == ["MemTotal"]:
                return int(value.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _topology(cpus: list[int]) -> tuple[int, int, int, int]:
    """(nodes, sockets per node, cores per socket, threads per core), libvirt's fallback when odd."""
    nodes = len(list(_SYS_NODE.glob("node[0-9]*"))) or 1
    sockets: set[str] = set()
    cores: set[tuple[str, str]] = set()
    for cpu in cpus:
        topology = _SYS_CPU / f"cpu{cpu}" / "topology"
        package = _read(topology / "physical_package_id") or "0"
        core = _read(topology / "core_id") or str(cpu)
        sockets.add(package)
        cores.add((package, core))
    total = len(cpus)
    socket_count = max(1, len(sockets))
    per_node = max(1, socket_count // nodes)
    cores_per_socket = max(1, len(cores) // socket_count)
    threads = max(1, total // max(1, len(cores)))
    if nodes * per_node * cores_per_socket * threads != total:
        # libvirt's answer when the topology does not multiply out: everything in one socket
        return 1, 1, total, 1
    return nodes, per_node, cores_per_socket, threads


def node_info() -> NodeInfo:
    """virNodeInfo of this host."""
    cpus = _online_cpus()
    nodes, sockets, cores, threads = _topology(cpus)
    return NodeInfo(
        model=platform.machine() or "x86_64",
        memory_kib=_memory_kib(),
        cpus=len(cpus),
        mhz=_mhz(),
        nodes=nodes,
        sockets=sockets,
        cores=cores,
        threads=threads,
    )


# -- the CPU map (virHostCPUGetMap) ----------------------------------------------------------------------
def cpu_count() -> int:
    """The host's CPU count as libvirt gives it: the highest present CPU plus one."""
    text = _read(_SYS_CPU / "present")
    if text:
        return max(_cpu_list(text)) + 1
    return max(_online_cpus()) + 1


def online_cpus() -> list[int]:
    """The host's online CPUs."""
    return _online_cpus()
