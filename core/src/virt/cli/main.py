"""``virt [options] COMMAND [ARGS]`` or ``virt [options] 'CMD ARGS; CMD ARGS'``: virsh's command line.

Start-up time matters, so this module imports little: the plugins load, each registers its
commands (plain records), and only the parser of the command being run is built.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from virt.cli.context import Context
    from virt.cli.registry import Command, CommandRegistry


class GlobalOptions:
    """The options given before the command."""

    __slots__ = ("connect", "help", "quiet", "readonly", "version")

    def __init__(self) -> None:
        self.connect: str | None = None
        self.readonly = False
        self.quiet = False
        self.version: str | None = None
        """``short`` or ``long`` when the version was asked for."""
        self.help = False


_USAGE = """\
virt [options]... [<command_string>]
virt [options]... <command> [args...]

  options:
    -c | --connect=URI      hypervisor connection URI
    -h | --help             this help
    -q | --quiet            quiet mode
    -r | --readonly         connect readonly
    -v                      short version
    -V                      long version
         --version[=TYPE]   version, TYPE is short or long (default short)
  commands (non interactive mode):

"""


def _error(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")


def parse_global_options(argv: Sequence[str]) -> tuple[GlobalOptions, list[str]]:
    """Split ``argv`` into the global options and the command words, with virsh's rules and messages."""
    from virt.cli.parser import UsageError

    options = GlobalOptions()
    index = 0
    while index < len(argv):
        word = argv[index]
        if word == "--":
            index += 1
            break
        if not word.startswith("-") or word == "-":
            break
        index += 1
        if word.startswith("--"):
            name, has_value, value = word.partition("=")
            if name == "--connect":
                if not has_value:
                    if index >= len(argv):
                        raise UsageError("option '-c'/'--connect' requires an argument")
                    value, index = argv[index], index + 1
                options.connect = value
            elif name in ("--readonly", "--quiet", "--help") and not has_value:
                setattr(options, name[2:], True)
            elif name == "--version":
                if value not in ("", "short", "long"):
                    raise UsageError(f"unknown version type '{value}'")
                options.version = value or "short"
            else:
                raise UsageError(f"unsupported option '{name}'. See --help.")
            continue
        letters = word[1:]
        for position, letter in enumerate(letters):
            if letter == "c":
                value = letters[position + 1 :]
                if not value:
                    if index >= len(argv):
                        raise UsageError("option '-c'/'--connect' requires an argument")
                    value, index = argv[index], index + 1
                options.connect = value
                break
            if letter == "r":
                options.readonly = True
            elif letter == "q":
                options.quiet = True
            elif letter == "h":
                options.help = True
            elif letter == "v":
                options.version = "short"
            elif letter == "V":
                options.version = "long"
            else:
                raise UsageError(f"unsupported option '-{letter}'. See --help.")
    return options, list(argv[index:])


def split_command_string(text: str) -> list[list[str]]:
    """``'list --all; dominfo test'`` as command words, split at unquoted ``;`` and new lines."""
    import shlex

    from virt.cli.parser import UsageError

    lexer = shlex.shlex(text, posix=True, punctuation_chars=";\n")
    lexer.whitespace = " \t\r"
    # words end only at blanks and separators: a MAC address or a URI stays one word
    lexer.whitespace_split = True
    lexer.commenters = ""
    # every other printable character belongs to a word (URIs' ':', XML's '<' and '='...), as in virsh
    lexer.wordchars += "".join(chr(c) for c in range(33, 127) if chr(c) not in ";'\"\\" + lexer.wordchars)
    commands: list[list[str]] = [[]]
    try:
        for token in lexer:
            if token and set(token) <= {";", "\n"}:
                commands.append([])
            else:
                commands[-1].append(token)
    except ValueError as exc:
        raise UsageError(f"cannot parse command string: {exc}") from None
    return [c for c in commands if c]


def load_commands() -> CommandRegistry:
    """Every command the plugins register; a plugin whose hook fails is recorded as broken."""
    from virt.cli.registry import CommandRegistry
    from virt.plugins import get_plugins

    registry = CommandRegistry()
    get_plugins().collect("register_commands", registry)
    return registry


def _print_version(kind: str) -> None:
    import virt

    if kind == "long":
        sys.stdout.write(f"Virt command line tool of virt {virt.__version__}\nSee https://libvirt.org/ for virsh\n")
    else:
        sys.stdout.write(f"{virt.__version__}\n")


def _run(argv: Sequence[str]) -> int:
    from virt.cli.parser import UsageError, parse_command

    try:
        options, words = parse_global_options(argv)
    except UsageError as exc:
        _error(str(exc))
        return 1
    if options.version:
        _print_version(options.version)
        return 0
    registry = load_commands()
    if options.help or not words:
        from virt.cli.commands.help import print_global_help

        sys.stdout.write(_USAGE)
        print_global_help(registry, sys.stdout, keywords=False)
        return 0
    parsed: list[tuple[Command, argparse.Namespace]] = []
    try:
        invocations = split_command_string(words[0]) if len(words) == 1 else [words]
        for name, *args in invocations:
            command = registry.get(name)
            if command is None:
                raise UsageError(f"unknown command: '{name}'")
            if "--help" in args or "-h" in args:
                command, args = registry.get("help") or command, [command.name]
            parsed.append((command, parse_command(command, args)))
    except UsageError as exc:
        _error(str(exc))
        return 1
    from virt.cli.context import Context

    ctx = Context(options.connect, readonly=options.readonly, quiet=options.quiet)
    ctx.registry = registry
    status = 0
    try:
        for command, namespace in parsed:
            status = run_command(ctx, command, namespace)
    finally:
        with contextlib.suppress(Exception):  # closing must not hide the command's result
            ctx.close()
    return status


def run_command(ctx: Context, command: Command, args: argparse.Namespace) -> int:
    """Run one parsed command, reporting its errors virsh's way; its exit status."""
    from virt.cli.context import CommandError
    from virt.errors import VirtError

    ctx.trailer = True
    try:
        result = command.function()(ctx, args)
        status = 0 if result is None else int(result)
    except CommandError as exc:
        for line in exc.lines:
            _error(line)
        status = 1
    except VirtError as exc:
        _error(exc.message)
        status = 1
    sys.stdout.flush()
    if ctx.trailer and not ctx.quiet:
        ctx.print()
    return status


def _complete() -> None:
    from virt.cli.completion import autocomplete

    autocomplete(load_commands())


def main(argv: Sequence[str] | None = None) -> int:
    """The ``virt`` console script: run the command line, return the exit status; never a traceback."""
    if argv is None:
        if "_ARGCOMPLETE" in os.environ:
            try:
                _complete()
            except Exception:  # noqa: BLE001 - completion must stay silent
                return 1
        argv = sys.argv[1:]
    try:
        return _run(argv)
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away: say nothing, and keep Python from complaining at exit.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # noqa: BLE001 - no traceback ever reaches a user
        _error(f"internal error: {type(exc).__name__}: {exc}")
        if os.environ.get("VIRT_DEBUG"):
            import traceback

            traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())
