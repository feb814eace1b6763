"""The domain XML format (formatdomain): ``<domain>`` and everything outside ``<devices>``."""

from __future__ import annotations

import copy
import functools
import platform
import uuid
from typing import TypeVar

import attrs
from lxml import etree

from virt.errors import XMLError
from virt.xml.base import XmlModel, attribute, child, children, flag, model, raw, raws, scaled, text, texts
from virt.xml.convert import CPUSET, INT, UUID_, YESNO, scale
from virt.xml.devices import Devices

QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
LXC_NS = "http://libvirt.org/schemas/domain/lxc/1.0"
BHYVE_NS = "http://libvirt.org/schemas/domain/bhyve/1.0"
XEN_NS = "http://libvirt.org/schemas/domain/xen/1.0"
VMWARE_NS = "http://libvirt.org/schemas/domain/vmware/1.0"


@model()
class Vcpu(XmlModel):
    placement: str | None = attribute("placement")
    cpuset: str | None = attribute("cpuset")
    current: int | None = attribute("current", INT)
    count: int | None = text(None, INT)


@model()
class OSType(XmlModel):
    arch: str | None = attribute("arch")
    machine: str | None = attribute("machine")
    name: str | None = text(None)
    arch_given: bool = attrs.field(default=True, kw_only=True, eq=False, repr=False)
    """Whether the document said the architecture (not XML): the default is the driver's, which
    the parser's (the host's) stands in for until a driver takes the definition."""


@model()
class Loader(XmlModel):
    readonly: bool | None = attribute("readonly", YESNO)
    secure: bool | None = attribute("secure", YESNO)
    type: str | None = attribute("type")
    path: str | None = text(None)


@model()
class BootDevice(XmlModel):
    dev: str | None = attribute("dev")


@model()
class OS(XmlModel):
    firmware: str | None = attribute("firmware")
    type: OSType | None = child("type", OSType)
    init: str | None = text("init")
    initargs: list[str] = texts("initarg")
    loader: Loader | None = child("loader", Loader)
    nvram: etree._Element | None = raw("nvram")
    kernel: str | None = text("kernel")
    initrd: str | None = text("initrd")
    cmdline: str | None = text("cmdline")
    dtb: str | None = text("dtb")
    # ACPI tables given to the guest: <table type='slic'>PATH</table>
    acpi: etree._Element | None = raw("acpi")
    boot: list[BootDevice] = children("boot", BootDevice)
    bootmenu: etree._Element | None = raw("bootmenu")
    smbios: etree._Element | None = raw("smbios")
    bios: etree._Element | None = raw("bios")

    def post_parse(self) -> None:
        """Firmware with enrolled keys implies secure boot unless said otherwise; libvirt keeps the
        requested firmware features by kind and writes them in its order."""
        unknown = self._unknown
        for firmware in (e for els in unknown.elements.values() for e in els) if unknown is not None else ():
            if firmware.tag != "firmware":
                continue
            features = {f.get("name"): f for f in firmware.iterfind("feature")}
            enrolled = features.get("enrolled-keys")
            if enrolled is not None and enrolled.get("enabled") == "yes" and "secure-boot" not in features:
                secure = etree.SubElement(firmware, "feature")
                secure.set("enabled", "yes")
                secure.set("name", "secure-boot")
                features["secure-boot"] = secure
            for name in _FIRMWARE_FEATURES:
                if name in features:
                    firmware.remove(features[name])
                    firmware.append(features[name])


# <os><firmware><feature name>, in libvirt's order (virDomainOsDefFirmwareFeature)
_FIRMWARE_FEATURES = ("enrolled-keys", "secure-boot")


@model()
class Features(XmlModel):
    """The common flags and the container ones; every other feature is kept in place as written."""

    acpi: bool = flag("acpi")
    apic: bool = flag("apic")
    pae: bool = flag("pae")
    # hardware-assisted paging: <hap/> (on) or <hap state='off'/>
    hap: etree._Element | None = raw("hap")
    viridian: bool = flag("viridian")
    # a container with no <interface> gets its own network namespace (only a loopback) with it
    privnet: bool = flag("privnet")
    # the container's process capabilities: policy='allow'/'deny'/'default', then <NAME state='on|off'/>
    capabilities: etree._Element | None = raw("capabilities")
    # Xen's own: <e820_host state/>, <passthrough state mode/>
    xen: etree._Element | None = raw("xen")

    def post_parse(self) -> None:
        """<hyperv> is in custom mode unless said otherwise; the SMM TSEG size is written in the
        largest unit that holds it whole (MiB when none is given)."""
        unknown = self._unknown
        for el in (e for els in unknown.elements.values() for e in els) if unknown is not None else ():
            if el.tag == "hyperv" and el.get("mode") is None:
                el.set("mode", "custom")
            elif el.tag == "smm":
                for tseg in el.iterfind("tseg"):
                    _canonical_tseg(tseg)


