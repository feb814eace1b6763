"""Secret procedures (virSecret*, virsh secret-*): listing, lookups and XML are open to read-only
clients; defining, undefining and a value's setting *and reading* are not (libvirt checks the
read-only flag in virSecretGetValue too: the procedure table's ``writes`` refuses them before
these handlers run). Secret events (lifecycle, value changed) are relayed with their callback id.
"""

from __future__ import annotations

from typing import Any

from virt.driver import SecretRef
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument
from virt.remote.message_types import SECRET_LIST_MAX
from virt.remote.messages import REMOTE_PROCEDURES
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.secrets import EVENT_NAMES, SECRET_EVENT_ID_LIFECYCLE, Secret, SecretEvent

from .listing import limit
from .registry import Call, handles, internal_error

Wire = dict[str, Any]


def secret_of(call: Call, wire: Wire) -> Secret:
    """The handle a remote_nonnull_secret names (libvirtd's get_nonnull_secret)."""
    return Secret(call.conn, SecretRef(uuid=wire["uuid"], usage_type=int(wire["usageType"]), usage_id=wire["usageID"]))


def wire_secret(handle: Secret | SecretRef) -> Wire:
    ref = handle.ref if isinstance(handle, Secret) else handle
    return {"uuid": ref.uuid, "usageType": ref.usage_type, "usageID": ref.usage_id}


def _secret(call: Call) -> Secret:
    return secret_of(call, call.args["secret"])


@handles(P.CONNECT_LIST_ALL_SECRETS)
def list_all_secrets(call: Call) -> dict[str, Any]:
    secrets = call.conn.list_secrets(int(call.args["flags"]))
    found = [wire_secret(s) for s in secrets] if call.args["need_results"] else []
    return {"secrets": found, "ret": len(secrets)}


@handles(P.CONNECT_NUM_OF_SECRETS)
def num_of_secrets(call: Call) -> dict[str, Any]:
    return {"num": len(call.conn.list_secrets())}


@handles(P.CONNECT_LIST_SECRETS)
def list_secrets(call: Call) -> dict[str, Any]:
    most = limit(call, "maxuuids", SECRET_LIST_MAX, "REMOTE_SECRET_LIST_MAX")
    return {"uuids": [str(s.uuid) for s in call.conn.list_secrets()][:most]}


@handles(P.SECRET_LOOKUP_BY_UUID)
def lookup_by_uuid(call: Call) -> dict[str, Any]:
    return {"secret": wire_secret(call.conn.lookup_secret_by_uuid(call.args["uuid"]))}


@handles(P.SECRET_LOOKUP_BY_USAGE)
def lookup_by_usage(call: Call) -> dict[str, Any]:
    found = call.conn.lookup_secret_by_usage(int(call.args["usageType"]), call.args["usageID"])
    return {"secret": wire_secret(found)}


@handles(P.SECRET_DEFINE_XML)
def define_xml(call: Call) -> dict[str, Any]:
    return {"secret": wire_secret(call.conn.define_secret(call.args["xml"], int(call.args["flags"])))}


@handles(P.SECRET_GET_XML_DESC)
def get_xml_desc(call: Call) -> dict[str, Any]:
    return {"xml": _secret(call).xml(int(call.args["flags"]))}


@handles(P.SECRET_SET_VALUE)
def set_value(call: Call) -> None:
    value = bytes(call.args["value"])
    if not value:
        # libvirtd decodes an empty opaque as no value at all, which virSecretSetValue refuses
        raise InvalidArgument(
            "value in virSecretSetValue must not be NULL", ErrorNumber.INVALID_ARG, ErrorDomain.SECRET
        )
    _secret(call).set_value(value, int(call.args["flags"]))


@handles(P.SECRET_GET_VALUE)
def get_value(call: Call) -> dict[str, Any]:
    return {"value": _secret(call).value(int(call.args["flags"]))}


@handles(P.SECRET_UNDEFINE)
def undefine(call: Call) -> None:
    _secret(call).undefine()


# -- events ------------------------------------------------------------------------------------------
_LIFECYCLE = REMOTE_PROCEDURES[P.SECRET_EVENT_LIFECYCLE].args
_VALUE_CHANGED = REMOTE_PROCEDURES[P.SECRET_EVENT_VALUE_CHANGED].args


@handles(P.CONNECT_SECRET_EVENT_REGISTER_ANY)
def event_register_any(call: Call) -> dict[str, Any]:
    """virConnectSecretEventRegisterAny: events (of one secret, or all) relayed as
    SECRET_EVENT_LIFECYCLE / SECRET_EVENT_VALUE_CHANGED messages carrying the callback id."""
    from virt.daemon.session import EventRegistration

    event_id = int(call.args["eventID"])
    if event_id not in EVENT_NAMES:
        raise internal_error(f"unsupported secret event ID {event_id}")
    session = call.session
    secret = secret_of(call, call.args["secret"]) if call.args["secret"] is not None else None
    client = session.client

    with session.lock:
        callback_id = session.new_callback_id()

        def relay(handle: Secret, event: SecretEvent) -> None:
            if event.event_id == SECRET_EVENT_ID_LIFECYCLE:
                assert event.type is not None
                payload = _LIFECYCLE.encode({
                    "callbackID": callback_id, "secret": wire_secret(handle),
                    "event": int(event.type), "detail": event.detail,
                })  # fmt: skip
                client.send_event(P.SECRET_EVENT_LIFECYCLE, payload)
            else:
                payload = _VALUE_CHANGED.encode({"callbackID": callback_id, "secret": wire_secret(handle)})
                client.send_event(P.SECRET_EVENT_VALUE_CHANGED, payload)

        handle = call.conn.add_secret_event_callback(relay, event_id, secret)
        key = secret.uuid if secret is not None else None
        session.registrations[callback_id] = EventRegistration(callback_id, event_id, key, False, handle, "secret")
    return {"callbackID": callback_id}


@handles(P.CONNECT_SECRET_EVENT_DEREGISTER_ANY)
def event_deregister_any(call: Call) -> None:
    callback_id = call.args["callbackID"]
    with call.session.lock:
        registration = call.session.registrations.get(callback_id)
        if registration is None or registration.family != "secret":
            raise internal_error(f"secret event callback {callback_id} not registered")
        del call.session.registrations[callback_id]
    call.conn.remove_secret_event_callback(registration.handle)
