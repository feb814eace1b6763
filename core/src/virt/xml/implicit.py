"""libvirt's implicit defaults for a domain's devices, one rule a function.

They are what libvirt's domain parser gives a definition a driver stores (virDomainDefPostParse:
device defaults, controller indexes, then, after the driver's own defaults, the implicit devices
of virDomainDefAddImplicitDevices), and what some drivers add on top (the order controllers are
stored in, a video card for graphics, MAC addresses). A driver applies them to the definitions it
stores, in libvirt's order (the test driver in ``virt.drivers.test.models``; virt-qemu's post-parse
uses the ones QEMU shares); ``Domain.post_parse`` does not, because the same model carries what
the native-format converters build, which libvirt writes without them.
Each rule is idempotent: a definition it completed comes out unchanged.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, TypeVar

import attrs
from lxml import etree

from virt.errors import ErrorDomain, ErrorNumber, VirtError, libvirt_error
from virt.xml.base import SPEC_KEY, Unknown, XmlModel, build

if TYPE_CHECKING:
    from collections.abc import Iterator

    from virt.xml.devices import Address, Char, Controller, Devices, Disk, Filesystem, Hostdev, Video
    from virt.xml.domain import Domain

M = TypeVar("M", bound=XmlModel)

VIDEO_VRAM = {"vga": 16384, "cirrus": 16384, "vmvga": 16384, "bochs": 16384, "qxl": 65536, "xen": 4096, "vbox": 8192}
"""video type -> the video memory (KiB) libvirt gives a card without one (virDomainVideoDefaultRAM)."""
QXL_RAM = 65536
"""A QXL card's RAM bar (KiB) when not given."""
DRIVE_BUSES = ("scsi", "fdc", "ide", "sata")
"""Disk buses whose disks sit on a controller of the same type, at a drive address, in the order
libvirt adds their controllers."""
MAC_PREFIX = "52:54:00"
MAX_IMPLICIT_CONTROLLERS = 4096
"""The drive controllers a domain may have added for its disks' addresses (all up to the highest)."""
"""The prefix of the MAC addresses libvirt generates (VIR_MAC_PREFIX_BUFLEN: QEMU's OUI)."""


def _xml_error(detail: str) -> VirtError:
    """libvirt's words for a definition it cannot complete (an XMLError of the domain config)."""
    return libvirt_error(ErrorNumber.XML_ERROR, detail, ErrorDomain.DOMAIN)


def _address_error(name: str, text: str | None) -> VirtError:
    """libvirt's words for an address number that is not one (an error of its XML helpers)."""
    return libvirt_error(
        ErrorNumber.XML_ERROR,
        f"Invalid value for attribute '{name}' in element 'address': '{text}'. Expected non-negative integer value",
        ErrorDomain.XML,
    )


_new = build  # a model object with values set


# -- what the parser does (every driver) -----------------------------------------------------------
def apply_device_defaults(domain: Domain) -> None:
    """What libvirt's parser gives each device as it reads it (disk device and bus, the order it
    stores disks and controllers in, video memory and heads, drive addresses, controller indexes...)."""
    devices = domain.devices
    if devices is None:
        return
    for disk in devices.disks:
        disk_defaults(disk)
    order_disks(devices)
    order_controllers(devices)
    for video in devices.videos:
        video_defaults(video)
    for disk in devices.disks:
        assign_drive_address(disk)
        network_disk_ports(disk)
    for watchdog in devices.watchdogs:
        if watchdog.action is None:
            watchdog.action = "reset"
    for hostdev in devices.hostdevs:
        canonical_hostdev_address(hostdev)
    for filesystem in devices.filesystems:
        filesystem_defaults(filesystem)
    for chars in (devices.serials, devices.parallels, devices.consoles, devices.channels):
        for char in chars:
            drop_unix_source_without_path(char)
            tcp_defaults(char)
    number_ports(devices.serials)
    number_ports(devices.parallels)
    assign_controller_indexes(devices)
    for address in device_addresses(devices):
        canonical_address(address)


def add_implicit_devices(domain: Domain) -> None:
    """virDomainDefAddImplicitDevices' console and controllers: the last step of libvirt's post-parse,
    after the driver's own defaults (so a driver calls it once it has added its machine's devices)."""
    devices = domain.devices
    if devices is None:
        return
    if domain.os is not None and domain.os.type is not None and domain.os.type.name == "hvm":
        console_compat(devices)
    else:
        console_targets(domain)
    add_implicit_controllers(devices)
    add_smartcard_controllers(devices)


