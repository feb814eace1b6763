"""virtd's streams (virt.daemon.streams) against a recording client: the packets they send, what
they do with the client's packets, flow control and cleanup, on a private event loop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator

import pytest
from virt.daemon import streams
from virt.remote import protocol
from virt.remote.protocol import Header, MessageType, Program, Status

PROC, SERIAL = 211, 7


class RecordingClient:
    """A StreamClient that keeps what is written; ``backlog`` says how much is unread."""

    def __init__(self) -> None:
        self.data: dict[str, object] = {}
        self.gone = False
        self.packets: list[tuple[Header, bytes]] = []
        self.backlog = 0
        self.drained: list[Callable[[], None]] = []
        self.held: list[bool] = []

    def write_packet(self, packet: bytes) -> None:
        self.packets.append((protocol.parse_header(packet), packet[28:]))

    def output_backlog(self) -> int:
        return self.backlog

    def call_when_drained(self, callback: Callable[[], None]) -> None:
        self.drained.append(callback)

    def hold_input(self, hold: bool) -> None:
        self.held.append(hold)

    def drain(self) -> None:
        self.backlog = 0
        waiting, self.drained = self.drained, []
        for callback in waiting:
            callback()

    def kinds(self) -> list[tuple[MessageType, Status, int]]:
        return [(h.type, h.status, len(p)) for h, p in self.packets]


def packet(status: Status, payload: bytes = b"") -> tuple[Header, bytes]:
    return Header(Program.REMOTE, 1, PROC, MessageType.STREAM, SERIAL, status), payload


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


def run(loop: asyncio.AbstractEventLoop, function: Callable[[], None], settle: float = 0.05) -> None:
    async def step() -> None:
        function()
        await asyncio.sleep(settle)

    loop.run_until_complete(step())


def test_bytes_go_out_in_chunks_then_the_end_and_a_finish_is_confirmed(loop: asyncio.AbstractEventLoop) -> None:
    client = RecordingClient()
    data = bytes(range(256)) * 2100  # 537600 bytes: three packets
    run(loop, lambda: streams.open_source(client, PROC, SERIAL, streams.BytesSource(data)))
    sent = [p for h, p in client.packets if h.status == Status.CONTINUE and p]
    assert [len(p) for p in sent] == [262120, 262120, 537600 - 2 * 262120]
    assert b"".join(sent) == data
    # the end of the data is an empty CONTINUE (libvirt's client takes an OK as a confirmation only)
    assert client.kinds()[-1] == (MessageType.STREAM, Status.CONTINUE, 0)
    assert all(h.procedure == PROC and h.serial == SERIAL for h, _ in client.packets)
    run(loop, lambda: streams.route(client, *packet(Status.OK)))
    assert client.kinds()[-1] == (MessageType.STREAM, Status.OK, 0)
    assert client.data[streams.STREAMS_KEY] == {}
    before = len(client.packets)
    run(loop, lambda: streams.route(client, *packet(Status.CONTINUE, b"late")))  # dropped, as libvirtd does
    assert len(client.packets) == before


def test_a_client_that_does_not_read_stops_the_output_until_it_drains(loop: asyncio.AbstractEventLoop) -> None:
    client = RecordingClient()
    client.backlog = streams.OUTPUT_HIGH_WATER + 1
    run(loop, lambda: streams.open_source(client, PROC, SERIAL, streams.BytesSource(b"x" * 600000)))
    assert len(client.packets) == 1 and len(client.drained) == 1
    run(loop, client.drain)
    assert sum(len(p) for _, p in client.packets) == 600000
    assert client.kinds()[-1] == (MessageType.STREAM, Status.CONTINUE, 0)


def test_a_console_both_ways_its_end_and_the_abort(loop: asyncio.AbstractEventLoop) -> None:
    client = RecordingClient()
    ours, theirs = socket.socketpair()
    theirs.setblocking(False)
    run(loop, lambda: streams.open_source(client, 201, SERIAL, streams.SocketSource(ours)))
    run(loop, lambda: theirs.send(b"guest says hello"))
    assert client.packets[-1][1] == b"guest says hello"
    header = Header(Program.REMOTE, 1, 201, MessageType.STREAM, SERIAL, Status.CONTINUE)
    run(loop, lambda: streams.route(client, header, b"typed by the user"))
    assert theirs.recv(100) == b"typed by the user"
    run(loop, lambda: theirs.shutdown(socket.SHUT_WR))  # the console ends
    assert client.kinds()[-1] == (MessageType.STREAM, Status.CONTINUE, 0)
    run(loop, lambda: streams.route(client, header._replace(status=Status.ERROR), b""))  # abort
    assert client.kinds()[-1] == (MessageType.STREAM, Status.OK, 0)
    assert ours.fileno() == -1
    theirs.close()


def test_the_client_leaving_closes_its_consoles(loop: asyncio.AbstractEventLoop) -> None:
    client = RecordingClient()
    ours, theirs = socket.socketpair()
    run(loop, lambda: streams.open_source(client, 201, SERIAL, streams.SocketSource(ours)))
    client.gone = True
    run(loop, lambda: streams.close_all(client))
    assert ours.fileno() == -1
    assert theirs.recv(10) == b""  # the console's end sees the close
    assert client.packets == []
    theirs.close()


def test_a_source_opened_for_a_client_already_gone_is_released(loop: asyncio.AbstractEventLoop) -> None:
    client = RecordingClient()
    client.gone = True
    ours, theirs = socket.socketpair()
    run(loop, lambda: streams.open_source(client, 201, SERIAL, streams.SocketSource(ours)))
    assert ours.fileno() == -1 and streams.STREAMS_KEY not in client.data
    theirs.close()


def test_data_for_a_one_way_stream_and_a_strange_status_are_error_replies(loop: asyncio.AbstractEventLoop) -> None:
    client = RecordingClient()
    client.backlog = streams.OUTPUT_HIGH_WATER + 1  # keep the screenshot's stream open
    run(loop, lambda: streams.open_source(client, PROC, SERIAL, streams.BytesSource(b"x" * 300000)))
    run(loop, lambda: streams.route(client, *packet(Status.CONTINUE, b"data")))
    header, payload = client.packets[-1]
    assert (header.type, header.status, header.serial) == (MessageType.REPLY, Status.ERROR, SERIAL)
    assert protocol.decode_error(payload).message == "this stream does not accept data"
    assert client.data[streams.STREAMS_KEY] == {}

    other = RecordingClient()
    ours, theirs = socket.socketpair()
    run(loop, lambda: streams.open_source(other, 201, SERIAL, streams.SocketSource(ours)))
    odd = Header(Program.REMOTE, 1, 201, MessageType.STREAM, SERIAL, 5)  # type: ignore[arg-type]
    run(loop, lambda: streams.route(other, odd, b""))
    header, payload = other.packets[-1]
    assert (header.type, header.status) == (MessageType.REPLY, Status.ERROR)
    error = protocol.decode_error(payload)
    assert (error.message, int(error.domain)) == ("stream aborted with unexpected status 5", 38)
    assert ours.fileno() == -1
    theirs.close()


def test_a_finish_waits_for_the_users_data_to_be_written(loop: asyncio.AbstractEventLoop) -> None:
    client = RecordingClient()
    ours, theirs = socket.socketpair()
    theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    run(loop, lambda: streams.open_source(client, 201, SERIAL, streams.SocketSource(ours)))
    header = Header(Program.REMOTE, 1, 201, MessageType.STREAM, SERIAL, Status.CONTINUE)
    big = b"y" * (2 * streams.INPUT_BACKLOG_MAX)
    run(loop, lambda: streams.route(client, header, big))
    assert client.held == [True]  # too much waiting for the console: the client is not read
    run(loop, lambda: streams.route(client, header._replace(status=Status.OK), b""))
    assert client.kinds() == []  # no confirmation while data waits
    received = bytearray()
    theirs.setblocking(False)

    def read_some() -> None:
        while True:
            try:
                chunk = theirs.recv(65536)
            except BlockingIOError:
                return
            if not chunk:
                return  # the stream closed its end once finished
            received.extend(chunk)

    for _ in range(400):
        run(loop, read_some, settle=0.005)
        if client.kinds():
            break
    run(loop, read_some)
    assert bytes(received) == big
    assert client.kinds() == [(MessageType.STREAM, Status.OK, 0)]
    assert client.held == [True, False]
    theirs.close()


def _transfer(tmp_path: object, write: bool) -> object:
    from pathlib import Path

    from virt.storage.transfer import VolumeTransfer

    path = Path(str(tmp_path)) / "v.img"
    if not path.exists():
        with path.open("wb") as file:  # data, a hole, data, a hole to the end
            file.write(b"\x11" * 300000)
            file.seek(2 * 2**20)
            file.write(b"\x22" * 1000)
            file.truncate(3 * 2**20)
    return VolumeTransfer(str(path), write=write, offset=0, length=0, release=lambda: None)


def test_a_sparse_download_sends_its_holes_as_holes(loop: asyncio.AbstractEventLoop, tmp_path: object) -> None:
    client = RecordingClient()
    source = streams.TransferSource(_transfer(tmp_path, False), sparse=True)  # type: ignore[arg-type]
    run(loop, lambda: streams.open_source(client, PROC, SERIAL, source))
    pieces = []
    for header, payload in client.packets:
        if header.type == MessageType.STREAM_HOLE:
            pieces.append(("hole", protocol.decode_stream_hole(payload)[0]))
        elif payload:
            pieces.append(("data", len(payload)))
    # the data of the first extent (the file system rounds it to whole blocks), then the holes between
    assert [kind for kind, _ in pieces] == ["data", "data", "hole", "data", "hole"]
    assert sum(n for _, n in pieces) == 3 * 2**20
    assert client.kinds()[-1] == (MessageType.STREAM, Status.CONTINUE, 0)


def test_holes_come_in_for_a_sparse_upload_only(loop: asyncio.AbstractEventLoop, tmp_path: object) -> None:
    from pathlib import Path

    hole = Header(Program.REMOTE, 1, PROC, MessageType.STREAM_HOLE, SERIAL, Status.CONTINUE)
    client = RecordingClient()
    source = streams.TransferSource(_transfer(tmp_path, True), sparse=True)  # type: ignore[arg-type]
    run(loop, lambda: streams.open_source(client, PROC, SERIAL, source))
    run(loop, lambda: streams.route(client, *packet(Status.CONTINUE, b"x" * 10)))
    run(loop, lambda: streams.route(client, hole, protocol.encode_stream_hole(4096)))
    run(loop, lambda: streams.route(client, *packet(Status.OK)))
    assert client.kinds()[-1] == (MessageType.STREAM, Status.OK, 0)
    assert (Path(str(tmp_path)) / "v.img").stat().st_size == 10 + 4096  # the upload's hole ends the file
    # a stream that is not sparse takes no hole: libvirtd's error reply
    plain = RecordingClient()
    source = streams.TransferSource(_transfer(tmp_path, True))  # type: ignore[arg-type]
    run(loop, lambda: streams.open_source(plain, PROC, SERIAL, source))
    run(loop, lambda: streams.route(plain, hole, protocol.encode_stream_hole(4096)))
    header, payload = plain.packets[-1]
    assert (header.type, header.status) == (MessageType.REPLY, Status.ERROR)
    assert protocol.decode_error(payload).message == "Unexpected stream hole"
