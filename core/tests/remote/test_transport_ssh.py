"""The ssh transport with a fake ``ssh`` that simulates the hop: it takes ssh's options, then runs the
remote command here with ``sh -c`` as sshd would on the remote host. Everything after the hop
(the remote command line, netcat to the daemon's socket, the protocol over the pipes) is real."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import virt
from remote_daemons import DAEMONS, Daemon, start_daemon
from virt.errors import ConnectionError
from virt.testing import missing_dependency
from virt.testing.fakessh import write_fake_ssh


@pytest.fixture
def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake ``ssh`` first on PATH; returns it (its calls land in ssh-calls.log beside it)."""
    if shutil.which("nc") is None:
        missing_dependency("nc (netcat-openbsd) is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = write_fake_ssh(bin_dir)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path('/usr/bin')}:{Path('/bin')}")
    return program


def ssh_calls(program: Path) -> list[list[str]]:
    log = program.parent / "ssh-calls.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture(params=DAEMONS)
def daemon(request: pytest.FixtureRequest) -> Iterator[Daemon]:
    with start_daemon(request.param) as running:
        yield running


def test_ssh_reaches_the_daemon_through_netcat(daemon: Daemon, fake_ssh: Path) -> None:
    uri = f"test+ssh://admin@somehost:2222/default?socket={daemon.socket}"
    with virt.open(uri) as conn:
        test = conn.lookup_domain_by_name("test")
        test.suspend()
        assert test.state().state == virt.DomainState.PAUSED
        assert [d.name for d in conn.list_domains(states=[virt.DomainState.PAUSED])] == ["test"]
    (argv,) = ssh_calls(fake_ssh)
    assert argv[: argv.index("--")] == ["-p", "2222", "-l", "admin", "-T", "-e", "none", "-o", "BatchMode=yes"]
    assert argv[argv.index("--") + 1] == "somehost"
    assert f"-U {daemon.socket}" in argv[-1]


def test_ssh_events_flow_back_over_the_pipes(daemon: Daemon, fake_ssh: Path) -> None:
    import threading

    arrived = threading.Event()
    seen: list[str] = []
    with virt.open(f"test+ssh://somehost/default?socket={daemon.socket}") as conn:
        conn.add_domain_event_callback(lambda dom, event: (seen.append(event.description), arrived.set()))
        with virt.open(daemon.uri()) as other:
            other.lookup_domain_by_name("test").destroy()
        assert arrived.wait(10)
    assert seen and "Stopped" in seen[0]


def test_the_command_parameter_names_the_ssh_program(daemon: Daemon, fake_ssh: Path, tmp_path: Path) -> None:
    other = tmp_path / "my-ssh"
    shutil.copy(fake_ssh, other)
    with virt.open(f"test+ssh://somehost/default?socket={daemon.socket}&command={other}&keyfile=/k/id") as conn:
        assert conn.hostname()
    (argv,) = json.loads("[" + (tmp_path / "ssh-calls.log").read_text().strip() + "]")
    assert argv[:2] == ["-i", "/k/id"]
    assert ssh_calls(fake_ssh) == []  # the one on PATH was not used


def test_ssh_failure_reports_what_ssh_said(fake_ssh: Path) -> None:
    with pytest.raises(ConnectionError) as caught:
        virt.open("test+ssh://nosuchhost/default?socket=/run/x")
    assert "Could not resolve hostname nosuchhost" in caught.value.message


def test_a_missing_remote_socket_is_reported(fake_ssh: Path, tmp_path: Path) -> None:
    with pytest.raises(ConnectionError) as caught:
        virt.open(f"test+ssh://somehost/default?socket={tmp_path}/no-sock")
    assert "End of file while reading data from ssh somehost" in caught.value.message
    assert "no-sock" in caught.value.message  # nc's complaint about the missing socket


def test_the_ext_transport_runs_the_command_given(daemon: Daemon) -> None:
    if shutil.which("nc") is None:
        missing_dependency("nc (netcat-openbsd) is not installed")
    from urllib.parse import quote

    with virt.open(f"test+ext:///default?command={quote(f'nc -U {daemon.socket}')}") as conn:
        assert [d.name for d in conn.list_domains()] == ["test"]
