"""The QMP client against a real QEMU, and against fake servers that misbehave."""

from __future__ import annotations

import json
import shutil
import socket
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


class FakeServer:
    """A fake QMP server on a unix socket: ``behaviour(conn, receive)`` runs for each connection, in a thread.

    It never judges in its own thread (an assertion there would only end the thread, and the client
    would see a monitor that went away, which some tests expect anyway): every command it received is
    recorded (``commands``) and any exception a behaviour raised is kept, to be re-raised in the test's
    thread by :meth:`finish` (called by the test, and by the ``fake`` fixture at teardown).
    """

    def __init__(self, path: Path, behaviour: Behaviour) -> None:
        self.path = path
        self.commands: list[dict[str, Any]] = []
        self.errors: list[BaseException] = []
        self._behaviour = behaviour
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(path))
        self._listener.listen(4)
        self._listener.settimeout(0.05)
        self._stopping = threading.Event()
        self._handlers: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        with self._listener:
            while not self._stopping.is_set():
                try:
                    conn, _ = self._listener.accept()
                except TimeoutError:
                    continue
                handler = threading.Thread(target=self._serve, args=(conn,), daemon=True)
                self._handlers.append(handler)
                handler.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)  # a fake never outlives its test by long
        try:
            with conn:
                self._behaviour(conn, lambda: self._receive(conn))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread by finish()
            self.errors.append(exc)

    def _receive(self, conn: socket.socket) -> dict[str, Any]:
        data = b""
        while not data.endswith(b"\n"):
            chunk = conn.recv(4096)
            if not chunk:
                raise EOFError(f"the client hung up before sending a whole command (got {data!r})")
            data += chunk
        command = dict(json.loads(data))
        self.commands.append(command)
        return command

    def finish(self, timeout: float = 10.0) -> list[str]:
        """Stop accepting, wait for the behaviours, re-raise what they raised; the names of the commands received."""
        self._stopping.set()
        self._thread.join(timeout)
        for handler in self._handlers:
            handler.join(timeout)
            assert not handler.is_alive(), f"the fake QMP server is still running after {timeout:g} s"
        if self.errors:
            errors, self.errors = self.errors, []
            raise AssertionError(f"the fake QMP server failed: {errors!r}") from errors[0]
        return [command.get("execute", "?") for command in self.commands]


Receive = Callable[[], dict[str, Any]]
"""Returns the next command the client sent (raises EOFError when it hangs up instead)."""
Behaviour = Callable[[socket.socket, Receive], None]


@pytest.fixture
def fake(short_dir: Path) -> Iterator[Callable[[Behaviour], FakeServer]]:
    servers: list[FakeServer] = []
    path = short_dir / "fake.sock"

    def start(behaviour: Behaviour) -> FakeServer:
        servers.append(FakeServer(path, behaviour))
        return servers[-1]

    yield start
    for server in servers:
        server.finish()


def _negotiate(conn: socket.socket, receive: Receive) -> None:
    """The greeting, then an answer to the client's first command (which the test checks is qmp_capabilities)."""
    conn.sendall(GREETING)
    command = receive()
    conn.sendall(json.dumps({"return": {}, "id": command.get("id")}).encode() + b"\n")


def _hold(conn: socket.socket, receive: Receive) -> None:
    """Keep the connection open, recording what comes and answering nothing, until the client goes."""
    try:
        while True:
            receive()
    except (EOFError, OSError):
        pass


def _negotiate_and_hold(conn: socket.socket, receive: Receive) -> None:
    _negotiate(conn, receive)
    _hold(conn, receive)


def test_fake_greeting_and_version(fake: Callable[[Behaviour], FakeServer]) -> None:
    server = fake(_negotiate_and_hold)
    with Monitor.connect(server.path, timeout=5) as m:
        assert m.version == (7, 2, 0)
    assert server.finish() == ["qmp_capabilities"]


def test_server_that_never_answers(fake: Callable[[Behaviour], FakeServer]) -> None:
    server = fake(_negotiate_and_hold)
    m = Monitor.connect(server.path, timeout=5)
    start = time.monotonic()
    with pytest.raises(QMPError) as info:
        m.execute("query-status", timeout=0.3)
    assert time.monotonic() - start < 2
    assert info.value.code == ErrorNumber.OPERATION_TIMEOUT
    assert not isinstance(info.value, MonitorClosed)
    m.close()
    assert server.finish() == ["qmp_capabilities", "query-status"]


def test_late_reply_is_not_taken_for_the_next_command(fake: Callable[[Behaviour], FakeServer]) -> None:
    def behaviour(conn: socket.socket, receive: Receive) -> None:
        _negotiate(conn, receive)
        first = receive()
        second = receive()  # answer the first only after the client gave up on it
        conn.sendall(json.dumps({"return": "first", "id": first["id"]}).encode() + b"\n")
        conn.sendall(json.dumps({"return": "second", "id": second["id"]}).encode() + b"\n")
        _hold(conn, receive)

    server = fake(behaviour)
    with Monitor.connect(server.path, timeout=5) as m:
        with pytest.raises(QMPError):
            m.execute("one", timeout=0.2)
        assert m.execute("two", timeout=5) == "second"
    assert server.finish() == ["qmp_capabilities", "one", "two"]


