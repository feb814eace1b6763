"""A domain's tunables as typed parameters: memory (virsh memtune), NUMA memory (numatune), block I/O
weights (blkiotune), an interface's bandwidth (domiftune), a disk's I/O throttling (blkdeviotune) and
perf events (perf): virDomain{Get,Set}{Memory,Numa,Blkio,Interface}Parameters,
virDomain{Get,Set}BlockIoTune and virDomain{Get,Set}PerfEvents.

The parameter names are libvirt's (VIR_DOMAIN_MEMORY_HARD_LIMIT is ``hard_limit``...). What libvirt's
public API checks before any driver sees a call is here, made the same way by every driver.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from virt.domainchanges import Impact
from virt.domainstats import TypedParameter
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument
from virt.scheduler import TYPED_PARAM_STRING_OKAY, check_fields

__all__ = [
    "BANDWIDTH_PARAMETERS",
    "BLKIO_DEVICE_PARAMETERS",
    "BLOCK_IOTUNE_PARAMETERS",
    "MEMORY_PARAMETERS",
    "MEMORY_PARAM_UNLIMITED",
    "PERF_EVENTS",
    "NumaMode",
]

MEMORY_PARAM_UNLIMITED = 9007199254740991
"""VIR_DOMAIN_MEMORY_PARAM_UNLIMITED: a memory limit that is not set (2**53 - 1 KiB)."""

MEMORY_PARAMETERS = ("hard_limit", "soft_limit", "swap_hard_limit")
"""The memory limits a test domain reports, in KiB, in libvirt's order (``min_guarantee`` is another)."""

NUMA_MODE = "numa_mode"
NUMA_NODESET = "numa_nodeset"


class NumaMode(enum.IntEnum):
    """virDomainNumatuneMemMode: how a domain's memory is bound to the host's NUMA nodes."""

    STRICT = 0
    PREFERRED = 1
    INTERLEAVE = 2
    RESTRICTIVE = 3

    @property
    def label(self) -> str:
        return self.name.lower()


BLKIO_WEIGHT = "weight"
BLKIO_DEVICE_PARAMETERS = (
    ("device_weight", "weight"),
    ("device_read_iops_sec", "read_iops_sec"),
    ("device_write_iops_sec", "write_iops_sec"),
    ("device_read_bytes_sec", "read_bytes_sec"),
    ("device_write_bytes_sec", "write_bytes_sec"),
)
"""The per-device block I/O parameters (``/dev/sda,500,...`` strings) and the <device> child each sets."""

BANDWIDTH_PARAMETERS = (
    ("inbound.average", "inbound", "average"),
    ("inbound.peak", "inbound", "peak"),
    ("inbound.burst", "inbound", "burst"),
    ("inbound.floor", "inbound", "floor"),
    ("outbound.average", "outbound", "average"),
    ("outbound.peak", "outbound", "peak"),
    ("outbound.burst", "outbound", "burst"),
)
"""An interface's bandwidth parameters: the <bandwidth> child and attribute each one is."""

BLOCK_IOTUNE_PARAMETERS = (
    "total_bytes_sec",
    "read_bytes_sec",
    "write_bytes_sec",
    "total_iops_sec",
    "read_iops_sec",
    "write_iops_sec",
    "total_bytes_sec_max",
    "read_bytes_sec_max",
    "write_bytes_sec_max",
    "total_iops_sec_max",
    "read_iops_sec_max",
    "write_iops_sec_max",
    "size_iops_sec",
    "group_name",
    "total_bytes_sec_max_length",
    "read_bytes_sec_max_length",
    "write_bytes_sec_max_length",
    "total_iops_sec_max_length",
    "read_iops_sec_max_length",
    "write_iops_sec_max_length",
)
"""A disk's I/O throttling parameters in libvirt's order (the <iotune> children); all are unsigned
long longs but ``group_name``, a string."""

PERF_EVENTS = (
    "cmt",
    "mbmt",
    "mbml",
    "cpu_cycles",
    "instructions",
    "cache_references",
    "cache_misses",
    "branch_instructions",
    "branch_misses",
    "bus_cycles",
    "stalled_cycles_frontend",
    "stalled_cycles_backend",
    "ref_cpu_cycles",
    "cpu_clock",
    "task_clock",
    "page_faults",
    "context_switches",
    "cpu_migrations",
    "page_faults_min",
    "page_faults_maj",
    "alignment_faults",
    "emulation_faults",
)
"""virPerfEventType's names, in its order: each a boolean parameter of virDomain{Get,Set}PerfEvents."""


def get_flags(impact: Impact | int) -> int:
    """What libvirt's public Get calls pass a driver: the impact, checked, and VIR_TYPED_PARAM_STRING_OKAY."""
    flags = int(impact)
    if flags & Impact.LIVE and flags & Impact.CONFIG:
        from virt.domainchanges import exclusive_flags

        raise exclusive_flags()
    return flags | TYPED_PARAM_STRING_OKAY


def check_set(params: Sequence[TypedParameter], api: str, *, null_first: bool = False) -> None:
    """The public Set calls' checks of their parameters: some, with names that fit. No parameter at all
    is a NULL list to libvirt (as the wire delivers it), which some calls check before the count."""
    if not params:
        detail = "params in {} must not be NULL" if null_first else "nparams in {} must be greater than zero"
        raise InvalidArgument(detail.format(api), ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN)
    check_fields(params)
