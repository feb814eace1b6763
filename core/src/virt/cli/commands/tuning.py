"""The commands that change a domain's resources or ask its guest, with virsh's words and layout:
setmem, setmaxmem, setvcpus, vcpupin, emulatorpin, send-key, metadata, desc, domifaddr, domfsinfo,
domfsfreeze, domfsthaw, domhostname.
"""

from __future__ import annotations

import argparse
import re
from typing import TypeVar

from virt.cli.commands.domain import domain_argument
from virt.cli.commands.stats import host_cpu_count, print_pin_table
from virt.cli.context import CommandError, Context, failing_as
from virt.cli.registry import Argument, CommandRegistry
from virt.cli.sizes import SUFFIXES
from virt.domainchanges import Impact
from virt.xml.convert import CPUSET

GROUP = "Domain Management"
T = TypeVar("T")

_SCALE = {"": 1024, **SUFFIXES}
"""virsh's scaled integers: the suffix's multiplier, KiB when there is none."""


def _kib(text: str, option: str) -> int:
    """A ``--size`` in KiB (virsh rounds bytes up to whole KiB)."""
    match = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]*)\s*", text)
    scale = _SCALE.get(match.group(2).lower()) if match else None
    if match is None or scale is None:
        raise CommandError(f"Scaled numeric value '{text}' for <{option}> option is malformed or out of range")
    return -(-int(match.group(1)) * scale // 1024)


def _number(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    try:
        value = int(text, 10)
    except ValueError:
        value = -1
    if value < 0:
        raise CommandError(f"Numeric value '{text}' for <{option}> option is malformed or out of range")
    return value


def impact_of(args: argparse.Namespace) -> Impact:
    """--current, --live and --config as virsh reads them (--current excludes the others)."""
    for other in ("live", "config"):
        if args.current and getattr(args, other):
            raise CommandError(f"Options --current and --{other} are mutually exclusive")
    return (Impact.LIVE if args.live else Impact.CURRENT) | (Impact.CONFIG if args.config else Impact.CURRENT)


_AFFECT = ("affect next boot", "affect running domain", "affect current domain")


def impact_arguments(what: tuple[str, str, str] = _AFFECT) -> list[Argument]:
    return [
        Argument("--config", flag=True, help=what[0]),
        Argument("--live", flag=True, help=what[1]),
        Argument("--current", flag=True, help=what[2]),
    ]


# -- memory and processors ---------------------------------------------------------------------------
def _flagless_is_live(impact: Impact) -> Impact:
    # without --live/--config/--current virsh calls the flagless API (virDomainSetMemory,
    # virDomainSetVcpus), which changes the running domain only
    return impact or Impact.LIVE


def run_setmem(ctx: Context, args: argparse.Namespace) -> None:
    kib = _kib(args.size, "size")
    impact = impact_of(args)
    if not (args.current or args.live or args.config):
        impact = _flagless_is_live(impact)
    domain = ctx.domain(args.domain)
    failing_as(lambda: domain.set_memory(kib, impact))


def run_setmaxmem(ctx: Context, args: argparse.Namespace) -> None:
    kib = _kib(args.size, "size")
    impact = impact_of(args)
    domain = ctx.domain(args.domain)
    failing_as(lambda: domain.set_max_memory(kib, impact), "Unable to change MaxMemorySize")


def run_setvcpus(ctx: Context, args: argparse.Namespace) -> None:
    count = _number(args.count, "count")
    impact = impact_of(args)
    if not (args.current or args.live or args.config or args.maximum or args.hotpluggable):
        impact = _flagless_is_live(impact)
    if args.maximum and not args.config:
        raise CommandError("Option --config is required by option --maximum")
    if not count:
        raise CommandError("Can't set 0 processors for a VM")
    if args.guest:
        raise CommandError("--guest (the guest agent's CPU hotplug) is not supported by virt")
    domain = ctx.domain(args.domain)
    failing_as(lambda: domain.set_vcpus(count, impact, maximum=args.maximum, hotpluggable=args.hotpluggable))


def parse_cpulist(text: str, maxcpu: int) -> frozenset[int]:
    """virsh's cpulist: ``r`` for every host CPU, else ranges with ``^`` exclusions, each within the host."""
    from virt.domainchanges import parse_cpuset
    from virt.errors import VirtError

    if text == "r":
        return frozenset(range(maxcpu))
    try:
        cpus = parse_cpuset(text)
    except VirtError as exc:
        raise CommandError(f"Invalid cpulist '{text}'", f"invalid argument: {exc.message}") from exc
    if not cpus:
        raise CommandError(f"Invalid cpulist '{text}'")
    beyond = max(cpus)
    if beyond >= maxcpu:
        raise CommandError(f"CPU {beyond} in cpulist '{text}' exceed the maxcpu {maxcpu}")
    return cpus


def _read_impact(impact: Impact) -> dict[str, bool]:
    """The pin-info queries' live/config arguments for --live/--config/--current."""
    return {"live": bool(impact & Impact.LIVE), "config": bool(impact & Impact.CONFIG)}


def run_vcpupin(ctx: Context, args: argparse.Namespace) -> None:
    impact = impact_of(args)
    vcpu = _number(args.vcpu, "vcpu")
    if args.cpulist is not None and vcpu is None:
        raise CommandError("vcpupin: Missing vCPU number in pin mode.")
    domain = ctx.domain(args.domain)
    maxcpu = host_cpu_count(ctx)
    if args.cpulist is None:
        pins = failing_as(lambda: domain.vcpu_pin_info(**_read_impact(impact)))
        if vcpu is not None and vcpu >= len(pins):
            raise CommandError(f"vcpu {vcpu} is out of range of persistent cpu count {len(pins)}")
        print_pin_table(ctx, pins, maxcpu, only=vcpu)
        return
    assert vcpu is not None
    cpus = parse_cpulist(args.cpulist, maxcpu)
    failing_as(lambda: domain.pin_vcpu(vcpu, cpus, impact))


def run_emulatorpin(ctx: Context, args: argparse.Namespace) -> None:
    impact = impact_of(args)
    domain = ctx.domain(args.domain)
    maxcpu = host_cpu_count(ctx)
    if args.cpulist is None:
        cpus = failing_as(lambda: domain.emulator_pin_info(**_read_impact(impact)))
        ctx.print_extra("emulator: CPU Affinity")
        ctx.print_extra("----------------------------------")
        ctx.print(f"       *: {CPUSET.format(cpu for cpu in cpus if cpu < maxcpu)}")
        return
    chosen = parse_cpulist(args.cpulist, maxcpu)
    failing_as(lambda: domain.pin_emulator(chosen, impact))


# -- keys --------------------------------------------------------------------------------------------
def run_send_key(ctx: Context, args: argparse.Namespace) -> None:
    from virt.keycodes import CODESETS, keycode_from_string

    codeset = CODESETS.get(args.codeset or "linux")
    if codeset is None:
        raise CommandError(f"unknown codeset: '{args.codeset}'")
    holdtime = _number(args.holdtime, "holdtime") or 0
    if holdtime > 2**31 - 1:
        raise CommandError(f"Numeric value '{args.holdtime}' for <holdtime> option is malformed or out of range")
    if not args.keycode:
        raise CommandError("command 'send-key' requires <keycode> option")
    codes = []
    for word in args.keycode:
        code = keycode_from_string(word, codeset)
        if code is None:
            raise CommandError(f"invalid keycode: '{word}'")
        codes.append(code)
        if len(codes) > 16:
            raise CommandError("too many keycodes")
    domain = ctx.domain(args.domain)
    failing_as(lambda: domain.send_key(codes, codeset, holdtime))


# -- metadata ----------------------------------------------------------------------------------------
def run_metadata(ctx: Context, args: argparse.Namespace) -> None:
    from virt.domainchanges import MetadataType

    if args.set is not None and args.remove:
        raise CommandError("Options --remove and --set are mutually exclusive")
    if args.edit:
        raise CommandError("--edit is not supported by virt: use --set")
    impact = impact_of(args)
    domain = ctx.domain(args.domain)
    if args.set is not None or args.remove:
        if args.set is not None and not args.key:
            raise CommandError("namespace key is required when modifying metadata")
        value = None if args.remove else args.set
        failing_as(lambda: domain.set_metadata(MetadataType.ELEMENT, value, key=args.key, uri=args.uri, impact=impact))
        ctx.print_extra("Metadata removed" if args.remove else "Metadata modified")
        return
    ctx.print(failing_as(lambda: domain.metadata(MetadataType.ELEMENT, args.uri, impact)))


def run_desc(ctx: Context, args: argparse.Namespace) -> None:
    from virt.domainchanges import MetadataType
    from virt.errors import ErrorNumber, VirtError

    if args.edit:
        raise CommandError("--edit is not supported by virt: give the new text as arguments")
    impact = impact_of(args)
    domain = ctx.domain(args.domain)
    kind = MetadataType.TITLE if args.title else MetadataType.DESCRIPTION
    noun = "title" if args.title else "description"
    ctx.trailer = False
    if args.new_desc:
        text = " ".join(args.new_desc)
        failing_as(lambda: domain.set_metadata(kind, text, impact=impact), f"Failed to set new domain {noun}")
        ctx.print_extra(f"Domain {noun} updated successfully")
        return
    try:
        ctx.print(domain.metadata(kind, None, impact))
    except VirtError as exc:
        if exc.code != ErrorNumber.NO_DOMAIN_METADATA:
            raise
        ctx.print_extra(f"No {noun} for domain: {domain.name}")


# -- the guest's own view ----------------------------------------------------------------------------
def _source(text: str | None, choices: dict[str, T], default: T) -> T:
    if text is None:
        return default
    found = choices.get(text)
    if found is None:
        raise CommandError(f"Unknown data source '{text}'")
    return found


def run_domifaddr(ctx: Context, args: argparse.Namespace) -> None:
    from virt.domainchanges import AddressSource, IPAddressType

    source = _source(args.source, {s.name.lower(): s for s in AddressSource}, AddressSource.LEASE)
    domain = ctx.domain(args.domain)
    interfaces = failing_as(lambda: domain.interface_addresses(source), "Failed to query for interfaces addresses")
    ctx.print_extra(f" {'Name':<10} {'MAC address':<20} {'Protocol':<8}     Address")
    ctx.print_extra("-" * 79)
    for iface in interfaces:
        if args.interface and iface.name != args.interface:
            continue
        hwaddr = iface.hwaddr or "N/A"
        if not iface.addresses:
            ctx.print(f" {iface.name:<10} {hwaddr:<17}    {'N/A':<12} N/A")
            continue
        for n, address in enumerate(iface.addresses):
            protocol = "ipv6" if address.type == IPAddressType.IPV6 else "ipv4"
            name, mac = (iface.name, hwaddr) if n == 0 or args.full else ("-", "-")
            ctx.print(f" {name:<10} {mac:<17}    {protocol:<12} {address.address}/{address.prefix}")


def run_domfsinfo(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain(args.domain)
    found = failing_as(domain.filesystems, "Unable to get filesystem information")
    if not found:
        return
    rows = [[fs.mountpoint, fs.name, fs.fstype, ",".join(fs.devices)] for fs in found]
    ctx.table(["Mountpoint", "Name", "Type", "Target"], rows)


def run_domfsfreeze(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain(args.domain)
    count = failing_as(lambda: domain.freeze_filesystems(args.mountpoint or []), "Unable to freeze filesystems")
    ctx.print(f"Froze {count} filesystem(s)")


def run_domfsthaw(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain(args.domain)
    count = failing_as(lambda: domain.thaw_filesystems(args.mountpoint or []), "Unable to thaw filesystems")
    ctx.print(f"Thawed {count} filesystem(s)")


def run_domhostname(ctx: Context, args: argparse.Namespace) -> None:
    from virt.domainchanges import HostnameSource

    choices = {"lease": HostnameSource.LEASE, "agent": HostnameSource.AGENT}
    source = _source(args.source, choices, HostnameSource.DEFAULT)
    domain = ctx.domain(args.domain)
    ctx.print(failing_as(lambda: domain.hostname(source), "failed to get hostname"))


def register(commands: CommandRegistry) -> None:
    add = commands.add
    size = Argument("size", positional=True, required=True, metavar="number")
    add(
        "setmem",
        run_setmem,
        group=GROUP,
        help="change memory allocation",
        description="Change the current memory allocation in the guest domain.",
        arguments=[domain_argument(), size, *impact_arguments()],
    )
    add(
        "setmaxmem",
        run_setmaxmem,
        group=GROUP,
        help="change maximum memory limit",
        description="Change the maximum memory allocation limit in the guest domain.",
        arguments=[domain_argument(), size, *impact_arguments()],
    )
    add(
        "setvcpus",
        run_setvcpus,
        group=GROUP,
        help="change number of virtual CPUs",
        description="Change the number of virtual CPUs in the guest domain.",
        arguments=[
            domain_argument(),
            Argument("count", positional=True, required=True, metavar="number", help="number of virtual CPUs"),
            Argument("--maximum", flag=True, help="set maximum limit on next boot"),
            *impact_arguments(),
            Argument("--guest", flag=True, help="modify cpu state in the guest"),
            Argument("--hotpluggable", flag=True, help="make added vcpus hot(un)pluggable"),
        ],
    )
    add(
        "vcpupin",
        run_vcpupin,
        group=GROUP,
        help="control or query domain vcpu affinity",
        description="Pin domain VCPUs to host physical CPUs.",
        arguments=[
            domain_argument(),
            Argument("vcpu", positional=True, metavar="number", help="vcpu number"),
            Argument("cpulist", positional=True, help="host cpu number(s) to set, or omit option to query"),
            *impact_arguments(),
        ],
    )
    add(
        "emulatorpin",
        run_emulatorpin,
        group=GROUP,
        help="control or query domain emulator affinity",
        description="Pin domain emulator threads to host physical CPUs.",
        arguments=[
            domain_argument(),
            Argument("cpulist", positional=True, help="host cpu number(s) to set, or omit option to query"),
            *impact_arguments(),
        ],
    )
    add(
        "send-key",
        run_send_key,
        group=GROUP,
        help="Send keycodes to the guest",
        description="Send keycodes (integers or symbolic names) to the guest",
        arguments=[
            domain_argument(),
            Argument("--codeset", help="the codeset of keycodes, default:linux"),
            Argument("--holdtime", metavar="number", help="the time (in milliseconds) how long the keys will be held"),
            Argument("keycode", rest=True, help="the key code"),
        ],
    )
    meta_impact = impact_arguments(
        ("modify/get persistent configuration", "modify/get running state", "modify/get current state configuration")
    )
    add(
        "metadata",
        run_metadata,
        group=GROUP,
        help="show or set domain's custom XML metadata",
        description="Shows or modifies the XML metadata of a domain.",
        arguments=[
            domain_argument(),
            Argument("uri", positional=True, required=True, help="URI of the namespace"),
            *meta_impact,
            Argument("--edit", flag=True, help="use an editor to change the metadata"),
            Argument("--key", help="key to be used as a namespace identifier"),
            Argument("--set", help="new metadata to set"),
            Argument("--remove", flag=True, help="remove the metadata corresponding to an uri"),
        ],
    )
    add(
        "desc",
        run_desc,
        group=GROUP,
        help="show or set domain's description or title",
        description="Allows setting or modifying the description or title of a domain.",
        arguments=[
            domain_argument(),
            *meta_impact,
            Argument("--title", flag=True, help="modify/get the title instead of description"),
            Argument("--edit", flag=True, help="open an editor to modify the description"),
            Argument("new-desc", rest=True, help="message"),
        ],
    )
    add(
        "domifaddr",
        run_domifaddr,
        group="Domain Monitoring",
        help="Get network interfaces' addresses for a running domain",
        arguments=[
            domain_argument(),
            Argument("--interface", help="network interface name"),
            Argument("--full", flag=True, help="always display names and MACs of interfaces"),
            Argument("--source", help="address source: 'lease', 'agent', or 'arp'"),
        ],
    )
    add(
        "domfsinfo",
        run_domfsinfo,
        group=GROUP,
        help="Get information of domain's mounted filesystems.",
        arguments=[domain_argument()],
    )
    for name, run, verb in (("domfsfreeze", run_domfsfreeze, "frozen"), ("domfsthaw", run_domfsthaw, "thawed")):
        add(
            name,
            run,
            group=GROUP,
            help=f"{'Freeze' if verb == 'frozen' else 'Thaw'} domain's mounted filesystems.",
            arguments=[domain_argument(), Argument("mountpoint", rest=True, help=f"mountpoint path to be {verb}")],
        )
    add(
        "domhostname",
        run_domhostname,
        group=GROUP,
        help="print the domain's hostname",
        arguments=[domain_argument(), Argument("--source", help="address source: 'lease' or 'agent'")],
    )
