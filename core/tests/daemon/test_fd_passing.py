"""File descriptors passed along calls (CALL_WITH_FDS) on virtd's unix sockets, as libvirt's client
sends them: the call's payload starts with how many follow, then each comes on one byte of its own
with SCM_RIGHTS. The handler finds them by the call's serial; the server closes them after the call."""

from __future__ import annotations

import array
import asyncio
import os
import socket
import struct
from pathlib import Path

from server_helpers import ECHO, EchoHandler, serving
from virt.daemon import fdpassing
from virt.daemon.server import Client
from virt.remote import protocol
from virt.remote.protocol import Header, MessageType, Program, Status


class FileHandler(EchoHandler):
    """EchoHandler that also records, for each call, the identity of each descriptor passed with it."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[list[tuple[int, int]]] = []

    async def dispatch(self, client: Client, header: Header, payload: bytes) -> bytes | None:
        passed = fdpassing.passed_with(client.data, header.serial)
        self.files.append([(os.fstat(fd).st_dev, os.fstat(fd).st_ino) for fd in passed])
        return await super().dispatch(client, header, payload)


def _call_with_fds(serial: int, payload: bytes, count: int) -> bytes:
    header = Header(Program.REMOTE, 1, ECHO, MessageType.CALL_WITH_FDS, serial, Status.OK)
    return protocol.frame(header, struct.pack(">I", count) + payload)


def _send_fd(sock: socket.socket, fd: int) -> None:
    sock.sendmsg([b"\0"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]).tobytes())])


def _reply(sock: socket.socket) -> tuple[Header, bytes] | None:
    """The next packet, None at end of file."""
    data = b""
    while len(data) < 4 or len(data) < protocol.packet_length(data[:4]):
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    return protocol.parse_header(data), data[28:]


def _identity(fd: int) -> tuple[int, int]:
    found = os.fstat(fd)
    return found.st_dev, found.st_ino


def test_descriptors_reach_the_call_and_are_closed_after(tmp_path: Path) -> None:
    handler = FileHandler()

    async def scenario() -> None:
        async with serving(tmp_path, handler) as running:
            await asyncio.to_thread(client, running.rw)

    def client(path: str) -> None:
        read, write = os.pipe()
        other = os.open(os.devnull, os.O_RDONLY)
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(path)
            sock.sendall(_call_with_fds(3, b"abcd", 2))
            _send_fd(sock, write)
            _send_fd(sock, other)
            found = _reply(sock)
            assert found is not None
            header, payload = found
            # answered as a plain call: the count is not part of the arguments
            assert (header.serial, header.type, header.status, payload) == (3, MessageType.REPLY, Status.OK, b"abcd")
            sock.sendall(_call_with_fds(4, b"", 0))
            found = _reply(sock)
            assert found is not None and found[0].serial == 4
            expected = [_identity(write), _identity(other)]
            os.close(write)
            os.close(other)
            # the server's copy of the pipe's write end is closed: reading ends
            assert os.read(read, 1) == b""
            os.close(read)
            assert handler.files == [expected, []]

    asyncio.run(scenario())


def test_a_call_without_its_descriptors_ends_the_connection(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path, FileHandler()) as running:
            await asyncio.to_thread(client, running.rw)

    def client(path: str) -> None:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(path)
            sock.sendall(_call_with_fds(3, b"", 1) + b"\0")  # the byte, no descriptor
            assert _reply(sock) is None

    asyncio.run(scenario())


def test_too_many_descriptors_end_the_connection(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path, FileHandler()) as running:
            await asyncio.to_thread(client, running.rw)

    def client(path: str) -> None:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(path)
            sock.sendall(_call_with_fds(3, b"", fdpassing.MAX_FDS + 1))
            assert _reply(sock) is None

    asyncio.run(scenario())
