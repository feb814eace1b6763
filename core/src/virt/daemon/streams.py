"""virtd's streams: the data of a call that opened one (DOMAIN_OPEN_CONSOLE, DOMAIN_SCREENSHOT,
STORAGE_VOL_UPLOAD, STORAGE_VOL_DOWNLOAD).

libvirtd's rules (remote_daemon_stream.c), kept here:
- the stream starts once the call's OK reply is out; its packets carry the call's procedure and
  serial, type STREAM;
- data goes either way as status CONTINUE packets of raw bytes (at most 262120 bytes each from us);
  a sparse volume stream also passes holes, either way, as STREAM_HOLE packets (a length);
- the end of the server's data is an *empty* CONTINUE packet; the client then *finishes* (status OK)
  and gets an empty OK back, or *aborts* (status ERROR) and gets the same (an OK packet is only ever
  that confirmation: libvirt's client drops the connection on an OK it did not ask for);
- a failure of the source goes to the client as a STREAM packet of status ERROR carrying the error;
  a failed write of the client's data, or a finish or abort with an unexpected status, as an ERROR
  *reply* on the stream's serial; either way the stream is gone;
- packets for no open stream are dropped (clients send a few more after a stream ended);
- a client that goes away takes its streams with it (a console's socket is closed).

Everything here runs on the event loop thread. Output is paced by the client's unread replies:
above the server's high-water mark no more is read from a stream's source until they drain.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import attrs

from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.remote import protocol
from virt.remote.protocol import PROGRAM_VERSION, Header, MessageType, Program, Status

if TYPE_CHECKING:
    from virt.storage.transfer import VolumeTransfer

log = logging.getLogger(__name__)

STREAMS_KEY = "virt.daemon.streams"
"""The key of a client's open streams in ``client.data``."""

PAYLOAD_MAX = 262120
"""VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX: the most data libvirtd puts in one stream packet."""

OUTPUT_HIGH_WATER = 256 * 1024
"""Bytes of a client's unread output above which no more is read from its streams' sources."""

TRANSFER_HIGH_WATER = 4 * 1024 * 1024
"""Bytes of a client's unread output above which a download waits (a volume's data, not a console)."""

INPUT_BACKLOG_MAX = 1024 * 1024
"""Bytes of a client's data waiting for a console to take them above which the client is not read."""