def video_defaults(video: Video) -> None:
    """A video card has one head and, for the types that have a default, its video memory (and a
    QXL card its RAM bar)."""
    model = video.model
    if model is None or model.type in (None, "none", "default"):
        return
    if model.vram is None and model.type in VIDEO_VRAM:
        model.vram = VIDEO_VRAM[model.type]
    if model.type == "qxl":
        # ram is not a declared field of the model (virt-qemu reads the QXL sizes as kept attributes)
        unknown = model._unknown
        if unknown is None:
            unknown = model._unknown = Unknown()
        unknown.attrs.setdefault("ram", str(QXL_RAM))
    if model.heads is None:
        model.heads = 1


def filesystem_defaults(filesystem: Filesystem) -> None:
    """A filesystem is a mount, passed through (but for virtiofs), unless said otherwise."""
    if filesystem.type is None:
        filesystem.type = "mount"
    # virtiofs has no access modes (libvirt writes none for it)
    virtiofs = filesystem.driver is not None and filesystem.driver.get("type") == "virtiofs"
    if filesystem.accessmode is None and not virtiofs:
        filesystem.accessmode = "passthrough"


def drop_unix_source_without_path(char: Char) -> None:
    """A UNIX socket character device's <source> says nothing without a path (the driver makes one
    up when it starts the guest), and libvirt does not write it."""
    if char.type == "unix" and char.sources and all(source.path is None for source in char.sources):
        char.sources = []


def tcp_defaults(char: Char) -> None:
    """A TCP character device connects (rather than listens), speaking raw TCP."""
    if char.type != "tcp":
        return
    if char.sources and char.sources[0].mode is None:
        char.sources[0].mode = "connect"
    if char.protocol is None:
        char.protocol = etree.Element("protocol", type="raw")


NETWORK_DISK_PORTS = {
    "gluster": 24007, "nbd": 10809, "iscsi": 3260, "sheepdog": 7000, "http": 80, "https": 443,
    "ftp": 21, "ftps": 990, "tftp": 69, "ssh": 22, "vxhs": 9999,
}  # fmt: skip
"""A network disk host's port when not given, by protocol (virStorageSourceNetworkDefaultPort)."""


def network_disk_ports(disk: Disk) -> None:
    """Each host of a network disk's source has its protocol's port, unless it is a UNIX socket."""
    source = disk.source
    port = NETWORK_DISK_PORTS.get(source.protocol or "") if source is not None else None
    if source is None or port is None or source._unknown is None:
        return
    for elements in source._unknown.elements.values():
        for host in elements:
            if host.tag == "host" and host.get("port") is None and host.get("transport", "tcp") != "unix":
                host.set("port", str(port))


def number_ports(chars: list[Char]) -> None:
    """A serial or parallel port without a port number gets the one after the highest before it."""
    from virt.xml.devices import CharTarget

    highest = -1
    for char in chars:
        target = char.target
        if target is None:
            target = char.target = _new(CharTarget)
        if target.port is None:
            target.port = highest + 1
        highest = max(highest, target.port)


def device_addresses(devices: Devices) -> Iterator[Address]:
    """The <address> of every device that has one."""
    names = _DEVICE_FIELDS.get(type(devices))
    if names is None:
        names = _DEVICE_FIELDS[type(devices)] = _device_fields(type(devices))
    for name in names:
        value = getattr(devices, name)
        for device in value if isinstance(value, list) else (value,):
            address = getattr(device, "address", None)
            if address is not None:
                yield address


_DEVICE_FIELDS: dict[type, tuple[str, ...]] = {}


def _device_fields(cls: type[XmlModel]) -> tuple[str, ...]:
    """The fields of <devices> that hold devices (models with an <address>)."""
    return tuple(
        field.name
        for field in attrs.fields(cls)
        if field.metadata.get(SPEC_KEY) is not None
        and field.metadata[SPEC_KEY].cls is not None
        and any(f.name == "address" for f in attrs.fields(field.metadata[SPEC_KEY].cls))
    )


_PCI_FORMS = (("domain", "0x{:04x}"), ("bus", "0x{:02x}"), ("slot", "0x{:02x}"), ("function", "0x{:x}"))


