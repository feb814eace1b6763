"""Devices libvirt's QEMU driver adds at define time, and the defaults it writes into devices.

Implicit devices (libvirt 9.0, x86 pc/q35): a PS/2 mouse and keyboard (the i8042 is part of the
machine), a virtio memballoon, an audio backend (none, or spice with SPICE graphics), a serial port
for a serial console and a console for the first ISA serial port, a video card (cirrus) for graphics.
Defaults: disks get driver qemu and format raw, interfaces model rtl8139, serial ports isa-serial,
video cards their memory sizes and one head.
"""

from __future__ import annotations

import re

from lxml import etree
from virt.xml import Domain
from virt.xml.devices import Audio, Char, CharTarget, Devices, Disk, DiskDriver, Input, Memballoon, Video, VideoModel
from virt.xml.implicit import VIDEO_VRAM

from virt_qemu.postparse import machine
from virt_qemu.postparse.xmlutil import element, get_attr, make, set_attr

DEFAULT_NET_MODEL = "rtl8139"
LIBVIRT_CHANNEL_DIR = "/var/lib/libvirt/qemu/channel/target"
"""Where libvirt's system QEMU driver puts virtio channel sockets (qemu.conf's channel target dir)."""
DEFAULT_VIDEO = "cirrus"
_SERIAL_MODELS = {
    "isa-serial": "isa-serial",
    "usb-serial": "usb-serial",
    "pci-serial": "pci-serial",
    "isa-debug": "isa-debugcon",
}


def add_defaults(domain: Domain, devices: Devices) -> None:
    """qemuDomainDefAddDefaultDevices' devices (the controllers are ``controllers``' part)."""
    # isapc has the PC's i8042 too (libvirt adds them there as well); microvm has none
    if (machine.has_pci(domain) or machine.machine_name(domain) == "isapc") and _ps2_allowed(domain):
        _maybe_add_input(devices, "mouse", "ps2")
        _maybe_add_input(devices, "keyboard", "ps2")
    if machine.has_pci(domain) and devices.memballoon is None:
        devices.memballoon = make(Memballoon, model="virtio")


def _ps2_allowed(domain: Domain) -> bool:
    features = domain.features
    if features is None:
        return True
    return get_attr(features, "ps2") != "off" and not _feature_off(features, "ps2")


def _feature_off(features: object, name: str) -> bool:
    from virt.xml.base import XmlModel

    assert isinstance(features, XmlModel)
    unknown = features._unknown
    if unknown is None:
        return False
    return any(el.tag == name and el.get("state") == "off" for els in unknown.elements.values() for el in els)


def _maybe_add_input(devices: Devices, kind: str, bus: str) -> None:
    if not any(i.type == kind and (i.bus or _default_input_bus(i)) == bus for i in devices.inputs):
        devices.inputs.append(make(Input, type=kind, bus=bus))


def _default_input_bus(input_: Input) -> str:
    return "ps2" if input_.type in ("mouse", "keyboard") else "usb"


def add_audio(devices: Devices) -> None:
    """qemuDomainDefAddDefaultAudioBackend with qemu.conf's defaults (no host audio for VNC or no
    graphics): the backend the graphics call for, id 1."""
    if devices.audios:
        return
    kind: str | None = "none" if not devices.graphics else None
    for graphics in devices.graphics:
        if graphics.type == "vnc":
            kind = "none"
        elif graphics.type == "spice":
            kind = "spice"
        elif graphics.type == "sdl":
            kind = "none"
    if kind is not None:
        devices.audios.append(make(Audio, id=1, type=kind))


def add_video_for_graphics(domain: Domain, devices: Devices) -> None:
    """virDomainDefAddImplicitVideo: graphics need a video card, but for a board without PCI (isapc,
    microvm), whose VNC shows no card: every video card virt-qemu builds is a PCI device."""
    if devices.graphics and not devices.videos and machine.has_pci(domain):
        devices.videos.append(make(Video, model=make(VideoModel, type=DEFAULT_VIDEO)))


