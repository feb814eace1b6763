"""Storage pool and node device event registrations (virConnectStoragePoolEventRegisterAny,
virConnectNodeDeviceEventRegisterAny): each event relayed as a MESSAGE carrying the callback id,
with libvirtd's errors for an unknown event id or callback."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from virt.remote.messages import REMOTE_PROCEDURES
from virt.remote.procedure_numbers import RemoteProcedure as P

from . import wire
from .registry import Call, handles, internal_error

if TYPE_CHECKING:
    from virt.connection import StoragePool
    from virt.nodedevevents import NodeDeviceEvent
    from virt.nodedevices import NodeDevice
    from virt.poolevents import StoragePoolEvent

_POOL_FAMILY = "storage_pool"
_DEVICE_FAMILY = "node_device"


def _remember(call: Call, callback_id: int, event_id: int, handle: int, family: str) -> None:
    from virt.daemon.session import EventRegistration

    call.session.registrations[callback_id] = EventRegistration(callback_id, event_id, None, False, handle, family)


def _forget(call: Call, family: str, words: str) -> int:
    """The connection's handle of the client's registration ``callbackID`` of ``family``, now forgotten."""
    callback_id = call.args["callbackID"]
    with call.session.lock:
        registration = call.session.registrations.get(callback_id)
        if registration is None or registration.family != family:
            raise internal_error(f"{words} event callback {callback_id} not registered")
        del call.session.registrations[callback_id]
    return registration.handle


# -- storage pools ------------------------------------------------------------------------------------
_POOL_LIFECYCLE = REMOTE_PROCEDURES[P.STORAGE_POOL_EVENT_LIFECYCLE].args
_POOL_REFRESH = REMOTE_PROCEDURES[P.STORAGE_POOL_EVENT_REFRESH].args


@handles(P.CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY)
def storage_pool_event_register_any(call: Call) -> dict[str, Any]:
    from virt.poolevents import StoragePoolEventID

    event_id = call.args["eventID"]
    if event_id not in tuple(StoragePoolEventID):
        raise internal_error(f"unsupported storage pool event ID {event_id}")
    session = call.session
    pool = wire.storage_pool(call.conn, call.args["pool"]) if call.args["pool"] is not None else None
    client = session.client

    with session.lock:
        callback_id = session.new_callback_id()

        def relay(handle: StoragePool, event: StoragePoolEvent) -> None:
            body: dict[str, Any] = {"callbackID": callback_id, "pool": wire.wire_storage_pool(handle)}
            if event.id == StoragePoolEventID.REFRESH:
                client.send_event(P.STORAGE_POOL_EVENT_REFRESH, _POOL_REFRESH.encode(body))
            else:
                body.update(event=int(event.type or 0), detail=event.detail)
                client.send_event(P.STORAGE_POOL_EVENT_LIFECYCLE, _POOL_LIFECYCLE.encode(body))

        handle = call.conn.add_storage_pool_event_callback(relay, pool, event_id)
        _remember(call, callback_id, event_id, handle, _POOL_FAMILY)
    return {"callbackID": callback_id}


@handles(P.CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY)
def storage_pool_event_deregister_any(call: Call) -> None:
    call.conn.remove_storage_pool_event_callback(_forget(call, _POOL_FAMILY, "storage pool"))


# -- node devices -------------------------------------------------------------------------------------
_DEVICE_LIFECYCLE = REMOTE_PROCEDURES[P.NODE_DEVICE_EVENT_LIFECYCLE].args
_DEVICE_UPDATE = REMOTE_PROCEDURES[P.NODE_DEVICE_EVENT_UPDATE].args


@handles(P.CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY)
def node_device_event_register_any(call: Call) -> dict[str, Any]:
    from virt.nodedevevents import NodeDeviceEventID
    from virt.nodedevices import NodeDevice

    event_id = call.args["eventID"]
    if event_id not in tuple(NodeDeviceEventID):
        raise internal_error(f"unsupported node device event ID {event_id}")
    session = call.session
    device = NodeDevice(call.conn, call.args["dev"]["name"]) if call.args["dev"] is not None else None
    client = session.client

    with session.lock:
        callback_id = session.new_callback_id()

        def relay(handle: NodeDevice, event: NodeDeviceEvent) -> None:
            body: dict[str, Any] = {"callbackID": callback_id, "dev": {"name": handle.name}}
            if event.id == NodeDeviceEventID.UPDATE:
                client.send_event(P.NODE_DEVICE_EVENT_UPDATE, _DEVICE_UPDATE.encode(body))
            else:
                body.update(event=int(event.type or 0), detail=event.detail)
                client.send_event(P.NODE_DEVICE_EVENT_LIFECYCLE, _DEVICE_LIFECYCLE.encode(body))

        handle = call.conn.add_node_device_event_callback(relay, device, event_id)
        _remember(call, callback_id, event_id, handle, _DEVICE_FAMILY)
    return {"callbackID": callback_id}


@handles(P.CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY)
def node_device_event_deregister_any(call: Call) -> None:
    call.conn.remove_node_device_event_callback(_forget(call, _DEVICE_FAMILY, "node device"))
