"""The values and shared rules of device hotplug and unplug: virDomainAttachDeviceFlags,
DetachDeviceFlags, UpdateDeviceFlags and DetachDeviceAlias.

What every driver does the same way lives here: the flags, which definitions a change edits (the
modification impact of ``virt.domainchanges``), reading one device's XML, finding the device of a
definition that a device's XML (or an alias) names, and adding or removing it from a definition.
The words of the errors are libvirt's (its domain_conf and QEMU driver).
"""

from __future__ import annotations

import enum
import functools
import typing
from typing import TYPE_CHECKING, Any

import attrs
from lxml import etree

from virt.domainchanges import Impact, resolve_impact
from virt.errors import ErrorDomain, ErrorNumber, VirtError, XMLError, libvirt_error
from virt.xml.devices import Controller, Devices, Disk, Interface

if TYPE_CHECKING:
    from virt.xml import Domain


class DeviceModifyFlags(enum.IntFlag):
    """virDomainDeviceModifyFlags: the modification impact, and FORCE (update-device: change a
    CD-ROM's medium even when the guest locked its tray)."""

    CURRENT = 0
    LIVE = 1
    CONFIG = 2
    FORCE = 4


IMPACT_FLAGS = int(DeviceModifyFlags.LIVE | DeviceModifyFlags.CONFIG)


def impact_of(flags: int) -> Impact:
    return Impact(flags & IMPACT_FLAGS)


def targets(flags: int, *, active: bool, persistent: bool) -> tuple[bool, bool]:
    """(live, config): the definitions a device change edits (virDomainObjUpdateModificationImpact)."""
    return resolve_impact(impact_of(flags), active=active, persistent=persistent)


# The <devices> children the hotplug calls know, by tag: the Devices field holding them.
_LISTS = {
    "disk": "disks",
    "controller": "controllers",
    "lease": "leases",
    "filesystem": "filesystems",
    "interface": "interfaces",
    "smartcard": "smartcards",
    "serial": "serials",
    "parallel": "parallels",
    "console": "consoles",
    "channel": "channels",
    "input": "inputs",
    "tpm": "tpms",
    "graphics": "graphics",
    "sound": "sounds",
    "audio": "audios",
    "video": "videos",
    "hostdev": "hostdevs",
    "redirdev": "redirdevs",
    "hub": "hubs",
    "watchdog": "watchdogs",
    "rng": "rngs",
    "panic": "panics",
    "shmem": "shmems",
    "memory": "memories",
    "crypto": "cryptos",
}
_SINGLE = {"memballoon": "memballoon", "nvram": "nvram", "iommu": "iommu", "vsock": "vsock"}


@attrs.define
class DeviceXML:
    """One device read from a call's XML: its tag (libvirt's device type name) and its model."""

    kind: str
    device: Any


def parse_device(xml: str, *, new: bool = False) -> DeviceXML:
    """The one device ``xml`` describes, as libvirt's virDomainDeviceDefParse reads it, with the
    defaults its parser gives (a disk's device and bus, drive addresses...); ``new``: a device to
    add, which also gets a MAC address when it is an interface without one (a device to find keeps
    what its description says only)."""
    try:
        root = etree.fromstring(xml.encode())
    except etree.XMLSyntaxError as exc:
        raise XMLError(f"(device_definition):1: {exc.msg}", ErrorNumber.XML_ERROR, ErrorDomain.DOMAIN) from exc
    kind = root.tag if isinstance(root.tag, str) else ""
    if kind not in _LISTS and kind not in _SINGLE:
        raise libvirt_error(ErrorNumber.CONFIG_UNSUPPORTED, f"unknown device type '{kind}'", ErrorDomain.DOMAIN)
    wrapper = etree.Element("devices")
    wrapper.append(root)
    devices = Devices.from_element(wrapper)
    devices.post_parse()
    _parse_defaults(devices, new=new)
    if kind in _LISTS:
        found = getattr(devices, _LISTS[kind])
        return DeviceXML(kind, found[0])
    return DeviceXML(kind, getattr(devices, _SINGLE[kind]))


def _parse_defaults(devices: Devices, *, new: bool) -> None:
    from virt.xml import implicit

    for disk in devices.disks:
        implicit.disk_defaults(disk)
        implicit.assign_drive_address(disk)
        implicit.network_disk_ports(disk)
    for watchdog in devices.watchdogs:
        if watchdog.action is None:
            watchdog.action = "reset"
    for hostdev in devices.hostdevs:
        implicit.canonical_hostdev_address(hostdev)
    for filesystem in devices.filesystems:
        implicit.filesystem_defaults(filesystem)
    for video in devices.videos:
        implicit.video_defaults(video)
    for address in implicit.device_addresses(devices):
        implicit.canonical_address(address)
    if new:
        implicit.generate_macs(devices)


