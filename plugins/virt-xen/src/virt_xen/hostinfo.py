"""The host as the hypervisor describes it (``xl info``, ``xl info -n``): node info, version,
capabilities, as libvirt's libxl driver makes them from libxl_physinfo and libxl_version_info."""

from __future__ import annotations

import re

from virt.info import NodeInfo
from virt.xml.capabilities import (
    Capabilities,
    Cell,
    CellCPU,
    CellCPUs,
    Cells,
    Distances,
    Guest,
    GuestArch,
    GuestDomain,
    Host,
    HostCPU,
    HostTopology,
    Machine,
    Sibling,
)

from virt_xen import errors

_CAP = re.compile(r"^(xen|hvm)-\d+\.\d+-(x86_32p?|x86_64|armv7l|aarch64)$")
_ARCH = {"x86_32": "i686", "x86_32p": "i686", "x86_64": "x86_64", "armv7l": "armv7l", "aarch64": "aarch64"}
_WORDSIZE = {"i686": 32, "x86_64": 64, "armv7l": 32, "aarch64": 64}
EMULATOR = "/usr/lib/xen/bin/qemu-system-i386"
HVMLOADER = "/usr/lib/xen/boot/hvmloader"


def _int(info: dict[str, str], key: str) -> int:
    try:
        return int(float(info[key].split()[0]))  # cpu_mhz has decimals
    except (KeyError, ValueError, IndexError):
        raise errors.internal(f"'xl info' gave no number for '{key}' (it said {info.get(key)!r})") from None


def node_info(info: dict[str, str]) -> NodeInfo:
    """virNodeInfo from ``xl info`` (libxlDriverNodeGetInfo: memory in KiB, one socket per node)."""
    machine = info.get("machine", "x86_64")
    return NodeInfo(
        model=machine,
        memory_kib=_int(info, "total_memory") * 1024,
        cpus=_int(info, "nr_cpus"),
        mhz=_int(info, "cpu_mhz"),
        nodes=_int(info, "nr_nodes"),
        sockets=1,
        cores=_int(info, "cores_per_socket"),
        threads=_int(info, "threads_per_core"),
    )


def version(info: dict[str, str]) -> int:
    """Xen's version as major * 1,000,000 + minor * 1,000 + the number in ``xen_extra`` (``.0``)."""
    extra = re.match(r"\.?(\d+)", info.get("xen_extra", ""))
    return _int(info, "xen_major") * 1_000_000 + _int(info, "xen_minor") * 1000 + (int(extra[1]) if extra else 0)


def _table(text: str) -> list[list[str]]:
    """The rows of one of ``xl info -n``'s tables (``  0:  0  0  0``), header left out."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        head, colon, rest = line.strip().partition(":")
        if colon and head.isdigit():
            rows.append([head, *rest.split()])
    return rows


def capabilities(info: dict[str, str]) -> Capabilities:
    """``<capabilities>`` from ``xl info -n``: the host's processors and NUMA cells, one guest per
    kind of domain the hypervisor runs (``xen_caps``): PV (``xen``, machine xenpv) and, where the
    processor virtualises, HVM (``hvm``, machine xenfv) and PVH (``xenpvh``)."""
    host = Host()
    cpu = HostCPU()
    cpu.arch = info.get("machine", "x86_64")
    host.cpu = cpu
    cells_by_node: dict[int, Cell] = {}
    for row in _table(info.get("numa_info", "")):
        if len(row) < 3 or not row[1].isdigit():
            continue
        cell = Cell()
        cell.id = int(row[0])
        cell.memory = int(row[1]) * 1024
        distances = Distances()
        for index, value in enumerate(row[3:]):
            if value.isdigit():
                sibling = Sibling()
                sibling.id, sibling.value = index, int(value)
                distances.siblings.append(sibling)
        cell.distances = distances if distances.siblings else None
        cell.cpus = CellCPUs()
        cells_by_node[cell.id] = cell
    for row in _table(info.get("cpu_topology", "")):
        if len(row) < 4 or not all(part.isdigit() for part in row):
            continue
        cpu_id, core, socket, node = (int(part) for part in row[:4])
        owner = cells_by_node.get(node)
        if owner is None or owner.cpus is None:
            continue
        entry = CellCPU()
        entry.id, entry.socket_id, entry.core_id, entry.siblings = cpu_id, socket, core, str(cpu_id)
        owner.cpus.cpus.append(entry)
    if cells_by_node:
        cells = Cells()
        cells.cells = [cells_by_node[key] for key in sorted(cells_by_node)]
        for cell in cells.cells:
            assert cell.cpus is not None
            cell.cpus.num = len(cell.cpus.cpus)
        cells.num = len(cells.cells)
        host.topology = HostTopology()
        host.topology.cells = cells
    caps = Capabilities()
    caps.host = host
    kinds: list[tuple[str, str]] = []
    for word in info.get("xen_caps", "").split():
        match = _CAP.match(word)
        if match is not None and (match[1], _ARCH[match[2]]) not in kinds:
            kinds.append((match[1], _ARCH[match[2]]))
    for kind, arch in kinds:
        if kind == "xen":
            caps.guests.append(_guest("xen", arch, "xenpv", loader=None))
        else:
            caps.guests.append(_guest("hvm", arch, "xenfv", loader=HVMLOADER))
    for kind, arch in kinds:
        if kind == "hvm":
            caps.guests.append(_guest("xenpvh", arch, "xenpvh", loader=None))
    return caps


def _guest(os_type: str, arch: str, machine: str, loader: str | None) -> Guest:
    guest = Guest()
    guest.os_type = os_type
    guest_arch = GuestArch()
    guest_arch.name = arch
    guest_arch.wordsize = _WORDSIZE.get(arch)
    guest_arch.emulator = EMULATOR
    guest_arch.loader = loader
    entry = Machine()
    entry.name = machine
    guest_arch.machines = [entry]
    domain = GuestDomain()
    domain.type = "xen"
    guest_arch.domains = [domain]
    guest.arch = guest_arch
    return guest
