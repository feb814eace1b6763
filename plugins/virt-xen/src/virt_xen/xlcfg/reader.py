"""xl.cfg (and xm config) -> domain model, as libvirt 9.0's xenParseXL / xenParseXM read a config,
followed by the defaults libvirt's libxl driver fills in (``virt_xen.domaindefaults``).

Settings libvirt does not map are ignored, as libvirt ignores them; a value it maps but cannot
take is refused with a VirtError naming the setting and its line.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from lxml import etree
from virt.xml import Domain
from virt.xml.devices import (
    Char,
    CharTarget,
    Controller,
    Devices,
    Graphics,
    GraphicsListen,
    Input,
    Sound,
)
from virt.xml.domain import CPU, OS, XEN_NS, BootDevice, Clock, CPUFeature, Features, Loader, OSType, Timer, Vcpu

from virt_xen import domaindefaults
from virt_xen.xlcfg import chars, cpuid, disks, nets
from virt_xen.xlcfg.errors import BadValue, malformed, missing, unsupported
from virt_xen.xlcfg.models import element, make, set_kept_attribute
from virt_xen.xlcfg.specs import split_pairs
from virt_xen.xlcfg.syntax import Config, Item, parse
from virt_xen.xlcfg.values import Values, cpu_list
from virt_xen.xlcfg.xenfeatures import XL_TSC_MODES

T = TypeVar("T")
XL = "xl"
XM = "xm"
ARCH = "x86_64"
HVMLOADER = "/usr/lib/xen/boot/hvmloader"
FIRMWARE_DIR = "/usr/lib/xen/boot"
MAX_HOST_CPUS = 4096  # the host CPUs a guest may be pinned to (libvirt parses cpus= into a bitmap this big)
MIN_GUEST_MIB = 64  # libvirt's MIN_XEN_GUEST_SIZE; a config without memory gets twice it
LIFECYCLE = ("destroy", "restart", "rename-restart", "preserve", "coredump-destroy", "coredump-restart")
PASSTHROUGH = {"disabled": ("off", None), "enabled": ("on", None), "sync_pt": ("on", "sync_pt"),
               "share_pt": ("on", "share_pt")}  # fmt: skip
BOOT_DEVICES = {"a": "fd", "d": "cdrom", "n": "network"}
SOUND_MODELS = frozenset({"sb16", "es1370", "pcspk", "ac97", "ich6", "ich9", "usb", "ich7"})
USB_INPUTS = {"mouse": "mouse", "tablet": "tablet", "keyboard": "keyboard"}


def from_native(text: str, *, firmware_dir: str = FIRMWARE_DIR) -> Domain:
    """The domain an xl.cfg file describes (``virt domxml-from-native xen-xl``); ``firmware_dir``
    is where the host keeps Xen's firmware (OVMF for ``bios = "ovmf"``)."""
    return read(parse(text), XL, firmware_dir=firmware_dir)


def read(config: Config, fmt: str, *, firmware_dir: str = FIRMWARE_DIR) -> Domain:
    reader = _Reader(config, fmt, firmware_dir)
    domain = reader.domain()
    domaindefaults.complete(domain)
    return domain


