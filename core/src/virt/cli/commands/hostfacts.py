"""Host facts: ``maxvcpus``, ``freecell`` and ``sysinfo``, printed as virsh prints them."""

from __future__ import annotations

import argparse
import re

from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry

GROUP = "Host and Hypervisor"


def run_maxvcpus(ctx: Context, args: argparse.Namespace) -> None:
    ctx.print(str(ctx.conn.max_vcpus(args.type)))


def _cell_number(text: str) -> int:
    """vshCommandOptInt's reading of --cellno: a decimal int, nothing after the digits."""
    value = int(text) if re.fullmatch(r"\s*[+-]?\d+", text) else None
    if value is None or not -(2**31) <= value < 2**31:
        raise CommandError(f"Numeric value '{text}' for <cellno> option is malformed or out of range")
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
        cell = _cell_number(args.cellno)
        ctx.print(f"{cell}: {conn.cells_free_memory(cell, 1)[0] // 1024} KiB")
    else:
        ctx.print(f"Total: {conn.free_memory() // 1024} KiB")


def run_sysinfo(ctx: Context, args: argparse.Namespace) -> None:
    # the document ends with its own new line, which virsh prints as it is
    ctx.print(ctx.conn.sysinfo().rstrip("\n"))


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
