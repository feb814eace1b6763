"""Everything outside <devices>: machine, accelerator, CPU, memory, firmware, boot, clock, features."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from lxml import etree
from virt.xml.base import source_line
from virt.xml.domain import CPU, OS, Domain

from virt_qemu.command import memory
from virt_qemu.command.context import CapsLike, Context, kv
from virt_qemu.command.errors import Node, raw_node, refuse_raw_extra, refuse_unhandled, unknown_attr, unknown_element
from virt_qemu.command.machinetypes import Family, check_no_sleep_states, own_default_cpu
from virt_qemu.nvram import store_path

ROOT = "/domain"
# What the builder builds, which domain capabilities offer (``virt_qemu.capsxml``): keep them here, in use.
DOMAIN_HANDLED = (
    "type", "id", "name", "uuid", "title", "description", "metadata", "memory", "current_memory", "vcpu",
    "os", "features", "cpu", "clock", "on_poweroff", "on_reboot", "on_crash", "pm", "devices", "seclabels",
    "qemu_commandline", "resource", "cputune", "max_memory",
)  # fmt: skip
"""The fields of ``virt.xml.Domain`` built (memoryBacking, iothreads, genid... are refused); <cputune>
and <vcpu cpuset> are host CPU affinities the driver sets on QEMU's threads (``virt_qemu.affinity``)."""
FEATURES_HANDLED = ("acpi", "apic", "pae")
FEATURES_KEPT = ("vmport", "smm", "pmu")
"""<features> built: the model's fields, and elements it keeps unparsed (vmcoreinfo, hyperv... are refused)."""
FIRMWARE = ("bios",)
"""<os firmware> values built without a <loader> path (no firmware autoselection yet)."""
LOADER_TYPES = ("rom", "pflash")
"""<loader type> values built."""
CPU_MODES = ("host-passthrough", "host-model", "maximum", "custom")
"""<cpu mode> values built; host-passthrough needs KVM."""


def secure_boot_possible(q35: bool) -> bool:
    """A <loader secure='yes'> needs SMM, which only the Q35 machine has."""
    return q35


_FORMATS = {"raw", "qcow2"}
# libvirt's CPU feature names QEMU spells differently (QEMU itself maps '_' to '-')
_FEATURE_NAMES = {"pclmuldq": "pclmulqdq"}
# features libvirt knows and QEMU 7.2 does not: disabling one is a no-op, requiring one is refused
_FEATURES_QEMU_LACKS = frozenset({"pconfig"})
_FEATURE_STATE = {"force": "on", "require": "on", "optional": "on", "disable": "off", "forbid": "off"}


def _node(domain: Domain, field: str | None = None) -> Node:
    return Node(ROOT if field is None else f"{ROOT}/{field}", source_line(domain, field))


def resolve_machine(caps: CapsLike, name: str | None, node: Node) -> tuple[str, str, int | None]:
    """(name to pass, canonical name, maximum vCPUs) of the domain's machine type."""
    machines = list(caps.machines or ())
    if name is None:
        default = next((m for m in machines if m.is_default), None)
        if default is None:
            return "pc", "pc", None
        return default.name, default.name, default.max_cpus
    for m in machines:
        if name in (m.name, m.alias):
            return name, m.name, m.max_cpus
    if machines:
        raise node.refuse(f"machine type '{name}' is not supported by {caps.binary}")
    return name, name, None


def default_cpu_model(caps: CapsLike, machine: str, arch: str | None) -> str:
    """The CPU of a domain without <cpu>: the machine type's own default where it is not the generic one
    (``486`` on isapc, as libvirt takes it from QEMU), else qemu32 for i686 guests and qemu64."""
    return own_default_cpu(caps.machines or (), machine) or ("qemu32" if arch == "i686" else "qemu64")


def check_domain(domain: Domain) -> None:
    root = Node.of(ROOT, domain)
    refuse_unhandled(domain, root, DOMAIN_HANDLED)
    if domain.resource is not None:
        el = domain.resource
        part = el.find("partition")
        if len(el) != 1 or part is None or (part.text or "").strip() != "/machine":
            raise raw_node(root, el, "resource").not_yet("resource partitions other than /machine are")
    for n, label in enumerate(domain.seclabels):
        if label.type != "none":
            raise root.child("seclabel", label, n).not_yet("security labels are")
    if domain.pm is not None:
        pm = raw_node(root, domain.pm, "pm")
        refuse_raw_extra(domain.pm, pm, children=True)
        for el in domain.pm:
            if not isinstance(el.tag, str) or el.tag not in ("suspend-to-mem", "suspend-to-disk"):
                raise raw_node(pm, el, str(el.tag)).not_yet(f"<{el.tag}> is")
            refuse_raw_extra(el, raw_node(pm, el, el.tag), ("enabled",))


