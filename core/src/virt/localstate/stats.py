"""Rules every driver's statistics calls share, worded as libvirt's common code words them.

Which definition a LIVE/CONFIG call reads (virDomainObjGetOneDef), the affinity of vCPUs and of the
emulator (virDomainDefGetVcpuPinInfoHelper), the groups a bulk statistics call gathers, and how a
disk or an interface is named in a call (virDomainDiskByName, virDomainNetFind).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.domainstats import StatsGroup
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError, libvirt_error
from virt.xml.convert import CPUSET

if TYPE_CHECKING:
    from virt.localstate.domains import TwoDefinitions
    from virt.xml import Domain
    from virt.xml.devices import Disk, Interface


def one_definition(obj: TwoDefinitions, *, live: bool, config: bool) -> Domain:
    """The definition a LIVE/CONFIG/CURRENT call reads (virDomainObjGetOneDef): current is the live
    one of a running domain, else the persistent one."""
    if live and config:
        raise InvalidArgument(
            "Flags 'VIR_DOMAIN_AFFECT_LIVE' and 'VIR_DOMAIN_AFFECT_CONFIG' are mutually exclusive",
            ErrorNumber.INVALID_ARG,
            ErrorDomain.DOMAIN,
        )
    if live and not obj.active:
        raise libvirt_error(ErrorNumber.OPERATION_INVALID, "domain is not running", ErrorDomain.DOMAIN)
    if config:
        if obj.config is None:
            raise libvirt_error(
                ErrorNumber.OPERATION_INVALID, "transient domains do not have any persistent config", ErrorDomain.DOMAIN
            )
        return obj.config
    return obj.current


def _cpuset(text: str | None, where: str) -> frozenset[int] | None:
    if text is None:
        return None
    try:
        return frozenset(CPUSET.parse(text))
    except (ValueError, VirtError) as exc:
        raise libvirt_error(ErrorNumber.XML_ERROR, f"{where}: invalid cpuset '{text}'", ErrorDomain.DOMAIN) from exc


def max_vcpus(definition: Domain) -> int:
    vcpu = definition.vcpu
    return (vcpu.count or 1) if vcpu is not None else 1


def current_vcpus(definition: Domain) -> int:
    vcpu = definition.vcpu
    if vcpu is None:
        return 1
    return vcpu.current or vcpu.count or 1


def vcpu_affinities(definition: Domain, host_cpus: frozenset[int]) -> list[frozenset[int]]:
    """Each vCPU's affinity, offline ones too: its <vcpupin>, else <vcpu cpuset>, else every host CPU."""
    default = _cpuset(definition.vcpu.cpuset if definition.vcpu is not None else None, "/domain/vcpu/@cpuset")
    pinned: dict[int, frozenset[int]] = {}
    if definition.cputune is not None:
        for pin in definition.cputune.vcpupins:
            number = pin.get("vcpu")
            cpus = _cpuset(pin.get("cpuset"), f"/domain/cputune/vcpupin[@vcpu='{number}']/@cpuset")
            if number is not None and number.isdigit() and cpus is not None:
                pinned[int(number)] = cpus
    return [pinned.get(n, default or host_cpus) for n in range(max_vcpus(definition))]


def emulator_affinity(definition: Domain, host_cpus: frozenset[int]) -> frozenset[int]:
    """The emulator's affinity: its <emulatorpin>, else <vcpu cpuset>, else every host CPU."""
    pin = definition.cputune.emulatorpin if definition.cputune is not None else None
    pinned = _cpuset(pin.get("cpuset") if pin is not None else None, "/domain/cputune/emulatorpin/@cpuset")
    default = _cpuset(definition.vcpu.cpuset if definition.vcpu is not None else None, "/domain/vcpu/@cpuset")
    return pinned or default or host_cpus


def stats_groups(
    requested: StatsGroup, supported: StatsGroup, *, enforce: bool, error_domain: ErrorDomain
) -> StatsGroup:
    """The groups to gather (virDomainStatsTypes): 0 means all the driver has; a group it lacks is left
    out, or with ``enforce`` refused in libvirt's words."""
    if not requested:
        return supported
    missing = int(requested) & ~int(supported)  # in ints: bits newer than StatsGroup's count too
    if missing and enforce:
        raise libvirt_error(
            ErrorNumber.ARGUMENT_UNSUPPORTED,
            f"Stats types bits 0x{missing:x} are not supported by this daemon",
            error_domain,
        )
    return StatsGroup(int(requested) & int(supported))


def disk_source(disk: Disk) -> str | None:
    source = disk.source
    if source is None:
        return None
    return source.file or source.dev or source.dir or source.volume or source.name


def find_disk(definition: Domain, name: str, *, by_source: bool = True) -> Disk | None:
    """The disk a call names, by target (``vda``) or, when ``by_source``, by source path (virDomainDiskByName)."""
    devices = definition.devices
    if devices is None:
        return None
    for disk in devices.disks:
        if disk.target is not None and disk.target.dev == name:
            return disk
    if by_source:
        for disk in devices.disks:
            if disk_source(disk) == name:
                return disk
    return None


def find_interface(definition: Domain, device: str) -> Interface:
    """The interface a call names, by MAC address or host device name (virDomainNetFind)."""
    from virt.xml.convert import MAC

    devices = definition.devices
    interfaces = devices.interfaces if devices is not None else []
    try:
        mac = MAC().parse(device)
    except (ValueError, VirtError):
        mac = None
    if mac is not None:
        found = [i for i in interfaces if i.mac is not None and (i.mac.address or "").lower() == mac.lower()]
        if len(found) > 1:
            raise libvirt_error(
                ErrorNumber.MULTIPLE_INTERFACES,
                f"multiple devices matching MAC address {device} found",
                ErrorDomain.DOMAIN,
            )
        if found:
            return found[0]
    else:
        for iface in interfaces:
            if iface.target is not None and iface.target.dev == device:
                return iface
    raise libvirt_error(ErrorNumber.INVALID_ARG, f"'{device}' is not a known interface", ErrorDomain.DOMAIN)
