"""Domain -> xl.cfg, as libvirt 9.0's xenFormatXL writes it (libxl's ``domxml-to-native xen-xl``).

The settings come out in libvirt's order: the part xl and xm share (name, memory, CPUs, features,
clock, lifecycle, emulator, framebuffer, network, PCI, character devices, sound), then xl's own
(OS and boot, cpuid, vNUMA, xenbus limits, disks, SPICE, USB, channels, device-model arguments).
A setting given twice keeps its first place, as virconf keeps it. What the format cannot say is
refused with a VirtError naming it, never dropped silently.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable

from lxml import etree
from virt.xml import Domain
from virt.xml.devices import Char, Graphics

from virt_xen.domaindefaults import complete, is_hvm
from virt_xen.xlcfg import chars, cpuid, disks, nets
from virt_xen.xlcfg.errors import unsupported
from virt_xen.xlcfg.models import kept_attribute
from virt_xen.xlcfg.syntax import Written, format_config
from virt_xen.xlcfg.xenfeatures import TSC_MODES, xen_feature

Settings = dict[str, Written]

BOOT_LETTERS = {"fd": "a", "cdrom": "d", "network": "n", "hd": "c"}
MAX_SERIAL_PORTS = 1024  # the serial list has an entry per port up to the highest: keep it sane


def to_native(domain: Domain, *, network_bridge: nets.NetworkBridge | None = None) -> str:
    """The xl.cfg text of ``domain`` (``virt domxml-to-native xen-xl``); the Xen driver starts a
    guest by giving this to ``xl create``. ``domain`` is not changed: a copy of it gets the libxl
    driver's defaults first (an HVM guest always has PAE, a disk without a format is raw...).
    ``network_bridge`` names the bridge of a virtual network (``<interface type='network'>``);
    without it such an interface is refused."""
    return format_config(xl_settings(completed(domain), network_bridge).items())


def completed(domain: Domain) -> Domain:
    copy = domain.clone()
    if copy.uuid is None:
        copy.uuid = uuid.uuid4()  # libvirt's parser gives a definition without one a new one
    complete(copy)
    return copy


def os_type(domain: Domain) -> str:
    os = domain.os
    name = os.type.name if os is not None and os.type is not None else None
    return name or "xen"


def common_settings(domain: Domain, xm: bool, network_bridge: nets.NetworkBridge | None = None) -> Settings:
    """What xl and xm configs share (libvirt's xenFormatConfigCommon); ``xm``: for an xm config."""
    vif_typename = "netfront" if xm else "vif"
    out: Settings = {}
    if not domain.name:
        raise unsupported("a domain needs a <name>")
    out["name"] = domain.name
    if domain.uuid is None:
        raise unsupported("a domain needs a <uuid>")
    out["uuid"] = str(domain.uuid)
    _memory(domain, out)
    _vcpus(domain, out)
    _features(domain, out)
    _clock(domain, out)
    for event in ("on_poweroff", "on_reboot", "on_crash"):
        out[event] = getattr(domain, event) or ("restart" if event == "on_reboot" else "destroy")
    devices = domain.devices
    if devices is not None and devices.emulator:
        out["device_model_override"] = devices.emulator
    if devices is not None:
        _framebuffer(domain, devices.graphics, out)
        vifs: list[Written] = [
            nets.format_vif(net, is_hvm(domain), vif_typename, network_bridge) for net in devices.interfaces
        ]
        if vifs:
            out["vif"] = vifs
        pcis: list[Written] = [p for p in (nets.format_pci(h) for h in devices.hostdevs) if p is not None]
        if pcis:
            out["pci"] = pcis
        if is_hvm(domain):
            _char_devices(devices.parallels, devices.serials, out, xm)
            sounds = [s.model or "" for s in devices.sounds]
            if sounds:
                out["soundhw"] = ",".join(sounds)
    elif is_hvm(domain):
        out["parallel"] = "none"
        out["serial"] = "none"
    return out


def xl_settings(domain: Domain, network_bridge: nets.NetworkBridge | None = None) -> Settings:
    out = common_settings(domain, False, network_bridge)
    for step in _XL_STEPS:
        step(domain, out)
    return out


# -- the shared part ------------------------------------------------------------------------------


def _memory(domain: Domain, out: Settings) -> None:
    if domain.memory is None:
        raise unsupported("a domain needs a <memory> size")
    out["maxmem"] = math.ceil(domain.memory / 1024)
    current = domain.current_memory if domain.current_memory is not None else domain.memory
    out["memory"] = math.ceil(current / 1024)


def _vcpus(domain: Domain, out: Settings) -> None:
    vcpu = domain.vcpu
    maximum = (vcpu.count if vcpu is not None else None) or 1
    current = vcpu.current if vcpu is not None and vcpu.current is not None else maximum
    if current < maximum:
        out["maxvcpus"] = maximum
    out["vcpus"] = current
    if vcpu is not None and vcpu.cpuset:
        out["cpus"] = vcpu.cpuset


def _features(domain: Domain, out: Settings) -> None:
    features = domain.features
    hvm = is_hvm(domain)
    if hvm:
        out["pae"] = int(features is not None and features.pae)
        out["acpi"] = int(features is not None and features.acpi)
        out["apic"] = int(features is not None and features.apic)
        hap = features.hap if features is not None else None
        if hap is not None and hap.get("state") == "off":
            out["hap"] = 0
        out["viridian"] = int(features is not None and features.viridian)
    elif xen_feature(domain, "e820_host") is not None:
        out["e820_host"] = 1
    passthrough = xen_feature(domain, "passthrough")
    if passthrough is not None:
        mode = passthrough.get("mode")
        out["passthrough"] = mode if mode in ("sync_pt", "share_pt") else "enabled"
    for timer in domain.clock.timers if domain.clock is not None else []:
        if timer.name == "tsc":
            out["tsc_mode"] = TSC_MODES.get(timer.mode or "", "default")
        elif timer.name == "hpet" and hvm:
            out["hpet"] = int(timer.present is not False)
        else:
            raise unsupported(f"unsupported timer type (name) '{timer.name}'")


def _clock(domain: Domain, out: Settings) -> None:
    clock = domain.clock
    offset = (clock.offset if clock is not None else None) or "utc"
    adjustment = clock.adjustment if clock is not None else None
    if is_hvm(domain):
        if offset == "variable":
            localtime = int(clock is not None and clock.basis == "localtime")
            try:
                rtc_offset = int(adjustment or "0", 10)
            except ValueError:
                raise unsupported(f"clock adjustment '{adjustment}' is not a number of seconds") from None
        elif offset in ("utc", "localtime"):
            if adjustment == "reset":
                raise unsupported("unsupported clock adjustment='reset'")
            localtime, rtc_offset = int(offset == "localtime"), 0
        else:
            raise unsupported(f"unsupported clock offset='{offset}'")
        out["rtc_timeoffset"] = rtc_offset
    elif offset in ("utc", "localtime"):
        localtime = int(offset == "localtime")
    else:
        raise unsupported(f"unsupported clock offset='{offset}'")
    out["localtime"] = localtime


def _framebuffer(domain: Domain, graphics: list[Graphics], out: Settings) -> None:
    """One VNC or SDL display: settings of their own for HVM, a ``vfb`` list for PV."""
    if len(graphics) != 1 or graphics[0].type == "spice":
        return
    display = graphics[0]
    if display.type == "sdl":
        parts = {"display": kept_attribute(display, "display"), "xauthority": kept_attribute(display, "xauth")}
        if is_hvm(domain):
            out["sdl"], out["vnc"] = 1, 0
            out.update({k: v for k, v in parts.items() if v is not None})
            return
        out["vfb"] = [",".join(["type=sdl", *(f"{k}={v}" for k, v in parts.items() if v is not None)])]
        return
    if display.type != "vnc":
        raise unsupported(f"graphics type '{display.type}' has no xl setting")
    listen = display.listens[0].address if display.listens else display.listen
    vnc: dict[str, Written] = {"vncunused": int(bool(display.autoport))}
    if not display.autoport:
        vnc["vncdisplay"] = (display.port or 0) - 5900
    for key, value in (("vnclisten", listen), ("vncpasswd", display.passwd), ("keymap", display.keymap)):
        if value is not None:
            vnc[key] = value
    if is_hvm(domain):
        out["sdl"], out["vnc"] = 0, 1
        out.update(vnc)
    else:
        out["vfb"] = [",".join(["type=vnc", *(f"{k}={v}" for k, v in vnc.items())])]


def _char_devices(parallels: list[Char], serials: list[Char], out: Settings, xm: bool) -> None:
    out["parallel"] = chars.format_char(parallels[0]) if parallels else "none"
    if not serials:
        out["serial"] = "none"
    elif len(serials) == 1 and _port(serials[0]) == 0:
        out["serial"] = chars.format_char(serials[0])
    elif xm:
        raise unsupported("Multiple serial devices are not supported by xen-xm")
    else:
        by_port: dict[int, Char] = {}
        for serial in serials:
            if not 0 <= _port(serial) < MAX_SERIAL_PORTS:
                raise unsupported(
                    f"serial port {_port(serial)} is beyond the {MAX_SERIAL_PORTS} an xl serial list holds"
                )
            by_port.setdefault(_port(serial), serial)
        out["serial"] = [
            chars.format_char(by_port[port]) if port in by_port else "none" for port in range(max(by_port) + 1)
        ]


def _port(char: Char) -> int:
    return (char.target.port if char.target is not None else None) or 0


# -- xl's own part --------------------------------------------------------------------------------


def _os(domain: Domain, out: Settings) -> None:
    os = domain.os
    if is_hvm(domain):
        out["builder"] = "hvm"
        loader = os.loader if os is not None else None
        if loader is not None and loader.type == "pflash" and os is not None and os.firmware is None:
            out["bios"] = "ovmf"
        slic = _slic_table(domain)
        if slic is not None:
            out["acpi_firmware"] = slic
    elif os_type(domain) == "xenpvh":
        out["type"] = "pvh"
    else:
        if domain.bootloader:
            out["bootloader"] = domain.bootloader
        if domain.bootloader_args:
            out["bootargs"] = domain.bootloader_args
    if os is not None:
        for key, value in (("kernel", os.kernel), ("ramdisk", os.initrd), ("cmdline", os.cmdline)):
            if value:
                out[key] = value
    if is_hvm(domain):
        out["boot"] = boot_letters(domain)
        cpu = domain.cpu
        if cpu is not None and cpu.mode == "host-passthrough":
            nested = not any(f.policy in ("disable", "forbid") and f.name in ("vmx", "svm") for f in cpu.features)
            out["nestedhvm"] = int(nested)


def boot_letters(domain: Domain) -> str:
    """An HVM guest's boot order as xl and xm write it (c when none is given)."""
    boot = domain.os.boot if domain.os is not None else []
    return "".join(BOOT_LETTERS.get(b.dev or "", "c") for b in boot) or "c"


def _slic_table(domain: Domain) -> str | None:
    acpi = domain.os.acpi if domain.os is not None else None
    table = acpi.find("table[@type='slic']") if acpi is not None else None
    return None if table is None else table.text or ""


def _cpuid_setting(domain: Domain, out: Settings) -> None:
    cpu = domain.cpu
    if cpu is None or cpu.mode != "host-passthrough":
        return
    pairs = ["host"]
    for feature in cpu.features:
        name = cpuid.LIBXL_NAMES.get(feature.name or "", feature.name or "")
        if name in ("vmx", "svm"):
            continue  # nested virtualisation is the nestedhvm setting
        pairs.append(f"{name}={cpuid.VALUES.get(feature.policy or 'require', '1')}")
    if len(pairs) > 1:
        out["cpuid"] = ",".join(pairs)


def _vnuma(domain: Domain, out: Settings) -> None:
    numa = domain.cpu.numa if domain.cpu is not None else None
    cells = numa.findall("cell") if numa is not None else []
    if not cells:
        return
    # a distance one cell leaves out is the other's to it (libvirt makes them symmetric), else
    # 10 to itself and 20 to another
    given = [{s.get("id"): s.get("value") for s in cell.iterfind("distances/sibling")} for cell in cells]
    nodes: list[Written] = []
    for n, cell in enumerate(cells):
        row = ",".join(
            given[n].get(str(m)) or given[m].get(str(n)) or ("10" if m == n else "20") for m in range(len(cells))
        )
        members: list[Written] = [
            f"pnode={n}",
            f"size={_cell_mib(cell)}",
            f"vcpus={cell.get('cpus', '')}",
            f"vdistances={row}",
        ]
        nodes.append(members)
    out["vnuma"] = nodes


def _cell_mib(cell: etree._Element) -> int:
    from virt.xml.convert import scale

    try:
        kib = scale(cell.get("memory", "0"), cell.get("unit", "KiB"), 1024)
    except ValueError:
        raise unsupported(f"NUMA cell memory '{cell.get('memory')}' is not a size") from None
    return kib // 1024


def _xenbus(domain: Domain, out: Settings) -> None:
    for controller in domain.devices.controllers if domain.devices is not None else []:
        if controller.type != "xenbus":
            continue
        for value, key in ((controller.max_event_channels, "max_event_channels"),
                           (controller.max_grant_frames, "max_grant_frames")):  # fmt: skip
            if value:
                try:
                    out[key] = int(value, 10)
                except ValueError:
                    raise unsupported(f"xenbus controller {key} '{value}' is not a number") from None


def _disks(domain: Domain, out: Settings) -> None:
    all_disks = domain.devices.disks if domain.devices is not None else []
    # floppies have no xl disk spec (libvirt leaves them out too)
    specs: list[Written] = [disks.format_xl_disk(disk) for disk in all_disks if disk.device != "floppy"]
    if specs:
        out["disk"] = specs


def _spice(domain: Domain, out: Settings) -> None:
    graphics = domain.devices.graphics if domain.devices is not None else []
    if not is_hvm(domain) or not graphics or graphics[0].type != "spice":
        return
    spice = graphics[0]
    out["sdl"], out["vnc"], out["spice"] = 0, 0, 1
    listen = spice.listens[0].address if spice.listens else spice.listen
    if listen:
        out["spicehost"] = listen
    out["spiceport"] = spice.port or 0
    tls_port = kept_attribute(spice, "tlsPort") or "0"
    try:
        out["spicetls_port"] = int(tls_port, 10)
    except ValueError:
        raise unsupported(f"SPICE tlsPort '{tls_port}' is not a number") from None
    if spice.passwd:
        out["spicedisable_ticketing"] = 0
        out["spicepasswd"] = spice.passwd
    else:
        out["spicedisable_ticketing"] = 1
    mouse = spice.mouse.get("mode") if spice.mouse is not None else None
    if mouse == "server":
        out["spiceagent_mouse"] = 0
    elif mouse == "client":
        out["spiceagent_mouse"] = 1
        out["spicevdagent"] = 1
    copypaste = spice.clipboard.get("copypaste") if spice.clipboard is not None else None
    if copypaste == "yes":
        out["spice_clipboard_sharing"] = 1
        out["spicevdagent"] = 1


USB_INPUTS = {"mouse": "mouse", "tablet": "tablet", "keyboard": "keyboard"}


def _usb_inputs(domain: Domain, out: Settings) -> None:
    if not is_hvm(domain) or domain.devices is None:
        return
    names: list[Written] = []
    for device in domain.devices.inputs:
        if device.bus == "usb":
            out["usb"] = 1
            if device.type in USB_INPUTS:
                names.append(USB_INPUTS[device.type or ""])
    if len(names) == 1:
        out["usbdevice"] = names[0]  # the one-device form older Xen reads
    elif names:
        out["usbdevice"] = names


def _usb_hostdevs(domain: Domain, out: Settings) -> None:
    hostdevs = domain.devices.hostdevs if domain.devices is not None else []
    specs: list[Written] = [s for s in (nets.format_usbdev(h) for h in hostdevs) if s is not None]
    if specs:
        out["usbdev"] = specs


USB_CONTROLLER_MODELS = {"qusb1": "type=qusb,version=1,", "qusb2": "type=qusb,version=2,"}


def _usb_controllers(domain: Domain, out: Settings) -> None:
    specs: list[Written] = []
    for controller in domain.devices.controllers if domain.devices is not None else []:
        if controller.type != "usb":
            continue
        spec = ""
        if controller.model is not None:
            if controller.model not in USB_CONTROLLER_MODELS:
                raise unsupported(f"USB controller model '{controller.model}' has no xl usbctrl type")
            spec = USB_CONTROLLER_MODELS[controller.model]
        ports = kept_attribute(controller, "ports")
        if ports is not None:
            try:
                spec += f"ports={int(ports, 10):x}"
            except ValueError:
                raise unsupported(f"USB controller ports '{ports}' is not a number") from None
        specs.append(spec)
    if specs:
        out["usbctrl"] = specs


def _channels(domain: Domain, out: Settings) -> None:
    specs: list[Written] = [
        chars.format_channel(channel)
        for channel in (domain.devices.channels if domain.devices is not None else [])
        if channel.target is not None and channel.target.type == "xen"
    ]
    if specs:
        out["channel"] = specs


def _device_model_args(domain: Domain, out: Settings) -> None:
    commandline = domain.xen_commandline
    if commandline is None:
        return
    args: list[Written] = [arg.get("value", "") for arg in commandline if isinstance(arg.tag, str)]
    if args:
        out["device_model_args"] = args


_XL_STEPS: tuple[Callable[[Domain, Settings], None], ...] = (
    _os,
    _cpuid_setting,
    _vnuma,
    _xenbus,
    _disks,
    _spice,
    _usb_inputs,
    _usb_hostdevs,
    _usb_controllers,
    _channels,
    _device_model_args,
)