def machine_options(ctx: Context, pflash: list[str]) -> None:
    domain = ctx.domain
    opts: list[tuple[str, object]] = [("accel", "kvm" if ctx.kvm else "tcg"), ("usb", False)]
    opts.append(("dump-guest-core", False))
    if ctx.family is Family.MICROVM:
        opts.append(("isa-serial", False))  # its own COM1 would hold ttyS0 with no chardev: <serial> adds ours
    features = domain.features
    fnode = _node(domain, "features")
    if features is None or not features.acpi:
        opts.append(("acpi", False))
    if features is not None:
        refuse_unhandled(features, fnode, FEATURES_HANDLED, unknown_elements=FEATURES_KEPT)
        for name in ("vmport", "smm"):
            el = unknown_element(features, name)
            if el is not None:
                refuse_raw_extra(el, raw_node(fnode, el, name), ("state",))
                if name == "vmport" and not ctx.family.pc_properties:
                    raise raw_node(fnode, el, name).refuse(f"machine type '{ctx.machine}' has no VMware I/O port")
                opts.append((name, el.get("state", "on") == "on"))
    hpet = next((t for t in (domain.clock.timers if domain.clock else []) if t.name == "hpet"), None)
    if hpet is not None and hpet.present is not None:
        if not ctx.family.pc_properties:
            raise _node(domain, "clock").child("timer").refuse(f"machine type '{ctx.machine}' has no HPET to switch")
        opts.append(("hpet", hpet.present))
    for n, node_name in enumerate(pflash):
        opts.append((f"pflash{n}", node_name))
    ctx.args.add("-machine", kv(ctx.machine, opts))


def _cpu_model_names(caps: CapsLike) -> set[str] | None:
    models: Iterable[Any] = caps.cpu_models or ()
    names = {m if isinstance(m, str) else getattr(m, "name", str(m)) for m in models}
    return names or None


def cpu_option(ctx: Context) -> None:
    domain, cpu = ctx.domain, ctx.domain.cpu
    arch = domain.os.type.arch if domain.os and domain.os.type else None
    default = default_cpu_model(ctx.caps, ctx.machine, arch)
    props: list[tuple[str, object]] = []
    features = domain.features
    pmu = unknown_element(features, "pmu") if features is not None else None
    if pmu is not None:
        refuse_raw_extra(pmu, raw_node(_node(domain, "features"), pmu, "pmu"), ("state",))
        props.append(("pmu", pmu.get("state", "on") == "on"))
    for timer in domain.clock.timers if domain.clock else []:
        if timer.name == "kvmclock" and timer.present is not None:
            props.append(("kvmclock", timer.present))
    if cpu is None:
        ctx.args.add("-cpu", kv(default, props))
        return
    node = _node(domain, "cpu")
    model = _cpu_model(ctx, cpu, node, default)
    if cpu.model is not None:
        refuse_unhandled(cpu.model, node.child("model", cpu.model), ("name", "fallback"))
    if cpu.migratable is not None:
        props.append(("migratable", cpu.migratable == "on"))
    for n, feature in enumerate(cpu.features):
        state = _FEATURE_STATE.get(feature.policy or "require")
        if state is None or not feature.name:
            raise node.child("feature", feature, n).refuse(f"feature policy '{feature.policy}' is not valid")
        if feature.name in _FEATURES_QEMU_LACKS:
            if state == "on":
                raise node.child("feature", feature, n).refuse(f"QEMU has no CPU feature '{feature.name}'")
            continue
        props.append((_FEATURE_NAMES.get(feature.name, feature.name), state == "on"))
    ctx.args.add("-cpu", kv(model, props))


def _cpu_model(ctx: Context, cpu: CPU, node: Node, default: str) -> str:
    refuse_unhandled(cpu, node, ("mode", "match", "check", "migratable", "model", "topology", "features", "numa"))
    mode = cpu.mode or "custom"
    if mode not in CPU_MODES:
        raise node.attr("mode").refuse(f"unknown CPU mode '{mode}'")
    if mode == "host-passthrough":
        if not ctx.kvm:
            raise node.attr("mode").refuse("host-passthrough needs KVM (the domain type is 'qemu')")
        return "host"
    if mode == "host-model":
        return "host" if ctx.kvm else "max"  # TCG has no host CPU to copy; 'max' is its closest
    if mode == "maximum":
        return "max"
    name = cpu.model.name if cpu.model is not None else None
    if name is None:
        return default
    known = _cpu_model_names(ctx.caps)
    if known is not None and name not in known:
        raise node.child("model", cpu.model).refuse(f"CPU model '{name}' is not known to {ctx.caps.binary}")
    return name


