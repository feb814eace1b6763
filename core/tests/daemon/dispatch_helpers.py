"""A stand-in client and a synchronous front to the dispatcher, for the unit tests of the procedures."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from virt.daemon.acl import ACL
from virt.daemon.auth import Identity
from virt.daemon.config import parse_daemon_config
from virt.daemon.dispatch import Dispatcher
from virt.errors import VirtError
from virt.remote import protocol
from virt.remote.messages import REMOTE_PROCEDURES
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.remote.protocol import Header, MessageType, Program, Status

ROOT = Identity("unix", uid=0, gid=0, pid=1, user="root", groups=("root",))


class FakeClient:
    """What the dispatcher sees of a client; records the events sent and whether it was closed."""

    def __init__(self, *, readonly: bool = False, identity: Identity = ROOT) -> None:
        self.identity = identity
        self.readonly = readonly
        self.data: dict[str, object] = {}
        self.events: list[tuple[int, dict[str, Any]]] = []
        self.keepalive = False
        self.closed = False
        self._event = threading.Condition()

    def send_event(self, procedure: int, payload: bytes) -> None:
        with self._event:
            self.events.append((procedure, REMOTE_PROCEDURES[procedure].args.decode(payload)))
            self._event.notify_all()

    def start_keepalive(self) -> None:
        self.keepalive = True

    def close(self) -> None:
        self.closed = True

    def wait_events(self, count: int, timeout: float = 5.0) -> list[tuple[int, dict[str, Any]]]:
        """The events received, once there are at least ``count`` (fails after ``timeout``)."""
        with self._event:
            if not self._event.wait_for(lambda: len(self.events) >= count, timeout):
                raise AssertionError(f"{len(self.events)} events after {timeout} s, wanted {count}: {self.events}")
            return list(self.events)


class Remote:
    """Calls through one dispatcher, each run to completion on a private event loop."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.loop = asyncio.new_event_loop()
        self.clients: list[FakeClient] = []
        self._serial = 0

    def packet(self, client: FakeClient, procedure: int, payload: bytes) -> bytes | None:
        """The raw reply packet to a call with ``payload``."""
        if client not in self.clients:
            self.clients.append(client)
        self._serial += 1
        header = Header(Program.REMOTE, 1, procedure, MessageType.CALL, self._serial, Status.OK)

        async def dispatch() -> bytes | None:
            reply = await self.dispatcher.dispatch(client, header, payload)
            await asyncio.sleep(0)  # let what the dispatcher scheduled after the reply run
            return reply

        return self.loop.run_until_complete(dispatch())

    def call(self, client: FakeClient, procedure: P, args: Any = None) -> Any:
        """The decoded reply to ``procedure`` with ``args``; the VirtError of an error reply is raised."""
        payload = REMOTE_PROCEDURES[procedure].args.encode(args)
        reply = self.packet(client, procedure, payload)
        assert reply is not None
        header = protocol.parse_header(reply)
        assert header.type == MessageType.REPLY and header.procedure == procedure and header.serial == self._serial
        body = reply[28:]
        if header.status == Status.ERROR:
            raise protocol.decode_error(body)
        assert header.status == Status.OK
        return REMOTE_PROCEDURES[procedure].ret.decode(body)

    def error(self, client: FakeClient, procedure: P, args: Any = None) -> dict[str, Any]:
        """The remote_error fields of a call that must fail."""
        payload = REMOTE_PROCEDURES[procedure].args.encode(args)
        reply = self.packet(client, procedure, payload)
        assert reply is not None
        header = protocol.parse_header(reply)
        assert header.status == Status.ERROR, f"{procedure.name} succeeded"
        fields: dict[str, Any] = protocol.REMOTE_ERROR.decode(reply[28:])
        return fields

    def open(self, client: FakeClient, uri: str = "test:///default", flags: int = 0) -> FakeClient:
        self.call(client, P.CONNECT_OPEN, {"name": uri, "flags": flags})
        return client

    def close(self) -> None:
        """Release every client (closing its connection) and the dispatcher."""
        for client in self.clients:
            self.dispatcher.client_closed(client)
        self.dispatcher.close()
        self.loop.close()


@contextmanager
def remote(tmp_path: Path, acl: ACL | None = None, workers: int = 4) -> Iterator[Remote]:
    """A dispatcher (closed afterwards, with the connections of the clients made through it)."""
    config = parse_daemon_config({}, session=True, socket_dir=tmp_path)
    dispatcher = Dispatcher(config, acl, workers=workers)
    front = Remote(dispatcher)
    try:
        yield front
    finally:
        front.close()


def error_of(exc: VirtError) -> tuple[int, int, str]:
    return int(exc.code), int(exc.domain), exc.message
