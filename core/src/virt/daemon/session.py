"""What the dispatcher keeps for each client: its open virt.Connection and its event registrations.

The dispatcher sees a client through :class:`ClientHandle` (the server's ``Client`` has these
members), so the procedures can be exercised with a stand-in client.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import attrs

from virt.errors import ErrorDomain, ErrorNumber, VirtError

if TYPE_CHECKING:
    from virt.connection import Connection
    from virt.daemon.auth import Identity

SESSION_KEY = "virt.daemon.dispatch"
"""The key of the session in ``client.data``."""


class ClientHandle(Protocol):
    """The members of one accepted connection the dispatcher uses."""

    @property
    def identity(self) -> Identity: ...

    @property
    def readonly(self) -> bool: ...

    @property
    def data(self) -> dict[str, object]: ...

    def send_event(self, procedure: int, payload: bytes) -> None:
        """Queue a MESSAGE of the REMOTE program (thread-safe)."""

    def start_keepalive(self) -> None:
        """The client speaks the keepalive protocol: ping it when it falls silent."""

    def close(self) -> None:
        """End the connection (replies already queued are still sent); callable from any thread."""


@attrs.frozen
class EventRegistration:
    """One domain event registration of a client.

    ``callback_id`` is what the client names it by (CONNECT_DOMAIN_EVENT_CALLBACK_*); a legacy
    registration (CONNECT_DOMAIN_EVENT_REGISTER / _REGISTER_ANY) is named by its event id alone,
    and its events go out without a callback id. ``handle`` is the Connection's callback handle.
    """

    callback_id: int
    event_id: int
    domain: uuid.UUID | None
    legacy: bool
    handle: int
    family: str = "domain"
    """``domain``, ``network`` (CONNECT_NETWORK_EVENT_REGISTER_ANY; ``domain`` is then the network's UUID),
    ``storage_pool`` or ``node_device`` (their REGISTER_ANY; the connection's callback does the filtering)."""


def not_open() -> VirtError:
    """What libvirtd answers a call that needs the connection before CONNECT_OPEN (or after CLOSE)."""
    return VirtError("internal error: hypervisor connection not open", ErrorNumber.INTERNAL_ERROR, ErrorDomain.RPC)


class Session:
    """One client's state. ``lock`` guards every field: calls of one client run in several threads."""

    def __init__(self, client: ClientHandle) -> None:
        self.client = client
        self.lock = threading.Lock()
        self.connection: Connection | None = None
        self.readonly = client.readonly
        self.registrations: dict[int, EventRegistration] = {}
        self._next_callback_id = 0
        self.close_callback = False
        self.ended = False
        """The client has gone: a connection opened after that (a slow CONNECT_OPEN) is closed at once."""
        self.hangup = False
        """Set by CONNECT_CLOSE: the dispatcher ends the connection once the reply is out."""
        self.visible: Callable[[ClientHandle, str], bool] | None = None
        """Whether the client may see the domain of that name in listings and events (set when an ACL applies)."""

    @property
    def conn(self) -> Connection:
        """The open connection; the "not open" error before CONNECT_OPEN and after CONNECT_CLOSE."""
        connection = self.connection
        if connection is None:
            raise not_open()
        return connection

    def new_callback_id(self) -> int:
        """The next callback id; call with ``lock`` held. Numbered from 0 per client, as libvirtd does."""
        value = self._next_callback_id
        self._next_callback_id += 1
        return value

    def end(self) -> Connection | None:
        """The client has gone: forget everything, and take no connection from now on."""
        with self.lock:
            self.ended = True
        return self.detach()

    def detach(self) -> Connection | None:
        """Forget the connection and the registrations (the connection's close drops its callbacks)."""
        with self.lock:
            connection, self.connection = self.connection, None
            self.registrations.clear()
            self.close_callback = False
        return connection


def session_of(client: ClientHandle) -> Session:
    """The client's session, made on its first call."""
    session = client.data.get(SESSION_KEY)
    if session is None:
        session = client.data[SESSION_KEY] = Session(client)
    assert isinstance(session, Session)
    return session