def memory_and_smp(ctx: Context, max_cpus: int | None) -> None:
    domain = ctx.domain
    if not domain.memory:
        raise _node(domain).refuse("the domain has no <memory>")
    memory.memory_option(ctx)
    ctx.args.add("-overcommit", "mem-lock=off")
    vcpu = domain.vcpu
    vnode = _node(domain, "vcpu")
    if vcpu is not None:
        refuse_unhandled(vcpu, vnode, ("placement", "current", "count", "cpuset"))
        if vcpu.placement not in (None, "static"):
            raise vnode.attr("placement").not_yet(f"vCPU placement '{vcpu.placement}' is")
        if vcpu.cpuset is not None:
            _host_cpus(vcpu.cpuset, vnode.attr("cpuset"))
    total = vcpu.count if vcpu is not None and vcpu.count else 1
    _check_cputune(domain, total)
    current = vcpu.current if vcpu is not None and vcpu.current else total
    if current > total:
        raise vnode.attr("current").refuse(f"{current} vCPUs online is more than the {total} defined")
    if max_cpus and total > max_cpus:
        raise vnode.refuse(f"machine type '{ctx.machine}' allows at most {max_cpus} vCPUs, not {total}")
    topology = domain.cpu.topology if domain.cpu else None
    opts: list[tuple[str, object]] = []
    if topology is not None:
        tnode = _node(domain, "cpu").child("topology", topology)
        refuse_unhandled(topology, tnode, ("sockets", "dies", "cores", "threads"))
        sockets, dies = topology.sockets or 1, topology.dies or 1
        cores, threads = topology.cores or 1, topology.threads or 1
        if sockets * dies * cores * threads != total:
            raise tnode.refuse(
                f"the topology gives {sockets * dies * cores * threads} vCPUs, not the {total} of <vcpu>"
            )
        opts += [
            ("sockets", sockets),
            ("dies", dies if topology.dies else None),
            ("cores", cores),
            ("threads", threads),
        ]
    else:
        opts += [("sockets", total), ("cores", 1), ("threads", 1)]
    if current != total:
        opts.append(("maxcpus", total))
    ctx.args.add("-smp", kv(str(current), opts))
    memory.numa_options(ctx)


def _host_cpus(text: str, node: Node) -> None:
    from virt.xml.convert import CPUSET

    try:
        cpus = CPUSET.parse(text)
    except ValueError:
        raise node.refuse(f"'{text}' is not a list of host CPUs") from None
    if not cpus:
        raise node.refuse(f"'{text}' names no host CPU")


def _check_cputune(domain: Domain, vcpus: int) -> None:
    """<cputune>: only the pinning of vCPUs and of the emulator's threads (bandwidth, shares and
    schedulers need cgroups, which virt-qemu does not manage)."""
    tune = domain.cputune
    if tune is None:
        return
    node = _node(domain, "cputune")
    refuse_unhandled(tune, node, ("vcpupins", "emulatorpin"))
    for pin in tune.vcpupins:
        pnode = raw_node(node, pin, "vcpupin")
        refuse_raw_extra(pin, pnode, ("vcpu", "cpuset"))
        number = pin.get("vcpu", "")
        if not number.isdigit() or int(number) >= vcpus:
            raise pnode.attr("vcpu").refuse(f"vCPU '{number}' is not one of the domain's {vcpus} vCPUs")
        _host_cpus(pin.get("cpuset", ""), pnode.attr("cpuset"))
    if tune.emulatorpin is not None:
        enode = raw_node(node, tune.emulatorpin, "emulatorpin")
        refuse_raw_extra(tune.emulatorpin, enode, ("cpuset",))
        _host_cpus(tune.emulatorpin.get("cpuset", ""), enode.attr("cpuset"))