_SIZE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def _canonical_tseg(tseg: etree._Element) -> None:
    try:
        size = scale(tseg.text or "", tseg.get("unit", "MiB"), 1)
    except ValueError as e:
        raise XMLError(f"/domain/features/smm/tseg: invalid size {tseg.text!r} {tseg.get('unit', '')}: {e}") from None
    unit = 0
    while size and size % 1024 == 0 and unit < len(_SIZE_UNITS) - 1:
        size //= 1024
        unit += 1
    tseg.set("unit", _SIZE_UNITS[unit])
    tseg.text = str(size)


@model()
class CPUModel(XmlModel):
    fallback: str | None = attribute("fallback")
    vendor_id: str | None = attribute("vendor_id")
    name: str | None = text(None)


@model()
class CPUTopology(XmlModel):
    sockets: int | None = attribute("sockets", INT)
    dies: int | None = attribute("dies", INT)
    cores: int | None = attribute("cores", INT)
    threads: int | None = attribute("threads", INT)


@model()
class CPUFeature(XmlModel):
    policy: str | None = attribute("policy")
    name: str | None = attribute("name")


@model()
class CPU(XmlModel):
    mode: str | None = attribute("mode")
    match: str | None = attribute("match")
    check: str | None = attribute("check")
    migratable: str | None = attribute("migratable")
    model: CPUModel | None = child("model", CPUModel)
    vendor: str | None = text("vendor")
    topology: CPUTopology | None = child("topology", CPUTopology)
    features: list[CPUFeature] = children("feature", CPUFeature)
    numa: etree._Element | None = raw("numa")

    def post_parse(self) -> None:
        """libvirt reads a <model>'s fallback only with a model name (an empty <model> is left out);
        a named model falls back to another unless forbidden, and a custom CPU must match it
        exactly unless said otherwise."""
        model_ = self.model
        if model_ is None:
            return
        if not model_.name:
            model_.fallback = None
            if model_.vendor_id is None and not model_._unknown:
                self.model = None
            return
        if model_.fallback is None:
            model_.fallback = "allow"
        if (self.mode or "custom") == "custom" and self.match is None:
            self.match = "exact"


@model()
class Timer(XmlModel):
    name: str | None = attribute("name")
    present: bool | None = attribute("present", YESNO)
    tickpolicy: str | None = attribute("tickpolicy")
    track: str | None = attribute("track")
    mode: str | None = attribute("mode")


@model()
class Clock(XmlModel):
    offset: str | None = attribute("offset")
    timezone: str | None = attribute("timezone")
    adjustment: str | None = attribute("adjustment")
    basis: str | None = attribute("basis")
    timers: list[Timer] = children("timer", Timer)


@model()
class VcpuSched(XmlModel):
    vcpus: tuple[int, ...] | None = attribute("vcpus", CPUSET)
    scheduler: str | None = attribute("scheduler")
    priority: int | None = attribute("priority", INT)


@model()
class IOThreadSched(XmlModel):
    iothreads: tuple[int, ...] | None = attribute("iothreads", CPUSET)
    scheduler: str | None = attribute("scheduler")
    priority: int | None = attribute("priority", INT)


@model()
class CacheTune(XmlModel):
    vcpus: str | None = attribute("vcpus")
    caches: list[etree._Element] = raws("cache")
    monitors: list[etree._Element] = raws("monitor")


@model()
class MemoryTune(XmlModel):
    vcpus: str | None = attribute("vcpus")
    nodes: list[etree._Element] = raws("node")
    monitors: list[etree._Element] = raws("monitor")


_Sched = TypeVar("_Sched", VcpuSched, IOThreadSched)


def _one_per_id(scheds: list[_Sched], ids_of: str, order: dict[int, int] | None = None) -> list[_Sched]:
    """libvirt keeps a scheduler per vCPU (iothread) and writes one element for each, in id order
    (``order``: the iothreads' own order), whatever groups they were given in."""
    by_id: dict[int, _Sched] = {}
    for sched in scheds:
        for n in getattr(sched, ids_of) or ():
            if n in by_id:
                raise XMLError(f"cputune: {ids_of} {n} has more than one scheduler")
            single = copy.copy(sched)
            setattr(single, ids_of, (n,))
            by_id[n] = single
    ids = sorted(by_id, key=lambda n: (order.get(n, len(order)), n)) if order else sorted(by_id)
    return [by_id[n] for n in ids]


