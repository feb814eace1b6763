"""``plugins [--all]``: the installed plugins as JSON; ``completion SHELL``: the shell's completion script."""

from __future__ import annotations

import argparse
from typing import Any

from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry


def run_plugins(ctx: Context, args: argparse.Namespace) -> None:
    from virt.plugins import get_plugins

    records = []
    for info in get_plugins().describe(include_builtin=args.all):
        record: dict[str, Any] = {"name": info.name, "hooks": list(info.hooks)}
        if info.distribution is not None:
            record["distribution"] = info.distribution
        if info.version is not None:
            record["version"] = info.version
        if args.all:
            record["builtin"] = info.builtin
        if info.error is not None:
            record["error"] = info.error
        records.append(record)
    ctx.json(records)


def run_completion(ctx: Context, args: argparse.Namespace) -> None:
    try:
        from virt.cli.completion import shellcode

        ctx.stdout.write(shellcode(args.shell))
    except ImportError as exc:
        raise CommandError("shell completion needs argcomplete: pip install 'virt-core[completion]'") from exc
    ctx.trailer = False


def register(commands: CommandRegistry) -> None:
    commands.add(
        "plugins",
        run_plugins,
        group="Plugins",
        help="list the installed plugins as JSON",
        description="Prints the installed plugins, the hooks they implement, and why a broken one failed.",
        arguments=[Argument("--all", flag=True, help="include the built-in plugins")],
    )
    commands.add(
        "completion",
        run_completion,
        group="Virt itself",
        help="print the shell code that completes virt commands",
        description='Enable with: eval "$(virt completion bash)"',
        arguments=[
            Argument(
                "shell",
                positional=True,
                choices=("bash", "zsh", "fish", "tcsh", "powershell"),
                default="bash",
                help="bash (default), zsh, fish, tcsh or powershell",
            )
        ],
    )