def firmware(ctx: Context) -> list[str]:
    """-bios, or the pflash -blockdev nodes for UEFI; returns the pflash node names for -machine."""
    os = ctx.domain.os
    if os is None:
        return []
    node = _node(ctx.domain, "os")
    loader = os.loader
    if os.firmware not in (None, *FIRMWARE) and (loader is None or not loader.path):
        raise node.attr("firmware").not_yet("firmware autoselection is")
    if loader is None:
        if os.nvram is not None:
            raise raw_node(node, os.nvram, "nvram").refuse("<nvram> needs a <loader type='pflash'>")
        return []
    lnode = node.child("loader", loader)
    refuse_unhandled(loader, lnode, ("readonly", "secure", "type", "path"), unknown_attrs=("format",))
    if not loader.path:
        raise lnode.refuse("the loader has no path")
    fmt = unknown_attr(loader, "format") or "raw"
    if fmt not in _FORMATS:
        raise lnode.attr("format").not_yet(f"loader format '{fmt}' is")
    if loader.type in (None, "rom"):
        if loader.secure:
            raise lnode.attr("secure").refuse("secure boot needs a <loader type='pflash'>")
        if os.nvram is not None:
            raise raw_node(node, os.nvram, "nvram").refuse("<nvram> needs a <loader type='pflash'>")
        ctx.args.add("-bios", loader.path)
        return []
    if loader.type not in LOADER_TYPES:
        raise lnode.attr("type").refuse(f"unknown loader type '{loader.type}'")
    if not ctx.family.has_pflash:
        raise lnode.attr("type").refuse(f"machine type '{ctx.machine}' has no flash for firmware: use type='rom'")
    if loader.secure:
        if not secure_boot_possible(ctx.q35):
            raise lnode.attr("secure").refuse("secure boot needs a Q35 machine (with SMM)")
        ctx.args.add("-global", "driver=cfi.pflash01,property=secure,value=on")
    nodes = [_pflash(ctx, 0, loader.path, fmt, bool(loader.readonly))]
    if os.nvram is not None:
        nvram = os.nvram
        nnode = raw_node(node, nvram, "nvram")
        if nvram.get("type") not in (None, "file"):
            raise nnode.attr("type").not_yet(f"NVRAM type '{nvram.get('type')}' is")
        refuse_raw_extra(nvram, nnode, ("type", "template", "format", "templateFormat"), children=True)
        _refuse_nvram_children(nvram, nnode)
        path = store_path(nvram)
        if not path:
            raise nnode.refuse("the NVRAM has no path (the driver fills it in before starting the domain)")
        nvram_fmt = nvram.get("format", "raw")
        if nvram_fmt not in _FORMATS:
            raise nnode.attr("format").not_yet(f"NVRAM format '{nvram_fmt}' is")
        nodes.append(_pflash(ctx, 1, path, nvram_fmt, False))
    elif loader.readonly:
        pass  # a stateless firmware: no variable store
    return nodes


def _refuse_nvram_children(nvram: etree._Element, node: Node) -> None:
    """A file-type store's one <source file>, nothing else."""
    for sub in nvram:
        if not isinstance(sub.tag, str):
            continue
        child = node.child(str(sub.tag), None)
        if sub.tag != "source" or nvram.get("type") != "file":
            raise child.not_yet(f"<{sub.tag}> in <nvram> is")
        refuse_raw_extra(sub, child, ("file",))


def _pflash(ctx: Context, n: int, path: str, fmt: str, readonly: bool) -> str:
    storage, fmt_node = f"pflash{n}-storage", f"pflash{n}-format"
    ctx.args.add("-blockdev", {"driver": "file", "filename": path, "node-name": storage, "auto-read-only": True})
    ctx.args.add("-blockdev", {"node-name": fmt_node, "read-only": readonly, "driver": fmt, "file": storage})
    return fmt_node


def os_options(ctx: Context) -> None:
    """Checks <os>, then -boot, and the direct kernel boot options."""
    domain, os = ctx.domain, ctx.domain.os
    node = _node(domain, "os")
    if os is None or os.type is None or os.type.name != "hvm":
        raise node.child("type").not_yet("OS types other than 'hvm' are")
    handled = ("firmware", "type", "loader", "nvram", "kernel", "initrd", "cmdline", "dtb", "boot", "bootmenu")
    refuse_unhandled(os, node, handled)
    refuse_unhandled(os.type, node.child("type", os.type), ("arch", "machine", "name"))
    for n, boot in enumerate(os.boot):
        refuse_unhandled(boot, node.child("boot", boot, n), ("dev",))
        if boot.dev not in ("hd", "cdrom", "network", "fd"):
            raise node.child("boot", boot, n).attr("dev").refuse(f"unknown boot device '{boot.dev}'")
    opts: list[tuple[str, object]] = []
    if os.bootmenu is not None:
        menu = os.bootmenu
        refuse_raw_extra(menu, raw_node(node, menu, "bootmenu"), ("enable", "timeout"))
        enabled = menu.get("enable") == "yes"
        opts.append(("menu", enabled))
        if enabled and menu.get("timeout"):
            opts.append(("splash-time", menu.get("timeout")))
    opts.append(("strict", True))
    ctx.args.add("-boot", kv(None, opts))
    if os.kernel:
        ctx.args.add("-kernel", os.kernel)
    for option, value in (("-initrd", os.initrd), ("-append", os.cmdline), ("-dtb", os.dtb)):
        if value and not os.kernel:
            raise node.refuse(f"{option[1:]} needs a <kernel>")
        if value:
            ctx.args.add(option, value)


