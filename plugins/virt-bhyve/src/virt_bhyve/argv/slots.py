"""PCI slots as libvirt's bhyve driver gives them (bhyve_device.c, libvirt 9.0).

bhyve has one PCI bus; slot 0 is the host bridge. Addresses the XML gives are kept (and must not
collide); slot 1 is kept for the LPC bridge unless the XML puts something there; then, in this
order, the controllers (PCI, SATA, nec-xhci USB, ISA), interfaces, virtio disks, videos, sound
cards and filesystems without an address each get the lowest free slot.
"""

from __future__ import annotations

from collections.abc import Iterator

from virt.xml import Domain
from virt.xml.base import build
from virt.xml.devices import Address

from virt_bhyve.argv.errors import unsupported, xml_error

LPC_SLOT = 1
LAST_SLOT = 31


def pci_numbers(address: Address) -> tuple[int, int, int, int]:
    """(domain, bus, slot, function) of a PCI address (0 for a number not given)."""
    numbers = []
    for name in ("domain", "bus", "slot", "function"):
        text = getattr(address, name)
        try:
            numbers.append(int(text or "0", 0))
        except ValueError:
            raise xml_error(f"Cannot parse <address> '{name}' attribute '{text}'") from None
    return numbers[0], numbers[1], numbers[2], numbers[3]


def slot_of(address: Address | None) -> tuple[int, int]:
    """(slot, function) of a device's PCI address; (0, 0) when it has none."""
    if address is None or address.type != "pci":
        return 0, 0
    _, _, slot, function = pci_numbers(address)
    return slot, function


def _wanted(address: Address | None) -> bool:
    """virDeviceInfoPCIAddressIsWanted: no address, or a PCI one with every number 0."""
    return address is None or (address.type == "pci" and pci_numbers(address) == (0, 0, 0, 0))


class _Bus:
    """The slots of bus 0 in use, function by function."""

    def __init__(self) -> None:
        self.used: dict[int, set[int]] = {}

    def reserve(self, domain: int, bus: int, slot: int, function: int) -> None:
        if domain != 0 or bus != 0:
            raise unsupported(f"PCI address {domain:04x}:{bus:02x}:{slot:02x}.{function} is not on bhyve's only bus")
        if not 0 <= slot <= LAST_SLOT or not 0 <= function <= 7:
            raise xml_error(f"Invalid PCI address slot='0x{slot:02x}' function='0x{function:x}'")
        functions = self.used.setdefault(slot, set())
        if function in functions:
            raise xml_error(f"Attempted double use of PCI Address 0000:00:{slot:02x}.{function}")
        functions.add(function)

    def next_free(self) -> int:
        for slot in range(1, LAST_SLOT + 1):
            if not self.used.get(slot):
                self.used[slot] = {0}
                return slot
        raise xml_error("No more available PCI slots")


def _devices_with_addresses(domain: Domain) -> Iterator[object]:
    devices = domain.devices
    assert devices is not None
    yield from devices.disks
    yield from devices.controllers
    yield from devices.filesystems
    yield from devices.interfaces
    yield from devices.inputs
    yield from devices.sounds
    yield from devices.videos
    yield from devices.hostdevs
    yield from devices.rngs
    yield from (devices.memballoon,) if devices.memballoon is not None else ()


def assign(domain: Domain) -> None:
    """Give every device that needs a PCI slot one, as described above (in place)."""
    devices = domain.devices
    assert devices is not None
    bus = _Bus()
    for device in _devices_with_addresses(domain):
        address = getattr(device, "address", None)
        if address is None or address.type != "pci":
            continue
        numbers = pci_numbers(address)
        if numbers[:3] == (0, 0, 0):
            continue
        bus.reserve(*numbers)

    def give(device: object) -> None:
        slot = bus.next_free()
        device.address = build(  # type: ignore[attr-defined]
            Address, type="pci", domain="0x0000", bus="0x00", slot=f"0x{slot:02x}", function="0x0"
        )

    if not bus.used.get(LPC_SLOT):
        bus.used[LPC_SLOT] = {0}
        for controller in devices.controllers:
            if controller.type == "isa" and _wanted(controller.address):
                controller.address = build(
                    Address, type="pci", domain="0x0000", bus="0x00", slot=f"0x{LPC_SLOT:02x}", function="0x0"
                )
                break
    for controller in devices.controllers:
        pci_device = controller.type in ("pci", "sata", "isa") or (
            controller.type == "usb" and controller.model == "nec-xhci"
        )
        if pci_device and controller.model != "pci-root" and _wanted(controller.address):
            give(controller)
    for interface in devices.interfaces:
        if _wanted(interface.address):
            give(interface)
    for disk in devices.disks:
        if disk.target is not None and disk.target.bus == "virtio" and _wanted(disk.address):
            give(disk)
    for group in (devices.videos, devices.sounds, devices.filesystems):
        for device in group:
            if _wanted(device.address):
                give(device)