class StreamClient(Protocol):
    """What a stream needs of its client's connection (virt.daemon.server.Client has it all)."""

    @property
    def data(self) -> dict[str, object]: ...

    @property
    def gone(self) -> bool:
        """The connection has ended: nothing more goes out."""

    def write_packet(self, packet: bytes) -> None:
        """Queue ``packet`` for the client (event loop thread only)."""

    def output_backlog(self) -> int:
        """Bytes written for the client that it has not read yet."""

    def call_when_drained(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once (on the loop) when the client's unread output is low again."""

    def hold_input(self, hold: bool) -> None:
        """Stop (True) or resume (False) reading the client's socket."""


def _frame(procedure: int, serial: int, mtype: MessageType, status: Status, payload: bytes = b"") -> bytes:
    return protocol.frame(Header(Program.REMOTE, PROGRAM_VERSION, procedure, mtype, serial, status), payload)


def stream_error(message: str, code: ErrorNumber = ErrorNumber.RPC) -> VirtError:
    """An error of a stream as libvirt reports it (the STREAMS error domain)."""
    return VirtError(message, code, ErrorDomain.STREAMS)


class Stream:
    """One open stream of a client; subclasses say where the data comes from and goes to."""

    def __init__(self, client: StreamClient, procedure: int, serial: int) -> None:
        self.client = client
        self.procedure = procedure
        self.serial = serial
        self.closed = False
        self.sent_eof = False
        self._loop = asyncio.get_running_loop()

    # -- the life of a stream, as the table calls it ----------------------------------------------------
    def start(self) -> None:
        """The call's reply is out: begin sending."""

    def receive(self, payload: bytes) -> None:
        """The client's data (a CONTINUE packet)."""
        self._failed_write(stream_error("this stream does not accept data", ErrorNumber.OPERATION_INVALID))

    def receive_hole(self, payload: bytes) -> None:
        """The client's hole (a STREAM_HOLE packet): only a sparse upload takes one (libvirtd's words)."""
        self._failed_write(stream_error("Unexpected stream hole"))

    def finish(self) -> None:
        """The client's finish (an OK packet): end the source cleanly, confirm."""
        self._release()
        self._confirm()

    def abort(self) -> None:
        """The client's abort (an ERROR packet): drop the source, confirm."""
        self._release()
        self._confirm()

    def close(self) -> None:
        """The client went away: release everything, send nothing."""
        self._release()

    def _release(self) -> None:
        """Let go of the source (idempotent); subclasses close what they hold."""
        self.closed = True

    # -- output ------------------------------------------------------------------------------------------
    def _send(self, packet: bytes) -> None:
        if not self.client.gone:
            self.client.write_packet(packet)

    def send_data(self, data: bytes) -> None:
        self._send(_frame(self.procedure, self.serial, MessageType.STREAM, Status.CONTINUE, data))

    def send_hole(self, length: int) -> None:
        """A hole of ``length`` bytes in a sparse stream's data (a STREAM_HOLE packet)."""
        self._send(
            _frame(
                self.procedure,
                self.serial,
                MessageType.STREAM_HOLE,
                Status.CONTINUE,
                protocol.encode_stream_hole(length),
            )
        )

    def send_eof(self) -> None:
        """The source has no more: an empty CONTINUE packet; the stream waits for the client's finish."""
        if not self.sent_eof:
            self.sent_eof = True
            self._send(_frame(self.procedure, self.serial, MessageType.STREAM, Status.CONTINUE))

    def _confirm(self) -> None:
        self._send(_frame(self.procedure, self.serial, MessageType.STREAM, Status.OK))
        forget(self)

    def fail(self, error: VirtError) -> None:
        """The source failed: a STREAM ERROR packet carrying ``error``, and the stream is gone."""
        self._release()
        self._send(_frame(self.procedure, self.serial, MessageType.STREAM, Status.ERROR, protocol.encode_error(error)))
        forget(self)

    def _failed_write(self, error: VirtError) -> None:
        """The client's data could not be written: an ERROR reply on the stream's serial (libvirt's words)."""
        self._release()
        self._send(_frame(self.procedure, self.serial, MessageType.REPLY, Status.ERROR, protocol.encode_error(error)))
        forget(self)

    def output_full(self) -> bool:
        return self.client.output_backlog() > OUTPUT_HIGH_WATER


class BufferStream(Stream):
    """Sends bytes known in advance (a screenshot), then the end; takes no data."""

    def __init__(self, client: StreamClient, procedure: int, serial: int, data: bytes) -> None:
        super().__init__(client, procedure, serial)
        self._data = memoryview(data)
        self._offset = 0

    def start(self) -> None:
        self._pump()

    def _pump(self) -> None:
        while not self.closed and not self.client.gone and self._offset < len(self._data):
            chunk = self._data[self._offset : self._offset + PAYLOAD_MAX]
            self._offset += len(chunk)
            self.send_data(bytes(chunk))
            if self.output_full():
                self.client.call_when_drained(self._pump)
                return
        if not self.closed and self._offset >= len(self._data):
            self.send_eof()

    def _release(self) -> None:
        super()._release()
        self._data = memoryview(b"")


class SocketStream(Stream):
    """Both ways between the client and a connected socket (a console): what the socket gives goes
    out as data, the client's data is written to it; the socket's end of file is the stream's end."""

    def __init__(self, client: StreamClient, procedure: int, serial: int, sock: socket.socket) -> None:
        super().__init__(client, procedure, serial)
        sock.setblocking(False)
        self._sock: socket.socket | None = sock
        self._pending = bytearray()
        self._reading = False
        self._writing = False
        self._holding = False
        self._finishing = False

    def start(self) -> None:
        self._read_on()

    def _read_on(self) -> None:
        if self._sock is not None and not self._reading and not self.closed and not self.sent_eof:
            self._loop.add_reader(self._sock.fileno(), self._readable)
            self._reading = True

    def _read_off(self) -> None:
        if self._reading and self._sock is not None:
            self._loop.remove_reader(self._sock.fileno())
        self._reading = False

    def _readable(self) -> None:
        sock = self._sock
        if sock is None or self.closed:
            return
        try:
            data = sock.recv(PAYLOAD_MAX)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            if exc.errno == errno.EIO:  # a console whose guest went away: its end, not a failure
                data = b""
            else:
                self.fail(stream_error(f"stream had I/O failure: {exc.strerror or exc}"))
                return
        if not data:
            self._read_off()
            self.send_eof()
            return
        self.send_data(data)
        if self.output_full():
            self._read_off()
            self.client.call_when_drained(self._read_on)

    def receive(self, payload: bytes) -> None:
        if self._sock is None or self.closed:
            return
        self._pending += payload
        self._flush()

    def _flush(self) -> None:
        sock = self._sock
        if sock is None:
            return
        while self._pending:
            try:
                sent = sock.send(self._pending)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                self._failed_write(
                    stream_error(f"cannot write to stream: {exc.strerror or exc}", ErrorNumber.SYSTEM_ERROR)
                )
                return
            del self._pending[:sent]
        if self._pending and not self._writing:
            self._loop.add_writer(sock.fileno(), self._flush)
            self._writing = True
        elif not self._pending and self._writing:
            self._loop.remove_writer(sock.fileno())
            self._writing = False
        self._hold(len(self._pending) > INPUT_BACKLOG_MAX)
        if not self._pending and self._finishing:
            self._finishing = False
            super().finish()

    def _hold(self, hold: bool) -> None:
        if hold != self._holding:
            self._holding = hold
            self.client.hold_input(hold)

    def finish(self) -> None:
        # the client's data sent before its finish is written first, as libvirtd's queue does
        if self._pending and self._sock is not None:
            self._finishing = True
            return
        super().finish()

    def _release(self) -> None:
        super()._release()
        self._read_off()
        sock, self._sock = self._sock, None
        if sock is not None:
            if self._writing:
                self._loop.remove_writer(sock.fileno())
                self._writing = False
            sock.close()
        self._pending.clear()
        self._hold(False)


class TransferStream(Stream):
    """A volume's bytes: sent from its file (a download, paced by the client's reading), or written
    to it (an upload; the client's finish is confirmed once the data is on disk)."""

    def __init__(
        self, client: StreamClient, procedure: int, serial: int, transfer: VolumeTransfer, *, sparse: bool = False
    ) -> None:
        super().__init__(client, procedure, serial)
        self._transfer: VolumeTransfer | None = transfer
        self._refusal: VirtError | None = None
        self.sparse = sparse
        """A sparse stream: holes pass as STREAM_HOLE packets, both ways."""

    def start(self) -> None:
        if self._transfer is not None and self._transfer.readable() and not self._transfer.writable():
            self._pump()

    def output_full(self) -> bool:
        # a download keeps a few packets in flight: one at a time would leave the socket idle
        return self.client.output_backlog() > TRANSFER_HIGH_WATER

    def _pump(self) -> None:
        transfer = self._transfer
        while transfer is not None and not self.closed and not self.client.gone:
            try:
                most = PAYLOAD_MAX
                if self.sparse:
                    in_data, most = transfer.in_data()
                    if not in_data and most:
                        transfer.skip(most)
                        self.send_hole(most)
                        continue
                data = transfer.take(min(most, PAYLOAD_MAX))
            except OSError as exc:
                self.fail(stream_error(f"cannot read volume: {exc.strerror or exc}", ErrorNumber.SYSTEM_ERROR))
                return
            if not data:
                self.send_eof()
                return
            self.send_data(data)
            if self.output_full():
                self.client.call_when_drained(self._pump)
                return

    def receive(self, payload: bytes) -> None:
        transfer = self._transfer
        if transfer is None or self.closed:
            return
        if not transfer.writable():
            super().receive(payload)
            return
        if self._refusal is not None:
            return  # the rest of an upload past its length: dropped until the client finishes
        try:
            transfer.put(payload)
        except VirtError as exc:
            # told at the client's finish: an error reply while the client is still sending makes
            # libvirt's client leave a packet half-written, and the connection is lost
            self._refusal = exc
        except OSError as exc:
            self._failed_write(stream_error(f"cannot write to volume: {exc.strerror or exc}", ErrorNumber.SYSTEM_ERROR))

    def receive_hole(self, payload: bytes) -> None:
        transfer = self._transfer
        if transfer is None or self.closed:
            return
        if not self.sparse or not transfer.writable():
            super().receive_hole(payload)
            return
        if self._refusal is not None:
            return
        try:
            length, _flags = protocol.decode_stream_hole(payload)
            transfer.put_hole(length)
        except VirtError as exc:
            self._refusal = exc  # told at the finish, as a refused write of data
        except OSError as exc:
            self._failed_write(stream_error(f"cannot write to volume: {exc.strerror or exc}", ErrorNumber.SYSTEM_ERROR))

    def finish(self) -> None:
        if self._refusal is not None:
            self.fail(self._refusal)
            return
        transfer = self._transfer
        if transfer is not None:
            try:
                transfer.complete()
            except OSError as exc:
                self._failed_write(
                    stream_error(f"cannot write to volume: {exc.strerror or exc}", ErrorNumber.SYSTEM_ERROR)
                )
                return
        super().finish()

    def _release(self) -> None:
        super()._release()
        transfer, self._transfer = self._transfer, None
        if transfer is not None:
            transfer.close()


# -- a client's table of streams --------------------------------------------------------------------------
def _table(client: StreamClient) -> dict[tuple[int, int], Stream]:
    table = client.data.get(STREAMS_KEY)
    if table is None:
        table = client.data[STREAMS_KEY] = {}
    assert isinstance(table, dict)
    return table


def open_stream(stream: Stream) -> None:
    """Register ``stream`` and start it (call once the reply that opened it is written)."""
    if stream.client.gone:
        stream.close()
        return
    table = _table(stream.client)
    key = (stream.procedure, stream.serial)
    previous = table.pop(key, None)
    if previous is not None:  # a client reusing a serial: the older stream is over
        previous.close()
    table[key] = stream
    stream.start()


def forget(stream: Stream) -> None:
    table = _table(stream.client)
    if table.get((stream.procedure, stream.serial)) is stream:
        del table[(stream.procedure, stream.serial)]


def route(client: StreamClient, header: Header, payload: bytes) -> None:
    """A STREAM packet from the client, to the stream of its procedure and serial."""
    stream = _table(client).get((header.procedure, header.serial))
    if stream is None or stream.closed:
        return  # libvirtd drops what comes for a stream that has ended
    status = header.status
    if header.type == MessageType.STREAM_HOLE:
        stream.receive_hole(payload)
    elif status == Status.CONTINUE:
        stream.receive(payload)
    elif status == Status.OK:
        stream.finish()
    elif status == Status.ERROR:
        stream.abort()
    else:
        stream._failed_write(stream_error(f"stream aborted with unexpected status {status}"))


def close_all(client: StreamClient) -> None:
    """The client has gone: every one of its streams is released."""
    table = client.data.pop(STREAMS_KEY, None)
    if isinstance(table, dict):
        for stream in list(table.values()):
            try:
                stream.close()
            except Exception:
                log.exception("releasing a stream of a departed client failed")


# -- what a procedure's handler hands over ----------------------------------------------------------------
class StreamSource(Protocol):
    """The data of a stream a handler opened, made into a Stream once the call's reply is out."""

    def open(self, client: StreamClient, procedure: int, serial: int) -> Stream: ...

    def discard(self) -> None:
        """The call failed after all (or its client left): release what the source holds."""


@attrs.frozen
class SocketSource:
    """A connected socket, both ways (a console)."""

    sock: socket.socket

    def open(self, client: StreamClient, procedure: int, serial: int) -> Stream:
        return SocketStream(client, procedure, serial, self.sock)

    def discard(self) -> None:
        self.sock.close()


@attrs.frozen
class BytesSource:
    """Bytes known in advance, one way (a screenshot)."""

    data: bytes

    def open(self, client: StreamClient, procedure: int, serial: int) -> Stream:
        return BufferStream(client, procedure, serial, self.data)

    def discard(self) -> None:
        pass


@attrs.frozen
class TransferSource:
    """A volume's file opened for an upload or a download (``sparse``: holes pass as holes)."""

    transfer: VolumeTransfer
    sparse: bool = False

    def open(self, client: StreamClient, procedure: int, serial: int) -> Stream:
        return TransferStream(client, procedure, serial, self.transfer, sparse=self.sparse)

    def discard(self) -> None:
        self.transfer.close()


def open_source(client: StreamClient, procedure: int, serial: int, source: StreamSource) -> None:
    """Open ``source`` as the stream of the call ``procedure``/``serial`` (once its reply is written)."""
    if client.gone:
        source.discard()
        return
    open_stream(source.open(client, procedure, serial))
