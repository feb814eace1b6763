"""A set of PCI buses and the functions in use on them: libvirt's PCI address set (domain_addr.c).

Each bus is a PCI controller: what may plug into it (connect flags), its usable slots, and a
bitmask of functions in use per slot. A dry run may grow the set, adding the controllers a device
needs (pci-bridge on pci-root machines; pcie-root-port, and pcie-to-pci-bridge for legacy PCI devices,
on pcie-root ones); the caller then adds those controllers to the domain and runs again for real.
"""

from __future__ import annotations

from typing import Final, NamedTuple

import attrs
from virt.errors import ErrorDomain, ErrorNumber, VirtError

from virt_qemu import errors
from virt_qemu.postparse.xmlutil import pci_string

Flags = int
"""A set of ``Connect`` bits: what connects to a bus (a bus's flags), or how a device connects."""


class Connect:
    """The connect flags (libvirt's virDomainPCIConnectFlags). Plain ints, not an enum.IntFlag:
    address assignment combines them a few thousand times per define, and IntFlag's operators
    build a new member each time (most of the time a define took)."""

    PCI_DEVICE: Final = 1 << 0
    PCIE_DEVICE: Final = 1 << 1
    PCIE_ROOT_PORT: Final = 1 << 2
    PCIE_SWITCH_UPSTREAM_PORT: Final = 1 << 3
    PCIE_SWITCH_DOWNSTREAM_PORT: Final = 1 << 4
    DMI_TO_PCI_BRIDGE: Final = 1 << 5
    PCIE_TO_PCI_BRIDGE: Final = 1 << 6
    PCI_EXPANDER_BUS: Final = 1 << 7
    PCIE_EXPANDER_BUS: Final = 1 << 8
    PCI_BRIDGE: Final = 1 << 9
    AUTOASSIGN: Final = 1 << 10
    HOTPLUGGABLE: Final = 1 << 11
    AGGREGATE_SLOT: Final = 1 << 12
    INTEGRATED: Final = 1 << 13


TYPES: Final = (1 << 10) - 1
ENDPOINT: Final = Connect.PCI_DEVICE | Connect.PCIE_DEVICE
PCI_AUTO: Final = Connect.PCI_DEVICE | Connect.AUTOASSIGN
PCIE_AUTO: Final = Connect.PCIE_DEVICE | Connect.AUTOASSIGN

# controller model -> how it connects upstream
CONTROLLER_CONNECT: dict[str, Flags] = {
    "pci-bridge": Connect.PCI_BRIDGE,
    "pci-expander-bus": Connect.PCI_EXPANDER_BUS,
    "pcie-expander-bus": Connect.PCIE_EXPANDER_BUS,
    "dmi-to-pci-bridge": Connect.DMI_TO_PCI_BRIDGE,
    "pcie-to-pci-bridge": Connect.PCIE_TO_PCI_BRIDGE,
    "pcie-root-port": Connect.PCIE_ROOT_PORT | Connect.AGGREGATE_SLOT,
    "pcie-switch-upstream-port": Connect.PCIE_SWITCH_UPSTREAM_PORT,
    "pcie-switch-downstream-port": Connect.PCIE_SWITCH_DOWNSTREAM_PORT,
}
_NAMES = (
    (Connect.PCI_DEVICE, "standard PCI device"),
    (Connect.PCIE_DEVICE, "PCI Express device"),
    (Connect.PCIE_ROOT_PORT, "pcie-root-port"),
    (Connect.PCIE_SWITCH_UPSTREAM_PORT, "pcie-switch-upstream-port"),
    (Connect.PCIE_SWITCH_DOWNSTREAM_PORT, "pcie-switch-downstream-port"),
    (Connect.DMI_TO_PCI_BRIDGE, "dmi-to-pci-bridge"),
    (Connect.PCIE_TO_PCI_BRIDGE, "pcie-to-pci-bridge"),
    (Connect.PCI_EXPANDER_BUS, "pci-expander-bus"),
    (Connect.PCIE_EXPANDER_BUS, "pcie-expander-bus"),
    (Connect.PCI_BRIDGE, "pci-bridge"),
)
LAST_SLOT = 31

