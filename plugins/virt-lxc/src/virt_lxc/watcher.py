"""One thread per driver instance listening to every running container's controller.

Each container has a ``watch`` connection to its controller; the controller writes one line
when init ends (``{"event": "exited", "status": N}``) and closes it. End of file without that
line means the controller itself is gone. Either way ``on_end(key, status or None)`` is called
in this thread, which holds no lock of the driver's while calling it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import selectors
import socket
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

EndCallback = Callable[[Any, "int | None"], None]


class Watcher:
    def __init__(self, on_end: EndCallback, name: str = "virt-lxc watcher") -> None:
        self._on_end = on_end
        self._selector = selectors.DefaultSelector()
        self._lock = threading.Lock()
        self._buffers: dict[int, bytes] = {}
        self._ready: list[tuple[socket.socket, Any]] = []
        """Watched sockets whose buffer may already hold the exit line (read by ``watch``'s caller)."""
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def watch(self, sock: socket.socket, key: Any, already: bytes = b"") -> None:
        """Follow ``sock`` (a watch connection whose reply was read; ``already``: bytes that came after it)."""
        sock.setblocking(False)
        with self._lock:
            self._buffers[sock.fileno()] = already
            self._selector.register(sock, selectors.EVENT_READ, key)
            if b"\n" in already:
                self._ready.append((sock, key))
        self._wake()

    def forget(self, sock: socket.socket) -> None:
        """Stop following ``sock`` and close it (the driver ends the container itself)."""
        with self._lock:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(sock)
            self._buffers.pop(sock.fileno(), None)
        sock.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._wake()
        if self._thread is not threading.current_thread():
            self._thread.join(5)
        with self._lock:
            for key in list(self._selector.get_map().values()):
                if key.data is not None:
                    key.fileobj.close()  # type: ignore[union-attr]
            self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    return
                ready, self._ready = self._ready, []
            for sock, data in ready:
                self._readable(sock, data, receive=False)
            for key, _ in self._selector.select():
                if key.data is None:
                    with contextlib.suppress(BlockingIOError):
                        self._wake_r.recv(4096)
                    continue
                self._readable(key.fileobj, key.data)  # type: ignore[arg-type]

    def _readable(self, sock: socket.socket, key: Any, receive: bool = True) -> None:
        with self._lock:
            if sock.fileno() < 0 or sock.fileno() not in self._buffers:
                return
            data = b""
            if receive:
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    return
                except OSError:
                    data = b""
                if not data:
                    ended: tuple[bool, int | None] | None = (True, None)
                else:
                    self._buffers[sock.fileno()] += data
                    ended = self._parse(sock.fileno())
            else:
                ended = self._parse(sock.fileno())
            if ended is None:
                return
            self._selector.unregister(sock)
            self._buffers.pop(sock.fileno(), None)
        sock.close()
        try:
            self._on_end(key, ended[1])
        except Exception:
            log.exception("handling the end of %r failed", key)

    def _parse(self, fd: int) -> tuple[bool, int | None] | None:
        """(True, status) once the buffer holds the exit line; None while it does not."""
        buffer = self._buffers[fd]
        while b"\n" in buffer:
            line, _, buffer = buffer.partition(b"\n")
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict) and message.get("event") == "exited":
                status = message.get("status")
                return True, status if isinstance(status, int) else None
        self._buffers[fd] = buffer
        return None
