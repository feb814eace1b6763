"""Host interfaces: ``iface-list``, ``iface-dumpxml``, ``iface-name``, ``iface-mac``, ``iface-define``,
``iface-undefine``, ``iface-start``, ``iface-destroy``, ``iface-begin``, ``iface-commit``,
``iface-rollback``, ``iface-bridge``, ``iface-unbridge``, with virsh's options, output and messages
(virsh-interface.c)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from virt.cli.commands.domain import file_argument, read_file
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry, complete_interfaces

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
    from virt.errors import NotSupported, VirtError

    active = None if args.all else not args.inactive
    try:
        found = sorted(ctx.conn.list_interfaces(active=active), key=lambda i: i.name.lower())
    except NotSupported as exc:
        # virsh falls back to the old listing calls, whose failure it reports so
        which = "inactive" if active is False else "active"
        raise CommandError(f"Failed to list {which} interfaces", exc.message) from exc
    except VirtError as exc:
        raise CommandError("Failed to list interfaces", exc.message) from exc
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


def _interface_argument(help: str = "interface name or MAC address", *, complete: bool = True) -> Argument:
    completer = complete_interfaces if complete else None
    return Argument("interface", positional=True, required=True, completer=completer, help=help)


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
        arguments=[_interface_argument("interface mac", complete=False)],
    )
    commands.add(
        "iface-mac",
        run_iface_mac,
        group=GROUP,
        help="convert an interface name to interface MAC address",
        description="",
        arguments=[_interface_argument("interface name", complete=False)],
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
    register_bridging(commands)


# -- iface-bridge / iface-unbridge ---------------------------------------------------------------------
#
# virsh rewrites the interface's inactive XML with libxml2, defines the result and starts it. A
# failure prints virsh's own line and then the last libvirt error of the command, if any (even one
# virsh expected, such as the lookup proving the new bridge's name free).

_MOVED = ("mac", "bond", "vlan")


def _unsigned_option(text: str | None, option: str) -> int:
    """vshCommandOptUInt: a non-negative decimal (leading blanks allowed); 0 when not given."""
    if text is None:
        return 0
    if not re.fullmatch(r"\s*\+?\d+", text) or int(text) > 2**32 - 1:
        raise _Failure(f"Numeric value '{text}' for <{option}> option is malformed or out of range")
    return int(text)


class _Failure(Exception):
    """A step of iface-bridge/-unbridge failed with virsh's words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _c_string(value: str | None) -> str:
    return "(null)" if value is None else value


def bridged_xml(xml: str, if_name: str, br_name: str, *, stp: bool, delay: int) -> str:
    """The bridge ``br_name`` holding the interface described by ``xml`` (its inactive XML), as
    cmdInterfaceBridge makes it; _Failure with virsh's words when it cannot."""
    from lxml import etree

    top = _parsed(xml, if_name)
    if_type = top.get("type")
    if if_type is None:
        raise _Failure(f"Existing device {if_name} has no type")
    if if_type == "bridge":
        raise _Failure(f"Existing device {if_name} is already a bridge")
    if top.get("name") != if_name:
        raise _Failure(
            f"Interface name from config {_c_string(top.get('name'))} doesn't match given supplied name {if_name}"
        )
    bridge = etree.SubElement(top, "bridge", stp="on" if stp else "off")
    if stp:
        bridge.set("delay", str(delay if delay < 2**31 else delay - 2**32))  # printed with %d
    top.set("type", "bridge")
    top.set("name", br_name)
    attached = etree.SubElement(bridge, "interface", type=if_type, name=if_name)
    for child in list(top):
        if child.tag in _MOVED:
            attached.append(child)
    text: str = etree.tostring(top, encoding="unicode")
    return text


def unbridged_xml(xml: str, br_name: str) -> tuple[str, str]:
    """The name and the XML of the one interface the bridge ``br_name`` holds, taken out of it as
    cmdInterfaceUnbridge does; _Failure with virsh's words when it cannot."""
    from lxml import etree

    top = _parsed(xml, br_name)
    if_type = top.get("type")
    if if_type is None:
        raise _Failure(f"Existing device {br_name} has no type")
    if if_type != "bridge":
        raise _Failure(f"Device {br_name} is not a bridge")
    if top.get("name") != br_name:
        raise _Failure(
            f"Interface name from config {_c_string(top.get('name'))} doesn't match given supplied name {br_name}"
        )
    bridge = top.find("bridge")
    if bridge is None:
        raise _Failure("No bridge node in xml document")
    members = bridge.findall("interface")
    if len(members) > 1:
        raise _Failure("Multiple interfaces attached to bridge")
    if not members:
        raise _Failure("No interface attached to bridge")
    attached = members[0]
    name, kind = attached.get("name"), attached.get("type")
    if name is None:
        raise _Failure(f"Device attached to bridge {br_name} has no name")
    if kind is None:
        raise _Failure(f"Attached device {name} has no type")
    top.set("type", kind)
    top.set("name", name)
    for child in list(attached):
        if child.tag in _MOVED:
            top.append(child)
    text: str = etree.tostring(top, encoding="unicode")
    return name, text


