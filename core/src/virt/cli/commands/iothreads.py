"""The IOThread commands, with virsh's options, words and layout: iothreadinfo, iothreadpin,
iothreadadd, iothreaddel and iothreadset."""

from __future__ import annotations

import argparse
import re
from typing import TypeVar

from virt.cli.commands.domain import domain_argument
from virt.cli.commands.stats import host_cpu_count
from virt.cli.commands.tuning import impact_arguments, impact_of, parse_cpulist
from virt.cli.context import CommandError, Context, failing_as
from virt.cli.registry import Argument, CommandRegistry
from virt.xml.convert import CPUSET

GROUP = "Domain Management"
T = TypeVar("T")
_NUMBER = re.compile(r"\s*[+-]?\d+")
# virsh's option -> the parameter, and the range vshCommandOpt{ULongLong,UInt,Int} reads it in
_SETTINGS = {
    "poll-max-ns": ("poll_max_ns", 0, 2**64 - 1),
    "poll-grow": ("poll_grow", 0, 2**32 - 1),
    "poll-shrink": ("poll_shrink", 0, 2**32 - 1),
    "thread-pool-min": ("thread_pool_min", -(2**31), 2**31 - 1),
    "thread-pool-max": ("thread_pool_max", -(2**31), 2**31 - 1),
}


def _number(text: str, option: str, low: int, high: int) -> int:
    value = int(text) if _NUMBER.fullmatch(text) else None
    # an unsigned option takes no sign but +, as strtoull's callers in virsh refuse a minus
    if value is None or not low <= value <= high or (low == 0 and text.strip().startswith("-")):
        raise CommandError(f"Numeric value '{text}' for <{option}> option is malformed or out of range")
    return value


def _iothread_id(text: str, option: str) -> int:
    value = _number(text, option, -(2**31), 2**31 - 1)
    if value <= 0:
        raise CommandError(f"Invalid IOThread id value: '{value}'")
    return value


def run_iothreadinfo(ctx: Context, args: argparse.Namespace) -> None:
    flags = int(impact_of(args))
    domain = ctx.domain(args.domain)
    found = failing_as(lambda: domain.iothread_info(flags), "Unable to get domain IOThreads information")
    if not found:
        ctx.print_extra("No IOThreads found for the domain", end="")  # virsh ends it with its blank line
        return
    ctx.table(["IOThread ID", "CPU Affinity"], [[str(one.iothread_id), CPUSET.format(one.cpus)] for one in found])


def run_iothreadpin(ctx: Context, args: argparse.Namespace) -> None:
    flags = int(impact_of(args))
    iothread = _number(args.iothread, "iothread", 0, 2**32 - 1)
    domain = ctx.domain(args.domain)
    cpus = parse_cpulist(args.cpulist, host_cpu_count(ctx))
    failing_as(lambda: domain.pin_iothread(iothread, cpus, flags))


def run_iothreadadd(ctx: Context, args: argparse.Namespace) -> None:
    flags = int(impact_of(args))
    iothread = _iothread_id(args.id, "id")
    domain = ctx.domain(args.domain)
    failing_as(lambda: domain.add_iothread(iothread, flags))


def run_iothreaddel(ctx: Context, args: argparse.Namespace) -> None:
    flags = int(impact_of(args))
    iothread = _iothread_id(args.id, "id")
    domain = ctx.domain(args.domain)
    failing_as(lambda: domain.del_iothread(iothread, flags))


def run_iothreadset(ctx: Context, args: argparse.Namespace) -> None:
    from virt.domainstats import TypedParameter
    from virt.iothreads import PARAMETERS

    flags = int(impact_of(args))
    iothread = _iothread_id(args.id, "id")
    domain = ctx.domain(args.domain)
    params = []
    for option, (field, low, high) in _SETTINGS.items():
        text = getattr(args, option.replace("-", "_"))
        if text is not None:
            params.append(TypedParameter(field, PARAMETERS[field], _number(text, option, low, high)))
    if not params:
        raise CommandError("Not enough arguments passed, nothing to set")
    failing_as(lambda: domain.set_iothread_params(iothread, params, flags))


def register(commands: CommandRegistry) -> None:
    domain = domain_argument()
    commands.add(
        "iothreadinfo",
        run_iothreadinfo,
        group=GROUP,
        help="view domain IOThreads",
        description="Returns basic information about the domain IOThreads.",
        arguments=[domain, *impact_arguments()],
    )
    commands.add(
        "iothreadpin",
        run_iothreadpin,
        group=GROUP,
        help="control domain IOThread affinity",
        description="Pin domain IOThreads to host physical CPUs.",
        arguments=[
            domain,
            Argument("iothread", positional=True, required=True, metavar="number", help="IOThread ID number"),
            Argument("cpulist", positional=True, required=True, help="host cpu number(s) to set"),
            *impact_arguments(),
        ],
    )
    commands.add(
        "iothreadadd",
        run_iothreadadd,
        group=GROUP,
        help="add an IOThread to the guest domain",
        description="Add an IOThread to the guest domain.",
        arguments=[
            domain,
            Argument("id", positional=True, required=True, metavar="number", help="iothread for the new IOThread"),
            *impact_arguments(),
        ],
    )
    commands.add(
        "iothreaddel",
        run_iothreaddel,
        group=GROUP,
        help="delete an IOThread from the guest domain",
        description="Delete an IOThread from the guest domain.",
        arguments=[
            domain,
            Argument(
                "id", positional=True, required=True, metavar="number", help="iothread_id for the IOThread to delete"
            ),
            *impact_arguments(),
        ],
    )
    commands.add(
        "iothreadset",
        run_iothreadset,
        group=GROUP,
        help="modifies an existing IOThread of the guest domain",
        description="Modifies an existing IOThread of the guest domain.",
        arguments=[
            domain,
            Argument("id", positional=True, required=True, metavar="number", help="iothread id of existing IOThread"),
            Argument("--poll-max-ns", metavar="number", help="set the maximum IOThread polling time in ns"),
            Argument("--poll-grow", metavar="number", help="set the value to increase the IOThread polling time"),
            Argument(
                "--poll-shrink", metavar="number", help="set the value for reduction of the IOThread polling time"
            ),
            Argument("--thread-pool-min", metavar="number", help="lower boundary for worker thread pool"),
            Argument("--thread-pool-max", metavar="number", help="upper boundary for worker thread pool"),
            *impact_arguments(),
        ],
    )
