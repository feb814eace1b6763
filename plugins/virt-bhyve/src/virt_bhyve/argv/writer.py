"""Domain XML -> the bhyve command line (and the loader's), as libvirt 9.0's bhyve driver builds
them (bhyve_command.c): CPUs, memory, flags, the host bridge, the UEFI boot ROM, then the devices
slot by slot, the serial port, the <bhyve:commandline> arguments and the guest's name."""

from __future__ import annotations

import shlex

import attrs
from lxml import etree
from virt.xml import Domain
from virt.xml.base import kept_elements
from virt.xml.devices import Controller, Disk, Filesystem, Graphics, Interface, Sound, Video
from virt.xml.domain import BHYVE_NS, Features

from virt_bhyve.argv import loader as loaders
from virt_bhyve.argv.environment import DRY_RUN, Environment
from virt_bhyve.argv.errors import internal, unsupported
from virt_bhyve.argv.prepare import prepared
from virt_bhyve.argv.slots import slot_of
from virt_bhyve.caps import BhyveCaps


@attrs.frozen
class Commands:
    """What starting the guest runs: ``loader`` (None with UEFI firmware) then ``bhyve``;
    ``device_map`` is the text of grub-bhyve's device map file (``Environment.device_map``)."""

    loader: list[str] | None
    bhyve: list[str]
    device_map: str | None = None


def to_native(domain: Domain, *, env: Environment = DRY_RUN) -> str:
    """``virsh domxml-to-native bhyve-argv``: the loader's command line (when there is one), then
    bhyve's, one line each, quoted for a shell."""
    os_ = domain.os
    if domain.bootloader is None and os_ is not None and os_.loader is not None:
        # bhyveConnectDomainXMLToNative's own checks of a UEFI guest
        if not (os_.loader.readonly and os_.loader.type == "pflash"):
            raise unsupported("Only read-only pflash is supported.")
        if not env.caps.lpc_bootrom:
            raise unsupported("Installed bhyve binary does not support bootrom")
    commands = build_commands(domain, env)
    lines = [commands.loader] if commands.loader is not None else []
    lines.append(commands.bhyve)
    return "".join(shlex.join(argv) + "\n" for argv in lines)


def build_commands(domain: Domain, env: Environment = DRY_RUN) -> Commands:
    """The commands for ``domain`` in ``env``; ``domain`` is not changed."""
    ready = prepared(domain, env)
    bhyve = bhyve_command(ready, env)
    if ready.os is not None and ready.os.loader is not None:
        return Commands(None, bhyve)
    load = loaders.loader_command(ready, env)
    return Commands(load.argv, bhyve, load.device_map)


def bhyve_command(domain: Domain, env: Environment) -> list[str]:
    caps = env.caps
    devices = domain.devices
    assert devices is not None
    argv = [env.bhyve, "-c", _cpus(domain, caps), "-m", str(loaders.memory_mib(domain))]
    backing = domain.memory_backing
    if backing is not None and backing.find("locked") is not None:
        argv.append("-S")  # wire guest memory
    features = domain.features
    if features is not None and features.acpi:
        argv.append("-A")
    if features is not None and features.apic:
        argv.append("-I")
    if features is not None and _msrs_ignored(features):
        argv.append("-w")  # ignore accesses to unknown MSRs
    argv += _clock(domain, caps)
    # -H / -P: exit on HLT (an idle guest sleeps) and PAUSE (spinning guests yield)
    argv += ["-H", "-P", "-s", "0:0,hostbridge"]
    os_ = domain.os
    if domain.bootloader is None and os_ is not None and os_.loader is not None:
        if not caps.lpc_bootrom:
            raise unsupported("Installed bhyve binary does not support UEFI loader")
        argv += ["-l", f"bootrom,{os_.loader.path}"]
    usb = isa = 0
    for controller in devices.controllers:
        if controller.type == "usb":
            usb += 1
            if usb > 1:
                raise unsupported("only single USB controller is supported")
        if controller.type == "isa":
            isa += 1
            if isa > 1:
                raise unsupported("only single ISA controller is supported")
        argv += _controller(domain, controller, caps)
    for n, interface in enumerate(devices.interfaces):
        argv += _interface(interface, n, env)
    for disk in devices.disks:
        argv += _disk(disk)
    if devices.graphics and devices.videos:
        if len(devices.graphics) != 1 or len(devices.videos) != 1:
            raise unsupported("Multiple graphics devices are not supported")
        argv += _graphics(domain, devices.graphics[0], devices.videos[0], env)
    for sound in devices.sounds:
        argv += _sound(domain, sound, caps)
    for filesystem in devices.filesystems:
        argv += _filesystem(filesystem, caps)
    if devices.serials:
        serial = devices.serials[0]
        port = serial.target.port if serial.target is not None and serial.target.port is not None else 0
        master = loaders.nmdm_master(serial)
        if port > 2:
            raise unsupported("only two serial ports are supported")
        argv += ["-l", f"com{port + 1},{master}"]
    argv += _passthrough(domain.bhyve_commandline)
    argv.append(domain.name or "")
    return argv


