"""Networking: ``net-list``, ``net-info``, ``net-dumpxml``, ``net-define``, ``net-create``,
``net-start``, ``net-destroy``, ``net-undefine``, ``net-autostart``, ``net-uuid``, ``net-name``,
``net-update``, ``net-dhcp-leases``, with virsh's options, output and messages."""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from virt.cli.commands.domain import file_argument, read_file
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry, complete_networks

if TYPE_CHECKING:
    from virt.connection import Network
    from virt.info import NetworkDHCPLease
    from virt.networkevents import NetworkEvent

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


def failed(failure: str, action: Callable[[], None]) -> None:
    """Run ``action``; a VirtError becomes ``failure`` with its message."""
    from virt.errors import VirtError

    try:
        action()
    except VirtError as exc:
        raise CommandError(failure, exc.message) from exc


def _from_file(ctx: Context, args: argparse.Namespace, verb: str, done: str) -> None:
    """``net-define`` / ``net-create``: the network in ``args.file``, with virsh's messages."""
    from virt.errors import VirtError

    xml = read_file(args.file)
    make = ctx.conn.define_network if verb == "define" else ctx.conn.create_network
    try:
        network = make(xml, validate=args.validate)
    except VirtError as exc:
        raise CommandError(f"Failed to {verb} network from {args.file}", exc.message) from exc
    ctx.print_extra(f"Network {network.name} {done} from {args.file}")


def run_net_define(ctx: Context, args: argparse.Namespace) -> None:
    _from_file(ctx, args, "define", "defined")


def run_net_create(ctx: Context, args: argparse.Namespace) -> None:
    _from_file(ctx, args, "create", "created")


def _change(ctx: Context, args: argparse.Namespace, verb: str, done: str) -> None:
    """``net-start``, ``net-destroy``, ``net-undefine``: the network's ``verb``, with virsh's messages."""
    network = ctx.network(args.network)
    action = {"start": network.start, "destroy": network.destroy, "undefine": network.undefine}[verb]
    failed(f"Failed to {verb} network {network.name}", action)
    ctx.print_extra(f"Network {network.name} {done}")


def run_net_start(ctx: Context, args: argparse.Namespace) -> None:
    _change(ctx, args, "start", "started")


def run_net_destroy(ctx: Context, args: argparse.Namespace) -> None:
    _change(ctx, args, "destroy", "destroyed")


def run_net_undefine(ctx: Context, args: argparse.Namespace) -> None:
    _change(ctx, args, "undefine", "has been undefined")


def run_net_autostart(ctx: Context, args: argparse.Namespace) -> None:
    network = ctx.network(args.network)
    verb = "unmark" if args.disable else "mark"
    failed(f"failed to {verb} network {network.name} as autostarted", lambda: network.set_autostart(not args.disable))
    ctx.print_extra(f"Network {network.name} {verb}ed as autostarted")


