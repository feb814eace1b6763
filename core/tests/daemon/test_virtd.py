"""The virtd process: signals and exit status, the socket-folder lock, bad settings, idle timeout,
pid file, socket activation; and end to end with Debian's virsh: TLS with certificates made here
(an unknown client certificate refused) and a non-root user on the read-only socket."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from virt.daemon.testing import start_virtd, stop_virtd, virtd_command
from virt.testing import TestPKI, make_test_pki, missing_dependency

TEST_USER = "virt-test-user"


def virsh(uri: str, *args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
    if shutil.which("virsh") is None:
        missing_dependency("virsh is not installed (libvirt-clients)")
    command = ["virsh", "-q", "-c", uri, *args]
    if user is not None:
        command = ["runuser", "-u", user, "--", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def empty_config(folder: Path) -> str:
    path = folder / "virtd.toml"
    path.touch()
    return str(path)


def run_virtd(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*virtd_command(), *args], capture_output=True, text=True, timeout=timeout, check=False)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_closes_clients_and_exits_0_leaving_nothing_behind(sig: signal.Signals) -> None:
    with start_virtd() as daemon:
        client = socket.socket(socket.AF_UNIX)
        client.connect(daemon.socket)
        assert stop_virtd(daemon, sig) == 0
        client.settimeout(5)
        assert client.recv(1) == b""  # the server closed our connection
        client.close()
        assert sorted(os.listdir(daemon.socket_dir)) == []
        assert "Traceback" not in daemon.output()


def test_a_second_virtd_on_the_same_folder_names_the_first(tmp_path: Path) -> None:
    with start_virtd() as daemon:
        result = run_virtd("--session", "--socket-dir", str(daemon.socket_dir), "--config", empty_config(tmp_path))
        assert result.returncode == 1
        assert f"another virtd (pid {daemon.pid}) is already serving {daemon.socket_dir}" in result.stderr
        assert "Traceback" not in result.stderr
        assert virsh(daemon.uri(), "domstate", "test").stdout.strip() == "running"  # the first one is untouched


def test_bad_settings_exit_1_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "virtd.toml"
    config.write_text("max_clients = 0\n")
    result = run_virtd("--session", "--socket-dir", str(tmp_path / "s"), "--config", str(config))
    assert result.returncode == 1
    assert result.stderr == f"virtd: error: {config}: max_clients must be a positive integer, not 0\n"
    result = run_virtd("--session", "--socket-dir", str(tmp_path / "s"), "--config", str(tmp_path / "missing.toml"))
    assert (result.returncode, result.stderr.startswith("virtd: error: ")) == (1, True)
    result = run_virtd("--timeout", "soon")
    assert result.returncode == 2 and "not a number of seconds" in result.stderr


def test_tls_without_certificates_refuses_to_start(tmp_path: Path) -> None:
    config = tmp_path / "virtd.toml"
    config.write_text(f'listen_tls = true\ntls_port = 1\n[tls]\nca_file = "{tmp_path}/ca.pem"\n')
    result = run_virtd("--session", "--socket-dir", str(tmp_path / "s"), "--config", str(config))
    assert result.returncode == 1
    assert "Cannot read CA certificate (tls.ca_file)" in result.stderr
    assert not (tmp_path / "s" / "virtd-sock").exists()


def test_idle_timeout_and_pid_file(tmp_path: Path) -> None:
    pid_file = tmp_path / "virtd.pid"
    with start_virtd(args=["--timeout", "1", "--pid-file", str(pid_file)]) as daemon:
        assert pid_file.read_text() == f"{daemon.pid}\n"
        assert virsh(daemon.uri(), "domstate", "test").returncode == 0
        assert daemon.process.wait(10) == 0  # on its own, a second after the last client left
        assert not pid_file.exists()


ACTIVATOR = """
import os, socket, sys
folder, command = sys.argv[1], sys.argv[2:]
socks = [socket.socket(socket.AF_UNIX) for _ in range(2)]  # kept: a collected socket closes its fd
for index, (sock, name) in enumerate(zip(socks, ["rw", "ro"])):
    sock.bind(os.path.join(folder, name))
    os.chmod(os.path.join(folder, name), 0o777)
    sock.listen()
    os.dup2(sock.fileno(), 3 + index)
    os.set_inheritable(3 + index, True)  # dup2 onto itself keeps close-on-exec
