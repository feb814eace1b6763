"""Domain statistics with virsh's output: ``vcpuinfo``, ``dommemstat``, ``domblkstat``, ``domifstat``,
``domblkinfo``, ``domstats``, ``domjobinfo``, ``domtime``.

Each verb makes the calls virsh makes, in its order and with its fallbacks (``domblkstat`` tries the
typed-parameter call first; ``vcpuinfo`` of an inactive domain shows the persistent pinning), so that
the text and the errors are virsh's. ``print_pin_table`` is virsh ``vcpupin``'s query table, for the
verb that also changes pinning.
"""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING

from virt.cli.commands.domain import domain_argument
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry
from virt.domainstats import StatsGroup
from virt.xml.convert import CPUSET

if TYPE_CHECKING:
    from virt.domainstats import BlockInfo, DomainStatsRecord, TypedParameter

GROUP = "Domain Monitoring"
MANAGEMENT = "Domain Management"  # virsh lists vcpuinfo and domjobinfo there

# virsh domblkstat: (field, legacy name, human wording) in the order it prints known fields
_BLOCK_FIELDS = (
    ("rd_operations", "rd_req", "number of read operations:"),
    ("rd_bytes", "rd_bytes", "number of bytes read:"),
    ("wr_operations", "wr_req", "number of write operations:"),
    ("wr_bytes", "wr_bytes", "number of bytes written:"),
    ("errs", "errs", "error count:"),
    ("flush_operations", None, "number of flush operations:"),
    ("rd_total_times", None, "total duration of reads (ns):"),
    ("wr_total_times", None, "total duration of writes (ns):"),
    ("flush_total_times", None, "total duration of flushes (ns):"),
)
_STAT_GROUP_OPTIONS = (
    ("--state", StatsGroup.STATE, "report domain state"),
    ("--cpu-total", StatsGroup.CPU_TOTAL, "report domain physical cpu usage"),
    ("--balloon", StatsGroup.BALLOON, "report domain balloon statistics"),
    ("--vcpu", StatsGroup.VCPU, "report domain virtual cpu information"),
    ("--interface", StatsGroup.INTERFACE, "report domain network interface information"),
    ("--block", StatsGroup.BLOCK, "report domain block device statistics"),
    ("--perf", StatsGroup.PERF, "report domain perf event statistics"),
    ("--iothread", StatsGroup.IOTHREAD, "report domain IOThread information"),
    ("--memory", StatsGroup.MEMORY, "report domain memory usage"),
    ("--dirtyrate", StatsGroup.DIRTYRATE, "report domain dirty rate information"),
    ("--vm", StatsGroup.VM, "report hypervisor-specific statistics"),
)


def _failed(lines: tuple[str, ...], exc: Exception) -> CommandError:
    from virt.errors import VirtError

    message = exc.message if isinstance(exc, VirtError) else str(exc)
    return CommandError(*lines, message)


def host_cpu_count(ctx: Context) -> int:
    """virsh's virshNodeGetCPUCount: the CPU map's count, else the node info's."""
    from virt.errors import VirtError

    try:
        return ctx.conn.node_cpu_map().cpus
    except VirtError:
        info = ctx.conn.node_info()
        return info.nodes * info.sockets * info.cores * info.threads


def _affinity(cpus: frozenset[int], host_cpus: int, pretty: bool) -> str:
    if pretty:
        return f"{CPUSET.format(c for c in cpus if c < host_cpus)} (out of {host_cpus})"
    return "".join("y" if n in cpus else "-" for n in range(host_cpus))


