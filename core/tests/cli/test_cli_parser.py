"""Command-line parsing: global options, command strings, and each command's arguments."""

from __future__ import annotations

import pytest
from virt.cli.main import parse_global_options, split_command_string
from virt.cli.parser import UsageError, parse_command
from virt.cli.registry import Argument, Command


def noop(ctx: object, args: object) -> None:
    return None


STATE = Command(
    "domstate",
    noop,
    help="domain state",
    arguments=[Argument("domain", positional=True, required=True), Argument("--reason", flag=True)],
    json=True,
)
POOLS = Command(
    "pool-list",
    noop,
    help="list pools",
    arguments=[Argument("--type", choices=["dir", "fs"]), Argument("--count", type=int, default=3)],
)


@pytest.mark.parametrize(
    "args",
    [["test"], ["--domain", "test"], ["--domain=test"], ["--reason", "test"], ["test", "--reason"]],
)
def test_positional_may_be_given_as_option(args: list[str]) -> None:
    parsed = parse_command(STATE, args)
    assert parsed.domain == "test"
    assert parsed.reason == ("--reason" in args)
    assert parsed.json is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "command 'domstate' requires <domain> option"),
        (["test", "--bogus"], "command 'domstate' doesn't support option --bogus"),
        (["test", "extra"], "unexpected data 'extra'"),
        (["test", "--reason", "--reason"], "option --reason already seen"),
        (["test", "--domain", "test"], "option --domain already seen"),
    ],
)
def test_errors_use_virsh_wording(args: list[str], message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_command(STATE, args)
    assert str(info.value) == message


def test_choices_types_and_defaults() -> None:
    assert parse_command(POOLS, []).count == 3
    assert parse_command(POOLS, ["--count", "7", "--type", "dir"]).count == 7
    with pytest.raises(UsageError, match="invalid choice"):
        parse_command(POOLS, ["--type", "nfs"])
    with pytest.raises(UsageError, match="expected syntax: --type <string>"):
        parse_command(POOLS, ["--type"])


def test_json_flag_only_where_declared() -> None:
    assert parse_command(STATE, ["test", "--json"]).json is True
    with pytest.raises(UsageError, match="doesn't support option --json"):
        parse_command(POOLS, ["--json"])


def test_global_options() -> None:
    options, words = parse_global_options(["-c", "test:///default", "-rq", "list", "--all"])
    assert (options.connect, options.readonly, options.quiet, words) == (
        "test:///default",
        True,
        True,
        ["list", "--all"],
    )
    options, words = parse_global_options(["--connect=test:///x", "--readonly", "uri"])
    assert (options.connect, options.readonly, words) == ("test:///x", True, ["uri"])
    assert parse_global_options(["-ctest:///y"])[0].connect == "test:///y"
    assert parse_global_options(["-V"])[0].version == "long"
    assert parse_global_options(["--version"])[0].version == "short"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-x"], "unsupported option '-x'. See --help."),
        (["--bogus"], "unsupported option '--bogus'. See --help."),
        (["-c"], "option '-c'/'--connect' requires an argument"),
    ],
)
def test_global_option_errors(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_global_options(argv)
    assert str(info.value) == message


def test_command_string_splits_at_semicolons() -> None:
    assert split_command_string("list --all; dominfo 'my vm';domid x") == [
        ["list", "--all"],
        ["dominfo", "my vm"],
        ["domid", "x"],
    ]
    assert split_command_string("uri\nhostname") == [["uri"], ["hostname"]]
    with pytest.raises(UsageError):
        split_command_string("list 'open")


ENTER = Command(
    "lxc-enter-namespace",
    noop,
    help="enter",
    arguments=[
        Argument("domain", positional=True, required=True),
        Argument("--noseclabel", flag=True),
        Argument("cmd", rest=True, required=True),
    ],
)


@pytest.mark.parametrize(
    ("args", "domain", "cmd", "noseclabel"),
    [
        (["dom", "--", "/bin/ls", "-al", "/dev"], "dom", ["/bin/ls", "-al", "/dev"], False),
        (["dom", "--noseclabel", "--", "sh", "-c", "echo -- x"], "dom", ["sh", "-c", "echo -- x"], True),
        (["dom", "/bin/true"], "dom", ["/bin/true"], False),
        (["--domain", "dom", "--", "--looks-like-an-option"], "dom", ["--looks-like-an-option"], False),
    ],
)
def test_rest_argument_takes_the_remaining_words(
    args: list[str], domain: str, cmd: list[str], noseclabel: bool
) -> None:
    parsed = parse_command(ENTER, args)
    assert (parsed.domain, parsed.cmd, parsed.noseclabel) == (domain, cmd, noseclabel)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["dom"], "command 'lxc-enter-namespace' requires <cmd> option"),
        (["dom", "--"], "command 'lxc-enter-namespace' requires <cmd> option"),
        (["dom", "/bin/ls", "-al"], "command 'lxc-enter-namespace' doesn't support option -al"),
    ],
)
def test_rest_argument_errors(args: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_command(ENTER, args)


def test_rest_argument_must_be_last_and_alone() -> None:
    from virt.cli.registry import CommandRegistry

    with pytest.raises(ValueError, match="takes the remaining words"):
        Argument("cmd", rest=True, positional=True)
    with pytest.raises(ValueError, match="the last one"):
        CommandRegistry().add("x", noop, help="x", arguments=[Argument("cmd", rest=True), Argument("--y", flag=True)])