def _parsed(xml: str, name: str) -> Any:
    from lxml import etree

    try:
        return etree.fromstring(xml.encode())
    except etree.XMLSyntaxError as exc:
        raise _Failure(f"Failed to parse configuration of {name}") from exc


class _Steps:
    """Runs the libvirt calls of one command, remembering the last error as virsh does."""

    def __init__(self) -> None:
        self.last_error: str | None = None

    def call(self, action: Callable[[], Any], failure: str | None = None) -> Any:
        from virt.errors import VirtError

        try:
            return action()
        except VirtError as exc:
            self.last_error = exc.message
            if failure is None:
                raise _Failure("") from exc
            raise _Failure(failure) from exc

    def fail(self, failure: _Failure) -> CommandError:
        lines = [failure.message] if failure.message else []
        if self.last_error is not None:
            lines.append(self.last_error)
        return CommandError(*lines)


def run_iface_bridge(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    if_handle = _interface(ctx, args.interface, by_mac=False)
    steps = _Steps()
    try:
        try:
            ctx.conn.lookup_interface_by_name(args.bridge)
        except VirtError as exc:
            steps.last_error = exc.message
        else:
            raise _Failure(f"Network device {args.bridge} already exists")
        delay = _unsigned_option(args.delay, "delay")
        xml = steps.call(lambda: if_handle.xml(inactive=True))
        bridged = bridged_xml(xml, args.interface, args.bridge, stp=not args.no_stp, delay=delay)
        bridge = steps.call(
            lambda: ctx.conn.define_interface(bridged), f"Failed to define new bridge interface {args.bridge}"
        )
        ctx.print_extra(f"Created bridge {args.bridge} with attached device {args.interface}")
        if not args.no_start:
            steps.call(bridge.create, f"Failed to start bridge interface {args.bridge}")
            ctx.print_extra(f"Bridge interface {args.bridge} started")
    except _Failure as failure:
        raise steps.fail(failure) from failure


def run_iface_unbridge(ctx: Context, args: argparse.Namespace) -> None:
    br_handle = _interface(ctx, args.bridge, by_mac=False)
    steps = _Steps()
    try:
        xml = steps.call(lambda: br_handle.xml(inactive=True))
        if_name, unbridged = unbridged_xml(xml, args.bridge)
        steps.call(br_handle.destroy, f"Failed to destroy bridge interface {args.bridge}")
        steps.call(br_handle.undefine, f"Failed to undefine bridge interface {args.bridge}")
        iface = steps.call(lambda: ctx.conn.define_interface(unbridged), f"Failed to define new interface {if_name}")
        ctx.print_extra(f"Device {if_name} un-attached from bridge {args.bridge}")
        if not args.no_start:
            steps.call(iface.create, f"Failed to start interface {if_name}")
            ctx.print_extra(f"Interface {if_name} started")
    except _Failure as failure:
        raise steps.fail(failure) from failure


def register_bridging(commands: CommandRegistry) -> None:
    commands.add(
        "iface-bridge",
        run_iface_bridge,
        group=GROUP,
        help="create a bridge device and attach an existing network device to it",
        description="bridge an existing network device",
        arguments=[
            _interface_argument("existing interface name"),
            Argument("bridge", positional=True, required=True, help="new bridge device name"),
            Argument("--no-stp", flag=True, help="do not enable STP for this bridge"),
            Argument("--delay", metavar="number", help="number of seconds to squelch traffic on newly connected ports"),
            Argument("--no-start", flag=True, help="don't start the bridge immediately"),
        ],
    )
    commands.add(
        "iface-unbridge",
        run_iface_unbridge,
        group=GROUP,
        help="undefine a bridge device after detaching its device(s)",
        description="unbridge a network device",
        arguments=[
            Argument(
                "bridge",
                positional=True,
                required=True,
                completer=complete_interfaces,
                help="current bridge device name",
            ),
            Argument("--no-start", flag=True, help="don't start the detached interface immediately (not recommended)"),
        ],
    )
