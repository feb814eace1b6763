"""PCI addresses at define time, as libvirt's QEMU driver assigns them (qemuDomainAssignPCIAddresses).

Explicit addresses are reserved first (conflicts refused with libvirt's messages), then the
chipset's own functions (PIIX3 at slot 1 on i440FX, the ICH9 functions at 0x1f on Q35) and the
primary video card's usual slot, then every other device in libvirt's order. A first, dry run
finds out which controllers are missing (a pci-bridge when pci-root is full; a pcie-root-port per
PCI Express device on Q35, plus one spare for hotplug, and pcie-to-pci-bridge for legacy PCI
devices); they are added to the domain and the real run gives every device its address. The
addresses are then part of the definition: a device keeps its slot when others are added.
"""

from __future__ import annotations

from lxml import etree
from virt.xml import Domain
from virt.xml.devices import Controller, Devices

from virt_qemu.postparse import controllers, machine
from virt_qemu.postparse.pcibus import PCI_AUTO, PCIE_AUTO, AddressSet, Connect, Flags, PciAddr
from virt_qemu.postparse.pcidevices import USB2_COMPANIONS, Flavours, PciDevice, controller_flags, devices
from virt_qemu.postparse.xmlutil import element, number, pci_address

# PCI controller model -> the QEMU device libvirt names in <model name>
_MODEL_NAMES = {
    "pci-bridge": "pci-bridge",
    "dmi-to-pci-bridge": "i82801b11-bridge",
    "pcie-to-pci-bridge": "pcie-pci-bridge",
    "pcie-root-port": "pcie-root-port",
    "pcie-switch-upstream-port": "x3130-upstream",
    "pcie-switch-downstream-port": "xio3130-downstream",
    "pci-expander-bus": "pxb",
    "pcie-expander-bus": "pxb-pcie",
}
_USB2_FUNCTION = {"ich9-ehci1": (7, None), "ich9-uhci1": (0, "on"), "ich9-uhci2": (1, None), "ich9-uhci3": (2, None)}


def _addr(obj: object) -> PciAddr | None:
    """The PCI address a device has (None when it has none, or an empty one: it wants one)."""
    address = getattr(obj, "address", None)
    if address is None or address.type != "pci":
        return None
    found = PciAddr(number(address.bus, "bus"), number(address.slot, "slot"), number(address.function, "function"))
    if number(address.domain, "domain") == 0 and found == PciAddr(0, 0, 0):
        return None
    return found


def _wants(obj: object) -> bool:
    address = getattr(obj, "address", None)
    return address is None or address.type is None or (address.type == "pci" and _addr(obj) is None)


def _set(obj: object, addr: PciAddr, multifunction: str | None = None) -> None:
    old = getattr(obj, "address", None)
    keep = old.multifunction if old is not None and old.type == "pci" else None
    obj.address = pci_address(0, addr.bus, addr.slot, addr.function, multifunction or keep)  # type: ignore[attr-defined]


def _hotplug(c: Controller) -> bool:
    return c.target is None or c.target.get("hotplug") != "off"


def _flavours(domain: Domain) -> Flavours:
    pcie = PCIE_AUTO if _has_pcie_root(domain) else PCI_AUTO
    return Flavours(pcie=pcie, virtio=pcie)  # QEMU 7.2 has the transitional virtio devices


def _has_pcie_root(domain: Domain) -> bool:
    devs = domain.devices
    root = controllers.find(devs, "pci", 0) if devs is not None else None
    return root is not None and root.model == "pcie-root"