def complete(domain: Domain, devices: Devices) -> None:
    """The per-device defaults (libvirt's device post-parse callbacks); safe to run again."""
    for disk in devices.disks:
        if disk.type is None:
            disk.type = "file"
        if disk.device == "cdrom":
            disk.readonly = True  # a CD-ROM is read-only, said or not
        if disk.type in ("file", "block", "volume", "network"):
            driver = disk.driver or DiskDriver()
            if driver.name is None:
                driver.name = "qemu"
            if driver.type is None and disk.type != "volume":
                driver.type = "raw"  # an empty CD-ROM or floppy too, as libvirt 9.0 does
            disk.driver = driver
        _drop_chain_indexes(disk)
        for encryption in _encryptions(disk):
            if encryption.get("engine") in (None, "default"):
                encryption.set("engine", "qemu")  # QEMU opens encrypted images itself (no librbd...)
    for iface in devices.interfaces:
        if iface.type != "hostdev" and (iface.model is None or iface.model.type is None):
            from virt.xml.devices import InterfaceModel

            model = iface.model or InterfaceModel()
            model.type = "virtio" if iface.type == "vdpa" else DEFAULT_NET_MODEL
            iface.model = model
    for n, serial in enumerate(devices.serials):
        _complete_serial(serial, n, devices.serials)
    for n, video in enumerate(devices.videos):
        _complete_video(video)
        if n == 0 and video.model is not None and video.model.type != "none" and video.model.primary is None:
            video.model.primary = True
    for hostdev in devices.hostdevs:
        # a vfio-pci mediated device's display is off unless asked for (QEMU could change its default)
        if hostdev.type == "mdev" and get_attr(hostdev, "model") == "vfio-pci" and get_attr(hostdev, "display") is None:
            set_attr(hostdev, "display", "off")
    for channel in devices.channels:
        _drop_generated_channel_path(channel)
    for char in [*devices.serials, *devices.consoles, *devices.channels, *devices.parallels]:
        # a listening unix socket without a path gets one at start: nothing to keep in the definition
        if char.type == "unix" and len(char.sources) == 1:
            source = char.sources[0]
            if source.path is None and source.mode in (None, "bind") and source.host is None and not source._unknown:
                char.sources = []
    for fs in devices.filesystems:
        fs.type = fs.type or "mount"
        if fs.accessmode is None and (fs.driver is None or fs.driver.get("type") in (None, "path", "handle")):
            fs.accessmode = "passthrough"
    if devices.vsock is not None and devices.vsock.model is None:
        devices.vsock.model = "virtio"
    for panic in devices.panics:
        if panic.model is None and machine.is_x86(domain):
            panic.model = "isa"


def _drop_generated_channel_path(channel: Char) -> None:
    """qemuDomainChrDefDropDefaultPath: a virtio channel's socket in libvirt's channel folder, named
    after the domain and the channel (as libvirt once wrote into definitions), is one the driver
    makes at start: the path is dropped so that it is made afresh. libvirt's pattern is kept as it
    is, alternation included."""
    target = channel.target
    if channel.type != "unix" or target is None or target.type != "virtio" or len(channel.sources) != 1:
        return
    source = channel.sources[0]
    pattern = f"^{re.escape(LIBVIRT_CHANNEL_DIR)}/([^/]+\\.)|(domain-[^/]+/){re.escape(target.name or '')}$"
    if source.path is not None and re.search(pattern, source.path):
        source.path = None


def _drop_chain_indexes(disk: Disk) -> None:
    """The index of each image of a disk's chain names it while the domain runs (block jobs);
    libvirt reads none from a definition (an inactive parse), so a define forgets them."""
    source = disk.source
    if source is not None and source._unknown is not None:
        source._unknown.attrs.pop("index", None)
    if disk.backing_store is not None:
        for layer in disk.backing_store.iter("backingStore"):
            layer.attrib.pop("index", None)


def _encryptions(disk: Disk) -> list[etree._Element]:
    """Every <encryption> of a disk: its own (the old place), its source's, its backing chain's."""
    found = [disk.encryption] if disk.encryption is not None else []
    source = disk.source
    if source is not None and source._unknown is not None:
        found += [el for els in source._unknown.elements.values() for el in els if el.tag == "encryption"]
    if disk.backing_store is not None:
        found += list(disk.backing_store.iter("encryption"))
    return found


def _complete_serial(serial: Char, n: int, serials: list[Char]) -> None:
    target = serial.target or CharTarget()
    serial.target = target
    if target.type is None:
        target.type = "isa-serial"
    if target.port is None:
        ports = [s.target.port for s in serials[:n] if s.target is not None and s.target.port is not None]
        target.port = max(ports, default=-1) + 1
    model = _SERIAL_MODELS.get(target.type)
    if model is not None and not any(el.tag == "model" for el in _unknown_elements(target)):
        from virt.xml.base import Unknown

        if target._unknown is None:
            target._unknown = Unknown()
        target._unknown.elements.setdefault((-1, 0), []).append(element("model", name=model))


def _unknown_elements(obj: CharTarget) -> list[etree._Element]:
    unknown = obj._unknown
    if unknown is None:
        return []
    return [el for els in unknown.elements.values() for el in els]


def _complete_video(video: Video) -> None:
    model = video.model or make(VideoModel, type="default")
    video.model = model
    if model.type in (None, "default"):
        model.type = DEFAULT_VIDEO
    if model.type == "none":
        return
    if model.vram is None and model.type in VIDEO_VRAM:
        model.vram = VIDEO_VRAM[model.type]
    if model.type == "qxl":
        if get_attr(model, "ram") is None:
            set_attr(model, "ram", "65536")
        if get_attr(model, "vgamem") is None:
            set_attr(model, "vgamem", "16384")
    if model.heads is None:
        model.heads = 1
