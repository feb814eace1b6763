"""argparse parsers for one command, with virsh's error messages.

Only the parser of the command being run is built; ``full_parser`` builds them all, for
shell completion only.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, NoReturn

from virt.cli.registry import Argument, Command, CommandRegistry


class UsageError(Exception):
    """Bad command line: reported as ``error: <message>``, exit status 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _positional_dest(argument: Argument) -> str:
    return "_pos_" + argument.dest


def _add_option(parser: argparse.ArgumentParser, argument: Argument, *, positional_alias: bool = False) -> Any:
    dest = argument.dest
    if argument.flag:
        return parser.add_argument(argument.option, dest=dest, action="store_true", help=argument.help)
    kwargs: dict[str, Any] = {"dest": dest, "help": argument.help, "metavar": f"<{argument.metavar}>"}
    if argument.choices is not None:
        kwargs["choices"] = argument.choices
    if argument.type is not None:
        kwargs["type"] = argument.type
    if not positional_alias:
        kwargs["default"] = argument.default
    return parser.add_argument(argument.option, **kwargs)


def _unfilled(namespace: argparse.Namespace, argument: Argument) -> bool:
    return vars(namespace).get(_positional_dest(argument)) is None and getattr(namespace, argument.dest, None) is None


def build_parser(command: Command, parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The parser of ``command`` (into ``parser`` when given, for the completion tree)."""
    if parser is None:
        parser = _Parser(prog=f"virt {command.name}", add_help=False, allow_abbrev=False)
    for argument in command.arguments:
        if argument.rest:
            continue  # parse_command hands it the remaining words itself
        if argument.positional:
            action = parser.add_argument(
                _positional_dest(argument), nargs="?", default=None, metavar=argument.dest, help=argument.help
            )
            if argument.choices is not None:
                action.choices = argument.choices
            action.completer = argument.completer  # type: ignore[attr-defined]
            option = _add_option(parser, argument, positional_alias=True)
            option.completer = argument.completer
        else:
            option = _add_option(parser, argument)
            if argument.completer is not None:
                option.completer = argument.completer
    if command.json:
        parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _known_options(command: Command) -> set[str]:
    found = {a.option for a in command.arguments}
    if command.json:
        found.add("--json")
    return found


def _values_joined(words: list[str], valued: set[str]) -> list[str]:
    """``--option VALUE`` as ``--option=VALUE`` when the value looks like an option: virsh takes the word
    after an option with a value as that value, whatever it looks like (``memtune --hard-limit -5k``)."""
    joined: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word in valued and index + 1 < len(words) and words[index + 1].startswith("-"):
            joined.append(f"{word}={words[index + 1]}")
            index += 2
            continue
        joined.append(word)
        index += 1
    return joined


def parse_command(command: Command, args: Sequence[str]) -> argparse.Namespace:
    """Parse ``args`` for ``command``; UsageError with virsh's wording when they are wrong."""
    # an argv option (the rest's) may come again and again, as virsh's ``schedinfo --set a=1 --set b=2``
    known = _known_options(command) - {a.option for a in command.arguments if a.rest}
    seen: set[str] = set()
    for token in args:
        if token == "--":
            break
        option = token.split("=", 1)[0]
        if option in known:
            if option in seen:
                raise UsageError(f"option {option} already seen")
            seen.add(option)
    parser = build_parser(command)
    rest_argument = next((a for a in command.arguments if a.rest), None)
    words, after, named = list(args), [], []
    if rest_argument is not None:
        # virsh takes the rest's words after its option name too (``desc dom --new-desc text``,
        # ``schedinfo --set weight=5 dom``): the word after the name is the rest's, whatever it looks like
        kept: list[str] = []
        index = 0
        while index < len(words) and words[index] != "--":
            if words[index] == rest_argument.option and index + 1 < len(words):
                named.append(words[index + 1])
                index += 2
                continue
            if words[index] != rest_argument.option:
                kept.append(words[index])
            index += 1
        words = kept + words[index:]
    if rest_argument is not None and "--" in words:
        index = words.index("--")
        words, after = words[:index], words[index + 1 :]
    words = _values_joined(words, {a.option for a in command.arguments if not a.flag and not a.rest})
    try:
        namespace, extras = parser.parse_known_args(words)
    except UsageError as exc:
        message = str(exc)
        if message.endswith("expected one argument") and message.startswith("argument "):
            option = message.split()[1].rstrip(":").split("/")[-1]
            kind = next((a.metavar for a in command.arguments if a.option == option), "string")
            raise UsageError(f"expected syntax: {option} <{kind}>") from None
        raise UsageError(f"command '{command.name}': {message}") from None
    for extra in extras:
        if extra.startswith("-") and extra != "-":
            raise UsageError(f"command '{command.name}' doesn't support option {extra.split('=', 1)[0]}")
        if rest_argument is None:
            # virsh gives a word after the options to the first positional argument not given yet
            # (``screenshot dom --screen 1 FILE``); argparse filled the positionals in one go
            slot = next((a for a in command.arguments if a.positional and _unfilled(namespace, a)), None)
            if slot is None:
                raise UsageError(f"unexpected data '{extra}'")
            setattr(namespace, _positional_dest(slot), extra)
    if rest_argument is not None:
        remaining = [*named, *extras, *after]
        if rest_argument.required and not remaining:
            raise UsageError(f"command '{command.name}' requires <{rest_argument.dest}> option")
        setattr(namespace, rest_argument.dest, remaining)
    displaced: list[str] = []
    missing: list[str] = []
    for argument in command.arguments:
        if argument.rest:
            continue  # parse_command hands it the remaining words itself
        if argument.positional:
            value = vars(namespace).pop(_positional_dest(argument))
            as_option = getattr(namespace, argument.dest)
            if value is not None and as_option is not None:
                if rest_argument is None:
                    raise UsageError(f"option {argument.option} already seen")
                # given by name, the argument leaves its bare word to the argv option, as in virsh's
                # ``schedinfo --domain dom weight=5``
                displaced.append(value)
                value = None
            if value is not None and argument.type is not None:
                try:
                    value = argument.type(value)
                except (TypeError, ValueError) as exc:
                    raise UsageError(f"invalid value '{value}' for {argument.option}: {exc}") from None
            value = as_option if value is None else value
            setattr(namespace, argument.dest, argument.default if value is None else value)
        if argument.required and getattr(namespace, argument.dest) is None:
            missing.append(f"command '{command.name}' requires <{argument.name.lstrip('-')}> option")
    if missing:
        # virsh names every missing option, one error line each
        raise UsageError("\nerror: ".join(missing))
    if displaced and rest_argument is not None:
        setattr(namespace, rest_argument.dest, [*displaced, *getattr(namespace, rest_argument.dest)])
    if not command.json:
        namespace.json = False
    return namespace


def full_parser(registry: CommandRegistry) -> argparse.ArgumentParser:
    """Every command as a sub-parser, with the global options: for argcomplete."""
    parser = argparse.ArgumentParser(prog="virt", add_help=False)
    add_global_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in registry:
        for name in (command.name, *command.aliases):
            sub = subparsers.add_parser(name, help=command.help, add_help=False)
            build_parser(command, sub)
    return parser


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """The options ``virt`` takes before the command (for the completion parser)."""
    parser.add_argument("-c", "--connect", metavar="URI", help="hypervisor connection URI")
    parser.add_argument("-r", "--readonly", action="store_true", help="connect readonly")
    parser.add_argument("-q", "--quiet", action="store_true", help="quiet mode")
    parser.add_argument("-v", "--version", action="store_true", help="short version")
    parser.add_argument("-h", "--help", action="store_true", help="this help")
