"""Controllers (USB, SCSI, SATA, IDE, virtio-serial, PCI bridges), explicit and implicit.

libvirt adds the controllers a domain's devices need (a USB controller always, a SCSI controller
per index a SCSI disk names, a virtio-serial controller for channels); the same happens here.
Choices: a SCSI controller without a model is virtio-scsi (libvirt picks lsilogic), and the default
USB controller is piix3-uhci on i440FX and qemu-xhci on Q35.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs
from virt.xml.devices import Address, Controller, Disk

from virt_qemu.command.context import Context
from virt_qemu.command.errors import Node, raw_node, refuse_raw_extra, refuse_unhandled, unknown_attr
from virt_qemu.command.machinetypes import default_usb_model

_USB_MODELS = {
    "piix3-uhci": "piix3-usb-uhci",
    "piix4-uhci": "piix4-usb-uhci",
    "ehci": "usb-ehci",
    "ich9-ehci1": "ich9-usb-ehci1",
    "ich9-uhci1": "ich9-usb-uhci1",
    "ich9-uhci2": "ich9-usb-uhci2",
    "ich9-uhci3": "ich9-usb-uhci3",
    "nec-xhci": "nec-usb-xhci",
    "qemu-xhci": "qemu-xhci",
}
_USB_COMPANIONS = {"ich9-uhci1", "ich9-uhci2", "ich9-uhci3"}
_USB_WITH_PORTS = ("nec-xhci", "qemu-xhci")
"""The USB controllers whose number of ports is set (QEMU's p2/p3: USB 2 and USB 3 ports alike)."""
_SCSI_MODELS = {
    "virtio-scsi": "virtio-scsi-pci",
    "virtio-transitional": "virtio-scsi-pci-transitional",
    "virtio-non-transitional": "virtio-scsi-pci-non-transitional",
    "lsilogic": "lsi",
}
_VIRTIO_SERIAL_MODELS = {
    None: "virtio-serial-pci",
    "virtio": "virtio-serial-pci",
    "virtio-transitional": "virtio-serial-pci-transitional",
    "virtio-non-transitional": "virtio-serial-pci-non-transitional",
}
# PCI controller model -> (QEMU device, slots of the bus it provides)
_PCI_BRIDGES = {
    "pci-bridge": ("pci-bridge", range(1, 32)),
    "pcie-root-port": ("pcie-root-port", range(0, 1)),
    "dmi-to-pci-bridge": ("i82801b11-bridge", range(1, 32)),
    "pcie-to-pci-bridge": ("pcie-pci-bridge", range(1, 32)),
}
_HANDLED = ("type", "index", "model", "model_name", "target", "alias", "address")

# the (controller, bus, target, unit) of a disk on a controller-based bus
DriveAddress = tuple[int, int, int, int]


@attrs.define
class Buses:
    """The controllers device builders attach to, by controller index."""

    usb: dict[int, str] = attrs.field(factory=dict)  # qdev id of the controller (bus "ID.0")
    scsi: dict[int, str] = attrs.field(factory=dict)  # libvirt model
    sata: dict[int, str] = attrs.field(factory=dict)  # bus prefix: "ide" (Q35 built-in) or "sataN"
    virtio_serial: dict[int, str] = attrs.field(factory=dict)

    def usb_place(self, props: dict[str, Any], address: Address | None, node: Node) -> None:
        bus, port = 0, None
        if address is not None and address.type is not None:
            at = node.child("address", address)
            if address.type != "usb":
                raise at.attr("type").refuse(f"a USB device cannot have an address of type '{address.type}'")
            bus, port = int(address.bus or "0", 10), address.port
        if bus not in self.usb:
            raise node.refuse(f"there is no USB controller with index {bus} for this USB device")
        props["bus"] = f"{self.usb[bus]}.0"
        props["port"] = port


def disk_index(name: str) -> int | None:
    """The index in a disk name (vda -> 0, hdc -> 2, sdaa -> 26): letters after the prefix, base 26."""
    for prefix in ("hd", "sd", "vd", "xvd", "ubd", "fd"):
        if name.startswith(prefix) and name[len(prefix) :].isalpha() and name[len(prefix) :].islower():
            n = 0
            for ch in name[len(prefix) :]:
                n = n * 26 + (ord(ch) - ord("a") + 1)
            return n - 1
    return None


def drive_address(disk: Disk, node: Node) -> DriveAddress:
    """Where an IDE/SATA/SCSI disk sits: its <address type='drive'>, or derived from its name."""
    address = disk.address
    bus = disk.target.bus if disk.target else None
    if address is not None and address.type is not None:
        at = node.child("address", address)
        if address.type != "drive":
            raise at.attr("type").refuse(f"a {bus} disk needs an address of type 'drive'")
        try:
            return tuple(int(v or "0", 10) for v in (address.controller, address.bus, address.target, address.unit))  # type: ignore[return-value]
        except ValueError:
            raise at.refuse("drive address values must be decimal numbers") from None
    dev = disk.target.dev if disk.target else None
    index = disk_index(dev or "")
    if index is None:
        raise node.child("target", disk.target).attr("dev").refuse(f"cannot derive a drive address from '{dev}'")
    if bus == "ide":
        return (0, index // 2, 0, index % 2)
    if bus == "sata":
        return (index // 6, 0, 0, index % 6)
    return (index // 7, 0, 0, index % 7)  # scsi: seven units per controller, as libvirt counts


def _target_attrs(controller: Controller, node: Node, allowed: Iterable[str]) -> dict[str, str]:
    if controller.target is None:
        return {}
    refuse_raw_extra(controller.target, raw_node(node, controller.target, "target"), tuple(allowed))
    return dict(controller.target.attrib)


def _model_name(controller: Controller, node: Node, default: str, alternatives: Iterable[str] = ()) -> str:
    if controller.model_name is None:
        return default
    el = controller.model_name
    at = raw_node(node, el, "model")
    refuse_raw_extra(el, at, ("name",))
    name = el.get("name") or default
    if name != default and name not in alternatives:
        raise at.attr("name").not_yet(f"model name '{name}' is")
    return name


def _pci_controller(ctx: Context, controller: Controller, index: int, node: Node) -> None:
    model = controller.model
    if model in ("pci-root", "pcie-root"):
        if index != 0 or (model == "pcie-root") != ctx.q35:
            raise node.attr("model").refuse(f"'{model}' does not fit machine '{ctx.machine}' at index {index}")
        return
    if model not in _PCI_BRIDGES:
        raise node.attr("model").not_yet(f"PCI controller model '{model}' is")
    device, _ = _PCI_BRIDGES[model]
    name = _model_name(controller, node, device, ("ioh3420",) if model == "pcie-root-port" else ())
    props: dict[str, Any] = {"driver": name, "id": f"pci.{index}"}
    if model == "pcie-root-port":
        target = _target_attrs(controller, node, ("chassis", "port", "hotplug"))
        props["port"] = int(target.get("port", str(index)), 0)
        props["chassis"] = int(target.get("chassis", str(index)), 0)
        if target.get("hotplug") == "off":
            props["hotplug"] = False
    elif model in ("pci-bridge", "pcie-to-pci-bridge"):
        target = _target_attrs(controller, node, ("chassisNr",))
        if model == "pci-bridge":
            props["chassis_nr"] = int(target.get("chassisNr", str(index)), 0)
    else:
        _target_attrs(controller, node, ())
    ctx.pci.place(props, controller.address, node)
    ctx.args.device(props)


def _usb_controller(ctx: Context, controller: Controller, index: int, node: Node) -> None:
    model = controller.model or default_usb_model(ctx.family)
    if model == "none":
        return
    if model not in _USB_MODELS:
        raise node.attr("model").not_yet(f"USB controller model '{model}' is")
    qdev_id = "usb" if index == 0 else f"usb{index}"
    props: dict[str, Any] = {"driver": _USB_MODELS[model]}
    if model in _USB_COMPANIONS:
        master = controller.master
        start = master.get("startport", "0") if master is not None else "0"
        if master is not None:
            refuse_raw_extra(master, raw_node(node, master, "master"), ("startport",))
        props.update({"masterbus": f"{qdev_id}.0", "firstport": int(start, 10)})
    else:
        props["id"] = qdev_id
        ctx.buses.usb[index] = qdev_id
    ports = unknown_attr(controller, "ports")
    if ports is not None:
        if model not in _USB_WITH_PORTS:
            reason = f"usb controller type {model} doesn't support 'ports' with this QEMU binary"
            raise node.attr("ports").refuse(reason)
        count = _port_count(ports, node)
        props.update({"p2": count, "p3": count})
    if controller.address is None and model == "piix3-uhci" and not ctx.q35 and (0, 1, 2) not in ctx.pci.used:
        # PIIX3's own USB function, where guests (and libvirt) expect it
        ctx.pci.used.add((0, 1, 2))
        props.update({"bus": ctx.pci.root, "addr": "0x1.0x2"})
    else:
        ctx.pci.place(props, controller.address, node)
    ctx.args.device(props)


def _port_count(text: str, node: Node) -> int:
    try:
        count = int(text, 10)
    except ValueError:
        raise node.attr("ports").refuse(f"'{text}' is not a number of ports") from None
    if not 1 <= count <= 15:  # QEMU's xHCI controllers have at most 15 ports of each kind
        raise node.attr("ports").refuse(f"a USB controller has 1 to 15 ports, not {count}")
    return count


def _scsi_controller(ctx: Context, model: str | None, index: int, controller: Controller | None, node: Node) -> None:
    model = model or "virtio-scsi"
    if model not in _SCSI_MODELS:
        raise node.attr("model").not_yet(f"SCSI controller model '{model}' is")
    ctx.buses.scsi[index] = model
    props: dict[str, Any] = {"driver": _SCSI_MODELS[model], "id": f"scsi{index}"}
    ctx.pci.place(props, controller.address if controller else None, node)
    ctx.args.device(props)


def _sata_controller(ctx: Context, index: int, controller: Controller | None, node: Node) -> None:
    if ctx.q35 and index == 0:
        ctx.buses.sata[0] = "ide"  # the ICH9 AHCI controller is part of the machine
        return
    ctx.buses.sata[index] = f"sata{index}"
    props: dict[str, Any] = {"driver": "ich9-ahci", "id": f"sata{index}"}
    ctx.pci.place(props, controller.address if controller else None, node)
    ctx.args.device(props)


def _virtio_serial(ctx: Context, index: int, controller: Controller | None, node: Node) -> None:
    model = controller.model if controller else None
    if model not in _VIRTIO_SERIAL_MODELS:
        raise node.attr("model").not_yet(f"virtio-serial controller model '{model}' is")
    qdev_id = f"virtio-serial{index}"
    ctx.buses.virtio_serial[index] = qdev_id
    props: dict[str, Any] = {"driver": _VIRTIO_SERIAL_MODELS[model], "id": qdev_id}
    ctx.pci.place(props, controller.address if controller else None, node)
    ctx.args.device(props)


def _needs(ctx: Context) -> tuple[set[int], set[int], bool]:
    """The SCSI and SATA controller indexes the disks use, and whether channels need virtio-serial."""
    scsi: set[int] = set()
    sata: set[int] = set()
    devices = ctx.domain.devices
    if devices is None:
        return scsi, sata, False
    for n, disk in enumerate(devices.disks):
        bus = disk.target.bus if disk.target else None
        if bus in ("scsi", "sata"):
            (scsi if bus == "scsi" else sata).add(
                drive_address(disk, Node.of(f"/domain/devices/disk[{n + 1}]", disk))[0]
            )
    chars = list(devices.channels) + list(devices.consoles)
    virtio = any(c.target is not None and c.target.type == "virtio" for c in chars)
    return scsi, sata, virtio


def build(ctx: Context) -> None:
    devices = ctx.domain.devices
    controllers = list(devices.controllers) if devices else []
    nodes = {id(c): Node.of(f"/domain/devices/controller[{n + 1}]", c) for n, c in enumerate(controllers)}
    for c in controllers:
        handled = _HANDLED + (("master",) if c.model in _USB_COMPANIONS else ())
        refuse_unhandled(c, nodes[id(c)], handled, unknown_attrs=("ports",) if c.type == "usb" else ())
    pci = sorted((c for c in controllers if c.type == "pci"), key=lambda c: c.index or 0)
    for c in pci:
        index = c.index or 0
        if c.model in _PCI_BRIDGES:
            ctx.pci.add_bus(index, f"pci.{index}", _PCI_BRIDGES[c.model][1])
    for c in pci:
        _pci_controller(ctx, c, c.index or 0, nodes[id(c)])
    scsi_needed, sata_needed, virtio_needed = _needs(ctx)
    usb_seen = False
    # USB companion controllers name their master's bus, so they come after every master
    controllers = sorted(controllers, key=lambda c: c.type == "usb" and c.model in _USB_COMPANIONS)
    for c in controllers:
        node, index = nodes[id(c)], c.index or 0
        if c.type != "pci":
            for name in ("model_name", "target"):
                if getattr(c, name) is not None:
                    raise node.child(name.split("_")[0]).not_yet(f"<{name.split('_')[0]}> of a {c.type} controller is")
        if c.type == "usb":
            usb_seen = True
            _usb_controller(ctx, c, index, node)
        elif c.type == "scsi":
            _scsi_controller(ctx, c.model, index, c, node)
        elif c.type == "sata":
            _sata_controller(ctx, index, c, node)
        elif c.type == "virtio-serial":
            _virtio_serial(ctx, index, c, node)
        elif c.type == "ide":
            if ctx.q35 or index != 0:
                raise node.refuse(f"machine '{ctx.machine}' has no IDE controller {index}")
        elif c.type == "fdc":
            pass  # the i440FX machine's built-in floppy controller; floppy disks themselves are refused
        elif c.type != "pci":
            raise node.attr("type").not_yet(f"{c.type} controllers are")
    devices_node = Node.of("/domain/devices", devices)
    if not usb_seen:
        _usb_controller(ctx, Controller(), 0, devices_node)
    for index in sorted(scsi_needed - ctx.buses.scsi.keys()):
        _scsi_controller(ctx, None, index, None, devices_node)
    for index in sorted(sata_needed - ctx.buses.sata.keys()):
        _sata_controller(ctx, index, None, devices_node)
    if virtio_needed and 0 not in ctx.buses.virtio_serial:
        _virtio_serial(ctx, 0, None, devices_node)
