"""Virtual network procedures: listing, lookup, definition, start and stop, facts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from virt.connection import Network
from virt.remote.calls.networks import lease_to_wire
from virt.remote.message_types import NETWORK_LIST_MAX
from virt.remote.messages import REMOTE_PROCEDURES
from virt.remote.procedure_numbers import RemoteProcedure as P

from . import wire
from .listing import either, limit
from .registry import Call, handles, internal_error

if TYPE_CHECKING:
    from virt.networkevents import NetworkEvent

# virConnectListAllNetworksFlags: a different order from the domains'
_LIST_INACTIVE, _LIST_ACTIVE = 1, 2
_LIST_PERSISTENT, _LIST_TRANSIENT = 4, 8
_LIST_AUTOSTART, _LIST_NO_AUTOSTART = 16, 32
_LIST_ALL_FLAGS = 63
_XML_INACTIVE = 1  # VIR_NETWORK_XML_INACTIVE
_UPDATE_ALL_FLAGS = 3  # VIR_NETWORK_UPDATE_AFFECT_LIVE | _CONFIG


def _network(call: Call) -> Network:
    return wire.network(call.conn, call.args["net"])


def _net_ret(network: Network) -> dict[str, Any]:
    return {"net": wire.wire_network(network)}


@handles(P.CONNECT_LIST_ALL_NETWORKS)
def list_all_networks(call: Call) -> dict[str, Any]:
    flags = call.check_flags(_LIST_ALL_FLAGS, "ConnectListAllNetworks")
    networks = call.conn.list_networks(
        active=either(flags, _LIST_ACTIVE, _LIST_INACTIVE),
        persistent=either(flags, _LIST_PERSISTENT, _LIST_TRANSIENT),
        autostart=either(flags, _LIST_AUTOSTART, _LIST_NO_AUTOSTART),
    )
    found = [wire.wire_network(n) for n in networks] if call.args["need_results"] else []
    return {"nets": found, "ret": len(networks)}


@handles(P.CONNECT_NUM_OF_NETWORKS)
def num_of_networks(call: Call) -> dict[str, Any]:
    return {"num": len(call.conn.list_networks(active=True))}


@handles(P.CONNECT_LIST_NETWORKS)
def list_networks(call: Call) -> dict[str, Any]:
    most = limit(call, "maxnames", NETWORK_LIST_MAX, "REMOTE_NETWORK_LIST_MAX")
    return {"names": [n.name for n in call.conn.list_networks(active=True)][:most]}


@handles(P.CONNECT_NUM_OF_DEFINED_NETWORKS)
def num_of_defined_networks(call: Call) -> dict[str, Any]:
    return {"num": len(call.conn.list_networks(active=False))}


@handles(P.CONNECT_LIST_DEFINED_NETWORKS)
def list_defined_networks(call: Call) -> dict[str, Any]:
    most = limit(call, "maxnames", NETWORK_LIST_MAX, "REMOTE_NETWORK_LIST_MAX")
    return {"names": [n.name for n in call.conn.list_networks(active=False)][:most]}


@handles(P.NETWORK_LOOKUP_BY_NAME)
def lookup_by_name(call: Call) -> dict[str, Any]:
    return _net_ret(call.conn.lookup_network_by_name(call.args["name"]))


@handles(P.NETWORK_LOOKUP_BY_UUID)
def lookup_by_uuid(call: Call) -> dict[str, Any]:
    return _net_ret(call.conn.lookup_network_by_uuid(call.args["uuid"]))


@handles(P.NETWORK_DEFINE_XML)
def define_xml(call: Call) -> dict[str, Any]:
    return _net_ret(call.conn.define_network(call.args["xml"]))


@handles(P.NETWORK_CREATE_XML)
def create_xml(call: Call) -> dict[str, Any]:
    return _net_ret(call.conn.create_network(call.args["xml"]))


@handles(P.NETWORK_CREATE)
def create(call: Call) -> None:
    _network(call).start()


@handles(P.NETWORK_DESTROY)
def destroy(call: Call) -> None:
    _network(call).destroy()


@handles(P.NETWORK_UNDEFINE)
def undefine(call: Call) -> None:
    _network(call).undefine()


@handles(P.NETWORK_GET_XML_DESC)
def get_xml_desc(call: Call) -> dict[str, Any]:
    flags = call.check_flags(_XML_INACTIVE, "NetworkGetXMLDesc")
    return {"xml": _network(call).xml(inactive=bool(flags & _XML_INACTIVE))}


@handles(P.NETWORK_GET_BRIDGE_NAME)
def get_bridge_name(call: Call) -> dict[str, Any]:
    return {"name": _network(call).bridge_name}


@handles(P.NETWORK_GET_AUTOSTART)
def get_autostart(call: Call) -> dict[str, Any]:
    return {"autostart": int(_network(call).autostart)}


@handles(P.NETWORK_SET_AUTOSTART)
def set_autostart(call: Call) -> None:
    _network(call).set_autostart(bool(call.args["autostart"]))


@handles(P.NETWORK_IS_ACTIVE)
def is_active(call: Call) -> dict[str, Any]:
    return {"active": int(_network(call).is_active())}


@handles(P.NETWORK_UPDATE)
def update(call: Call) -> None:
    args = call.args
    call.check_flags(_UPDATE_ALL_FLAGS, "NetworkUpdate")
    _network(call).update(
        args["command"], args["section"], args["xml"], parent_index=args["parentIndex"], flags=args["flags"]
    )


@handles(P.NETWORK_GET_DHCP_LEASES)
def get_dhcp_leases(call: Call) -> dict[str, Any]:
    call.check_flags(0, "NetworkGetDHCPLeases")
    leases = _network(call).dhcp_leases(call.args["mac"])
    found = [lease_to_wire(lease) for lease in leases]
    return {"leases": found if call.args["need_results"] else [], "ret": len(leases)}


@handles(P.NETWORK_IS_PERSISTENT)
def is_persistent(call: Call) -> dict[str, Any]:
    return {"persistent": int(_network(call).is_persistent())}


# -- lifecycle events -------------------------------------------------------------------------------
_NETWORK_LIFECYCLE = REMOTE_PROCEDURES[P.NETWORK_EVENT_LIFECYCLE].args


@handles(P.CONNECT_NETWORK_EVENT_REGISTER_ANY)
def event_register_any(call: Call) -> dict[str, Any]:
    """virConnectNetworkEventRegisterAny: lifecycle events (of one network, or all) relayed as
    NETWORK_EVENT_LIFECYCLE MESSAGEs carrying the callback id."""
    from virt.daemon.session import EventRegistration
    from virt.networkevents import NETWORK_EVENT_ID_LIFECYCLE

    event_id = call.args["eventID"]
    if event_id != NETWORK_EVENT_ID_LIFECYCLE:
        raise internal_error(f"unsupported network event ID {event_id}")
    session = call.session
    network = wire.network(call.conn, call.args["net"]) if call.args["net"] is not None else None
    client = session.client

    with session.lock:
        callback_id = session.new_callback_id()

        def relay(net: Network, event: NetworkEvent) -> None:
            message = {"net": wire.wire_network(net), "event": int(event.type), "detail": event.detail}
            client.send_event(
                P.NETWORK_EVENT_LIFECYCLE, _NETWORK_LIFECYCLE.encode({"callbackID": callback_id, **message})
            )

        handle = call.conn.add_network_event_callback(relay, network)
        key = network.uuid if network is not None else None
        session.registrations[callback_id] = EventRegistration(callback_id, event_id, key, False, handle, "network")
    return {"callbackID": callback_id}


@handles(P.CONNECT_NETWORK_EVENT_DEREGISTER_ANY)
def event_deregister_any(call: Call) -> None:
    callback_id = call.args["callbackID"]
    with call.session.lock:
        registration = call.session.registrations.get(callback_id)
        if registration is None or registration.family != "network":
            raise internal_error(f"network event callback {callback_id} not registered")
        del call.session.registrations[callback_id]
    call.conn.remove_network_event_callback(registration.handle)
