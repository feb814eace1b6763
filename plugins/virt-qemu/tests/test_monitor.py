"""The QMP client against a real QEMU, and against fake servers that misbehave."""

from __future__ import annotations

import json
import shutil
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from virt.errors import ErrorDomain, ErrorNumber
from virt.testing import missing_dependency
from virt_qemu import monitor as monitor_module
from virt_qemu.monitor import Monitor, MonitorClosed, QMPError

QEMU = "qemu-system-x86_64"
GREETING = b'{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": []}}\n'


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """Unix socket paths are limited to 107 bytes, which pytest's tmp_path can exceed."""
    with tempfile.TemporaryDirectory(prefix="vq-") as folder:
        yield Path(folder)


@pytest.fixture
def qemu(short_dir: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    if shutil.which(QEMU) is None:
        missing_dependency(f"{QEMU} is not installed")
    sock = short_dir / "qmp.sock"
    argv = [QEMU, "-S", "-machine", "none", "-nodefaults", "-display", "none"]
    proc = subprocess.Popen(
        [*argv, "-qmp", f"unix:{sock},server=on,wait=off"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield proc, sock
    finally:
        proc.kill()
        proc.wait(10)


@pytest.fixture
def mon(qemu: tuple[subprocess.Popen[bytes], Path]) -> Iterator[Monitor]:
    m = Monitor.connect(qemu[1], timeout=10)
    yield m
    m.close()


def _qmp_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("qmp-")]


# -- a real QEMU --------------------------------------------------------------------------------


def test_execute_and_version(mon: Monitor) -> None:
    assert mon.version[0] >= 2
    status = mon.execute("query-status")
    assert status["status"] == "prelaunch" and status["running"] is False
    names = {c["name"] for c in mon.execute("query-commands")}
    assert {"qmp_capabilities", "query-status", "quit"} <= names
    # arguments travel
    devices = {t["name"] for t in mon.execute("qom-list-types", {"implements": "device", "abstract": False})}
    assert "virtio-blk-pci" in devices and "pc-q35-7.2-machine" not in devices


def test_error_reply(mon: Monitor) -> None:
    with pytest.raises(QMPError) as info:
        mon.execute("no-such-command")
    err = info.value
    assert not isinstance(err, MonitorClosed)
    assert err.error_class == "CommandNotFound"
    assert "CommandNotFound" in err.message and "no-such-command" in err.message
    assert err.code == ErrorNumber.OPERATION_FAILED and err.domain == ErrorDomain.QEMU
    with pytest.raises(QMPError, match=r"GenericError|Invalid parameter|Parameter"):
        mon.execute("qom-list-types", {"bogus": 1})
    assert mon.execute("query-status")["status"] == "prelaunch"  # the session survives errors


def test_events(mon: Monitor) -> None:
    seen: list[tuple[str, dict[str, Any], float]] = []
    arrived = threading.Event()

    def record(name: str, data: dict[str, Any], ts: float) -> None:
        seen.append((name, data, ts))
        if name == "STOP":
            arrived.set()

    mon.on_event(record)
    mon.execute("cont")
    mon.execute("stop")
    assert arrived.wait(5)
    names = [name for name, _, _ in seen]
    assert names[:2] == ["RESUME", "STOP"]
    assert abs(seen[0][2] - time.time()) < 60


def test_blocked_event_callback_does_not_block_execute(mon: Monitor) -> None:
    release = threading.Event()
    entered = threading.Event()

    def stuck(name: str, data: dict[str, Any], ts: float) -> None:
        entered.set()
        release.wait(10)

    def failing(name: str, data: dict[str, Any], ts: float) -> None:
        raise RuntimeError("a buggy listener")

    mon.on_event(failing)
    mon.on_event(stuck)
    mon.execute("cont")
    assert entered.wait(5)
    mon.execute("stop")  # more events queue up behind the stuck callback
    assert mon.execute("query-status")["status"] == "paused"
    release.set()


def test_qemu_exit_closes(qemu: tuple[subprocess.Popen[bytes], Path], mon: Monitor) -> None:
    closed = threading.Event()
    calls: list[str] = []
    events: list[str] = []
    mon.on_event(lambda name, data, ts: events.append(name))
    mon.on_close(lambda: (calls.append("close"), closed.set()))
    mon.execute("quit")
    assert closed.wait(5)
    assert set(events) <= {"SHUTDOWN"}  # QEMU may exit before flushing it
    with pytest.raises(MonitorClosed):
        mon.execute("query-status")
    late: list[str] = []
    mon.on_close(lambda: late.append("late"))  # registered after the end: runs at once
    assert late == ["late"]
    mon.close()
    assert calls == ["close"]


def test_killed_qemu_fails_command_in_flight(qemu: tuple[subprocess.Popen[bytes], Path], mon: Monitor) -> None:
    proc = qemu[0]
    proc.kill()
    proc.wait(5)
    with pytest.raises(MonitorClosed):
        for _ in range(100):  # the first command may race the reader noticing EOF
            mon.execute("query-status", timeout=5)
            time.sleep(0.02)


def test_close_leaves_no_threads(qemu: tuple[subprocess.Popen[bytes], Path]) -> None:
    before = set(_qmp_threads())
    m = Monitor.connect(qemu[1])
    calls: list[int] = []
    m.on_close(lambda: calls.append(1))
    m.close()
    m.close()  # idempotent
    assert set(_qmp_threads()) == before
    assert calls == [1]
    with pytest.raises(MonitorClosed):
        m.execute("query-status")
    # QEMU is still there and accepts the next client
    with Monitor.connect(qemu[1]) as again:
        assert again.execute("query-status")["running"] is False


def test_concurrent_execute(mon: Monitor) -> None:
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(20):
                assert mon.execute("query-status")["status"] == "prelaunch"
                assert isinstance(mon.execute("query-name"), dict)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert errors == []


# -- fake servers -------------------------------------------------------------------------------


class _Server:
    """A one-connection unix socket server whose behaviour is a function of the connection."""

    def __init__(self, path: Path, behaviour: Callable[[socket.socket], None]) -> None:
        behave = behaviour

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                behave(self.request)

        self.server = socketserver.ThreadingUnixStreamServer(str(path), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def fake(short_dir: Path) -> Iterator[Callable[[Callable[[socket.socket], None]], Path]]:
    servers: list[_Server] = []
    path = short_dir / "fake.sock"

    def start(behaviour: Callable[[socket.socket], None]) -> Path:
        servers.append(_Server(path, behaviour))
        return path

    yield start
    for server in servers:
        server.stop()


def _read_command(conn: socket.socket) -> dict[str, Any]:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(4096)
        if not chunk:
            raise EOFError
        data += chunk
    return dict(json.loads(data))


def _negotiate(conn: socket.socket) -> None:
    conn.sendall(GREETING)
    command = _read_command(conn)
    assert command["execute"] == "qmp_capabilities"
    conn.sendall(json.dumps({"return": {}, "id": command["id"]}).encode() + b"\n")


def _hold(conn: socket.socket) -> None:
    """Keep the connection open, reading and ignoring, until the client goes."""
    conn.settimeout(10)
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass


def test_fake_greeting_and_version(fake: Callable[..., Path]) -> None:
    path = fake(lambda conn: (_negotiate(conn), _hold(conn)))
    with Monitor.connect(path, timeout=5) as m:
        assert m.version == (7, 2, 0)


def test_server_that_never_answers(fake: Callable[..., Path]) -> None:
    path = fake(lambda conn: (_negotiate(conn), _hold(conn)))
    m = Monitor.connect(path, timeout=5)
    start = time.monotonic()
    with pytest.raises(QMPError) as info:
        m.execute("query-status", timeout=0.3)
    assert time.monotonic() - start < 2
    assert info.value.code == ErrorNumber.OPERATION_TIMEOUT
    assert not isinstance(info.value, MonitorClosed)
    m.close()


def test_late_reply_is_not_taken_for_the_next_command(fake: Callable[..., Path]) -> None:
    def behaviour(conn: socket.socket) -> None:
        _negotiate(conn)
        first = _read_command(conn)
        second = _read_command(conn)  # answer the first only after the client gave up on it
        conn.sendall(json.dumps({"return": "first", "id": first["id"]}).encode() + b"\n")
        conn.sendall(json.dumps({"return": "second", "id": second["id"]}).encode() + b"\n")
        _hold(conn)

    with Monitor.connect(fake(behaviour), timeout=5) as m:
        with pytest.raises(QMPError):
            m.execute("one", timeout=0.2)
        assert m.execute("two", timeout=5) == "second"


def test_no_greeting_times_out(fake: Callable[..., Path]) -> None:
    path = fake(_hold)
    before = set(_qmp_threads())
    start = time.monotonic()
    with pytest.raises(QMPError, match="greeting"):
        Monitor.connect(path, timeout=0.5)
    assert time.monotonic() - start < 3
    assert set(_qmp_threads()) == before


def test_capabilities_never_answered(fake: Callable[..., Path]) -> None:
    path = fake(lambda conn: (conn.sendall(GREETING), _hold(conn)))
    with pytest.raises(QMPError):
        Monitor.connect(path, timeout=0.5)


@pytest.mark.parametrize(
    "garbage",
    [
        b"this is not json\n",
        b"[1, 2, 3]\n",
        b"\xff\xfe\x00garbage\n",
        b"[" * 100000 + b"\n",
    ],
)
def test_garbled_reply(fake: Callable[..., Path], garbage: bytes) -> None:
    def behaviour(conn: socket.socket) -> None:
        _negotiate(conn)
        _read_command(conn)
        conn.sendall(garbage)
        _hold(conn)

    m = Monitor.connect(fake(behaviour), timeout=5)
    closed = threading.Event()
    m.on_close(closed.set)
    with pytest.raises(MonitorClosed):
        m.execute("query-status", timeout=5)
    assert closed.wait(5)
    m.close()


def test_bad_greeting(fake: Callable[..., Path]) -> None:
    path = fake(lambda conn: (conn.sendall(b'{"QMP": {"version": "seven"}}\n'), _hold(conn)))
    with pytest.raises(MonitorClosed, match="greeting"):
        Monitor.connect(path, timeout=5)


def test_oversized_line(fake: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(monitor_module, "MAX_LINE_BYTES", 1000)

    def behaviour(conn: socket.socket) -> None:
        _negotiate(conn)
        _read_command(conn)
        conn.sendall(b'{"return": "' + b"x" * 5000)  # and never a newline
        _hold(conn)

    with Monitor.connect(fake(behaviour), timeout=5) as m, pytest.raises(MonitorClosed, match="longer"):
        m.execute("query-status", timeout=5)


def test_events_from_fake_server(fake: Callable[..., Path]) -> None:
    def behaviour(conn: socket.socket) -> None:
        _negotiate(conn)
        command = _read_command(conn)
        conn.sendall(
            b'{"event": "STOP", "data": {}, "timestamp": {"seconds": 10, "microseconds": 500000}}\n'
            b'{"event": "X", "data": "not an object"}\n'
            b'{"something": "unexpected"}\n' + json.dumps({"return": 1, "id": command["id"]}).encode() + b"\n"
        )
        _read_command(conn)  # quit: hang up without a reply, as QEMU sometimes does

    got: list[tuple[str, dict[str, Any], float]] = []
    order: list[str] = []
    done = threading.Event()

    def record(name: str, data: dict[str, Any], ts: float) -> None:
        got.append((name, data, ts))
        order.append(name)

    with Monitor.connect(fake(behaviour), timeout=5) as m:
        m.on_event(record)
        m.on_close(lambda: (order.append("closed"), done.set()))
        assert m.execute("anything") == 1
        assert m.execute("quit") is None  # the fake hangs up instead of answering
        assert done.wait(5)
    assert got[0] == ("STOP", {}, 10.5)
    assert got[1][:2] == ("X", {})
    assert order == ["STOP", "X", "closed"]  # events before the end reach listeners before on_close


def test_connect_missing_socket(short_dir: Path) -> None:
    start = time.monotonic()
    with pytest.raises(MonitorClosed, match="cannot connect"):
        Monitor.connect(short_dir / "nothing.sock", timeout=0.3)
    assert time.monotonic() - start < 2


def test_connect_waits_for_the_socket(fake: Callable[..., Path], short_dir: Path) -> None:
    path = short_dir / "fake.sock"
    timer = threading.Timer(0.3, lambda: fake(lambda conn: (_negotiate(conn), _hold(conn))))
    timer.start()
    try:
        with Monitor.connect(path, timeout=5) as m:
            assert m.version == (7, 2, 0)
    finally:
        timer.join()