def device_xml(kind: str, device: Any) -> str:
    """A device model's XML under its own tag (models of <devices> children know no tag of their own)."""
    out: list[str] = []
    device._write(out, kind, "", {})
    return "".join(out)


def device_list(definition: Domain, kind: str) -> list[Any]:
    """The definition's list of devices of ``kind`` (created empty when it had no <devices>)."""
    if definition.devices is None:
        definition.devices = Devices()
    return getattr(definition.devices, _LISTS[kind])  # type: ignore[no-any-return]


@functools.cache
def _model_tags() -> dict[str, type]:
    """Each device tag's model class, read from the Devices model's fields."""
    hints = typing.get_type_hints(Devices)
    found: dict[str, type] = {}
    for tag, field in {**_LISTS, **_SINGLE}.items():
        hint = hints[field]
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        found[tag] = typing.get_args(hint)[0] if typing.get_origin(hint) is list else args[0]
    return found


def kind_of(device: Any) -> str:
    """The tag of a device model (a Disk is a 'disk'), from the Devices field that holds its class."""
    for tag, cls in _model_tags().items():
        if type(device) is cls:
            return tag
    raise libvirt_error(ErrorNumber.INVALID_ARG, f"{type(device).__name__} is not a device", ErrorDomain.DOMAIN)


def listed(kind: str) -> bool:
    return kind in _LISTS


# -- errors in libvirt's words -------------------------------------------------------------------------
def unsupported(change: str, kind: str, error_domain: ErrorDomain) -> VirtError:
    """``live attach of device 'sound' is not supported`` (``change``: "live attach", "persistent detach"...)."""
    return libvirt_error(
        ErrorNumber.OPERATION_UNSUPPORTED, f"{change} of device '{kind}' is not supported", error_domain
    )


def missing(detail: str, error_domain: ErrorDomain) -> VirtError:
    return libvirt_error(ErrorNumber.DEVICE_MISSING, detail, error_domain)


def no_alias(alias: str, error_domain: ErrorDomain) -> VirtError:
    # libvirt's virDomainDefFindDevice reports it as an internal error
    return libvirt_error(ErrorNumber.INTERNAL_ERROR, f"no device found with alias {alias}", error_domain)


# -- finding a device ------------------------------------------------------------------------------------
def disk_target(disk: Disk) -> str:
    return (disk.target.dev if disk.target is not None else None) or ""


def find_disk(definition: Domain, target: str) -> int | None:
    """The position of the disk whose target is ``target`` (virDomainDiskIndexByName, targets only)."""
    for n, disk in enumerate(device_list(definition, "disk")):
        if disk_target(disk) == target:
            return n
    return None


def _mac(iface: Interface) -> str | None:
    return iface.mac.address.lower() if iface.mac is not None and iface.mac.address else None


def _pci_key(device: Any) -> tuple[str | None, ...] | None:
    address = device.address
    if address is None or address.type != "pci":
        return None
    return tuple(_hex(v) for v in (address.domain, address.bus, address.slot, address.function))


