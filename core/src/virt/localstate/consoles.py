"""Console sessions as libvirt's chrdev table keeps them: one open session per console, the caller
holding one end of a socket pair whose other end a thread copies to and from the console.

``ConsoleSessions.open(key, read_fd, write_fd, force=..., on_end=...)`` bridges a console that is
already open (a pty, a pipe pair to a ``xl console`` over ssh...) to a new socket; a second open of
the same key is refused with libvirt's words unless forced, which ends the first session. When
either side ends, ``on_end`` runs once (close the pty, stop the helper process).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import selectors
import socket
import threading
from collections.abc import Callable, Hashable

from virt.errors import ErrorDomain, ErrorNumber, libvirt_error

log = logging.getLogger(__name__)

_CHUNK = 65536


class _Bridge:
    """Bytes both ways between a console's descriptors and our end of the caller's socket pair."""

    def __init__(self, owner: ConsoleSessions, key: Hashable, read_fd: int, write_fd: int, ours: socket.socket,
                 on_end: Callable[[], None]) -> None:  # fmt: skip
        self._owner = owner
        self._key = key
        self._read_fd = read_fd
        self._write_fd = write_fd
        self._ours = ours
        self._on_end = on_end
        self._thread = threading.Thread(target=self._run, name=f"console {key}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def take_over(self) -> None:
        """Another session forced its way in: the caller's socket sees the end of the stream."""
        with contextlib.suppress(OSError):
            self._ours.shutdown(socket.SHUT_RDWR)

    def _run(self) -> None:
        try:
            self._pump()
        except OSError as exc:
            log.debug("console %s ended: %s", self._key, exc)
        finally:
            self._owner._ended(self._key, self)
            with contextlib.suppress(OSError):
                self._ours.shutdown(socket.SHUT_RDWR)
            self._ours.close()
            try:
                self._on_end()
            except Exception:
                log.exception("cleaning up console %s", self._key)

    def _pump(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._read_fd, selectors.EVENT_READ, "console")
            selector.register(self._ours, selectors.EVENT_READ, "caller")
            while True:
                for found, _ in selector.select():
                    if found.data == "console":
                        try:
                            data = os.read(self._read_fd, _CHUNK)
                        except BlockingIOError:
                            continue
                        except OSError as exc:
                            if exc.errno == errno.EIO:  # the pty's other side is gone
                                return
                            raise
                        if not data:
                            return
                        self._ours.sendall(data)
                    else:
                        data = self._ours.recv(_CHUNK)
                        if not data:
                            return  # the caller hung up
                        _write_all(self._write_fd, data)


def _write_all(fd: int, data: bytes) -> None:
    """All of ``data`` to ``fd``, waiting while a non-blocking console (a pty) is full."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            select.select([], [fd], [])


class ConsoleSessions:
    """The open console sessions of one driver, by a key naming the console (domain and device)."""

    def __init__(self, error_domain: ErrorDomain) -> None:
        self._sessions: dict[Hashable, _Bridge] = {}
        self._lock = threading.Lock()
        self._error_domain = error_domain

    def busy(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._sessions

    def check(self, key: Hashable, *, force: bool) -> None:
        """Refuse (libvirt's words) a second session of ``key`` unless forced; forced, end the first."""
        with self._lock:
            current = self._sessions.get(key)
            if current is None:
                return
            if not force:
                raise libvirt_error(
                    ErrorNumber.OPERATION_FAILED, "Active console session exists for this domain", self._error_domain
                )
            del self._sessions[key]
        current.take_over()

    def open(self, key: Hashable, read_fd: int, write_fd: int, on_end: Callable[[], None]) -> socket.socket:
        """A new session of ``key`` over the open console ``read_fd``/``write_fd`` (call ``check``
        first); the caller's end of the socket pair. ``on_end`` releases the console afterwards."""
        caller, ours = socket.socketpair()
        bridge = _Bridge(self, key, read_fd, write_fd, ours, on_end)
        with self._lock:
            previous = self._sessions.pop(key, None)
            self._sessions[key] = bridge
        if previous is not None:
            previous.take_over()
        bridge.start()
        return caller

    def _ended(self, key: Hashable, bridge: _Bridge) -> None:
        with self._lock:
            if self._sessions.get(key) is bridge:
                del self._sessions[key]
