"""The domain XML format (formatdomain): ``<domain>`` and everything outside ``<devices>``."""

from __future__ import annotations

import uuid

from lxml import etree

from virt.xml.base import XmlModel, attribute, child, children, flag, model, raw, raws, scaled, text, texts
from virt.xml.convert import INT, UUID_, YESNO
from virt.xml.devices import Devices

QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
LXC_NS = "http://libvirt.org/schemas/domain/lxc/1.0"
BHYVE_NS = "http://libvirt.org/schemas/domain/bhyve/1.0"
XEN_NS = "http://libvirt.org/schemas/domain/xen/1.0"


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
    boot: list[BootDevice] = children("boot", BootDevice)
    bootmenu: etree._Element | None = raw("bootmenu")
    smbios: etree._Element | None = raw("smbios")
    bios: etree._Element | None = raw("bios")


@model()
class Features(XmlModel):
    """Only the common flags so far; every other feature is kept in place as written."""

    acpi: bool = flag("acpi")
    apic: bool = flag("apic")
    pae: bool = flag("pae")


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
    model: CPUModel | None = child("model", CPUModel)
    vendor: str | None = text("vendor")
    topology: CPUTopology | None = child("topology", CPUTopology)
    features: list[CPUFeature] = children("feature", CPUFeature)
    numa: etree._Element | None = raw("numa")


@model()
class Timer(XmlModel):
    name: str | None = attribute("name")
    present: bool | None = attribute("present", YESNO)
    tickpolicy: str | None = attribute("tickpolicy")
    track: str | None = attribute("track")


@model()
class Clock(XmlModel):
    offset: str | None = attribute("offset")
    timezone: str | None = attribute("timezone")
    adjustment: str | None = attribute("adjustment")
    basis: str | None = attribute("basis")
    timers: list[Timer] = children("timer", Timer)


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
    metadata: etree._Element | None = raw("metadata")
    max_memory: etree._Element | None = raw("maxMemory")
    memory: int | None = scaled("memory", "KiB")
    current_memory: int | None = scaled("currentMemory", "KiB")
    blkiotune: etree._Element | None = raw("blkiotune")
    memtune: etree._Element | None = raw("memtune")
    memory_backing: etree._Element | None = raw("memoryBacking")
    vcpu: Vcpu | None = child("vcpu", Vcpu)
    vcpus: etree._Element | None = raw("vcpus")
    iothreads: etree._Element | None = raw("iothreads")
    iothreadids: etree._Element | None = raw("iothreadids")
    defaultiothread: etree._Element | None = raw("defaultiothread")
    cputune: etree._Element | None = raw("cputune")
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
