"""Resource limits: ``lxc.cgroup.*`` (cgroup v1) and ``lxc.cgroup2.*`` (the unified hierarchy).

The v1 keys convert as libvirt 9.0 converts them. libvirt ignores the v2 keys; here they become the
same XML, read back through the mapping libvirt's own cgroup v2 backend applies to that XML
(hard_limit: memory.max, soft_limit: memory.high, swap_hard_limit: memory.swap.max, shares:
cpu.weight, period/quota: cpu.max, blkio: io.weight / io.bfq.weight and io.max), so that a
container converted on a cgroup2 host keeps its limits. Where a file has both, the v1 key wins.
"""

from __future__ import annotations

import re

from lxml import etree
from virt.xml.convert import CPUSET, unit_bytes
from virt.xml.domain import CPUTune, Domain

from virt_lxc.lxctools.config import Config, Entry, bad_value

# A memtune value libvirt treats as "no limit" (VIR_DOMAIN_MEMORY_PARAM_UNLIMITED, in KiB)
_UNLIMITED_KIB = 2**53 - 1
_CPUMASK_LEN = 4096  # libvirt's VIR_DOMAIN_CPUMASK_LEN: the highest CPU id it takes is one less
_SIZE = re.compile(r"(\d+)\s*([A-Za-z]*)")
_U32, _U64, _S64 = 2**32 - 1, 2**64 - 1, 2**63 - 1

V1 = "lxc.cgroup."
V2 = "lxc.cgroup2."


def size_bytes(entry: Entry, text: str) -> int:
    """A size with an optional unit (8m, 1G, 1048576), in bytes, as libvirt's virScaleInteger reads it."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        why = "a relative size cannot be converted" if text.endswith("%") else f"'{text}' is not a size"
        raise bad_value(entry, why)
    number, unit = match.groups()
    try:
        return int(number) * (unit_bytes(unit) if unit else 1)
    except ValueError:
        raise bad_value(entry, f"unknown unit in '{text}'") from None


def integer(entry: Entry, low: int, high: int, text: str | None = None) -> int:
    value = (entry.value if text is None else text).strip()
    if not re.fullmatch(r"[-+]?\d+", value):
        raise bad_value(entry, "not an integer")
    number = int(value)
    if not low <= number <= high:
        raise bad_value(entry, f"out of range ({low} to {high})")
    return number


def _set(config: Config, *keys: str) -> Entry | None:
    """The first line of the first of ``keys`` that gives a value: LXC reads an empty one as 'not set'."""
    for key in keys:
        entry = config.first(key)
        if entry is not None and entry.value:
            return entry
    return None


def _limit_kib(entry: Entry) -> int | None:
    """A memory limit in KiB (libvirt truncates to KiB), None for no limit."""
    if entry.value in ("-1", "max"):
        return None
    return min(size_bytes(entry, entry.value) // 1024, _UNLIMITED_KIB)


def convert_cgroups(config: Config, domain: Domain) -> None:
    """Set ``domain``'s memory, memtune, cputune, vcpu cpuset, numatune and blkiotune from ``config``."""
    _memory(config, domain)
    domain.cputune = _cputune(config)
    _cpuset(config, domain)
    domain.blkiotune = _blkiotune(config)


def _memory(config: Config, domain: Domain) -> None:
    limits: list[tuple[str, int]] = []
    for tag, v1, v2 in (
        ("hard_limit", "memory.limit_in_bytes", "memory.max"),
        ("soft_limit", "memory.soft_limit_in_bytes", "memory.high"),
        ("swap_hard_limit", "memory.memsw.limit_in_bytes", "memory.swap.max"),
    ):
        entry = _set(config, V1 + v1, V2 + v2)
        kib = _limit_kib(entry) if entry is not None else None
        if kib is None:
            continue
        if tag == "hard_limit":
            # the memory limit is also the container's memory size (libvirt's default is 64 MiB)
            domain.memory = domain.current_memory = kib
        limits.append((tag, kib))
    if limits:
        memtune = etree.Element("memtune")
        for tag, kib in limits:
            etree.SubElement(memtune, tag, unit="KiB").text = str(kib)
        domain.memtune = memtune


def _cputune(config: Config) -> CPUTune | None:
    tune = CPUTune()
    shares = _set(config, V1 + "cpu.shares")
    if shares is not None:
        tune.shares = integer(shares, 0, _U64)
    else:
        weight = _set(config, V2 + "cpu.weight")
        if weight is not None:
            tune.shares = integer(weight, 1, 10000)
    quota = _set(config, V1 + "cpu.cfs_quota_us")
    period = _set(config, V1 + "cpu.cfs_period_us")
    if quota is not None:
        # -1 is the cgroup's "no quota", which libvirt writes as it is; 0 is not written
        tune.quota = integer(quota, -(2**63), _S64) or None
    if period is not None:
        tune.period = integer(period, 0, _U64) or None
    cpu_max = _set(config, V2 + "cpu.max")
    if cpu_max is not None and quota is None and period is None:
        fields = cpu_max.value.split()
        if len(fields) > 2:
            raise bad_value(cpu_max, "expected 'QUOTA|max [PERIOD]'")
        tune.quota = -1 if fields[0] == "max" else integer(cpu_max, 1, _S64, fields[0])
        if len(fields) == 2:
            tune.period = integer(cpu_max, 1, _U64, fields[1])
    return tune if (tune.shares, tune.quota, tune.period) != (None, None, None) else None