os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS="2", LISTEN_FDNAMES="virtd.socket:virtd-ro.socket")
os.execv(command[0], command)
"""


def test_socket_activation(tmp_path: Path) -> None:
    activated, own = tmp_path / "activated", tmp_path / "own"
    activated.mkdir()
    command = [*virtd_command(), "--session", "--socket-dir", str(own), "--config", empty_config(tmp_path)]
    process = subprocess.Popen(
        [sys.executable, "-c", ACTIVATOR, str(activated), *command], stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while not (own / "virtd.pid").exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        assert virsh(f"test+unix:///default?socket={activated / 'rw'}", "domstate", "test").stdout.strip() == "running"
        denied = virsh(f"test+unix:///default?socket={activated / 'ro'}", "suspend", "test")
        assert "read only access prevents virDomainSuspend" in denied.stderr
        assert not (own / "virtd-sock").exists()  # systemd's sockets replace virtd's own
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=15)
    assert process.returncode == 0, errors


@pytest.fixture(scope="module")
def pkis(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestPKI, TestPKI]:
    folder = tmp_path_factory.mktemp("pki")
    return make_test_pki(folder / "ours"), make_test_pki(folder / "theirs", client_cn="intruder")


def test_virsh_over_tls_and_an_unknown_certificate_refused(pkis: tuple[TestPKI, TestPKI], tmp_path: Path) -> None:
    ours, theirs = pkis
    # The intruder trusts our CA (so it accepts the server) but its own certificate is another CA's.
    intruder = tmp_path / "intruder"
    intruder.mkdir()
    shutil.copy(ours.ca_cert, intruder / "cacert.pem")
    shutil.copy(theirs.client_cert, intruder / "clientcert.pem")
    shutil.copy(theirs.client_key, intruder / "clientkey.pem")
    with start_virtd(tls=ours) as daemon:
        uri = f"test+tls://localhost:{daemon.tls_port}/default?pkipath={ours.client_dir}"
        listed = virsh(uri, "list", "--all")
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.split() == ["1", "test", "running"]
        assert virsh(uri, "domstate", "test").stdout.strip() == "running"
        refused = virsh(f"test+tls://localhost:{daemon.tls_port}/default?pkipath={intruder}", "list")
        assert refused.returncode != 0
        assert "failed to connect to the hypervisor" in refused.stderr
        assert virsh(uri, "domstate", "test").returncode == 0  # and the daemon serves on


def test_virsh_over_plain_tcp() -> None:
    with start_virtd(tcp=True) as daemon:
        listed = virsh(daemon.uri("tcp"), "list", "--all")
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.split() == ["1", "test", "running"]


@pytest.fixture(scope="module")
def test_user() -> str:
    """An unprivileged account (made here when the host lacks it)."""
    if os.geteuid() != 0:
        missing_dependency("making a test user and switching to it needs root")
    if shutil.which("runuser") is None or shutil.which("useradd") is None:
        missing_dependency("runuser and useradd (util-linux, passwd) are needed")
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER],
            check=True,
            capture_output=True,
        )
    return TEST_USER


@pytest.fixture
def shared_socket_dir() -> Iterator[Path]:
    """A socket folder other users can reach (pytest's own temporary folders are private to root)."""
    parent = Path(tempfile.mkdtemp(prefix="virtd-shared-", dir="/tmp"))
    parent.chmod(0o755)
    yield parent / "sock"
    shutil.rmtree(parent, ignore_errors=True)


def test_unprivileged_user_reads_on_the_ro_socket_and_changes_nothing(test_user: str, shared_socket_dir: Path) -> None:
    with start_virtd(socket_dir=shared_socket_dir, system=True) as daemon:
        ro = daemon.uri(readonly=True)
        listed = virsh(ro, "list", "--all", user=test_user)
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.split() == ["1", "test", "running"]
        assert virsh(ro, "dominfo", "test", user=test_user).returncode == 0
        for change in (["destroy", "test"], ["suspend", "test"], ["undefine", "test"]):
            denied = virsh(ro, *change, user=test_user)
            assert denied.returncode == 1
            assert "operation forbidden: read only access prevents" in denied.stderr
        refused = virsh(daemon.uri(), "list", user=test_user)
        assert "Permission denied" in refused.stderr
        assert virsh(daemon.uri(), "domstate", "test").stdout.strip() == "running"


def test_acl_limits_a_user_to_named_operations(test_user: str, shared_socket_dir: Path) -> None:
    acl = textwrap.dedent(f"""
        [[acl.rule]]
        users = ["{test_user}"]
        allow = ["virConnect*", "virDomainLookupByName", "virDomainGetState", "virDomainGetInfo"]
        domains = ["test"]
    """)
    with start_virtd(
        socket_dir=shared_socket_dir, system=True, settings="unix_sock_rw_perms = '0777'\n" + acl
    ) as daemon:
        assert virsh(daemon.uri(), "domstate", "test", user=test_user).stdout.strip() == "running"
        denied = virsh(daemon.uri(), "suspend", "test", user=test_user)
        assert denied.returncode == 1 and "access denied" in denied.stderr


def test_virsh_answers_virtd_keepalive_and_stays_connected() -> None:
    with start_virtd(settings="keepalive_interval = 1\nkeepalive_count = 1") as daemon:
        waited = virsh(daemon.uri(), "event", "--all", "--loop", "--timeout", "4")
        # four seconds of silence from virsh's side, pinged every second: it answers, so it stays
        assert "event loop timed out" in waited.stdout
        assert waited.stderr == ""


def test_a_virtd_killed_with_sigkill_leaves_a_folder_the_next_one_takes(tmp_path: Path) -> None:
    folder = tmp_path / "sock"
    with start_virtd(socket_dir=folder) as first:
        assert virsh(first.uri(), "domstate", "test").returncode == 0
        assert stop_virtd(first, signal.SIGKILL) == -signal.SIGKILL
    assert (folder / "virtd-sock").exists()  # left behind, stale
    with start_virtd(socket_dir=folder) as second:
        assert virsh(second.uri(), "domstate", "test").stdout.strip() == "running"
        assert (folder / "virtd.pid").read_text() == f"{second.pid}\n"
