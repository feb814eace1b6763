"""When the daemon stops answering or goes away: timeouts, prompt failures, keepalive, reconnect.

A relay between our client and the daemon plays the network: it forwards bytes both ways, and the
test can stall it (bytes from the client are held back) or cut it (every relayed connection dies).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import virt
from remote_daemons import DAEMONS, Daemon, start_daemon
from virt.errors import ConnectionError, ErrorNumber, VirtError
from virt.events import DomainEvent, DomainEventType
from virt.remote.connection import RemoteConnection


class Relay:
    """A unix socket at ``path`` whose connections are relayed to ``target``."""

    def __init__(self, path: Path, target: str) -> None:
        self.path = path
        self.target = target
        self.stalled = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(path))
        self._listener.listen()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if from_client and self.stalled.is_set():
                    continue  # swallowed: the daemon never hears it
                sink.sendall(data)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Every relayed connection ends at once, as when a network link or the daemon dies."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self._listener.close()
        self.cut()


@pytest.fixture(params=DAEMONS)
def daemon(request: pytest.FixtureRequest) -> Iterator[Daemon]:
    with start_daemon(request.param) as running:
        yield running


@pytest.fixture
def relay(daemon: Daemon, tmp_path: Path) -> Iterator[Relay]:
    relay = Relay(tmp_path / "relay-sock", daemon.socket)
    yield relay
    relay.close()


def remote(conn: virt.Connection) -> RemoteConnection:
    driver = conn.driver
    assert isinstance(driver, RemoteConnection)
    return driver


class Background:
    """``function()`` running in a thread; ``wait()`` gives what it raised and how long it took."""

    def __init__(self, function: Callable[[], object]) -> None:
        self.error: BaseException | None = None
        self.elapsed = 0.0
        self._function = function
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self) -> None:
        start = time.monotonic()
        try:
            self._function()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self.error = exc
        self.elapsed = time.monotonic() - start

    def wait(self, timeout: float = 10) -> Background:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "still running"
        return self


def test_a_call_the_daemon_never_answers_times_out(relay: Relay) -> None:
    # the timeout covers the opening handshake too: long enough for it on a loaded machine
    with virt.open(f"test+unix:///default?socket={relay.path}&timeout=3") as conn:
        relay.stalled.set()
        start = time.monotonic()
        with pytest.raises(VirtError) as caught:
            conn.hostname()
        assert 2.9 < time.monotonic() - start < 10
        assert caught.value.code == ErrorNumber.OPERATION_TIMEOUT
        assert "no reply to CONNECT_GET_HOSTNAME" in caught.value.message
        assert "within 3 s" in caught.value.message
        relay.stalled.clear()
        assert conn.hostname()  # the connection itself is fine: the next call is answered


def test_the_timeout_is_an_api_setting_too(relay: Relay) -> None:
    with virt.open(f"test+unix:///default?socket={relay.path}") as conn:
        assert remote(conn).timeout == 600
        remote(conn).timeout = 0.3
        relay.stalled.set()
        with pytest.raises(VirtError, match=r"within 0\.3 s"):
            conn.list_domains()
        relay.stalled.clear()


def test_opening_a_daemon_that_never_answers_fails_after_the_timeout(tmp_path: Path) -> None:
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    silent.bind(str(tmp_path / "silent"))
    silent.listen()
    try:
        start = time.monotonic()
        with pytest.raises(VirtError) as caught:
            virt.open(f"test+unix:///default?socket={tmp_path / 'silent'}&timeout=0.5")
        assert time.monotonic() - start < 3
        assert caught.value.code == ErrorNumber.OPERATION_TIMEOUT
        assert "no reply to AUTH_LIST" in caught.value.message
    finally:
        silent.close()


def test_a_dropped_connection_fails_the_pending_call_at_once(relay: Relay) -> None:
    with virt.open(f"test+unix:///default?socket={relay.path}") as conn:
        relay.stalled.set()
        pending = Background(conn.hostname)
        time.sleep(0.2)  # the call is on the wire, waiting
        relay.cut()
        pending.wait()
        assert isinstance(pending.error, ConnectionError)
        assert pending.elapsed < 2  # not the 600 s timeout
        assert f"End of file while reading data from unix socket {relay.path}" in str(pending.error)
        assert not conn.is_alive()
        with pytest.raises(ConnectionError, match="End of file"):
            conn.list_domains()


def test_keepalive_finds_a_daemon_that_went_silent(relay: Relay) -> None:
    uri = f"test+unix:///default?socket={relay.path}&keepalive_interval=0.2&keepalive_count=2"
    with virt.open(uri) as conn:
        relay.stalled.set()  # our pings no longer reach the daemon, so no pong comes back
        deadline = time.monotonic() + 5
        while conn.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not conn.is_alive()
        with pytest.raises(ConnectionError, match="keepalive timeout"):
            conn.hostname()


def test_reconnect_restores_event_callbacks(daemon: Daemon, relay: Relay) -> None:
    events: list[DomainEvent] = []
    with virt.open(f"test+unix:///default?socket={relay.path}") as conn:
        conn.add_domain_event_callback(lambda dom, event: events.append(event))
        relay.cut()
        with pytest.raises(ConnectionError):
            conn.hostname()
        conn.reconnect()
        assert conn.is_alive()
        with virt.open(daemon.uri()) as other:
            other.lookup_domain_by_name("test").suspend()
        deadline = time.monotonic() + 10
        while not events and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [(e.domain.name, e.type) for e in events] == [("test", DomainEventType.SUSPENDED)]
        assert conn.lookup_domain_by_name("test").state().state == virt.DomainState.PAUSED


def test_killing_the_daemon_fails_calls_promptly_and_reconnect_says_why(daemon: Daemon) -> None:
    with virt.open(daemon.uri()) as conn:
        assert conn.hostname()
        os.kill(daemon.pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while conn.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(ConnectionError, match="End of file"):
            conn.hostname()
        with pytest.raises(ConnectionError, match="Failed to connect socket"):
            conn.reconnect()