def _hex(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(int(value, 0))
    except ValueError:
        return value


def find_interface(definition: Domain, wanted: Interface, error_domain: ErrorDomain) -> int:
    """The position of the interface ``wanted`` names (libvirt's virDomainNetFindIdx: its MAC address,
    narrowed by its PCI address or alias when given); the errors are libvirt's."""
    mac = _mac(wanted)
    pci = _pci_key(wanted)
    alias = wanted.alias.name if wanted.alias is not None else None
    matches = []
    for n, iface in enumerate(device_list(definition, "interface")):
        if mac is not None and _mac(iface) != mac:
            continue
        if pci is not None and _pci_key(iface) != pci:
            continue
        if alias is not None and (iface.alias is None or iface.alias.name != alias):
            continue
        matches.append(n)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        # libvirt 9.0's words, with its spelling of what the description leaves out
        shown_address = _pci_text(wanted) or "(<null>)"
        shown_mac = wanted.mac.address if wanted.mac is not None and wanted.mac.address else "(<null>)"
        raise missing(
            f"no device found at address '{shown_address}' matching MAC address '{shown_mac}' and alias "
            f"'{alias or '(<null>)'}'",
            error_domain,
        )
    raise libvirt_error(ErrorNumber.OPERATION_FAILED, "multiple matching devices found", error_domain)


def _pci_text(device: Any) -> str | None:
    key = _pci_key(device)
    if key is None:
        return None
    domain, bus, slot, function = (int(v or "0") for v in key)
    return f"{domain:04x}:{bus:02x}:{slot:02x}.{function}"


def find_controller(definition: Domain, wanted: Controller) -> int | None:
    for n, controller in enumerate(device_list(definition, "controller")):
        if controller.type == wanted.type and controller.index == wanted.index:
            return n
    return None


def find_equal(definition: Domain, parsed: DeviceXML) -> int | None:
    """A device of another kind: the one equal to the given description, where the place the
    definition gave it (address, alias) counts only when the description gives one too (libvirt's
    finders match a sound card by its model, and by its address when one is given)."""
    wanted = parsed.device
    for n, device in enumerate(device_list(definition, parsed.kind)):
        candidate = device.clone()
        for place in ("address", "alias"):
            if hasattr(candidate, place) and getattr(wanted, place, None) is None:
                setattr(candidate, place, None)
        if candidate == wanted:
            return n
    return None


def find_by_alias(definition: Domain, alias: str) -> tuple[str, int] | None:
    """(kind, position) of the device whose <alias name> is ``alias``."""
    if definition.devices is None:
        return None
    for kind, field in _LISTS.items():
        for n, device in enumerate(getattr(definition.devices, field)):
            found = getattr(device, "alias", None)
            if found is not None and found.name == alias:
                return kind, n
    return None


def find_for_detach(definition: Domain, parsed: DeviceXML, error_domain: ErrorDomain, *, live: bool) -> int:
    """The position of the device of ``definition`` a detach (or update) names, or libvirt's error."""
    if parsed.kind == "disk":
        target = disk_target(parsed.device)
        n = find_disk(definition, target)
        if n is None:
            raise missing(f"disk {target} not found" if live else f"no target device {target}", error_domain)
        return n
    if parsed.kind == "interface":
        return find_interface(definition, parsed.device, error_domain)
    if parsed.kind == "controller":
        n = find_controller(definition, parsed.device)
        if n is None:
            raise missing(
                f"controller {parsed.device.type}:{parsed.device.index} not found"
                if live
                else "device not present in domain configuration",
                error_domain,
            )
        return n
    n = find_equal(definition, parsed)
    if n is None:
        raise missing("matching device was not found" if live else "device not present in domain configuration",
                      error_domain)  # fmt: skip
    return n


def disk_source(disk: Disk) -> str | None:
    source = disk.source
    if source is None:
        return None
    return source.file or source.dev or source.dir or source.name or source.volume


def check_new_disk(definition: Domain, disk: Disk, error_domain: ErrorDomain, *, live: bool) -> None:
    """A disk's target must be new to the definition: persistent, ``target vdb already exists``;
    live, the validation of the definition with the disk added names both sources."""
    target = disk_target(disk)
    if not target:
        raise libvirt_error(ErrorNumber.XML_ERROR, "missing disk target", error_domain)
    n = find_disk(definition, target)
    if n is None:
        return
    if not live:
        raise libvirt_error(ErrorNumber.OPERATION_INVALID, f"target {target} already exists", error_domain)
    present = device_list(definition, "disk")[n]
    raise libvirt_error(
        ErrorNumber.XML_ERROR,
        f"target '{target}' duplicated for disk sources '{disk_source(present) or '<null>'}' and "
        f"'{disk_source(disk) or '<null>'}'",
        error_domain,
    )


def check_new_controller(definition: Domain, controller: Controller, error_domain: ErrorDomain) -> None:
    if find_controller(definition, controller) is not None:
        raise libvirt_error(
            ErrorNumber.OPERATION_FAILED,
            f"controller index='{controller.index}' already exists",
            error_domain,
        )


def insert_disk(definition: Domain, disk: Disk) -> None:
    """A new disk goes after the last disk of its bus (libvirt's virDomainDiskInsert keeps a bus's
    disks together, in target order)."""
    disks = device_list(definition, "disk")
    bus = disk.target.bus if disk.target is not None else None
    position = len(disks)
    for n, other in enumerate(disks):
        if other.target is not None and other.target.bus == bus:
            position = n + 1
    disks.insert(position, disk)


def add_device(definition: Domain, parsed: DeviceXML) -> None:
    """Put a device into a definition (checked already)."""
    if parsed.kind == "disk":
        insert_disk(definition, parsed.device)
    elif parsed.kind in _LISTS:
        device_list(definition, parsed.kind).append(parsed.device)
    else:
        if definition.devices is None:
            definition.devices = Devices()
        setattr(definition.devices, _SINGLE[parsed.kind], parsed.device)