def _address_set(domain: Domain, devs: Devices, nbuses: int, *, dry_run: bool, bridge: bool) -> AddressSet:
    addrs = AddressSet(nbuses, dry_run=dry_run, pcie_to_pci_bridge=bridge)
    has_pcie_root = False
    for c in devs.controllers:
        if c.type != "pci":
            continue
        index = c.index or 0
        if c.model is not None:
            addrs.buses[index].set_model(c.model, _hotplug(c))
        has_pcie_root = has_pcie_root or c.model == "pcie-root"
    if nbuses and addrs.buses[0].model is None:
        addrs.buses[0].set_model("pci-root")
    for bus in addrs.buses[1:]:
        if bus.model is None:
            bus.set_model("pcie-root-port" if has_pcie_root else "pci-bridge")
    return addrs


def _collect(addrs: AddressSet, devs: list[PciDevice]) -> None:
    for dev in devs:
        addr = _addr(dev.obj)
        if addr is None:
            continue
        c = dev.obj
        _set(c, addr)
        if _piix3_function(c, addr):
            continue  # reserved with the chipset
        addrs.reserve(addr, dev.flags or Connect.PCI_DEVICE)
        _set(dev.obj, addr)  # written as libvirt writes it


def _piix3_function(c: object, addr: PciAddr) -> bool:
    """The PIIX3's own IDE and USB functions (0:1.1 and 0:1.2) of controllers with index 0."""
    if not isinstance(c, Controller) or (addr.bus, addr.slot) != (0, 1) or (c.index or 0) != 0:
        return False
    return (c.type == "ide" and addr.function == 1) or (
        c.type == "usb" and c.model in (None, "piix3-uhci") and addr.function == 2
    )


def _chipset(domain: Domain, devs: Devices, addrs: AddressSet, pci_devs: list[PciDevice]) -> None:
    if machine.is_i440fx(domain):
        _piix3(devs, addrs, pci_devs)
    elif machine.is_q35(domain):
        _ich9(devs, addrs, pci_devs)


def _reserve_fixed(addrs: AddressSet, c: Controller, fixed: PciAddr, what: str, flags: Flags | None) -> None:
    """A chipset function at its fixed address; reserved here unless ``flags`` is None (collected
    with the explicit addresses already, as the Q35 SATA controller is)."""
    from virt_qemu import errors

    present = _addr(c)
    if present is not None and present != fixed:
        raise errors.internal(what)
    if present is None:
        _set(c, fixed)
    if addrs.buses and flags is not None:
        addrs.reserve(fixed, flags)


def _primary_video(devs: Devices, addrs: AddressSet, slot: int, flags: Flags, pci_devs: list[PciDevice]) -> None:
    if not devs.videos:
        return
    video = devs.videos[0]
    kind = video.model.type if video.model is not None else None
    if kind in ("none", "ramfb") or not _wants(video):
        return
    usual = PciAddr(0, slot, 0)
    addrs.validate(usual, flags, True)
    if addrs.slot_in_use(0, slot):
        own = next(d.flags for d in pci_devs if d.obj is video)
        found = addrs.reserve_next(own)
        if not addrs.dry_run:
            _set(video, found)
    else:
        addrs.reserve(usual, flags)
        _set(video, usual)


def _piix3(devs: Devices, addrs: AddressSet, pci_devs: list[PciDevice]) -> None:
    for c in devs.controllers:
        if c.type == "ide" and (c.index or 0) == 0:
            _reserve_fixed(addrs, c, PciAddr(0, 1, 1), "Primary IDE controller must have PCI address 0:0:1.1", PCI_AUTO)
        elif c.type == "usb" and (c.index or 0) == 0 and c.model in (None, "piix3-uhci"):
            _reserve_fixed(
                addrs, c, PciAddr(0, 1, 2), "PIIX3 USB controller at index 0 must have PCI address 0:0:1.2", PCI_AUTO
            )
    if addrs.buses:
        addrs.reserve(PciAddr(0, 1, 0), PCI_AUTO)  # the ISA bridge
        addrs.reserve(PciAddr(0, 1, 3), PCI_AUTO)  # the ACPI/SMBus bridge
    _primary_video(devs, addrs, 2, PCI_AUTO, pci_devs)