@model()
class CPUTune(XmlModel):
    shares: int | None = text("shares", INT)
    period: int | None = text("period", INT)
    quota: int | None = text("quota", INT)
    global_period: int | None = text("global_period", INT)
    global_quota: int | None = text("global_quota", INT)
    emulator_period: int | None = text("emulator_period", INT)
    emulator_quota: int | None = text("emulator_quota", INT)
    iothread_period: int | None = text("iothread_period", INT)
    iothread_quota: int | None = text("iothread_quota", INT)
    vcpupins: list[etree._Element] = raws("vcpupin")
    emulatorpin: etree._Element | None = raw("emulatorpin")
    iothreadpins: list[etree._Element] = raws("iothreadpin")
    emulatorsched: etree._Element | None = raw("emulatorsched")
    vcpuscheds: list[VcpuSched] = children("vcpusched", VcpuSched)
    iothreadscheds: list[IOThreadSched] = children("iothreadsched", IOThreadSched)
    cachetunes: list[CacheTune] = children("cachetune", CacheTune)
    memorytunes: list[MemoryTune] = children("memorytune", MemoryTune)

    def post_parse(self, iothread_order: dict[int, int] | None = None) -> None:
        if len(self.vcpuscheds) > 1 or any(len(s.vcpus or ()) != 1 for s in self.vcpuscheds):
            self.vcpuscheds = _one_per_id(self.vcpuscheds, "vcpus")
        if len(self.iothreadscheds) > 1 or any(len(s.iothreads or ()) != 1 for s in self.iothreadscheds):
            self.iothreadscheds = _one_per_id(self.iothreadscheds, "iothreads", iothread_order)


@model()
class SecLabel(XmlModel):
    type: str | None = attribute("type")
    model: str | None = attribute("model")
    relabel: bool | None = attribute("relabel", YESNO)
    label: str | None = text("label")
    imagelabel: str | None = text("imagelabel")
    baselabel: str | None = text("baselabel")


