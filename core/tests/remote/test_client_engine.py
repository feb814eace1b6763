"""The RPC engine against a scripted peer on a socket pair: serials, timeouts, keepalive, dropped peers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from virt.errors import ConnectionError, ErrorDomain, ErrorNumber, NotFound, VirtError
from virt.remote import protocol
from virt.remote.client import Client
from virt.remote.protocol import Header, KeepaliveProcedure, MessageType, Program, Status
from virt.remote.transport import SocketTransport


class Peer:
    """The daemon's end of the socket pair: reads whole packets, writes what the test says."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sock.settimeout(5)
        self.buffer = b""

    def read_packet(self) -> tuple[Header, bytes]:
        while True:
            if len(self.buffer) >= 4:
                length = protocol.packet_length(self.buffer)
                if len(self.buffer) >= length:
                    packet, self.buffer = self.buffer[:length], self.buffer[length:]
                    return protocol.parse_header(packet), packet[28:]
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("the client closed the connection")
            self.buffer += data

    def reply(self, call: Header, payload: bytes = b"", status: Status = Status.OK) -> None:
        header = call._replace(type=MessageType.REPLY, status=status)
        self.sock.sendall(protocol.frame(header, payload))

    def message(self, program: int, procedure: int, payload: bytes = b"", serial: int = 1) -> None:
        header = Header(program, 1, procedure, MessageType.MESSAGE, serial, Status.OK)
        self.sock.sendall(protocol.frame(header, payload))


@pytest.fixture
def pair() -> Iterator[tuple[Client, Peer]]:
    ours, theirs = socket.socketpair()
    client = Client(SocketTransport(ours, "test socket pair"), timeout=5)
    try:
        yield client, Peer(theirs)
    finally:
        client.close()
        theirs.close()


class Outcome:
    """A ``client.call`` running in a thread of its own: ``wait()`` then look at result or error."""

    def __init__(self, client: Client, procedure: int, payload: bytes = b"", timeout: float | None = None) -> None:
        self.result: bytes | None = None
        self.error: VirtError | None = None
        self.elapsed = 0.0
        self._thread = threading.Thread(target=self._run, args=(client, procedure, payload, timeout))
        self._thread.start()

    def _run(self, client: Client, procedure: int, payload: bytes, timeout: float | None) -> None:
        start = time.monotonic()
        try:
            self.result = client.call(procedure, payload, timeout=timeout)
        except VirtError as exc:
            self.error = exc
        self.elapsed = time.monotonic() - start

    def wait(self) -> Outcome:
        self._thread.join(5)
        assert not self._thread.is_alive(), "the call is still waiting"
        return self


def call_in_thread(client: Client, procedure: int, payload: bytes = b"", timeout: float | None = None) -> Outcome:
    return Outcome(client, procedure, payload, timeout)


def test_replies_reach_their_calls_by_serial_even_out_of_order(pair: tuple[Client, Peer]) -> None:
    client, peer = pair
    first = call_in_thread(client, 59)
    second = call_in_thread(client, 3)
    calls = [peer.read_packet()[0], peer.read_packet()[0]]
    assert sorted(c.serial for c in calls) == [0, 1]
    by_procedure = {c.procedure: c for c in calls}
    peer.reply(by_procedure[3], b"three")  # answered in the opposite order of the calls
    peer.reply(by_procedure[59], b"fifty-nine")
    for outcome in (first, second):
        outcome.wait()
    assert first.result == b"fifty-nine"
    assert second.result == b"three"


def test_an_error_reply_raises_the_daemons_error(pair: tuple[Client, Peer]) -> None:
    client, peer = pair
    outcome = call_in_thread(client, 23)
    call, _ = peer.read_packet()
    error = NotFound("Domain not found: no domain with matching name 'x'", ErrorNumber.NO_DOMAIN, ErrorDomain.QEMU)
    peer.reply(call, protocol.encode_error(error), Status.ERROR)
    outcome.wait()
    raised = outcome.error
    assert isinstance(raised, NotFound)
    assert (raised.code, raised.domain, raised.message) == (error.code, error.domain, error.message)


def test_a_call_without_reply_times_out_and_a_late_reply_is_dropped(pair: tuple[Client, Peer]) -> None:
    client, peer = pair
    start = time.monotonic()
    with pytest.raises(VirtError) as caught:
        client.call(59, timeout=0.3)
    assert 0.25 < time.monotonic() - start < 2
    assert caught.value.code == ErrorNumber.OPERATION_TIMEOUT
    assert "no reply to 59" in caught.value.message and "0.3 s" in caught.value.message
    late, _ = peer.read_packet()
    peer.reply(late, b"too late")
    # the connection still works: the next call gets its own reply, not the late one
    outcome = call_in_thread(client, 3)
    call, _ = peer.read_packet()
    peer.reply(call, b"in time")
    outcome.wait()
    assert outcome.result == b"in time"


