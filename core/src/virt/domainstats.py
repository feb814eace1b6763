"""Records of the statistics and information calls monitoring tools poll (virt-manager, virt-top,
virt-install): vCPUs and their placement, memory, block and interface counters, block sizes,
bulk domain statistics, jobs and the guest's clock.

Each record mirrors a libvirt structure or set of typed parameters, with libvirt's numbers where
the wire carries them (``MemoryStat``, ``StatsGroup``, ``JobType``). A counter a driver cannot
provide is -1 (libvirt's convention for virDomainBlockStats / virDomainInterfaceStats) or None.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator

import attrs

from virt.driver import DomainRef


# -- vCPUs and host CPUs ------------------------------------------------------------------------------
class VcpuState(enum.IntEnum):
    """virVcpuState."""

    OFFLINE = 0
    RUNNING = 1
    BLOCKED = 2

    @property
    def label(self) -> str:
        """virsh's word for the state."""
        return self.name.lower()


@attrs.frozen
class VcpuInfo:
    """virVcpuInfo, with the vCPU's affinity (host CPU numbers it may run on)."""

    number: int
    state: VcpuState
    cpu_time_ns: int
    cpu: int
    """The host CPU it last ran on (-1: unknown)."""
    affinity: frozenset[int]


@attrs.frozen
class NodeCPUMap:
    """virNodeGetCPUMap: how many CPUs the host has (present ones), and which are online."""

    cpus: int
    online: frozenset[int]


