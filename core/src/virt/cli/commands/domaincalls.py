"""The commands of virt.domaincalls, with virsh's options, words and layout: cpu-stats,
set-lifecycle-action, domfstrim, domblkerror, send-process-signal, set-user-password,
domlaunchsecinfo and dump."""

from __future__ import annotations

import argparse
import functools
import re
from typing import TYPE_CHECKING, TypeVar

from virt.cli.commands.domain import domain_argument, file_argument
from virt.cli.context import CommandError, Context, failing_as
from virt.cli.registry import Argument, CommandRegistry
from virt.domainchanges import Impact

if TYPE_CHECKING:
    from virt.domainstats import TypedParameter

MANAGEMENT = "Domain Management"
MONITORING = "Domain Monitoring"
T = TypeVar("T")

_TIMES = ("cpu_time", "vcpu_time", "user_time", "system_time")
"""The statistics cpu-stats shows as seconds."""
_CHUNK = 128
"""How many CPUs virsh asks about at once."""
_INT = re.compile(r"[+-]?\d+")


def _number(text: str | None, option: str, low: int, high: int) -> int | None:
    """virsh's numeric options (vshCommandOptInt, ...LongLong, ...ULongLong): decimal, within range."""
    if text is None:
        return None
    value = int(text) if _INT.fullmatch(text) else None
    if value is None or not low <= value <= high:
        raise CommandError(f"Numeric value '{text}' for <{option}> option is malformed or out of range")
    return value


def _required_text(value: str, option: str) -> str:
    if not value:
        raise CommandError(f"Failed to get option '{option}': Option argument is empty")
    return value


# -- cpu-stats ---------------------------------------------------------------------------------------
def _show(ctx: Context, params: tuple[TypedParameter, ...]) -> None:
    for param in params:
        if param.field in _TIMES and isinstance(param.value, int):
            seconds, nanoseconds = divmod(param.value, 1_000_000_000)
            ctx.print(f"\t{param.field:<12} {seconds:9d}.{nanoseconds:09d} seconds")
        else:
            ctx.print(f"\t{param.field:<12} {param.text()}")


