"""``inject-nmi``: send a non-maskable interrupt to a guest, as virsh does."""

from __future__ import annotations

import argparse

from virt.cli.commands.domain import domain_argument
from virt.cli.context import Context
from virt.cli.registry import CommandRegistry

GROUP = "Domain Management"


def run_inject_nmi(ctx: Context, args: argparse.Namespace) -> int:
    ctx.domain(args.domain).inject_nmi()
    return 0


def register(commands: CommandRegistry) -> None:
    commands.add(
        "inject-nmi",
        run_inject_nmi,
        group=GROUP,
        help="Inject NMI to the guest",
        description="Inject NMI to the guest domain.",
        arguments=[domain_argument()],
    )
