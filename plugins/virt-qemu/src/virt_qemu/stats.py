"""A running guest's statistics, read the way libvirt's QEMU driver reads them.

vCPUs: their threads from QMP ``query-cpus-fast`` (kept per QEMU run until the vCPU count changes),
processor time and last CPU from ``/proc/PID/task/TID/stat``, affinity from ``sched_getaffinity``,
wait and delay from the thread's ``sched``/``schedstat``. Memory: ``query-balloon``'s actual size,
the guest's own figures the balloon keeps (``virt_qemu.balloon``) and the process's RSS. Disks:
``query-blockstats`` and ``query-named-block-nodes`` (our block nodes are ``diskN-format`` /
``diskN-storage``, N the disk's position). Interfaces: the tap device's counters in
``/proc/net/dev``, seen from the guest (rx and tx swapped). KVM's own counters: ``query-stats`` for
the vm and its vCPUs, typed by ``query-stats-schemas`` (asked once per QEMU run).

Every function here is called with the domain's lock held and a usable monitor.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from virt.domainstats import (
    BlockInfo,
    BlockStats,
    InterfaceStats,
    MemoryStat,
    MemoryStats,
    StatsListing,
    VcpuInfo,
    VcpuState,
)
from virt.errors import ErrorNumber
from virt.localstate import stats as rules

from virt_qemu import errors
from virt_qemu.process import CLOCK_TICKS

if TYPE_CHECKING:
    from virt.xml import Domain
    from virt.xml.devices import Disk

    from virt_qemu.runtime import Running

Execute = Callable[..., Any]
"""``execute(command, arguments=None)``: one QMP command on the domain's monitor."""

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
# guest-stats fields -> libvirt's tags and their divisors (bytes become KiB), in libvirt's order
_BALLOON_FIELDS = (
    ("stat-swap-in", MemoryStat.SWAP_IN, 1024),
    ("stat-swap-out", MemoryStat.SWAP_OUT, 1024),
    ("stat-major-faults", MemoryStat.MAJOR_FAULT, 1),
    ("stat-minor-faults", MemoryStat.MINOR_FAULT, 1),
    ("stat-free-memory", MemoryStat.UNUSED, 1024),
    ("stat-total-memory", MemoryStat.AVAILABLE, 1024),
    ("stat-available-memory", MemoryStat.USABLE, 1024),
)
_BALLOON_LATE_FIELDS = (
    ("stat-disk-caches", MemoryStat.DISK_CACHES, 1024),
    ("stat-htlb-pgalloc", MemoryStat.HUGETLB_PGALLOC, 1),
    ("stat-htlb-pgfail", MemoryStat.HUGETLB_PGFAIL, 1),
)
_NOT_COLLECTED = 2**64 - 1
"""QEMU's value for a balloon statistic the guest never reported (-1 as uint64)."""


# -- what is kept per QEMU run ------------------------------------------------------------------------
@attrs.define
class RunFacts:
    """Facts of one QEMU run that do not change while it runs (or only with the vCPU count)."""

    vcpu_threads: list[tuple[int, int, str]] = attrs.Factory(list)
    """(vCPU index, thread id, QOM path) of the online vCPUs."""
    stat_types: dict[tuple[str, str], tuple[str, str]] | None = None
    """(target, name) -> (type, unit) from query-stats-schemas; {} when QEMU has none."""
    balloon_looked_up: bool = False
    balloon_path: str | None = None
    """The balloon's QOM path (virt_qemu.balloon), looked up once: libvirt's ballooninit and balloonpath."""


_facts: dict[int, RunFacts] = {}
"""By QEMU pid; entries of QEMUs that are gone are dropped as new ones are made."""
_facts_lock = threading.Lock()


def facts_of(running: Running) -> RunFacts:
    with _facts_lock:  # bulk statistics visit guests from several threads
        found = _facts.get(running.pid)
        if found is None:
            for pid in [pid for pid in _facts if not Path(f"/proc/{pid}").exists()]:
                del _facts[pid]
            found = _facts[running.pid] = RunFacts()
        return found


# -- /proc ----------------------------------------------------------------------------------------------
def _task_stat(pid: int, tid: int) -> tuple[int, int, int] | None:
    """(utime, stime) in nanoseconds and the CPU last run on, of one thread."""
    try:
        raw = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2 :].split()
    to_ns = 1_000_000_000 // CLOCK_TICKS
    return int(fields[11]) * to_ns, int(fields[12]) * to_ns, int(fields[36])