def test_no_greeting_times_out(fake: Callable[[Behaviour], FakeServer]) -> None:
    server = fake(_hold)
    before = set(_qmp_threads())
    start = time.monotonic()
    with pytest.raises(QMPError, match="greeting"):
        Monitor.connect(server.path, timeout=0.5)
    assert time.monotonic() - start < 3
    assert set(_qmp_threads()) == before
    assert server.finish() == []  # nothing is sent before the greeting


def test_capabilities_never_answered(fake: Callable[[Behaviour], FakeServer]) -> None:
    server = fake(lambda conn, receive: (conn.sendall(GREETING), _hold(conn, receive)))
    with pytest.raises(QMPError):
        Monitor.connect(server.path, timeout=0.5)
    assert server.finish() == ["qmp_capabilities"]


@pytest.mark.parametrize(
    "garbage",
    [
        b"this is not json\n",
        b"[1, 2, 3]\n",
        b"\xff\xfe\x00garbage\n",
        b"[" * 100000 + b"\n",
    ],
)
def test_garbled_reply(fake: Callable[[Behaviour], FakeServer], garbage: bytes) -> None:
    def behaviour(conn: socket.socket, receive: Receive) -> None:
        _negotiate(conn, receive)
        receive()
        conn.sendall(garbage)
        _hold(conn, receive)

    server = fake(behaviour)
    m = Monitor.connect(server.path, timeout=5)
    closed = threading.Event()
    m.on_close(closed.set)
    with pytest.raises(MonitorClosed):
        m.execute("query-status", timeout=5)
    assert closed.wait(5)
    m.close()
    assert server.finish() == ["qmp_capabilities", "query-status"]


def test_bad_greeting(fake: Callable[[Behaviour], FakeServer]) -> None:
    server = fake(lambda conn, receive: (conn.sendall(b'{"QMP": {"version": "seven"}}\n'), _hold(conn, receive)))
    with pytest.raises(MonitorClosed, match="greeting"):
        Monitor.connect(server.path, timeout=5)
    assert server.finish() == []


def test_oversized_line(fake: Callable[[Behaviour], FakeServer], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(monitor_module, "MAX_LINE_BYTES", 1000)

    def behaviour(conn: socket.socket, receive: Receive) -> None:
        _negotiate(conn, receive)
        receive()
        conn.sendall(b'{"return": "' + b"x" * 5000)  # and never a newline
        _hold(conn, receive)

    server = fake(behaviour)
    with Monitor.connect(server.path, timeout=5) as m, pytest.raises(MonitorClosed, match="longer"):
        m.execute("query-status", timeout=5)
    assert server.finish() == ["qmp_capabilities", "query-status"]


def test_events_from_fake_server(fake: Callable[[Behaviour], FakeServer]) -> None:
    def behaviour(conn: socket.socket, receive: Receive) -> None:
        _negotiate(conn, receive)
        command = receive()
        conn.sendall(
            b'{"event": "STOP", "data": {}, "timestamp": {"seconds": 10, "microseconds": 500000}}\n'
            b'{"event": "X", "data": "not an object"}\n'
            b'{"something": "unexpected"}\n' + json.dumps({"return": 1, "id": command["id"]}).encode() + b"\n"
        )
        receive()  # quit: hang up without a reply, as QEMU sometimes does

    got: list[tuple[str, dict[str, Any], float]] = []
    order: list[str] = []
    done = threading.Event()

    def record(name: str, data: dict[str, Any], ts: float) -> None:
        got.append((name, data, ts))
        order.append(name)

    server = fake(behaviour)
    with Monitor.connect(server.path, timeout=5) as m:
        m.on_event(record)
        m.on_close(lambda: (order.append("closed"), done.set()))
        assert m.execute("anything") == 1
        assert m.execute("quit") is None  # the fake hangs up instead of answering
        assert done.wait(5)
    assert got[0] == ("STOP", {}, 10.5)
    assert got[1][:2] == ("X", {})
    assert order == ["STOP", "X", "closed"]  # events before the end reach listeners before on_close
    assert server.finish() == ["qmp_capabilities", "anything", "quit"]


def test_a_failing_fake_fails_its_test(fake: Callable[[Behaviour], FakeServer]) -> None:
    """The fakes' own check: a behaviour that raises is reported in the test's thread, not lost with its thread."""

    def behaviour(conn: socket.socket, receive: Receive) -> None:
        conn.sendall(GREETING)
        receive()
        raise ValueError("the fake's own complaint")

    server = fake(behaviour)
    with pytest.raises(MonitorClosed):
        Monitor.connect(server.path, timeout=5)  # the fake hangs up instead of answering
    with pytest.raises(AssertionError, match="the fake's own complaint"):
        server.finish()


def test_connect_missing_socket(short_dir: Path) -> None:
    start = time.monotonic()
    with pytest.raises(MonitorClosed, match="cannot connect"):
        Monitor.connect(short_dir / "nothing.sock", timeout=0.3)
    assert time.monotonic() - start < 2


def test_connect_waits_for_the_socket(fake: Callable[[Behaviour], FakeServer], short_dir: Path) -> None:
    path = short_dir / "fake.sock"
    servers: list[FakeServer] = []
    timer = threading.Timer(0.3, lambda: servers.append(fake(_negotiate_and_hold)))
    timer.start()
    try:
        with Monitor.connect(path, timeout=5) as m:
            assert m.version == (7, 2, 0)
    finally:
        timer.join()
    assert servers[0].finish() == ["qmp_capabilities"]
