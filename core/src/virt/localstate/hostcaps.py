"""The ``<host>`` of a local driver's capabilities as libvirt's host code fills it from this host:
the processor's microcode, signature, topology, physical address bits and page sizes; the IOMMU;
the NUMA cells with their memory, pages, distances and processors; the level-3 caches; the
security model ``none``.

What libvirt works out with its CPU map (the host CPU's model, vendor and features) and what virt
does not do (suspend of the host, migration, the DAC security driver) is left out rather than claimed.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from pathlib import Path

from virt.errors import InvalidArgument
from virt.localstate.hostinfo import node_info, online_cpus
from virt.xml.capabilities import (
    IOMMU,
    Cache,
    CacheBank,
    Cell,
    CellCPU,
    CellCPUs,
    Cells,
    Distances,
    Host,
    HostCPU,
    HostCPUTopology,
    HostTopology,
    Pages,
    PowerManagement,
    SecModel,
    Sibling,
)

_SYS_CPU = Path("/sys/devices/system/cpu")
_SYS_NODE = Path("/sys/devices/system/node")
_HUGEPAGES = Path("/sys/kernel/mm/hugepages")
_IOMMU_GROUPS = Path("/sys/kernel/iommu_groups")
_CACHE_TYPES = {"Unified": "both", "Data": "data", "Instruction": "code"}
_CACHE_MIN_LEVEL = 3
"""libvirt reports the caches of this level and above only."""


def local_host(arch: str, *, processor_details: bool) -> Host:
    """The ``<host>`` of a local driver on this machine (``arch``: libvirt's name of its architecture);
    ``processor_details``: the processor's microcode, signature, topology and address bits, which
    libvirt's QEMU driver reports and its LXC driver does not."""
    cpu = HostCPU()
    cpu.arch = arch
    if processor_details:
        _processor_details(cpu)
    cpu.pages = [_pages(size) for size in page_sizes()]
    host = Host()
    host.uuid = host_uuid()
    host.cpu = cpu
    host.power_management = PowerManagement()  # none of the host's suspend states that virt drives
    iommu = IOMMU()
    iommu.support = _has_entries(_IOMMU_GROUPS)
    host.iommu = iommu
    host.topology = _numa()
    host.cache = _caches()
    secmodel = SecModel()
    secmodel.model, secmodel.doi = "none", "0"  # virt labels nothing for a security driver
    host.secmodels = [secmodel]
    return host


def host_uuid() -> uuid.UUID | None:
    """The host's UUID: ``$VIRT_HOST_UUID`` when set (libvirtd.conf's host_uuid: daemons sharing one
    machine, which migration tells apart by it), SMBIOS when readable (root), else systemd's
    machine-id, which is one too."""
    override = os.environ.get("VIRT_HOST_UUID")
    if override:
        try:
            return uuid.UUID(override)
        except ValueError:
            raise InvalidArgument(f"VIRT_HOST_UUID={override!r} is not a UUID") from None
    for source in (Path("/sys/class/dmi/id/product_uuid"), Path("/etc/machine-id")):
        with contextlib.suppress(OSError, ValueError):
            return uuid.UUID(source.read_text().strip())
    return None


def _processor_details(cpu: HostCPU) -> None:
    from lxml import etree

    facts = _cpuinfo()
    if "microcode" in facts:
        microcode = etree.Element("microcode")
        microcode.set("version", str(int(facts["microcode"], 0)))
        cpu.microcode = microcode
    if {"cpu family", "model", "stepping"} <= facts.keys():
        signature = etree.Element("signature")
        for name, key in (("family", "cpu family"), ("model", "model"), ("stepping", "stepping")):
            signature.set(name, facts[key])
        cpu.signature = signature
    info = node_info()
    topology = HostCPUTopology()
    topology.sockets, topology.dies, topology.cores, topology.threads = info.sockets, 1, info.cores, info.threads
    cpu.topology = topology
    bits = re.match(r"(\d+) bits physical", facts.get("address sizes", ""))
    if bits:
        maxphysaddr = etree.Element("maxphysaddr")
        maxphysaddr.set("mode", "emulate")
        maxphysaddr.set("bits", bits.group(1))
        cpu.maxphysaddr = maxphysaddr


def page_sizes() -> list[int]:
    """The page sizes of this host in KiB: the system's, then its huge pages', smallest first."""
    sizes = [os.sysconf("SC_PAGESIZE") // 1024]
    try:
        huge = [int(p.name.removeprefix("hugepages-").removesuffix("kB")) for p in _HUGEPAGES.iterdir()]
    except (OSError, ValueError):
        huge = []
    return sizes + sorted(huge)


def _pages(size: int, count: int | None = None) -> Pages:
    pages = Pages()
    pages.unit, pages.size, pages.count = "KiB", size, count
    return pages


def _cpuinfo() -> dict[str, str]:
    """The first processor's lines of /proc/cpuinfo."""
    facts: dict[str, str] = {}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return facts
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        facts.setdefault(key.strip(), value.strip())
    return facts


def _has_entries(folder: Path) -> bool:
    try:
        return any(folder.iterdir())
    except OSError:
        return False


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _node_numbers() -> list[int]:
    try:
        return sorted(int(p.name[4:]) for p in _SYS_NODE.glob("node[0-9]*"))
    except OSError:
        return []


def _numa() -> HostTopology:
    nodes = _node_numbers() or [0]
    cells = []
    for node in nodes:
        folder = _SYS_NODE / f"node{node}"
        cell = Cell()
        cell.id = node
        total_kib = _node_total_kib(folder)
        cell.memory = total_kib
        sizes = page_sizes()
        cell.pages = [_pages(sizes[0], total_kib // sizes[0])]
        for size in sizes[1:]:
            count = _read(folder / "hugepages" / f"hugepages-{size}kB" / "nr_hugepages")
            cell.pages.append(_pages(size, int(count) if count and count.isdigit() else 0))
        distances = Distances()
        values = (_read(folder / "distance") or "10").split()
        for other, value in zip(nodes, values, strict=False):
            sibling = Sibling()
            sibling.id, sibling.value = other, int(value)
            distances.siblings.append(sibling)
        cell.distances = distances
        cpus = CellCPUs()
        for number in _node_cpus(folder, nodes):
            cpus.cpus.append(_cell_cpu(number))
        cpus.num = len(cpus.cpus)
        cell.cpus = cpus
        cells.append(cell)
    wrapper = Cells()
    wrapper.num, wrapper.cells = len(cells), cells
    topology = HostTopology()
    topology.cells = wrapper
    return topology


def _node_total_kib(folder: Path) -> int:
    text = _read(folder / "meminfo") or _read(Path("/proc/meminfo")) or ""
    match = re.search(r"MemTotal:\s+(\d+)", text)
    return int(match.group(1)) if match else 0


def _node_cpus(folder: Path, nodes: list[int]) -> list[int]:
    online = set(online_cpus())
    if not folder.exists() and nodes == [0]:
        return sorted(online)
    found = []
    for entry in folder.glob("cpu[0-9]*"):
        number = int(entry.name[3:])
        if number in online:
            found.append(number)
    return sorted(found)


def _cell_cpu(number: int) -> CellCPU:
    topology = _SYS_CPU / f"cpu{number}" / "topology"
    cpu = CellCPU()
    cpu.id = number
    cpu.socket_id = int(_read(topology / "physical_package_id") or 0)
    cpu.die_id = int(_read(topology / "die_id") or 0)
    cpu.core_id = int(_read(topology / "core_id") or number)
    cpu.siblings = _read(topology / "thread_siblings_list") or str(number)
    return cpu


def _caches() -> Cache | None:
    banks: dict[tuple[int, int, str], tuple[int, list[int]]] = {}
    for number in online_cpus():
        for index in sorted((_SYS_CPU / f"cpu{number}" / "cache").glob("index[0-9]*")):
            level = int(_read(index / "level") or 0)
            kind = _CACHE_TYPES.get(_read(index / "type") or "")
            size = _read(index / "size") or ""
            if level < _CACHE_MIN_LEVEL or kind is None or not size.endswith("K"):
                continue
            bank_id = int(_read(index / "id") or 0)
            banks.setdefault((level, bank_id, kind), (int(size[:-1]), []))[1].append(number)
    if not banks:
        return None
    cache = Cache()
    for (level, bank_id, kind), (size_kib, cpus) in sorted(banks.items()):
        bank = CacheBank()
        bank.id, bank.level, bank.type, bank.cpus = bank_id, level, kind, _cpu_ranges(cpus)
        bank.size, bank.unit = _pretty(size_kib)
        cache.banks.append(bank)
    return cache


def _pretty(kib: int) -> tuple[int, str]:
    """A size in the largest unit that holds it whole, as libvirt prints cache sizes."""
    value, unit = kib, "KiB"
    for bigger in ("MiB", "GiB", "TiB"):
        if value % 1024:
            break
        value, unit = value // 1024, bigger
    return value, unit


def _cpu_ranges(cpus: list[int]) -> str:
    """[0, 1, 2, 5] -> ``0-2,5`` (libvirt's bitmap format)."""
    parts = []
    ordered = sorted(set(cpus))
    start = previous = ordered[0]
    for number in [*ordered[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ",".join(parts)