class _Reader:
    def __init__(self, config: Config, fmt: str, firmware_dir: str) -> None:
        self.values = Values(config)
        self.fmt = fmt
        self.firmware_dir = firmware_dir
        self.dom = make(Domain, type="xen", devices=Devices())
        self.hvm = False

    @property
    def devices(self) -> Devices:
        assert self.dom.devices is not None
        return self.dom.devices

    def each(self, key: str, read: Callable[[str], T]) -> list[T]:
        """``read`` applied to every string of list setting ``key``; a BadValue names the member's line."""
        return [self.guarded(key, item, read) for item in self.values.string_list(key) or []]

    def guarded(self, key: str, item: Item, read: Callable[[str], T]) -> T:
        try:
            return read(str(item.value))
        except BadValue as e:
            raise malformed(key, item.line, str(e)) from None

    def domain(self) -> Domain:
        from virt_xen.xlcfg import xm

        self._meta()
        self._memory()
        self._lifecycle()
        self._cpu()
        self._features()
        self._clock()
        emulator = self.values.string("device_model_override")
        if emulator is not None:
            self.devices.emulator = emulator
        vif_typename = "vif" if self.fmt == XL else "netfront"
        self.devices.interfaces = self.each("vif", lambda s: nets.parse_vif(s, vif_typename))
        self.devices.hostdevs = self.each("pci", nets.parse_pci)
        self._sound()
        self._framebuffer()
        self._char_devices()
        if self.fmt == XM:
            xm.read_os(self.values, self.dom, self.hvm)
            xm.read_disks(self, self.hvm)
            xm.read_inputs(self.values, self.devices, self.hvm)
            return self.dom
        self._xl_os()
        self._vnuma()
        self._xenbus()
        self._cpuid_setting()
        self.devices.disks = self.each("disk", lambda s: disks.parse_xl_disk(s, self.hvm))
        self._spice()
        self._usb_inputs()
        usbdevs = [h for h in self.each("usbdev", nets.parse_usbdev) if h is not None]
        self.devices.hostdevs.extend(usbdevs)
        usbctrls = [c for c in self.each("usbctrl", nets.parse_usbctrl) if c is not None]
        self.devices.controllers.extend(usbctrls)
        channels = [c for c in self.each("channel", chars.parse_channel) if c is not None]
        self.devices.channels.extend(channels)
        self._device_model_args()
        return self.dom

    # -- what xl and xm share ----------------------------------------------------------------------

    def _meta(self) -> None:
        v = self.values
        name = v.string("name")
        if name is None:
            raise missing("name", "every config names its guest")
        self.dom.name = name
        text = v.string("uuid")
        if text is None:
            self.dom.uuid = uuid.uuid4()
        else:
            try:
                self.dom.uuid = uuid.UUID(text.replace("-", "").strip() or "empty")
            except ValueError:
                raise malformed("uuid", v.line("uuid"), f"'{text}' is not a UUID") from None
        os_type = "xen"
        kind = v.string("type")
        if kind is not None:
            found = {"pv": "xen", "pvh": "xenpvh", "hvm": "hvm"}.get(kind)
            if found is None:
                raise unsupported(f"type {kind} is not supported (line {v.line('type')}: pv, pvh or hvm)")
            os_type = found
        elif v.string("builder", "linux") == "hvm":
            os_type = "hvm"
        self.hvm = os_type == "hvm"
        name_written = "linux" if os_type == "xen" else os_type  # libvirt writes a PV guest's type as linux
        machine = domaindefaults.MACHINES[os_type]
        self.dom.os = make(OS, type=make(OSType, arch=ARCH, machine=machine, name=name_written))

    def _memory(self) -> None:
        v = self.values
        memory = v.ulong("memory", MIN_GUEST_MIB * 2)
        maxmem = v.ulong("maxmem", memory)
        self.dom.current_memory = memory * 1024
        self.dom.memory = maxmem * 1024

    def _lifecycle(self) -> None:
        for event, default in (("on_poweroff", "destroy"), ("on_reboot", "restart"), ("on_crash", "restart")):
            action = self.values.string(event, default) or default
            if action not in LIFECYCLE:
                raise malformed(event, self.values.line(event), f"unexpected value {action} for {event}")
            setattr(self.dom, event, action)

    def _cpu(self) -> None:
        v = self.values
        count = v.ulong("vcpus", 1)
        maximum = v.ulong("maxvcpus", count) if "maxvcpus" in v.config else count
        if count > maximum:
            raise malformed("vcpus", v.line("vcpus"), f"{count} vCPUs is more than maxvcpus {maximum}")
        if maximum == 0:
            raise malformed("vcpus", v.line("vcpus"), "a guest needs at least one vCPU")
        self.dom.vcpu = make(Vcpu, count=maximum, current=count if count != maximum else None)
        cpus = v.string("cpus")
        if cpus is not None:
            try:
                cpu_list(cpus, MAX_HOST_CPUS)
            except ValueError as e:
                raise malformed("cpus", v.line("cpus"), str(e)) from None
            self.dom.vcpu.cpuset = cpus

    def _features(self) -> None:
        v = self.values
        features = make(Features)
        timers = []
        tsc = v.string("tsc_mode")
        if tsc is not None:
            timers.append(make(Timer, name="tsc", present=True, mode=XL_TSC_MODES.get(tsc, "auto")))
        xen = element("xen")
        passthrough = v.string("passthrough")
        if passthrough is not None:
            if passthrough not in PASSTHROUGH:
                raise malformed("passthrough", v.line("passthrough"), f"Invalid passthrough mode {passthrough}")
            state, mode = PASSTHROUGH[passthrough]
            xen.append(element("passthrough", state=state, **({"mode": mode} if mode else {})))
        if self.hvm:
            features.pae = bool(v.bool("pae", 1))
            features.acpi = bool(v.bool("acpi", 1))
            features.apic = bool(v.bool("apic", 1))
            if not v.bool("hap", 1):
                features.hap = element("hap", state="off")
            features.viridian = bool(v.bool("viridian", 0))
            hpet = v.bool("hpet", -1)
            if hpet != -1:
                timers.append(make(Timer, name="hpet", present=bool(hpet)))
        elif v.bool("e820_host", 0):
            xen.insert(0, element("e820_host", state="on"))
        if len(xen):
            features.xen = xen
        if features != Features():
            self.dom.features = features
        if timers:
            self.dom.clock = make(Clock, timers=timers)

    def _clock(self) -> None:
        v = self.values
        localtime = v.bool("localtime", 0)
        clock = self.dom.clock or make(Clock)
        if self.hvm:
            clock.offset = "variable"
            offset = v.ulong("rtc_timeoffset", 0)
            # libvirt keeps the offset in an int: a larger one wraps as C's cast does
            clock.adjustment = str((offset + 2**31) % 2**32 - 2**31)
            clock.basis = "localtime" if localtime else "utc"
        else:
            clock.offset = "localtime" if localtime else "utc"
            clock.adjustment = "reset"
        self.dom.clock = clock

    def _sound(self) -> None:
        text = self.values.string("soundhw") if self.hvm else None
        if text is None:
            return
        models = ["sb16", "es1370"] if text == "all" else text.split(",")
        for model in models:
            if model not in SOUND_MODELS:
                raise malformed("soundhw", self.values.line("soundhw"), f"unknown sound model '{model}'")
            self.devices.sounds.append(make(Sound, model=model))

    def _framebuffer(self) -> None:
        v = self.values
        graphics = None
        if self.hvm:
            if v.bool("vnc", 0):
                autoport = bool(v.bool("vncunused", 1))
                graphics = make(Graphics, type="vnc", autoport=autoport)
                if not autoport:
                    graphics.port = v.ulong("vncdisplay", 0) + 5900
                graphics.listens = [make(GraphicsListen, type="address", address=v.string("vnclisten"))]
                graphics.passwd = v.string("vncpasswd")
                graphics.keymap = v.string("keymap")
            elif v.bool("sdl", 0):
                graphics = _sdl(v.string("display"), v.string("xauthority"))
        else:
            vfbs = v.string_list("vfb")
            if vfbs:
                graphics = self.guarded("vfb", vfbs[0], _vfb)
        if graphics is not None:
            self.devices.graphics = [graphics]

    def _char_devices(self) -> None:
        v = self.values
        if not self.hvm:
            console = make(Char, type="pty", target=make(CharTarget, type="xen", port=0))
            self.devices.consoles = [console]
            return
        parallel = v.string("parallel")
        if parallel is not None and parallel != "none":
            char = self._char("parallel", Item(parallel, v.line("parallel")))
            char.target = make(CharTarget, port=0)
            self.devices.parallels = [char]
        entry = v.entry("serial")
        if entry is not None and isinstance(entry.value, list):
            if self.fmt == XM:
                raise unsupported(f"Multiple serial devices are not supported by xen-xm (line {entry.line})")
            for port, item in enumerate(entry.value):
                if not isinstance(item.value, str) or item.value == "none":
                    continue
                char = self._char("serial", item)
                char.target = make(CharTarget, port=port)
                self.devices.serials.append(char)
            return
        serial = v.string("serial")
        if serial is not None and serial != "none":
            char = self._char("serial", Item(serial, v.line("serial")))
            char.target = make(CharTarget, port=0)
            self.devices.serials = [char]

    def _char(self, key: str, item: Item) -> Char:
        return self.guarded(key, item, chars.parse_char)

    # -- xl's own ----------------------------------------------------------------------------------

    def _xl_os(self) -> None:
        v = self.values
        os = self.dom.os
        assert os is not None
        if self.hvm:
            if v.string("bios") == "ovmf":
                os.loader = make(Loader, type="pflash", readonly=True, path=f"{self.firmware_dir}/ovmf.bin")
            else:
                os.loader = make(Loader, type="rom", path=HVMLOADER)
            slic = v.string("acpi_firmware")
            if slic is not None:
                os.acpi = element("acpi", None, element("table", slic, type="slic"))
        else:
            self.dom.bootloader = v.string("bootloader")
            self.dom.bootloader_args = v.string("bootargs")
        os.kernel = v.string("kernel")
        os.initrd = v.string("ramdisk")
        os.cmdline = kernel_cmdline(v)
        if self.hvm:
            os.boot = boot_devices(v)
            nested = v.bool("nestedhvm", -1)
            if nested != -1:
                cpu = self.dom.cpu = self.dom.cpu or make(CPU, mode="host-passthrough")
                if nested == 0:
                    cpu.features.append(make(CPUFeature, policy="disable", name="vmx"))

    def _vnuma(self) -> None:
        from virt_xen.xlcfg import vnuma

        entry = self.values.entry("vnuma")
        if entry is None or not isinstance(entry.value, list):
            return
        try:
            numa, vcpus = vnuma.parse_vnuma(entry.value)
        except BadValue as e:
            raise malformed("vnuma", entry.line, str(e)) from None
        vcpu = self.dom.vcpu
        assert vcpu is not None
        if vcpus > (vcpu.count or 0):
            raise malformed("vnuma", entry.line, f"vnuma configuration contains {vcpus} vcpus, more than {vcpu.count}")
        cpu = self.dom.cpu = self.dom.cpu or make(CPU)
        cpu.numa = numa

    def _xenbus(self) -> None:
        xenbus = make(Controller, type="xenbus", index=0)
        events = self.values.ulong("max_event_channels", 0)
        if events:
            xenbus.max_event_channels = str(events)
        frames = self.values.ulong("max_grant_frames", 0)
        if frames:
            xenbus.max_grant_frames = str(frames)
        self.devices.controllers.append(xenbus)

    def _cpuid_setting(self) -> None:
        v = self.values
        text = v.string("cpuid")
        if text is None:
            return
        cpu = self.dom.cpu = self.dom.cpu or make(CPU, mode="host-passthrough")
        pairs = text.split(",")
        if pairs[0] != "host":
            detail = f"cpuid starting with {pairs[0]} is not supported, only libxl format is"
            raise malformed("cpuid", v.line("cpuid"), detail)
        for pair in pairs[1:]:
            name, equals, value = pair.partition("=")
            if not name or not equals:
                raise malformed("cpuid", v.line("cpuid"), f"Invalid libxl cpuid key=value element: {pair}")
            if value not in cpuid.POLICIES:
                raise malformed("cpuid", v.line("cpuid"), f"Invalid libxl cpuid value: {pair}")
            cpu.features.append(
                make(CPUFeature, policy=cpuid.POLICIES[value], name=cpuid.LIBVIRT_NAMES.get(name, name))
            )

    def _spice(self) -> None:
        v = self.values
        if not self.hvm or not v.bool("spice", 0):
            return
        spice = make(Graphics, type="spice")
        spice.listens = [make(GraphicsListen, type="address", address=v.string("spicehost"))]
        tls_port = v.ulong("spicetls_port", 0)
        spice.port = v.ulong("spiceport", 0)
        if tls_port:
            set_kept_attribute(spice, "tlsPort", str(tls_port))
        if not tls_port and not spice.port:
            spice.autoport = True
        else:
            spice.autoport = False
        if not v.bool("spicedisable_ticketing", 0):
            passwd = v.string("spicepasswd")
            if passwd is None:
                raise missing("spicepasswd", "SPICE ticketing is on (spicedisable_ticketing is not 1)")
            spice.passwd = passwd
        spice.mouse = element("mouse", mode="client" if v.bool("spiceagent_mouse", 0) else "server")
        spice.clipboard = element("clipboard", copypaste="yes" if v.bool("spice_clipboard_sharing", 0) else "no")
        self.devices.graphics = [spice]

    def _usb_inputs(self) -> None:
        entry = self.values.entry("usbdevice")
        if not self.hvm or entry is None:
            return
        for item in entry.items:
            if not isinstance(item.value, str):
                raise malformed("usbdevice", item.line, "config value usbdevice was malformed (expected strings)")
            if item.value in USB_INPUTS:
                self.devices.inputs.append(make(Input, type=USB_INPUTS[item.value], bus="usb"))

    def _device_model_args(self) -> None:
        args = [str(item.value) for item in self.values.string_list("device_model_args") or []]
        if args:
            commandline = etree.Element(f"{{{XEN_NS}}}commandline", nsmap={"xen": XEN_NS})
            for arg in args:
                etree.SubElement(commandline, f"{{{XEN_NS}}}arg", value=arg)
            self.dom.xen_commandline = commandline