def _ich9(devs: Devices, addrs: AddressSet, pci_devs: list[PciDevice]) -> None:
    for c in devs.controllers:
        if c.type == "sata" and (c.index or 0) == 0:
            _reserve_fixed(
                addrs, c, PciAddr(0, 0x1F, 2), "Primary SATA controller must have PCI address 0:0:1f.2", None
            )
        elif c.type == "usb" and c.model == "ich9-uhci1" and (c.address is None or c.address.type is None):
            for slot in (0x1D, 0x1A):
                if not addrs.slot_in_use(0, slot):
                    addrs.reserve(PciAddr(0, slot, 0), Connect.PCIE_DEVICE)
                    _set(c, PciAddr(0, slot, 0), "on")
                    break
        elif (
            c.type == "pci"
            and c.model == "dmi-to-pci-bridge"
            and (c.address is None or c.address.type is None)
            and not addrs.slot_in_use(0, 0x1E)
        ):
            addrs.reserve(PciAddr(0, 0x1E, 0), Connect.PCIE_DEVICE)
            _set(c, PciAddr(0, 0x1E, 0))
    if addrs.buses:
        addrs.reserve(PciAddr(0, 0x1F, 0), Connect.PCIE_DEVICE)  # the LPC/ISA bridge
        addrs.reserve(PciAddr(0, 0x1F, 3), Connect.PCIE_DEVICE)  # the SMBus controller
    _primary_video(devs, addrs, 1, Connect.PCIE_DEVICE, pci_devs)
    if not addrs.slot_in_use(0, 0x1B):
        for sound in devs.sounds:
            if sound.model == "ich9" and _wants(sound):
                addrs.reserve(PciAddr(0, 0x1B, 0), Connect.PCIE_DEVICE)
                _set(sound, PciAddr(0, 0x1B, 0))
                break


def _skipped(dev: PciDevice) -> bool:
    """Devices the assignment passes over although they connect to PCI, or that it refuses."""
    obj = dev.obj
    if dev.kind == "pci-controller":
        return obj.model in ("pci-root", "pcie-root")
    if dev.kind == "controller":
        index = obj.index or 0
        return (
            (obj.type == "usb" and obj.model == "none")
            or obj.type in ("fdc", "ccid")
            or (obj.type == "ide" and index == 0)
            or (obj.type == "scsi" and obj.model == "ncr53c90")
        )
    if dev.kind == "sound":
        return obj.model in ("sb16", "pcspk", "usb")
    if dev.kind == "hostdev-interface":
        return True
    if dev.kind == "video":
        return obj.model is not None and obj.model.type in ("none", "ramfb")
    return False


def _assign(addrs: AddressSet, devs: Devices, pci_devs: list[PciDevice]) -> None:
    """qemuDomainAssignDevicePCISlots: a free slot for each device that connects to PCI and has none."""
    for dev in pci_devs:
        if not dev.flags or _skipped(dev) or not _wants(dev.obj):
            continue
        obj = dev.obj
        if dev.kind == "controller" and obj.type == "usb" and obj.model in USB2_COMPANIONS:
            _usb2(addrs, devs, obj, dev.flags)
            continue
        found = addrs.reserve_next(dev.flags)
        if not addrs.dry_run:
            _set(obj, found)


def _usb2(addrs: AddressSet, devs: Devices, c: Controller, flags: Flags) -> None:
    """The companions of one USB2 controller share its slot, each at its own function."""
    function, multi = _USB2_FUNCTION[c.model or ""]
    sibling = next(
        (
            _addr(o)
            for o in devs.controllers
            if o.type == "usb" and o.model in USB2_COMPANIONS and (o.index or 0) == (c.index or 0) and _addr(o)
        ),
        None,
    )
    if sibling is not None:
        found = addrs.reserve(PciAddr(sibling.bus, sibling.slot, function), flags, from_config=True)
    else:
        found = addrs.reserve_next(flags, function)
    if not addrs.dry_run:
        _set(c, found, multi)


