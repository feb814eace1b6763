"""What libvirt's QEMU driver adds to a definition at define time, for x86 pc (i440FX) and q35.

``complete(domain, has_device)`` runs libvirt 9.0's post-parse steps in its order, in place:
the memory totals (``memory``); the default CPU model and its check; the machine's own devices and
controllers (``devices.add_defaults``, ``controllers``); the per-device defaults; the implicit
devices (serial port for a console, controllers the disks, channels and smartcards need, a video
card for graphics); the per-device defaults again for what was added; then the addresses: sPAPR VIO
registers, virtio-serial ports, PCI slots (``pci``), USB ports. It is idempotent: a definition it
completed comes out unchanged, every address kept. (What libvirt's generic parser rewrites is the
XML model's own post-parse, in virt.xml.)
``has_device(name)`` says whether the QEMU binary has a device type (the probed caps).
"""

from __future__ import annotations

from collections.abc import Callable

from virt.xml import Domain, implicit
from virt.xml.devices import Controller, Devices

from virt_qemu.postparse import (
    controllers,
    cpu,
    devices,
    drives,
    machine,
    memory,
    order,
    pci,
    smartcard,
    spapr,
    usb,
    virtioserial,
)
from virt_qemu.postparse.xmlutil import make

__all__ = ["complete"]


def complete(domain: Domain, has_device: Callable[[str], bool], default_cpu: str | None = None) -> Domain:
    """``default_cpu``: the machine type's own default CPU model when it is not qemu64 (486 on isapc)."""
    if domain.devices is None:
        domain.devices = Devices()
    devs = domain.devices
    order.apply(devs)
    memory.fill_totals(domain)
    cpu.set_default(domain, default_cpu or cpu.X86_DEFAULT_MODEL)
    cpu.set_default_check(domain)
    cpu.set_migratable(domain)
    _machine_devices(domain, devs)
    devices.add_audio(devs)
    _device_defaults(domain, devs)
    _implicit(domain, devs)
    _device_defaults(domain, devs)
    spapr.assign(devs)
    if machine.has_pci(domain):
        virtioserial.assign(devs)
        pci.assign(domain, has_device)
        usb.assign(devs)
    return domain


def _machine_devices(domain: Domain, devs: Devices) -> None:
    """qemuDomainDefAddDefaultDevices: input, USB, SATA, PCI root and memballoon."""
    devices.add_defaults(domain, devs)
    if not machine.has_pci(domain):
        return
    usb_model = controllers.default_usb_model(domain)
    if controllers.find(devs, "usb", 0) is None and usb_model is not None:
        controllers.insert(devs, make(Controller, type="usb", index=0, model=usb_model))
    if machine.is_q35(domain):
        controllers.ensure(devs, "sata", 0)
    controllers.ensure(devs, "pci", 0, "pcie-root" if machine.is_q35(domain) else "pci-root")


def _device_defaults(domain: Domain, devs: Devices) -> None:
    for disk in devs.disks:
        drives.assign(disk)
    controllers.complete_models(domain, devs)
    devices.complete(domain, devs)


def _implicit(domain: Domain, devs: Devices) -> None:
    """virDomainDefAddImplicitDevices: console compat, controllers for disks, channels and smartcards, video."""
    implicit.console_compat(devs)
    for bus in ("scsi", "fdc", "ide", "sata"):
        used = [drives.controller_of(d) for d in devs.disks if d.target is not None and d.target.bus == bus]
        highest = max((n for n in used if n is not None), default=-1)
        for index in range(highest + 1):
            controllers.ensure(devs, bus, index)
    chars = [c for c in devs.channels if c.target is not None and c.target.type == "virtio"]
    chars += [c for c in devs.consoles if c.target is not None and c.target.type == "virtio"]
    for char in chars:
        address = char.address
        index = int(address.controller or "0", 0) if address is not None and address.type == "virtio-serial" else 0
        controllers.ensure(devs, "virtio-serial", index)
    smartcard.assign(devs)
    devices.add_video_for_graphics(domain, devs)