# -- vCPUs --------------------------------------------------------------------------------------------
def run_vcpuinfo(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError
    from virt.states import DomainState

    domain = ctx.domain(args.domain)
    info = domain.info()
    host_cpus = host_cpu_count(ctx)
    blocks: list[list[tuple[str, str]]] = []
    try:
        for vcpu in domain.vcpus()[: info.vcpus]:
            lines = [("VCPU:", str(vcpu.number)), ("CPU:", str(vcpu.cpu)), ("State:", vcpu.state.label)]
            lines.append(("CPU time:", f"{vcpu.cpu_time_ns / 1e9:.1f}s"))
            lines.append(("CPU Affinity:", _affinity(vcpu.affinity, host_cpus, args.pretty)))
            blocks.append(lines)
    except VirtError:
        if info.state != DomainState.SHUTOFF:
            raise
        # an inactive domain: its persistent pinning, as virsh shows it (its "CPU time" lacks the colon)
        for number, cpus in enumerate(domain.vcpu_pin_info(config=True)[: info.vcpus]):
            lines = [("VCPU:", str(number)), ("CPU:", "N/A"), ("State:", "N/A"), ("CPU time", "N/A")]
            lines.append(("CPU Affinity:", _affinity(cpus, host_cpus, args.pretty)))
            blocks.append(lines)
    ctx.print("\n".join("".join(f"{name:<15} {value}\n" for name, value in block) for block in blocks), end="")


def print_pin_table(ctx: Context, affinities: list[frozenset[int]], host_cpus: int, *, only: int | None = None) -> None:
    """virsh ``vcpupin``'s query table of every vCPU's affinity (``only``: that vCPU's row alone)."""
    rows = [
        [str(n), CPUSET.format(c for c in cpus if c < host_cpus)]
        for n, cpus in enumerate(affinities)
        if only is None or n == only
    ]
    ctx.table(["VCPU", "CPU Affinity"], rows)


# -- memory, block devices, interfaces ------------------------------------------------------------------
def run_dommemstat(ctx: Context, args: argparse.Namespace) -> None:
    from virt.cli.commands.tuning import impact_of
    from virt.domainchanges import Impact
    from virt.errors import VirtError

    impact = impact_of(args)
    domain = ctx.domain(args.domain)
    if args.period is not None:
        if not (args.current or args.live or args.config) and domain.is_active():
            impact |= Impact.LIVE  # virsh's choice: a running domain's balloon, not the flagless default
        period = _int_option(args.period, "period")
        if period < 0:
            raise CommandError(f"Invalid collection period value '{period}'")
        try:
            domain.set_memory_stats_period(period, impact)
        except VirtError as exc:
            raise _failed(("Unable to change balloon collection period.",), exc) from exc
        return
    try:
        stats = domain.memory_stats()
    except VirtError as exc:
        raise _failed((f"Failed to get memory statistics for domain {domain.name}",), exc) from exc
    for tag, value in stats:
        ctx.print(f"{tag.label} {value}")


def _int_option(text: str, option: str) -> int:
    """vshCommandOptInt: a decimal int (leading blanks allowed, nothing after the digits)."""
    match = re.fullmatch(r"\s*[+-]?\d+", text)
    value = int(text) if match else None
    if value is None or not -(2**31) <= value < 2**31:
        raise CommandError(f"Numeric value '{text}' for <{option}> option is malformed or out of range")
    return value


def run_domblkstat(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import NotSupported, VirtError

    domain = ctx.domain(args.domain)
    device = args.device or ""
    prefix = "" if args.human else device
    try:
        params = domain.block_stats_parameters(device)
    except NotSupported:
        try:
            stats = domain.block_stats(device)
        except VirtError as exc:
            raise _failed((f"Failed to get block stats {domain.name} {device}",), exc) from exc
        if args.human:
            ctx.print(f"Device: {device}")
        for (_, legacy, human), value in zip(
            _BLOCK_FIELDS, (stats.rd_req, stats.rd_bytes, stats.wr_req, stats.wr_bytes, stats.errs), strict=False
        ):
            if value >= 0:
                ctx.print(f"{prefix} {human:<31} {value}" if args.human else f"{prefix} {legacy} {value}")
        return
    if args.human:
        ctx.print(f"Device: {device}")
    _print_block_params(ctx, params, prefix, human=args.human)


def _print_block_params(ctx: Context, params: list[TypedParameter], prefix: str, *, human: bool) -> None:
    remaining = list(params)
    for field, legacy, wording in _BLOCK_FIELDS:
        found = next((p for p in remaining if p.field == field), None)
        if found is None:
            continue
        remaining.remove(found)
        name = wording if human else (legacy or field)
        ctx.print(f"{prefix} {name:<31} {found.text()}" if human else f"{prefix} {name} {found.text()}")
    for param in remaining:
        ctx.print(f"{prefix} {param.field} {param.text()}")


def run_domifstat(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    domain = ctx.domain(args.domain)
    device = args.interface
    try:
        stats = domain.interface_stats(device)
    except VirtError as exc:
        raise _failed((f"Failed to get interface stats {domain.name} {device}",), exc) from exc
    for name in ("rx_bytes", "rx_packets", "rx_errs", "rx_drop", "tx_bytes", "tx_packets", "tx_errs", "tx_drop"):
        value = getattr(stats, name)
        if value >= 0:
            ctx.print(f"{device} {name} {value}")


def _pretty_size(size: int) -> str:
    """virsh's vshPrettyCapacity with three decimals."""
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
    value, unit = float(size), 0
    while value >= 1024 and unit < len(units) - 1 and size >= 1024 ** (unit + 1):
        value /= 1024
        unit += 1
    return f"{value:.3f} {units[unit]}"


def _sizes(info: BlockInfo, human: bool) -> list[str]:
    values = (info.capacity, info.allocation, info.physical)
    if not any(values):
        return ["-", "-", "-"]
    return [_pretty_size(v) if human else str(v) for v in values]


def run_domblkinfo(ctx: Context, args: argparse.Namespace) -> None:
    from virt.domainstats import BlockInfo
    from virt.localstate.stats import disk_source

    if args.all and args.device:
        raise CommandError("Options --all and --device are mutually exclusive")
    domain = ctx.domain(args.domain)
    if not args.all:
        if not args.device:
            raise CommandError("command 'domblkinfo' requires <device> option")
        cap, alloc, phy = _sizes(domain.block_info(args.device), args.human)
        for name, value in (("Capacity:", cap), ("Allocation:", alloc), ("Physical:", phy)):
            ctx.print(f"{name:<15} {value}")
        return
    devices = domain.model().devices
    rows = []
    for disk in devices.disks if devices is not None else []:
        target = (disk.target.dev if disk.target is not None else None) or ""
        info = domain.block_info(target) if disk.source is not None and disk_source(disk) else BlockInfo(0, 0, 0)
        rows.append([target, *_sizes(info, args.human)])
    ctx.table(["Target", "Capacity", "Allocation", "Physical"], rows)


# -- bulk statistics ------------------------------------------------------------------------------------
def run_domstats(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    groups = StatsGroup(0)
    for option, group, _ in _STAT_GROUP_OPTIONS:
        if getattr(args, option[2:].replace("-", "_")):
            groups |= group
    records: list[DomainStatsRecord]
    try:
        if args.domains:
            domains = [ctx.domain(key) for key in args.domains]
            records = ctx.conn.domain_list_stats(domains, groups, enforce=args.enforce, backing=args.backing)
        else:
            from virt.info import DomainFilter

            states = DomainFilter.selected_states(
                running=args.list_running, paused=args.list_paused, shutoff=args.list_shutoff, other=args.list_other
            )
            records = ctx.conn.get_all_domain_stats(
                groups,
                active=args.list_active if args.list_active != args.list_inactive else None,
                persistent=args.list_persistent if args.list_persistent != args.list_transient else None,
                states=states,
                enforce=args.enforce,
                backing=args.backing,
                nowait=args.nowait,
            )
    except VirtError as exc:
        raise CommandError(exc.message) from exc
    text = "\n".join(
        f"Domain: '{record.domain.name}'\n" + "".join(f"  {p.field}={p.text()}\n" for p in record.params)
        for record in records
    )
    ctx.print(text, end="")


# -- jobs and the guest's clock ---------------------------------------------------------------------------
def run_domjobinfo(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import NotSupported

    domain = ctx.domain(args.domain)
    try:
        job = domain.job_info(completed=args.completed)
    except NotSupported as exc:
        # virsh asks virDomainGetJobStats, then the older virDomainGetJobInfo, and names the last one
        if args.completed:
            raise CommandError(
                "Optional flags or --rawstats are not supported by the daemon",
                "this function is not supported by the connection driver: virDomainGetJobStats",
            ) from exc
        raise CommandError("this function is not supported by the connection driver: virDomainGetJobInfo") from exc
    from virt.cli.jobinfo import job_lines

    for line in job_lines(job):
        ctx.print(line)


_SETTING = ("time", "now", "sync")
"""domtime's options that set the clock, each exclusive of the others (checked in virsh's order)."""


def _long_long_option(text: str, option: str) -> int:
    """vshCommandOptLongLong: a decimal long long (leading blanks allowed, nothing after the digits)."""
    value = int(text) if re.fullmatch(r"\s*[+-]?\d+", text) else None
    if value is None or not -(2**63) <= value < 2**63:
        raise CommandError(f"Numeric value '{text}' for <{option}> option is malformed or out of range")
    return value


def run_domtime(ctx: Context, args: argparse.Namespace) -> None:
    given = {"time": args.time is not None, "now": args.now, "sync": args.sync}
    for position, first in enumerate(_SETTING):
        for second in _SETTING[position + 1 :]:
            if given[first] and given[second]:
                raise CommandError(f"Options --{first} and --{second} are mutually exclusive")
    seconds = _long_long_option(args.time, "time") if args.time is not None else 0
    domain = ctx.domain(args.domain)
    if any(given.values()):
        if args.now:
            import time

            seconds = int(time.time())
        domain.set_guest_time(seconds, 0, 1 if args.sync else 0)
        return
    clock = domain.guest_time()
    if args.pretty:
        import datetime

        moment = datetime.datetime.fromtimestamp(clock.seconds, datetime.UTC)
        ctx.print(f"Time: {moment:%Y-%m-%d %H:%M:%S}", end="")
    else:
        ctx.print(f"Time: {clock.seconds}", end="")


def register(commands: CommandRegistry) -> None:
    add = commands.add
    add(
        "vcpuinfo",
        run_vcpuinfo,
        group=MANAGEMENT,
        help="detailed domain vcpu information",
        description="Returns basic information about the domain virtual CPUs.",
        arguments=[domain_argument(), Argument("--pretty", flag=True, help="return human readable output")],
    )
    add(
        "dommemstat",
        run_dommemstat,
        group=GROUP,
        help="get memory statistics for a domain",
        description="Get memory statistics for a running domain.",
        arguments=[
            domain_argument(),
            Argument("--period", metavar="number", help="period in seconds to set collection"),
            Argument("--config", flag=True, help="affect next boot"),
            Argument("--live", flag=True, help="affect running domain"),
            Argument("--current", flag=True, help="affect current domain"),
        ],
    )
    add(
        "domblkstat",
        run_domblkstat,
        group=GROUP,
        help="get device block stats for a domain",
        description=(
            "Get device block stats for a running domain. See man page or use --human for explanation of fields"
        ),
        arguments=[
            domain_argument(),
            Argument("device", positional=True, help="block device"),
            Argument("--human", flag=True, help="print a more human readable output"),
        ],
    )
    add(
        "domifstat",
        run_domifstat,
        group=GROUP,
        help="get network interface stats for a domain",
        description="Get network interface stats for a running domain.",
        arguments=[
            domain_argument(),
            Argument(
                "interface", positional=True, required=True, help="interface device specified by name or MAC Address"
            ),
        ],
    )
    add(
        "domblkinfo",
        run_domblkinfo,
        group=GROUP,
        help="domain block device size information",
        description="Get block device size info for a domain.",
        arguments=[
            domain_argument(),
            Argument("device", positional=True, help="block device"),
            Argument("--human", flag=True, help="Human readable output"),
            Argument("--all", flag=True, help="display all block devices info"),
        ],
    )
    add(
        "domstats",
        run_domstats,
        group=GROUP,
        help="get statistics about one or multiple domains",
        description="Gets statistics about one or more (or all) domains",
        arguments=[
            *(Argument(option, flag=True, help=text) for option, _, text in _STAT_GROUP_OPTIONS),
            Argument("--list-active", flag=True, help="list only active domains"),
            Argument("--list-inactive", flag=True, help="list only inactive domains"),
            Argument("--list-persistent", flag=True, help="list only persistent domains"),
            Argument("--list-transient", flag=True, help="list only transient domains"),
            Argument("--list-running", flag=True, help="list only running domains"),
            Argument("--list-paused", flag=True, help="list only paused domains"),
            Argument("--list-shutoff", flag=True, help="list only shutoff domains"),
            Argument("--list-other", flag=True, help="list only domains in other states"),
            Argument("--raw", flag=True, help="do not pretty-print the fields"),
            Argument("--enforce", flag=True, help="enforce requested stats parameters"),
            Argument("--backing", flag=True, help="add backing chain information to block stats"),
            Argument("--nowait", flag=True, help="report only stats that are accessible instantly"),
            Argument("domains", rest=True, help="list of domains to get stats for"),
        ],
    )
    add(
        "domjobinfo",
        run_domjobinfo,
        group=MANAGEMENT,
        help="domain job information",
        description="Returns information about jobs running on a domain.",
        arguments=[
            domain_argument(),
            Argument("--completed", flag=True, help="return statistics of a recently completed job"),
        ],
    )
    add(
        "domtime",
        run_domtime,
        group=GROUP,
        help="domain time",
        description="Gets the domain's system time",
        arguments=[
            domain_argument(),
            Argument("--now", flag=True, help="set to the time of the host running virsh"),
            Argument("--pretty", flag=True, help="print domain's time in human readable form"),
            Argument("--sync", flag=True, help="instead of setting given time, synchronize from domain's RTC"),
            Argument("--time", metavar="number", help="time to set"),
        ],
    )
