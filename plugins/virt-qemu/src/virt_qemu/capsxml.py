"""The capabilities XML documents of the QEMU driver, built from probed :class:`QemuCaps`.

``<capabilities>`` fits the typed models of ``virt.xml.capabilities``. The typed
``DomainCapabilities`` model only declares path, domain, machine and arch so far, so the rest of
``<domainCapabilities>`` is built as XML and parsed into the model: what the model does not declare
is kept in its ``unknown`` store and written back in place, and moves into typed fields for free
once the model grows them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from collections.abc import Iterable
from pathlib import Path

from lxml import etree
from virt.xml.capabilities import (
    Capabilities,
    Guest,
    GuestArch,
    GuestDomain,
    Host,
    HostCPU,
)
from virt.xml.capabilities import (
    Machine as XmlMachine,
)
from virt.xml.domaincaps import DomainCapabilities

from virt_qemu.caps import QemuCaps, host_arch

_WORDSIZE_64 = {"x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "riscv64", "mips64", "mips64el", "sparc64", "alpha"}
# where distributions install UEFI firmware, per guest architecture
FIRMWARE_DIRS = {
    "x86_64": [Path("/usr/share/OVMF")],
    "i686": [Path("/usr/share/OVMF")],
    "aarch64": [Path("/usr/share/AAVMF")],
}
_KVM_CHECK_EXTENSION = 0xAE03  # _IO(KVMIO, 0x03)
_KVM_CAP_MAX_VCPUS = 66


def wordsize(arch: str) -> int:
    return 64 if arch in _WORDSIZE_64 else 32


# -- <capabilities> ----------------------------------------------------------------------------


def host_capabilities(caps: list[QemuCaps]) -> Capabilities:
    """The host and one ``<guest>`` per binary (machines with aliases, qemu and kvm domains)."""
    # the models' attrs __init__ is invisible to mypy behind @model, so fields are set one by one
    cpu = HostCPU()
    cpu.arch = host_arch()
    host = Host()
    host.uuid = _host_uuid()
    host.cpu = cpu
    doc = Capabilities()
    doc.host = host
    doc.guests = [_guest(c) for c in caps]
    return doc


def _machine(name: str, max_cpus: int, deprecated: bool, canonical: str | None = None) -> XmlMachine:
    m = XmlMachine()
    m.name = name
    m.canonical = canonical
    m.max_cpus = max_cpus
    m.deprecated = True if deprecated else None
    return m


def _guest(caps: QemuCaps) -> Guest:
    machines: list[XmlMachine] = []
    for m in caps.machines:
        if m.name == "none":  # an empty board for probing, as libvirt hides it
            continue
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


def _host_uuid() -> uuid.UUID | None:
    """The host's UUID: SMBIOS when readable (root), else systemd's machine-id, which is one too."""
    for source in (Path("/sys/class/dmi/id/product_uuid"), Path("/etc/machine-id")):
        with contextlib.suppress(OSError, ValueError):
            return uuid.UUID(source.read_text().strip())
    return None


# -- <domainCapabilities> ----------------------------------------------------------------------


def domain_capabilities(caps: QemuCaps, machine: str | None, virttype: str) -> DomainCapabilities:
    """What a ``virttype`` (qemu or kvm) domain on ``machine`` of this binary can use."""
    canonical = caps.resolve_machine(machine)
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
    _supported(root, "iothreads", caps.has_object("iothread"))
    root.append(_os(caps))
    root.append(_cpu(caps, virttype))
    memory = _supported(root, "memoryBacking", True)
    _enum(memory, "sourceType", ["file", "anonymous", *(["memfd"] if caps.has_object("memory-backend-memfd") else [])])
    root.append(_devices(caps, canonical))
    root.append(_features(caps))
    return DomainCapabilities.from_element(root)


def kvm_max_vcpus() -> int | None:
    """KVM's own vCPU limit (KVM_CAP_MAX_VCPUS), or None when /dev/kvm cannot be asked."""
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        value = fcntl.ioctl(fd, _KVM_CHECK_EXTENSION, _KVM_CAP_MAX_VCPUS)
    except OSError:
        return None
    finally:
        os.close(fd)
    return value if value > 0 else None


def firmware_loaders(arch: str) -> list[str]:
    """UEFI code images installed for ``arch`` (the ``*_CODE*.fd`` files of OVMF/AAVMF)."""
    found: list[str] = []
    for folder in FIRMWARE_DIRS.get(arch, []):
        with contextlib.suppress(OSError):
            found.extend(str(p) for p in sorted(folder.glob("*_CODE*.fd")))
    return found


def _os(caps: QemuCaps) -> etree._Element:
    os_el = etree.Element("os", supported="yes")
    loaders = firmware_loaders(caps.arch)
    firmware = ["bios"] if caps.arch in ("x86_64", "i686") else []
    if loaders:
        firmware.append("efi")
    _enum(os_el, "firmware", firmware)
    loader = _supported(os_el, "loader", True)
    for path in loaders:
        _text(loader, "value", path)
    _enum(loader, "type", ["rom", "pflash"])
    _enum(loader, "readonly", ["yes", "no"])
    _enum(loader, "secure", ["yes", "no"] if any("secboot" in p or ".ms." in p for p in loaders) else ["no"])
    return os_el


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


