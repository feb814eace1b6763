"""The host as the LXC driver reports it: its kernel's version, its processors and memory.

Its name is ``virt.localstate.hostinfo.hostname()``, as every local driver's.
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

from virt.info import NodeInfo

_SYS_CPU = Path("/sys/devices/system/cpu")


def kernel_version() -> int:
    """The kernel's version, major * 1,000,000 + minor * 1,000 + release (what libvirt's LXC driver reports)."""
    found = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", os.uname().release)
    if found is None:
        return 0
    major, minor, release = (int(part or 0) for part in found.groups())
    return major * 1_000_000 + minor * 1_000 + release


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def node_info() -> NodeInfo:
    """virNodeInfo from /proc and /sys; an odd topology is reported as one socket of all CPUs, as libvirt does."""
    cpus = len(os.sched_getaffinity(0))
    online = _read(_SYS_CPU / "online").strip()
    if online:
        cpus = sum(int(b or a) - int(a) + 1 for a, _, b in (part.partition("-") for part in online.split(",")))
    mhz = 0
    for line in _read(Path("/proc/cpuinfo")).splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "cpu MHz":
            mhz = int(float(value))
            break
    memory = 0
    for line in _read(Path("/proc/meminfo")).splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1])
            break
    packages = {_read(p / "topology" / "physical_package_id").strip() for p in _SYS_CPU.glob("cpu[0-9]*")}
    cores = {
        (_read(p / "topology" / "physical_package_id").strip(), _read(p / "topology" / "core_id").strip())
        for p in _SYS_CPU.glob("cpu[0-9]*")
    }
    sockets, per_socket = max(1, len(packages)), max(1, len(cores) // max(1, len(packages)))
    threads = max(1, cpus // max(1, len(cores)))
    if sockets * per_socket * threads != cpus:
        sockets, per_socket, threads = 1, cpus, 1
    return NodeInfo(platform.machine() or "x86_64", memory, cpus, mhz, 1, sockets, per_socket, threads)