def _cpulist(entry: Entry) -> str:
    try:
        ids = CPUSET.parse(entry.value)
    except ValueError:
        raise bad_value(entry, "not a CPU list") from None
    if not ids or ids[-1] >= _CPUMASK_LEN:
        raise bad_value(entry, f"not a CPU list of ids below {_CPUMASK_LEN}")
    return CPUSET.format(ids)


def _cpuset(config: Config, domain: Domain) -> None:
    cpus = _set(config, V1 + "cpuset.cpus", V2 + "cpuset.cpus")
    if cpus is not None and domain.vcpu is not None:
        domain.vcpu.cpuset = _cpulist(cpus)
    mems = _set(config, V1 + "cpuset.mems", V2 + "cpuset.mems")
    if mems is not None:
        numatune = etree.Element("numatune")
        etree.SubElement(numatune, "memory", mode="strict", nodeset=_cpulist(mems))
        domain.numatune = numatune


# lxc.cgroup.blkio.<key> -> the <device> child it sets and the largest value it takes
_V1_DEVICE_KEYS = {
    "blkio.device_weight": ("weight", _U32),
    "blkio.throttle.read_iops_device": ("read_iops_sec", _U32),
    "blkio.throttle.write_iops_device": ("write_iops_sec", _U32),
    "blkio.throttle.read_bps_device": ("read_bytes_sec", _U64),
    "blkio.throttle.write_bps_device": ("write_bytes_sec", _U64),
}
# io.max's keys -> the <device> child
_IO_MAX_KEYS = {
    "riops": "read_iops_sec",
    "wiops": "write_iops_sec",
    "rbps": "read_bytes_sec",
    "wbps": "write_bytes_sec",
}
_DEVICE_CHILDREN = ("weight", "read_iops_sec", "write_iops_sec", "read_bytes_sec", "write_bytes_sec")
_MAJOR_MINOR = re.compile(r"\d+:\d+")


def _blkiotune(config: Config) -> etree._Element | None:
    weight = 0
    weight_entry = _set(config, V1 + "blkio.weight")
    if weight_entry is not None:
        weight = integer(weight_entry, 0, _U32)
    # device path -> child tag -> value, the devices in the order of their first line
    devices: dict[str, dict[str, int]] = {}

    def device(entry: Entry, major_minor: str) -> dict[str, int]:
        if not _MAJOR_MINOR.fullmatch(major_minor):
            raise bad_value(entry, f"'{major_minor}' is not a MAJOR:MINOR device number")
        return devices.setdefault(f"/dev/block/{major_minor}", {})

    has_v1 = any(entry.key.startswith(V1 + "blkio.") for entry in config)
    for entry in config:
        if not entry.value:
            continue
        key = entry.key
        if key.removeprefix(V1) in _V1_DEVICE_KEYS:
            tag, high = _V1_DEVICE_KEYS[key.removeprefix(V1)]
            fields = entry.value.split()
            if len(fields) != 2:
                raise bad_value(entry, "expected 'MAJOR:MINOR VALUE'")
            device(entry, fields[0])[tag] = integer(entry, 0, high, fields[1])
        elif has_v1:
            continue
        elif key in (V2 + "io.weight", V2 + "io.bfq.weight"):
            fields = entry.value.split()
            if len(fields) == 1 or (len(fields) == 2 and fields[0] == "default"):
                weight = integer(entry, 1, 10000, fields[-1])
            elif len(fields) == 2:
                device(entry, fields[0])["weight"] = integer(entry, 1, 10000, fields[1])
            else:
                raise bad_value(entry, "expected '[default|MAJOR:MINOR] WEIGHT'")
        elif key == V2 + "io.max":
            first, *limits = entry.value.split()
            values = device(entry, first)
            if not limits:
                raise bad_value(entry, "expected 'MAJOR:MINOR rbps=N wbps=N riops=N wiops=N'")
            for limit in limits:
                name, equals, amount = limit.partition("=")
                if name not in _IO_MAX_KEYS or not equals:
                    raise bad_value(entry, f"'{limit}' is not an io.max limit (rbps, wbps, riops, wiops)")
                if amount != "max":  # no limit, as if not written
                    high = _U64 if name.endswith("bps") else _U32
                    values[_IO_MAX_KEYS[name]] = integer(entry, 0, high, amount)
    if not weight and not any(any(values.values()) for values in devices.values()):
        return None
    blkiotune = etree.Element("blkiotune")
    if weight:
        etree.SubElement(blkiotune, "weight").text = str(weight)
    for path, values in devices.items():
        if not any(values.values()):
            continue  # libvirt leaves out a device with nothing set
        element = etree.SubElement(blkiotune, "device")
        etree.SubElement(element, "path").text = path
        for tag in _DEVICE_CHILDREN:
            if values.get(tag):
                etree.SubElement(element, tag).text = str(values[tag])
    return blkiotune
