"""Host facts: ``maxvcpus``, ``freecell``, ``freepages``, ``sysinfo``, ``nodecpustats``, ``nodememstats``,
``node-memory-tune`` and ``cpu-models``, printed as virsh prints them."""

from __future__ import annotations

import argparse
import math
import re
import time

from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry
from virt.cli.sizes import SUFFIXES

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


_SCALE = {"": 1024, **SUFFIXES}
"""virsh's scaled integers: the suffix's multiplier, KiB when there is none."""


def _page_kib(text: str) -> int:
    """--pagesize as vshCommandOptScaledInt reads it (bytes, at most UINT_MAX), rounded up to KiB."""
    match = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]*)\s*", text)
    scale = _SCALE.get(match.group(2).lower()) if match else None
    if match is None or scale is None or int(match.group(1)) * scale > 2**32 - 1:
        raise CommandError(f"Scaled numeric value '{text}' for <pagesize> option is malformed or out of range")
    return -(-int(match.group(1)) * scale // 1024)


def _page_sizes(ctx: Context) -> list[int]:
    """The host's page sizes (KiB): its processor's, else those of its cells, without repeats."""
    from virt.xml import Capabilities

    host = Capabilities.from_xml(ctx.conn.capabilities()).host
    sizes = [page.size for page in host.cpu.pages] if host is not None and host.cpu is not None else []
    if not sizes and host is not None and host.topology is not None and host.topology.cells is not None:
        sizes = [page.size for cell in host.topology.cells.cells for page in cell.pages]
    if not sizes:
        raise CommandError("could not get information about supported page sizes")
    return sorted({int(size or 0) for size in sizes})


def run_freepages(ctx: Context, args: argparse.Namespace) -> None:
    if args.all and args.cellno is not None:
        raise CommandError("Options --all and --cellno are mutually exclusive")
    kib = _page_kib(args.pagesize) if args.pagesize is not None else None
    conn = ctx.conn
    if args.all:
        sizes = [kib] if kib is not None else _page_sizes(ctx)
        for cell in _cell_ids(ctx):
            # virsh 9.0 prints the counts the call filled, whatever number it returned
            counts = conn.free_pages(sizes, cell, 1).counts
            ctx.print(f"Node {cell}:")
            for size, count in zip(sizes, counts, strict=False):
                ctx.print(f"{size}KiB: {count}")
            ctx.print("")
        return
    if args.cellno is None:
        raise CommandError("missing cellno argument")
    cell = _int_option(args.cellno, "cellno")
    if cell < -1:
        raise CommandError("cell number must be non-negative integer or -1")
    if kib is None:
        raise CommandError("missing pagesize argument")
    ctx.print(f"{kib}KiB: {conn.free_pages([kib], cell, 1).counts[0]}")


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


def run_nodememstats(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    cell = -1 if args.cell is None else _int_option(args.cell, "cell")
    try:
        stats = ctx.conn.node_memory_stats(cell)
    except VirtError as exc:
        raise CommandError("Unable to get number of memory stats", exc.message) from exc
    for field, value in stats:
        ctx.print(f"{field:<7}: {value:20} KiB")


_MEMORY_TUNABLES = ("shm_pages_to_scan", "shm_sleep_millisecs", "shm_merge_across_nodes")


def _uint_option(text: str, option: str) -> int:
    """vshCommandOptUInt: a decimal unsigned int (leading blanks allowed, no sign but +)."""
    value = int(text) if re.fullmatch(r"\s*\+?\d+", text) else None
    if value is None or value >= 2**32:
        raise CommandError(f"Numeric value '{text}' for <{option}> option is malformed or out of range")
    return value


def run_node_memory_tune(ctx: Context, args: argparse.Namespace) -> None:
    from virt.domainstats import ParamType, TypedParameter
    from virt.errors import VirtError

    changes = []
    for field in _MEMORY_TUNABLES:
        text = getattr(args, field)
        if text is not None:
            value = _uint_option(text, field.replace("_", "-"))
            changes.append(TypedParameter(field, ParamType.UINT, value))
    if changes:
        try:
            ctx.conn.set_node_memory_parameters(changes)
        except VirtError as exc:
            raise CommandError("Unable to change memory parameters", exc.message) from exc
        return
    try:
        params = ctx.conn.node_memory_parameters()
    except VirtError as exc:
        raise CommandError("Unable to get number of memory parameters", exc.message) from exc
    ctx.print("Shared memory:")
    for param in params:
        ctx.print(f"\t{param.field:<15} {param.text()}")


def run_cpu_models(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    try:
        models = ctx.conn.cpu_model_names(args.arch)
    except VirtError as exc:
        raise CommandError("failed to get CPU model names", exc.message) from exc
    if not models:
        ctx.print("all CPU models are accepted")
    for model in models:
        ctx.print(model)


def run_find_storage_pool_sources(ctx: Context, args: argparse.Namespace) -> None:
    from virt.cli.commands.domain import read_file
    from virt.errors import VirtError

    spec = read_file(args.srcSpec) if args.srcSpec is not None else None
    try:
        found = ctx.conn.find_storage_pool_sources(args.type, spec)
    except VirtError as exc:
        raise CommandError(f"Failed to find any {args.type} pool sources", exc.message) from exc
    # the document ends with its own new line, which virsh prints as it is
    ctx.print(found.rstrip("\n"))


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
        "freepages",
        run_freepages,
        group=GROUP,
        help="NUMA free pages",
        description="display available free pages for the NUMA cell.",
        arguments=[
            Argument("cellno", positional=True, metavar="number", help="NUMA cell number"),
            Argument("pagesize", positional=True, metavar="number", help="page size (in kibibytes)"),
            Argument("--all", flag=True, help="show free pages for all NUMA cells"),
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
    commands.add(
        "nodememstats",
        run_nodememstats,
        group=GROUP,
        help="Prints memory stats of the node.",
        description="Returns memory stats of the node, in kilobytes.",
        arguments=[Argument("cell", positional=True, metavar="number", help="prints specified cell statistics only.")],
    )
    commands.add(
        "node-memory-tune",
        run_node_memory_tune,
        group=GROUP,
        help="Get or set node memory parameters",
        description="Get or set node memory parameters\n"
        "    To get the memory parameters, use following command: \n\n"
        "    virsh # node-memory-tune",
        arguments=[
            Argument(
                "--shm-pages-to-scan",
                metavar="number",
                help="number of pages to scan before the shared memory service goes to sleep",
            ),
            Argument(
                "--shm-sleep-millisecs",
                metavar="number",
                help="number of millisecs the shared memory service should sleep before next scan",
            ),
            Argument(
                "--shm-merge-across-nodes",
                metavar="number",
                help="Specifies if pages from different numa nodes can be merged",
            ),
        ],
    )
    commands.add(
        "cpu-models",
        run_cpu_models,
        group=GROUP,
        help="CPU models",
        description="Get the CPU models for an arch.",
        arguments=[Argument("arch", positional=True, required=True, help="architecture")],
    )
    commands.add(
        "find-storage-pool-sources",
        run_find_storage_pool_sources,
        group="Storage Pool",
        help="discover potential storage pool sources",
        description="Returns XML <sources> document.",
        arguments=[
            Argument("type", positional=True, required=True, help="type of storage pool sources to discover"),
            Argument("--srcSpec", help="optional file of source xml to query for pools"),
        ],
    )
