"""What libvirt's libxl driver fills into every domain definition it reads (its post-parse
callbacks, libxlDomainDefPostParse and libxlDomainDeviceDefPostParse), then libvirt's own
defaults and implicit devices (``virt.xml.implicit``), in libvirt's order.

The xen-xl / xen-xm converters give their domains these, as ``virsh domxml-from-native`` does; the
Xen driver gives them to the definitions it stores.
"""

from __future__ import annotations

from virt.xml import Domain, implicit
from virt.xml.base import build as make
from virt.xml.devices import Char, CharTarget, Controller, Devices, Input, Memballoon, Video, VideoModel

# the machine the libxl driver's capabilities give each OS type
MACHINES = {"xen": "xenpv", "linux": "xenpv", "hvm": "xenfv", "xenpvh": "xenpvh"}
# video memory (KiB) of an HVM guest's card when not given, with the upstream QEMU device model
HVM_VRAM = {"vga": 16 * 1024, "xen": 16 * 1024, "cirrus": 8 * 1024, "qxl": 128 * 1024}


def is_hvm(domain: Domain) -> bool:
    os = domain.os
    return os is not None and os.type is not None and os.type.name == "hvm"


def complete(domain: Domain) -> None:
    """Fill in the libxl driver's defaults and libvirt's, as a definition libvirt stores has them."""
    if domain.devices is None:
        domain.devices = Devices()
    devices = domain.devices
    hvm = is_hvm(domain)
    os_type = domain.os.type if domain.os is not None else None
    if os_type is not None:
        if os_type.machine is None and os_type.name in MACHINES:
            os_type.machine = MACHINES[os_type.name or ""]  # the capabilities' machine of the OS type
        if domain.type == "xen" and os_type.name == "xen":
            os_type.name = "linux"  # libvirt writes a Xen PV guest's OS type as linux, as it always did
    # the domain callback
    if not hvm and not devices.consoles:
        devices.consoles.append(make(Char, type="pty", target=make(CharTarget, type="xen", port=0)))
    bus = "ps2" if hvm else "xen"
    for kind in ("mouse", "keyboard"):
        if not any(i.type == kind and i.bus == bus for i in devices.inputs):
            devices.inputs.append(make(Input, type=kind, bus=bus))
    if hvm and os_type is not None and os_type.arch in (None, "x86_64"):
        features = domain.features
        if features is None:
            from virt.xml.domain import Features

            features = domain.features = Features()
        features.pae = True
        numa = domain.cpu.numa if domain.cpu is not None else None
        if numa is not None and numa.find("cell") is not None:
            features.acpi = True
    if devices.memballoon is None:
        devices.memballoon = make(Memballoon, model="xen")
    if not any(c.type == "xenbus" for c in devices.controllers):
        implicit.insert_controller(devices.controllers, make(Controller, type="xenbus", index=0))
    # the device callbacks
    for console in devices.consoles:
        if not hvm and (console.target is None or console.target.type is None):
            console.target = console.target or make(CharTarget)
            console.target.type = "xen"
    if devices.graphics and not devices.videos:
        devices.videos.append(make(Video, model=make(VideoModel, type=implicit.default_video_type(domain))))
    for video in devices.videos:
        model = video.model
        if hvm and model is not None and model.vram is None and model.type in HVM_VRAM:
            model.vram = HVM_VRAM[model.type or ""]
    for disk in devices.disks:
        if disk.driver is None:
            from virt.xml.devices import DiskDriver

            disk.driver = DiskDriver()
        if disk.type == "network" and disk.driver.name is None:
            disk.driver.name = "qemu"
        if disk.driver.type is None:
            disk.driver.type = "raw"  # xl's default format (xl-disk-configuration(5))
    # libvirt's own; its XML parser makes a disk without a source a file, a converted one keeps
    # the type it was given (xm's empty phy: CD-ROM is a block device)
    types = [disk.type for disk in devices.disks]
    domain.post_parse()
    for disk, given in zip(devices.disks, types, strict=True):
        disk.type = given
    implicit.apply_device_defaults(domain)
    implicit.add_implicit_devices(domain)
