"""``domcontrol``: a domain's control interface state, with virsh's words."""

from __future__ import annotations

import argparse

from virt.cli.commands.domain import domain_argument
from virt.cli.context import Context
from virt.cli.registry import CommandRegistry
from virt.domaincontrol import ERROR_REASONS, STATE_WORDS, ControlState

GROUP = "Domain Monitoring"


def run_domcontrol(ctx: Context, args: argparse.Namespace) -> int:
    info = ctx.domain(args.domain).control_info()
    try:
        word = STATE_WORDS[ControlState(info.state)]
    except ValueError:
        word = "unknown"
    if info.state not in (ControlState.OK, ControlState.ERROR):
        # virsh adds how long the state has lasted, in seconds
        ctx.print(f"{word} ({info.state_time / 1000.0:.3f}s)")
    elif info.state == ControlState.ERROR and info.details > 0:
        ctx.print(f"{word}: {ERROR_REASONS.get(info.details, 'unknown')}")
    else:
        ctx.print(word)
    return 0


def register(commands: CommandRegistry) -> None:
    commands.add(
        "domcontrol",
        run_domcontrol,
        group=GROUP,
        help="domain control interface state",
        description="Returns state of a control interface to the domain.",
        arguments=[domain_argument()],
    )
