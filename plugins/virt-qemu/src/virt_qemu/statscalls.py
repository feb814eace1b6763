"""The statistics and information calls of ``qemu:///`` connections (a mixin of QemuConnection),
with the rules and messages of libvirt's QEMU driver.

Bulk statistics (virConnectGetAllDomainStats) gather each running guest's groups over its own
monitor; the guests are visited by a few worker threads at once, each under the guest's lock, so
that the QMP round trips of different guests overlap. ``/proc/net/dev`` is read once per call.
Groups libvirt fills only for features the command builder refuses (perf events, iothreads,
memory bandwidth monitors) are accepted and, as in libvirt for such guests, give nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from virt.domainstats import (
    BlockInfo,
    BlockStats,
    DomainStatsRecord,
    GuestTime,
    InterfaceStats,
    MemoryStat,
    MemoryStats,
    NodeCPUMap,
    ParamType,
    StatsGroup,
    StatsListing,
    TypedParameter,
    VcpuInfo,
)
from virt.errors import ErrorDomain, ErrorNumber
from virt.info import DomainRecord
from virt.localstate import stats as rules
from virt.localstate.connection import ref_of

from virt_qemu import errors
from virt_qemu import stats as qstats

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.info import DomainFilter
    from virt.xml import Domain

    from virt_qemu.driver import QemuDriver
    from virt_qemu.runtime import DomainObj, Running

SUPPORTED_GROUPS = StatsGroup(sum(StatsGroup))
STATS_WORKERS = 8
"""Guests whose statistics are gathered at once (their QMP round trips overlap)."""
_DIRTY_RATE_STATUS = {"unstarted": 0, "measuring": 1, "measured": 2}
_BALLOON_NAMES = {
    MemoryStat.SWAP_IN: "swap_in",
    MemoryStat.SWAP_OUT: "swap_out",
    MemoryStat.MAJOR_FAULT: "major_fault",
    MemoryStat.MINOR_FAULT: "minor_fault",
    MemoryStat.UNUSED: "unused",
    MemoryStat.AVAILABLE: "available",
    MemoryStat.RSS: "rss",
    MemoryStat.LAST_UPDATE: "last-update",
    MemoryStat.USABLE: "usable",
    MemoryStat.DISK_CACHES: "disk_caches",
    MemoryStat.HUGETLB_PGALLOC: "hugetlb_pgalloc",
    MemoryStat.HUGETLB_PGFAIL: "hugetlb_pgfail",
}


def _host_cpus() -> frozenset[int]:
    from virt.localstate import hostinfo

    return frozenset(range(hostinfo.cpu_count()))


class QemuStatsOperations:
    """Statistics methods of QemuConnection."""

    if TYPE_CHECKING:

        @property
        def qemu(self) -> QemuDriver: ...

    def _running(self, obj: DomainObj) -> tuple[Running, qstats.Execute]:
        running = self.qemu._usable(obj)
        return running, lambda command, arguments=None: self.qemu.qmp(obj, command, arguments)

    # -- host CPUs, vCPUs and pinning -------------------------------------------------------------------
    def get_node_cpu_map(self) -> NodeCPUMap:
        from virt.localstate import hostinfo

        return NodeCPUMap(hostinfo.cpu_count(), frozenset(hostinfo.online_cpus()))

    def get_domain_vcpus(self, ref: DomainRef) -> list[VcpuInfo]:
        with self.qemu.locked(ref) as obj:
            if not obj.active:
                raise errors.error(
                    ErrorNumber.OPERATION_INVALID, "cannot retrieve vcpu information for inactive domain"
                )
            running, execute = self._running(obj)
            return qstats.vcpus(execute, running, obj.current)

    def get_domain_vcpu_pin_info(
        self, ref: DomainRef, *, live: bool = False, config: bool = False
    ) -> list[frozenset[int]]:
        with self.qemu.locked(ref) as obj:
            definition = rules.one_definition(obj, live=live, config=config)
            return rules.vcpu_affinities(definition, _host_cpus())

    def get_domain_emulator_pin_info(
        self, ref: DomainRef, *, live: bool = False, config: bool = False
    ) -> frozenset[int]:
        with self.qemu.locked(ref) as obj:
            definition = rules.one_definition(obj, live=live, config=config)
            return rules.emulator_affinity(definition, _host_cpus())

    # -- memory, disks, interfaces --------------------------------------------------------------------------
    def get_domain_memory_stats(self, ref: DomainRef) -> MemoryStats:
        with self.qemu.locked(ref) as obj:
            running, execute = self._running(obj)
            return qstats.memory_stats(execute, running, obj.current)

    def _disk_stats(self, ref: DomainRef, disk: str) -> BlockStats:
        with self.qemu.locked(ref) as obj:
            self._running(obj)
            definition = obj.current
            position = None
            if disk:
                found = rules.find_disk(definition, disk)
                if found is None:
                    raise errors.error(ErrorNumber.INVALID_ARG, f"invalid path: {disk}")
                position = _position(definition, found)
            _, execute = self._running(obj)
            figures = qstats.disk_figures(execute, definition, sizes=False)
        if position is None:
            return qstats.summed([qstats.block_stats(f) for f in figures.values()])
        found_figures = figures.get(position)
        if found_figures is None:
            raise errors.internal(f"cannot find statistics for device '{disk}'")
        return qstats.block_stats(found_figures)

    def get_domain_block_stats(self, ref: DomainRef, disk: str) -> BlockStats:
        return self._disk_stats(ref, disk)

    def get_domain_block_stats_flags(self, ref: DomainRef, disk: str) -> list[TypedParameter]:
        return self._disk_stats(ref, disk).parameters()

    def get_domain_interface_stats(self, ref: DomainRef, device: str) -> InterfaceStats:
        with self.qemu.locked(ref) as obj:
            running, _ = self._running(obj)
            definition = obj.current
            iface = rules.find_interface(definition, device)
            devices = definition.devices
            assert devices is not None
            tap = qstats.interface_tap(definition, devices.interfaces.index(iface), running.pid)
        return qstats.tap_stats(tap)

    def get_domain_block_info(self, ref: DomainRef, disk: str) -> BlockInfo:
        with self.qemu.locked(ref) as obj:
            definition = obj.current
            found = rules.find_disk(definition, disk, by_source=False)
            if found is None:
                raise errors.error(ErrorNumber.INVALID_ARG, f"invalid path {disk} not assigned to domain")
            if rules.disk_source(found) is None:
                raise errors.error(ErrorNumber.INVALID_ARG, f"disk '{disk}' does not currently have a source assigned")
            if not obj.active:
                info = qstats.file_sizes(found)
                assert info is not None
                return info
            _, execute = self._running(obj)
            figures = qstats.disk_figures(execute, definition, sizes=True).get(_position(definition, found))
        if figures is None:
            raise errors.internal(f"cannot find statistics for device '{disk}'")
        return qstats.live_block_info(figures, found)

    # -- bulk statistics ------------------------------------------------------------------------------------
    def get_domain_stats(
        self,
        refs: Sequence[DomainRef] | None,
        groups: StatsGroup,
        filter: DomainFilter,
        *,
        enforce: bool = False,
        backing: bool = False,
        nowait: bool = False,
    ) -> list[DomainStatsRecord]:
        wanted = rules.stats_groups(groups, SUPPORTED_GROUPS, enforce=enforce, error_domain=ErrorDomain.QEMU)
        objs = self.qemu.listing(filter) if refs is None else [self.qemu.find(ref) for ref in refs]
        if refs is not None:
            objs = [o for o in objs if filter.matches(DomainRecord(o.active, o.persistent, o.state, o.autostart))]
        net = qstats.proc_net_dev() if wanted & StatsGroup.INTERFACE else {}
        gather = _Gatherer(self.qemu, wanted, net)
        if len(objs) <= 1:
            return [r for r in map(gather.one, objs) if r is not None]
        with ThreadPoolExecutor(min(STATS_WORKERS, len(objs)), thread_name_prefix="virt-qemu stats") as pool:
            return [r for r in pool.map(gather.one, objs) if r is not None]

    # -- jobs and the guest's clock -------------------------------------------------------------------------
    # (the domain's job information is migrationcalls': migration is the job that outlives its call)

    def get_domain_time(self, ref: DomainRef) -> GuestTime:
        from virt_qemu.guestcalls import agent_execute

        with self.qemu.locked(ref) as obj:
            if not obj.active:
                raise errors.not_running()
        nanoseconds = agent_execute(self.qemu, ref, "guest-get-time")
        if not isinstance(nanoseconds, int):
            raise errors.internal("malformed return value")
        return GuestTime(nanoseconds // 1_000_000_000, nanoseconds % 1_000_000_000)


def _position(definition: Domain, disk: Any) -> int:
    devices = definition.devices
    assert devices is not None
    return next(n for n, d in enumerate(devices.disks) if d is disk)


class _Gatherer:
    """One bulk statistics call: each domain's record, built under its lock (libvirt's stats workers)."""

    def __init__(self, qemu: QemuDriver, groups: StatsGroup, net: dict[str, list[int]]) -> None:
        self.qemu = qemu
        self.groups = groups
        self.net = net
        self._vcpu_kvm: dict[uuid.UUID, list[dict[str, Any]]] = {}

    def one(self, obj: DomainObj) -> DomainStatsRecord | None:
        from virt.errors import VirtError

        listing = StatsListing()
        with obj.lock:
            if self.qemu.domains.get(obj.uuid) is not obj:
                return None  # undefined meanwhile
            usable = obj.active and obj.running is not None and obj.running.monitor is not None and obj.broken is None
            execute = (lambda c, a=None: self.qemu.qmp(obj, c, a)) if usable else None
            for group, worker in _WORKERS:
                if self.groups & group:
                    try:
                        worker(self, obj, execute, listing)
                    except VirtError:
                        continue  # libvirt leaves a group out when it cannot be read (the guest went away)
            return listing.record(ref_of(obj))

    # the groups, in libvirt's order
    def state(self, obj: DomainObj, execute: qstats.Execute | None, listing: StatsListing) -> None:
        listing.add_int("state.state", int(obj.state))
        listing.add_int("state.reason", obj.reason)

    def cpu(self, obj: DomainObj, execute: qstats.Execute | None, listing: StatsListing) -> None:
        if execute is None or obj.running is None:
            return
        user, system = qstats.process_times(obj.running.pid)
        listing.add_ullong("cpu.time", user + system)
        listing.add_ullong("cpu.user", user)
        listing.add_ullong("cpu.system", system)
        listing.add_uint("cpu.cache.monitor.count", 0)
        success = fail = 0
        found = False
        for vcpu in self._vcpu_kvm_stats(obj, execute):
            for stat in vcpu.get("stats", []):
                if stat.get("name") == "halt_poll_success_ns":
                    success, found = success + int(stat["value"]), True
                elif stat.get("name") == "halt_poll_fail_ns":
                    fail, found = fail + int(stat["value"]), True
        if found:
            listing.add_ullong("cpu.haltpoll.success.time", success)
            listing.add_ullong("cpu.haltpoll.fail.time", fail)

    def balloon(self, obj: DomainObj, execute: qstats.Execute | None, listing: StatsListing) -> None:
        definition = obj.current
        maximum = definition.memory or 0
        if execute is None or obj.running is None:
            listing.add_ullong("balloon.current", definition.current_memory or maximum)
            listing.add_ullong("balloon.maximum", maximum)
            return
        stats = qstats.memory_stats(execute, obj.running, definition)
        actual = next((value for tag, value in stats if tag is MemoryStat.ACTUAL_BALLOON), maximum)
        listing.add_ullong("balloon.current", actual)
        listing.add_ullong("balloon.maximum", maximum)
        for tag, value in stats:
            name = _BALLOON_NAMES.get(tag)
            if name is not None:
                listing.add_ullong(f"balloon.{name}", value)

    def vcpu(self, obj: DomainObj, execute: qstats.Execute | None, listing: StatsListing) -> None:
        definition = obj.current
        listing.add_uint("vcpu.current", rules.current_vcpus(definition))
        listing.add_uint("vcpu.maximum", rules.max_vcpus(definition))
        if execute is None or obj.running is None:
            return
        running = obj.running
        kvm = {str(v.get("qom-path")): v.get("stats", []) for v in self._vcpu_kvm_stats(obj, execute)}
        types = qstats.kvm_stat_types(execute, running)
        threads = qstats.vcpu_threads(execute, running, rules.current_vcpus(definition))
        for info, (number, tid, qom_path) in zip(qstats.vcpus(execute, running, definition), threads, strict=False):
            listing.add_int(f"vcpu.{number}.state", int(info.state))
            listing.add_ullong(f"vcpu.{number}.time", info.cpu_time_ns)
            wait, delay = qstats.vcpu_wait_delay(running, tid)
            listing.add_ullong(f"vcpu.{number}.wait", wait)
            listing.add_ullong(f"vcpu.{number}.delay", delay)
            qstats.add_kvm_stats(listing, f"vcpu.{number}", kvm.get(qom_path, []), "vcpu", types)

    def interface(self, obj: DomainObj, execute: qstats.Execute | None, listing: StatsListing) -> None:
        if execute is None or obj.running is None:
            return
        definition = obj.current
        interfaces = definition.devices.interfaces if definition.devices is not None else []
        listing.add_uint("net.count", len(interfaces))
        for n in range(len(interfaces)):
            tap = qstats.interface_tap(definition, n, obj.running.pid)
            if tap is None:
                continue
            listing.add_string(f"net.{n}.name", tap)
            if tap not in self.net:
                continue
            stats = qstats.tap_stats(tap, self.net)
            for direction, values in (
                ("rx", (stats.rx_bytes, stats.rx_packets, stats.rx_errs, stats.rx_drop)),
                ("tx", (stats.tx_bytes, stats.tx_packets, stats.tx_errs, stats.tx_drop)),
            ):
                for name, value in zip(("bytes", "pkts", "errs", "drop"), values, strict=True):
                    listing.add_ullong(f"net.{n}.{direction}.{name}", value)

    def block(self, obj: DomainObj, execute: qstats.Execute | None, listing: StatsListing) -> None:
        definition = obj.current
        disks = definition.devices.disks if definition.devices is not None else []
        figures = qstats.disk_figures(execute, definition, sizes=True) if execute is not None else {}
        listing.add_uint("block.count", len(disks))
        for n, disk in enumerate(disks):
            path = rules.disk_source(disk)
            listing.add_string(f"block.{n}.name", (disk.target.dev if disk.target is not None else None) or "")
            if path is not None:
                listing.add_string(f"block.{n}.path", path)
                # libvirt numbers the block nodes of a start from the last disk to the first
                listing.add_uint(f"block.{n}.backingIndex", len(disks) - n)
            found = figures.get(n)
            if found is not None:
                stats = qstats.block_stats(found)
                for name, value in (
                    ("rd.reqs", stats.rd_req),
                    ("rd.bytes", stats.rd_bytes),
                    ("rd.times", stats.rd_total_times),
                    ("wr.reqs", stats.wr_req),
                    ("wr.bytes", stats.wr_bytes),
                    ("wr.times", stats.wr_total_times),
                    ("fl.reqs", stats.flush_req),
                    ("fl.times", stats.flush_total_times),
                ):
                    listing.add_ullong(f"block.{n}.{name}", value or 0)
            if path is None:
                continue
            if found is not None:
                listing.add_ullong(f"block.{n}.allocation", int(found.stats.get("wr_highest_offset", 0)))
                listing.add_ullong(f"block.{n}.capacity", found.capacity)
                listing.add_ullong(f"block.{n}.physical", found.actual_size)
            elif execute is None and Path(path).exists():
                sizes = qstats.file_sizes(disk)
                if sizes is not None:
                    listing.add_ullong(f"block.{n}.allocation", sizes.allocation)
                    listing.add_ullong(f"block.{n}.capacity", sizes.capacity)
                    listing.add_ullong(f"block.{n}.physical", sizes.physical)

    def dirty_rate(self, obj: DomainObj, execute: qstats.Execute | None, listing: StatsListing) -> None:
        if execute is None:
            return
        rate = execute("query-dirty-rate")
        listing.add_int("dirtyrate.calc_status", _DIRTY_RATE_STATUS.get(str(rate.get("status")), 0))
        listing.add("dirtyrate.calc_start_time", ParamType.LLONG, int(rate.get("start-time", 0)))
        listing.add_int("dirtyrate.calc_period", int(rate.get("calc-time", 0)))
        if "mode" in rate:
            listing.add_string("dirtyrate.calc_mode", str(rate["mode"]))
        if rate.get("status") == "measured" and "dirty-rate" in rate:
            listing.add("dirtyrate.megabytes_per_second", ParamType.LLONG, int(rate["dirty-rate"]))

    def vm(self, obj: DomainObj, execute: qstats.Execute | None, listing: StatsListing) -> None:
        if execute is None or obj.running is None:
            return
        types = qstats.kvm_stat_types(execute, obj.running)
        for provider in qstats.query_stats(execute, "vm"):
            qstats.add_kvm_stats(listing, "vm", provider.get("stats", []), "vm", types)

    def _vcpu_kvm_stats(self, obj: DomainObj, execute: qstats.Execute) -> list[dict[str, Any]]:
        # asked once per domain and call: the cpu and vcpu groups both read it
        found = self._vcpu_kvm.get(obj.uuid)
        if found is None:
            found = self._vcpu_kvm[obj.uuid] = qstats.query_stats(execute, "vcpu")
        return found


_WORKERS = (
    (StatsGroup.STATE, _Gatherer.state),
    (StatsGroup.CPU_TOTAL, _Gatherer.cpu),
    (StatsGroup.BALLOON, _Gatherer.balloon),
    (StatsGroup.VCPU, _Gatherer.vcpu),
    (StatsGroup.INTERFACE, _Gatherer.interface),
    (StatsGroup.BLOCK, _Gatherer.block),
    (StatsGroup.DIRTYRATE, _Gatherer.dirty_rate),
    (StatsGroup.VM, _Gatherer.vm),
)