def _cpus(domain: Domain, caps: BhyveCaps) -> str:
    vcpu = domain.vcpu
    count = (vcpu.current or vcpu.count or 1) if vcpu is not None else 1
    topology = domain.cpu.topology if domain.cpu is not None else None
    if topology is None or not topology.sockets:
        return str(count)
    if (topology.dies or 1) != 1:
        raise unsupported("Only 1 die per socket is supported")
    if count != topology.sockets * (topology.cores or 0) * (topology.threads or 0):
        raise unsupported(
            "Invalid CPU topology: total number of vCPUs must equal the product of sockets, cores, and threads"
        )
    if not caps.cputopology:
        raise unsupported("Installed bhyve binary does not support defining CPU topology")
    return f"cpus={count},sockets={topology.sockets},cores={topology.cores},threads={topology.threads}"


def _msrs_ignored(features: Features) -> bool:
    """<features><msrs unknown='ignore'/> (kept by the model as written)."""
    return any(el.get("unknown") == "ignore" for el in kept_elements(features, "msrs"))


def _clock(domain: Domain, caps: BhyveCaps) -> list[str]:
    offset = domain.clock.offset if domain.clock is not None else None
    if offset == "localtime":
        return []  # bhyve's RTC keeps local time by default
    if offset in (None, "utc"):
        if not caps.rtc_utc:
            raise unsupported("Installed bhyve binary does not support UTC clock")
        return ["-u"]
    raise unsupported(f"unsupported clock offset '{offset}'")


def _controller(domain: Domain, controller: Controller, caps: BhyveCaps) -> list[str]:
    slot, function = slot_of(controller.address)
    kind = controller.type
    if kind == "pci":
        if controller.model != "pci-root":
            raise unsupported("unsupported PCI controller model: only PCI root supported")
        return []
    if kind == "sata":
        return ["-s", f"{slot}:0,ahci{_ahci_ports(domain, controller, caps)}"]
    if kind == "usb":
        if not caps.xhci:
            raise unsupported("USB xhci controller is not supported by given bhyve binary")
        return _xhci(domain, slot, function)
    if kind == "isa":
        return ["-s", f"{slot}:0,lpc"]
    return []


def _ahci_ports(domain: Domain, controller: Controller, caps: BhyveCaps) -> str:
    """The disks of one AHCI controller: ``,hd:PATH,cd:PATH`` with 32-port AHCI, else the legacy
    one-disk ``-hd,PATH`` (which makes the device ``ahci-hd``)."""
    assert domain.devices is not None
    ports = ""
    for disk in domain.devices.disks:
        if disk.target is None or disk.target.bus != "sata":
            continue
        address = disk.address
        if address is None or int(address.controller or "0", 0) != (controller.index or 0):
            continue
        if (disk.type or "file") not in ("file", "volume"):
            raise unsupported("unsupported disk type")
        if disk.type == "volume":
            raise unsupported(f"disk '{disk.target.dev}': a storage pool volume cannot be resolved here")
        device = disk.device or "disk"
        if device == "cdrom" and (disk.source is None or not disk.source.file):
            raise unsupported("cdrom device without source path not supported")
        if device not in ("disk", "cdrom"):
            raise unsupported("unsupported disk device")
        kind = "hd" if device == "disk" else "cd"
        path = loaders.disk_source(disk)
        ports += f",{kind}:{path}" if caps.ahci32slot else f"-{kind},{path}"
    return ports


def _xhci(domain: Domain, slot: int, function: int) -> list[str]:
    assert domain.devices is not None
    inputs = domain.devices.inputs
    for device in inputs:
        if device.bus != "usb":
            raise unsupported("only USB input devices are supported")
        if device.type != "tablet":
            raise unsupported("only tablet input devices are supported")
    if len(inputs) != 1:
        raise unsupported("only single input device is supported")
    return ["-s", f"{slot}:{function},xhci,tablet"]


def _interface(interface: Interface, index: int, env: Environment) -> list[str]:
    model = interface.model.type if interface.model is not None else None
    if model == "virtio":
        nic = "virtio-net"
    elif model == "e1000":
        if not env.caps.net_e1000:
            raise unsupported("NIC model 'e1000' is not supported by given bhyve binary")
        nic = "e1000"
    else:
        raise unsupported("NIC model is not supported")
    network = interface.source.network if interface.source is not None else None
    if interface.type == "network" and env.network_bridge is not None and network:
        env.network_bridge(network)  # the driver's answer: the bridge exists (or a VirtError says why)
    elif interface.type != "bridge":
        raise unsupported(f"Network type '{interface.type}' is not supported")
    slot, _ = slot_of(interface.address)
    mac = interface.mac.address if interface.mac is not None else None
    return ["-s", f"{slot}:0,{nic},{env.tap(interface, index)},mac={mac}"]