_c = Connect
_PCIE_PORT_DOWNSTREAM = _c.AUTOASSIGN | _c.PCIE_DEVICE | _c.PCIE_SWITCH_UPSTREAM_PORT | _c.PCIE_TO_PCI_BRIDGE
# model -> (what plugs into a bus of that model downstream, hotplug-capable, first slot, last slot)
_BUS_SHAPES: dict[str, tuple[Flags, bool, int, int]] = {
    "pci-root": (_c.AUTOASSIGN | _c.PCI_DEVICE | _c.PCI_BRIDGE | _c.PCI_EXPANDER_BUS, True, 1, LAST_SLOT),
    "pci-bridge": (_c.AUTOASSIGN | _c.PCI_DEVICE | _c.PCI_BRIDGE, True, 1, LAST_SLOT),
    "pci-expander-bus": (_c.AUTOASSIGN | _c.PCI_DEVICE | _c.PCI_BRIDGE, True, 0, LAST_SLOT),
    "pcie-root": (
        _c.PCIE_DEVICE | _c.PCIE_ROOT_PORT | _c.DMI_TO_PCI_BRIDGE | _c.PCIE_EXPANDER_BUS, False, 1, LAST_SLOT
    ),
    "dmi-to-pci-bridge": (_c.PCI_DEVICE | _c.PCI_BRIDGE, False, 0, LAST_SLOT),
    "pcie-to-pci-bridge": (_c.AUTOASSIGN | _c.PCI_DEVICE | _c.PCI_BRIDGE, True, 1, LAST_SLOT),
    "pcie-root-port": (_PCIE_PORT_DOWNSTREAM, True, 0, 0),
    "pcie-switch-downstream-port": (_PCIE_PORT_DOWNSTREAM, True, 0, 0),
    "pcie-switch-upstream-port": (_c.PCIE_SWITCH_DOWNSTREAM_PORT, False, 0, LAST_SLOT),
    "pcie-expander-bus": (_c.PCIE_ROOT_PORT | _c.DMI_TO_PCI_BRIDGE, False, 0, LAST_SLOT),
}


def _bus_shape(model: str, hotplug: bool) -> tuple[Flags, int, int]:
    """What plugs into a bus of ``model`` downstream, and its first and last slot."""
    shape = _BUS_SHAPES.get(model)
    if shape is None:
        raise errors.error(ErrorNumber.INTERNAL_ERROR, "PCI controller model was not set correctly", ErrorDomain.DOMAIN)
    flags, can_hotplug, first, last = shape
    return (flags | Connect.HOTPLUGGABLE if can_hotplug and hotplug else flags), first, last


@attrs.define
class Bus:
    model: str | None = None
    flags: Flags = 0
    min_slot: int = 0
    max_slot: int = LAST_SLOT
    functions: list[int] = attrs.field(factory=lambda: [0] * (LAST_SLOT + 1))
    aggregate: list[bool] = attrs.field(factory=lambda: [False] * (LAST_SLOT + 1))

    first_free: int = 0
    """The lowest slot from ``min_slot`` on with no function in use (past ``max_slot`` when full):
    where the next device goes, kept as slots are taken rather than searched for each device."""

    def set_model(self, model: str, hotplug: bool = True) -> None:
        self.flags, self.min_slot, self.max_slot = _bus_shape(model, hotplug)
        self.model = model
        self.first_free = self.min_slot
        self.skip_used()

    def take(self, slot: int, function: int) -> None:
        self.functions[slot] |= 1 << function
        if slot == self.first_free:
            self.skip_used()

    def skip_used(self) -> None:
        functions, slot = self.functions, self.first_free
        while slot <= LAST_SLOT and functions[slot]:
            slot += 1
        self.first_free = slot

    def fully_reserved(self) -> bool:
        return all(self.functions[s] for s in range(self.min_slot, self.max_slot + 1))


class PciAddr(NamedTuple):
    bus: int
    slot: int
    function: int

    def __str__(self) -> str:
        return pci_string(self.bus, self.slot, self.function)


def _error(from_config: bool, message: str) -> VirtError:
    code = ErrorNumber.XML_ERROR if from_config else ErrorNumber.INTERNAL_ERROR
    return errors.error(code, message, ErrorDomain.DOMAIN)


