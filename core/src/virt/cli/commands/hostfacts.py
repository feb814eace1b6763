"""Host facts: ``maxvcpus``, ``freecell``, ``sysinfo`` and ``nodecpustats``, printed as virsh prints them."""

from __future__ import annotations

import argparse
import math
import re
import time

from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry

GROUP = "Host and Hypervisor"


def run_maxvcpus(ctx: Context, args: argparse.Namespace) -> None:
    ctx.print(str(ctx.conn.max_vcpus(args.type)))


def _int_option(text: str, option: str) -> int:
    """vshCommandOptInt's reading: a decimal int, nothing after the digits."""
    value = int(text) if re.fullmatch(r"\s*[+-]?\d+", text) else None
    if value is None or not -(2**31) <= value < 2**31:
        raise CommandError(f"Numeric value '{text}' for <{option}> option is malformed or out of range")
    return value


def _cell_ids(ctx: Context) -> list[int]:
    """The host's NUMA cells as its capabilities list them (virsh asks them there for --all)."""
    from virt.xml import Capabilities

    host = Capabilities.from_xml(ctx.conn.capabilities()).host
    topology = host.topology if host is not None else None
    if topology is None or topology.cells is None:
        return []
    return [cell.id or 0 for cell in topology.cells.cells]


def run_freecell(ctx: Context, args: argparse.Namespace) -> None:
    if args.all and args.cellno is not None:
        raise CommandError("Options --all and --cellno are mutually exclusive")
    conn = ctx.conn
    if args.all:
        free = [(cell, conn.cells_free_memory(cell, 1)[0]) for cell in _cell_ids(ctx)]
        for cell, amount in free:
            ctx.print(f"{cell:5}: {amount // 1024:10} KiB")
        ctx.print("--------------------")
        ctx.print(f"{'Total':>5}: {sum(amount for _, amount in free) // 1024:10} KiB")
    elif args.cellno is not None:
        cell = _int_option(args.cellno, "cellno")
        ctx.print(f"{cell}: {conn.cells_free_memory(cell, 1)[0] // 1024} KiB")
    else:
        ctx.print(f"Total: {conn.free_memory() // 1024} KiB")


def run_sysinfo(ctx: Context, args: argparse.Namespace) -> None:
    # the document ends with its own new line, which virsh prints as it is
    ctx.print(ctx.conn.sysinfo().rstrip("\n"))


# virsh's labels for the fields it knows, in its order; "usage" only comes with --percent
_CPU_LABELS = {"user": "user:", "kernel": "system:", "idle": "idle:", "iowait": "iowait:", "intr": "intr:"}


def _percent(part: float, total: float) -> str:
    """printf's "%5.1lf" of part / total * 100; 0 / 0 is the negative NaN x86 computes."""
    value = part / total * 100 if total else -math.nan
    if math.isnan(value):
        return f"{'-nan' if math.copysign(1, value) < 0 else 'nan':>5}"
    return f"{value:5.1f}"


def run_nodecpustats(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    cpu = -1 if args.cpu is None else _int_option(args.cpu, "cpu")
    conn = ctx.conn
    try:
        first = dict(conn.node_cpu_stats(cpu))
    except VirtError as exc:
        raise CommandError("Unable to get number of cpu stats", exc.message) from exc
    if not first:
        return
    stats = {field: value for field, value in first.items() if field in _CPU_LABELS or field == "utilization"}
    if args.percent and "utilization" not in stats:
        # virsh's second sample, a second later: the percentages are of what changed meanwhile
        time.sleep(1)
        try:
            second = dict(conn.node_cpu_stats(cpu))
        except VirtError as exc:
            raise CommandError("Unable to get node cpu stats", exc.message) from exc
        stats = {field: second.get(field, 0) - value for field, value in stats.items()}
    if not args.percent:
        for field, label in _CPU_LABELS.items():
            if field in stats:
                ctx.print(f"{label:<15} {stats[field]:20}")
        return
    if "utilization" in stats:
        ctx.print(f"{'usage:':<15} {stats['utilization']:5}%")
        ctx.print(f"{'idle:':<15} {100 - stats['utilization']:5}%")
        return
    total = float(sum(stats.get(field, 0) for field in _CPU_LABELS))
    ctx.print(f"{'usage:':<15} {_percent(stats.get('user', 0) + stats.get('kernel', 0), total)}%")
    for field, label in _CPU_LABELS.items():
        if field in stats:
            ctx.print(f"{label:<15} {_percent(stats[field], total)}%")


def register(commands: CommandRegistry) -> None:
    commands.add(
        "maxvcpus",
        run_maxvcpus,
        group=GROUP,
        help="connection vcpu maximum",
        description="Show maximum number of virtual CPUs for guests on this connection.",
        arguments=[Argument("--type", help="domain type")],
    )
    commands.add(
        "freecell",
        run_freecell,
        group=GROUP,
        help="NUMA free memory",
        description="display available free memory for the NUMA cell.",
        arguments=[
            Argument("cellno", positional=True, metavar="number", help="NUMA cell number"),
            Argument("--all", flag=True, help="show free memory for all NUMA cells"),
        ],
    )
    commands.add(
        "sysinfo",
        run_sysinfo,
        group=GROUP,
        help="print the hypervisor sysinfo",
        description="output an XML string for the hypervisor sysinfo, if available",
    )
    commands.add(
        "nodecpustats",
        run_nodecpustats,
        group=GROUP,
        help="Prints cpu stats of the node.",
        description="Returns cpu stats of the node, in nanoseconds.",
        arguments=[
            Argument("cpu", positional=True, metavar="number", help="prints specified cpu statistics only."),
            Argument("--percent", flag=True, help="prints by percentage during 1 second."),
        ],
    )