def process_times(pid: int) -> tuple[int, int]:
    """(user, system) nanoseconds of the whole QEMU process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0, 0
    fields = raw[raw.rfind(")") + 2 :].split()
    to_ns = 1_000_000_000 // CLOCK_TICKS
    return int(fields[11]) * to_ns, int(fields[12]) * to_ns


def rss_kib(pid: int) -> int | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2 :].split()
    return int(fields[21]) * PAGE_KIB


def _sched_wait_delay(pid: int, tid: int) -> tuple[int, int]:
    """(wait, delay) nanoseconds: ``wait_sum`` of the thread's sched file (0 without schedstats), and
    the run delay of its schedstat (libvirt's qemuGetSchedInfo)."""
    wait = delay = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        delay = int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[1])
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/task/{tid}/sched").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip().endswith("wait_sum"):
                whole, _, fraction = value.strip().partition(".")
                wait = int(whole) * 1_000_000 + int((fraction + "000000")[:6])
    return wait, delay


# -- vCPUs ------------------------------------------------------------------------------------------------
def vcpu_threads(execute: Execute, running: Running, online: int) -> list[tuple[int, int, str]]:
    facts = facts_of(running)
    if len(facts.vcpu_threads) != online:
        cpus = execute("query-cpus-fast")
        facts.vcpu_threads = sorted(
            (int(cpu["cpu-index"]), int(cpu["thread-id"]), str(cpu.get("qom-path", ""))) for cpu in cpus
        )
    return facts.vcpu_threads


def vcpus(execute: Execute, running: Running, definition: Domain) -> list[VcpuInfo]:
    """libvirt's qemuDomainHelperGetVcpus: one record per online vCPU."""
    found = []
    for number, tid, _ in vcpu_threads(execute, running, rules.current_vcpus(definition)):
        stat = _task_stat(running.pid, tid)
        user, system, cpu = stat if stat is not None else (0, 0, -1)
        try:
            affinity = frozenset(os.sched_getaffinity(tid))
        except OSError:
            affinity = frozenset()
        found.append(VcpuInfo(number, VcpuState.RUNNING, user + system, cpu, affinity))
    return found


# -- memory -----------------------------------------------------------------------------------------------
def has_balloon(definition: Domain) -> bool:
    devices = definition.devices
    return devices is not None and devices.memballoon is not None and devices.memballoon.model != "none"


