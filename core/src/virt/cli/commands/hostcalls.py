"""``cpu-compare``, ``nodesuspend``, ``dompmsuspend`` and ``dompmwakeup`` with virsh 9.0's options,
words and exit codes (virsh-host.c, virsh-domain.c): virConnectCompareCPU on the file's first <cpu>
(virsh finds it as ``cpu-baseline`` does), virNodeSuspendForDuration, virDomainPMSuspendForDuration
and virDomainPMWakeup."""

from __future__ import annotations

import argparse

from virt.cli.commands.cpubaseline import cpu_definitions
from virt.cli.commands.domain import domain_argument, file_argument
from virt.cli.context import CommandError, Context, failing_as
from virt.cli.registry import Argument, CommandRegistry

_TARGETS = "mem(Suspend-to-RAM), disk(Suspend-to-Disk), hybrid(Hybrid-Suspend)"


def run_cpu_compare(ctx: Context, args: argparse.Namespace) -> int:
    from virt.hostcalls import CompareCPUFlags, CPUCompareResult

    cpu = cpu_definitions(args.file)[0]
    flags = (CompareCPUFlags.FAIL_INCOMPATIBLE if args.error else 0) | (
        CompareCPUFlags.VALIDATE_XML if args.validate else 0
    )
    result = failing_as(lambda: ctx.conn.compare_cpu(cpu, int(flags)), f"Failed to compare host CPU with {args.file}")
    if result is CPUCompareResult.INCOMPATIBLE:
        ctx.print(f"CPU described in {args.file} is incompatible with host CPU")
        return 1
    if result is CPUCompareResult.IDENTICAL:
        ctx.print(f"CPU described in {args.file} is identical to host CPU")
    elif result is CPUCompareResult.SUPERSET:
        ctx.print(f"Host CPU is a superset of CPU described in {args.file}")
    else:
        raise CommandError(f"Failed to compare host CPU with {args.file}")
    return 0


def _target(word: str) -> int:
    from virt.hostcalls import SUSPEND_TARGET_NAMES

    if word not in SUSPEND_TARGET_NAMES:
        raise CommandError("Invalid target")
    return int(SUSPEND_TARGET_NAMES[word])


def run_nodesuspend(ctx: Context, args: argparse.Namespace) -> int:
    target = _target(args.target)
    if args.duration < 0:
        raise CommandError("Invalid duration")
    failing_as(lambda: ctx.conn.suspend_for_duration(target, args.duration), "The host was not suspended")
    return 0


def run_dompmsuspend(ctx: Context, args: argparse.Namespace) -> int:
    target = _target(args.target)
    domain = ctx.domain(args.domain)
    failing_as(
        lambda: domain.pm_suspend_for_duration(target, args.duration), f"Domain '{domain.name}' could not be suspended"
    )
    ctx.print(f"Domain '{domain.name}' successfully suspended")
    return 0


def run_dompmwakeup(ctx: Context, args: argparse.Namespace) -> int:
    domain = ctx.domain(args.domain)
    failing_as(domain.pm_wakeup, f"Domain '{domain.name}' could not be woken up")
    ctx.print(f"Domain '{domain.name}' successfully woken up")
    return 0


def register(commands: CommandRegistry) -> None:
    commands.add(
        "cpu-compare",
        run_cpu_compare,
        group="Host and Hypervisor",
        help="compare host CPU with a CPU described by an XML file",
        description="compare CPU with host CPU",
        arguments=[
            file_argument("file containing an XML CPU description"),
            Argument("--error", flag=True, help="report error if CPUs are incompatible"),
            Argument("--validate", flag=True, help="validate the XML document against schema"),
        ],
    )
    commands.add(
        "nodesuspend",
        run_nodesuspend,
        group="Host and Hypervisor",
        help="suspend the host node for a given time duration",
        description="Suspend the host node for a given time duration and attempt to resume thereafter.",
        arguments=[
            Argument("target", positional=True, required=True, help=_TARGETS),
            Argument("duration", positional=True, required=True, type=int, help="Suspend duration in seconds"),
        ],
    )
    commands.add(
        "dompmsuspend",
        run_dompmsuspend,
        group="Domain Management",
        help="suspend a domain gracefully using power management functions",
        description="Suspends a running domain using guest OS's power management. (Note: This requires a guest "
        "agent configured and running in the guest OS).",
        arguments=[
            domain_argument(),
            Argument("target", positional=True, required=True, help=_TARGETS),
            Argument("--duration", type=int, default=0, help="duration in seconds"),
        ],
    )
    commands.add(
        "dompmwakeup",
        run_dompmwakeup,
        group="Domain Management",
        help="wakeup a domain from pmsuspended state",
        description="Wakeup a domain that was previously suspended by power management.",
        arguments=[domain_argument()],
    )
