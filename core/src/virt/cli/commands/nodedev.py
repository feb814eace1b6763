"""Host devices: ``nodedev-list``, ``nodedev-dumpxml``, ``nodedev-info``, ``nodedev-create``,
``nodedev-destroy``, with virsh's options, output
and messages (virsh-nodedev.c)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from virt.cli.commands.domain import file_argument, read_file
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry
from virt.errors import VirtError
from virt.nodedevices import CAPABILITY_FLAGS, ListFlags

if TYPE_CHECKING:
    from virt.nodedevices import NodeDevice

GROUP = "Node Device"


def find_device(ctx: Context, name: str) -> NodeDevice:
    try:
        return ctx.conn.lookup_node_device_by_name(name)
    except VirtError as exc:
        raise CommandError(f"Could not find matching device '{name}'", exc.message) from exc


def _flags(args: argparse.Namespace) -> int:
    """virsh's flags: the capabilities named (comma-separated), and which states to list."""
    flags = 0
    for cap in (args.cap or "").split(","):
        if not cap:
            continue
        if cap not in CAPABILITY_FLAGS:
            raise CommandError("Invalid capability type")
        flags |= CAPABILITY_FLAGS[cap]
    if args.all:
        return flags | ListFlags.ACTIVE | ListFlags.INACTIVE
    return flags | (ListFlags.INACTIVE if args.inactive else ListFlags.ACTIVE)


def run_nodedev_list(ctx: Context, args: argparse.Namespace) -> None:
    if args.inactive and args.all:
        raise CommandError("Option --all is incompatible with --inactive")
    flags = _flags(args)
    try:
        names = ctx.conn.driver.list_node_devices(int(flags))
    except VirtError as exc:
        raise CommandError("Failed to list node devices", exc.message) from exc
    if not args.tree:
        for name in sorted(names):
            ctx.print(name)
        return
    devices = sorted(names)
    parents = [ctx.conn.lookup_node_device_by_name(name).parent() for name in devices]
    for line in tree_lines(devices, parents):
        ctx.print(line)


def tree_lines(names: list[str], parents: list[str | None]) -> list[str]:
    """virsh's device tree (vshTreePrint): each root, then its children under ``|`` stems and
    ``+-`` branches, a blank stem line before a parent's children and after a last leaf."""
    lines: list[str] = []

    def walk(index: int, last: int, root: bool, indent: str) -> None:
        name = names[index]
        lines.append(f"{indent}{'' if root else '+- '}{name}")
        if not root:
            indent += (" " if index == last else "|") + " "
        children = [i for i, parent in enumerate(parents) if parent == name]
        if children:
            lines.append(f"{indent}  |")
        for child in children:
            walk(child, children[-1], False, indent + "  ")
        if not children and index == last:
            lines.append(indent)

    for index, parent in enumerate(parents):
        if parent is None or parent not in names:
            walk(index, index, True, "")
    return lines


def run_nodedev_dumpxml(ctx: Context, args: argparse.Namespace) -> None:
    device = find_device(ctx, args.device)
    try:
        ctx.print(device.xml(), end="")
    except VirtError as exc:
        raise CommandError(exc.message) from exc


def _yes(call: object) -> str:
    # virsh prints the C result as a truth value: an unsupported call's -1 reads "yes"
    try:
        return "yes" if call() else "no"  # type: ignore[operator]
    except VirtError:
        return "yes"


def run_nodedev_info(ctx: Context, args: argparse.Namespace) -> None:
    device = find_device(ctx, args.device)
    ctx.print(f"{'Name:':<15} {device.name}")
    ctx.print(f"{'Parent:':<15} {device.parent() or ''}")
    ctx.print(f"{'Active:':<15} {_yes(device.is_active)}")
    ctx.print(f"{'Persistent:':<15} {_yes(device.is_persistent)}")
    try:
        autostart = "enable" if device.autostart() else "disable"
    except VirtError:
        autostart = "no autostart"
    ctx.print(f"{'Autostart:':<15} {autostart}")


def run_nodedev_create(ctx: Context, args: argparse.Namespace) -> None:
    xml = read_file(args.file)
    try:
        device = ctx.conn.create_node_device(xml)
    except VirtError as exc:
        raise CommandError(f"Failed to create node device from {args.file}", exc.message) from exc
    ctx.print_extra(f"Node device {device.name} created from {args.file}")


def run_nodedev_destroy(ctx: Context, args: argparse.Namespace) -> None:
    device = find_device(ctx, args.device)
    try:
        device.destroy()
    except VirtError as exc:
        raise CommandError(f"Failed to destroy node device '{args.device}'", exc.message) from exc
    ctx.print_extra(f"Destroyed node device '{args.device}'")


def register(commands: CommandRegistry) -> None:
    device = Argument("device", positional=True, required=True, help="device name or wwn pair in 'wwnn,wwpn' format")
    commands.add(
        "nodedev-list",
        run_nodedev_list,
        group=GROUP,
        help="enumerate devices on this host",
        description="Returns the list of devices known to libvirt.",
        arguments=[
            Argument("--tree", flag=True, help="list devices in a tree"),
            Argument("--cap", help="capability names, separated by comma"),
            Argument("--inactive", flag=True, help="list inactive devices"),
            Argument("--all", flag=True, help="list inactive & active devices"),
        ],
    )
    commands.add(
        "nodedev-dumpxml",
        run_nodedev_dumpxml,
        group=GROUP,
        help="node device details in XML",
        description="Output the node device details as an XML dump to stdout.",
        arguments=[device],
    )
    commands.add(
        "nodedev-info",
        run_nodedev_info,
        group=GROUP,
        help="node device information",
        description="Returns basic information about the node device",
        arguments=[device],
    )
    commands.add(
        "nodedev-create",
        run_nodedev_create,
        group=GROUP,
        help="create a device defined by an XML file on the node",
        description="Create a device on the node.  Note that this command creates devices on the physical host "
        "that can then be assigned to a virtual machine.",
        arguments=[file_argument("file containing an XML description of the device")],
    )
    commands.add(
        "nodedev-destroy",
        run_nodedev_destroy,
        group=GROUP,
        help="destroy (stop) a device on the node",
        description="Destroy a device on the node.  Note that this command destroys devices on the physical host",
        arguments=[device],
    )
