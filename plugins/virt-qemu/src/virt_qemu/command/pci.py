"""PCI placement: honour ``<address type='pci'>``, choose free root-bus slots for the rest.

Leaving placement to QEMU would break as soon as one device names a slot that QEMU already gave
an earlier, unaddressed device; so explicit addresses are reserved first and the other devices
get free slots of the root bus afterwards (in command order, the primary video card first at the
slot guests expect: 2 on i440FX, 1 on Q35). The result is the same for the same XML every time.
"""

from __future__ import annotations

from typing import Any

from virt.xml.devices import Address

from virt_qemu.command.errors import Node


def _number(value: str | None, node: Node, name: str, default: int = 0) -> int:
    if value is None:
        return default
    try:
        return int(value, 0)
    except ValueError:
        raise node.attr(name).refuse(f"'{value}' is not a number") from None


class PciPlan:
    def __init__(self, q35: bool) -> None:
        self.root = "pcie.0" if q35 else "pci.0"
        self.buses: dict[int, tuple[str, range]] = {0: (self.root, range(1, 32))}
        self.used: set[tuple[int, int, int]] = {(0, 0, 0)}  # the host bridge
        # the chipset's own functions: PIIX3 ISA/IDE/ACPI at slot 1, ICH9 LPC/SATA/SMBus at 0x1f
        fixed = [(0x1F, 0), (0x1F, 2), (0x1F, 3)] if q35 else [(1, 0), (1, 1), (1, 3)]
        self.used.update((0, slot, fn) for slot, fn in fixed)
        self.primary_video_slot = 1 if q35 else 2
        self.pending: list[tuple[dict[str, Any], int | None]] = []

    def add_bus(self, index: int, qdev_id: str, slots: range) -> None:
        self.buses[index] = (qdev_id, slots)

    def place(self, props: dict[str, Any], address: Address | None, node: Node, prefer_slot: int | None = None) -> None:
        """Add ``bus``/``addr`` to a device's properties, now (explicit address) or in ``finish``."""
        props["bus"] = None
        props["addr"] = None
        if address is None or address.type is None:
            self.pending.append((props, prefer_slot))
            return
        at = node.child("address", address)
        if address.type != "pci":
            raise at.attr("type").refuse(f"a PCI device cannot have an address of type '{address.type}'")
        if _number(address.domain, at, "domain") != 0:
            raise at.attr("domain").not_yet("PCI domains other than 0 are")
        bus = _number(address.bus, at, "bus")
        slot = _number(address.slot, at, "slot")
        function = _number(address.function, at, "function")
        if bus not in self.buses:
            raise at.attr("bus").refuse(f"there is no PCI controller with index {bus}")
        qdev_bus, slots = self.buses[bus]
        if slot not in slots or not 0 <= function <= 7:
            raise at.refuse(f"slot {slot:#x} function {function} is not usable on PCI bus {bus}")
        if (bus, slot, function) in self.used:
            raise at.refuse(f"PCI address {bus:02x}:{slot:02x}.{function} is used by two devices")
        self.used.add((bus, slot, function))
        props["bus"] = qdev_bus
        props["addr"] = f"{slot:#x}" if function == 0 else f"{slot:#x}.{function:#x}"
        if address.multifunction == "on":
            props["multifunction"] = True

    def _free_slot(self, node: Node) -> int:
        for slot in self.buses[0][1]:
            if not any((0, slot, fn) in self.used for fn in range(8)):
                return slot
        raise node.refuse("no free slot left on the PCI root bus (give devices addresses on other buses)")

    def finish(self, node: Node) -> None:
        """Give every device still without an address a free slot of the root bus."""
        ordered = [p for p in self.pending if p[1] is not None] + [p for p in self.pending if p[1] is None]
        for props, prefer in ordered:
            slot = prefer
            if slot is None or any((0, slot, fn) in self.used for fn in range(8)):
                slot = self._free_slot(node)
            self.used.add((0, slot, 0))
            props["bus"] = self.root
            props["addr"] = f"{slot:#x}"
        self.pending.clear()
