"""A QMP (QEMU Machine Protocol) client over a unix socket.

One reader thread owns the receiving side: it routes command replies to the waiting ``execute``
by ``id`` and queues events for a second thread that runs the event callbacks, so a slow callback
never holds up a reply. QEMU is not trusted: garbage, oversized lines or silence end in
``MonitorClosed`` / ``QMPError`` within a bounded time, never in a hang.
"""

from __future__ import annotations

import array
import contextlib
import errno
import itertools
import json
import logging
import queue
import select
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from virt.errors import ErrorDomain, ErrorNumber, VirtError

log = logging.getLogger(__name__)

EventCallback = Callable[[str, dict[str, Any], float], None]
CloseCallback = Callable[[], None]

# query-qmp-schema, the largest reply QEMU sends, is well under 1 MiB; a line longer than this is hostile.
MAX_LINE_BYTES = 32 * 1024 * 1024
# how long close() waits for a callback that is still running before leaving its (daemon) thread behind
_JOIN_TIMEOUT = 5.0


class QMPError(VirtError):
    """QEMU refused a command (its error class and description are in the message), or it timed out."""

    default_code = ErrorNumber.OPERATION_FAILED

    def __init__(
        self,
        message: str,
        code: ErrorNumber | None = None,
        domain: ErrorDomain = ErrorDomain.QEMU,
        *,
        error_class: str | None = None,
        desc: str | None = None,
    ) -> None:
        super().__init__(message, code, domain)
        self.error_class = error_class
        self.desc = desc


class MonitorClosed(QMPError):
    """The monitor connection is gone: QEMU exited, sent garbage, or ``close()`` was called."""


class _Pending:
    """The one command in flight: its id and, once it arrives, its reply or the reason it never will."""

    def __init__(self, ident: str) -> None:
        self.id = ident
        self.done = threading.Event()
        self.reply: dict[str, Any] | None = None
        self.failure: QMPError | None = None


_CLOSE = object()  # sentinel on the event queue: the connection ended, run the close callbacks


