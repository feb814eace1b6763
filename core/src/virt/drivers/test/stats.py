"""The statistics calls of libvirt 9.0's test driver, with its answers and its errors.

The test driver makes its counters up: vCPU time and block and interface counters grow with the
wall clock (microseconds since the epoch divided by fixed numbers), memory statistics follow the
balloon's size, block sizes and the guest's clock are constants, and the host's CPU map is a fixed
8 CPUs of which 0, 2 and 4 are online. Bulk statistics have the state group only; jobs are not
supported. The numbers and messages are libvirt's, observed with python3-libvirt on test:///default.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from virt.domainstats import (
    BlockInfo,
    BlockStats,
    DomainStatsRecord,
    GuestTime,
    InterfaceStats,
    MemoryStat,
    MemoryStats,
    NodeCPUMap,
    StatsGroup,
    StatsListing,
    VcpuInfo,
    VcpuState,
)
from virt.drivers.test import errors
from virt.drivers.test.domains import ref_of
from virt.errors import ErrorDomain, ErrorNumber
from virt.info import DomainRecord
from virt.localstate import stats as rules

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.drivers.test.host import Host
    from virt.drivers.test.objects import DomainObj
    from virt.info import DomainFilter

NODE_CPUS = 8
NODE_ONLINE_CPUS = frozenset({0, 2, 4})
GUEST_TIME = GuestTime(627319920, 0)
"""Every test guest's clock (libvirt's test driver starts each domain's at this second)."""
BLOCK_INFO = BlockInfo(capacity=1099506450432, allocation=1099511627776, physical=1099511627776)
SUPPORTED_GROUPS = StatsGroup.STATE


def _clock_us() -> int:
    """What the test driver's counters grow from: microseconds since the epoch (g_get_real_time)."""
    return time.time_ns() // 1000


class StatsOperations:
    """Statistics methods of TestConnection."""

    host: Host

    if TYPE_CHECKING:

        def _domain(self, ref: DomainRef) -> DomainObj: ...  # DomainOperations'

    def _host_cpus(self) -> frozenset[int]:
        info = self.host.node_info
        return frozenset(range(info.nodes * info.sockets * info.cores * info.threads))

    def get_node_cpu_map(self) -> NodeCPUMap:
        return NodeCPUMap(NODE_CPUS, NODE_ONLINE_CPUS)

    def get_domain_vcpus(self, ref: DomainRef) -> list[VcpuInfo]:
        with self.host.lock:
            obj = self._domain(ref)
            if not obj.active:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "cannot list vcpus for an inactive domain")
            definition = obj.current
            affinities = rules.vcpu_affinities(definition, self._host_cpus())
            online = rules.current_vcpus(definition)
        cpu_time = _clock_us() // 10
        return [
            VcpuInfo(n, VcpuState.RUNNING, cpu_time, max(affinity, default=-1), affinity)
            for n, affinity in enumerate(affinities[:online])
        ]

    def get_domain_vcpu_pin_info(
        self, ref: DomainRef, *, live: bool = False, config: bool = False
    ) -> list[frozenset[int]]:
        with self.host.lock:
            definition = rules.one_definition(self._domain(ref), live=live, config=config)
            return rules.vcpu_affinities(definition, self._host_cpus())

    def get_domain_emulator_pin_info(
        self, ref: DomainRef, *, live: bool = False, config: bool = False
    ) -> frozenset[int]:
        with self.host.lock:
            definition = rules.one_definition(self._domain(ref), live=live, config=config)
            return rules.emulator_affinity(definition, self._host_cpus())

    def get_domain_memory_stats(self, ref: DomainRef) -> MemoryStats:
        with self.host.lock:
            obj = self._domain(ref)
            if not obj.active:
                raise errors.not_running()
            definition = obj.current
            devices = definition.devices
            balloon = devices.memballoon if devices is not None else None
            if balloon is None or balloon.model == "none":
                return []
            actual = definition.current_memory or definition.memory or 0
        return [
            (MemoryStat.ACTUAL_BALLOON, actual),
            (MemoryStat.SWAP_IN, 0),
            (MemoryStat.SWAP_OUT, 0),
            (MemoryStat.MAJOR_FAULT, 0),
            (MemoryStat.MINOR_FAULT, 0),
            (MemoryStat.UNUSED, actual // 2),
            (MemoryStat.AVAILABLE, actual),
            (MemoryStat.USABLE, actual // 2),
            (MemoryStat.LAST_UPDATE, GUEST_TIME.seconds),
            (MemoryStat.DISK_CACHES, actual // 8),
            (MemoryStat.HUGETLB_PGALLOC, 0),
            (MemoryStat.HUGETLB_PGFAIL, 0),
            (MemoryStat.RSS, actual // 2),
        ]

    def get_domain_block_stats(self, ref: DomainRef, disk: str) -> BlockStats:
        if not disk:
            raise errors.error(ErrorNumber.OPERATION_UNSUPPORTED, "summary statistics are not supported yet")
        with self.host.lock:
            obj = self._domain(ref)
            if not obj.active:
                raise errors.not_running()
            if rules.find_disk(obj.current, disk) is None:
                raise errors.error(ErrorNumber.INVALID_ARG, f"invalid path: {disk}")
        base = _clock_us()
        return BlockStats(base // 10, base // 20, base // 30, base // 40, base // 2_000_000)

    def get_domain_interface_stats(self, ref: DomainRef, device: str) -> InterfaceStats:
        with self.host.lock:
            obj = self._domain(ref)
            if not obj.active:
                raise errors.not_running()
            rules.find_interface(obj.current, device)
        base = _clock_us()
        return InterfaceStats(
            rx_bytes=base // 10,
            rx_packets=base // 100,
            rx_errs=base // 1_000_000,
            rx_drop=base // 2_000_000,
            tx_bytes=base // 20,
            tx_packets=base // 110,
            tx_errs=base // 3_000_000,
            tx_drop=base // 4_000_000,
        )

    def get_domain_block_info(self, ref: DomainRef, disk: str) -> BlockInfo:
        with self.host.lock:
            found = rules.find_disk(self._domain(ref).current, disk)
            if found is None:
                raise errors.error(ErrorNumber.INVALID_ARG, f"invalid path {disk} not assigned to domain")
            if rules.disk_source(found) is None:
                raise errors.error(ErrorNumber.INVALID_ARG, f"disk '{disk}' does not currently have a source assigned")
        return BLOCK_INFO

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
        wanted = rules.stats_groups(groups, SUPPORTED_GROUPS, enforce=enforce, error_domain=ErrorDomain.TEST)
        with self.host.lock:
            objs = list(self.host.domains.values()) if refs is None else [self._domain(ref) for ref in refs]
            records = []
            for obj in objs:
                if not filter.matches(DomainRecord(obj.active, obj.persistent, obj.state, obj.autostart)):
                    continue
                listing = StatsListing()
                if wanted & StatsGroup.STATE:
                    listing.add_int("state.state", int(obj.state))
                    listing.add_int("state.reason", obj.reason)
                records.append(listing.record(ref_of(obj)))
            return records

    def get_domain_time(self, ref: DomainRef) -> GuestTime:
        with self.host.lock:
            if not self._domain(ref).active:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "domain is not running")
        return GUEST_TIME
