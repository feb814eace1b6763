"""Device hotplug commands with virsh's options and words: attach-device, detach-device,
update-device and detach-device-alias."""

from __future__ import annotations

import argparse

from virt.cli.commands.domain import domain_argument, file_argument, read_file
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry
from virt.devicechanges import DeviceModifyFlags as F

GROUP = "Domain Management"


def _flags(args: argparse.Namespace) -> int:
    """--current, --live, --config (--persistent: --config, and --live when the domain runs)."""
    for other in ("live", "config", "persistent"):
        if args.current and getattr(args, other, False):
            raise CommandError(f"Options --current and --{other} are mutually exclusive")
    flags = (F.LIVE if args.live else 0) | (F.CONFIG if args.config else 0)
    if getattr(args, "force", False):
        flags |= F.FORCE
    return int(flags)


def _run(ctx: Context, args: argparse.Namespace, verb: str, call: str) -> None:
    from virt.errors import VirtError

    xml = read_file(args.file)
    domain = ctx.domain(args.domain)
    flags = _flags(args)
    if getattr(args, "persistent", False):
        flags |= F.CONFIG | (F.LIVE if domain.is_active() else 0)
    elif not (args.current or args.live or args.config) and call != "update_device":
        flags |= F.LIVE  # virsh calls the flagless API, which changes the running domain
    try:
        getattr(domain, call)(xml, flags)
    except VirtError as exc:
        raise CommandError(f"Failed to {verb} device from {args.file}", exc.message) from exc
    past = {"attach": "attached", "detach": "detached", "update": "updated"}[verb]
    ctx.print(f"Device {past} successfully")
    ctx.print()


def run_attach_device(ctx: Context, args: argparse.Namespace) -> None:
    _run(ctx, args, "attach", "attach_device")


def run_detach_device(ctx: Context, args: argparse.Namespace) -> None:
    _run(ctx, args, "detach", "detach_device")


def run_update_device(ctx: Context, args: argparse.Namespace) -> None:
    _run(ctx, args, "update", "update_device")


def run_detach_device_alias(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    domain = ctx.domain(args.domain)
    try:
        domain.detach_device_alias(args.alias, _flags(args))
    except VirtError as exc:
        raise CommandError(f"Failed to detach device with alias {args.alias}", exc.message) from exc
    ctx.print("Device detach request sent successfully")
    ctx.print()


def _impact(persistent: bool = True) -> list[Argument]:
    found = [
        Argument("--config", flag=True, help="affect next boot"),
        Argument("--live", flag=True, help="affect running domain"),
        Argument("--current", flag=True, help="affect current domain"),
    ]
    if persistent:
        found.insert(0, Argument("--persistent", flag=True, help="make live change persistent"))
    return found


def register(commands: CommandRegistry) -> None:
    add = commands.add
    xml_file = file_argument("XML file")
    add(
        "attach-device",
        run_attach_device,
        group=GROUP,
        help="attach device from an XML file",
        description="Attach device from an XML <file>.",
        arguments=[domain_argument(), xml_file, *_impact()],
    )
    add(
        "detach-device",
        run_detach_device,
        group=GROUP,
        help="detach device from an XML file",
        description="Detach device from an XML <file>",
        arguments=[domain_argument(), xml_file, *_impact()],
    )
    add(
        "update-device",
        run_update_device,
        group=GROUP,
        help="update device from an XML file",
        description="Update device from an XML <file>.",
        arguments=[
            domain_argument(),
            xml_file,
            *_impact(),
            Argument("--force", flag=True, help="force device update"),
        ],
    )
    add(
        "detach-device-alias",
        run_detach_device_alias,
        group=GROUP,
        help="detach device from an alias",
        description="Detach device identified by the given alias from a domain",
        arguments=[
            domain_argument(),
            Argument("alias", positional=True, required=True, help="device alias"),
            *_impact(persistent=False),
        ],
    )
