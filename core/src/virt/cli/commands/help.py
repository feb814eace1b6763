"""``help [command|group]``: virsh's help pages."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from virt.cli.context import CommandError, Context
from virt.cli.registry import GROUP_KEYWORDS, Argument, Command, CommandRegistry


def _keyword(group: str) -> str:
    return GROUP_KEYWORDS.get(group, group.lower().replace(" ", "-"))


def print_group(group: str, commands: list[Command], out: TextIO, *, colon: bool = True) -> None:
    out.write(f" {group} (help keyword '{_keyword(group)}'){':' if colon else ''}\n")
    for command in commands:
        out.write(f"    {command.name:<30} {command.help}\n")
    out.write("\n")


def print_global_help(registry: CommandRegistry, out: TextIO, *, keywords: bool = True) -> None:
    """Every command by group (``virt help``; ``virt -h`` without the colons)."""
    if keywords:
        out.write("Grouped commands:\n\n")
    for group, commands in registry.groups().items():
        print_group(group, commands, out, colon=keywords)


def _synopsis_word(argument: Argument) -> str:
    if argument.rest:
        word = f"[--] <{argument.dest}>..."
    elif argument.positional:
        word = f"<{argument.dest}>"
    elif argument.flag:
        word = argument.option
    else:
        word = f"{argument.option} <{argument.metavar}>"
    return word if argument.required else f"[{word}]"


def _option_label(argument: Argument) -> str:
    if argument.rest:
        return f"<{argument.dest}>..."
    if argument.positional:
        return f"[{argument.option}] <{argument.metavar}>"
    return argument.option if argument.flag else f"{argument.option} <{argument.metavar}>"


def print_command_help(command: Command, out: TextIO) -> None:
    """NAME, SYNOPSIS, DESCRIPTION and OPTIONS, laid out like virsh."""
    arguments = list(command.arguments)
    if command.json:
        arguments.append(Argument("--json", flag=True, help="print JSON"))
    out.write(f"  NAME\n    {command.name} - {command.help}\n\n")
    out.write(f"  SYNOPSIS\n    {' '.join([command.name, *map(_synopsis_word, arguments)])}\n\n")
    if command.description:
        out.write(f"  DESCRIPTION\n    {command.description}\n\n")
    if arguments:
        out.write("  OPTIONS\n")
        for argument in arguments:
            out.write(f"    {_option_label(argument):<15}  {argument.help}\n")
        out.write("\n")
    if command.aliases:
        out.write(f"  ALIASES\n    {', '.join(command.aliases)}\n\n")


def run_help(ctx: Context, args: argparse.Namespace) -> None:
    registry = ctx.registry
    if registry is None:
        from virt.cli.main import load_commands

        registry = load_commands()
    if args.command is None:
        print_global_help(registry, ctx.stdout)
        return
    command = registry.get(args.command)
    if command is not None:
        print_command_help(command, ctx.stdout)
        return
    for group, commands in registry.groups().items():
        if args.command in (group, _keyword(group)):
            print_group(group, commands, ctx.stdout)
            return
    raise CommandError(f"command or command group '{args.command}' doesn't exist")


def complete_commands(prefix: str = "", **_: Any) -> list[str]:
    from virt.cli.main import load_commands

    return [n for n in load_commands().names() if n.startswith(prefix)]


def register(commands: CommandRegistry) -> None:
    commands.add(
        "help",
        run_help,
        group="Virt itself",
        help="print help",
        description="Prints global help, command specific help, or help for a group of related commands",
        arguments=[
            Argument(
                "command",
                positional=True,
                completer=complete_commands,
                help="Prints global help, command specific help, or help for a group of related commands",
            )
        ],
    )
