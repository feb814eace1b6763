"""Plain session URIs of a driver registered with ``session_daemon=True`` go to the user's virtd,
started on demand; ``VIRT_DAEMON=never`` / ``daemon = "never"`` keep them in-process.

The driver is a throwaway plugin (``sess:///session``, the test driver's shared default host under
another scheme) installed as a distribution on PYTHONPATH, so that the clients and the virtd they
start all load it. Clients run as subprocesses: each is a program of the user, as with libvirt.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import virt
from virt.errors import VirtError

PLUGIN = '''
from virt.drivers.test.connection import TestConnection
from virt.hookspecs import hookimpl


class SessionTestConnection(TestConnection):
    """The test driver's shared default host, under the scheme sess:///session."""

    def __init__(self, uri, *, readonly=False):
        import attrs

        super().__init__(attrs.evolve(uri, scheme="test", path="/default"), readonly=readonly)


@hookimpl
def register_drivers(register):
    register("sess", schemes=["sess"], connection=SessionTestConnection, session_daemon=True)
'''

CLIENT = """
import json, sys, virt
conn = virt.open(sys.argv[1])
if "define" in sys.argv[2:]:
    conn.define_domain('''<domain type='test'><name>kept</name>
        <memory unit='KiB'>1024</memory><os><type>hvm</type></os></domain>''')
print(json.dumps({"driver": type(conn.driver).__name__, "domains": sorted(d.name for d in conn.list_domains())}))
sys.stdout.flush()
if "hold" in sys.argv[2:]:
    sys.stdin.readline()  # stay connected until told
conn.close()
"""


@pytest.fixture
def user(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a user with the plugin installed and their own runtime and cache folders;
    whatever virtd their programs start is stopped afterwards."""
    site = tmp_path / "site"
    (site / "virt_sesstest.py").parent.mkdir(parents=True)
    (site / "virt_sesstest.py").write_text(PLUGIN)
    info = site / "virt_sesstest-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: virt-sesstest\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[virt.drivers]\nsesstest = virt_sesstest\n")
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = dict(os.environ)
    env.pop("VIRT_DAEMON", None)
    env.update(
        PYTHONPATH=str(site),
        VIRT_LOAD_PLUGINS="sesstest",
        XDG_RUNTIME_DIR=str(runtime),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        VIRT_CONFIG=str(tmp_path / "virt.toml"),
    )
    yield env
    pid_file = runtime / "virt" / "virtd.pid"
    with contextlib.suppress(OSError, ValueError):
        pid = int(pid_file.read_text())
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.02)


def client(env: dict[str, str], *args: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", CLIENT, "sess:///session", *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def daemon_pid(env: dict[str, str]) -> int | None:
    try:
        return int((Path(env["XDG_RUNTIME_DIR"]) / "virt" / "virtd.pid").read_text())
    except (OSError, ValueError):
        return None


def test_a_session_uri_starts_the_users_virtd_and_programs_share_it(user: dict[str, str]) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", CLIENT, "sess:///session", "define", "hold"],
        env=user, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        first = json.loads(holder.stdout.readline() or "null")
        assert first == {"driver": "RemoteConnection", "domains": ["kept", "test"]}
        pid = daemon_pid(user)
        assert pid is not None
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert b"--session" in command
        assert command[command.index(b"--timeout") + 1] == b"120"
        # another program sees the domain the first defined: it lives in the daemon, not in a client
        assert client(user) == {"driver": "RemoteConnection", "domains": ["kept", "test"]}
        assert daemon_pid(user) == pid  # the same daemon, not a second one
    finally:
        holder.communicate("\n", timeout=30)
    assert holder.returncode == 0


def test_programs_starting_the_daemon_together_share_one(user: dict[str, str]) -> None:
    clients = [
        subprocess.Popen(
            [sys.executable, "-c", CLIENT, "sess:///session"],
            env=user,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [c.communicate(timeout=60) for c in clients]
    assert [c.returncode for c in clients] == [0, 0, 0], outputs
    assert all(json.loads(out)["driver"] == "RemoteConnection" for out, _ in outputs)
    pid = daemon_pid(user)
    assert pid is not None and Path(f"/proc/{pid}").exists()


def test_virt_daemon_never_keeps_the_driver_in_process(user: dict[str, str]) -> None:
    assert client({**user, "VIRT_DAEMON": "never"}, "define") == {
        "driver": "SessionTestConnection",
        "domains": ["kept", "test"],
    }
    assert daemon_pid(user) is None
    assert not (Path(user["XDG_RUNTIME_DIR"]) / "virt" / "virtd-sock").exists()


def test_virt_toml_daemon_never_keeps_the_driver_in_process(user: dict[str, str]) -> None:
    Path(user["VIRT_CONFIG"]).write_text('daemon = "never"\n')
    assert client(user)["driver"] == "SessionTestConnection"
    assert daemon_pid(user) is None


def test_other_uris_of_the_driver_stay_in_process(user: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CLIENT.replace("sys.argv[1]", "'sess:///system'")],
        env=user, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert json.loads(result.stdout)["driver"] == "SessionTestConnection"
    assert daemon_pid(user) is None


def test_a_bad_policy_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from virt.remote.session import daemon_policy

    monkeypatch.setenv("VIRT_DAEMON", "sometimes")
    with pytest.raises(VirtError, match=r"VIRT_DAEMON or virt\.toml's daemon is 'sometimes'"):
        daemon_policy({})


def test_without_virtd_installed_the_driver_opens_in_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, register_plugin: object
) -> None:
    from virt.drivers.test.connection import TestConnection
    from virt.hookspecs import hookimpl
    from virt.remote import session

    class SessionTest(TestConnection):
        def __init__(self, uri: virt.uri.URI, *, readonly: bool = False) -> None:
            super().__init__(virt.uri.parse("test:///default"), readonly=readonly)

    class Plugin:
        @hookimpl
        def register_drivers(self, register: virt.registry.DriverRegistry) -> None:
            register("sess", schemes=["sess"], connection=SessionTest, session_daemon=True)

    register_plugin(Plugin())  # type: ignore[operator]
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.delenv("VIRT_DAEMON", raising=False)
    monkeypatch.setattr(session, "virtd_command", lambda: None)
    with virt.open("sess:///session") as conn:
        assert isinstance(conn.driver, SessionTest)