def canonical_hostdev_address(hostdev: Hostdev) -> None:
    """The PCI address of a host device's source as libvirt writes it."""
    source = hostdev.source
    address = source.find("address") if source is not None and hostdev.type == "pci" else None
    if address is None:
        return
    for name, form in _PCI_FORMS:
        text = address.get(name)
        if text is not None:
            address.set(name, _pci_number(name, text, form))


def _pci_number(name: str, text: str, form: str) -> str:
    try:
        return form.format(int(text, 0))
    except ValueError:
        raise _address_error(name, text) from None


def canonical_address(address: Address) -> None:
    """An address as libvirt writes it: a drive address with all four numbers (0 for those not
    given), a PCI address in hexadecimal with its field widths."""
    if address.type == "drive":
        for name in ("controller", "bus", "target", "unit"):
            if getattr(address, name) is None:
                setattr(address, name, "0")
    elif address.type == "pci":
        for name, form in _PCI_FORMS:
            text = getattr(address, name)
            if text is not None:
                setattr(address, name, _pci_number(name, text, form))


_BUS_BY_PREFIX = (("hd", "ide"), ("sd", "scsi"), ("vd", "virtio"), ("xvd", "xen"), ("ubd", "uml"))


def disk_defaults(disk: Disk) -> None:
    """A disk is a disk unless said otherwise, on the bus its target name says (a floppy on the
    floppy controller; IDE for a name that says nothing)."""
    if disk.device is None:
        disk.device = "disk"
    target = disk.target
    if target is None or target.bus is not None:
        return
    if disk.device == "floppy":
        target.bus = "fdc"
        return
    dev = target.dev or ""
    target.bus = next((bus for prefix, bus in _BUS_BY_PREFIX if dev.startswith(prefix)), "ide")


def console_targets(domain: Domain) -> None:
    """The consoles of a guest that is not HVM (no serial port to be) are serial consoles, numbered."""
    from virt.xml.devices import CharTarget

    for n, console in enumerate(domain.devices.consoles if domain.devices is not None else []):
        target = console.target
        if target is None:
            target = console.target = _new(CharTarget)
        if target.type is None:
            target.type = "serial"
        if target.port is None:
            target.port = n


def default_video_type(domain: Domain) -> str:
    """virDomainVideoDefaultType: the card a domain gets when it asks for none in particular."""
    os_type = domain.os.type.name if domain.os is not None and domain.os.type is not None else None
    if domain.type in ("test", "xen") and os_type in ("xen", "linux"):
        return "xen"
    return {"vbox": "vbox", "vmware": "vmvga", "hyperv": "hyperv", "bhyve": "gop"}.get(domain.type or "", "cirrus")


def disk_index(name: str) -> int | None:
    """virDiskNameToIndex: the letters after the prefix, base 26 (vda -> 0, hdc -> 2, sdaa -> 26)."""
    for prefix in ("fd", "hd", "vd", "sd", "xvd", "ubd"):
        rest = name[len(prefix) :] if name.startswith(prefix) else ""
        letters = rest.rstrip("0123456789")  # a partition number may follow the letters
        if letters and letters.isalpha() and letters.islower() and letters.isascii():
            n = 0
            for ch in letters:
                n = n * 26 + (ord(ch) - ord("a") + 1)
            return n - 1
    return None


def drive_address(bus: str, index: int) -> tuple[int, int, int, int]:
    """(controller, bus, target, unit) of the index-th disk on a drive bus (virDomainDiskDefAssignAddress)."""
    if bus == "scsi":  # a narrow SCSI bus: 7 units per controller
        return index // 7, 0, 0, index % 7
    if bus == "ide":  # two buses of two units per controller
        return index // 4, (index % 4) // 2, 0, index % 2
    if bus == "sata":
        return index // 6, 0, 0, index % 6
    return index // 2, 0, 0, index % 2  # fdc


def assign_drive_address(disk: Disk) -> None:
    """A disk on a drive bus without an address gets the one its target name means."""
    from virt.xml.devices import Address

    target = disk.target
    bus = target.bus if target is not None else None
    if target is None or bus not in DRIVE_BUSES or disk.address is not None:
        return
    index = disk_index(target.dev or "")
    if index is None:
        raise _xml_error(f"Unknown disk name '{target.dev or ''}' and no address specified")
    controller, bus_, unit_target, unit = drive_address(bus, index)
    disk.address = _new(
        Address, type="drive", controller=str(controller), bus=str(bus_), target=str(unit_target), unit=str(unit)
    )