@model("domain")
class Domain(XmlModel):
    type: str | None = attribute("type")
    id: int | None = attribute("id", INT)
    name: str | None = text("name")
    uuid: uuid.UUID | None = text("uuid", UUID_)
    genid: str | None = text("genid")
    title: str | None = text("title")
    description: str | None = text("description")
    metadata: etree._Element | None = raw("metadata", dump=True)
    max_memory: etree._Element | None = raw("maxMemory")
    memory: int | None = scaled("memory", "KiB")
    current_memory: int | None = scaled("currentMemory", "KiB")
    current_memory_implicit: bool = attrs.field(default=False, repr=False, eq=False)
    """Not XML: <currentMemory> was missing and post_parse filled it in, so a driver that computes
    <memory> again (libvirt's NUMA sum) fills it in again after that (virDomainDefPostParseMemory)."""
    blkiotune: etree._Element | None = raw("blkiotune")
    memtune: etree._Element | None = raw("memtune")
    memory_backing: etree._Element | None = raw("memoryBacking")
    vcpu: Vcpu | None = child("vcpu", Vcpu)
    vcpus: etree._Element | None = raw("vcpus")
    iothreads: etree._Element | None = raw("iothreads")
    iothreadids: etree._Element | None = raw("iothreadids")
    defaultiothread: etree._Element | None = raw("defaultiothread")
    cputune: CPUTune | None = child("cputune", CPUTune)
    numatune: etree._Element | None = raw("numatune")
    resource: etree._Element | None = raw("resource")
    sysinfos: list[etree._Element] = raws("sysinfo")
    bootloader: str | None = text("bootloader")
    bootloader_args: str | None = text("bootloader_args")
    os: OS | None = child("os", OS)
    idmap: etree._Element | None = raw("idmap")
    features: Features | None = child("features", Features)
    cpu: CPU | None = child("cpu", CPU)
    clock: Clock | None = child("clock", Clock)
    on_poweroff: str | None = text("on_poweroff")
    on_reboot: str | None = text("on_reboot")
    on_crash: str | None = text("on_crash")
    on_lockfailure: str | None = text("on_lockfailure")
    pm: etree._Element | None = raw("pm")
    perf: etree._Element | None = raw("perf")
    devices: Devices | None = child("devices", Devices)
    seclabels: list[SecLabel] = children("seclabel", SecLabel)
    keywrap: etree._Element | None = raw("keywrap")
    launch_security: etree._Element | None = raw("launchSecurity")
    qemu_commandline: etree._Element | None = raw(f"{{{QEMU_NS}}}commandline")
    qemu_capabilities: etree._Element | None = raw(f"{{{QEMU_NS}}}capabilities")
    qemu_override: etree._Element | None = raw(f"{{{QEMU_NS}}}override")
    qemu_deprecation: etree._Element | None = raw(f"{{{QEMU_NS}}}deprecation")
    lxc_namespace: etree._Element | None = raw(f"{{{LXC_NS}}}namespace")
    bhyve_commandline: etree._Element | None = raw(f"{{{BHYVE_NS}}}commandline")
    xen_commandline: etree._Element | None = raw(f"{{{XEN_NS}}}commandline")
    vmware_datacenterpath: etree._Element | None = raw(f"{{{VMWARE_NS}}}datacenterpath")
    vmware_moref: etree._Element | None = raw(f"{{{VMWARE_NS}}}moref")

    def post_parse(self) -> None:
        """libvirt's parser defaults (virDomainDefParseXML and its post-parse step)."""
        memory = self.memory
        current = self.current_memory
        if memory is not None and (not current or current > memory):
            self.current_memory = memory
            self.current_memory_implicit = not current
        vcpu = self.vcpu
        if vcpu is None:
            vcpu = self.vcpu = Vcpu()
            vcpu.count = 1
        if vcpu.placement is None:
            vcpu.placement = "auto" if self._numa_placement() == "auto" else "static"
        if self.cputune is not None:
            self.cputune.post_parse(self._iothread_order())
        os = self.os
        if os is not None:
            os.post_parse()
        if os is not None and os.type is not None:
            if os.type.arch is None and os.type.name is not None:
                os.type.arch = _I686_DRIVERS.get(self.type or "") or host_arch()
                os.type.arch_given = False
            if (
                os.type.name == "hvm"
                and not os.boot
                and self.bootloader is None
                and (self.devices is None or not self.devices.have_boot_order())
            ):
                boot = BootDevice()
                boot.dev = "hd"
                os.boot = [boot]
        clock = self.clock
        if clock is None:
            clock = self.clock = Clock()
        if clock.offset is None:
            clock.offset = "utc"
        if self.on_poweroff is None:
            self.on_poweroff = "destroy"
        if self.on_reboot is None:
            self.on_reboot = "restart"
        if self.on_crash is None:
            self.on_crash = "destroy"
        if self.features is not None:
            self.features.post_parse()
        if self.cpu is not None:
            self.cpu.post_parse()
        if self.devices is not None:
            self.devices.post_parse()
        # tunables (virt.xml.tuning): <memtune>, <blkiotune>, <numatune>, <perf>, <iotune>, <bandwidth>
        from virt.xml import memunits
        from virt.xml.tuning import normalize

        normalize(self)
        memunits.normalize(self)

    def hide_secrets(self) -> None:
        """Leave out what libvirt writes only with VIR_DOMAIN_XML_SECURE: the graphics passwords."""
        for graphics in self.devices.graphics if self.devices is not None else []:
            graphics.passwd = None

    def _numa_placement(self) -> str | None:
        numatune = self.numatune
        if numatune is None:
            return None
        memory = numatune.find("memory")
        return None if memory is None else memory.get("placement")

    def _iothread_order(self) -> dict[int, int] | None:
        """The iothreads in the order <iothreadids> lists them, when it does."""
        if self.iothreadids is None:
            return None
        order: dict[int, int] = {}
        for n, iothread in enumerate(self.iothreadids.iterfind("iothread")):
            try:
                order[int(iothread.get("id", ""), 10)] = n
            except ValueError:
                continue
        return order


# The drivers that give a domain without an <os><type arch> i686 rather than the host's
# architecture (formatdomain: "For the test, ESX and VMWare hypervisor drivers...").
_I686_DRIVERS = {"test": "i686", "vmware": "i686"}

# Python's names for machine types -> libvirt's architecture names, where they differ.
_ARCH_NAMES = {"amd64": "x86_64", "arm64": "aarch64", "i386": "i686", "i486": "i686", "i586": "i686", "x86": "i686"}


@functools.cache
def host_arch() -> str:
    """The host's architecture as libvirt names it: the default of <os><type arch>."""
    machine = platform.machine().lower() or "x86_64"
    return _ARCH_NAMES.get(machine, machine)