def clock_options(ctx: Context) -> None:
    domain, clock = ctx.domain, ctx.domain.clock
    if clock is None:
        ctx.args.add("-rtc", "base=utc")
        return
    node = _node(domain, "clock")
    refuse_unhandled(clock, node, ("offset", "adjustment", "basis", "timers"))
    base: str
    if clock.offset in ("utc", "localtime", None) and clock.adjustment in (None, "reset"):
        base = clock.offset or "utc"
    elif clock.offset == "variable" and clock.basis in (None, "utc"):
        seconds = int(clock.adjustment or "0")
        start = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds)
        base = start.strftime("%Y-%m-%dT%H:%M:%S")
    else:
        raise node.attr("offset").not_yet(f"clock offset '{clock.offset}' with these settings is")
    opts: list[tuple[str, object]] = []
    globals_: list[str] = []
    for n, timer in enumerate(clock.timers):
        tnode = node.child("timer", timer, n)
        refuse_unhandled(timer, tnode, ("name", "present", "tickpolicy", "track"))
        if timer.name == "rtc":
            if timer.present is False:
                raise tnode.attr("present").refuse("the RTC cannot be removed")
            if timer.tickpolicy not in (None, "catchup", "delay"):
                raise tnode.attr("tickpolicy").not_yet(f"RTC tick policy '{timer.tickpolicy}' is")
            if timer.tickpolicy == "catchup":
                opts.append(("driftfix", "slew"))
            if timer.track not in (None, "boot", "guest", "wall"):
                raise tnode.attr("track").refuse(f"unknown RTC track '{timer.track}'")
            if timer.track in ("guest", "wall"):
                opts.append(("clock", "vm" if timer.track == "guest" else "host"))
        elif timer.name == "pit":
            if timer.present is False or timer.track is not None:
                raise tnode.not_yet("removing or tracking the PIT is")
            if timer.tickpolicy not in (None, "delay", "discard"):
                raise tnode.attr("tickpolicy").not_yet(f"PIT tick policy '{timer.tickpolicy}' is")
            if timer.tickpolicy and ctx.kvm:
                globals_.append(f"kvm-pit.lost_tick_policy={timer.tickpolicy}")
        elif timer.name in ("hpet", "kvmclock"):
            if timer.tickpolicy is not None or timer.track is not None:
                raise tnode.not_yet(f"tick policies of the {timer.name} timer are")
        else:
            raise tnode.attr("name").not_yet(f"the '{timer.name}' timer is")
    ctx.args.add("-rtc", kv(None, [("base", base), *opts]))
    for value in globals_:
        ctx.args.add("-global", value)


def lifecycle_options(ctx: Context) -> None:
    # QEMU stays after the guest powers off, so the driver can apply <on_poweroff> itself
    ctx.args.add("-no-shutdown")
    if ctx.domain.on_reboot == "destroy":
        ctx.args.add("-no-reboot")
    if ctx.domain.pm is not None:
        if not ctx.family.has_pci:
            check_no_sleep_states(ctx.domain, ctx.machine)
            return  # no ACPI power management device: the sleep states are off already
        device = "ICH9-LPC" if ctx.q35 else "PIIX4_PM"
        for el in ctx.domain.pm:
            if isinstance(el.tag, str) and el.get("enabled") in ("yes", "no"):
                state = "s3" if el.tag == "suspend-to-mem" else "s4"
                ctx.args.add("-global", f"{device}.disable_{state}={0 if el.get('enabled') == 'yes' else 1}")


def check_os_arch(domain: Domain, caps: CapsLike, os: OS) -> None:
    arch = os.type.arch if os.type else None
    if arch not in (None, caps.arch) and not (arch == "i686" and caps.arch == "x86_64"):
        node = _node(domain, "os").child("type", os.type).attr("arch")
        raise node.refuse(f"architecture '{arch}' does not match {caps.binary} ({caps.arch})")