def test_the_peer_going_away_fails_pending_calls_at_once(pair: tuple[Client, Peer]) -> None:
    client, peer = pair
    outcome = call_in_thread(client, 59, timeout=60)
    peer.read_packet()
    peer.sock.close()
    outcome.wait()
    assert isinstance(outcome.error, ConnectionError)
    assert outcome.elapsed < 2
    assert "End of file while reading data from test socket pair" in outcome.error.message
    assert not client.alive
    with pytest.raises(ConnectionError, match="End of file"):
        client.call(3)


def test_pings_from_the_daemon_are_answered(pair: tuple[Client, Peer]) -> None:
    _, peer = pair
    peer.message(Program.KEEPALIVE, KeepaliveProcedure.PING, serial=0)
    header, payload = peer.read_packet()
    assert header == Header(Program.KEEPALIVE, 1, KeepaliveProcedure.PONG, MessageType.MESSAGE, 0, Status.OK)
    assert payload == b""


def test_a_silent_daemon_is_pinged_then_declared_dead(pair: tuple[Client, Peer]) -> None:
    client, peer = pair
    client.start_keepalive(interval=0.2, count=2)
    pings = [peer.read_packet()[0], peer.read_packet()[0]]
    assert all(p.program == Program.KEEPALIVE and p.procedure == KeepaliveProcedure.PING for p in pings)
    outcome = call_in_thread(client, 59, timeout=30)
    peer.read_packet()  # the call arrives, is never answered
    outcome.wait()
    assert isinstance(outcome.error, ConnectionError)
    assert "keepalive timeout" in outcome.error.message


def test_a_daemon_answering_pings_stays_alive(pair: tuple[Client, Peer]) -> None:
    client, peer = pair
    client.start_keepalive(interval=0.1, count=1)
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        header, _ = peer.read_packet()
        assert header.procedure == KeepaliveProcedure.PING
        peer.message(Program.KEEPALIVE, KeepaliveProcedure.PONG, serial=0)
    assert client.alive


def test_events_reach_the_handler_in_order_in_another_thread(pair: tuple[Client, Peer]) -> None:
    client, peer = pair
    received: list[tuple[int, bytes, str]] = []
    done = threading.Event()

    def handler(procedure: int, payload: bytes) -> None:
        received.append((procedure, payload, threading.current_thread().name))
        if len(received) == 3:
            done.set()

    client.on_event = handler
    for index in range(3):
        peer.message(Program.REMOTE, 318, f"event{index}".encode().ljust(8, b"\0"))
    assert done.wait(5)
    assert [(p, d) for p, d, _ in received] == [(318, b"event0\0\0"), (318, b"event1\0\0"), (318, b"event2\0\0")]
    assert all(name.startswith("virt-remote-events") for _, _, name in received)


def test_an_event_handler_may_make_calls(pair: tuple[Client, Peer]) -> None:
    client, peer = pair
    answers: list[bytes] = []
    done = threading.Event()

    def handler(procedure: int, payload: bytes) -> None:
        answers.append(client.call(59))
        done.set()

    client.on_event = handler
    peer.message(Program.REMOTE, 318)
    call, _ = peer.read_packet()
    peer.reply(call, b"answer")
    assert done.wait(5)
    assert answers == [b"answer"]


def test_a_malformed_packet_ends_the_connection_with_a_clear_error(pair: tuple[Client, Peer]) -> None:
    client, peer = pair
    outcome = call_in_thread(client, 59)
    peer.read_packet()
    peer.sock.sendall(b"\x00\x00\x00\x05garbage")  # a length shorter than any header
    outcome.wait()
    error = outcome.error
    assert isinstance(error, ConnectionError)
    assert "invalid data from test socket pair" in error.message


def test_closing_fails_pending_calls_and_later_ones(pair: tuple[Client, Peer]) -> None:
    client, peer = pair
    outcome = call_in_thread(client, 59, timeout=60)
    peer.read_packet()
    client.close()
    outcome.wait()
    assert isinstance(outcome.error, ConnectionError)
    assert "is closed" in outcome.error.message
    with pytest.raises(ConnectionError, match="is closed"):
        client.call(3)


def test_events_arriving_during_a_call_are_delivered_before_its_reply(pair: tuple[Client, Peer]) -> None:
    client, peer = pair
    arrived = threading.Event()
    client.on_event = lambda procedure, payload: arrived.set()
    outcome = call_in_thread(client, 59, timeout=30)
    call, _ = peer.read_packet()
    peer.message(Program.REMOTE, 318)  # the caller reads this while it waits for its reply
    assert arrived.wait(5)
    assert outcome.result is None  # still waiting
    peer.reply(call, b"reply")
    assert outcome.wait().result == b"reply"


def test_the_daemon_dies_during_a_long_call_without_a_word(pair: tuple[Client, Peer]) -> None:
    client, peer = pair
    client.start_keepalive(interval=0.2, count=2)
    outcome = call_in_thread(client, 59, timeout=30)
    peer.read_packet()  # the call; then the caller, reading, pings a peer that never answers
    pings = [peer.read_packet()[0] for _ in range(2)]
    assert all(p.procedure == KeepaliveProcedure.PING for p in pings)
    assert isinstance(outcome.wait().error, ConnectionError)
    assert "keepalive timeout" in outcome.error.message  # type: ignore[union-attr]
    assert outcome.elapsed < 3
