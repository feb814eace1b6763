"""virtd's connection layer: one asyncio Protocol per client doing libvirt's framing, limits and
keepalive, handing each call of the REMOTE program to the dispatcher.

The rules, as libvirtd keeps them:
- a packet whose length is impossible ends that client (there is no header to address a reply to);
- a call to an unknown program or version, or with a non-OK status, gets an RPC error reply;
- at most ``max_client_requests`` calls of a client run at once: the client's further packets wait
  unread (the socket is not read) until one finishes;
- a client whose replies pile up unread stops being read until they drain (it never slows others);
- KEEPALIVE: a PING gets a PONG; a client that pings us (or asked about the keepalive feature) is
  pinged after ``keepalive_interval`` seconds of silence and dropped after ``keepalive_count``
  unanswered PINGs.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from virt.daemon import fdpassing
from virt.daemon.auth import Identity, Transport, tcp_identity, tls_identity, unix_identity
from virt.daemon.config import DaemonConfig
from virt.daemon.listeners import Endpoint
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.remote import protocol
from virt.remote.protocol import (
    LENGTH_SIZE,
    MESSAGE_MAX,
    PACKET_START,
    PROGRAM_VERSION,
    Header,
    KeepaliveProcedure,
    MessageType,
    Program,
    Status,
)

log = logging.getLogger("virt.daemon")

_LENGTH = struct.Struct(">I")
_monotonic = time.monotonic  # what the event loop's time() reads, without the method call
_PACKET_MIN = LENGTH_SIZE + protocol.HEADER_SIZE
_PACKET_MAX = LENGTH_SIZE + MESSAGE_MAX
_REMOTE = int(Program.REMOTE)
_KEEPALIVE = int(Program.KEEPALIVE)
_CALL = int(MessageType.CALL)
_MESSAGE = int(MessageType.MESSAGE)
_STREAM = int(MessageType.STREAM)
_STREAM_HOLE = int(MessageType.STREAM_HOLE)
_CALL_WITH_FDS = int(MessageType.CALL_WITH_FDS)
_PING = int(KeepaliveProcedure.PING)
_OK = int(Status.OK)

_PING_PACKET = protocol.frame(Header(_KEEPALIVE, PROGRAM_VERSION, _PING, _MESSAGE, 0, _OK))
_PONG_PACKET = protocol.frame(Header(_KEEPALIVE, PROGRAM_VERSION, int(KeepaliveProcedure.PONG), _MESSAGE, 0, _OK))

# Output a client has not read yet: above the high mark its input is no longer read; events that
# would take it past the hard limit end the client instead of growing without bound.
OUTPUT_HIGH_WATER = 256 * 1024
OUTPUT_LOW_WATER = 64 * 1024
OUTPUT_HARD_LIMIT = 2 * MESSAGE_MAX

# Why a client's socket is not being read (a bit each; reading resumes when none is left).
_PAUSED_FOR_CALLS = 1
_PAUSED_FOR_OUTPUT = 2
_PAUSED_FOR_CLOSE = 4
_PAUSED_FOR_STREAMS = 8


class CallHandler(Protocol):
    """What the server hands calls to: virt.daemon.dispatch.Dispatcher."""

    async def dispatch(self, client: Client, header: Header, payload: bytes) -> bytes | None: ...

    def start_at_once(
        self, client: Client, header: Header, payload: bytes, done: Callable[[bytes], None]
    ) -> bytes | bool:
        """The reply to a call answered at once, True for one whose reply goes to ``done`` (on the loop)
        later, False for one to ``dispatch``."""

    def client_closed(self, client: Client) -> None: ...

    def stream_packet(self, client: Client, header: Header, payload: bytes) -> None: ...


def error_reply(header: Header, error: VirtError) -> bytes:
    """The ERROR reply packet to the call ``header`` describes."""
    reply = Header(header.program, header.version, header.procedure, MessageType.REPLY, header.serial, Status.ERROR)
    return protocol.frame(reply, protocol.encode_error(error))


class Client(asyncio.Protocol):
    """One accepted connection.

    For the dispatcher: ``identity``, ``readonly`` (came on a read-only socket), ``data`` (its
    per-client state), ``send_event()``, ``start_keepalive()`` and ``close()``.
    """

    def __init__(self, server: Server, transport_kind: Transport, readonly: bool) -> None:
        self.identity = Identity(transport_kind)
        self.readonly = readonly
        self.data: dict[str, object] = {}
        self._server = server
        self._loop = server.loop
        self._handler = server.handler
        self._max_calls = server.config.max_client_requests
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._calls = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._paused = 0
        self._keepalive = False
        self._last_heard = 0.0
        self._pings = 0
        self._closed = False
        self._registered = False
        self._finished = False
        self._drained: list[Callable[[], None]] = []
        self._fd_wait: tuple[Header, bytes, int, int] | None = None
        """A CALL_WITH_FDS read but for its descriptors: (header, payload, how many, bytes still to come)."""

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._last_heard = _monotonic()
        server = self._server
        if not server.accepting:
            transport.abort()
            return
        if len(server.clients) >= server.config.max_clients:
            log.warning("too many active clients (%d), dropping connection", len(server.clients))
            transport.abort()
            return
        try:
            self.identity = self._identify(transport)
        except OSError as exc:
            log.warning("cannot identify a %s client: %s", self.identity.transport, exc)
            transport.abort()
            return
        if self.identity.transport == "tls" and not server.tls_peer_allowed(self.identity):
            log.warning("client %s is not on the list of allowed TLS clients", self.identity.describe())
            transport.abort()
            return
        transport.set_write_buffer_limits(OUTPUT_HIGH_WATER, OUTPUT_LOW_WATER)
        if self.identity.transport == "tls":
            # libvirtd's word that the certificate checks passed; the client waits for it.
            transport.write(b"\x01")
        self._registered = True
        server.client_connected(self)
        log.debug("client connected: %s%s", self.identity.describe(), " (read-only)" if self.readonly else "")

    def _identify(self, transport: asyncio.Transport) -> Identity:
        kind = self.identity.transport
        if kind == "unix":
            return unix_identity(transport.get_extra_info("socket"))
        peer = transport.get_extra_info("peername")
        address = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else None
        if kind == "tls":
            ssl_object = transport.get_extra_info("ssl_object")
            return tls_identity(ssl_object.getpeercert() if ssl_object is not None else None, address)
        return tcp_identity(address)

    def data_received(self, data: bytes) -> None:
        self._last_heard = _monotonic()
        self._pings = 0
        buffer = self._buffer
        if self._paused:
            if self._paused & _PAUSED_FOR_CLOSE:
                return
            # Bytes a transport delivers after pause_reading() wait until reading resumes.
            buffer += data
            if len(buffer) > 2 * _PACKET_MAX:
                self._violation("it keeps sending while its calls are throttled")
            return
        if buffer:
            buffer += data
            consumed = self._parse(buffer)
            if consumed:
                del buffer[:consumed]
        else:
            consumed = self._parse(data)
            if consumed < len(data) and not self._closed:
                buffer += memoryview(data)[consumed:]

    def pause_writing(self) -> None:
        self._pause(_PAUSED_FOR_OUTPUT)

    def resume_writing(self) -> None:
        self._resume(_PAUSED_FOR_OUTPUT)
        waiting, self._drained = self._drained, []
        for callback in waiting:
            callback()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._buffer.clear()
        if self._registered:
            self._server.client_disconnected(self)
            log.debug("client disconnected: %s", self.identity.describe())
            if not self._calls:
                self._finish()

    # for the dispatcher

    def send_event(self, procedure: int, payload: bytes) -> None:
        """Queue an event MESSAGE of the REMOTE program; callable from any thread."""
        packet = protocol.frame(Header(_REMOTE, PROGRAM_VERSION, procedure, _MESSAGE, 1, _OK), payload)
        if threading.get_ident() == self._server.loop_thread:
            self._send_event(packet)
        else:
            self._loop.call_soon_threadsafe(self._send_event, packet)

    def start_keepalive(self) -> None:
        """The client said it speaks the keepalive protocol: ping it when it falls silent."""
        self._keepalive = True

    def close(self) -> None:
        """End this connection once the calls in flight (the calling one included) have sent their
        replies; nothing more is read from it. Callable from any thread."""
        if threading.get_ident() == self._server.loop_thread:
            self._close_when_answered()
        else:
            self._loop.call_soon_threadsafe(self._close_when_answered)

    @property
    def calls_in_flight(self) -> int:
        return self._calls

    # for streams (virt.daemon.streams.StreamClient), on the event loop thread

    @property
    def gone(self) -> bool:
        return self._closed

    def write_packet(self, packet: bytes) -> None:
        self._write(packet)

    def output_backlog(self) -> int:
        return self._transport.get_write_buffer_size() if self._transport is not None and not self._closed else 0

    def call_when_drained(self, callback: Callable[[], None]) -> None:
        if self._paused & _PAUSED_FOR_OUTPUT:
            self._drained.append(callback)
        else:
            self._loop.call_soon(callback)

    def hold_input(self, hold: bool) -> None:
        if hold:
            self._pause(_PAUSED_FOR_STREAMS)
        else:
            self._resume(_PAUSED_FOR_STREAMS)

    # framing

    def _parse(self, data: bytes | bytearray) -> int:
        """Handle every whole packet at the start of ``data``; how many bytes were used."""
        offset = 0
        end = len(data)
        while True:
            if self._fd_wait is not None:
                offset = self._fd_bytes(data, offset, end)
                if self._fd_wait is not None or self._closed or self._paused:
                    break
            if end - offset < LENGTH_SIZE:
                break
            if end - offset >= _PACKET_MIN:
                length, program, version, procedure, mtype, serial, status = PACKET_START.unpack_from(data, offset)
            else:
                (length,) = _LENGTH.unpack_from(data, offset)
            if length < _PACKET_MIN or length > _PACKET_MAX:
                self._violation(f"packet length {length} is outside {_PACKET_MIN}..{_PACKET_MAX}")
                return end
            if end - offset < length:
                break
            start = offset + _PACKET_MIN
            offset += length
            if type(data) is bytes:
                payload = data[start:offset]
            else:
                with memoryview(data) as view:
                    payload = bytes(view[start:offset])
            self._packet(program, version, procedure, mtype, serial, status, payload)
            if self._closed or self._paused:
                break
        return offset

    def _packet(
        self, program: int, version: int, procedure: int, mtype: int, serial: int, status: int, payload: bytes
    ) -> None:
        if program == _REMOTE and version == PROGRAM_VERSION:
            if mtype == _CALL:
                header = Header(program, version, procedure, mtype, serial, status)
                if status != _OK:
                    self._write(error_reply(header, protocol.rpc_error(f"Unexpected message status {status}")))
                else:
                    self._start_call(header, payload)
            elif mtype == _CALL_WITH_FDS:
                header = Header(program, version, procedure, mtype, serial, status)
                if self.identity.transport != "unix" or status != _OK or len(payload) < LENGTH_SIZE:
                    self._write(error_reply(header, protocol.rpc_error("file descriptor passing is not supported")))
                    return
                (count,) = _LENGTH.unpack_from(payload)
                if count > fdpassing.MAX_FDS:
                    self._violation(f"Received too many FDs {count}, expected {fdpassing.MAX_FDS} maximum")
                    return
                # the descriptors follow, one byte each; the call starts once they are all here
                call = Header(program, version, procedure, _CALL, serial, status)
                self._fd_wait = (call, payload[LENGTH_SIZE:], count, count)
            elif mtype in (_STREAM, _STREAM_HOLE):
                self._handler.stream_packet(self, Header(program, version, procedure, mtype, serial, status), payload)
            else:
                self._violation(f"unexpected message type {mtype} from a client")
        elif program == _KEEPALIVE and version == PROGRAM_VERSION and mtype == _MESSAGE:
            if procedure == _PING:
                self._keepalive = True
                self._write(_PONG_PACKET)
            # a PONG has already counted as hearing from the client; other procedures are ignored
        else:
            header = Header(program, version, procedure, mtype, serial, status)
            self._write(error_reply(header, protocol.rpc_error(f"Cannot find program {program} version {version}")))

    def _violation(self, reason: str) -> None:
        log.warning("closing client %s: %s", self.identity.describe(), reason)
        self._close()

    # calls

    def _fd_bytes(self, data: bytes | bytearray, offset: int, end: int) -> int:
        """Use the bytes that carried a waiting call's descriptors; start the call once all came."""
        assert self._fd_wait is not None
        header, payload, count, remaining = self._fd_wait
        used = min(remaining, end - offset)
        remaining -= used
        if remaining:
            self._fd_wait = (header, payload, count, remaining)
            return offset + used
        self._fd_wait = None
        files = fdpassing.take(self._transport.get_extra_info("socket") if self._transport else None, count)
        if files is None:
            self._violation("it did not pass the file descriptors its call announced")
            return end
        self._start_call(header, payload, files)
        return offset + used

    def _start_call(self, header: Header, payload: bytes, files: tuple[int, ...] = ()) -> None:
        done = self._call_done
        if files:
            # the handler finds them by the call's serial (Call.files); closed once the call ended
            passed = fdpassing.files_of(self.data)
            passed[header.serial] = files

            def done(reply: bytes | None) -> None:
                fdpassing.close_all(passed.pop(header.serial, ()))
                self._call_done(reply)

        # most calls are answered here and now (a read), or handed to a worker straight away: no task
        started = self._handler.start_at_once(self, header, payload, done)
        if isinstance(started, bytes):
            fdpassing.close_all(fdpassing.files_of(self.data).pop(header.serial, ()) if files else ())
            self._write(started)
            return
        self._calls += 1
        if self._calls >= self._max_calls:
            self._pause(_PAUSED_FOR_CALLS)
        if not started:
            self._tasks.add(self._loop.create_task(self._call(header, payload, done)))

    async def _call(self, header: Header, payload: bytes, done: Callable[[bytes | None], None]) -> None:
        reply: bytes | None
        try:
            reply = await self._handler.dispatch(self, header, payload)
        except asyncio.CancelledError:
            reply = None
        except Exception:
            log.exception("dispatching procedure %d failed", header.procedure)
            internal = VirtError(
                "internal error: the daemon failed to dispatch the call", ErrorNumber.INTERNAL_ERROR, ErrorDomain.RPC
            )
            reply = error_reply(header, internal)
        self._tasks.discard(asyncio.current_task())  # type: ignore[arg-type]
        done(reply)

    def _call_done(self, reply: bytes | None) -> None:
        """A call of this client has ended with ``reply``: write it, and let more calls in."""
        self._calls -= 1
        if reply is not None and not self._closed:
            self._write(reply)
        if self._closed:
            if not self._calls:
                self._finish()
        elif self._paused & _PAUSED_FOR_CLOSE:
            if not self._calls:
                self._close()
        elif self._calls < self._max_calls:
            self._resume(_PAUSED_FOR_CALLS)

    # output and flow control

    def _write(self, packet: bytes) -> None:
        if not self._closed and self._transport is not None:
            self._transport.write(packet)

    def _send_event(self, packet: bytes) -> None:
        if self._closed or self._transport is None:
            return
        if self._transport.get_write_buffer_size() + len(packet) > OUTPUT_HARD_LIMIT:
            self._violation("it does not read its events")
            return
        self._transport.write(packet)

    def _pause(self, reason: int) -> None:
        if not self._paused and self._transport is not None and not self._closed:
            self._transport.pause_reading()
        self._paused |= reason

    def _resume(self, reason: int) -> None:
        if not self._paused & reason:
            return
        self._paused &= ~reason
        if self._paused or self._closed:
            return
        # Packets that came in the same read as the one that stopped the reading go first.
        buffer = self._buffer
        if buffer:
            consumed = self._parse(buffer)
            if consumed:
                del buffer[:consumed]
        if not self._paused and not self._closed and self._transport is not None:
            self._last_heard = _monotonic()  # the silence while we were not listening was ours
            self._transport.resume_reading()

    # keepalive

    def keepalive_tick(self, now: float, interval: float, count: int) -> None:
        # A client whose calls fill its slots is waiting for us, and its answers sit unread.
        if not self._keepalive or self._closed or self._paused & _PAUSED_FOR_CALLS:
            return
        if now - self._last_heard < interval * (self._pings + 1):
            return
        if self._pings >= count:
            self._violation(f"no keepalive response in {int(now - self._last_heard)} seconds")
            return
        self._pings += 1
        self._write(_PING_PACKET)

    # ending

    def _close_when_answered(self) -> None:
        if self._closed:
            return
        self._pause(_PAUSED_FOR_CLOSE)
        if not self._calls:
            self._close()

    def _close(self) -> None:
        if self._transport is not None and not self._closed:
            self._closed = True
            self._transport.close()

    def abort(self) -> None:
        if self._transport is not None:
            self._closed = True
            self._transport.abort()

    def cancel_calls(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    def _finish(self) -> None:
        if not self._finished:
            self._finished = True
            try:
                self._handler.client_closed(self)
            except Exception:
                log.exception("the dispatcher failed to release a closed client")


class Server:
    """The clients of every listener, the keepalive timer, the idle timeout and shutdown."""

    def __init__(
        self,
        config: DaemonConfig,
        handler: CallHandler,
        loop: asyncio.AbstractEventLoop,
        tls_peer_allowed: Callable[[Identity], bool] = lambda identity: True,
        stopped: asyncio.Event | None = None,
    ) -> None:
        self.config = config
        self.handler = handler
        self.loop = loop
        self.loop_thread = threading.get_ident()
        self.tls_peer_allowed = tls_peer_allowed
        self.clients: set[Client] = set()
        self.accepting = True
        self._listeners: list[asyncio.Server] = []
        self._idle_since: float | None = loop.time()
        self._stopped = stopped or asyncio.Event()
        self._keepalive_timer: asyncio.TimerHandle | None = None
        if config.keepalive_interval > 0:
            self._keepalive_timer = loop.call_later(self._keepalive_period(), self._keepalive_tick)

    def protocol_factory(self, transport: Transport, readonly: bool) -> Callable[[], Client]:
        return lambda: Client(self, transport, readonly)

    async def listen(self, endpoint: Endpoint, ssl_context: Any = None) -> None:
        """Serve ``endpoint``'s listening socket (TLS endpoints need ``ssl_context``)."""
        factory = self.protocol_factory(endpoint.transport, endpoint.readonly)
        if endpoint.family_unix:
            # connections that keep the descriptors clients pass along calls (fdpassing)
            listener = await self.loop.create_unix_server(factory, sock=fdpassing.listener(endpoint.sock))
        elif endpoint.transport == "tls":
            if ssl_context is None:
                raise VirtError("a TLS listener needs the TLS settings", ErrorNumber.INTERNAL_ERROR)
            listener = await self.loop.create_server(
                factory, sock=endpoint.sock, ssl=ssl_context, ssl_handshake_timeout=15
            )
        else:
            listener = await self.loop.create_server(factory, sock=endpoint.sock)
        self._listeners.append(listener)
        log.info("listening on %s", endpoint.describe())

    def client_connected(self, client: Client) -> None:
        self.clients.add(client)
        self._idle_since = None

    def client_disconnected(self, client: Client) -> None:
        self.clients.discard(client)
        if not self.clients:
            self._idle_since = self.loop.time()

    def idle_for(self) -> float:
        """Seconds since the last client left (0 while any is connected)."""
        return 0.0 if self._idle_since is None else self.loop.time() - self._idle_since

    def stop(self) -> None:
        """Ask :meth:`serve` to return (signal handlers call this)."""
        self._stopped.set()

    async def serve(self, idle_timeout: float | None = None, busy: Callable[[], bool] | None = None) -> None:
        """Run until :meth:`stop`, or until no client has been connected for ``idle_timeout`` seconds
        and ``busy`` (running guests, as libvirt's daemons count them) says False."""
        if idle_timeout is None:
            await self._stopped.wait()
            return
        while not self._stopped.is_set():
            remaining = idle_timeout - self.idle_for()
            if self._idle_since is not None and remaining <= 0:
                if busy is not None and busy():
                    self._idle_since = self.loop.time()  # guests run: stay another period
                    continue
                log.info("no client for %s seconds, exiting", idle_timeout)
                return
            wait = remaining if self._idle_since is not None else idle_timeout
            try:
                await asyncio.wait_for(self._stopped.wait(), timeout=max(wait, 0.05))
            except TimeoutError:
                continue

    async def shutdown(self, grace: float = 5.0) -> None:
        """Stop listening, close every client (letting replies in progress out for ``grace`` seconds),
        then release them all through the dispatcher."""
        self.accepting = False
        if self._keepalive_timer is not None:
            self._keepalive_timer.cancel()
        for listener in self._listeners:
            listener.close()
        clients = list(self.clients)
        for client in clients:
            client.close()
        deadline = self.loop.time() + grace
        while self.loop.time() < deadline and any(c.calls_in_flight or c in self.clients for c in clients):
            await asyncio.sleep(0.02)
        for client in clients:
            client.cancel_calls()
            client.abort()
        await asyncio.sleep(0)  # let the transports report connection_lost
        await asyncio.sleep(0)

    def _keepalive_period(self) -> float:
        return float(min(1, self.config.keepalive_interval))

    def _keepalive_tick(self) -> None:
        now = _monotonic()
        interval = self.config.keepalive_interval
        count = self.config.keepalive_count
        for client in list(self.clients):
            client.keepalive_tick(now, interval, count)
        self._keepalive_timer = self.loop.call_later(self._keepalive_period(), self._keepalive_tick)
