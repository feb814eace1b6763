"""The command registry and third-party command plugins."""

from __future__ import annotations

import argparse
import json

import pytest
import virt
from cli_helpers import RegisterPlugin, Run
from virt.cli.context import Context
from virt.cli.registry import GROUPS, Argument, Command, CommandRegistry, complete_domains


def hello(ctx: Context, args: argparse.Namespace) -> int:
    domain = ctx.domain(args.domain)
    ctx.print(f"{args.greeting} {domain.name}{'!' if args.loud else ''}")
    return 0


class HelloPlugin:
    @virt.hookimpl
    def register_commands(self, commands: CommandRegistry) -> None:
        commands.add(
            "hello",
            hello,
            group="Domain Monitoring",
            help="greet a domain",
            aliases=["hi"],
            arguments=[
                Argument("domain", positional=True, required=True, completer=complete_domains, help="domain"),
                Argument("--greeting", choices=["hello", "bonjour"], default="hello", help="the word"),
                Argument("--loud", flag=True, help="shout"),
            ],
        )

        @commands.command("lazy-uri", help="print the URI", group="Host and Hypervisor")
        def lazy_uri(ctx: Context, args: argparse.Namespace) -> None:
            ctx.print(str(ctx.conn.uri))

        commands.add("by-name", "virt.cli.commands.host:run_uri", help="print the URI, imported late")


class ClashingPlugin:
    @virt.hookimpl
    def register_commands(self, commands: CommandRegistry) -> None:
        commands.add("first-of-clash", hello, help="added before the failure")
        commands.add("list", hello, help="steals a built-in name")


def test_plugin_command_runs(virt: Run, register_plugin: RegisterPlugin) -> None:
    register_plugin(HelloPlugin())
    assert virt("hello", "test", "--loud").out == "hello test!\n\n"
    assert virt("hi", "--domain=1", "--greeting", "bonjour").out == "bonjour test\n\n"
    assert virt("hello", "test", "--greeting", "hey").status == 1
    assert virt("lazy-uri").out == "test:///default\n\n"
    assert virt("by-name").out == "test:///default\n\n"
    assert "    hello                          greet a domain\n" in virt("help", "monitor", uri=None).out


def test_clashing_plugin_is_broken_and_builtin_wins(virt: Run, register_plugin: RegisterPlugin) -> None:
    register_plugin(ClashingPlugin())
    assert virt("list", "--name").out == "test\n\n"
    assert virt("first-of-clash", "test").status == 1
    broken = [p for p in json.loads(virt("plugins").out) if "error" in p]
    assert len(broken) == 1
    assert "command 'list' is registered twice" in broken[0]["error"]


def test_registry_lookup_and_groups() -> None:
    registry = CommandRegistry()
    registry.current_plugin = "mine"
    registry.add("zeta", hello, help="z", group="Custom Things")
    registry.add("alpha", hello, help="a", group="Networking", aliases=["a"])
    assert registry.get("a") is registry.get("alpha")
    assert "alpha" in registry and "nope" not in registry
    assert registry.names() == ["a", "alpha", "zeta"]
    assert list(registry.groups()) == ["Networking", "Custom Things"]
    assert registry.get("zeta").plugin == "mine"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="registered twice"):
        registry.add("a", hello, help="again")
    registry.remove_plugin("mine")
    assert len(registry) == 0 and registry.get("a") is None


@pytest.mark.parametrize(
    "make",
    [
        lambda: Argument("x", positional=True, flag=True),
        lambda: Argument("--"),
        lambda: Argument("--x", flag=True, choices=["a"]),
        lambda: Command("bad name", hello, help=""),
        lambda: CommandRegistry().add(
            "dup", hello, help="", arguments=[Argument("--a"), Argument("a", positional=True)]
        ),
        lambda: CommandRegistry().add("js", hello, help="", json=True, arguments=[Argument("--json", flag=True)]),
    ],
)
def test_bad_declarations_are_refused(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        make()


def test_usual_groups_come_first() -> None:
    assert GROUPS[:4] == ("Domain Management", "Domain Monitoring", "Domain Events", "Host and Hypervisor")