def _devices(caps: QemuCaps, machine: str) -> etree._Element:
    devices = etree.Element("devices")
    has = caps.has_device

    disk = _supported(devices, "disk", True)
    _enum(disk, "diskDevice", ["disk", "cdrom", "floppy", "lun"])
    q35 = machine.startswith("pc-q35") or machine == "q35"
    buses = [
        *(["ide"] if caps.arch in ("x86_64", "i686") and not q35 and has("ide-hd") else []),
        *(["fdc"] if has("isa-fdc") or has("floppy") else []),
        *(["scsi"] if has("scsi-hd") else []),
        *(["virtio"] if has("virtio-blk-pci") or has("virtio-blk-device") else []),
        *(["usb"] if has("usb-storage") else []),
        *(["sata"] if has("ide-hd") and (q35 or has("ich9-ahci")) else []),
    ]
    _enum(disk, "bus", buses)
    _enum(disk, "model", _virtio_models(caps, "virtio-blk-pci"))

    graphics = _supported(devices, "graphics", True)
    # display backends are QEMU modules that QMP does not list; vnc, spice and dbus show otherwise
    types = [
        *(["vnc"] if caps.has_command("query-vnc") else []),
        *(["spice"] if caps.has_command("query-spice") else []),
        *(["dbus"] if caps.has_object("dbus-display") else []),
    ]
    _enum(graphics, "type", types)

    video = _supported(devices, "video", True)
    video_models = [
        (model, device)
        for model, device in (
            ("vga", "VGA"),
            ("cirrus", "cirrus-vga"),
            ("vmvga", "vmware-svga"),
            ("qxl", "qxl-vga"),
            ("virtio", "virtio-gpu-pci"),
            ("none", None),
            ("bochs", "bochs-display"),
            ("ramfb", "ramfb"),
        )
        if device is None or has(device)
    ]
    _enum(video, "modelType", [model for model, _ in video_models])

    hostdev = _supported(devices, "hostdev", True)
    _enum(hostdev, "mode", ["subsystem"])
    _enum(hostdev, "startupPolicy", ["default", "mandatory", "requisite", "optional"])
    _enum(
        hostdev,
        "subsysType",
        [
            *(["usb"] if has("usb-host") else []),
            *(["pci"] if has("vfio-pci") else []),
            *(["scsi"] if has("scsi-generic") else []),
        ],
    )
    _enum(hostdev, "capsType", [])
    _enum(hostdev, "pciBackend", ["default", *(["vfio"] if has("vfio-pci") and Path("/dev/vfio").exists() else [])])

    rng = _supported(devices, "rng", has("virtio-rng-pci"))
    _enum(rng, "model", _virtio_models(caps, "virtio-rng-pci"))
    backends = [
        *(["random"] if caps.has_object("rng-random") else []),
        *(["egd"] if caps.has_object("rng-egd") else []),
        *(["builtin"] if caps.has_object("rng-builtin") else []),
    ]
    _enum(rng, "backendModel", backends)

    filesystem = _supported(devices, "filesystem", True)
    _enum(filesystem, "driverType", ["path", "handle", *(["virtiofs"] if has("vhost-user-fs-pci") else [])])

    tpm_models = [m for m in ("tpm-tis", "tpm-crb", "tpm-spapr") if has(m)]
    tpm = _supported(devices, "tpm", bool(tpm_models))
    if tpm_models:
        _enum(tpm, "model", tpm_models)
        _enum(
            tpm,
            "backendModel",
            [
                *(["passthrough"] if caps.has_object("tpm-passthrough") else []),
                *(["emulator"] if caps.has_object("tpm-emulator") else []),
            ],
        )
        _enum(tpm, "backendVersion", ["2.0"])

    redirdev = _supported(devices, "redirdev", has("usb-redir"))
    if has("usb-redir"):
        _enum(redirdev, "bus", ["usb"])

    channel = _supported(devices, "channel", True)
    _enum(channel, "type", ["pty", "unix", *(["spicevmc"] if caps.has_object("chardev-spicevmc") else [])])
    return devices


def _features(caps: QemuCaps) -> etree._Element:
    features = etree.Element("features")
    _supported(features, "gic", False)
    _supported(features, "vmcoreinfo", caps.has_device("vmcoreinfo"))
    _supported(features, "genid", caps.has_device("vmgenid"))
    _supported(features, "backingStoreInput", True)
    _supported(features, "backup", caps.has_command("blockdev-backup"))
    _supported(features, "sev", False)
    _supported(features, "sgx", False)
    return features


def _virtio_models(caps: QemuCaps, device: str) -> list[str]:
    """virtio, plus the (non-)transitional variants when QEMU has the split devices."""
    models = ["virtio"]
    if caps.has_device(f"{device}-transitional"):
        models.append("virtio-transitional")
    if caps.has_device(f"{device}-non-transitional"):
        models.append("virtio-non-transitional")
    return models


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
