"""How a remote URI becomes a transport: the daemon's URI, default sockets, ssh's command line, bad input."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest
import virt
from virt.errors import ConnectionError, InvalidArgument, NotSupported
from virt.remote import transport
from virt.uri import parse


@pytest.mark.parametrize(
    ("uri", "name"),
    [
        ("qemu+ssh://root@host/system", "qemu:///system"),
        ("test+unix:///default?socket=/x/sock&timeout=3", "test:///default"),
        ("qemu://host:16514/system?no_verify=1&pkipath=/p", "qemu:///system"),
        ("test+tcp://host/default?name=test:///other", "test:///other"),
        ("qemu+ssh://host/session?mode=legacy&backend=foo", "qemu:///session?backend=foo"),
        ("remote+unix:///", ""),
    ],
)
def test_the_daemon_opens_the_uri_without_what_only_the_client_needs(uri: str, name: str) -> None:
    assert transport.remote_name(parse(uri)) == name


@pytest.mark.parametrize(
    ("uri", "kind"),
    [("qemu+unix:///system", "unix"), ("qemu://host/system", "tls"), ("test+tcp://h/default", "tcp")],
)
def test_the_transport_defaults_to_tls_with_a_host_and_unix_without(uri: str, kind: str) -> None:
    assert transport.transport_name(parse(uri)) == kind


def test_system_sockets_prefer_virtd_then_libvirts_per_driver_daemon_then_libvirtd() -> None:
    candidates = transport.unix_socket_candidates(parse("qemu+unix:///system"), readonly=False)
    assert [str(p) for p in candidates] == [
        "/run/virt/virtd-sock",
        "/run/libvirt/virtqemud-sock",
        "/run/libvirt/libvirt-sock",
    ]
    readonly = transport.unix_socket_candidates(parse("qemu+unix:///system"), readonly=True)
    assert [p.name for p in readonly] == ["virtd-sock-ro", "virtqemud-sock-ro", "libvirt-sock-ro"]
    legacy = transport.unix_socket_candidates(parse("qemu+unix:///system?mode=legacy"), readonly=False)
    assert [str(p) for p in legacy] == ["/run/libvirt/libvirt-sock"]
    direct = transport.unix_socket_candidates(parse("qemu+unix:///system?mode=direct"), readonly=False)
    assert [str(p) for p in direct] == ["/run/libvirt/virtqemud-sock"]


def test_session_sockets_live_in_the_users_runtime_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    candidates = transport.unix_socket_candidates(parse("qemu+unix:///session"), readonly=True)
    assert candidates == [
        tmp_path / "virt" / "virtd-sock",
        tmp_path / "libvirt" / "virtqemud-sock",
        tmp_path / "libvirt" / "libvirt-sock",
    ]
    # the first that exists wins; none existing, the error names virtd's
    assert transport.default_unix_socket(parse("qemu+unix:///session"), readonly=False) == candidates[0]
    (tmp_path / "libvirt").mkdir()
    (tmp_path / "libvirt" / "libvirt-sock").touch()
    assert transport.default_unix_socket(parse("qemu+unix:///session"), readonly=False) == candidates[2]


def test_without_a_runtime_folder_session_sockets_live_under_the_home_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert transport.unix_socket_candidates(parse("qemu+unix:///session"), readonly=False) == [
        tmp_path / ".cache" / "virt" / "run" / "virtd-sock",  # where virtd --session listens then
        tmp_path / ".cache" / "libvirt" / "virtqemud-sock",
        tmp_path / ".cache" / "libvirt" / "libvirt-sock",
    ]


def test_ssh_runs_libvirts_command_line() -> None:
    argv = transport.ssh_argv(
        parse("qemu+ssh://fred@somehost:9000/system?socket=/tmp/socket&netcat=netcat&no_tty=1&keyfile=/k"),
        readonly=False,
    )
    assert argv[:-1] == ["ssh", "-p", "9000", "-l", "fred", "-i", "/k", "-T", "-e", "none", "-o", "BatchMode=yes",
                         "--", "somehost"]  # fmt: skip
    assert argv[-1] == (
        'sh -c \'if netcat -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0; else ARG=; fi;'
        " netcat $ARG -U /tmp/socket'"
    )


def test_ssh_options_for_host_keys_and_another_ssh_binary() -> None:
    argv = transport.ssh_argv(
        parse("test+ssh://h/default?command=/opt/ssh&no_verify=1&known_hosts=/kh&socket=/s"), readonly=False
    )
    assert argv[0] == "/opt/ssh"
    assert argv[argv.index("--") - 4 : argv.index("--")] == [
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/kh",
    ]  # fmt: skip


def test_ssh_native_proxy_runs_virt_ssh_helper_read_only_when_asked() -> None:
    argv = transport.ssh_argv(parse("qemu+ssh://h/system?proxy=native"), readonly=True)
    assert shlex.split(argv[-1]) == ["sh", "-c", "virt-ssh-helper -r qemu:///system"]
    with pytest.raises(InvalidArgument, match="netcat path not valid with native proxy mode"):
        transport.ssh_argv(parse("qemu+ssh://h/system?proxy=native&netcat=nc"), readonly=False)


def run_remote_script(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """What the remote host's shell does with the command ssh hands it (``sh -c '...'``)."""
    return subprocess.run(["/bin/sh", "-c", argv[-1]], env=env, capture_output=True, text=True, timeout=10, check=False)