def cpumap_bytes(cpus: Iterable[int], maplen: int) -> bytes:
    """libvirt's cpumap layout: CPU n is bit n % 8 of byte n // 8; CPUs beyond ``maplen`` bytes are dropped."""
    data = bytearray(maplen)
    for cpu in cpus:
        if 0 <= cpu < maplen * 8:
            data[cpu // 8] |= 1 << (cpu % 8)
    return bytes(data)


def cpus_of_map(data: bytes) -> frozenset[int]:
    """The CPUs set in a cpumap (the inverse of ``cpumap_bytes``)."""
    return frozenset(n * 8 + bit for n, byte in enumerate(data) for bit in range(8) if byte & (1 << bit))


def cpumap_length(cpus: int) -> int:
    """VIR_CPU_MAPLEN: bytes for a map of ``cpus`` CPUs."""
    return (cpus + 7) // 8


# -- memory -----------------------------------------------------------------------------------------
class MemoryStat(enum.IntEnum):
    """virDomainMemoryStatTags; values in KiB except the fault counters and ``LAST_UPDATE`` (seconds)."""

    SWAP_IN = 0
    SWAP_OUT = 1
    MAJOR_FAULT = 2
    MINOR_FAULT = 3
    UNUSED = 4
    AVAILABLE = 5
    ACTUAL_BALLOON = 6
    RSS = 7
    USABLE = 8
    LAST_UPDATE = 9
    DISK_CACHES = 10
    HUGETLB_PGALLOC = 11
    HUGETLB_PGFAIL = 12

    @property
    def label(self) -> str:
        """virsh dommemstat's name for the statistic."""
        return "actual" if self is MemoryStat.ACTUAL_BALLOON else self.name.lower()


MEMORY_STAT_NR = len(MemoryStat)
"""VIR_DOMAIN_MEMORY_STAT_NR of libvirt 9.0: how many statistics clients ask for."""

MemoryStats = list[tuple[MemoryStat, int]]
"""virDomainMemoryStats' answer: the statistics a driver has, in the order it reports them."""


# -- block devices and interfaces -----------------------------------------------------------------------
@attrs.frozen
class BlockStats:
    """virDomainBlockStats, and the extra counters of virDomainBlockStatsFlags (None: not provided)."""

    rd_req: int
    rd_bytes: int
    wr_req: int
    wr_bytes: int
    errs: int = -1
    flush_req: int | None = None
    rd_total_times: int | None = None
    wr_total_times: int | None = None
    flush_total_times: int | None = None

    def parameters(self) -> list[TypedParameter]:
        """virDomainBlockStatsFlags' typed parameters, in the order libvirt's QEMU driver gives them."""
        fields = (
            ("wr_bytes", self.wr_bytes),
            ("wr_operations", self.wr_req),
            ("rd_bytes", self.rd_bytes),
            ("rd_operations", self.rd_req),
            ("flush_operations", self.flush_req),
            ("wr_total_times", self.wr_total_times),
            ("rd_total_times", self.rd_total_times),
            ("flush_total_times", self.flush_total_times),
            ("errs", self.errs),
        )
        return [
            TypedParameter(name, ParamType.LLONG, value) for name, value in fields if value is not None and value >= 0
        ]


@attrs.frozen
class InterfaceStats:
    """virDomainInterfaceStats (the guest's view: rx is what the guest received); -1 when unknown."""

    rx_bytes: int
    rx_packets: int
    rx_errs: int
    rx_drop: int
    tx_bytes: int
    tx_packets: int
    tx_errs: int
    tx_drop: int


@attrs.frozen
class BlockInfo:
    """virDomainBlockInfo, in bytes."""

    capacity: int
    allocation: int
    physical: int


# -- typed parameters and bulk statistics ------------------------------------------------------------------
class ParamType(enum.IntEnum):
    """virTypedParameterType."""

    INT = 1
    UINT = 2
    LLONG = 3
    ULLONG = 4
    DOUBLE = 5
    BOOLEAN = 6
    STRING = 7


@attrs.frozen
class TypedParameter:
    """One virTypedParameter: a named value of a wire type."""

    field: str
    type: ParamType
    value: int | float | bool | str

    def text(self) -> str:
        """The value as virsh prints it (virTypedParameterToString)."""
        if self.type is ParamType.BOOLEAN:
            return "yes" if self.value else "no"
        if self.type is ParamType.DOUBLE:
            return f"{float(self.value):f}"
        return str(self.value)


class StatsGroup(enum.IntFlag):
    """virDomainStatsTypes: the groups of virConnectGetAllDomainStats."""

    STATE = 1
    CPU_TOTAL = 2
    BALLOON = 4
    VCPU = 8
    INTERFACE = 16
    BLOCK = 32
    PERF = 64
    IOTHREAD = 128
    MEMORY = 256
    DIRTYRATE = 512
    VM = 1024


@attrs.frozen
class DomainStatsRecord:
    """virDomainStatsRecord: one domain's statistics."""

    domain: DomainRef
    params: tuple[TypedParameter, ...]

    def __iter__(self) -> Iterator[TypedParameter]:
        return iter(self.params)

    def as_dict(self) -> dict[str, int | float | bool | str]:
        """The values by field name (what python3-libvirt hands out)."""
        return {param.field: param.value for param in self.params}


class StatsListing:
    """Builds one domain's typed parameters in order (the ``virTypedParamList`` of a stats worker)."""

    def __init__(self) -> None:
        self.params: list[TypedParameter] = []

    def add(self, field: str, type_: ParamType, value: int | float | bool | str) -> None:
        self.params.append(TypedParameter(field, type_, value))

    def add_int(self, field: str, value: int) -> None:
        self.add(field, ParamType.INT, value)

    def add_uint(self, field: str, value: int) -> None:
        self.add(field, ParamType.UINT, value)

    def add_ullong(self, field: str, value: int) -> None:
        self.add(field, ParamType.ULLONG, value)

    def add_string(self, field: str, value: str) -> None:
        self.add(field, ParamType.STRING, value)

    def record(self, ref: DomainRef) -> DomainStatsRecord:
        return DomainStatsRecord(ref, tuple(self.params))


# -- jobs and the guest's clock ---------------------------------------------------------------------------
class JobType(enum.IntEnum):
    """virDomainJobType."""

    NONE = 0
    BOUNDED = 1
    UNBOUNDED = 2
    COMPLETED = 3
    FAILED = 4
    CANCELLED = 5

    @property
    def label(self) -> str:
        """virsh domjobinfo's word for the type."""
        return {0: "None", 1: "Bounded", 2: "Unbounded", 3: "Completed", 4: "Failed", 5: "Cancelled"}[int(self)]


# virDomainJobInfo's counters and the statistics they come from
_JOB_COUNTERS = (
    ("time_elapsed", "time_elapsed"),
    ("time_remaining", "time_remaining"),
    ("data_total", "data_total"),
    ("data_processed", "data_processed"),
    ("data_remaining", "data_remaining"),
    ("mem_total", "memory_total"),
    ("mem_processed", "memory_processed"),
    ("mem_remaining", "memory_remaining"),
    ("file_total", "disk_total"),
    ("file_processed", "disk_processed"),
    ("file_remaining", "disk_remaining"),
)


@attrs.frozen
class JobInfo:
    """virDomainJobInfo (times in milliseconds, sizes in bytes); ``params`` holds virDomainGetJobStats' extras."""

    type: JobType
    time_elapsed: int = 0
    time_remaining: int = 0
    data_total: int = 0
    data_processed: int = 0
    data_remaining: int = 0
    mem_total: int = 0
    mem_processed: int = 0
    mem_remaining: int = 0
    file_total: int = 0
    file_processed: int = 0
    file_remaining: int = 0
    params: tuple[TypedParameter, ...] = ()

    @classmethod
    def from_stats(cls, type: JobType, params: tuple[TypedParameter, ...]) -> JobInfo:
        """virDomainGetJobStats' answer: the counters of virDomainJobInfo taken from the statistics
        (``time_elapsed``, ``data_total``, ``memory_remaining``...), as libvirt's client fills them."""
        values = {p.field: p.value for p in params if isinstance(p.value, int) and not isinstance(p.value, bool)}
        counters = {attribute: int(values[field]) for attribute, field in _JOB_COUNTERS if field in values}
        return cls(type, params=params, **counters)


@attrs.frozen
class GuestTime:
    """virDomainGetTime: the guest's clock, seconds and nanoseconds since the epoch."""

    seconds: int
    nseconds: int
