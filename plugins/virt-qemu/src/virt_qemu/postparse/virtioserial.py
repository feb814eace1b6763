"""Ports on virtio-serial controllers for virtio consoles and channels (libvirt's
qemuDomainAssignVirtioSerialAddresses): port 0 is kept for a console, 31 ports per controller
unless ``ports`` says otherwise; a controller is added when all are full."""

from __future__ import annotations

from typing import Any

from virt.errors import ErrorDomain, ErrorNumber
from virt.xml.devices import Address, Devices

from virt_qemu import errors
from virt_qemu.postparse import controllers
from virt_qemu.postparse.xmlutil import get_attr, make, number

DEFAULT_PORTS = 31


def _complete(address: Address | None) -> bool:
    return address is not None and address.type == "virtio-serial" and number(address.port, "port") != 0


def _xml(message: str) -> Exception:
    return errors.error(ErrorNumber.XML_ERROR, message, ErrorDomain.DOMAIN)


def _ports(devs: Devices) -> dict[int, list[bool]]:
    table: dict[int, list[bool]] = {}
    for c in devs.controllers:
        if c.type == "virtio-serial":
            ports = get_attr(c, "ports")
            table[c.index or 0] = [False] * (int(ports) if ports else DEFAULT_PORTS)
    return dict(sorted(table.items()))


def _reserve(table: dict[int, list[bool]], address: Address) -> None:
    controller, port = number(address.controller, "controller"), number(address.port, "port")
    if controller not in table:
        raise _xml(f"virtio serial controller {controller} is missing")
    if port >= len(table[controller]):
        raise _xml(f"virtio serial controller {controller} does not have port {port}")
    if table[controller][port]:
        raise _xml(f"virtio serial port {port} on controller {controller} is already occupied")
    table[controller][port] = True


def assign(devs: Devices) -> None:
    chars: list[tuple[Any, bool]] = [
        (c, True) for c in devs.consoles if c.target is not None and c.target.type == "virtio"
    ] + [(c, False) for c in devs.channels if c.target is not None and c.target.type == "virtio"]
    table = _ports(devs)
    for char, _ in chars:
        if _complete(char.address):
            _reserve(table, char.address)
    for char, allow_zero in chars:
        if _complete(char.address):
            continue
        address = char.address
        if address is not None and address.type == "virtio-serial":
            controller = number(address.controller, "controller")
            if controller not in table:
                raise errors.internal(f"virtio-serial controller {controller} not available")
            free = [n for n, used in enumerate(table[controller]) if not used and n > 0]
            if not free:
                raise _xml(f"Unable to find a free port on virtio-serial controller {controller}")
            port = free[0]
        else:
            controller, port = _next(devs, table, allow_zero)
        table[controller][port] = True
        if not allow_zero:
            char.address = make(Address, type="virtio-serial", controller=str(controller), bus="0", port=str(port))


def _next(devs: Devices, table: dict[int, list[bool]], allow_zero: bool) -> tuple[int, int]:
    start = 0 if allow_zero else 1
    if not table:
        raise errors.internal("no virtio-serial controllers are available")
    for controller, ports in table.items():
        for port in range(start, len(ports)):
            if not ports[port]:
                return controller, port
    index = 0
    while controllers.find(devs, "virtio-serial", index) is not None:
        index += 1
    controllers.ensure(devs, "virtio-serial", index)
    table[index] = [False] * DEFAULT_PORTS
    return index, start
