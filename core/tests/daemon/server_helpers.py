"""A small call handler standing in for the dispatcher, a server on unix sockets in a temporary folder,
and a raw protocol client, for the tests of virtd's connection layer."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import attrs
from virt.daemon.config import DaemonConfig, parse_daemon_config
from virt.daemon.listeners import Endpoint, close_endpoints, unix_endpoint
from virt.daemon.server import Client, Server
from virt.remote import protocol
from virt.remote.protocol import Header, MessageType, Program, Status

ECHO = 1  # reply OK with the call's payload
SLEEP = 2  # reply after sleeping payload's u32 milliseconds
FAIL = 3  # the handler raises
SILENT = 4  # no reply at all
EVENT_FROM_THREAD = 5  # send an event (procedure 318, the call's payload) from another thread, then reply
BIG = 6  # reply with payload's u32 bytes
HANG_UP = 7  # ask (from another thread) for the connection to close, then reply

KEEPALIVE_PING = protocol.frame(Header(Program.KEEPALIVE, 1, 1, MessageType.MESSAGE, 0, Status.OK))
KEEPALIVE_PONG = protocol.frame(Header(Program.KEEPALIVE, 1, 2, MessageType.MESSAGE, 0, Status.OK))


class EchoHandler:
    """Answers calls by procedure number (see the constants above) and records what it saw."""

    def __init__(self) -> None:
        self.running = 0
        self.most_running = 0
        self.calls: list[tuple[Client, Header, bytes]] = []
        self.closed: list[tuple[Client, int]] = []  # each closed client, with its calls still running then
        self.stream_packets: list[tuple[Header, bytes]] = []

    def stream_packet(self, client: Client, header: Header, payload: bytes) -> None:
        self.stream_packets.append((header, payload))  # a stream nobody opened: dropped here

    def start_at_once(
        self, client: Client, header: Header, payload: bytes, done: Callable[[bytes], None]
    ) -> bytes | bool:
        return False  # every call goes through dispatch, where the test sees it

    async def dispatch(self, client: Client, header: Header, payload: bytes) -> bytes | None:
        self.calls.append((client, header, payload))
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            if header.procedure == SLEEP:
                await asyncio.sleep(struct.unpack(">I", payload)[0] / 1000)
            elif header.procedure == FAIL:
                raise RuntimeError("the handler broke")
            elif header.procedure == SILENT:
                return None
            elif header.procedure == EVENT_FROM_THREAD:
                await asyncio.to_thread(client.send_event, 318, payload)
            elif header.procedure == HANG_UP:
                await asyncio.to_thread(client.close)
            elif header.procedure == BIG:
                payload = bytes(struct.unpack(">I", payload)[0])
        finally:
            self.running -= 1
        reply = Header(header.program, header.version, header.procedure, MessageType.REPLY, header.serial, Status.OK)
        return protocol.frame(reply, payload)

    def client_closed(self, client: Client) -> None:
        self.closed.append((client, client.calls_in_flight))


def call(procedure: int, serial: int, payload: bytes = b"", program: int = Program.REMOTE, version: int = 1) -> bytes:
    return protocol.frame(Header(program, version, procedure, MessageType.CALL, serial, Status.OK), payload)


def config_for(folder: Path, **settings: Any) -> DaemonConfig:
    return attrs.evolve(parse_daemon_config({}, session=True, socket_dir=folder), **settings)


@attrs.frozen
class Running:
    server: Server
    handler: EchoHandler
    config: DaemonConfig
    endpoints: list[Endpoint]

    @property
    def rw(self) -> str:
        return str(self.config.rw_socket)

    @property
    def ro(self) -> str:
        return str(self.config.ro_socket)


@asynccontextmanager
async def serving(folder: Path, handler: EchoHandler | None = None, **settings: Any) -> AsyncIterator[Running]:
    """A Server on ``folder``'s rw and ro sockets for the duration of the block."""
    config = config_for(folder, **settings)
    handler = handler or EchoHandler()
    server = Server(config, handler, asyncio.get_running_loop())
    endpoints = [
        unix_endpoint(config.rw_socket, 0o700, None, readonly=False),
        unix_endpoint(config.ro_socket, 0o777, None, readonly=True),
    ]
    for endpoint in endpoints:
        await server.listen(endpoint)
    try:
        yield Running(server, handler, config, endpoints)
    finally:
        await server.shutdown(grace=1)
        close_endpoints(endpoints)


class RawClient:
    """A client that writes whatever bytes it is told to and reads whole packets back."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, path: str) -> RawClient:
        reader, writer = await asyncio.open_unix_connection(path)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def packet(self, timeout: float = 5) -> tuple[Header, bytes]:
        """The next packet the server sends (TimeoutError when none comes, IncompleteReadError at EOF)."""
        start = await asyncio.wait_for(self.reader.readexactly(4), timeout)
        length = protocol.packet_length(start)
        rest = await asyncio.wait_for(self.reader.readexactly(length - 4), timeout)
        packet = start + rest
        return protocol.parse_header(packet), packet[28:]

    async def reply(self, timeout: float = 5) -> tuple[Header, bytes]:
        """The next packet that is not a keepalive PING."""
        while True:
            header, payload = await self.packet(timeout)
            if header.program != Program.KEEPALIVE:
                return header, payload

    async def closed_by_server(self, timeout: float = 5) -> bool:
        """Whether the server ends the connection (anything it still sends is skipped)."""
        try:
            while await asyncio.wait_for(self.reader.read(65536), timeout):
                pass
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        self.writer.close()
        with suppress(ConnectionResetError, BrokenPipeError):
            await self.writer.wait_closed()
