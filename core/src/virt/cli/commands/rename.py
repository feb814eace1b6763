"""``domrename``: give an inactive domain a new name, as virsh does."""

from __future__ import annotations

import argparse

from virt.cli.commands.domain import domain_argument
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry

GROUP = "Domain Management"


def run_domrename(ctx: Context, args: argparse.Namespace) -> int:
    new_name = args.new_name
    if not new_name:
        raise CommandError("Failed to get option 'new-name': Option argument is empty")
    ctx.domain(args.domain).rename(new_name)
    ctx.print("Domain successfully renamed")
    return 0


def register(commands: CommandRegistry) -> None:
    commands.add(
        "domrename",
        run_domrename,
        group=GROUP,
        help="rename a domain",
        description="Rename an inactive domain.",
        arguments=[
            domain_argument("domain name or uuid"),
            Argument("new-name", positional=True, required=True, help="new domain name"),
        ],
    )