def run_net_info(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    network = ctx.network(args.network)
    lines = [("Name:", network.name), ("UUID:", str(network.uuid))]
    lines.append(("Active:", yes_no(network.is_active())))
    lines.append(("Persistent:", yes_no(network.is_persistent())))
    lines.append(("Autostart:", yes_no(network.autostart)))
    with contextlib.suppress(VirtError):  # virsh leaves the line out for a network without a bridge
        lines.append(("Bridge:", network.bridge_name))
    for label, value in lines:
        ctx.print(f"{label:<15} {value}")


def run_net_uuid(ctx: Context, args: argparse.Namespace) -> None:
    ctx.print(str(ctx.network(args.network).uuid))


def run_net_name(ctx: Context, args: argparse.Namespace) -> None:
    import uuid

    from virt.errors import NotFound

    failure = f"failed to get network '{args.network}'"
    try:
        key = uuid.UUID(args.network)
    except ValueError as exc:
        raise CommandError(failure) from exc
    try:
        network = ctx.conn.lookup_network_by_uuid(key)
    except NotFound as exc:
        raise CommandError(failure, exc.message) from exc
    ctx.print(network.name)


UPDATE_COMMANDS = {"modify": 1, "delete": 2, "add-last": 3, "add": 3, "add-first": 4}
UPDATE_SECTIONS = {
    name: number
    for number, name in enumerate(
        [
            "bridge", "domain", "ip", "ip-dhcp-host", "ip-dhcp-range", "forward", "forward-interface", "forward-pf",
            "portgroup", "dns-host", "dns-txt", "dns-srv",
        ],
        start=1,
    )
}  # fmt: skip
_LIVE, _CONFIG = 1, 2


def run_net_update(ctx: Context, args: argparse.Namespace) -> None:
    network = ctx.network(args.network)
    command = UPDATE_COMMANDS.get(args.command)
    if command is None:
        raise CommandError(f"unrecognized command name '{args.command}'")
    section = UPDATE_SECTIONS.get(args.section)
    if section is None:
        raise CommandError(f"unrecognized section name '{args.section}'")
    if args.current and (args.live or args.config):
        raise CommandError("Options --current and --live are mutually exclusive" if args.live else
                           "Options --current and --config are mutually exclusive")  # fmt: skip
    xml = args.xml if args.xml.lstrip().startswith("<") else read_file(args.xml)
    flags = (_LIVE if args.live else 0) | (_CONFIG if args.config else 0)
    failed(
        f"Failed to update network {network.name}",
        lambda: network.update(command, section, xml, parent_index=args.parent_index, flags=flags),
    )
    if args.config:
        what = "persistent config and live state" if args.live else "persistent config"
    elif args.live or network.is_active():
        what = "live state"
    else:
        what = "persistent config"
    ctx.print_extra(f"Updated network {network.name} {what}")
    ctx.trailer = False  # virsh ends net-update without its usual blank line


def run_net_dhcp_leases(ctx: Context, args: argparse.Namespace) -> None:
    network: Network = ctx.network(args.network)
    leases: list[NetworkDHCPLease] = []

    def fetch() -> None:
        leases.extend(network.dhcp_leases(args.mac))

    failed(f"Failed to get leases info for {network.name}", fetch)
    leases.sort(key=lambda lease: (lease.mac or "", lease.ipaddr))
    rows = [
        [
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(lease.expiry_time)),
            lease.mac or "-",
            "ipv6" if lease.type == 1 else "ipv4",
            f"{lease.ipaddr}/{lease.prefix}",
            lease.hostname or "-",
            lease.clientid or "-",
        ]
        for lease in leases
    ]
    ctx.table(["Expiry Time", "MAC address", "Protocol", "IP address", "Hostname", "Client ID or DUID"], rows)


def run_net_event(ctx: Context, args: argparse.Namespace) -> int:
    import queue

    from virt.cli.commands.events import listen, timeout_of, timestamp_text

    if args.list:
        ctx.print("lifecycle")
        return 0
    if args.event is None:
        raise CommandError("either --list or --event <type> is required")
    if args.event != "lifecycle":
        raise CommandError(f"unknown event type {args.event}")
    timeout = timeout_of(args.timeout)
    network = ctx.network(args.network) if args.network is not None else None
    lines: queue.SimpleQueue[str] = queue.SimpleQueue()

    def on_event(net: Network, event: NetworkEvent) -> None:
        line = f"event 'lifecycle' for network {net.name}: {event.type.label}"
        lines.put(f"{timestamp_text(time.time())}: {line}" if args.timestamp else line)

    handle = ctx.conn.add_network_event_callback(on_event, network)
    try:
        count = listen(ctx, lines, loop=args.loop, timeout=timeout)
    finally:
        if ctx.connected:
            ctx.conn.remove_network_event_callback(handle)
    ctx.print(f"events received: {count}")
    return 0 if count else 1  # virsh fails, silently, when nothing came


