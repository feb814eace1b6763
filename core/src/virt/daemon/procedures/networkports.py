"""Network port procedures (virNetworkPort*, virsh net-port-*): listing, lookup, XML and parameters
are open to read-only clients; creating, deleting and setting parameters are not (the procedure
table's ``writes`` refuses them before these handlers run)."""

from __future__ import annotations

from typing import Any

from virt import networkports
from virt.driver import NetworkPortRef
from virt.networkports import NetworkPort
from virt.remote.calls.networkports import NETWORK_PORT_LIST_MAX
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.remote.typedparams import from_wire, to_wire

from . import wire
from .registry import Call, handles

Wire = dict[str, Any]


def port_of(call: Call, value: Wire) -> NetworkPort:
    """The handle a remote_nonnull_network_port names (libvirtd's get_nonnull_network_port)."""
    network = wire.network(call.conn, value["net"])
    return NetworkPort(network, NetworkPortRef(network.ref, value["uuid"]))


def wire_port(port: NetworkPort) -> Wire:
    return {"net": wire.wire_network(port.network), "uuid": port.uuid}


def _port(call: Call) -> NetworkPort:
    return port_of(call, call.args["port"])


@handles(P.NETWORK_LIST_ALL_PORTS)
def list_all_ports(call: Call) -> dict[str, Any]:
    network = wire.network(call.conn, call.args["network"])
    found = networkports.ports(network, int(call.args["flags"]))
    ports = [wire_port(p) for p in found][:NETWORK_PORT_LIST_MAX] if call.args["need_results"] else []
    return {"ports": ports, "ret": len(found)}


@handles(P.NETWORK_PORT_LOOKUP_BY_UUID)
def lookup_by_uuid(call: Call) -> dict[str, Any]:
    network = wire.network(call.conn, call.args["network"])
    return {"port": wire_port(networkports.lookup(network, call.args["uuid"]))}


@handles(P.NETWORK_PORT_CREATE_XML)
def create_xml(call: Call) -> dict[str, Any]:
    network = wire.network(call.conn, call.args["network"])
    return {"port": wire_port(networkports.create(network, call.args["xml"], int(call.args["flags"])))}


@handles(P.NETWORK_PORT_GET_XML_DESC)
def get_xml_desc(call: Call) -> dict[str, Any]:
    return {"xml": _port(call).xml(int(call.args["flags"]))}


@handles(P.NETWORK_PORT_DELETE)
def delete(call: Call) -> None:
    _port(call).delete(int(call.args["flags"]))


@handles(P.NETWORK_PORT_GET_PARAMETERS)
def get_parameters(call: Call) -> dict[str, Any]:
    port = _port(call)
    found = port.network.connection.driver.get_network_port_parameters(port.ref, int(call.args["flags"]))
    return {"params": to_wire(found), "nparams": len(found)}


@handles(P.NETWORK_PORT_SET_PARAMETERS)
def set_parameters(call: Call) -> None:
    port = _port(call)
    writable = port.network.connection._writable("virNetworkPortSetParameters")
    writable.set_network_port_parameters(port.ref, from_wire(call.args["params"]), int(call.args["flags"]))
