"""The typed registry that ``register_commands`` hooks fill in.

A plugin describes each command declaratively and never touches argparse::

    from virt import hookimpl
    from virt.cli.registry import Argument, CommandRegistry, complete_domains

    @hookimpl
    def register_commands(commands: CommandRegistry) -> None:
        commands.add(
            "hello",
            run=hello,                       # or "mypkg.cli:hello", imported when the command runs
            group="Domain Monitoring",
            help="greet a domain",
            arguments=[
                Argument("domain", positional=True, required=True, completer=complete_domains,
                         help="domain name, id or uuid"),
                Argument("--loud", flag=True, help="shout"),
            ],
        )

    def hello(ctx, args) -> int | None:
        ctx.print(f"hello {ctx.domain(args.domain).name}")

``run(ctx, args)`` receives the context (``virt.cli.context.Context``: the connection, opened on
first use, and output helpers) and the parsed arguments; it returns an exit status or None (0).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from virt.cli.context import Context

RunFunction = Callable[["Context", argparse.Namespace], "int | None"]
Completer = Callable[..., Iterable[str]]
"""An argcomplete completer: called as ``completer(prefix=..., parsed_args=..., ...)``."""

GROUPS = (
    "Domain Management",
    "Domain Monitoring",
    "Domain Events",
    "Host and Hypervisor",
    "Interface",
    "Networking",
    "Node Device",
    "Secret",
    "Storage Pool",
    "Storage Volume",
    "Plugins",
    "Virt itself",
)
"""The usual groups, in the order ``virt help`` lists them; plugins may add others."""

GROUP_KEYWORDS = {
    "Domain Management": "domain",
    "Domain Monitoring": "monitor",
    "Domain Events": "events",
    "Host and Hypervisor": "host",
    "Interface": "interface",
    "Networking": "network",
    "Node Device": "nodedev",
    "Secret": "secret",
    "Storage Pool": "pool",
    "Storage Volume": "volume",
    "Plugins": "plugins",
    "Virt itself": "virt",
}


class Argument:
    """One argument of a command.

    ``name`` is ``"domain"`` or ``"--domain"``. A positional argument may also be given as
    ``--name VALUE`` (as virsh allows). ``flag`` makes a boolean ``--option``; otherwise the
    option takes a value, checked against ``choices`` and converted by ``type`` when given.
    ``completer`` completes the value in the shell (see ``complete_domains``). ``rest`` takes
    every remaining word, as a list (virsh's argv options: ``lxc-enter-namespace DOM -- CMD ARGS``):
    those after ``--``, and words that are not options before it; a command has at most one, last.
    """

    __slots__ = (
        "choices", "completer", "default", "flag", "help", "metavar", "name", "positional", "required", "rest", "type",
    )  # fmt: skip

    def __init__(
        self,
        name: str,
        *,
        help: str = "",
        positional: bool = False,
        flag: bool = False,
        required: bool = False,
        choices: Sequence[str] | None = None,
        default: Any = None,
        type: Callable[[str], Any] | None = None,
        metavar: str = "string",
        completer: Completer | None = None,
        rest: bool = False,
    ) -> None:
        bare = name.lstrip("-")
        if not bare or bare != bare.strip() or " " in bare:
            raise ValueError(f"bad argument name {name!r}")
        if positional and flag:
            raise ValueError(f"argument {name!r} cannot be both positional and a flag")
        if rest and (flag or positional or choices is not None or type is not None):
            raise ValueError(f"argument {name!r} takes the remaining words: no flag, positional, choices or type")
        if flag and (choices is not None or type is not None or required):
            raise ValueError(f"flag {name!r} takes no choices, type or required")
        self.name = name
        self.help = help
        self.positional = positional
        self.flag = flag
        self.required = required
        self.choices = tuple(choices) if choices is not None else None
        self.default = default
        self.type = type
        self.metavar = metavar
        self.completer = completer
        self.rest = rest

    def __repr__(self) -> str:
        return f"Argument({self.name!r}{', positional' if self.positional else ''}{', flag' if self.flag else ''})"

    @property
    def option(self) -> str:
        """The ``--option`` spelling."""
        return "--" + self.name.lstrip("-")

    @property
    def dest(self) -> str:
        """The attribute of the parsed arguments."""
        return self.name.lstrip("-").replace("-", "_")


class Command:
    """One ``virt`` command; ``CommandRegistry.add`` makes them."""

    __slots__ = ("aliases", "arguments", "description", "group", "help", "json", "name", "plugin", "run")

    def __init__(
        self,
        name: str,
        run: RunFunction | str,
        *,
        help: str,
        group: str = "Virt itself",
        description: str = "",
        arguments: Iterable[Argument] = (),
        aliases: Iterable[str] = (),
        json: bool = False,
        plugin: str = "",
    ) -> None:
        if not name or name.startswith("-") or any(ch.isspace() or ch == ";" for ch in name):
            raise ValueError(f"bad command name {name!r}")
        self.name = name
        self.run = run
        """``run(ctx, args)``, or ``"module:function"`` imported when the command runs."""
        self.help = help
        self.group = group
        self.description = description
        self.arguments = tuple(arguments)
        self.aliases = tuple(aliases)
        self.json = json
        """True adds a ``--json`` flag (``args.json``) for machine-readable output."""
        self.plugin = plugin

    def __repr__(self) -> str:
        return f"Command({self.name!r}, group={self.group!r}, plugin={self.plugin!r})"

    def function(self) -> RunFunction:
        """The run function, imported now when it was given as ``"module:function"``."""
        if not isinstance(self.run, str):
            return self.run
        module_name, _, attr = self.run.partition(":")
        function: RunFunction = getattr(importlib.import_module(module_name), attr)
        return function


class CommandRegistry:
    """What ``register_commands`` hooks receive: call ``add`` (or use ``command`` as a decorator)."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._aliases: dict[str, str] = {}
        self.current_plugin = ""

    def add(
        self,
        name: str,
        run: RunFunction | str,
        *,
        help: str,
        group: str = "Virt itself",
        description: str = "",
        arguments: Iterable[Argument] = (),
        aliases: Iterable[str] = (),
        json: bool = False,
    ) -> Command:
        """Add command ``name``; a name (or alias) already taken raises ValueError naming both plugins."""
        command = Command(
            name,
            run,
            help=help,
            group=group,
            description=description,
            arguments=tuple(arguments),
            aliases=tuple(aliases),
            json=json,
            plugin=self.current_plugin,
        )
        for word in (name, *command.aliases):
            taken = self.get(word)
            if taken is not None:
                raise ValueError(
                    f"command '{word}' is registered twice (plugins '{taken.plugin}' and '{self.current_plugin}')"
                )
        dests = [a.dest for a in command.arguments]
        if len(set(dests)) != len(dests) or (json and "json" in dests):
            raise ValueError(f"command '{name}' declares an argument twice")
        rests = [n for n, a in enumerate(command.arguments) if a.rest]
        if rests and rests != [len(command.arguments) - 1]:
            raise ValueError(f"command '{name}' may have one argument taking the remaining words, the last one")
        self._commands[name] = command
        for alias in command.aliases:
            self._aliases[alias] = name
        return command

    def command(self, name: str, **kwargs: Any) -> Callable[[RunFunction], RunFunction]:
        """Decorator form of ``add``: ``@commands.command("hello", help="...")``."""

        def decorate(run: RunFunction) -> RunFunction:
            self.add(name, run, **kwargs)
            return run

        return decorate

    def remove_plugin(self, plugin: str) -> None:
        """Forget the commands a plugin added (when its hook failed half-way)."""
        for name in [n for n, c in self._commands.items() if c.plugin == plugin]:
            del self._commands[name]
        self._aliases = {a: n for a, n in self._aliases.items() if n in self._commands}

    def get(self, name: str) -> Command | None:
        """The command called ``name`` (or one of its aliases)."""
        return self._commands.get(name) or self._commands.get(self._aliases.get(name, ""))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[Command]:
        return iter(sorted(self._commands.values(), key=lambda c: c.name))

    def __len__(self) -> int:
        return len(self._commands)

    def names(self) -> list[str]:
        """Every command name and alias, sorted."""
        return sorted([*self._commands, *self._aliases])

    def groups(self) -> dict[str, list[Command]]:
        """The commands by group: the usual groups first, then the others by name."""
        found: dict[str, list[Command]] = {}
        for command in self:
            found.setdefault(command.group, []).append(command)
        order = {g: i for i, g in enumerate(GROUPS)}
        return dict(sorted(found.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


# -- completers ------------------------------------------------------------------------------
def _completion_connection(parsed_args: argparse.Namespace | None) -> Any:
    import virt

    uri = getattr(parsed_args, "connect", None)
    return virt.open(uri, readonly=True)


def _names(list_objects: Callable[[Any], Iterable[Any]], parsed_args: argparse.Namespace | None) -> list[str]:
    try:
        with _completion_connection(parsed_args) as conn:
            return sorted(o.name for o in list_objects(conn))
    except Exception:  # noqa: BLE001 - completion must never fail loudly
        return []


def complete_domains(prefix: str = "", parsed_args: argparse.Namespace | None = None, **_: Any) -> list[str]:
    """Names of every domain, active or not."""
    return [n for n in _names(lambda c: c.list_domains(), parsed_args) if n.startswith(prefix)]


def complete_networks(prefix: str = "", parsed_args: argparse.Namespace | None = None, **_: Any) -> list[str]:
    """Names of every network."""
    return [n for n in _names(lambda c: c.list_networks(), parsed_args) if n.startswith(prefix)]


def complete_pools(prefix: str = "", parsed_args: argparse.Namespace | None = None, **_: Any) -> list[str]:
    """Names of every storage pool."""
    return [n for n in _names(lambda c: c.list_storage_pools(), parsed_args) if n.startswith(prefix)]


def complete_interfaces(prefix: str = "", parsed_args: argparse.Namespace | None = None, **_: Any) -> list[str]:
    """Names of every host interface."""
    return [n for n in _names(lambda c: c.list_interfaces(), parsed_args) if n.startswith(prefix)]


def complete_files(prefix: str = "", **_: Any) -> list[str]:
    """Paths starting with ``prefix``."""
    from pathlib import Path

    folder, _sep, start = prefix.rpartition("/")
    base = Path(folder + "/" if folder or prefix.startswith("/") else ".")
    try:
        entries = list(base.iterdir())
    except OSError:
        return []
    found = []
    for entry in entries:
        if entry.name.startswith(start):
            text = (folder + "/" if folder or prefix.startswith("/") else "") + entry.name
            found.append(text + ("/" if entry.is_dir() else ""))
    return sorted(found)
