"""The RPC engine of the remote client: calls matched to replies by serial, events, keepalive.

Whoever waits for a reply reads the connection itself (the thread making a call, while no other
thread is reading), so that a reply reaches its caller without a hand-over between threads; a
background thread reads while no call is waiting: event MESSAGEs, keepalive PINGs (answered at
once) and the peer's departure. Replies read by one thread for another's call wake that caller.
Event MESSAGEs go to an events thread that runs the handler (which may itself make calls). A call
waits at most its timeout. When the peer goes away (end of file, a read error, keepalive silence)
every pending call fails at once with a ConnectionError saying why, and so does every later call.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import select
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from virt.errors import ConnectionError, ErrorDomain, ErrorNumber, VirtError, libvirt_error
from virt.remote import protocol
from virt.remote.protocol import Header, KeepaliveProcedure, MessageType, Program, Status
from virt.remote.transport import Transport

DEFAULT_TIMEOUT = 600.0
"""Seconds a call may wait for its reply unless told otherwise: generous, a guest start can be slow."""

BUSY_GRACE = 0.05
"""Seconds after a call during which the background reader leaves the reading to callers."""

EventHandler = Callable[[int, bytes], None]
"""Receives the procedure number and payload of every event MESSAGE of the REMOTE program."""


class StreamReceiver(Protocol):
    """The client side of a stream (virt.remote.streams): gets the packets of its procedure and serial.

    Its methods run in whichever thread reads the transport: they must not block or make calls.
    """

    serial: int

    def packet(self, header: Header, payload: bytes) -> None:
        """A STREAM packet: data (CONTINUE), the end of the data (OK) or the stream's error (ERROR)."""

    def connection_failed(self, error: ConnectionError) -> None:
        """The connection ended: the stream has no more."""


class _Pending:
    """A call waiting for its reply; ``done`` changes under the client's lock, with a notify."""

    __slots__ = ("done", "error", "header", "payload", "stream_end")

    def __init__(self, *, stream_end: bool = False) -> None:
        self.stream_end = stream_end
        """Waits for a stream's finish or abort to be confirmed (a STREAM packet), not for a REPLY."""
        self.done = False
        self.header: Header | None = None
        self.payload = b""
        self.error: VirtError | None = None