def _network_argument(help: str = "network name or uuid") -> Argument:
    return Argument("network", positional=True, required=True, completer=complete_networks, help=help)


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

    by_key = "network name or uuid"
    simple = [
        ("net-start", run_net_start, "start a (previously defined) inactive network", "Start a network.", by_key),
        ("net-destroy", run_net_destroy, "destroy (stop) a network", "Forcefully stop a given network.", by_key),
        ("net-undefine", run_net_undefine, "undefine a persistent network",
         "Undefine the configuration for a persistent network.", by_key),
        ("net-info", run_net_info, "network information", "Returns basic information about the network", by_key),
        ("net-uuid", run_net_uuid, "convert a network name to network UUID",
         "Convert a network name to network UUID.", "network name"),
    ]  # fmt: skip
    for name, run, help, description, argument_help in simple:
        commands.add(
            name, run, group=GROUP, help=help, description=description, arguments=[_network_argument(argument_help)]
        )
    commands.add(
        "net-name",
        run_net_name,
        group=GROUP,
        help="convert a network UUID to network name",
        description="Convert a network UUID to network name",
        arguments=[Argument("network", positional=True, required=True, help="network uuid")],
    )
    commands.add(
        "net-define",
        run_net_define,
        group=GROUP,
        help="define an inactive persistent virtual network or modify an existing persistent one from an XML file",
        description="Define or modify a persistent virtual network.",
        arguments=[
            file_argument("file containing an XML network description"),
            Argument("--validate", flag=True, help="validate the XML against the schema"),
        ],
    )
    commands.add(
        "net-create",
        run_net_create,
        group=GROUP,
        help="create a network from an XML file",
        description="Create a network.",
        arguments=[
            file_argument("file containing an XML network description"),
            Argument("--validate", flag=True, help="validate the XML against the schema"),
        ],
    )
    commands.add(
        "net-autostart",
        run_net_autostart,
        group=GROUP,
        help="autostart a network",
        description="Configure a network to be automatically started at boot.",
        arguments=[_network_argument(), Argument("--disable", flag=True, help="disable autostarting")],
    )
    commands.add(
        "net-update",
        run_net_update,
        group=GROUP,
        help="update parts of an existing network's configuration",
        description="Update part of an existing network's configuration.",
        arguments=[
            _network_argument(),
            Argument("command", positional=True, required=True,
                     help="type of update (add-first, add-last (add), delete, or modify)"),
            Argument("section", positional=True, required=True,
                     help="which section of network configuration to update"),
            Argument("xml", positional=True, required=True,
                     help="name of file containing xml (or, if it starts with '<', the complete text of the xml "
                          "element) to add/modify, or to be matched for search"),
            Argument("--parent-index", type=int, default=-1,
                     help="which parent object to search through"),
            Argument("--config", flag=True, help="affect next network startup"),
            Argument("--live", flag=True, help="affect running network"),
            Argument("--current", flag=True, help="affect current state of network"),
        ],
    )  # fmt: skip
    commands.add(
        "net-dhcp-leases",
        run_net_dhcp_leases,
        group=GROUP,
        help="print lease info for a given network",
        description="Print lease info for a given network",
        arguments=[_network_argument("network name."), Argument("--mac", help="MAC address")],
    )
    commands.add(
        "net-event",
        run_net_event,
        group=GROUP,
        help="Network Events",
        description="List event types, or wait for network events to occur",
        arguments=[
            Argument("--network", completer=complete_networks, help="filter by network name or uuid"),
            Argument("--event", help="which event type to wait for"),
            Argument("--loop", flag=True, help="loop until timeout or interrupt, rather than one-shot"),
            Argument("--timeout", metavar="number", help="timeout seconds"),
            Argument("--list", flag=True, help="list valid event types"),
            Argument("--timestamp", flag=True, help="show timestamp for each printed event"),
        ],
    )