def kernel_cmdline(v: Values) -> str | None:
    """cmdline, or root= and extra= put together (the older settings) when there is none."""
    cmdline = v.string("cmdline")
    root, extra = v.string("root"), v.string("extra")
    if cmdline is not None:
        return cmdline
    if root is not None and extra is not None:
        return f"root={root} {extra}"
    if root is not None:
        return f"root={root}"
    return extra


def boot_devices(v: Values) -> list[BootDevice]:
    """The boot order of an HVM guest: a letter a device, at most four (c when not said)."""
    letters = v.string("boot", "c") or "c"
    return [make(BootDevice, dev=BOOT_DEVICES.get(letter, "hd")) for letter in letters[:4]]


def _sdl(display: str | None, xauth: str | None) -> Graphics:
    graphics = make(Graphics, type="sdl")
    for name, value in (("display", display), ("xauth", xauth)):
        if value is not None:
            set_kept_attribute(graphics, name, value)
    return graphics


def _vfb(text: str) -> Graphics:
    """The display of a PV guest from its first ``vfb`` spec (type=vnc|sdl and the same keys as
    the HVM settings)."""
    fields: dict[str, str] = {}
    for part in split_pairs(text):
        key, equals, value = part.partition("=")
        if not equals:
            break  # libvirt stops reading at the first part that is not key=value
        fields[key] = value
    if "type=sdl" in text:
        return _sdl(fields.get("display"), fields.get("xauthority"))
    graphics = make(Graphics, type="vnc", autoport=fields.get("vncunused") == "1")
    if "vncdisplay" in fields:
        try:
            graphics.port = int(fields["vncdisplay"], 10) + 5900
        except ValueError:
            raise BadValue(f"invalid vncdisplay value '{fields['vncdisplay']}'") from None
    graphics.listens = [make(GraphicsListen, type="address", address=fields.get("vnclisten"))]
    graphics.passwd = fields.get("vncpasswd")
    graphics.keymap = fields.get("keymap")
    return graphics