def _disk(disk: Disk) -> list[str]:
    bus = disk.target.bus if disk.target is not None else None
    if bus == "sata":
        return []  # on its AHCI controller's argument
    if bus != "virtio":
        raise unsupported("unsupported disk device")
    if (disk.device or "disk") != "disk":
        raise unsupported("unsupported disk device")
    if (disk.type or "file") not in ("file", "volume"):
        raise unsupported("unsupported disk type")
    slot, _ = slot_of(disk.address)
    return ["-s", f"{slot}:0,virtio-blk,{loaders.disk_source(disk)}"]


def _graphics(domain: Domain, graphics: Graphics, video: Video, env: Environment) -> list[str]:
    caps = env.caps
    os_ = domain.os
    if not caps.lpc_bootrom or domain.bootloader is not None or os_ is None or os_.loader is None:
        raise unsupported("Graphics are only supported when booting using UEFI")
    if not caps.fbuf:
        raise unsupported("Bhyve version does not support framebuffer")
    if graphics.type != "vnc":
        raise unsupported("Only VNC supported")
    listen = graphics.listens[0] if graphics.listens else None
    if listen is None and graphics.listen is None:
        raise internal("Missing listen element")
    slot, function = slot_of(video.address)
    option = f"{slot}:{function},fbuf"
    kind = listen.type if listen is not None else "address"
    if kind not in ("address", "network"):
        raise unsupported("Unsupported listen type")
    address = listen.address if listen is not None else graphics.listen
    autoport = bool(graphics.autoport) or graphics.port == -1
    port = graphics.port if graphics.port is not None and graphics.port >= 0 else 0
    if not autoport and not 5900 <= port <= 65535:
        raise unsupported("vnc port must be in range [5900,65535]")
    if autoport and env.vnc_port is not None:
        port = env.vnc_port()
    host = (f"[{address}]" if ":" in address else address) if address else ""
    option += f",tcp={host}:{port}"
    if graphics.passwd:
        if not caps.vnc_password:
            raise unsupported("VNC Password authentication not supported by bhyve")
        if "," in graphics.passwd:
            raise unsupported("Password may not contain ',' character")
        option += f",password={graphics.passwd}"
    model = video.model
    resolutions = kept_elements(model, "resolution") if model is not None else []
    if resolutions:
        option += f",w={resolutions[0].get('x')},h={resolutions[0].get('y')}"
    if video.driver is not None:
        option += f",vga={video.driver.get('vgaconf') or 'io'}"
    return ["-s", option]


def _sound(domain: Domain, sound: Sound, caps: BhyveCaps) -> list[str]:
    if not caps.sound_hda:
        raise unsupported("Sound devices emulation is not supported by given bhyve binary")
    if sound.model != "ich7":
        raise unsupported("Sound device model is not supported")
    params = ""
    audio_id = sound.audio.get("id") if sound.audio is not None else None
    assert domain.devices is not None
    audio = next((a for a in domain.devices.audios if audio_id is not None and str(a.id) == audio_id), None)
    if audio is not None:
        if audio.type != "oss":
            raise unsupported(f"unsupported audio backend '{audio.type}'")
        for side in (audio.input, audio.output):
            if side is not None and (set(side.attrib) - {"dev"} or len(side)):
                raise unsupported("cannot set common audio backend settings")
        # libvirt hands the input device to play= and the output one to rec=
        if audio.input is not None and audio.input.get("dev"):
            params += f",play={audio.input.get('dev')}"
        if audio.output is not None and audio.output.get("dev"):
            params += f",rec={audio.output.get('dev')}"
    slot, function = slot_of(sound.address)
    return ["-s", f"{slot}:{function},hda{params}"]


def _filesystem(filesystem: Filesystem, caps: BhyveCaps) -> list[str]:
    if (filesystem.type or "mount") != "mount":
        raise unsupported(f"unsupported filesystem type '{filesystem.type}'")
    driver = filesystem.driver.get("type") if filesystem.driver is not None else None
    if driver not in (None, "default"):
        raise unsupported(f"unsupported filesystem driver '{driver}'")
    if (filesystem.accessmode or "passthrough") != "passthrough":
        raise unsupported(f"unsupported filesystem accessmode '{filesystem.accessmode}'")
    if not caps.virtio_9p:
        raise unsupported("virtio-9p is not supported by given bhyve binary")
    source = filesystem.source.get("dir") if filesystem.source is not None else None
    target = filesystem.target.get("dir") if filesystem.target is not None else None
    if not source or not target:
        raise unsupported("a filesystem needs a source dir and a target dir")
    slot, function = slot_of(filesystem.address)
    readonly = ",ro" if filesystem.readonly else ""
    return ["-s", f"{slot}:{function},virtio-9p,{target}={source}{readonly}"]


def _passthrough(commandline: etree._Element | None) -> list[str]:
    """<bhyve:commandline><bhyve:arg value='...'/>: arguments added before the guest's name."""
    if commandline is None:
        return []
    return [el.get("value") or "" for el in commandline.iterfind(f"{{{BHYVE_NS}}}arg")]