class Monitor:
    """A connected QMP session; create it with :meth:`connect`."""

    def __init__(self, sock: socket.socket, path: str) -> None:
        self._sock = sock
        self._path = path
        self._ids = itertools.count(1)
        self._command_lock = threading.Lock()  # one command at a time, as QMP replies in order anyway
        self._state = threading.Lock()  # guards _pending, _closed, _close_reason and the callback lists
        self._pending: _Pending | None = None
        self._closed = False
        self._close_reason = "the QEMU monitor is closed"
        self._closing = False  # close() was called: the end is not an error worth logging
        self._close_dispatched = False
        self._greeting = threading.Event()
        self._version: tuple[int, int, int] | None = None
        self._event_callbacks: list[EventCallback] = []
        self._close_callbacks: list[CloseCallback] = []
        self._events: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._reader = threading.Thread(target=self._read_loop, name=f"qmp-reader {path}", daemon=True)
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name=f"qmp-events {path}", daemon=True)

    # -- connecting ---------------------------------------------------------------------------

    @classmethod
    def connect(cls, path: str | Path, *, timeout: float = 10.0) -> Monitor:
        """Connect to QEMU's QMP socket, waiting up to ``timeout`` for it to appear, and negotiate."""
        path = str(path)
        deadline = time.monotonic() + timeout
        sock = _connect_socket(path, deadline)
        monitor = cls(sock, path)
        monitor._reader.start()
        monitor._dispatcher.start()
        try:
            if not monitor._greeting.wait(max(0.0, deadline - time.monotonic())):
                with monitor._state:
                    closed, reason = monitor._closed, monitor._close_reason
                if closed:
                    raise MonitorClosed(reason)
                raise QMPError(f"no QMP greeting from {path} within {timeout:g}s", ErrorNumber.OPERATION_TIMEOUT)
            if monitor._version is None:  # the reader gave up on a bad greeting
                raise MonitorClosed(monitor._close_reason)
            monitor.execute("qmp_capabilities", timeout=max(0.1, deadline - time.monotonic()))
        except BaseException:
            monitor.close()
            raise
        return monitor

    @property
    def version(self) -> tuple[int, int, int]:
        """QEMU's (major, minor, micro) from the greeting."""
        assert self._version is not None  # connect() does not return without it
        return self._version

    @property
    def closed(self) -> bool:
        with self._state:
            return self._closed

    # -- commands -----------------------------------------------------------------------------

    def execute(
        self, command: str, arguments: dict[str, Any] | None = None, *, timeout: float = 30.0, fd: int | None = None
    ) -> Any:
        """Run one QMP command and return its ``return`` value; QMPError if QEMU refuses it.

        ``fd`` travels with the command as SCM_RIGHTS ancillary data (``getfd``, ``add-fd``).

        Timeouts raise QMPError with code OPERATION_TIMEOUT and leave the session usable; a lost
        connection raises MonitorClosed, except for ``quit``, where it counts as success.
        """
        deadline = time.monotonic() + timeout
        if not self._command_lock.acquire(timeout=max(0.0, timeout)):
            raise QMPError(
                f"timed out after {timeout:g}s waiting for another QEMU monitor command to finish before '{command}'",
                ErrorNumber.OPERATION_TIMEOUT,
            )
        try:
            pending = _Pending(f"virt-{next(self._ids)}")
            with self._state:
                if self._closed:
                    raise MonitorClosed(self._close_reason)
                self._pending = pending
            message: dict[str, Any] = {"execute": command, "id": pending.id}
            if arguments is not None:
                message["arguments"] = arguments
            try:
                self._send(json.dumps(message).encode() + b"\n", deadline, command, fd)
            except (OSError, ValueError) as exc:  # ValueError: the socket was closed under us
                raise MonitorClosed(
                    f"cannot send '{command}' to the QEMU monitor: {getattr(exc, 'strerror', None) or exc}"
                ) from exc
            if not pending.done.wait(max(0.0, deadline - time.monotonic())):
                # the reply may still come; it then carries a stale id and is dropped
                raise QMPError(
                    f"timed out after {timeout:g}s waiting for QEMU to answer '{command}'",
                    ErrorNumber.OPERATION_TIMEOUT,
                )
            if pending.failure is not None:
                if command == "quit" and isinstance(pending.failure, MonitorClosed):
                    return None  # QEMU may exit before its reply to quit is flushed: the end is the answer
                raise pending.failure
            return _result(command, pending.reply or {})
        finally:
            with self._state:
                self._pending = None
            self._command_lock.release()

    def _send(self, data: bytes, deadline: float, command: str, fd: int | None = None) -> None:
        """Write all of ``data``, polling so that a QEMU that stopped reading costs a timeout, not a hang;
        ``fd`` goes with the first bytes sent."""
        view = memoryview(data)
        poller = select.poll()
        poller.register(self._sock.fileno(), select.POLLOUT)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QMPError(f"timed out sending '{command}' to the QEMU monitor", ErrorNumber.OPERATION_TIMEOUT)
            if not poller.poll(remaining * 1000):
                continue
            try:
                if fd is not None:
                    rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]).tobytes())]
                    sent = self._sock.sendmsg([view], rights, socket.MSG_DONTWAIT | socket.MSG_NOSIGNAL)
                    fd = None
                else:
                    sent = self._sock.send(view, socket.MSG_DONTWAIT | socket.MSG_NOSIGNAL)
            except BlockingIOError:
                continue
            view = view[sent:]

    # -- callbacks ----------------------------------------------------------------------------

    def on_event(self, callback: EventCallback) -> None:
        """Call ``callback(name, data, timestamp)`` for every QMP event, from the event thread."""
        with self._state:
            self._event_callbacks.append(callback)

    def on_close(self, callback: CloseCallback) -> None:
        """Call ``callback()`` once when the connection ends, after every event before it.

        Registered after the end, it runs at once, so no caller misses QEMU dying early.
        """
        with self._state:
            if not self._close_dispatched:
                self._close_callbacks.append(callback)
                return
        _safely(callback)

    # -- closing ------------------------------------------------------------------------------

    def close(self) -> None:
        """End the connection (QEMU keeps running) and stop both threads; idempotent."""
        with self._state:
            self._closing = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the reader from recv()
        current = threading.current_thread()
        if self._reader.is_alive() and self._reader is not current:
            self._reader.join(_JOIN_TIMEOUT)
        if not self._reader.is_alive():
            self._sock.close()
        if self._dispatcher.is_alive() and self._dispatcher is not current:
            self._dispatcher.join(_JOIN_TIMEOUT)
            if self._dispatcher.is_alive():
                log.warning("a QMP event callback of %s is still running after close()", self._path)

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the reader thread --------------------------------------------------------------------

    def _read_loop(self) -> None:
        reason = "QEMU closed the monitor connection"
        buffer = bytearray()
        try:
            while True:
                newline = buffer.find(b"\n")
                if newline < 0:
                    if len(buffer) > MAX_LINE_BYTES:
                        reason = f"the QEMU monitor sent a line longer than {MAX_LINE_BYTES} bytes"
                        break
                    chunk = self._sock.recv(65536)
                    if not chunk:
                        break
                    buffer += chunk
                    continue
                line = bytes(buffer[:newline])
                del buffer[: newline + 1]
                if line.strip():
                    problem = self._handle_line(line)
                    if problem:
                        reason = problem
                        break
        except ConnectionResetError:
            pass  # QEMU exiting with unread input resets rather than closes: the same end
        except OSError as exc:
            reason = f"reading the QEMU monitor failed: {exc.strerror or exc}"
        except Exception as exc:  # a bug here must still end in MonitorClosed, not a waiting caller
            log.exception("QMP reader of %s failed", self._path)
            reason = f"the QEMU monitor reader failed: {exc}"
        self._shut(reason)

    def _handle_line(self, line: bytes) -> str | None:
        """Route one message; a description of the problem when the stream cannot be trusted any more."""
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            return f"the QEMU monitor sent invalid JSON: {line[:80]!r}"
        if not isinstance(message, dict):
            return f"the QEMU monitor sent a non-object message: {line[:80]!r}"
        if "QMP" in message:
            if self._greeting.is_set():
                return None
            self._version = _greeting_version(message)
            self._greeting.set()
            return None if self._version is not None else f"bad QMP greeting: {line[:200]!r}"
        if not self._greeting.is_set():
            return f"the QEMU monitor did not start with a greeting: {line[:80]!r}"
        if "event" in message:
            self._events.put(message)
            return None
        if "return" in message or "error" in message:
            with self._state:
                pending = self._pending
                # no id: QEMU could not parse the command, which can only be the one in flight
                if pending is not None and message.get("id", pending.id) == pending.id:
                    pending.reply = message
                    pending.done.set()
            return None
        log.debug("ignoring unexpected QMP message from %s: %.200r", self._path, message)
        return None

    def _shut(self, reason: str) -> None:
        """The connection ended: fail the command in flight and queue the close callbacks, once."""
        with self._state:
            if self._closed:
                return
            self._closed = True
            if self._closing:
                reason = "the QEMU monitor connection was closed"
            elif reason:
                log.debug("QMP %s: %s", self._path, reason)
            self._close_reason = reason
            pending = self._pending
            if pending is not None:
                pending.failure = MonitorClosed(reason)
                pending.done.set()
        self._greeting.set()  # connect() waits on it
        self._events.put(_CLOSE)

    # -- the event thread ---------------------------------------------------------------------

    def _dispatch_loop(self) -> None:
        while True:
            item = self._events.get()
            if item is _CLOSE:
                with self._state:
                    self._close_dispatched = True
                    callbacks = list(self._close_callbacks)
                    self._close_callbacks.clear()
                for close_callback in callbacks:
                    _safely(close_callback)
                return
            assert isinstance(item, dict)
            name = item.get("event")
            if not isinstance(name, str):
                continue
            data = item.get("data")
            timestamp = _timestamp(item.get("timestamp"))
            with self._state:
                event_callbacks = list(self._event_callbacks)
            for event_callback in event_callbacks:
                _safely(event_callback, name, data if isinstance(data, dict) else {}, timestamp)


