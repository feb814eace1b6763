"""Domain event registrations: lifecycle events relayed to the client as MESSAGEs.

Each registration is a ``Connection.add_domain_event_callback``; its callback encodes the event
and queues it with ``client.send_event``. Current clients register with
CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY and receive DOMAIN_EVENT_CALLBACK_LIFECYCLE carrying
their callback id; older ones use CONNECT_DOMAIN_EVENT_REGISTER(_ANY) and receive
DOMAIN_EVENT_LIFECYCLE. The other ids (``Connection.register_domain_event``) travel as
``virt.remote.domainevents`` encodes them; an id past libvirt 9.0's last is refused in libvirtd's
words for an id it does not know.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument
from virt.events import DomainEvent
from virt.remote.messages import REMOTE_PROCEDURES
from virt.remote.procedure_numbers import RemoteProcedure as P

from . import wire
from .registry import Call, handles, internal_error

if TYPE_CHECKING:
    from virt.connection import Domain
    from virt.daemon.session import ClientHandle, Session
    from virt.domainevents import AnyDomainEvent

LIFECYCLE = 0  # VIR_DOMAIN_EVENT_ID_LIFECYCLE
EVENT_ID_LAST = 27  # VIR_DOMAIN_EVENT_ID_LAST of libvirt 9.0

_CALLBACK_LIFECYCLE = REMOTE_PROCEDURES[P.DOMAIN_EVENT_CALLBACK_LIFECYCLE].args
_LEGACY_LIFECYCLE = REMOTE_PROCEDURES[P.DOMAIN_EVENT_LIFECYCLE].args

Visible = Callable[["ClientHandle", str], bool]
"""Whether the client may see events of the domain of that name (the ACL's say); None: all."""


def _lifecycle_message(event: DomainEvent) -> dict[str, Any]:
    return {"dom": wire.wire_domain(event.domain), "event": int(event.type), "detail": int(event.detail)}


def _relay(
    client: ClientHandle, callback_id: int | None, visible: Visible | None
) -> Callable[[Domain, DomainEvent], None]:
    """The API callback that sends each event to ``client`` (the old message when no callback id)."""

    def relay(domain: Domain, event: DomainEvent) -> None:
        if visible is not None and not visible(client, event.domain.name):
            return
        if callback_id is None:
            client.send_event(P.DOMAIN_EVENT_LIFECYCLE, _LEGACY_LIFECYCLE.encode(_lifecycle_message(event)))
        else:
            payload = _CALLBACK_LIFECYCLE.encode({"callbackID": callback_id, "msg": _lifecycle_message(event)})
            client.send_event(P.DOMAIN_EVENT_CALLBACK_LIFECYCLE, payload)

    return relay


# -- the other event ids (virt.domainevents) ----------------------------------------------------------
def _relay_other(
    client: ClientHandle, callback_id: int, visible: Visible | None, *, legacy: bool
) -> Callable[[Domain, AnyDomainEvent], None]:
    """The API callback that sends each event of an id other than lifecycle to ``client``."""
    from virt.remote import domainevents

    def relay(domain: Domain, event: AnyDomainEvent) -> None:
        if isinstance(event, DomainEvent) or (visible is not None and not visible(client, event.domain.name)):
            return
        number, payload = domainevents.encode(event, callback_id, legacy=legacy)
        client.send_event(number, payload)

    return relay


def _unsupported(event_id: int) -> Exception:
    return internal_error(f"unsupported event ID {event_id}")


def _already_tracked() -> Exception:
    # the words of libvirt's event machinery (no error domain) for a second identical registration
    return InvalidArgument(
        "invalid argument: event callback already tracked", ErrorNumber.INVALID_ARG, ErrorDomain.NONE
    )


def _register(call: Call, event_id: int, wire_domain: wire.Wire | None, *, legacy: bool) -> int:
    """Register for ``event_id`` (of one domain, or all); the callback id."""
    from virt.daemon.session import EventRegistration

    if not 0 <= event_id < EVENT_ID_LAST:
        raise _unsupported(event_id)
    session: Session = call.session
    conn = call.conn
    domain = wire.domain(conn, wire_domain) if wire_domain is not None else None
    key = domain.uuid if domain is not None else None
    with session.lock:
        if any(r.event_id == event_id and r.domain == key for r in session.registrations.values()):
            raise _already_tracked()
        callback_id = session.new_callback_id()
        if event_id == LIFECYCLE:
            relay = _relay(session.client, None if legacy else callback_id, session.visible)
            handle = conn.add_domain_event_callback(relay, domain)
        else:
            other = _relay_other(session.client, callback_id, session.visible, legacy=legacy)
            handle = conn.register_domain_event(event_id, other, domain)
        session.registrations[callback_id] = EventRegistration(callback_id, event_id, key, legacy, handle)
    return callback_id


def _deregister(call: Call, callback_id: int) -> None:
    session = call.session
    with session.lock:
        registration = session.registrations.pop(callback_id)
    call.conn.remove_domain_event_callback(registration.handle)


def _legacy_registration(call: Call, event_id: int) -> int:
    """The callback id of the client's old-style registration for ``event_id``; libvirtd's error when none."""
    if not 0 <= event_id < EVENT_ID_LAST:
        raise _unsupported(event_id)
    with call.session.lock:
        for registration in call.session.registrations.values():
            if registration.legacy and registration.event_id == event_id and registration.family == "domain":
                return registration.callback_id
    raise internal_error(f"domain event {event_id} not registered")


# -- current clients ----------------------------------------------------------------------------------
@handles(P.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY)
def callback_register_any(call: Call) -> dict[str, Any]:
    return {"callbackID": _register(call, call.args["eventID"], call.args["dom"], legacy=False)}


@handles(P.CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY)
def callback_deregister_any(call: Call) -> None:
    callback_id = call.args["callbackID"]
    with call.session.lock:
        registration = call.session.registrations.get(callback_id)
    if registration is None or registration.legacy or registration.family != "domain":
        raise internal_error(f"domain event callback {callback_id} not registered")
    _deregister(call, callback_id)


# -- older clients -------------------------------------------------------------------------------------
@handles(P.CONNECT_DOMAIN_EVENT_REGISTER)
def register(call: Call) -> dict[str, Any]:
    _register(call, LIFECYCLE, None, legacy=True)
    # the field only exists to give the procedure a reply; libvirtd leaves it 0
    return {"cb_registered": 0}


@handles(P.CONNECT_DOMAIN_EVENT_DEREGISTER)
def deregister(call: Call) -> dict[str, Any]:
    _deregister(call, _legacy_registration(call, LIFECYCLE))
    return {"cb_registered": 0}


@handles(P.CONNECT_DOMAIN_EVENT_REGISTER_ANY)
def register_any(call: Call) -> None:
    event_id = call.args["eventID"]
    if not 0 <= event_id < EVENT_ID_LAST:
        raise _unsupported(event_id)
    _register(call, event_id, None, legacy=True)


@handles(P.CONNECT_DOMAIN_EVENT_DEREGISTER_ANY)
def deregister_any(call: Call) -> None:
    _deregister(call, _legacy_registration(call, call.args["eventID"]))