class AddressSet:
    def __init__(self, nbuses: int, *, dry_run: bool, pcie_to_pci_bridge: bool) -> None:
        self.buses = [Bus() for _ in range(nbuses)]
        self.dry_run = dry_run
        self.pcie_to_pci_bridge = pcie_to_pci_bridge
        # (flags, function) -> the first bus that may still have room for such a device: buses
        # only fill up and a bus's connect flags never change, so a bus found without room stays so
        self._searched_from: dict[tuple[Flags, int], int] = {}

    # -- checks -----------------------------------------------------------------------------------
    @staticmethod
    def _mismatch(bus_no: int, bus_flags: Flags, dev_flags: Flags, from_config: bool) -> str | None:
        """Why a device with ``dev_flags`` cannot sit on bus ``bus_no`` (a key of ``_compatible``'s
        messages), or None when it can. Plain checks on ints: the search for a free slot asks this
        of every bus for every device."""
        if dev_flags & Connect.INTEGRATED:
            if bus_no != 0:
                return "integrated"
            bus_flags |= Connect.AUTOASSIGN
        if from_config:
            if bus_flags & ENDPOINT:
                bus_flags |= ENDPOINT
            if dev_flags & Connect.PCI_BRIDGE:
                dev_flags |= Connect.PCI_DEVICE
        elif dev_flags & Connect.AUTOASSIGN and not bus_flags & Connect.AUTOASSIGN:
            return "autoassign"
        if dev_flags & Connect.HOTPLUGGABLE and not bus_flags & Connect.HOTPLUGGABLE:
            return "hotplug"
        if not dev_flags & bus_flags & TYPES:
            return "type"
        return None

    def _compatible(self, addr: PciAddr, bus_flags: Flags, dev_flags: Flags, *, from_config: bool) -> None:
        """Refuse, in libvirt's words, a device with ``dev_flags`` at ``addr`` on a bus with ``bus_flags``."""
        why = self._mismatch(addr.bus, bus_flags, dev_flags, from_config)
        if why is None:
            return
        if why == "integrated":
            message = f"The device at PCI address {addr} needs to be an integrated device (bus=0)"
        elif why == "autoassign":
            message = (
                f"The device at PCI address {addr} was auto-assigned this address, but the PCI controller "
                f"with index='{addr.bus}' doesn't allow auto-assignment"
            )
        elif why == "hotplug":
            message = (
                f"The device at PCI address {addr} requires hotplug capability, but the PCI controller "
                f"with index='{addr.bus}' doesn't support hotplug"
            )
        else:
            wanted = next((name for flag, name in _NAMES if dev_flags & flag), None)
            if wanted is None:
                message = (
                    f"The device at PCI address {addr} has unrecognized connection type flags "
                    f"0x{int(dev_flags & TYPES):02x}"
                )
            else:
                message = (
                    f"The device at PCI address {addr} cannot be plugged into the PCI controller with "
                    f"index='{addr.bus}'. It requires a controller that accepts a {wanted}."
                )
        raise _error(from_config, message)

    def validate(self, addr: PciAddr, flags: Flags, from_config: bool) -> None:
        if not self.buses:
            raise _error(from_config, "No PCI buses available")
        if addr.bus >= len(self.buses):
            raise _error(
                from_config, f"Invalid PCI address {addr}. Only PCI buses up to {len(self.buses) - 1} are available"
            )
        bus = self.buses[addr.bus]
        self._compatible(addr, bus.flags, flags, from_config=from_config)
        if bus.min_slot and addr.slot < bus.min_slot:
            raise _error(from_config, f"Invalid PCI address {addr}. slot must be >= {bus.min_slot}")
        if addr.slot > bus.max_slot:
            raise _error(from_config, f"Invalid PCI address {addr}. slot must be <= {bus.max_slot}")
        if addr.function > 7:
            raise _error(from_config, f"Invalid PCI address {addr}. function must be <= 7")

    def slot_in_use(self, bus: int, slot: int) -> bool:
        return bool(self.buses[bus].functions[slot])

    # -- growing ----------------------------------------------------------------------------------
    def grow(self, addr: PciAddr, flags: Flags) -> PciAddr:
        """Add buses up to ``addr.bus`` (dry runs only), of the kind a device with ``flags`` needs;
        the address may move to a bus further on when a bridge must come first."""
        add = addr.bus - len(self.buses) + 1
        if add <= 0:
            return addr
        need_dmi = need_pcie_bridge = False
        if flags & Connect.PCI_DEVICE:
            model = "pci-bridge"
            if not any(b.flags & Connect.PCI_BRIDGE for b in self.buses):
                need_dmi, need_pcie_bridge = not self.pcie_to_pci_bridge, self.pcie_to_pci_bridge
                if add == 1:
                    add += 1
                    addr = PciAddr(addr.bus + 1, addr.slot, addr.function)
        elif flags & (Connect.PCIE_DEVICE | Connect.PCIE_SWITCH_UPSTREAM_PORT):
            model = "pcie-root-port"
        else:
            existing = next((m for m, f in CONTROLLER_CONNECT.items() if flags & f & TYPES), None)
            if existing is not None:
                raise errors.error(
                    ErrorNumber.INTERNAL_ERROR,
                    f"a PCI slot is needed to connect a PCI controller model='{existing}', but none is available, "
                    "and it cannot be automatically added",
                    ErrorDomain.DOMAIN,
                )
            raise errors.error(
                ErrorNumber.INTERNAL_ERROR,
                f"Cannot automatically add a new PCI bus for a device with connect flags {int(flags):02x}",
                ErrorDomain.DOMAIN,
            )
        new = [Bus() for _ in range(add)]
        i = 0
        if need_dmi:
            new[i].set_model("dmi-to-pci-bridge", False)
            i += 1
        if need_pcie_bridge:
            # this root port takes only the bridge: the spare root port for hotplug is another one
            new[i].set_model("pcie-root-port")
            new[i].flags = Connect.PCIE_TO_PCI_BRIDGE
            new[i + 1].set_model("pcie-to-pci-bridge")
            i += 2
        for bus in new[i:]:
            bus.set_model(model)
        self.buses.extend(new)
        return addr

    # -- reserving --------------------------------------------------------------------------------
    def reserve(self, addr: PciAddr, flags: Flags, *, from_config: bool = True) -> PciAddr:
        if self.dry_run:
            addr = self.grow(addr, flags)
        self.validate(addr, flags, from_config)
        bus = self.buses[addr.bus]
        if bus.functions[addr.slot] & (1 << addr.function):
            raise _error(from_config, f"Attempted double use of PCI Address {addr}")
        if not bus.functions[addr.slot] and flags & Connect.AGGREGATE_SLOT:
            bus.aggregate[addr.slot] = True
        bus.take(addr.slot, addr.function)
        return addr

    def _free_on_bus(self, n: int, flags: Flags, function: int) -> PciAddr | None:
        bus = self.buses[n]
        if self._mismatch(n, bus.flags, flags, False) is not None:
            return None
        first = 0 if function == -1 else function
        if not flags & Connect.AGGREGATE_SLOT:
            return PciAddr(n, bus.first_free, first) if bus.first_free <= bus.max_slot else None
        for slot in range(bus.min_slot, bus.max_slot + 1):
            used = bus.functions[slot]
            if not used:
                return PciAddr(n, slot, first)
            if bus.aggregate[slot]:
                if not used & (1 << first):
                    return PciAddr(n, slot, first)
                if function == -1:
                    for fn in range(8):
                        if not used & (1 << fn):
                            return PciAddr(n, slot, fn)
        return None

    def next_address(self, flags: Flags, function: int = -1) -> PciAddr:
        if not self.buses:
            raise errors.error(ErrorNumber.XML_ERROR, "No PCI buses available", ErrorDomain.DOMAIN)
        start = self._searched_from.get((flags, function), 0)
        for n in range(start, len(self.buses)):
            found = self._free_on_bus(n, flags, function)
            if found is not None:
                self._searched_from[flags, function] = n
                return found
        self._searched_from[flags, function] = len(self.buses)
        if self.dry_run:
            addr = self.grow(PciAddr(len(self.buses), 0, 0 if function == -1 else function), flags)
            return PciAddr(addr.bus, self.buses[addr.bus].min_slot, addr.function)
        raise errors.error(ErrorNumber.INTERNAL_ERROR, "No more available PCI slots", ErrorDomain.DOMAIN)

    def reserve_next(self, flags: Flags, function: int = -1) -> PciAddr:
        addr = self.next_address(flags, function)
        return self.reserve(addr, flags, from_config=False)
