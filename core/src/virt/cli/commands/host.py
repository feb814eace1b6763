"""Host and Hypervisor: ``uri``, ``version``, ``hostname``, ``nodeinfo``, ``capabilities``."""

from __future__ import annotations

import argparse

from virt.cli.context import Context
from virt.cli.registry import Argument, CommandRegistry

GROUP = "Host and Hypervisor"


def print_xml(ctx: Context, xml: str) -> None:
    """XML text as virsh prints it: ending with exactly one new line."""
    ctx.print(xml.rstrip("\n"))


def run_uri(ctx: Context, args: argparse.Namespace) -> None:
    ctx.print(str(ctx.conn.uri))


def run_hostname(ctx: Context, args: argparse.Namespace) -> None:
    ctx.print(ctx.conn.hostname())


def _version_text(number: int) -> str:
    return f"{number // 1_000_000}.{number // 1000 % 1000}.{number % 1000}"


def run_version(ctx: Context, args: argparse.Namespace) -> None:
    import virt

    conn = ctx.conn
    name = conn.driver_name
    ctx.print(f"Compiled against library: virt {virt.__version__}")
    ctx.print(f"Using library: virt {virt.__version__}")
    ctx.print(f"Using API: {name} {virt.__version__}")
    ctx.print(f"Running hypervisor: {name} {_version_text(conn.version())}")


def run_nodeinfo(ctx: Context, args: argparse.Namespace) -> None:
    info = ctx.conn.node_info()
    if args.json:
        import attrs

        ctx.json(attrs.asdict(info))
        return
    for label, value in (
        ("CPU model:", info.model),
        ("CPU(s):", info.cpus),
        ("CPU frequency:", f"{info.mhz} MHz"),
        ("CPU socket(s):", info.sockets),
        ("Core(s) per socket:", info.cores),
        ("Thread(s) per core:", info.threads),
        ("NUMA cell(s):", info.nodes),
        ("Memory size:", f"{info.memory_kib} KiB"),
    ):
        ctx.print(f"{label:<20} {value}")


def run_capabilities(ctx: Context, args: argparse.Namespace) -> None:
    # virsh prints the capabilities with a new line of its own after the document's last one.
    ctx.print(ctx.conn.capabilities())


def run_domcapabilities(ctx: Context, args: argparse.Namespace) -> None:
    caps = ctx.conn.domain_capabilities(
        emulator=args.emulatorbin, arch=args.arch, machine=args.machine, virt_type=args.virttype
    )
    ctx.print(caps.rstrip("\n"))


def register(commands: CommandRegistry) -> None:
    commands.add(
        "uri",
        run_uri,
        group=GROUP,
        help="print the hypervisor canonical URI",
    )
    commands.add(
        "version",
        run_version,
        group=GROUP,
        help="show version",
        description="Display the system version information.",
    )
    commands.add(
        "hostname",
        run_hostname,
        group=GROUP,
        help="print the hypervisor hostname",
    )
    commands.add(
        "nodeinfo",
        run_nodeinfo,
        group=GROUP,
        help="node information",
        description="Returns basic information about the node.",
        json=True,
    )
    commands.add(
        "capabilities",
        run_capabilities,
        group=GROUP,
        help="capabilities",
        description="Returns capabilities of hypervisor/driver.",
    )
    commands.add(
        "domcapabilities",
        run_domcapabilities,
        group=GROUP,
        help="domain capabilities",
        description="Returns capabilities of emulator with respect to host and libvirt.",
        arguments=[
            Argument("--virttype", help="virtualization type (/domain/@type)"),
            Argument("--emulatorbin", help="path to emulator binary (/domain/devices/emulator)"),
            Argument("--arch", help="domain architecture (/domain/os/type/@arch)"),
            Argument("--machine", help="machine type (/domain/os/type/@machine)"),
        ],
    )
