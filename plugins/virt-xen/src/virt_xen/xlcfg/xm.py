"""What xm configs do differently from xl's (libvirt's xen_xm.c): the OS settings (an HVM guest's
firmware is ``kernel``, the command line ``root`` and ``extra``), disks in the old
``[DRIVER:[SUBTYPE:]]PATH,DEVICE[:cdrom],MODE`` form, one USB input device, and no serial list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.xml import Domain
from virt.xml.devices import Devices, Disk, DiskDriver, DiskSource, DiskTarget, Input
from virt.xml.domain import Loader

from virt_xen.domaindefaults import is_hvm
from virt_xen.xlcfg.disks import checked_target
from virt_xen.xlcfg.errors import BadValue, missing, unsupported
from virt_xen.xlcfg.models import make
from virt_xen.xlcfg.syntax import Written, format_config, parse
from virt_xen.xlcfg.values import Values

if TYPE_CHECKING:
    from virt_xen.xlcfg.reader import _Reader

# an xm tap driver's subtype -> the disk format (aio is raw)
TAP_FORMATS = frozenset({"raw", "qcow", "qcow2", "vhd", "vmdk", "cow", "bochs", "cloop", "dmg", "iso", "vpc",
                         "vdi", "fat", "vhdx", "ploop", "qed", "luks", "host_device"})  # fmt: skip


def from_native(text: str) -> Domain:
    """The domain an xm config describes (``virt domxml-from-native xen-xm``)."""
    from virt_xen.xlcfg.reader import XM, read

    return read(parse(text), XM)


def to_native(domain: Domain) -> str:
    """The xm config of ``domain`` (``virt domxml-to-native xen-xm``, libvirt's xenFormatXM): the
    shared settings, then xm's OS settings, disks and USB input device."""
    from virt_xen.xlcfg import writer

    complete = writer.completed(domain)
    out = writer.common_settings(complete, True)
    hvm = is_hvm(complete)
    os = complete.os
    if hvm:
        out["builder"] = "hvm"
        if os is not None and os.loader is not None and os.loader.path:
            out["kernel"] = os.loader.path
        out["boot"] = writer.boot_letters(complete)
    else:
        settings = (
            ("bootloader", complete.bootloader),
            ("bootargs", complete.bootloader_args),
            ("kernel", os.kernel if os is not None else None),
            ("ramdisk", os.initrd if os is not None else None),
            ("extra", os.cmdline if os is not None else None),
        )
        out.update({key: value for key, value in settings if value})
    disks = complete.devices.disks if complete.devices is not None else []
    specs: list[Written] = [format_disk(disk) for disk in disks if disk.device != "floppy"]
    if specs:
        out["disk"] = specs
    for device in complete.devices.inputs if hvm and complete.devices is not None else []:
        if device.bus == "usb":
            out["usb"] = 1
            if device.type in ("mouse", "tablet", "keyboard"):
                out["usbdevice"] = device.type  # one device in xm: the last one given
    return format_config(out.items())


def format_disk(disk: Disk) -> str:
    """SOURCE,DEVICE[:cdrom],MODE: the source led by its driver (and a tap driver's format, aio for raw)."""
    source = disk.source
    path = (source.file or source.dev or source.dir) if source is not None else None
    spec = ""
    if path:
        driver = disk.driver.name if disk.driver is not None else None
        fmt = disk.driver.type if disk.driver is not None else None
        if fmt:
            if driver:
                spec = f"{driver}:"
                if driver in ("tap", "tap2"):
                    spec += f"{'aio' if fmt == 'raw' else fmt}:"
        elif disk.type in ("file", "block"):
            spec = "file:" if disk.type == "file" else "phy:"
        else:
            raise unsupported(f"unsupported disk type {disk.type}")
        spec += path
    if disk.transient is not None:
        raise unsupported("transient disks not supported yet")
    target = disk.target.dev if disk.target is not None else ""
    cdrom = ":cdrom" if disk.device == "cdrom" else ""
    mode = "r" if disk.readonly else "!" if disk.shareable else "w"
    return f"{spec},{target}{cdrom},{mode}"


def read_os(v: Values, domain: Domain, hvm: bool) -> None:
    from virt_xen.xlcfg.reader import boot_devices

    os = domain.os
    assert os is not None
    if hvm:
        kernel = v.string("kernel")
        if kernel is None:
            raise missing("kernel", "an HVM guest's firmware")
        os.loader = make(Loader, type="rom", path=kernel)
        os.boot = boot_devices(v)
        return
    domain.bootloader = v.string("bootloader")
    domain.bootloader_args = v.string("bootargs")
    os.kernel = v.string("kernel")
    os.initrd = v.string("ramdisk")
    extra, root = v.string("extra"), v.string("root")
    if root is not None:
        os.cmdline = f"root={root} {extra}" if extra is not None else f"root={root}"
    else:
        os.cmdline = extra


def read_disks(reader: _Reader, hvm: bool) -> None:
    reader.devices.disks = reader.each("disk", lambda s: parse_disk(s, hvm))


def parse_disk(text: str, hvm: bool) -> Disk:
    """A disk from SOURCE,DEVICE,MODE; the source may lead with phy:, file:, tap:SUBTYPE: ..."""
    source, comma, rest = text.partition(",")
    if not comma:
        raise BadValue(f"disk '{text}' is not SOURCE,DEVICE,MODE")
    rest = rest.removeprefix("ioemu:")
    device, comma, mode = rest.partition(",")
    if not comma:
        raise BadValue(f"disk '{text}' is not SOURCE,DEVICE,MODE")
    driver = make(DiskDriver)
    path: str | None = source or None
    if path is not None and ":" in path:
        driver.name, _, path = path.partition(":")
        if driver.name in ("tap", "tap2"):
            subtype, colon, path = path.partition(":")
            if not colon:
                raise BadValue(f"Unknown driver type {subtype}")
            if subtype == "aio":
                driver.type = "raw"
            elif subtype in TAP_FORMATS:
                driver.type = subtype
            else:
                raise BadValue(f"Unknown driver type {subtype}")
    driver.name = driver.name or "phy"
    kind = "block" if driver.name == "phy" else "file"
    disk = make(Disk, type=kind, device="disk", driver=driver)
    if path is not None:
        disk.source = make(DiskSource, dev=path) if kind == "block" else make(DiskSource, file=path)
    dev, colon, suffix = device.partition(":")
    if colon and suffix == "cdrom":
        disk.device = "cdrom"
    bus = "xen" if dev.startswith("xvd") or not hvm else "scsi" if dev.startswith("sd") else "ide"
    disk.target = make(DiskTarget, dev=dev, bus=bus)
    if mode in ("r", "ro"):
        disk.readonly = True
    elif mode in ("w!", "!"):
        disk.shareable = True
    return checked_target(disk)


def read_inputs(v: Values, devices: Devices, hvm: bool) -> None:
    kind = v.string("usbdevice") if hvm else None
    if kind in ("tablet", "mouse", "keyboard"):
        devices.inputs.append(make(Input, type=kind, bus="usb"))
