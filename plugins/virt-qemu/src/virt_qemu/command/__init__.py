"""The QEMU 7.2 command line of a domain (-blockdev/-device style), and the ``qemu-argv`` native format.

``build_command(domain, caps, files)`` gives the argv that starts the domain paused (``-S``) with
QMP on ``files.monitor_socket``. Whatever the domain asks for that cannot be built is refused with
``UnsupportedConfig`` naming the element's path and line; nothing is silently left out.

Module map: ``machine`` (everything outside <devices>), ``controllers``, ``pci`` (slot planning),
``disks``, ``net``, ``chardev`` (serial/console/channel), ``devices`` (graphics, video, input,
balloon, RNG, watchdog, and the refusal of other device kinds).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from virt.xml.domain import QEMU_NS, Domain

from virt_qemu.command import chardev, controllers, devices, disks, machine, machinetypes, memory, net
from virt_qemu.command.context import Args, CapsLike, Context, RuntimeFiles, kv
from virt_qemu.command.controllers import Buses
from virt_qemu.command.errors import Node, UnsupportedConfig, raw_node, refuse_raw_extra
from virt_qemu.command.pci import PciPlan

__all__ = ["RuntimeFiles", "UnsupportedConfig", "build_command", "domain_to_argv_text"]

# where domain_to_argv_text pretends the runtime files are (the driver decides for real)
PLACEHOLDER_RUN_DIR = Path("/run/virt/qemu/domains")


def build_command(domain: Domain, caps: CapsLike, files: RuntimeFiles) -> list[str]:
    """The QEMU command (binary first) that starts ``domain`` paused, with QMP on the monitor socket."""
    root = Node.of("/domain", domain)
    if domain.type not in ("kvm", "qemu"):
        raise root.attr("type").refuse(f"virt-qemu runs domains of type 'kvm' or 'qemu', not '{domain.type}'")
    if domain.type == "kvm" and not caps.kvm:
        raise root.attr("type").refuse(f"KVM is not available to {caps.binary}: use <domain type='qemu'>")
    if not domain.name:
        raise root.child("name").refuse("the domain has no name")
    machine.check_domain(domain)
    os = domain.os
    if os is None or os.type is None:
        raise root.child("os").refuse("the domain has no <os><type>")
    machine.check_os_arch(domain, caps, os)
    type_node = Node.of("/domain/os/type", os.type).attr("machine")
    name, canonical, max_cpus = machine.resolve_machine(caps, os.type.machine, type_node)
    family = machinetypes.family_of(canonical, type_node)
    q35 = family is machinetypes.Family.Q35
    if domain.devices is not None:
        devices.check_kinds(domain.devices)
    machinetypes.check_devices(domain, family, canonical)
    ctx = Context(
        domain=domain,
        caps=caps,
        files=files,
        machine=name,
        q35=q35,
        family=family,
        kvm=domain.type == "kvm",
        args=Args(),
        boot_index=_boot_order(domain),
        pci=PciPlan(q35) if family.has_pci else machinetypes.NoPciBus(canonical),
        buses=Buses(),
    )
    args = ctx.args
    args.add("-name", kv(f"guest={domain.name}", [("debug-threads", True)]))
    args.add("-S")
    pflash = machine.firmware(ctx)
    machine.machine_options(ctx, pflash)
    machine.cpu_option(ctx)
    machine.memory_and_smp(ctx, max_cpus)
    if domain.uuid is not None:
        args.add("-uuid", str(domain.uuid))
    args.add("-no-user-config")
    args.add("-nodefaults")
    where = ("path", str(files.monitor_socket)) if files.monitor_fd is None else ("fd", str(files.monitor_fd))
    monitor = [("id", "charmonitor"), where, ("server", True), ("wait", False)]
    args.add("-chardev", kv("socket", monitor))
    args.add("-mon", "chardev=charmonitor,id=monitor,mode=control")
    machine.clock_options(ctx)
    machine.lifecycle_options(ctx)
    machine.os_options(ctx)
    controllers.build(ctx)
    memory.dimm_devices(ctx)
    disks.build(ctx)
    net.build(ctx)
    chardev.build(ctx)
    devices.build(ctx)
    ctx.pci.finish(Node.of("/domain/devices", domain.devices))
    args.add("-msg", "timestamp=on")
    _passthrough(ctx)
    return [str(caps.binary), *args.render()]


def _boot_order(domain: Domain) -> dict[int, int]:
    """bootindex of each device: its <boot order>, or the <os><boot dev> order applied to the
    first device of each kind (first disk for 'hd', first CD-ROM, first interface)."""
    devs = domain.devices
    if devs is None:
        return {}
    ordered: list[Any] = [*devs.disks, *devs.interfaces]
    if any(d.boot is not None for d in ordered):
        result: dict[int, int] = {}
        for d in ordered:
            if d.boot is not None:
                if d.boot.order is None or d.boot.order < 1:
                    raise Node.of("/domain/devices", d.boot).refuse("<boot order> must be 1 or more")
                result[id(d)] = d.boot.order
        for devices_list, tag in ((devs.hostdevs, "hostdev"), (devs.redirdevs, "redirdev")):
            if any(x.boot is not None for x in devices_list):
                raise Node(f"/domain/devices/{tag}").not_yet("booting from this device is")
        return result
    kinds: dict[str, list[Any]] = {
        "hd": [d for d in devs.disks if (d.device or "disk") == "disk"],
        "cdrom": [d for d in devs.disks if d.device == "cdrom"],
        "network": list(devs.interfaces),
    }
    result = {}
    index = 1
    for boot in domain.os.boot if domain.os else []:
        candidates = kinds.get(boot.dev or "", [])
        if candidates and id(candidates[0]) not in result:
            result[id(candidates[0])] = index
            index += 1
    return result


def _passthrough(ctx: Context) -> None:
    """<qemu:commandline> arguments go last, as written; environment variables are refused."""
    el = ctx.domain.qemu_commandline
    if el is None:
        return
    node = raw_node(Node("/domain"), el, "qemu:commandline")
    for sub in el:
        if not isinstance(sub.tag, str):
            continue
        if sub.tag != f"{{{QEMU_NS}}}arg":
            raise raw_node(node, sub, "qemu:env").not_yet("environment variables for QEMU are")
        refuse_raw_extra(sub, raw_node(node, sub, "qemu:arg"), ("value",))
        ctx.args.add(sub.get("value", ""))


def _argv_text(argv: Iterable[str]) -> str:
    """One option per line with its value, shell-quoted, lines joined with `` \\`` like libvirt's argv files."""
    lines: list[str] = []
    for arg in argv:
        quoted = shlex.quote(arg)
        if lines and not arg.startswith("-") and lines[-1].startswith("-") and " " not in lines[-1]:
            lines[-1] += f" {quoted}"
        else:
            lines.append(quoted)
    return " \\\n".join(lines) + "\n"


def domain_to_argv_text(domain: Domain) -> str:
    """The ``qemu-argv`` native format: the command for the binary ``find_binary()`` picks, with
    placeholder runtime paths under /run/virt/qemu/domains/NAME."""
    from virt_qemu import caps as caps_module

    emulator = domain.devices.emulator if domain.devices is not None else None
    arch = domain.os.type.arch if domain.os is not None and domain.os.type is not None else None
    binary = caps_module.find_binary(arch=arch, emulator=emulator)
    caps = _cached_caps(caps_module, binary)
    run_dir = PLACEHOLDER_RUN_DIR / (domain.name or "domain")
    files = RuntimeFiles(monitor_socket=run_dir / "monitor.sock", run_dir=run_dir)
    return _argv_text(build_command(domain, caps, files))


def _cached_caps(caps_module: Any, binary: Any) -> Any:
    """The binary's caps from the session's caps cache (probing once when it holds none)."""
    import os

    from virt.uri import parse as parse_uri

    from virt_qemu.paths import DriverPaths

    mode = "system" if os.geteuid() == 0 else "session"
    paths = DriverPaths.for_uri(parse_uri(f"qemu:///{mode}"))
    paths.cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return caps_module.CapsCache(paths.cache_dir).get(binary)
