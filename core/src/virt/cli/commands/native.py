"""domxml-from-native / domxml-to-native: domain XML and the native formats plugins register.

With ``-c URI`` the connection's driver converts (virConnectDomainXMLFromNative, as virsh does:
it knows its host); without one the conversion runs here, offline, with the format's defaults."""

from __future__ import annotations

import argparse

from virt.cli.commands.domain import read_file
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry, complete_files

GROUP = "Domain Management"


def _formats(prefix: str = "", **_: object) -> list[str]:
    from virt.plugins import get_plugins

    return sorted(f.name for f in get_plugins().native_formats if f.name.startswith(prefix))


def run_from_native(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError
    from virt.native import from_native

    config = read_file(args.config)
    try:
        if ctx.uri is None:
            xml = from_native(args.format, config)
        else:  # the driver's conversion, as virsh's: it knows its host (datastores, probed tools)
            xml = ctx.conn.domain_xml_from_native(args.format, config)
    except VirtError as exc:
        raise CommandError(f"Failed to convert {args.config} from {args.format}", exc.message) from exc
    ctx.print(xml, end="")  # as virsh prints it: the text as it is, then the blank line after a command


def run_to_native(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError
    from virt.native import to_native

    xml = read_file(args.xml)
    try:
        native = to_native(args.format, xml) if ctx.uri is None else ctx.conn.domain_xml_to_native(args.format, xml)
    except VirtError as exc:
        raise CommandError(f"Failed to convert {args.xml} to {args.format}", exc.message) from exc
    ctx.print(native, end="")


def register(commands: CommandRegistry) -> None:
    format_argument = Argument(
        "format", positional=True, required=True, completer=_formats, help="source config data format"
    )
    commands.add(
        "domxml-from-native",
        run_from_native,
        group=GROUP,
        help="Convert native config to domain XML",
        description="Convert native guest configuration format to domain XML format.",
        arguments=[
            format_argument,
            Argument("config", positional=True, required=True, completer=complete_files, help="config data file"),
        ],
    )
    commands.add(
        "domxml-to-native",
        run_to_native,
        group=GROUP,
        help="Convert domain XML to native config",
        description="Convert domain XML config to a native guest configuration format.",
        arguments=[
            Argument("format", positional=True, required=True, completer=_formats, help="target config data format"),
            Argument("xml", positional=True, required=True, completer=complete_files, help="xml data file"),
        ],
    )
