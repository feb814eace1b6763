"""The capabilities XML documents of the QEMU driver, built from probed :class:`QemuCaps`.

``<capabilities>`` fits the typed models of ``virt.xml.capabilities``. The typed
``DomainCapabilities`` model only declares path, domain, machine and arch so far, so the rest of
``<domainCapabilities>`` is built as XML and parsed into the model: what the model does not declare
is kept in its ``unknown`` store and written back in place, and moves into typed fields for free
once the model grows them.

``<domainCapabilities>`` offers only what the command builder builds (``virt_qemu.command``), and
takes it from the builder's own tables (``DISK_BUSES``, ``VIDEO_MODELS``, ``NOT_YET``...), filtered by
what the probed binary has: a client such as virt-manager must not be offered a device or a value
that the domain's start would then refuse. ``tests/test_driver_domcaps.py`` builds a domain with each
value offered.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterable
from pathlib import Path

from lxml import etree
from virt.localstate.hostcaps import local_host
from virt.xml.capabilities import (
    Capabilities,
    Guest,
    GuestArch,
    GuestDomain,
)
from virt.xml.capabilities import (
    Machine as XmlMachine,
)
from virt.xml.domaincaps import DomainCapabilities

from virt_qemu import errors
from virt_qemu.caps import Machine, QemuCaps, host_arch
from virt_qemu.command import chardev, disks
from virt_qemu.command import devices as command_devices
from virt_qemu.command import machine as command_machine
from virt_qemu.command.errors import Node, UnsupportedConfig
from virt_qemu.command.machinetypes import Family, family_of, refusal

# the devices a board without PCI can have: isapc's IDE disks and CD-ROMs on its ISA IDE controllers
_ISA_DEVICES = {Family.ISAPC: frozenset({"ide-hd", "ide-cd"}), Family.MICROVM: frozenset()}
_WORDSIZE_64 = {"x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "riscv64", "mips64", "mips64el", "sparc64", "alpha"}
# where distributions install UEFI firmware, per guest architecture
FIRMWARE_DIRS = {
    "x86_64": [Path("/usr/share/OVMF")],
    "i686": [Path("/usr/share/OVMF")],
    "aarch64": [Path("/usr/share/AAVMF")],
}
_KVM_CHECK_EXTENSION = 0xAE03  # _IO(KVMIO, 0x03)
_KVM_CAP_MAX_VCPUS = 66
_KVM_CAP_X86_SMM = 117


def wordsize(arch: str) -> int:
    return 64 if arch in _WORDSIZE_64 else 32


# -- <capabilities> ----------------------------------------------------------------------------


def host_capabilities(caps: list[QemuCaps]) -> Capabilities:
    """The host and one ``<guest>`` per binary (machines with aliases, qemu and kvm domains)."""
    # the models' attrs __init__ is invisible to mypy behind @model, so fields are set one by one
    doc = Capabilities()
    doc.host = local_host(host_arch(), processor_details=True)
    doc.guests = [_guest(c) for c in sorted(caps, key=lambda c: arch_rank(c.arch))]
    return doc


# libvirt 9.0's architectures in the order of its virArch enumeration, the order of its <guest> elements
_LIBVIRT_ARCHES = (
    "alpha", "armv6l", "armv7l", "armv7b", "aarch64", "cris", "i686", "ia64", "lm32", "m68k",
    "microblaze", "microblazeel", "mips", "mipsel", "mips64", "mips64el", "openrisc", "parisc", "parisc64",
    "ppc", "ppcle", "ppc64", "ppc64le", "ppcemb", "riscv32", "riscv64", "s390", "s390x", "sh4", "sh4eb",
    "sparc", "sparc64", "unicore32", "x86_64", "xtensa", "xtensaeb",
)  # fmt: skip


def arch_rank(arch: str) -> int:
    """Where libvirt lists a guest architecture; unknown ones go last."""
    return _LIBVIRT_ARCHES.index(arch) if arch in _LIBVIRT_ARCHES else len(_LIBVIRT_ARCHES)


def _machine(name: str, max_cpus: int, deprecated: bool, canonical: str | None = None) -> XmlMachine:
    m = XmlMachine()
    m.name = name
    m.canonical = canonical
    m.max_cpus = max_cpus
    m.deprecated = True if deprecated else None
    return m


def listed_machines(caps: QemuCaps) -> list[Machine]:
    """The machine types in libvirt's order: QEMU's default first, then the others in QEMU's order
    (clients take the first as the default: virt-install does). ``none``, an empty board for probing,
    is hidden, as libvirt hides it."""
    machines = [m for m in caps.machines if m.name != "none"]
    return sorted(machines, key=lambda m: not m.is_default)  # a stable sort keeps QEMU's order


def _guest(caps: QemuCaps) -> Guest:
    machines: list[XmlMachine] = []
    for m in listed_machines(caps):
        # the canonical name comes right before its alias, which names it
        machines.append(_machine(m.name, m.max_cpus, m.deprecated))
        if m.alias:
            machines.append(_machine(m.alias, m.max_cpus, m.deprecated, canonical=m.name))
    arch = GuestArch()
    arch.name = caps.arch
    arch.wordsize = wordsize(caps.arch)
    arch.emulator = caps.binary
    arch.machines = machines
    for virttype in ("qemu", "kvm") if caps.kvm else ("qemu",):
        domain = GuestDomain()
        domain.type = virttype
        arch.domains.append(domain)
    guest = Guest()
    guest.os_type = "hvm"
    guest.arch = arch
    guest.features = _guest_features(caps.arch)
    return guest


def _guest_features(arch: str) -> etree._Element:
    features = etree.Element("features")
    if arch == "i686":
        etree.SubElement(features, "pae")
        etree.SubElement(features, "nonpae")
    if arch in ("x86_64", "i686"):
        etree.SubElement(features, "acpi", default="on", toggle="yes")
        etree.SubElement(features, "apic", default="on", toggle="no")
    etree.SubElement(features, "cpuselection")
    etree.SubElement(features, "deviceboot")
    etree.SubElement(features, "disksnapshot", default="on", toggle="no")
    return features


# -- <domainCapabilities> ----------------------------------------------------------------------


def domain_capabilities(caps: QemuCaps, machine: str | None, virttype: str) -> DomainCapabilities:
    """What a ``virttype`` (qemu or kvm) domain on ``machine`` of this binary can use: what the
    command builder builds and the binary has."""
    canonical = caps.resolve_machine(machine)
    family = _family(canonical)
    root = etree.Element("domainCapabilities")
    _text(root, "path", caps.binary)
    _text(root, "domain", virttype)
    _text(root, "machine", canonical)
    _text(root, "arch", caps.arch)
    max_cpus = caps.machine(canonical).max_cpus
    if virttype == "kvm":
        kvm_max = kvm_max_vcpus()
        if kvm_max:
            max_cpus = min(max_cpus, kvm_max)
    etree.SubElement(root, "vcpu", max=str(max_cpus))
    _supported(root, "iothreads", "iothreads" in command_machine.DOMAIN_HANDLED and caps.has_object("iothread"))
    root.append(_os(caps, family, virttype))
    root.append(_cpu(caps, virttype))
    # memoryBacking's source types would be offered here once the builder builds <memoryBacking>
    _supported(root, "memoryBacking", "memory_backing" in command_machine.DOMAIN_HANDLED)
    root.append(_devices(caps, family))
    root.append(_features(caps))
    return DomainCapabilities.from_element(root)


def _family(canonical: str) -> Family:
    """The board of a machine type; one the builder refuses has nothing to offer: the refusal says why."""
    try:
        return family_of(canonical, Node("/domain/os/type/@machine"))
    except UnsupportedConfig as exc:
        reason = refusal(canonical)
        detail = f"machine type '{canonical}' cannot run a guest: {reason}" if reason else None
        raise errors.unsupported(detail or f"machine type '{canonical}' is not supported by virt-qemu yet") from exc


def kvm_max_vcpus() -> int | None:
    """KVM's own vCPU limit (KVM_CAP_MAX_VCPUS), or None when /dev/kvm cannot be asked."""
    value = _kvm_extension(_KVM_CAP_MAX_VCPUS)
    return value if value else None