def run_cpu_stats(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain(args.domain)
    start = _number(args.start, "start", -(2**31), 2**31 - 1)
    count = _number(args.count, "count", -(2**31), 2**31 - 1)
    cpu = start or 0
    if cpu < 0:
        raise CommandError("Invalid value for start CPU")
    if count is not None and count < 0:
        raise CommandError("Invalid value for number of CPUs to show")
    per_cpu = count is not None or start is not None or not args.total
    total = args.total or (start is None and count is None)
    failed = f"Failed to retrieve CPU statistics for domain '{domain.name}'"
    if per_cpu:
        cpus = failing_as(lambda: domain.get_cpu_stats(0, 0, 0).result, failed)
        if cpu >= cpus:
            raise CommandError(f"Start CPU {cpu} is out of range (min: 0, max: {cpus - 1})")
        if count is None or count > cpus:
            if count is not None:
                ctx.print(f"Only {cpus} CPUs available to show")
            count = cpus - cpu
        nparams = failing_as(lambda: domain.get_cpu_stats(0, 0, 1).result, failed)
        if not nparams:
            ctx.print("No per-CPU stats available", end="")
            if not total:
                return
        while nparams and count > 0:
            chunk = min(count, _CHUNK)
            found = failing_as(functools.partial(domain.get_cpu_stats, nparams, cpu, chunk), failed)
            for number, params in found.rows:
                if params:
                    ctx.print(f"CPU{number}:")
                    _show(ctx, params)
            cpu += chunk
            count -= chunk
    if total:
        nparams = failing_as(lambda: domain.get_cpu_stats(0, -1, 1).result, failed)
        if not nparams:
            ctx.print("No total stats available", end="")
            return
        found = failing_as(lambda: domain.get_cpu_stats(nparams, -1, 1), failed)
        ctx.print("Total:")
        for _, params in found.rows:
            _show(ctx, params)


# -- set-lifecycle-action ------------------------------------------------------------------------------
def run_set_lifecycle_action(ctx: Context, args: argparse.Namespace) -> None:
    from virt.domaincalls import LifecycleAction, LifecycleType

    for other in ("live", "config"):
        if args.current and getattr(args, other):
            raise CommandError(f"Options --current and --{other} are mutually exclusive")
    impact = (Impact.CONFIG if args.config else Impact.CURRENT) | (Impact.LIVE if args.live else Impact.CURRENT)
    event = next((kind for kind in LifecycleType if kind.label == args.type), None)
    if event is None:
        raise CommandError(f"Invalid lifecycle type '{args.type}'.")
    action = LifecycleAction.from_label(args.action)
    if action is None:
        raise CommandError(f"Invalid lifecycle action '{args.action}'.")
    domain = ctx.domain(args.domain)
    failing_as(lambda: domain.set_lifecycle_action(event, action, impact), "Unable to change lifecycle action.")


# -- guest agent: domfstrim, send-process-signal, set-user-password -----------------------------------
def run_domfstrim(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain(args.domain)
    minimum = _number(args.minimum, "minimum", 0, 2**64 - 1) or 0
    mountpoint = _required_text(args.mountpoint, "mountpoint") if args.mountpoint is not None else None
    failing_as(lambda: domain.fstrim(mountpoint, minimum), "Unable to invoke fstrim")


def run_send_process_signal(ctx: Context, args: argparse.Namespace) -> None:
    from virt.domaincalls import signal_number

    domain = ctx.domain(args.domain)
    pid = _number(args.pid, "pid", -(2**63), 2**63 - 1)
    signame = _required_text(args.signame, "signame")
    signum = signal_number(signame)
    if signum is None or signum < 0:
        raise CommandError(f"malformed signal name: {signame}")
    assert pid is not None
    failing_as(lambda: domain.send_process_signal(pid, signum))


def run_set_user_password(ctx: Context, args: argparse.Namespace) -> None:
    from virt.domaincalls import PasswordFlags

    flags = PasswordFlags.ENCRYPTED if args.encrypted else PasswordFlags.NONE
    domain = ctx.domain(args.domain)
    user = _required_text(args.user, "user")
    password = _required_text(args.password, "password")
    failing_as(lambda: domain.set_user_password(user, password, flags))
    ctx.print_extra(f"Password set successfully for {user} in {domain.name}", end="")


# -- domblkerror, domlaunchsecinfo ---------------------------------------------------------------------
def run_domblkerror(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain(args.domain)
    errors = failing_as(domain.disk_errors)
    if not errors:
        ctx.print("No errors found")
    for error in errors:
        ctx.print(f"{error.disk}: {error.label}")


def run_domlaunchsecinfo(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain(args.domain)
    for param in failing_as(domain.launch_security_info, "Unable to get launch security parameters"):
        ctx.print(f"{param.field:<15}: {param.text()}")


# -- dump ----------------------------------------------------------------------------------------------
def run_dump(ctx: Context, args: argparse.Namespace) -> None:
    from virt.domaincalls import DumpFlags, DumpFormat

    domain = ctx.domain(args.domain)
    path = _required_text(args.file, "file")
    flags = DumpFlags.NONE
    for option, flag in (
        ("live", DumpFlags.LIVE),
        ("crash", DumpFlags.CRASH),
        ("bypass_cache", DumpFlags.BYPASS_CACHE),
        ("reset", DumpFlags.RESET),
        ("memory_only", DumpFlags.MEMORY_ONLY),
    ):
        if getattr(args, option):
            flags |= flag
    dumpformat = DumpFormat.RAW
    if args.format is not None:
        if not flags & DumpFlags.MEMORY_ONLY:
            raise CommandError("--format only works with --memory-only")
        chosen = next((kind for kind in DumpFormat if kind.label == args.format), None)
        if chosen is None:
            raise CommandError(
                f"format '{args.format}' is not supported, expecting "
                "'kdump-zlib', 'kdump-lzo', 'kdump-snappy', 'win-dmp' or 'elf'"
            )
        dumpformat = chosen
    failed = f"Failed to core dump domain '{domain.name}' to {path}"
    # virsh calls virDomainCoreDump for the ELF format, the call with a format for the others
    chosen_format = None if dumpformat == DumpFormat.RAW else int(dumpformat)
    failing_as(lambda: domain.core_dump(path, int(flags), chosen_format), failed)
    if args.verbose:
        # virsh's job watcher draws the finished job's progress, once
        ctx.stderr.write("\rDump: [100 %]")
    ctx.print_extra()
    ctx.print_extra(f"Domain '{domain.name}' dumped to {path}")


def register(commands: CommandRegistry) -> None:
    domain = domain_argument()
    commands.add(
        "cpu-stats",
        run_cpu_stats,
        group=MANAGEMENT,
        help="show domain cpu statistics",
        description="Display per-CPU and total statistics about the domain's CPUs",
        arguments=[
            domain,
            Argument("--total", flag=True, help="Show total statistics only"),
            Argument("--start", metavar="number", help="Show statistics from this CPU"),
            Argument("--count", metavar="number", help="Number of shown CPUs at most"),
        ],
    )
    commands.add(
        "set-lifecycle-action",
        run_set_lifecycle_action,
        group=MANAGEMENT,
        help="change lifecycle actions",
        description="Change lifecycle actions for the guest domain.",
        arguments=[
            domain,
            Argument("type", positional=True, required=True, help="lifecycle type to modify"),
            Argument("action", positional=True, required=True, help="lifecycle action to set"),
            Argument("--config", flag=True, help="affect next boot"),
            Argument("--live", flag=True, help="affect running domain"),
            Argument("--current", flag=True, help="affect current domain"),
        ],
    )
    commands.add(
        "domfstrim",
        run_domfstrim,
        group=MANAGEMENT,
        help="Invoke fstrim on domain's mounted filesystems.",
        description="Invoke fstrim on domain's mounted filesystems.",
        arguments=[
            domain,
            Argument(
                "--minimum",
                metavar="number",
                help="Just a hint to ignore contiguous free ranges smaller than this (Bytes)",
            ),
            Argument("--mountpoint", help="which mount point to trim"),
        ],
    )
    commands.add(
        "domblkerror",
        run_domblkerror,
        group=MONITORING,
        help="Show errors on block devices",
        description="Show block device errors",
        arguments=[domain],
    )
    commands.add(
        "send-process-signal",
        run_send_process_signal,
        group=MANAGEMENT,
        help="Send signals to processes",
        description="Send signals to processes in the guest",
        arguments=[
            domain,
            Argument("pid", positional=True, required=True, help="the process ID"),
            Argument("signame", positional=True, required=True, help="the signal number or name"),
        ],
    )
    commands.add(
        "set-user-password",
        run_set_user_password,
        group=MANAGEMENT,
        help="set the user password inside the domain",
        description="changes the password of the specified user inside the domain",
        arguments=[
            domain,
            Argument("user", positional=True, required=True, help="the username"),
            Argument("password", positional=True, required=True, help="the new password"),
            Argument("--encrypted", flag=True, help="the password is already encrypted"),
        ],
    )
    commands.add(
        "domlaunchsecinfo",
        run_domlaunchsecinfo,
        group=MANAGEMENT,
        help="Get domain launch security info",
        description="Get the launch security parameters for a guest domain",
        arguments=[domain],
    )
    commands.add(
        "dump",
        run_dump,
        group=MANAGEMENT,
        help="dump the core of a domain to a file for analysis",
        description="Core dump a domain.",
        arguments=[
            domain,
            file_argument("where to dump the core"),
            Argument("--live", flag=True, help="perform a live core dump if supported"),
            Argument("--crash", flag=True, help="crash the domain after core dump"),
            Argument("--bypass-cache", flag=True, help="avoid file system cache when dumping"),
            Argument("--reset", flag=True, help="reset the domain after core dump"),
            Argument("--verbose", flag=True, help="display the progress of dump"),
            Argument("--memory-only", flag=True, help="dump domain's memory only"),
            Argument("--format", help="specify the format of memory-only dump"),
        ],
    )
