"""How a procedure's handler is declared: ``@handles(RemoteProcedure.X)`` on a function of a ``Call``.

A handler receives the decoded arguments (a dict keyed by the .x field names) with the client's
session, calls the public API, and returns the value the procedure's ``ret`` codec encodes. What
it raises as VirtError goes back to the client as the error reply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError

if TYPE_CHECKING:
    from virt.connection import Connection
    from virt.daemon.session import ClientHandle, Session
    from virt.daemon.streams import StreamSource
    from virt.remote.procedure_numbers import RemoteProcedure


@attrs.define(slots=True)
class Call:
    """One call being served: the client's session and the call's decoded arguments."""

    session: Session
    args: Any
    stream: StreamSource | None = None
    """Set by a handler whose call opens a stream: the dispatcher starts it once the reply is out."""
    files: tuple[int, ...] = ()
    """The file descriptors the client passed along the call (CALL_WITH_FDS; virt.daemon.fdpassing):
    the server closes them once the call ended."""

    @property
    def conn(self) -> Connection:
        return self.session.conn

    @property
    def client(self) -> ClientHandle:
        return self.session.client

    def visible(self, domain_name: str) -> bool:
        """Whether the client may see the domain in listings (the ACL's say; everything without one)."""
        visible = self.session.visible
        return visible is None or visible(self.session.client, domain_name)

    def check_flags(self, allowed: int, function: str) -> int:
        """The call's ``flags``, refused as the driver refuses unknown flags (``testDomainDestroyFlags``)."""
        flags = int(self.args["flags"])
        unknown = flags & ~int(allowed)
        if unknown:
            driver = self.conn.driver
            raise InvalidArgument(
                f"unsupported flags (0x{unknown:x}) in function {driver.driver_name.lower()}{function}",
                ErrorNumber.INVALID_ARG,
                driver.error_domain,
            )
        return flags


Function = Callable[[Call], Any]
F = TypeVar("F", bound=Function)


@attrs.frozen
class Handler:
    """A procedure's handler and how the dispatcher must run it.

    ``needs_connection``: refused with "hypervisor connection not open" before CONNECT_OPEN.
    ``blocking``: may wait on a hypervisor, so it runs in a worker thread, unless the connection's
    driver never blocks. A handler that only touches the session is not blocking and runs at once.
    ``family``: the kind of call it is (``storage-read``), which a driver that blocks elsewhere may
    still answer at once (``DriverConnection.quick_calls``).
    """

    procedure: int
    function: Function
    needs_connection: bool = True
    blocking: bool = True
    family: str | None = None


HANDLERS: dict[int, Handler] = {}


def handles(
    procedure: RemoteProcedure, *, needs_connection: bool = True, blocking: bool = True, family: str | None = None
) -> Callable[[F], F]:
    """Register the decorated function as the handler of ``procedure``."""

    def register(function: F) -> F:
        if int(procedure) in HANDLERS:
            raise RuntimeError(f"two handlers for procedure {procedure.name}")
        HANDLERS[int(procedure)] = Handler(int(procedure), function, needs_connection, blocking, family)
        return function

    return register


def internal_error(detail: str, domain: ErrorDomain = ErrorDomain.RPC) -> VirtError:
    """libvirtd's "internal error: ..." for a request it cannot serve (raise the result)."""
    return VirtError(f"internal error: {detail}", ErrorNumber.INTERNAL_ERROR, domain)