def _spare(addrs: AddressSet, flags: Flags) -> None:
    addrs.reserve_next(flags)


def assign(domain: Domain, caps_has_device: object) -> None:
    """Give every PCI device of ``domain`` an address, adding the PCI controllers needed."""
    devs = domain.devices
    if devs is None or not machine.has_pci(domain):
        return
    has_device = caps_has_device if callable(caps_has_device) else (lambda name: True)
    bridge = bool(has_device("pcie-pci-bridge"))
    flavours = _flavours(domain)
    max_index = max((c.index or 0 for c in devs.controllers if c.type == "pci"), default=-1)
    nbuses = max_index + 1
    if nbuses > 0:
        pci_devs = devices(devs, flavours)
        addrs = _address_set(domain, devs, nbuses, dry_run=True, bridge=bridge)
        _collect(addrs, pci_devs)
        _chipset(domain, devs, addrs, pci_devs)
        if not _has_pcie_root(domain) and not all(b.fully_reserved() for b in addrs.buses):
            _spare(addrs, PCI_AUTO)  # room kept for a pci-bridge, to grow the machine later
        _assign(addrs, devs, pci_devs)
        if max_index <= 0 and len(addrs.buses) > max_index + 1 and _has_pcie_root(domain):
            _spare(addrs, PCIE_AUTO)  # an empty pcie-root-port for hotplug
        n = 1
        while n < len(addrs.buses):
            added = controllers.ensure(devs, "pci", n, addrs.buses[n].model)
            if added is not None and added.model not in ("pci-root", "pcie-root"):
                addrs.reserve_next(controller_flags(added, flavours))
            n += 1
        nbuses = len(addrs.buses)
    pci_devs = devices(devs, flavours)
    addrs = _address_set(domain, devs, nbuses, dry_run=False, bridge=bridge)
    _collect(addrs, pci_devs)
    _chipset(domain, devs, addrs, pci_devs)
    _assign(addrs, devs, pci_devs)
    _set_multifunction(pci_devs)
    _complete_pci_controllers(devs)


def _set_multifunction(pci_devs: list[PciDevice]) -> None:
    """multifunction='on' for function 0 of a slot with other functions in use (unless set off)."""
    placed = [(d.obj, _addr(d.obj)) for d in pci_devs]
    shared = {(a.bus, a.slot) for _, a in placed if a is not None and a.function != 0}
    for obj, a in placed:
        if a is not None and a.function == 0 and (a.bus, a.slot) in shared and obj.address.multifunction is None:
            obj.address.multifunction = "on"


def _complete_pci_controllers(devs: Devices) -> None:
    """<model name> and <target> options libvirt fills in for PCI controllers."""
    from virt_qemu import errors

    for c in devs.controllers:
        if c.type != "pci":
            continue
        index = c.index or 0
        if c.model_name is None and c.model in _MODEL_NAMES:
            c.model_name = element("model", name=_MODEL_NAMES[c.model])
        target = c.target if c.target is not None else etree.Element("target")
        addr = _addr(c)
        if c.model == "pci-bridge" and target.get("chassisNr") is None:
            target.set("chassisNr", str(index))
        elif c.model in ("pcie-root-port", "pcie-switch-downstream-port"):
            if target.get("chassis") is None:
                target.set("chassis", str(index))
            if target.get("port") is None and addr is not None:
                port = (addr.slot << 3) + addr.function if c.model == "pcie-root-port" else addr.slot
                target.set("port", hex(port))
            elif target.get("port") is not None:
                target.set("port", hex(int(target.get("port") or "0", 0)))
        if len(target.attrib) or len(target):
            c.target = target
        if c.model == "pci-bridge" and addr is not None and index <= addr.bus:
            raise errors.unsupported(
                f"PCI controller at index {index} (0x{index:02x}) has bus='0x{addr.bus:02x}', "
                "but index must be larger than bus"
            )