def kvm_has_smm() -> bool:
    """Whether KVM emulates System Management Mode (KVM_CAP_X86_SMM), which UEFI Secure Boot needs:
    nested KVM often lacks it, and QEMU then refuses to start (*SMM not supported by this hypervisor*)."""
    return bool(_kvm_extension(_KVM_CAP_X86_SMM))


def _kvm_extension(capability: int) -> int:
    """KVM_CHECK_EXTENSION's answer for ``capability`` (0: absent, or /dev/kvm cannot be asked)."""
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return 0
    try:
        value = fcntl.ioctl(fd, _KVM_CHECK_EXTENSION, capability)
    except OSError:
        return 0
    finally:
        os.close(fd)
    return max(0, value)


def firmware_loaders(arch: str) -> list[str]:
    """UEFI code images installed for ``arch`` (the ``*_CODE*.fd`` files of OVMF/AAVMF)."""
    found: list[str] = []
    for folder in FIRMWARE_DIRS.get(arch, []):
        with contextlib.suppress(OSError):
            found.extend(str(p) for p in sorted(folder.glob("*_CODE*.fd")))
    return found


def _os(caps: QemuCaps, family: Family, virttype: str) -> etree._Element:
    os_el = etree.Element("os", supported="yes")
    # UEFI needs PCI (and its pflash), which isapc and microvm lack: they keep their own firmware
    loaders = firmware_loaders(caps.arch) if family.has_pflash else []
    # the firmware attribute alone asks for autoselection: only the values built without a loader path
    _enum(os_el, "firmware", [f for f in command_machine.FIRMWARE if caps.arch in ("x86_64", "i686")])
    loader = _supported(os_el, "loader", bool(loaders))
    if not loaders:
        return os_el
    for path in loaders:
        _text(loader, "value", path)
    _enum(loader, "type", command_machine.LOADER_TYPES)
    _enum(loader, "readonly", ["yes", "no"])
    secure = command_machine.secure_boot_possible(family is Family.Q35) and any(_secure_firmware(p) for p in loaders)
    secure = secure and (virttype != "kvm" or kvm_has_smm())
    _enum(loader, "secure", ["yes", "no"] if secure else ["no"])
    return os_el


