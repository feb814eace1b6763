"""Networking: ``net-list``, ``net-dumpxml``."""

from __future__ import annotations

import argparse

from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry, complete_networks

GROUP = "Networking"


def either(yes: bool, no: bool) -> bool | None:
    """A filter from a pair of opposite flags: None when neither or both are given."""
    return yes if yes != no else None


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def run_net_list(ctx: Context, args: argparse.Namespace) -> None:
    if sum((args.table, args.name, args.uuid)) > 1:
        raise CommandError("Only one argument from --table, --name and --uuid may be specified.")
    active = None if args.all else not args.inactive
    networks = ctx.conn.list_networks(
        active=active,
        persistent=either(args.persistent, args.transient),
        autostart=either(args.autostart, args.no_autostart),
    )
    networks.sort(key=lambda n: n.name.lower())
    if args.name or args.uuid:
        for network in networks:
            ctx.print(network.name if args.name else str(network.uuid))
        return
    facts = [(n, n.is_active(), n.autostart, n.is_persistent()) for n in networks]
    if args.json:
        ctx.json(
            [
                {
                    "name": n.name,
                    "uuid": str(n.uuid),
                    "state": "active" if a else "inactive",
                    "autostart": s,
                    "persistent": p,
                }
                for n, a, s, p in facts
            ]
        )
        return
    rows = [[n.name, "active" if a else "inactive", yes_no(s), yes_no(p)] for n, a, s, p in facts]
    ctx.table(["Name", "State", "Autostart", "Persistent"], rows)


def run_net_dumpxml(ctx: Context, args: argparse.Namespace) -> None:
    from virt.cli.commands.host import print_xml

    print_xml(ctx, ctx.network(args.network).xml(inactive=args.inactive))


def register(commands: CommandRegistry) -> None:
    flags = [
        ("--inactive", "list inactive networks"),
        ("--all", "list inactive & active networks"),
        ("--persistent", "list persistent networks"),
        ("--transient", "list transient networks"),
        ("--autostart", "list networks with autostart enabled"),
        ("--no-autostart", "list networks with autostart disabled"),
        ("--uuid", "list uuid's only"),
        ("--name", "list network names only"),
        ("--table", "list table (default)"),
    ]
    commands.add(
        "net-list",
        run_net_list,
        group=GROUP,
        help="list networks",
        description="Returns list of networks.",
        arguments=[Argument(name, flag=True, help=help) for name, help in flags],
        json=True,
    )
    commands.add(
        "net-dumpxml",
        run_net_dumpxml,
        group=GROUP,
        help="network information in XML",
        description="Output the network information as an XML dump to stdout.",
        arguments=[
            Argument(
                "network", positional=True, required=True, completer=complete_networks, help="network name or uuid"
            ),
            Argument("--inactive", flag=True, help="show inactive defined XML"),
        ],
    )
