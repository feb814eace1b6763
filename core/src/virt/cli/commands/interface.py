"""Host interfaces: ``iface-list``, ``iface-dumpxml``, ``iface-name``, ``iface-mac``, ``iface-define``,
``iface-undefine``, ``iface-start``, ``iface-destroy``, ``iface-begin``, ``iface-commit``,
``iface-rollback``, with virsh's options, output and messages (virsh-interface.c)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from virt.cli.commands.domain import file_argument, read_file
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry

if TYPE_CHECKING:
    from virt.interfaces import Interface

GROUP = "Interface"

# virMacAddrParse: six groups of one or two hex digits; anything from a blank or control character on
# after the sixth is ignored
_MAC = re.compile(r"[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}(?=[\x00-\x20]|$)")


def looks_like_mac(text: str) -> bool:
    return _MAC.match(text) is not None


def _interface(ctx: Context, key: str, *, by_name: bool = True, by_mac: bool = True) -> Interface:
    """virshCommandOptInterfaceBy: a MAC-looking key is looked up by MAC, any other by name; a key of
    the kind the command does not take fails without a lookup."""
    from virt.errors import VirtError

    is_mac = looks_like_mac(key)
    failure = f"failed to get interface '{key}'"
    try:
        if not is_mac and by_name:
            return ctx.conn.lookup_interface_by_name(key)
        if is_mac and by_mac:
            return ctx.conn.lookup_interface_by_mac(key)
    except VirtError as exc:
        raise CommandError(failure, exc.message) from exc
    raise CommandError(failure)


def _failed(failure: str, action: Callable[[], None]) -> None:
    from virt.errors import VirtError

    try:
        action()
    except VirtError as exc:
        raise CommandError(failure, exc.message) from exc


def run_iface_list(ctx: Context, args: argparse.Namespace) -> None:
    if args.all and args.inactive:
        raise CommandError("Options --all and --inactive are mutually exclusive")
    active = None if args.all else not args.inactive
    found = sorted(ctx.conn.list_interfaces(active=active), key=lambda i: i.name.lower())
    rows = [[i.name, "active" if i.is_active() else "inactive", i.mac] for i in found]
    ctx.table(["Name", "State", "MAC Address"], rows)


def run_iface_dumpxml(ctx: Context, args: argparse.Namespace) -> None:
    from virt.cli.commands.saving import print_selected_xml
    from virt.errors import VirtError

    iface = _interface(ctx, args.interface)
    try:
        xml = iface.xml(inactive=args.inactive)
    except VirtError as exc:
        raise CommandError(exc.message) from exc
    print_selected_xml(ctx, xml, args.xpath, args.wrap)


def run_iface_name(ctx: Context, args: argparse.Namespace) -> None:
    ctx.print(_interface(ctx, args.interface, by_name=False).name)


def run_iface_mac(ctx: Context, args: argparse.Namespace) -> None:
    ctx.print(_interface(ctx, args.interface, by_mac=False).mac)


def run_iface_define(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    xml = read_file(args.file)
    try:
        iface = ctx.conn.define_interface(xml, validate=args.validate)
    except VirtError as exc:
        raise CommandError(f"Failed to define interface from {args.file}", exc.message) from exc
    ctx.print_extra(f"Interface {iface.name} defined from {args.file}")


def run_iface_undefine(ctx: Context, args: argparse.Namespace) -> None:
    iface = _interface(ctx, args.interface)
    _failed(f"Failed to undefine interface {args.interface}", iface.undefine)
    ctx.print_extra(f"Interface {args.interface} undefined")


def run_iface_start(ctx: Context, args: argparse.Namespace) -> None:
    iface = _interface(ctx, args.interface)
    _failed(f"Failed to start interface {args.interface}", iface.create)
    ctx.print_extra(f"Interface {args.interface} started")


def run_iface_destroy(ctx: Context, args: argparse.Namespace) -> int:
    iface = _interface(ctx, args.interface)
    _failed(f"Failed to destroy interface {args.interface}", iface.destroy)
    ctx.print_extra(f"Interface {args.interface} destroyed")
    return 1  # virsh 9.0's iface-destroy reports failure even when the interface went down


def run_iface_begin(ctx: Context, args: argparse.Namespace) -> None:
    _failed("Failed to begin network config change transaction", ctx.conn.interface_change_begin)
    ctx.print_extra("Network config change transaction started")


def run_iface_commit(ctx: Context, args: argparse.Namespace) -> None:
    _failed("Failed to commit network config change transaction", ctx.conn.interface_change_commit)
    ctx.print_extra("Network config change transaction committed")


def run_iface_rollback(ctx: Context, args: argparse.Namespace) -> None:
    _failed("Failed to rollback network config change transaction", ctx.conn.interface_change_rollback)
    ctx.print_extra("Network config change transaction rolled back")


def _interface_argument(help: str = "interface name or MAC address") -> Argument:
    return Argument("interface", positional=True, required=True, help=help)


def register(commands: CommandRegistry) -> None:
    commands.add(
        "iface-list",
        run_iface_list,
        group=GROUP,
        help="list physical host interfaces",
        description="Returns list of physical host interfaces.",
        arguments=[
            Argument("--inactive", flag=True, help="list inactive interfaces"),
            Argument("--all", flag=True, help="list inactive & active interfaces"),
        ],
    )
    commands.add(
        "iface-name",
        run_iface_name,
        group=GROUP,
        help="convert an interface MAC address to interface name",
        description="",
        arguments=[_interface_argument("interface mac")],
    )
    commands.add(
        "iface-mac",
        run_iface_mac,
        group=GROUP,
        help="convert an interface name to interface MAC address",
        description="",
        arguments=[_interface_argument("interface name")],
    )
    commands.add(
        "iface-dumpxml",
        run_iface_dumpxml,
        group=GROUP,
        help="interface information in XML",
        description="Output the physical host interface information as an XML dump to stdout.",
        arguments=[
            _interface_argument(),
            Argument("--inactive", flag=True, help="show inactive defined XML"),
            Argument("--xpath", metavar="string", help="xpath expression to filter the XML document"),
            Argument("--wrap", flag=True, help="wrap xpath results in an common root element"),
        ],
    )
    commands.add(
        "iface-define",
        run_iface_define,
        group=GROUP,
        help="define an inactive persistent physical host interface or modify an existing persistent one "
        "from an XML file",
        description="Define or modify a persistent physical host interface.",
        arguments=[
            file_argument("file containing an XML interface description"),
            Argument("--validate", flag=True, help="validate the XML against the schema"),
        ],
    )
    simple = [
        ("iface-undefine", run_iface_undefine,
         "undefine a physical host interface (remove it from configuration)", "undefine an interface."),
        ("iface-start", run_iface_start,
         'start a physical host interface (enable it / "if-up")', "start a physical host interface."),
        ("iface-destroy", run_iface_destroy,
         'destroy a physical host interface (disable it / "if-down")', "forcefully stop a physical host interface."),
    ]  # fmt: skip
    for name, run, help, description in simple:
        commands.add(name, run, group=GROUP, help=help, description=description, arguments=[_interface_argument()])
    transactions = [
        ("iface-begin", run_iface_begin,
         "create a snapshot of current interfaces settings, which can be later committed (iface-commit) or "
         "restored (iface-rollback)", "Create a restore point for interfaces settings"),
        ("iface-commit", run_iface_commit,
         "commit changes made since iface-begin and free restore point", "commit changes and free restore point"),
        ("iface-rollback", run_iface_rollback,
         "rollback to previous saved configuration created via iface-begin", "rollback to previous restore point"),
    ]  # fmt: skip
    for name, run, help, description in transactions:
        commands.add(name, run, group=GROUP, help=help, description=description, arguments=[])
