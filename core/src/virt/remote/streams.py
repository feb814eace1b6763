"""The client side of streams: a screenshot's bytes gathered, a console bridged to a local socket.

A stream's packets reach its receiver from whichever thread reads the connection, so receivers
never block there: a console's incoming data is queued for a thread of its own that writes it to
the local socket, and another thread sends what the user writes. The daemon's end of the data is
an empty CONTINUE packet; the client then finishes the stream (or aborts it) and the daemon confirms
with an empty OK packet.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import threading
from typing import TYPE_CHECKING

from virt.errors import ConnectionError, VirtError
from virt.remote import protocol
from virt.remote.protocol import Header, Status

if TYPE_CHECKING:
    from virt.remote.client import Client

log = logging.getLogger(__name__)

CHUNK = 65536
"""Bytes of the user's console input sent per packet (libvirt's virsh sends what one read gives)."""


class Receiver:
    """What every stream keeps: its procedure and serial, the error or end the daemon sent."""

    def __init__(self, client: Client, procedure: int) -> None:
        self.client = client
        self.procedure = procedure
        self.serial = -1
        self.error: VirtError | None = None
        """The daemon's error for this stream (it has dropped the stream) or the connection's end."""
        self.ended = False
        """The daemon sent the end of the data: the stream waits for our finish."""
        self.done = client.waiter()

    def packet(self, header: Header, payload: bytes) -> None:
        if header.status == Status.CONTINUE and payload:
            self.data(payload)
            return
        if header.status == Status.CONTINUE:  # empty: the end of the daemon's data
            self.ended = True
        else:  # an OK nobody asked for, or the stream's error
            try:
                self.error = protocol.decode_error(payload)
            except VirtError as exc:
                self.error = exc
        self.end()
        self.client.complete(self.done)

    def connection_failed(self, error: ConnectionError) -> None:
        self.error = error
        self.end()
        self.client.complete(self.done)

    def data(self, payload: bytes) -> None:
        """Data from the daemon."""

    def end(self) -> None:
        """No more data will come (see ``ended`` and ``error``)."""

    def close(self) -> None:
        """Finish the stream (abort it after an error of ours); a stream the daemon dropped is only forgotten."""
        daemon_dropped = self.error is not None
        self.client.close_stream(self.procedure, self, abort=False, confirm=not daemon_dropped)


class BytesReceiver(Receiver):
    """Gathers a stream's whole data (a screenshot)."""

    def __init__(self, client: Client, procedure: int) -> None:
        super().__init__(client, procedure)
        self._chunks: list[bytes] = []

    def data(self, payload: bytes) -> None:
        self._chunks.append(payload)

    def collect(self, timeout: float | None = None) -> bytes:
        """The data once the daemon has sent all of it and the stream is finished; its error otherwise."""
        if not self.client.wait(self.done, timeout):
            with contextlib.suppress(VirtError):
                self.client.close_stream(self.procedure, self, abort=True)
            raise VirtError(f"the stream of procedure {self.procedure} did not end in time")
        self.close()
        if self.error is not None:
            raise self.error
        return b"".join(self._chunks)


class ConsoleBridge(Receiver):
    """A console stream as a connected socket: ``user_end`` is what the caller gets.

    Closing (or shutting down writing on) ``user_end`` finishes the stream; the daemon's end of the
    console (the guest went away) closes writing towards the user, who then reads end of file.
    """

    def __init__(self, client: Client, procedure: int) -> None:
        super().__init__(client, procedure)
        self.user_end, self._end = socket.socketpair()
        self._incoming: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

    def start(self, name: str) -> socket.socket:
        threading.Thread(target=self._write_to_user, name=f"virt-console-out {name}", daemon=True).start()
        threading.Thread(target=self._read_from_user, name=f"virt-console-in {name}", daemon=True).start()
        return self.user_end

    def data(self, payload: bytes) -> None:
        self._incoming.put(payload)

    def end(self) -> None:
        self._incoming.put(None)

    def _write_to_user(self) -> None:
        while True:
            chunk = self._incoming.get()
            try:
                if chunk is None:
                    self._end.shutdown(socket.SHUT_WR)
                    return
                self._end.sendall(chunk)
            except OSError:
                return  # the user closed the socket: what is left has nowhere to go

    def _read_from_user(self) -> None:
        try:
            while True:
                try:
                    data = self._end.recv(CHUNK)
                except OSError:
                    data = b""
                if not data or self.error is not None:
                    break
                try:
                    self.client.send_stream(self.procedure, self.serial, data)
                except VirtError:
                    break  # the connection ended: the stream with it
            with contextlib.suppress(VirtError):
                self.close()
        except Exception:
            log.exception("the console stream of procedure %d failed", self.procedure)
        finally:
            self._incoming.put(None)
            with contextlib.suppress(OSError):
                self._end.shutdown(socket.SHUT_RDWR)
            self._end.close()
