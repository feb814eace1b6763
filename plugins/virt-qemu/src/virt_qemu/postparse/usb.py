"""USB ports at define time (libvirt's qemuDomainAssignUSBAddresses for a new domain).

Each USB controller is a hub with a number of ports (piix3-uhci 2, EHCI 6, xHCI its ``ports`` or 4;
the UHCI companions of an EHCI add none); ports already given are reserved, and the devices
without one get the first free port, searching the controllers in index order and hubs below.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from virt.errors import ErrorDomain, ErrorNumber
from virt.xml.devices import Address, Devices

from virt_qemu import errors
from virt_qemu.postparse.xmlutil import get_attr, make, number

_PORTS = {
    None: 2, "piix3-uhci": 2, "piix4-uhci": 2, "vt82c686b-uhci": 2, "ehci": 6, "ich9-ehci1": 6, "pci-ohci": 3,
}  # fmt: skip
_XHCI = ("nec-xhci", "qemu-xhci")
HUB_PORTS = 8


class _Hub:
    def __init__(self, nports: int) -> None:
        self.used = [False] * nports
        self.hubs: list[_Hub | None] = [None] * nports


def _controller_ports(model: str | None, ports: str | None) -> int:
    if model in _XHCI:
        return int(ports) if ports else 4
    if model in ("qusb1", "qusb2"):
        return int(ports) if ports else 8
    return _PORTS.get(model, 0)


def usb_devices(devs: Devices) -> Iterator[Any]:
    """The devices that sit on USB, in libvirt's order (virDomainUSBDeviceDefForeach), hubs aside."""
    yield from (h for h in devs.hostdevs if h.type == "usb")
    yield from (d for d in devs.disks if d.target is not None and d.target.bus == "usb")
    yield from (c for c in devs.controllers if c.type == "ccid")
    yield from (i for i in devs.inputs if i.bus == "usb")
    yield from (s for s in devs.serials if s.target is not None and s.target.type == "usb-serial")
    yield from (s for s in devs.sounds if s.model == "usb")
    yield from (r for r in devs.redirdevs if r.bus in (None, "usb"))
    yield from (n for n in devs.interfaces if n.model is not None and n.model.type == "usb-net")


def _port_path(address: Address) -> list[int]:
    return [int(p) for p in (address.port or "").split(".") if p]


def _find(buses: dict[int, _Hub], bus: int, path: list[int], text: str) -> tuple[_Hub, int]:
    hub = buses.get(bus)
    if hub is None:
        raise _xml(f"Missing USB bus {bus}")
    for port in path[:-1]:
        if port - 1 >= len(hub.used):
            raise _xml(f"port {port} out of range in USB address bus: {bus} port: {text}")
        below = hub.hubs[port - 1]
        if below is None:
            raise _xml(f"there is no hub at port {port} in USB address bus: {bus} port: {text}")
        hub = below
    target = path[-1] - 1
    if target >= len(hub.used):
        raise _xml(f"requested USB port {text} not present on USB bus {bus}")
    return hub, target


def _xml(message: str) -> Exception:
    return errors.error(ErrorNumber.XML_ERROR, message, ErrorDomain.DOMAIN)


def _free(hub: _Hub, depth: int = 0) -> list[int] | None:
    for n, used in enumerate(hub.used):
        if not used:
            return [n + 1]
    if depth >= 3:
        return None
    for n, below in enumerate(hub.hubs):
        if below is not None:
            found = _free(below, depth + 1)
            if found is not None:
                return [n + 1, *found]
    return None


def assign(devs: Devices) -> None:
    wanted = list(usb_devices(devs))
    hubs = [h for h in devs.hubs if h.type == "usb"]
    total = sum(_controller_ports(c.model, get_attr(c, "ports")) for c in devs.controllers if c.type == "usb")
    total += HUB_PORTS * len(hubs)
    if wanted and not any(c.type == "usb" and c.model != "none" for c in devs.controllers):
        raise errors.unsupported("USB is disabled for this domain, but USB devices are present in the domain XML")
    if len(wanted) > total:
        from virt.xml.devices import Hub

        for _ in range(-(-(len(wanted) - total + 1) // (HUB_PORTS - 1))):
            hub = make(Hub, type="usb")
            devs.hubs.append(hub)
            hubs.append(hub)
    buses: dict[int, _Hub] = {}
    for c in devs.controllers:
        nports = _controller_ports(c.model, get_attr(c, "ports")) if c.type == "usb" else 0
        if nports:
            index = c.index or 0
            if index in buses:
                raise _xml(f"Duplicate USB controllers with index {index}")
            buses[index] = _Hub(nports)
    for hub in hubs:
        if _given(hub.address):
            _add_hub(buses, hub.address)
    for device in wanted:
        if _given(device.address):
            _reserve(buses, device.address)
    for hub in hubs:
        if not _given(hub.address):
            hub.address = _take(buses, hub.address)
            _add_hub(buses, hub.address)
    for device in wanted:
        if not _given(device.address) and (device.address is None or device.address.type in (None, "usb")):
            device.address = _take(buses, device.address)


def _given(address: Address | None) -> bool:
    return address is not None and address.type == "usb" and bool(_port_path(address)) and _port_path(address)[0] != 0


def _reserve(buses: dict[int, _Hub], address: Address) -> None:
    bus = number(address.bus, "bus")
    path = _port_path(address)
    hub, port = _find(buses, bus, path, address.port or "")
    if hub.used[port]:
        raise _xml(f"Duplicate USB address bus {bus} port {address.port}")
    hub.used[port] = True


def _add_hub(buses: dict[int, _Hub], address: Address | None) -> None:
    assert address is not None
    bus = number(address.bus, "bus")
    hub, port = _find(buses, bus, _port_path(address), address.port or "")
    if hub.hubs[port] is not None:
        raise _xml(f"Duplicate USB hub on bus {bus} port {address.port}")
    hub.used[port] = True
    hub.hubs[port] = _Hub(HUB_PORTS)


def _take(buses: dict[int, _Hub], address: Address | None) -> Address:
    order = sorted(buses)
    if address is not None and address.type == "usb" and address.bus is not None:
        bus = number(address.bus, "bus")
        if bus not in buses:
            raise _xml(f"USB bus {bus} requested but no controller with that index is present")
        order = [bus]
    for bus in order:
        path = _free(buses[bus])
        if path is not None:
            hub = buses[bus]
            for port in path[:-1]:
                below = hub.hubs[port - 1]
                assert below is not None
                hub = below
            hub.used[path[-1] - 1] = True
            return make(Address, type="usb", bus=str(bus), port=".".join(map(str, path)))
    raise errors.internal("No free USB ports")