def console_compat(devices: Devices) -> None:
    """virDomainDefAddConsoleCompat for an HVM guest: the first console, when a serial one, is the
    first serial port (added from the console when there is none); a first serial port without a
    console gets one."""
    from virt.xml.devices import CharTarget

    consoles, serials = devices.consoles, devices.serials
    if consoles and _target_type(consoles[0]) in (None, "serial"):
        first = consoles[0]
        if not serials:
            serial = first.clone()
            serial.target = _new(CharTarget, port=0)
            serials.append(serial)
            consoles[0] = _console_of(serial)
        elif not (serials[0].type == first.type and serials[0].sources == first.sources):
            consoles[0] = _console_of(serials[0])
        else:
            target = first.target or _new(CharTarget)
            target.type, target.port = "serial", _port(serials[0])
            first.target = target
            first.log = serials[0].clone().log  # one character device, its log included
    elif serials and _target_type(serials[0]) in (None, "isa-serial") and not consoles:
        consoles.insert(0, _console_of(serials[0]))


def _target_type(char: Char) -> str | None:
    return char.target.type if char.target is not None else None


def _port(serial: Char) -> int:
    return (serial.target.port if serial.target is not None else None) or 0


def _console_of(serial: Char) -> Char:
    """The console that shows a serial port: its character device, at the serial target."""
    from virt.xml.devices import CharTarget

    console = serial.clone()
    console.target = _new(CharTarget, type="serial", port=_port(serial))
    console.address = None
    return console


def assign_controller_indexes(devices: Devices) -> None:
    """virDomainAssignControllerIndexes: a controller without an index gets the lowest its type has
    free, in document order; a USB2 controller (EHCI or its UHCI companions) shares the index of
    the USB controller just before it when that is USB2 too and has no controller of its model."""
    controllers = devices.controllers
    for position, controller in enumerate(controllers):
        if controller.index is not None:
            continue
        if _is_usb2(controller):
            controller.index = _companion_index(controllers, position)
        if controller.index is None:
            used = {c.index for c in controllers if c.type == controller.type and c.index is not None}
            controller.index = next(n for n in range(len(used) + 1) if n not in used)


USB2_MODELS = ("ich9-ehci1", "ich9-uhci1", "ich9-uhci2", "ich9-uhci3")
"""An EHCI controller and its UHCI companions: one USB 2 bus, so one index for the group."""


def _is_usb2(controller: Controller) -> bool:
    return controller.type == "usb" and controller.model in USB2_MODELS


def _companion_index(controllers: list[Controller], position: int) -> int | None:
    new = controllers[position]
    before = next((c for c in reversed(controllers[:position]) if c.type == "usb"), None)
    if before is None or not _is_usb2(before) or before.index is None:
        return None
    taken = any(c.type == "usb" and c.index == before.index and c.model == new.model for c in controllers)
    return None if taken else before.index


def add_implicit_controllers(devices: Devices) -> None:
    """virDomainDefAddImplicitControllers: every controller a disk's drive address names (and the
    lower ones of its type), and the virtio-serial controller of each virtio channel or console."""
    for bus in DRIVE_BUSES:
        highest = -1
        for disk in devices.disks:
            address = disk.address
            if disk.target is not None and disk.target.bus == bus and address is not None and address.type == "drive":
                highest = max(highest, _number(address.controller, "controller"))
        if highest >= MAX_IMPLICIT_CONTROLLERS:
            # every controller up to the highest is added: a huge index would never finish
            raise _xml_error(f"disk controller index {highest} is too large (at most {MAX_IMPLICIT_CONTROLLERS - 1})")
        for index in range(highest + 1):
            ensure_controller(devices, bus, index)
    virtio = [c for c in (*devices.channels, *devices.consoles) if _target_type(c) == "virtio"]
    for char in virtio:
        address = char.address
        index = (
            _number(address.controller, "controller") if address is not None and address.type == "virtio-serial" else 0
        )
        ensure_controller(devices, "virtio-serial", index)


def _number(text: str | None, name: str) -> int:
    """An address number (0 when not given), decimal or 0x-prefixed."""
    try:
        return int(text or "0", 0)
    except ValueError:
        raise _address_error(name, text) from None