def test_ssh_auto_proxy_picks_the_first_daemon_socket_on_the_remote_host(tmp_path: Path) -> None:
    # The remote script decides there; run it here with a fake nc that says which socket it got.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_nc = bin_dir / "nc"
    fake_nc.write_text('#!/bin/sh\nfor last; do :; done\necho "nc to $last"\n')
    fake_nc.chmod(0o755)
    runtime = tmp_path / "run"
    (runtime / "libvirt").mkdir(parents=True)
    import socket

    with socket.socket(socket.AF_UNIX) as libvirt_socket:
        libvirt_socket.bind(str(runtime / "libvirt" / "libvirt-sock"))
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "XDG_RUNTIME_DIR": str(runtime), "HOME": str(tmp_path)}
        result = run_remote_script(transport.ssh_argv(parse("qemu+ssh://h/session"), readonly=False), env)
        assert result.stdout.strip() == f"nc to {runtime}/libvirt/libvirt-sock"
        # without XDG_RUNTIME_DIR on the remote host, its user's virtd listens under ~/.cache/virt/run
        (tmp_path / ".cache" / "virt" / "run").mkdir(parents=True)
        with socket.socket(socket.AF_UNIX) as home_socket:
            home_socket.bind(str(tmp_path / ".cache" / "virt" / "run" / "virtd-sock"))
            no_runtime = {"PATH": env["PATH"], "HOME": str(tmp_path)}
            result = run_remote_script(transport.ssh_argv(parse("qemu+ssh://h/session"), readonly=False), no_runtime)
            assert result.stdout.strip() == f"nc to {tmp_path}/.cache/virt/run/virtd-sock"
        (runtime / "virt").mkdir()
        with socket.socket(socket.AF_UNIX) as virtd_socket:
            virtd_socket.bind(str(runtime / "virt" / "virtd-sock"))
            result = run_remote_script(transport.ssh_argv(parse("qemu+ssh://h/session"), readonly=False), env)
            assert result.stdout.strip() == f"nc to {runtime}/virt/virtd-sock"


def test_ssh_auto_proxy_without_any_daemon_says_so(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"  # a host with a shell and nothing else: no daemon, no virt-ssh-helper
    bin_dir.mkdir()
    (bin_dir / "sh").symlink_to("/bin/sh")
    env = {"PATH": str(bin_dir), "XDG_RUNTIME_DIR": str(tmp_path), "HOME": str(tmp_path)}
    result = run_remote_script(transport.ssh_argv(parse("qemu+ssh://h/session"), readonly=False), env)
    assert result.returncode == 1
    assert "no virtd or libvirt daemon socket on this host" in result.stderr


@pytest.mark.parametrize(
    ("uri", "error", "words"),
    [
        ("test+libssh2://h/default", NotSupported, "transport 'libssh2' is not supported"),
        ("test+carrier-pigeon://h/default", InvalidArgument, "transport in URL not recognised"),
        ("test+ext:///default", InvalidArgument, "needs a command parameter"),
        ("test+ssh:///default", InvalidArgument, "names no host"),
        ("test+unix://host/default", InvalidArgument, "takes no host"),
        ("test+unix:///default?socket=/nonexistent/sock", ConnectionError,
         "Failed to connect socket to '/nonexistent/sock': No such file or directory"),
        ("test+unix:///default?socket=/x&timeout=soon", InvalidArgument, "timeout='soon' is not a number"),
        ("test+unix:///default?mode=sideways", InvalidArgument, "unknown remote mode 'sideways'"),
        ("test+tls://localhost/default?pkipath=/nonexistent", ConnectionError, "cacert.pem in pkipath /nonexistent"),
        ("test+tcp://127.0.0.1:1/default", ConnectionError, "unable to connect to server at '127.0.0.1:1'"),
        ("test+ssh://h/default?no_tty=maybe", InvalidArgument, "no_tty='maybe' is not a number"),
    ],
)  # fmt: skip
def test_bad_remote_uris_fail_with_a_clear_error(uri: str, error: type[Exception], words: str) -> None:
    with pytest.raises(error) as caught:
        virt.open(uri)
    assert words in str(caught.value)


def test_a_missing_ssh_command_is_reported() -> None:
    with pytest.raises(ConnectionError, match="cannot run '/nonexistent/ssh'"):
        virt.open("test+ssh://somehost/default?command=/nonexistent/ssh")