def _connect_socket(path: str, deadline: float) -> socket.socket:
    """Connect, retrying while QEMU has not created (or not yet listens on) the socket."""
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        try:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            sock.connect(path)
        except OSError as exc:
            sock.close()
            retry = exc.errno in (errno.ENOENT, errno.ECONNREFUSED, errno.EAGAIN)
            if not retry or time.monotonic() >= deadline:
                raise MonitorClosed(
                    f"cannot connect to the QEMU monitor at {path}: {exc.strerror or exc}",
                    ErrorNumber.OPERATION_FAILED if retry else ErrorNumber.SYSTEM_ERROR,
                ) from exc
            time.sleep(0.02)
            continue
        sock.settimeout(None)  # the reader blocks in recv(); close() wakes it with shutdown()
        return sock


def _greeting_version(message: dict[str, Any]) -> tuple[int, int, int] | None:
    try:
        qemu = message["QMP"]["version"]["qemu"]
        version = (qemu["major"], qemu["minor"], qemu["micro"])
    except (KeyError, TypeError):
        return None
    if not all(isinstance(part, int) and not isinstance(part, bool) for part in version):
        return None
    return version


def _result(command: str, reply: dict[str, Any]) -> Any:
    if "error" not in reply:
        return reply.get("return")
    error = reply["error"]
    if not isinstance(error, dict):
        error = {"desc": str(error)}
    error_class = str(error.get("class", "GenericError"))
    desc = str(error.get("desc", "unknown error"))
    raise QMPError(f"QEMU command '{command}' failed: {desc} ({error_class})", error_class=error_class, desc=desc)


def _timestamp(value: Any) -> float:
    """QMP's {"seconds", "microseconds"}, or now when QEMU left it out."""
    try:
        return float(value["seconds"]) + float(value["microseconds"]) / 1e6
    except (KeyError, TypeError, ValueError):
        return time.time()


def _safely(callback: Callable[..., None], *args: Any) -> None:
    """A failing callback is logged; it must not kill the event thread of every other listener."""
    try:
        callback(*args)
    except Exception:
        log.exception("QMP callback %r failed", callback)


__all__ = ["Monitor", "MonitorClosed", "QMPError"]
