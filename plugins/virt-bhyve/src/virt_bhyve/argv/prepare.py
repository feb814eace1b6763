"""The domain as libvirt's bhyve driver holds it before writing command lines: its parser's
defaults (virt.xml.implicit), the bhyve driver's own (bhyve_domain.c: drive addresses with 32
ports per AHCI controller, a PCI root, an LPC (ISA) bridge when something needs one, nmdm paths
from the UUID, GOP video), the PCI slots (slots.py) and the UEFI firmware (bhyve_firmware.c)."""

from __future__ import annotations

from pathlib import Path

from virt.xml import Domain
from virt.xml.base import build, kept_attribute, set_kept_attribute
from virt.xml.devices import Address, Char, CharSource, Controller, Devices, Disk
from virt.xml.domain import Loader
from virt.xml.implicit import (
    add_implicit_devices,
    add_video_for_graphics,
    apply_device_defaults,
    default_video_type,
    disk_index,
    ensure_controller,
)

from virt_bhyve.argv import slots
from virt_bhyve.argv.environment import Environment
from virt_bhyve.argv.errors import unsupported, xml_error
from virt_bhyve.caps import BhyveCaps

DEFAULT_FIRMWARE = "BHYVE_UEFI.fd"


def prepared(domain: Domain, env: Environment) -> Domain:
    """A copy of ``domain`` completed as above; ``domain`` itself is not changed."""
    copy = domain.clone()
    if copy.devices is None:
        copy.devices = Devices()
    devices = copy.devices
    for disk in devices.disks:
        _bhyve_drive_address(disk, env.caps)
    apply_device_defaults(copy)
    add_video_for_graphics(devices, default_video_type(copy))
    for video in devices.videos:
        if video.model is not None and video.model.type in (None, "default"):
            video.model.type = "gop"
    uuid = str(copy.uuid) if copy.uuid is not None else ""
    for char in (*devices.serials, *devices.consoles):
        _nmdm_paths(char, uuid)
    _check_controllers(devices.controllers)
    ensure_controller(devices, "pci", 0)
    pci_root = next(c for c in devices.controllers if c.type == "pci" and c.index == 0)
    if pci_root.model is None:
        pci_root.model = "pci-root"
    if _needs_isa(copy):
        ensure_controller(devices, "isa", 0)
    add_implicit_devices(copy)
    for interface in devices.interfaces:
        if interface.mac is None or not interface.mac.address:
            from virt.xml.devices import Mac

            interface.mac = build(Mac, address=env.new_mac())
    slots.assign(copy)
    if env.start:
        _fill_firmware(copy, env)
    return copy


def _bhyve_drive_address(disk: Disk, caps: BhyveCaps) -> None:
    """bhyveDomainDiskDefAssignAddress: a SATA disk without an address is on controller index/32
    (a bhyve with 32-port AHCI) or on a controller of its own."""
    target = disk.target
    if disk.address is not None or target is None or target.bus != "sata":
        return
    index = disk_index(target.dev or "")
    if index is None:
        raise xml_error(f"Unknown disk name '{target.dev or ''}' and no address specified")
    controller, unit = (index // 32, index % 32) if caps.ahci32slot else (index, 0)
    disk.address = build(Address, type="drive", controller=str(controller), bus="0", target="0", unit=str(unit))


def _nmdm_paths(char: Char, uuid: str) -> None:
    """An nmdm serial port or console without paths gets /dev/nmdm<UUID>A and ...B."""
    if char.type != "nmdm":
        return
    source = char.sources[0] if char.sources else None
    if source is not None and kept_attribute(source, "master"):
        return
    if source is None:
        source = build(CharSource)
        char.sources.insert(0, source)
    set_kept_attribute(source, "master", f"/dev/nmdm{uuid}A")
    set_kept_attribute(source, "slave", f"/dev/nmdm{uuid}B")


def _check_controllers(controllers: list[Controller]) -> None:
    """bhyve's parse-time checks of controllers."""
    for controller in controllers:
        if controller.type == "isa" and controller.index not in (None, 0):
            raise unsupported("Bhyve ISA controller can only have index '0'")
        if (
            controller.type == "pci"
            and controller.model in ("pci-root", "pcie-root")
            and controller.index not in (None, 0)
        ):
            raise xml_error("pci-root and pcie-root controllers should have index 0")


def _needs_isa(domain: Domain) -> bool:
    """bhyveDomainDefNeedsISAController: UEFI boot, a serial port or console, or a display."""
    os_ = domain.os
    devices = domain.devices
    assert devices is not None
    if domain.bootloader is None and os_ is not None and os_.loader is not None:
        return True
    if os_ is not None and os_.firmware == "efi":
        return True
    if devices.serials or devices.consoles:
        return True
    return bool(devices.graphics and devices.videos)


def _fill_firmware(domain: Domain, env: Environment) -> None:
    """bhyveFirmwareFillDomain: <os firmware='efi'> boots BHYVE_UEFI.fd from the firmware folder
    (or, when that is missing, the first file there)."""
    os_ = domain.os
    if os_ is None or os_.firmware is None:
        return
    listing = env.firmware_files or _list_folder
    names = [n for n in listing(env.firmware_dir) if not n.startswith(".")]
    if not names:
        raise unsupported(f"no firmwares found in {env.firmware_dir}")
    chosen = DEFAULT_FIRMWARE if DEFAULT_FIRMWARE in names else names[0]
    loader = os_.loader or build(Loader)
    loader.type, loader.readonly = "pflash", True
    loader.path = str(Path(env.firmware_dir) / chosen)
    os_.loader = loader


def _list_folder(folder: str) -> list[str]:
    try:
        return [entry.name for entry in Path(folder).iterdir()]
    except OSError:
        return []
