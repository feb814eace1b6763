"""Every failure is ``error: ...`` on standard error, exit status 1, and never a traceback."""

from __future__ import annotations

import argparse

import pytest
import virt
from cli_helpers import RegisterPlugin, Run
from virt.cli import main as main_module
from virt.cli.context import Context
from virt.cli.registry import CommandRegistry


def test_unknown_domain(virt: Run) -> None:
    assert virt("dominfo", "nope") == (1, "\n", "error: failed to get domain 'nope'\n")


def test_unknown_command(virt: Run) -> None:
    assert virt("bogus") == (1, "", "error: unknown command: 'bogus'\n")


def test_bad_option(virt: Run) -> None:
    assert virt("list", "--bogus") == (1, "", "error: command 'list' doesn't support option --bogus\n")


def test_missing_argument(virt: Run) -> None:
    assert virt("dominfo") == (1, "", "error: command 'dominfo' requires <domain> option\n")


def test_parse_error_runs_nothing(virt: Run) -> None:
    assert virt("suspend test; bogus") == (1, "", "error: unknown command: 'bogus'\n")


def test_status_is_the_last_command_s(virt: Run) -> None:
    assert virt("domid nope; domid test").status == 0
    assert virt("domid test; domid nope").status == 1


@pytest.mark.parametrize(
    ("uri", "detail"),
    [("foo:///bar", "no connection driver available for foo:///bar"), ("xx", "URI 'xx' has no '://'")],
)
def test_bad_uri(virt: Run, uri: str, detail: str) -> None:
    result = virt("list", uri=uri)
    assert result.status == 1
    first, second = result.err.splitlines()
    assert first == "error: failed to connect to the hypervisor"
    assert second.startswith(f"error: {detail}")


def test_bad_global_option(virt: Run) -> None:
    assert virt("-x", uri=None) == (1, "", "error: unsupported option '-x'. See --help.\n")


def _explode(ctx: Context, args: argparse.Namespace) -> None:
    raise RuntimeError("boom")


def _interrupt(ctx: Context, args: argparse.Namespace) -> None:
    raise KeyboardInterrupt


class FailingCommands:
    @virt.hookimpl
    def register_commands(self, commands: CommandRegistry) -> None:
        commands.add("explode", _explode, help="fail unexpectedly")
        commands.add("interrupt", _interrupt, help="act as if Ctrl-C was pressed")


def test_unexpected_exception_is_an_internal_error(virt: Run, register_plugin: RegisterPlugin) -> None:
    register_plugin(FailingCommands())
    assert virt("explode") == (1, "", "error: internal error: RuntimeError: boom\n")


def test_keyboard_interrupt(virt: Run, register_plugin: RegisterPlugin) -> None:
    register_plugin(FailingCommands())
    result = virt("interrupt")
    assert result.status == 130
    assert result.err == "error: interrupted\n"


def test_internal_error_traceback_only_when_debugging(
    virt: Run,
    register_plugin: RegisterPlugin,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    register_plugin(FailingCommands())
    monkeypatch.setenv("VIRT_DEBUG", "1")
    assert main_module.main(["explode"]) == 1
    assert "Traceback" in capsys.readouterr().err