def _secure_firmware(path: str) -> bool:
    """Debian's OVMF images with Secure Boot (``*.secboot.fd``, ``*.ms.fd`` with Microsoft's keys)."""
    return "secboot" in path or ".ms." in path


def _cpu(caps: QemuCaps, virttype: str) -> etree._Element:
    cpu = etree.Element("cpu")
    passthrough = _mode(cpu, "host-passthrough", virttype == "kvm")
    if virttype == "kvm":
        _enum(passthrough, "hostPassthroughMigratable", ["on", "off"])
    maximum = _mode(cpu, "maximum", "max" in caps.cpu_models or virttype == "kvm")
    _enum(maximum, "maximumMigratable", ["on", "off"])
    # host-model needs the host CPU expanded into a named model, which nothing computes yet
    _mode(cpu, "host-model", False)
    custom = _mode(cpu, "custom", bool(caps.cpu_models))
    # usability was probed with the binary's best accelerator, so it only speaks for that one
    known = virttype == ("kvm" if caps.kvm else "qemu")
    for name in caps.cpu_models:
        if name in ("host", "max", "base"):  # not models a guest can name
            continue
        usable = ("yes" if name in caps.usable_cpu_models else "no") if known else "unknown"
        model = etree.SubElement(custom, "model", usable=usable, vendor=cpu_vendor(name))
        model.text = name
    return cpu


_VENDOR_PREFIXES = (
    ("AMD", ("EPYC", "Opteron", "phenom", "athlon")),
    ("Hygon", ("Dhyana",)),
    (
        "Intel",
        (
            *("Conroe", "Penryn", "Nehalem", "Westmere", "SandyBridge", "IvyBridge", "Haswell", "Broadwell", "Skylake"),
            *("Cascadelake", "Cooperlake", "Icelake", "Snowridge", "SapphireRapids", "Denverton", "GraniteRapids"),
            *("core2duo", "coreduo", "n270", "KnightsMill"),
        ),
    ),
)


