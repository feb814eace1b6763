"""The dispatcher: one call of the REMOTE program in, its whole reply packet out.

For each call: find the handler (none: "unknown procedure", so the client falls back), decode the
arguments with the message table, check the connection is open, refuse changes to read-only
clients and what the ACL forbids, take the object's job lock for a change, run the handler, and
encode what it returns. Every failure becomes an ERROR reply carrying the VirtError's code, domain
and message; nothing escapes to the server.

Handlers call the public API, whose drivers may block (the QEMU driver waits on QMP): they run in
a bounded pool of worker threads, as libvirtd's workers do. A driver that declares it never blocks
(``DriverConnection.nonblocking``, the test driver) is called on the event loop itself, which
saves the two thread hand-offs per call; so are the calls of a family a driver answers at once
(``DriverConnection.quick_calls``: a local driver's reads of storage pools and volumes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, cast

from virt.daemon import streams
from virt.daemon.apinames import api_name, family_domain
from virt.daemon.fdpassing import passed_with
from virt.daemon.jobs import JobLocks
from virt.daemon.keepers import DriverKeepers
from virt.daemon.procedures import Handler, handlers
from virt.daemon.procedures.registry import Call
from virt.daemon.session import SESSION_KEY, ClientHandle, Session, not_open, session_of
from virt.errors import ErrorDomain, ErrorNumber, NotSupported, OperationDenied, VirtError
from virt.remote import protocol, xdr
from virt.remote.messages import REMOTE_PROCEDURES
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.remote.protocol import Header, MessageType, Status

if TYPE_CHECKING:
    from virt.connection import Connection
    from virt.daemon.acl import ACL
    from virt.daemon.config import DaemonConfig
    from virt.daemon.streams import StreamClient
    from virt.remote.message_types import Procedure

log = logging.getLogger(__name__)

WORKERS = 20
"""Worker threads for calls that may block: libvirtd's max_workers."""

_REPLY = int(MessageType.REPLY)
_OK = int(Status.OK)
_ERROR = int(Status.ERROR)

# What names the object a change is about, for its job lock: the argument and its identifying field.
_JOB_OBJECTS = (("dom", "uuid"), ("net", "uuid"), ("pool", "uuid"), ("vol", "key"))
# Changes that take no job lock: a migration's perform runs for as long as the guest takes to move,
# and libvirt lets clients abort it, tune it and suspend the guest meanwhile (its nested jobs); the
# driver keeps the domain's migration job itself.
_JOB_FREE = frozenset(
    {
        int(P.DOMAIN_MIGRATE_PERFORM3),
        int(P.DOMAIN_MIGRATE_PERFORM3_PARAMS),
        int(P.DOMAIN_ABORT_JOB),
        int(P.DOMAIN_MIGRATE_SET_MAX_SPEED),
        int(P.DOMAIN_MIGRATE_SET_MAX_DOWNTIME),
        int(P.DOMAIN_MIGRATE_SET_COMPRESSION_CACHE),
        int(P.DOMAIN_MIGRATE_START_POST_COPY),
    }
)


def read_only_denied(api: str, message: str) -> OperationDenied:
    """libvirt's refusal (``message``, from the message table) of ``api`` on a read-only connection."""
    return OperationDenied(message, ErrorNumber.OPERATION_DENIED, family_domain(api))


_MISSING_OPERATION = "this function is not supported by the connection driver"
"""How ``virt.driver.optional`` words the refusal of an operation a driver lacks."""


def not_supported(procedure: Procedure) -> NotSupported:
    """libvirt's words for a call the connection's driver lacks."""
    api = api_name(procedure)
    return NotSupported(
        f"this function is not supported by the connection driver: {api}", ErrorNumber.NO_SUPPORT, family_domain(api)
    )


