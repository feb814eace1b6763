"""Network ports: ``net-port-list``, ``net-port-create``, ``net-port-dumpxml``, ``net-port-delete``,
with virsh's options, output and messages (virsh-network.c).

virsh 9.0's net-port-dumpxml and net-port-delete report a network or port they cannot find but
still exit 0 (their result starts true); the same is done here, byte for byte.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from virt.cli.commands.domain import file_argument, read_file
from virt.cli.commands.network import _network_argument
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry
from virt.errors import VirtError

if TYPE_CHECKING:
    from virt.connection import Network
    from virt.networkports import NetworkPort

GROUP = "Networking"


class _Reported(Exception):
    """A lookup virsh reports on stderr while the command still succeeds."""


def _lookup(ctx: Context, args: argparse.Namespace) -> tuple[Network, NetworkPort]:
    from virt import networkports

    try:
        network = ctx.conn.lookup_network(args.network)
    except VirtError as exc:
        ctx.stderr.write(f"error: failed to get network '{args.network}'\n")
        raise _Reported from exc
    try:
        return network, networkports.lookup(network, args.port)
    except VirtError as exc:
        ctx.stderr.write(f"error: failed to get network port '{args.port}'\n")
        raise _Reported from exc


def run_net_port_list(ctx: Context, args: argparse.Namespace) -> None:
    from virt import networkports

    network = ctx.network(args.network)
    try:
        ports = networkports.ports(network)
    except VirtError as exc:
        raise CommandError(exc.message) from exc
    keys = sorted(str(p.uuid) for p in ports)
    if args.uuid:
        for key in keys:
            ctx.print(key)
        return
    ctx.table(["UUID"], [[key] for key in keys])


def run_net_port_create(ctx: Context, args: argparse.Namespace) -> None:
    from virt import networkports

    network = ctx.network(args.network)
    xml = read_file(args.file)
    flags = networkports.CreateFlags(0)
    if args.validate:
        flags |= networkports.CreateFlags.VALIDATE
    try:
        port = networkports.create(network, xml, flags)
    except VirtError as exc:
        # virsh's words, "network" and all
        raise CommandError(f"Failed to create network from {args.file}", exc.message) from exc
    ctx.print_extra(f"Network port {port.uuid} created from {args.file}")


def run_net_port_dumpxml(ctx: Context, args: argparse.Namespace) -> int:
    from virt.cli.commands.saving import print_selected_xml

    try:
        _, port = _lookup(ctx, args)
    except _Reported:
        return 0
    try:
        xml = port.xml()
    except VirtError as exc:
        raise CommandError(exc.message) from exc
    print_selected_xml(ctx, xml, args.xpath, args.wrap)
    return 0


def run_net_port_delete(ctx: Context, args: argparse.Namespace) -> int:
    try:
        _, port = _lookup(ctx, args)
    except _Reported:
        return 0
    try:
        port.delete()
    except VirtError as exc:
        raise CommandError(f"Failed to delete network port {args.port}", exc.message) from exc
    ctx.print_extra(f"Network port {args.port} deleted")
    return 0


def register(commands: CommandRegistry) -> None:
    port = Argument("port", positional=True, required=True, help="port UUID")
    commands.add(
        "net-port-list",
        run_net_port_list,
        group=GROUP,
        help="list network ports",
        description="Returns list of network ports.",
        arguments=[
            _network_argument(),
            Argument("--uuid", flag=True, help="list uuid's only"),
            Argument("--table", flag=True, help="list table (default)"),
        ],
    )
    commands.add(
        "net-port-create",
        run_net_port_create,
        group=GROUP,
        help="create a network port from an XML file",
        description="Create a network port.",
        arguments=[
            _network_argument(),
            file_argument("file containing an XML network port description"),
            Argument("--validate", flag=True, help="validate the XML against the schema"),
        ],
    )
    commands.add(
        "net-port-dumpxml",
        run_net_port_dumpxml,
        group=GROUP,
        help="network port information in XML",
        description="Output the network port information as an XML dump to stdout.",
        arguments=[
            _network_argument(),
            port,
            Argument("--xpath", metavar="string", help="xpath expression to filter the XML document"),
            Argument("--wrap", flag=True, help="wrap xpath results in an common root element"),
        ],
    )
    commands.add(
        "net-port-delete",
        run_net_port_delete,
        group=GROUP,
        help="delete the specified network port",
        description="Delete the specified network port.",
        arguments=[_network_argument(), port],
    )