def cpu_vendor(model: str) -> str:
    """The vendor of a QEMU CPU model, as libvirt's CPU map names it; generic models are ``unknown``."""
    for vendor, prefixes in _VENDOR_PREFIXES:
        if model.startswith(prefixes):
            return vendor
    return "unknown"


def _devices(caps: QemuCaps, family: Family) -> etree._Element:
    devices = etree.Element("devices")
    pci = family.has_pci

    def has(device: str) -> bool:
        # on a board without PCI only its built-in ISA devices can be had
        return caps.has_device(device) and (pci or device in _ISA_DEVICES[family])

    buses = [
        bus
        for bus, needed in disks.DISK_BUSES.items()
        if disks.machine_has_bus(bus, family is Family.Q35) and all(has(d) for d in needed)
    ]
    disk = _supported(devices, "disk", bool(buses))
    if buses:
        _enum(disk, "diskDevice", disks.DISK_DEVICES)
        _enum(disk, "bus", buses)
        _enum(disk, "model", [m for m, device in disks.VIRTIO_BLK_MODELS.items() if has(device)])

    graphics = _supported(devices, "graphics", bool(command_devices.GRAPHICS_TYPES))
    # display backends are QEMU modules that QMP does not list; a VNC server shows as query-vnc
    _enum(graphics, "type", [t for t in command_devices.GRAPHICS_TYPES if caps.has_command(f"query-{t}")])

    models = [m for m, (primary, _) in command_devices.VIDEO_MODELS.items() if has(primary)]
    # a board without a video card to offer (no PCI) offers no <video>, not just model 'none'
    video = _supported(devices, "video", bool(models))
    if models:
        _enum(video, "modelType", [*models, "none"])

    # the kinds of device the builder refuses whole are unsupported; none is built yet
    _supported(devices, "hostdev", "hostdevs" not in command_devices.NOT_YET)

    rng_models = [m for m, suffix in command_devices.VIRTIO_MODELS.items() if has(f"virtio-rng-pci{suffix}")]
    rng = _supported(devices, "rng", bool(rng_models))
    if rng_models:
        _enum(rng, "model", rng_models)
        backends = [m for m, qom_type in command_devices.RNG_BACKENDS.items() if caps.has_object(qom_type)]
        _enum(rng, "backendModel", backends)

    for tag, field in (("filesystem", "filesystems"), ("tpm", "tpms"), ("redirdev", "redirdevs")):
        _supported(devices, tag, field not in command_devices.NOT_YET)

    channel = _supported(devices, "channel", has("virtserialport"))
    if has("virtserialport"):
        _enum(channel, "type", chardev.CHAR_BACKENDS)
    return devices


def _features(caps: QemuCaps) -> etree._Element:
    features = etree.Element("features")
    _supported(features, "gic", False)
    vmcoreinfo = "vmcoreinfo" in (*command_machine.FEATURES_HANDLED, *command_machine.FEATURES_KEPT)
    _supported(features, "vmcoreinfo", vmcoreinfo and caps.has_device("vmcoreinfo"))
    _supported(features, "genid", "genid" in command_machine.DOMAIN_HANDLED and caps.has_device("vmgenid"))
    _supported(features, "backingStoreInput", False)  # the builder refuses explicit <backingStore> chains
    _supported(features, "backup", False)  # no backup jobs (virDomainBackupBegin) in the driver
    _supported(features, "sev", False)
    _supported(features, "sgx", False)
    return features


def _text(parent: etree._Element, tag: str, value: str) -> etree._Element:
    el = etree.SubElement(parent, tag)
    el.text = value
    return el


def _supported(parent: etree._Element, tag: str, supported: bool) -> etree._Element:
    return etree.SubElement(parent, tag, supported="yes" if supported else "no")


def _mode(cpu: etree._Element, name: str, supported: bool) -> etree._Element:
    return etree.SubElement(cpu, "mode", name=name, supported="yes" if supported else "no")


def _enum(parent: etree._Element, name: str, values: Iterable[str]) -> None:
    enum = etree.SubElement(parent, "enum", name=name)
    for value in values:
        _text(enum, "value", value)