def memory_stats(execute: Execute, running: Running, definition: Domain) -> MemoryStats:
    """libvirt's qemuDomainMemoryStatsInternal: the balloon's figures (when there is one), then the RSS."""
    from virt_qemu import balloon

    stats: MemoryStats = []
    devices = definition.devices
    if devices is not None and devices.memballoon is not None and has_balloon(definition):
        stats.append((MemoryStat.ACTUAL_BALLOON, int(execute("query-balloon")["actual"]) // 1024))
        guest = balloon.guest_stats(execute, facts_of(running), devices.memballoon)
        if guest is not None:
            figures = guest.get("stats", {})
            for field, tag, divisor in _BALLOON_FIELDS:
                _balloon_figure(stats, figures, field, tag, divisor)
            _balloon_figure(stats, guest, "last-update", MemoryStat.LAST_UPDATE, 1)
            for field, tag, divisor in _BALLOON_LATE_FIELDS:
                _balloon_figure(stats, figures, field, tag, divisor)
    rss = rss_kib(running.pid)
    if rss is None:
        raise errors.operation_failed("cannot get RSS for domain")
    stats.append((MemoryStat.RSS, rss))
    return stats


def _balloon_figure(stats: MemoryStats, source: dict[str, Any], field: str, tag: MemoryStat, divisor: int) -> None:
    value = source.get(field)
    if isinstance(value, int) and value >= 0 and value != _NOT_COLLECTED:
        stats.append((tag, value // divisor))


# -- disks ------------------------------------------------------------------------------------------------
@attrs.frozen
class DiskFigures:
    """What QMP says of one disk: its counters and (with sizes) its node's sizes."""

    stats: dict[str, Any]
    capacity: int = 0
    actual_size: int = 0


def disk_index_of_node(entry: dict[str, Any]) -> int | None:
    """The position of the disk a block node (``diskN-format`` / ``diskN-storage``) belongs to."""
    name = str(entry.get("node-name") or "")
    if name.startswith("disk") and name.endswith(("-format", "-storage")):
        number = name[4:].split("-", 1)[0]
        return int(number) if number.isdigit() else None
    return None


def disk_figures(execute: Execute, definition: Domain, *, sizes: bool) -> dict[int, DiskFigures]:
    """Figures by disk position: ``query-blockstats`` (and ``query-named-block-nodes`` with ``sizes``).

    A disk whose node QEMU named itself (the base an active commit pivoted onto) is found by its file."""
    entries = execute("query-blockstats")
    devices = definition.devices
    disks = devices.disks if devices is not None else []
    empty = iter([n for n, disk in enumerate(disks) if rules.disk_source(disk) is None])
    foreign = any(disk_index_of_node(e) is None and e.get("node-name") for e in entries)
    nodes = execute("query-named-block-nodes", {"flat": True}) if sizes or foreign else []
    by_source = {rules.disk_source(disk): n for n, disk in enumerate(disks) if rules.disk_source(disk)}
    files = {str(node.get("node-name")): str(node.get("file")) for node in nodes}

    def position(entry: dict[str, Any]) -> int | None:
        index = disk_index_of_node(entry)
        if index is None and entry.get("node-name"):
            index = by_source.get(files.get(str(entry["node-name"]), ""))
        return index

    by_disk: dict[int, dict[str, Any]] = {}
    roots: dict[str, int] = {}
    for entry in entries:
        index = position(entry)
        if index is None and not entry.get("node-name"):
            # a drive with no medium has no node: the empty disks, in order
            index = next(empty, None)
        if index is not None:
            by_disk[index] = entry.get("stats", {})
            if entry.get("node-name"):
                roots[str(entry["node-name"])] = index
    node_sizes: dict[int, tuple[int, int]] = {}
    for node in nodes if sizes and by_disk else []:
        index = roots.get(str(node.get("node-name", "")))
        image = node.get("image", {})
        if index is not None:
            node_sizes[index] = (int(image.get("virtual-size", 0)), int(image.get("actual-size", 0)))
    return {n: DiskFigures(stats, *node_sizes.get(n, (0, 0))) for n, stats in by_disk.items()}


def block_stats(figures: DiskFigures) -> BlockStats:
    stats = figures.stats
    return BlockStats(
        rd_req=int(stats.get("rd_operations", 0)),
        rd_bytes=int(stats.get("rd_bytes", 0)),
        wr_req=int(stats.get("wr_operations", 0)),
        wr_bytes=int(stats.get("wr_bytes", 0)),
        errs=-1,
        flush_req=int(stats.get("flush_operations", 0)),
        rd_total_times=int(stats.get("rd_total_time_ns", 0)),
        wr_total_times=int(stats.get("wr_total_time_ns", 0)),
        flush_total_times=int(stats.get("flush_total_time_ns", 0)),
    )


def summed(all_stats: list[BlockStats]) -> BlockStats:
    """Every disk's counters added up (a call naming no disk)."""

    def total(name: str) -> int:
        return sum(getattr(s, name) or 0 for s in all_stats)

    return BlockStats(
        rd_req=total("rd_req"),
        rd_bytes=total("rd_bytes"),
        wr_req=total("wr_req"),
        wr_bytes=total("wr_bytes"),
        errs=-1,
        flush_req=total("flush_req"),
        rd_total_times=total("rd_total_times"),
        wr_total_times=total("wr_total_times"),
        flush_total_times=total("flush_total_times"),
    )


def file_sizes(disk: Disk) -> BlockInfo | None:
    """A disk's sizes from its file alone, as libvirt reads an inactive domain's (qemuStorageLimitsRefresh)."""
    path = rules.disk_source(disk)
    if path is None:
        return None
    try:
        st = Path(path).stat()
    except OSError as exc:
        raise errors.error(ErrorNumber.SYSTEM_ERROR, f"cannot stat file '{path}': {exc.strerror}") from exc
    capacity = st.st_size
    if disk.driver is not None and disk.driver.type == "qcow2":
        capacity = _qcow2_size(path) or capacity
    return BlockInfo(capacity=capacity, allocation=st.st_blocks * 512, physical=st.st_size)


def _qcow2_size(path: str) -> int | None:
    with contextlib.suppress(OSError), open(path, "rb") as handle:
        header = handle.read(32)
        if header[:4] == b"QFI\xfb":
            return int.from_bytes(header[24:32], "big")
    return None


def live_block_info(figures: DiskFigures, disk: Disk) -> BlockInfo:
    """libvirt's qemuDomainGetBlockInfo for a running domain: allocation is the highest offset written
    (the node's allocated size for qcow2 files, or while nothing was written), physical the file's size."""
    qcow2 = disk.driver is not None and disk.driver.type == "qcow2"
    written = figures.stats.get("wr_highest_offset")
    allocation = figures.actual_size if qcow2 or not isinstance(written, int) else written
    physical = figures.actual_size
    if figures.actual_size == 0 or allocation == 0 or allocation == figures.actual_size:
        if allocation == 0:
            allocation = figures.actual_size
        path = rules.disk_source(disk)
        if path is not None:
            with contextlib.suppress(OSError):
                physical = Path(path).stat().st_size
    return BlockInfo(capacity=figures.capacity, allocation=allocation, physical=physical)


# -- interfaces -------------------------------------------------------------------------------------------
def tap_names(pid: int) -> list[str]:
    """The tap devices QEMU holds open, in the order it opened them (``iff:`` of /dev/net/tun's fdinfo)."""
    found: list[tuple[int, str]] = []
    with contextlib.suppress(OSError):
        for entry in Path(f"/proc/{pid}/fdinfo").iterdir():
            with contextlib.suppress(OSError, ValueError):
                for line in entry.read_text().splitlines():
                    if line.startswith("iff:"):
                        found.append((int(entry.name), line.split(":", 1)[1].strip()))
    return [name for _, name in sorted(found)]


def interface_tap(definition: Domain, iface_index: int, pid: int) -> str | None:
    """The host device behind interface ``iface_index``: its <target dev> for an existing tap, else the
    tap QEMU opened for it (QEMU opens the taps of tap-backed interfaces in their order)."""
    devices = definition.devices
    interfaces = devices.interfaces if devices is not None else []
    iface = interfaces[iface_index]
    if iface.type == "user":
        return None
    if iface.type == "ethernet":
        return iface.target.dev if iface.target is not None else None
    helper_taps = [n for n, i in enumerate(interfaces) if i.type in ("bridge", "network")]
    opened = [name for name in tap_names(pid) if name not in _existing_taps(interfaces)]
    position = helper_taps.index(iface_index)
    return opened[position] if position < len(opened) else None


def _existing_taps(interfaces: list[Any]) -> set[str]:
    return {i.target.dev for i in interfaces if i.type == "ethernet" and i.target is not None and i.target.dev}


def proc_net_dev() -> dict[str, list[int]]:
    """/proc/net/dev: the 16 counters of each device."""
    table: dict[str, list[int]] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/dev").read_text().splitlines()[2:]:
            name, _, counters = line.partition(":")
            with contextlib.suppress(ValueError):
                table[name.strip()] = [int(value) for value in counters.split()]
    return table


def tap_stats(tap: str | None, table: dict[str, list[int]] | None = None) -> InterfaceStats:
    """A tap's counters as the guest sees them (the host's rx is the guest's tx)."""
    counters = (table if table is not None else proc_net_dev()).get(tap or "")
    if counters is None:
        raise errors.internal("/proc/net/dev: Interface not found")
    rx_bytes, rx_packets, rx_errs, rx_drop = counters[0:4]
    tx_bytes, tx_packets, tx_errs, tx_drop = counters[8:12]
    return InterfaceStats(tx_bytes, tx_packets, tx_errs, tx_drop, rx_bytes, rx_packets, rx_errs, rx_drop)


# -- KVM's counters -----------------------------------------------------------------------------------------
def kvm_stat_types(execute: Execute, running: Running) -> dict[tuple[str, str], tuple[str, str]]:
    from virt_qemu.monitor import QMPError

    facts = facts_of(running)
    if facts.stat_types is None:
        types: dict[tuple[str, str], tuple[str, str]] = {}
        with contextlib.suppress(QMPError):
            for schema in execute("query-stats-schemas"):
                for stat in schema.get("stats", []):
                    types[(schema["target"], stat["name"])] = (stat.get("type", ""), stat.get("unit", ""))
        facts.stat_types = types
    return facts.stat_types


_SUFFIXES = {"cumulative": "sum", "instant": "cur", "peak": "max"}


def add_kvm_stats(
    listing: StatsListing,
    prefix: str,
    stats: list[dict[str, Any]],
    target: str,
    types: dict[tuple[str, str], tuple[str, str]],
) -> None:
    """KVM's counters as libvirt names them: ``PREFIX.NAME.sum|cur|max`` (histograms left out)."""
    from virt.domainstats import ParamType

    for stat in stats:
        name, value = stat.get("name"), stat.get("value")
        kind, unit = types.get((target, str(name)), ("", ""))
        suffix = _SUFFIXES.get(kind)
        if suffix is None or not isinstance(value, int):  # histograms (lists) are left out, as libvirt does
            continue
        field = f"{prefix}.{name}.{suffix}"
        if unit == "boolean" or isinstance(value, bool):
            listing.add(field, ParamType.BOOLEAN, bool(value))
        else:
            listing.add_ullong(field, value)


def query_stats(execute: Execute, target: str) -> list[dict[str, Any]]:
    from virt_qemu.monitor import QMPError

    try:
        result = execute("query-stats", {"target": target})
    except QMPError:
        return []
    return result if isinstance(result, list) else []


def vcpu_wait_delay(running: Running, tid: int) -> tuple[int, int]:
    return _sched_wait_delay(running.pid, tid)
