"""The machine types virt-qemu builds, the ones it refuses and why, and what a board without PCI allows.

QEMU 7.2's x86 machine types fall into four families that run guests: the i440FX PCs (``pc``,
``pc-i440fx-*``), the Q35 PCs (``q35``, ``pc-q35-*``), ``isapc`` (an i440FX-era PC with an ISA bus
only) and ``microvm`` (a minimal board: ISA serial, RTC and virtio-mmio, no PCI unless asked).
The others are no guest machines: ``none`` (an empty board, QEMU's own for probing), ``x-remote``
(the device server of multi-process QEMU) and, in QEMU builds with Xen, ``xenfv``/``xenpv``, which
need the Xen hypervisor. Those are refused by name, with the reason.

``isapc`` and ``microvm`` have no PCI bus, so every device that is a PCI function is refused on
them: :func:`check_devices` names the first such device and what the board offers instead, at
define time and again when the command is built; :class:`NoPciBus` stands in for the PCI plan, so
that nothing that would be placed on a PCI bus can slip through unnoticed.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from virt.xml.devices import Address, Devices
from virt.xml.domain import Domain

from virt_qemu.command.errors import Node, raw_node


class Family(enum.Enum):
    """The kinds of board the command builder builds."""

    I440FX = "i440fx"
    Q35 = "q35"
    ISAPC = "isapc"
    MICROVM = "microvm"

    @property
    def has_pci(self) -> bool:
        return self in (Family.I440FX, Family.Q35)

    @property
    def has_pflash(self) -> bool:
        """Whether UEFI can be loaded as pflash: isapc maps its firmware as a ROM, microvm has no flash."""
        return self.has_pci

    @property
    def pc_properties(self) -> bool:
        """Whether the -machine options of the PC boards exist (``vmport``, ``hpet``)."""
        return self is not Family.MICROVM


REFUSED: dict[str, str] = {
    "none": "it is QEMU's empty board (no firmware, no devices), used to probe QEMU, not to run guests",
    "x-remote": "it is the device server of multi-process QEMU, which runs devices for another QEMU, not a guest",
    "xenfv": "Xen machines run on the Xen hypervisor: use libvirt's Xen driver (xen:///system)",
    "xenpv": "Xen machines run on the Xen hypervisor: use libvirt's Xen driver (xen:///system)",
}
"""Machine types (or the prefix of versioned ones: ``xenfv-4.2``) that are no guest machines, and why."""

_BOARDS = {"isapc": Family.ISAPC, "microvm": Family.MICROVM, "pc": Family.I440FX, "q35": Family.Q35}


def refusal(canonical: str) -> str | None:
    """Why ``canonical`` is refused, or None for a machine type of a family that is built or unknown."""
    for name, reason in REFUSED.items():
        if canonical == name or canonical.startswith(f"{name}-"):
            return reason
    return None


def family_of(canonical: str, node: Node) -> Family:
    """The family of a machine type; an UnsupportedConfig at ``node`` naming it otherwise."""
    why = refusal(canonical)
    if why is not None:
        raise node.refuse(f"machine type '{canonical}' cannot run a guest: {why}")
    if canonical in _BOARDS:
        return _BOARDS[canonical]
    if canonical.startswith("pc-i440fx-"):
        return Family.I440FX
    if canonical.startswith("pc-q35-"):
        return Family.Q35
    raise node.not_yet(f"machine type '{canonical}' is")


GENERIC_CPUS = ("qemu64", "qemu32")


def own_default_cpu(machines: Iterable[Any], machine: str) -> str | None:
    """The CPU model a machine type runs without ``-cpu`` when it is not QEMU's generic one: ``486`` on
    isapc (query-machines' default-cpu-type, which libvirt writes into the definition); else None."""
    for m in machines:
        if machine in (m.name, m.alias):
            own = getattr(m, "default_cpu", None)
            return own if own and own not in GENERIC_CPUS else None
    return None


def default_usb_model(family: Family) -> str:
    """The USB controller a domain gets without naming one: libvirt adds none to isapc (nor can microvm
    carry one: every USB controller is a PCI device)."""
    return {Family.Q35: "qemu-xhci", Family.I440FX: "piix3-uhci"}.get(family, "none")


# -- boards without PCI --------------------------------------------------------------------------------


class NoPciBus:
    """The PCI plan of a board without PCI: any device placed on it is refused, naming the device."""

    root = None
    primary_video_slot = None

    def __init__(self, machine: str) -> None:
        self.machine = machine
        self.used: set[tuple[int, int, int]] = set()

    def add_bus(self, index: int, qdev_id: str, slots: range) -> None:
        raise Node("/domain/devices/controller").refuse(f"machine type '{self.machine}' has no PCI bus")

    def place(self, props: dict[str, Any], address: Address | None, node: Node, prefer_slot: int | None = None) -> None:
        device = props.get("driver", "this device")
        raise node.refuse(f"machine type '{self.machine}' has no PCI bus, and {device} is a PCI device")

    def finish(self, node: Node) -> None:
        """Nothing was placed (``place`` refuses), so nothing is left to place."""


# what each board without PCI offers, for the messages
_OFFERS = {
    Family.ISAPC: "IDE disks, ISA serial ports, PS/2 input, the ib700 watchdog and VNC",
    Family.MICROVM: "ISA serial ports, the ib700 watchdog, direct kernel boot and VNC",
}
_SERIAL_TARGETS = (None, "isa-serial", "serial")


def check_devices(domain: Domain, family: Family, machine: str) -> None:
    """Refuse the first device of ``domain`` that needs a PCI bus the board does not have."""
    if family.has_pci or domain.devices is None:
        return
    devices: Devices = domain.devices
    root = Node.of("/domain/devices", devices)

    def refuse(tag: str, obj: Any, n: int, what: str) -> None:
        offers = _OFFERS[family]
        raise root.child(tag, obj, n).refuse(f"machine type '{machine}' has no PCI bus for {what} (it offers {offers})")

    for n, disk in enumerate(devices.disks):
        bus = disk.target.bus if disk.target is not None else None
        if family is not Family.ISAPC or bus != "ide":
            refuse("disk", disk, n, f"a disk on the '{bus}' bus" if bus else "a disk")
    for n, controller in enumerate(devices.controllers):
        kind, model = controller.type, controller.model
        builtin = family is Family.ISAPC and (kind == "fdc" or (kind == "ide" and not controller.index))
        if not builtin and not (kind == "usb" and model == "none"):
            refuse("controller", controller, n, f"a {kind} controller" + (f" of model '{model}'" if model else ""))
    for n, interface in enumerate(devices.interfaces):
        refuse("interface", interface, n, "a network interface (ISA NICs are not built)")
    for n, serial in enumerate(devices.serials):
        if serial.target is not None and serial.target.type not in _SERIAL_TARGETS:
            refuse("serial", serial, n, f"a serial port of type '{serial.target.type}'")
    for n, console in enumerate(devices.consoles):
        if console.target is not None and console.target.type not in _SERIAL_TARGETS:
            refuse("console", console, n, f"a console of type '{console.target.type}'")
    for n, channel in enumerate(devices.channels):
        refuse("channel", channel, n, "a channel (virtio-serial)")
    for n, input_ in enumerate(devices.inputs):
        bus = input_.bus or ("ps2" if input_.type in ("mouse", "keyboard") else "usb")
        if family is not Family.ISAPC or bus != "ps2":
            refuse("input", input_, n, f"a {input_.type} on the {bus} bus")
    for n, video in enumerate(devices.videos):
        model = video.model.type if video.model is not None else None
        if model != "none":
            refuse("video", video, n, f"a video card of model '{model or 'default'}' (ISA VGA is not built)")
    balloon = devices.memballoon
    if balloon is not None and balloon.model != "none":
        raise root.child("memballoon", balloon).refuse(
            f"machine type '{machine}' has no PCI bus for a {balloon.model} memory balloon: use model='none'"
        )
    for n, rng in enumerate(devices.rngs):
        refuse("rng", rng, n, "a virtio RNG")
    for n, watchdog in enumerate(devices.watchdogs):
        if watchdog.model != "ib700":
            refuse("watchdog", watchdog, n, f"a watchdog of model '{watchdog.model}'")


def check_no_sleep_states(domain: Domain, machine: str) -> None:
    """Refuse a sleep state enabled on a board without ACPI power management (isapc, microvm); disabling
    one, as virt-install always writes, asks for what such a board is anyway."""
    if domain.pm is None:
        return
    for el in domain.pm:
        if isinstance(el.tag, str) and el.get("enabled") == "yes":
            node = raw_node(raw_node(Node.of("/domain", domain), domain.pm, "pm"), el, el.tag).attr("enabled")
            raise node.refuse(f"machine type '{machine}' has no ACPI power management device for sleep states")


def check_definition(domain: Domain, canonical: str) -> None:
    """The define-time check of the machine type, of the devices it can carry and of its sleep states."""
    node = Node.of("/domain/os/type", domain.os.type if domain.os is not None else None).attr("machine")
    family = family_of(canonical, node)
    check_devices(domain, family, canonical)
    if not family.has_pci:
        check_no_sleep_states(domain, canonical)