class Dispatcher:
    """Serves the REMOTE program's calls for the server (its ``CallHandler``)."""

    def __init__(self, config: DaemonConfig, acl: ACL | None, *, workers: int = WORKERS) -> None:
        from virt.daemon.access import AccessControl

        self.config = config
        self.access = AccessControl(acl) if acl is not None else None
        self._handlers = handlers()
        self._jobs = JobLocks()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="virtd-worker")
        self.keepers = DriverKeepers()

    async def dispatch(self, client: ClientHandle, header: Header, payload: bytes) -> bytes | None:
        """The reply packet to a call (OK or ERROR); None for a packet that is not a call."""
        if header.type != MessageType.CALL:
            return None
        try:
            body = await self._serve(client, header, payload)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an ERROR reply
            return self._error_reply(header, exc)
        return self._reply(header, _OK, body)

    def start_at_once(
        self, client: ClientHandle, header: Header, payload: bytes, done: Callable[[bytes], None]
    ) -> bytes | bool:
        """Serve a call without a task of its own. The reply packet when it is answered at once (its
        driver never blocks, or answers its family at once; a refusal); True when it went to a worker,
        whose end hands the reply to ``done`` on the loop (one thread hand-off each way, no more);
        False when the call needs ``dispatch``: not a call, an unknown procedure, CONNECT_OPEN, or a
        change whose object's job another call holds (it waits its turn there)."""
        if header.type != MessageType.CALL or header.procedure == P.CONNECT_OPEN:
            return False
        handler = self._handlers.get(header.procedure)
        procedure = REMOTE_PROCEDURES.get(header.procedure)
        if handler is None or procedure is None:
            return False
        session = session_of(client)
        try:
            call = self._prepare(session, handler, procedure, payload, passed_with(client.data, header.serial))
        except Exception as exc:  # noqa: BLE001 - every failure becomes an ERROR reply
            return self._error_reply(header, exc)
        connection = session.connection
        key = _job_key(procedure, call.args, connection)
        if key is not None and not self._jobs.try_take(key):
            return False

        def finish(outcome: Callable[[], Any]) -> bytes:
            if key is not None:
                self._jobs.release(key)
            try:
                try:
                    result = outcome()
                except BaseException as exc:
                    self._failed(call, procedure, exc)
                    raise
                body = self._finish(client, header, procedure, call, result)
            except Exception as exc:  # noqa: BLE001 - every failure becomes an ERROR reply
                return self._error_reply(header, exc)
            return self._reply(header, _OK, body)

        if not handler.blocking or (connection is not None and _answers_at_once(connection, handler)):
            try:
                result = self._execute(handler, procedure, call)
            except Exception as exc:  # noqa: BLE001 - handed to finish, which replies with it
                failure = exc
                return finish(lambda: _raise(failure))
            return finish(lambda: result)
        loop = asyncio.get_running_loop()
        work = self._pool.submit(self._execute, handler, procedure, call)

        def worked(_: object) -> None:  # in the worker thread
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile (the daemon stopped)
                loop.call_soon_threadsafe(lambda: done(finish(work.result)))

        work.add_done_callback(worked)
        return True

    def _error_reply(self, header: Header, exc: Exception) -> bytes:
        if not isinstance(exc, VirtError):
            log.error("procedure %d failed", header.procedure, exc_info=exc)
            exc = VirtError(f"internal error: {type(exc).__name__}: {exc}", ErrorNumber.INTERNAL_ERROR, ErrorDomain.RPC)
        return self._reply(header, _ERROR, protocol.encode_error(exc))

    def stream_packet(self, client: StreamClient, header: Header, payload: bytes) -> None:
        """A STREAM packet of the client, for the stream its procedure and serial name."""
        streams.route(client, header, payload)

    def client_closed(self, client: ClientHandle) -> None:
        """Close the client's connection (which drops its event callbacks), off the event loop if it may block."""
        if isinstance(client.data.get(streams.STREAMS_KEY), dict):
            streams.close_all(cast("StreamClient", client))  # only the server's clients open streams
        session = client.data.get(SESSION_KEY)
        if not isinstance(session, Session):
            return
        connection = session.end()
        if connection is None:
            return
        if connection.driver.nonblocking:
            connection.close()
        else:
            self._pool.submit(_close_quietly, connection)

    def close(self) -> None:
        """Let the kept drivers go (guests keep running), let the workers finish and stop them."""
        self.keepers.close()
        self._pool.shutdown(wait=True)

    def guests_running(self) -> bool:
        """True while a driver the daemon keeps has an active guest (an idle daemon then stays)."""
        return self.keepers.guests_running()

    # -- one call ------------------------------------------------------------------------------------
    @staticmethod
    def _reply(header: Header, status: int, body: bytes) -> bytes:
        reply = Header(header.program, header.version, header.procedure, _REPLY, header.serial, status)
        return protocol.frame(reply, body)

    async def _serve(self, client: ClientHandle, header: Header, payload: bytes) -> bytes:
        handler = self._handlers.get(header.procedure)
        procedure = REMOTE_PROCEDURES.get(header.procedure)
        if handler is None or procedure is None:
            raise protocol.unknown_procedure(header.program, header.procedure)
        session = session_of(client)
        call = self._prepare(session, handler, procedure, payload, passed_with(client.data, header.serial))
        key = _job_key(procedure, call.args, session.connection)
        try:
            if key is None:
                result = await self._run(handler, procedure, call)
            else:
                async with self._jobs.hold(key):
                    result = await self._run(handler, procedure, call)
        except BaseException as exc:
            self._failed(call, procedure, exc)
            raise
        if header.procedure == P.CONNECT_OPEN and session.connection is not None:
            await asyncio.get_running_loop().run_in_executor(self._pool, self.keepers.keep, session.connection)
        return self._finish(client, header, procedure, call, result)

    def _prepare(
        self, session: Session, handler: Handler, procedure: Procedure, payload: bytes, files: tuple[int, ...] = ()
    ) -> Call:
        """The call, its arguments decoded, once the session may make it (open, read-only rules)."""
        args = _decode(procedure, payload)
        if self.access is not None and session.visible is None:
            session.visible = self.access.visible
        if handler.needs_connection and session.connection is None:
            raise not_open()
        if session.readonly:
            denial = procedure.readonly_denial(args)
            if denial is not None:
                raise read_only_denied(procedure.api, denial)
        return Call(session, args, files=files)

    @staticmethod
    def _failed(call: Call, procedure: Procedure, exc: BaseException) -> None:
        """A handler failed: a stream it opened is dropped, a missing operation gets libvirt's words."""
        if call.stream is not None:  # opened, then refused (the ACL's check of the result)
            call.stream.discard()
        if isinstance(exc, NotSupported) and exc.message.startswith(_MISSING_OPERATION):
            # a driver without the operation: libvirt's words name the API; a driver's own
            # refusal (a pool type without a backend) keeps what it says
            raise not_supported(procedure) from exc

    def _finish(self, client: ClientHandle, header: Header, procedure: Procedure, call: Call, result: Any) -> bytes:
        """The reply's body; a stream the call opened starts after it, a CONNECT_CLOSE hangs up."""
        if call.stream is not None:
            return self._open_stream(client, header, procedure, call, result)
        if call.session.hangup:
            # CONNECT_CLOSE: hang up once the reply is written (the server writes it before this runs)
            asyncio.get_running_loop().call_soon(client.close)
        return procedure.ret.encode(result)

    @staticmethod
    def _open_stream(client: ClientHandle, header: Header, procedure: Procedure, call: Call, result: Any) -> bytes:
        """The reply of a call that opened a stream; the stream starts right after the reply is written
        (the server writes it in the same step of the loop, before this callback runs)."""
        source = call.stream
        assert source is not None
        try:
            body = procedure.ret.encode(result)
        except BaseException:
            source.discard()
            raise
        stream_client = cast("StreamClient", client)  # the server's clients are both
        asyncio.get_running_loop().call_soon(
            streams.open_source, stream_client, header.procedure, header.serial, source
        )
        return body

    async def _run(self, handler: Handler, procedure: Procedure, call: Call) -> Any:
        connection = call.session.connection
        if not handler.blocking or (connection is not None and _answers_at_once(connection, handler)):
            return self._execute(handler, procedure, call)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._execute, handler, procedure, call)

    def _execute(self, handler: Handler, procedure: Procedure, call: Call) -> Any:
        access = self.access
        if access is None:
            return handler.function(call)
        access.before(call, procedure)
        result = handler.function(call)
        access.after(call, procedure, result)
        return result


def _raise(exc: Exception) -> Any:
    raise exc


def _answers_at_once(connection: Connection, handler: Handler) -> bool:
    driver = connection.driver
    return driver.nonblocking or (handler.family is not None and handler.family in driver.quick_calls)


def _decode(procedure: Procedure, payload: bytes) -> Any:
    # Trailing bytes are tolerated, as libvirtd's XDR decoding tolerates them.
    try:
        return procedure.args.unpack(xdr.Reader(payload))
    except xdr.XDRError as exc:
        raise protocol.rpc_error(f"Unable to decode message payload: {exc.message}") from None


def _job_key(procedure: Procedure, args: Any, connection: Connection | None) -> Hashable | None:
    """The job lock a change takes: the object it changes, on that connection's host; None for reads."""
    if not procedure.writes or connection is None or not isinstance(args, dict) or procedure.number in _JOB_FREE:
        return None
    for field, identity in _JOB_OBJECTS:
        reference = args.get(field)
        if isinstance(reference, dict):
            value = reference[identity]
            return (str(connection.uri), field, value if isinstance(value, uuid.UUID) else str(value))
    return None


def _close_quietly(connection: Connection) -> None:
    try:
        connection.close()
    except Exception:
        log.exception("closing the connection of a departed client failed")
