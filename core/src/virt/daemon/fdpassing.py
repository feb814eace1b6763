"""File descriptors a client passes along a call on a unix socket (libvirt's CALL_WITH_FDS).

libvirt's client writes the call, whose payload starts with how many descriptors follow, then
sends each descriptor with SCM_RIGHTS on one byte of its own. asyncio reads with ``recv``, which
would drop them: a unix listener made by :func:`listener` hands its connections a socket whose
``recv`` reads with ``recvmsg`` and keeps the descriptors received, in order, for the client's
framing to take once it has read their bytes (:func:`take`).
"""

from __future__ import annotations

import array
import collections
import contextlib
import os
import socket
import weakref
from typing import Any

FILES_KEY = "passed-files"
"""In a client's ``data``: the descriptors of its calls in progress, by serial."""
MAX_FDS = 32
"""VIR_NET_MESSAGE_NUM_FDS_MAX: the most descriptors one call may pass."""
_ANCILLARY = socket.CMSG_SPACE(MAX_FDS * array.array("i").itemsize)
_SOCKETS: weakref.WeakValueDictionary[int, _ReceivingSocket] = weakref.WeakValueDictionary()


class _ReceivingSocket(socket.socket):
    """An accepted unix connection that keeps the descriptors its reads bring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.passed: collections.deque[int] = collections.deque()

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        data, ancillary, _, _ = self.recvmsg(bufsize, _ANCILLARY, flags)
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds = array.array("i")
                fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
                self.passed.extend(fds)
        return data

    def close(self) -> None:
        while self.passed:
            _close(self.passed.popleft())
        super().close()


class _Listener(socket.socket):
    """A listening unix socket whose connections are :class:`_ReceivingSocket`."""

    __slots__ = ()  # socket.socket's layout: an existing socket can become one (see listener)

    def accept(self) -> tuple[socket.socket, Any]:
        fd, address = self._accept()  # type: ignore[attr-defined]
        connection = _ReceivingSocket(self.family, self.type, self.proto, fileno=fd)
        _SOCKETS[connection.fileno()] = connection
        return connection, address


def listener(sock: socket.socket) -> socket.socket:
    """``sock``, a listening unix socket, made to accept connections that keep passed descriptors.

    The object itself changes class, so that whoever holds it (the endpoint, asyncio's server) goes
    on holding the one socket, closed once by whichever closes it first."""
    if type(sock) is socket.socket:
        sock.__class__ = _Listener
    return sock


def take(sock: Any, count: int) -> tuple[int, ...] | None:
    """The ``count`` descriptors received first on the connection ``sock`` (asyncio's transport
    socket), now theirs to close; None when they are not there (not a connection of :func:`listener`,
    or a client that sent bytes without descriptors)."""
    if count == 0:
        return ()
    try:
        fileno = sock.fileno()
    except (AttributeError, OSError):
        return None
    connection = _SOCKETS.get(fileno)
    if connection is None or len(connection.passed) < count:
        return None
    return tuple(connection.passed.popleft() for _ in range(count))


def files_of(data: dict[str, object]) -> dict[int, tuple[int, ...]]:
    """A client's descriptors of its calls in progress, by serial (kept in its ``data``)."""
    found = data.setdefault(FILES_KEY, {})
    assert isinstance(found, dict)
    return found


def passed_with(data: dict[str, object], serial: int) -> tuple[int, ...]:
    """The descriptors passed along the client's call ``serial`` (none for most calls)."""
    found = data.get(FILES_KEY)
    return found.get(serial, ()) if isinstance(found, dict) else ()


def close_all(fds: tuple[int, ...]) -> None:
    for fd in fds:
        _close(fd)


def _close(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)
