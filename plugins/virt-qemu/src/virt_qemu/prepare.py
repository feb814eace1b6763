"""What the QEMU driver checks and fills in before it stores or starts a definition.

libvirt's QEMU driver completes every definition it is given (its post-parse step): a UUID, MAC
addresses, the emulator, the canonical machine type. These helpers do the same, so that
``dumpxml`` after ``define`` shows what the guest will really get.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from virt.errors import ErrorDomain, ErrorNumber

from virt_qemu import errors
from virt_qemu.command import machinetypes

if TYPE_CHECKING:
    from virt.xml import Domain

    from virt_qemu.caps import QemuCaps

DEFAULT_ARCH = "x86_64"
VIRT_TYPES = ("kvm", "qemu")
MAC_PREFIX = "52:54:00"
"""QEMU's (and libvirt's) locally administered prefix for generated MAC addresses."""
_UNSUPPORTED_ACTIONS = {"on_poweroff": ("preserve", "rename-restart"), "on_reboot": ("preserve", "rename-restart")}


def check_name(name: str | None) -> str:
    """A domain name usable as a file name (definitions and status files are named after it)."""
    if not name:
        raise errors.error(ErrorNumber.NO_NAME, "missing name information", ErrorDomain.DOMAIN)
    if "/" in name or "\n" in name or "\0" in name or name in (".", ".."):
        raise errors.error(ErrorNumber.XML_ERROR, f"name '{name}' cannot contain '/', a newline or be '.' or '..'")
    return name


def check(domain: Domain) -> None:
    """Refuse what this driver cannot run at all, whatever the binary (before any probing)."""
    check_name(domain.name)
    if domain.type not in VIRT_TYPES:
        raise errors.error(
            ErrorNumber.CONFIG_UNSUPPORTED if domain.type else ErrorNumber.XML_ERROR,
            f"domain type '{domain.type}' is not supported by the QEMU driver; use 'kvm' or 'qemu'"
            if domain.type
            else "missing domain type attribute",
        )
    os_type = domain.os.type.name if domain.os is not None and domain.os.type is not None else None
    if os_type is None:
        raise errors.error(ErrorNumber.OS_TYPE, "no OS type: an <os><type>hvm</type></os> element is required")
    if os_type != "hvm":
        raise errors.error(ErrorNumber.OS_TYPE, f"OS type '{os_type}' is not supported by the QEMU driver; use 'hvm'")
    for field, refused in _UNSUPPORTED_ACTIONS.items():
        action = getattr(domain, field)
        if action in refused:
            raise errors.unsupported(f"the QEMU driver does not support the '{action}' action for <{field}>")


def fill(domain: Domain, binary_for: Callable[[str | None, str | None], tuple[str, QemuCaps]]) -> QemuCaps:
    """Complete ``domain`` in place: UUID, arch, emulator, canonical machine, MAC addresses; returns
    the caps of the binary chosen.

    ``binary_for(arch, emulator)`` returns ``(binary, caps)``: the driver's cached probe.
    """
    from virt.xml.devices import Devices, Mac

    if domain.uuid is None:
        domain.uuid = uuid.uuid4()
    domain.id = None
    assert domain.os is not None and domain.os.type is not None  # check() made sure
    os_type = domain.os.type
    if os_type.arch is None:
        os_type.arch = DEFAULT_ARCH
    if domain.devices is None:
        domain.devices = Devices()
    binary, caps = binary_for(os_type.arch, domain.devices.emulator)
    domain.devices.emulator = binary
    check_caps(domain, caps)
    # the real name, as libvirt stores it: pc -> pc-i440fx-7.2; CONFIG_UNSUPPORTED when unknown
    os_type.machine = caps.resolve_machine(os_type.machine)
    # a machine type that runs no guest, or a device its board cannot carry (isapc has no PCI bus)
    machinetypes.check_definition(domain, os_type.machine)
    taken = {i.mac.address for i in domain.devices.interfaces if i.mac is not None and i.mac.address}
    for interface in domain.devices.interfaces:
        if interface.mac is not None and interface.mac.address:
            continue
        address = generate_mac(taken)
        taken.add(address)
        if interface.mac is None:
            interface.mac = Mac()
        interface.mac.address = address
    return caps


def generate_mac(taken: set[str]) -> str:
    while True:
        address = MAC_PREFIX + "".join(f":{b:02x}" for b in secrets.token_bytes(3))
        if address not in taken:
            return address


def check_caps(domain: Domain, caps: QemuCaps) -> None:
    """Refuse a definition the chosen binary cannot run (libvirt's checks against its caps)."""
    if domain.type == "kvm" and not caps.kvm:
        raise errors.unsupported(
            "Domain requires KVM, but it is not available. Check that virtualization is enabled in the "
            "host BIOS, and host configuration is setup to load the kvm modules."
        )
    arch = domain.os.type.arch if domain.os is not None and domain.os.type is not None else None
    if arch is not None and arch != caps.arch and not (arch == "i686" and caps.arch == "x86_64"):
        raise errors.unsupported(f"Emulator '{caps.binary}' does not support arch '{arch}' (it emulates {caps.arch})")


def for_start(domain: Domain) -> None:
    """What libvirt changes in the definition a guest starts with: the memory sizes (``memdevices``);
    an empty drive (a CD-ROM or floppy without a medium) has no format while it runs
    (``<driver name='qemu'/>``), whatever the stored definition says."""
    from virt.localstate.stats import disk_source

    from virt_qemu import memdevices

    memdevices.for_start(domain)  # memory sizes rounded as QEMU needs them, the DIMMs' aliases
    for disk in domain.devices.disks if domain.devices is not None else []:
        if disk.driver is not None and disk_source(disk) is None and (disk.type or "file") in ("file", "block"):
            disk.driver.type = None