def ensure_controller(devices: Devices, type_: str, index: int) -> None:
    """Add a controller of ``type_`` at ``index`` unless there is one (virDomainDefMaybeAddController)."""
    from virt.xml.devices import Controller

    if any(c.type == type_ and c.index == index for c in devices.controllers):
        return
    insert_controller(devices.controllers, _new(Controller, type=type_, index=index))


def insert_controller(controllers: list[Controller], new: Controller) -> None:
    """Put ``new`` where libvirt's virDomainControllerInsertPreAlloced puts it: looking from the end,
    before the earliest controller of its type with a higher index (or, for a USB2 master, with its
    index and a <master>), else after the last one of its type, else at the end."""
    insert_at: int | None = None
    for n in range(len(controllers) - 1, -1, -1):
        current = controllers[n]
        if current.type != new.type:
            continue
        if new.index is None:
            insert_at = n + 1
            break
        if current.index is not None and current.index > new.index:
            insert_at = n
        elif new.master is None and current.master is not None and current.index == new.index:
            insert_at = n  # a USB2 master goes before its companions
        elif insert_at is None:
            insert_at = n + 1
    controllers.insert(len(controllers) if insert_at is None else insert_at, new)


# -- what drivers add --------------------------------------------------------------------------------
def order_controllers(devices: Devices) -> None:
    """The controllers in the order libvirt's parser stores them: each inserted as it is read."""
    ordered: list[Controller] = []
    for controller in devices.controllers:
        insert_controller(ordered, controller)
    devices.controllers = ordered


def order_disks(devices: Devices) -> None:
    """The disks in the order libvirt's parser stores them (virDomainDiskInsertPreAlloced): each
    inserted, looking from the end, before the earliest disk of its bus with a later target name,
    else after the last disk of its bus, else at the end."""
    ordered: list[Disk] = []
    for disk in devices.disks:
        bus, index = _disk_place(disk)
        insert_at: int | None = None
        for n in range(len(ordered) - 1, -1, -1):
            other_bus, other_index = _disk_place(ordered[n])
            if other_bus != bus:
                continue
            if other_index > index:
                insert_at = n
            elif insert_at is None:
                insert_at = n + 1
        ordered.insert(len(ordered) if insert_at is None else insert_at, disk)
    devices.disks = ordered


def _disk_place(disk: Disk) -> tuple[str | None, int]:
    target = disk.target
    if target is None:
        return None, -1
    index = disk_index(target.dev or "")
    return target.bus, -1 if index is None else index


def add_smartcard_controllers(devices: Devices) -> None:
    """virDomainDefMaybeAddSmartcardController: every smartcard in a CCID slot, and every CCID
    controller a smartcard names there."""
    assign_smartcard_slots(devices)
    for card in devices.smartcards:
        if card.address is not None and card.address.type == "ccid":
            ensure_controller(devices, "ccid", _number(card.address.controller, "controller"))


def assign_smartcard_slots(devices: Devices) -> None:
    """A smartcard without an address takes the first free slot of CCID controller 0."""
    from virt.xml.devices import Address

    used = {
        (_number(c.address.controller, "controller"), _number(c.address.slot, "slot"))
        for c in devices.smartcards
        if c.address is not None and c.address.type == "ccid"
    }
    for card in devices.smartcards:
        if card.address is not None and card.address.type is not None:
            continue
        slot = next(n for n in range(len(used) + 1) if (0, n) not in used)
        used.add((0, slot))
        card.address = _new(Address, type="ccid", controller="0", slot=str(slot))


def add_video_for_graphics(devices: Devices, video_type: str) -> None:
    """virDomainDefAddImplicitVideo: graphics need a video card; the driver says of which type."""
    from virt.xml.devices import Video, VideoModel

    if devices.graphics and not devices.videos:
        video = _new(Video, model=_new(VideoModel, type=video_type, primary=True))
        video_defaults(video)
        devices.videos.append(video)


def generate_macs(devices: Devices, rng: random.Random | None = None) -> None:
    """Every interface without a MAC address gets one made up, with libvirt's prefix."""
    from virt.xml.devices import Mac

    draw = rng or random.SystemRandom()
    for interface in devices.interfaces:
        if interface.mac is None or not interface.mac.address:
            tail = ":".join(f"{draw.randrange(256):02x}" for _ in range(3))
            interface.mac = _new(Mac, address=f"{MAC_PREFIX}:{tail}")