class Client:
    """One connection's RPC engine over a connected ``transport``.

    ``procedure_name`` turns a procedure number into a name for messages. Keepalive starts with
    ``start_keepalive`` (once the server said it knows the KEEPALIVE program).
    """

    def __init__(
        self,
        transport: Transport,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        on_event: EventHandler | None = None,
        procedure_name: Callable[[int], str] = str,
    ) -> None:
        self.transport = transport
        self.timeout = timeout
        """Default seconds a call waits for its reply (None: for ever)."""
        self.on_event = on_event
        self._procedure_name = procedure_name
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        """Notified when a call is done, when the reading turn is free, and when the connection fails."""
        self._reading = threading.Lock()
        """Held by the one thread reading the transport (and using ``_buffer``)."""
        self._buffer = bytearray()
        self._send_lock = threading.Lock()
        self._serials = itertools.count(0)
        self._pending: dict[int, _Pending] = {}
        self._streams: dict[tuple[int, int], StreamReceiver] = {}
        self._failure: ConnectionError | None = None
        self._closing = False
        self._keepalive_interval: float | None = None
        self._keepalive_count = 0
        self._last_heard = time.monotonic()
        self._unanswered_pings = 0
        self._last_call = 0.0
        self._stopped = threading.Event()
        self._events: queue.SimpleQueue[tuple[int, bytes] | None] = queue.SimpleQueue()
        self._event_thread: threading.Thread | None = None
        self._reader = threading.Thread(target=self._background, name=f"virt-remote-reader {transport.description}")
        self._reader.daemon = True
        self._reader.start()

    # -- calls -----------------------------------------------------------------------------------------
    def call(
        self,
        procedure: int,
        payload: bytes = b"",
        *,
        timeout: float | None = None,
        program: int = Program.REMOTE,
        stream: StreamReceiver | None = None,
        files: Sequence[int] = (),
    ) -> bytes:
        """Send a CALL and return the payload of its OK reply; an ERROR reply raises its VirtError.

        ``timeout``: seconds to wait, None for the client's default (``self.timeout``); a call that
        gets no reply in time raises VirtError OPERATION_TIMEOUT, and a late reply is dropped.
        ``stream``: the call opens a stream, whose packets go to it from before the call is sent
        (its ``serial`` is set); it stays registered until ``close_stream`` unless the call fails.
        ``files``: open file descriptors passed along the call (CALL_WITH_FDS; unix sockets only).
        """
        if files and not self.transport.passes_fds:
            self.transport.send_fd(files[0])  # refuses, before anything is sent
        wait = self.timeout if timeout is None else timeout
        deadline = None if wait is None or wait == float("inf") else time.monotonic() + wait
        pending = _Pending()
        with self._lock:
            if self._failure is not None:
                raise self._failure_copy()
            serial = next(self._serials)
            self._pending[serial] = pending
            self._last_call = time.monotonic()
            if stream is not None:
                stream.serial = serial
                self._streams[(procedure, serial)] = stream
        kind = MessageType.CALL_WITH_FDS if files else MessageType.CALL
        header = Header(program, protocol.PROGRAM_VERSION, procedure, kind, serial, Status.OK)
        if files:
            # the payload starts with how many descriptors follow the packet
            payload = len(files).to_bytes(4, "big") + payload
        try:
            self._send(protocol.frame(header, payload), files)
            if not self._await(pending, deadline):
                raise libvirt_error(
                    ErrorNumber.OPERATION_TIMEOUT,
                    f"no reply to {self._procedure_name(procedure)} from {self.transport.description}"
                    f" within {wait or 0:g} s",
                    ErrorDomain.RPC,
                )
        except BaseException:
            if stream is not None:
                with self._lock:
                    self._streams.pop((procedure, serial), None)
            raise
        finally:
            with self._lock:
                self._pending.pop(serial, None)  # a reply coming after this is dropped
                self._last_call = time.monotonic()
        try:
            return self._result(pending)
        except BaseException:
            if stream is not None:
                with self._lock:
                    self._streams.pop((procedure, serial), None)
            raise

    # -- streams ---------------------------------------------------------------------------------------
    def send_stream(self, procedure: int, serial: int, data: bytes) -> None:
        """Data of the stream opened by the call ``procedure``/``serial`` (a CONTINUE packet)."""
        header = Header(
            Program.REMOTE, protocol.PROGRAM_VERSION, procedure, MessageType.STREAM, serial, Status.CONTINUE
        )
        self._send(protocol.frame(header, data))

    def close_stream(
        self, procedure: int, stream: StreamReceiver, *, abort: bool, confirm: bool = True, timeout: float | None = None
    ) -> None:
        """Finish (OK) or abort (ERROR) the stream and wait for the daemon's confirmation; an error
        reply raises its VirtError. ``confirm=False`` (the daemon has already dropped the stream,
        after sending its error) only forgets it."""
        serial = stream.serial
        pending = _Pending(stream_end=True)
        with self._lock:
            registered = self._streams.pop((procedure, serial), None) is stream
            if not confirm or not registered or self._failure is not None:
                return
            self._pending[serial] = pending
            self._last_call = time.monotonic()
        status = Status.ERROR if abort else Status.OK
        header = Header(Program.REMOTE, protocol.PROGRAM_VERSION, procedure, MessageType.STREAM, serial, status)
        wait = self.timeout if timeout is None else timeout
        deadline = None if wait is None else time.monotonic() + wait
        try:
            self._send(protocol.frame(header))
            if not self._await(pending, deadline):
                raise libvirt_error(
                    ErrorNumber.OPERATION_TIMEOUT,
                    f"no confirmation of the stream's end from {self.transport.description} within {wait or 0:g} s",
                    ErrorDomain.RPC,
                )
        finally:
            with self._lock:
                self._pending.pop(serial, None)
                self._last_call = time.monotonic()
        self._result(pending)

    def waiter(self) -> _Pending:
        """Something a stream marks done (``complete``) and a caller waits for (``wait``), reading meanwhile."""
        return _Pending()

    def complete(self, waiter: _Pending) -> None:
        with self._lock:
            waiter.done = True
            self._changed.notify_all()

    def wait(self, waiter: _Pending, timeout: float | None = None) -> bool:
        """Until ``waiter`` is done (True) or ``timeout`` (None: the client's default) has passed."""
        wait = self.timeout if timeout is None else timeout
        with self._lock:
            self._last_call = time.monotonic()
        return self._await(waiter, None if wait is None else time.monotonic() + wait)

    def _await(self, pending: _Pending, deadline: float | None) -> bool:
        """Until ``pending`` is done (True) or the deadline passed (False): read the transport while
        no other thread does, else wait for that thread to finish ``pending`` or to stop reading."""
        while True:
            with self._lock:
                if pending.done:
                    return True
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                with self._lock:
                    return pending.done
            if self._reading.acquire(blocking=False):
                try:
                    self._read_until(pending, deadline)
                finally:
                    self._release_reading()
                continue
            with self._lock:
                # checked under the lock that the reader notifies with: no wake-up is lost
                if not pending.done and self._reading.locked():
                    self._changed.wait(self._poll_interval() if remaining is None else remaining)

    def _release_reading(self) -> None:
        self._reading.release()
        with self._lock:
            self._changed.notify_all()

    def _result(self, pending: _Pending) -> bytes:
        if pending.error is not None:
            raise pending.error
        assert pending.header is not None
        if pending.header.status == Status.ERROR:
            raise protocol.decode_error(pending.payload)
        return pending.payload

    def _send(self, packet: bytes, files: Sequence[int] = ()) -> None:
        with self._send_lock:
            if self._failure is not None:
                raise self._failure_copy()
            try:
                self.transport.send(packet)
                for fd in files:
                    self.transport.send_fd(fd)
            except OSError as exc:
                message = f"cannot send data to {self.transport.description}: {exc.strerror or exc}"
                self._fail(self._with_detail(message))
                raise self._failure_copy() from exc

    # -- state -----------------------------------------------------------------------------------------
    @property
    def failure(self) -> ConnectionError | None:
        """Why the connection ended, None while it works."""
        return self._failure

    @property
    def alive(self) -> bool:
        return self._failure is None

    def _failure_copy(self) -> ConnectionError:
        # A fresh exception per raise: one shared instance would pile up tracebacks across threads.
        failure = self._failure
        assert failure is not None
        return ConnectionError(failure.message, failure.code, failure.domain)

    def _fail(self, message: str) -> None:
        """End the connection for ``message``: every pending call and every later one gets the error."""
        with self._lock:
            if self._failure is not None:
                return
            self._failure = ConnectionError(message, ErrorNumber.RPC, ErrorDomain.RPC)
            pending, self._pending = self._pending, {}
            for waiting in pending.values():
                waiting.error = self._failure_copy()
                waiting.done = True
            streams, self._streams = self._streams, {}
            self._changed.notify_all()
        for stream in streams.values():
            stream.connection_failed(self._failure_copy())
        self._stopped.set()
        self.transport.abort()
        self._events.put(None)

    def close(self) -> None:
        """Stop the reader and the event thread and release the transport; pending calls fail."""
        with self._lock:
            self._closing = True
        self._fail(f"the connection to {self.transport.description} is closed")
        if threading.current_thread() is not self._reader:
            self._reader.join(10)
        thread = self._event_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(10)

    # -- keepalive -------------------------------------------------------------------------------------
    def start_keepalive(
        self, interval: float = protocol.KEEPALIVE_INTERVAL, count: int = protocol.KEEPALIVE_COUNT
    ) -> None:
        """Send a PING after ``interval`` seconds of silence; after ``count`` unanswered ones the
        peer is dead (libvirt's defaults: 5 s and 5, about 30 s). ``interval <= 0`` turns it off."""
        with self._lock:
            self._keepalive_interval = interval if interval > 0 else None
            self._keepalive_count = max(1, count)
            self._last_heard = time.monotonic()
            self._unanswered_pings = 0

    def _keepalive_tick(self) -> None:
        interval = self._keepalive_interval
        if interval is None:
            return
        silent = time.monotonic() - self._last_heard
        if silent < interval * (self._unanswered_pings + 1):
            return
        if self._unanswered_pings >= self._keepalive_count:
            self._fail(
                f"connection to {self.transport.description} closed due to keepalive timeout:"
                f" no answer for {silent:.0f} s"
            )
            return
        self._unanswered_pings += 1
        self._send_keepalive(KeepaliveProcedure.PING)

    def _send_keepalive(self, procedure: KeepaliveProcedure) -> None:
        header = Header(Program.KEEPALIVE, protocol.PROGRAM_VERSION, procedure, MessageType.MESSAGE, 0, Status.OK)
        # on failure _send has ended the connection and said why
        with contextlib.suppress(ConnectionError):
            self._send(protocol.frame(header))

    # -- reading ---------------------------------------------------------------------------------------
    def _poll_interval(self) -> float:
        interval = self._keepalive_interval
        return min(interval, 1.0) if interval is not None else 1.0

    def _read_until(self, pending: _Pending, deadline: float | None) -> None:
        """A caller's turn at reading (``_reading`` held): until its reply, the deadline or a failure."""
        transport = self.transport
        while self._failure is None and not pending.done:
            wait = self._poll_interval()
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    return
            if select.select([transport], [], [], wait)[0]:
                self._receive()
            else:
                self._keepalive_tick()

    def _background(self) -> None:
        """Reads while no caller does: events, PINGs, the peer leaving, keepalive ticks.

        It stays out of the way while calls come and go (and for BUSY_GRACE after the last): each
        reply would wake it too, for nothing, as the caller reads its own. Callers meanwhile read
        whatever else arrives (events, PINGs) along with their replies.
        """
        transport = self.transport
        try:
            while self._failure is None:
                quiet = time.monotonic() - self._last_call
                if self._pending or quiet < BUSY_GRACE:
                    self._stopped.wait(BUSY_GRACE - quiet if quiet < BUSY_GRACE else BUSY_GRACE)
                    continue
                readable = select.select([transport], [], [], self._poll_interval())[0]
                if self._reading.acquire(blocking=False):
                    try:
                        # a caller may have read what woke us: only read what is still there
                        if not readable:
                            self._keepalive_tick()
                        elif select.select([transport], [], [], 0)[0]:
                            self._receive()
                    finally:
                        self._release_reading()
                elif self._reading.acquire(timeout=self._poll_interval()):
                    # a caller was reading (what woke us, likely): select again once it is done
                    self._release_reading()
        finally:
            with self._reading:
                transport.close()

    def _receive(self) -> None:
        """Read what the transport has (``_reading`` held) and dispatch every whole packet."""
        transport = self.transport
        try:
            data = transport.receive()
            if not data:
                self._fail(self._end_of_file_message())
                return
            self._last_heard = time.monotonic()
            self._unanswered_pings = 0
            self._buffer += data
            self._dispatch_packets(self._buffer)
        except VirtError as exc:  # a malformed packet: the stream can no longer be trusted
            self._fail(f"invalid data from {transport.description}: {exc.message}")
        except (OSError, ValueError) as exc:
            if self._failure is None:
                self._fail(f"cannot recv data from {transport.description}: {getattr(exc, 'strerror', None) or exc}")
        except Exception as exc:  # noqa: BLE001 - a broken reader must not leave calls waiting for ever
            self._fail(f"the reader of {transport.description} failed: {type(exc).__name__}: {exc}")

    def _end_of_file_message(self) -> str:
        if self._closing:
            return f"the connection to {self.transport.description} is closed"
        return self._with_detail(f"End of file while reading data from {self.transport.description}")

    def _with_detail(self, message: str) -> str:
        """``message`` with what the transport knows of the cause (ssh's own error), when anything."""
        detail = self.transport.failure_detail()
        return f"{message}: {detail}" if detail else message

    def _dispatch_packets(self, buffer: bytearray) -> None:
        while len(buffer) >= protocol.LENGTH_SIZE:
            length = protocol.packet_length(buffer)
            if len(buffer) < length:
                return
            packet = bytes(buffer[:length])
            del buffer[:length]
            self._dispatch(protocol.parse_header(packet), packet[protocol.LENGTH_SIZE + protocol.HEADER_SIZE :])

    def _dispatch(self, header: Header, payload: bytes) -> None:
        if header.program == Program.KEEPALIVE:
            if header.procedure == KeepaliveProcedure.PING:
                self._send_keepalive(KeepaliveProcedure.PONG)
            return  # a PONG only proves the peer lives, which any packet does
        if header.type == MessageType.REPLY:
            with self._lock:
                pending = self._pending.pop(header.serial, None)
                if pending is not None:  # else: the reply of a call that timed out
                    pending.header = header
                    pending.payload = payload
                    pending.done = True
                    self._changed.notify_all()
            return
        if header.type == MessageType.MESSAGE and header.program == Program.REMOTE and header.status == Status.OK:
            self._queue_event(header.procedure, payload)
        elif header.type == MessageType.STREAM and header.program == Program.REMOTE:
            self._stream_packet(header, payload)

    def _stream_packet(self, header: Header, payload: bytes) -> None:
        with self._lock:
            if header.status != Status.CONTINUE:
                # the confirmation of a finish or abort we wait for (an error ends the wait too)
                pending = self._pending.get(header.serial)
                if pending is not None and pending.stream_end:
                    del self._pending[header.serial]
                    pending.header, pending.payload, pending.done = header, payload, True
                    self._changed.notify_all()
                    return
            stream = self._streams.get((header.procedure, header.serial))
        if stream is not None:  # else: a stream already closed, as libvirt's client drops them
            stream.packet(header, payload)

    # -- events ----------------------------------------------------------------------------------------
    def _queue_event(self, procedure: int, payload: bytes) -> None:
        if self.on_event is None:
            return
        self._events.put((procedure, payload))
        if self._event_thread is None:
            self._event_thread = threading.Thread(
                target=self._event_loop, name=f"virt-remote-events {self.transport.description}", daemon=True
            )
            self._event_thread.start()

    def _event_loop(self) -> None:
        while True:
            item = self._events.get()
            if item is None:
                return
            procedure, payload = item
            handler = self.on_event
            if handler is not None:
                try:
                    handler(procedure, payload)
                except Exception:  # a bad event must not end event delivery
                    import logging

                    logging.getLogger(__name__).exception("remote event %s could not be delivered", procedure)
