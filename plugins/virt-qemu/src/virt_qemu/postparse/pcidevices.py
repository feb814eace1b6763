"""How each device of a domain connects to PCI (libvirt's qemuDomainDeviceCalculatePCIConnectFlags),
and the order in which devices without an address get one (qemuDomainAssignDevicePCISlots)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
from virt.xml.devices import Controller, Devices

from virt_qemu.postparse.pcibus import CONTROLLER_CONNECT, PCI_AUTO, Connect, Flags
from virt_qemu.postparse.xmlutil import get_attr

_USB_PCIE = ("nec-xhci", "qemu-xhci")
_USB_NONE = ("none", "qusb1", "qusb2")
_SCSI_VIRTIO = ("virtio-scsi", "virtio-non-transitional")
_SOUND_PCI = ("es1370", "ac97", "ich6", "ich9")
USB2_COMPANIONS = ("ich9-ehci1", "ich9-uhci1", "ich9-uhci2", "ich9-uhci3")


@attrs.define
class PciDevice:
    """One device that may sit on PCI: the model object (with its ``address``) and its connect flags."""

    obj: Any
    flags: Flags
    kind: str


@attrs.frozen
class Flavours:
    pcie: Flags
    virtio: Flags


def _virtio(model: str | None, flavours: Flavours) -> Flags:
    return PCI_AUTO if model == "virtio-transitional" else flavours.virtio


def controller_flags(c: Controller, flavours: Flavours) -> Flags:
    if c.type == "pci":
        return CONTROLLER_CONNECT.get(c.model or "", 0)
    if c.type in ("sata", "ide"):
        return PCI_AUTO
    if c.type == "usb":
        if c.model in _USB_NONE:
            return 0
        return flavours.pcie if c.model in _USB_PCIE else PCI_AUTO
    if c.type == "scsi":
        if c.model in (None, "ncr53c90"):
            return 0
        return flavours.virtio if c.model in _SCSI_VIRTIO else PCI_AUTO
    if c.type == "virtio-serial":
        return _virtio(c.model, flavours)
    return 0


def _hostdev_flags(h: Any, flavours: Flavours) -> Flags:
    if h.mode not in (None, "subsystem") or h.type not in ("pci", "scsi_host", "mdev"):
        return 0
    if h.type == "scsi_host":
        return _virtio(get_attr(h, "model"), flavours)
    return flavours.pcie  # a host device that is not there (or an mdev): assumed PCI Express


def _fs_flags(fs: Any, flavours: Flavours) -> Flags:
    driver = fs.driver.get("type") if fs.driver is not None else None
    if driver in (None, "path", "handle"):
        return _virtio(get_attr(fs, "model"), flavours)
    return flavours.virtio if driver == "virtiofs" else 0


def _net_flags(n: Any, flavours: Flavours) -> Flags:
    model = n.model.type if n.model is not None else None
    if n.type == "hostdev" or model == "usb-net":
        return 0
    if model in ("virtio", "virtio-non-transitional"):
        return flavours.virtio
    if model == "virtio-transitional":
        return PCI_AUTO
    if model in ("e1000e", "igb", None):
        return flavours.pcie
    return PCI_AUTO


def _video_flags(v: Any, flavours: Flavours) -> Flags:
    kind = v.model.type if v.model is not None else None
    if kind == "virtio":
        return flavours.virtio
    if kind == "bochs":
        return flavours.pcie
    if kind in ("vga", "cirrus", "vmvga", "xen", "vbox", "qxl", "parallels"):
        return PCI_AUTO
    return 0


def devices(devs: Devices, flavours: Flavours) -> list[PciDevice]:
    """Every device of the domain with its connect flags (0: not a PCI device), in libvirt's
    assignment order."""
    return list(_ordered(devs, flavours))


def _ordered(d: Devices, fl: Flavours) -> Iterator[PciDevice]:
    for c in d.controllers:
        if c.type == "pci":
            yield PciDevice(c, controller_flags(c, fl), "pci-controller")
    for fs in d.filesystems:
        yield PciDevice(fs, _fs_flags(fs, fl), "filesystem")
    for n in d.interfaces:
        yield PciDevice(n, _net_flags(n, fl), "hostdev-interface" if n.type == "hostdev" else "interface")
    for s in d.sounds:
        yield PciDevice(s, PCI_AUTO if s.model in _SOUND_PCI else 0, "sound")
    for c in d.controllers:
        if c.type != "pci":
            yield PciDevice(c, controller_flags(c, fl), "controller")
    for disk in d.disks:
        bus = disk.target.bus if disk.target is not None else None
        flags = _virtio(get_attr(disk, "model"), fl) if bus == "virtio" else 0
        yield PciDevice(disk, flags, "disk")
    for h in d.hostdevs:
        yield PciDevice(h, _hostdev_flags(h, fl), "hostdev")
    if d.memballoon is not None and d.memballoon.model not in ("none", "xen"):
        yield PciDevice(d.memballoon, _virtio(d.memballoon.model, fl), "memballoon")
    for r in d.rngs:
        yield PciDevice(r, _virtio(r.model, fl), "rng")
    for w in d.watchdogs:
        yield PciDevice(w, PCI_AUTO if w.model == "i6300esb" else 0, "watchdog")
    for v in d.videos:
        yield PciDevice(v, _video_flags(v, fl), "video")
    for sh in d.shmems:
        yield PciDevice(sh, PCI_AUTO, "shmem")
    for i in d.inputs:
        yield PciDevice(i, _virtio(i.model, fl) if i.bus == "virtio" else 0, "input")
    for serial in d.serials:
        kind = serial.target.type if serial.target is not None else None
        yield PciDevice(serial, PCI_AUTO if kind == "pci-serial" else 0, "serial")
    if d.iommu is not None:
        flags = fl.virtio | Connect.INTEGRATED if d.iommu.model == "virtio" else 0
        yield PciDevice(d.iommu, flags, "iommu")
    if d.vsock is not None:
        vsock_model = d.vsock.model or "virtio"
        yield PciDevice(d.vsock, _virtio(vsock_model, fl) if vsock_model != "default" else 0, "vsock")
    for m in d.memories:
        yield PciDevice(m, fl.virtio if m.model in ("virtio-pmem", "virtio-mem") else 0, "memory")
    for cr in d.cryptos:
        yield PciDevice(cr, PCI_AUTO if cr.model == "virtio" else 0, "crypto")
    for p in d.panics:
        yield PciDevice(p, PCI_AUTO | Connect.INTEGRATED if p.model == "pvpanic" else 0, "panic")
