"""Virtual network procedures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from virt.remote import xdr
from virt.remote.message_types import (
    NETWORK_DHCP_LEASES_MAX,
    NETWORK_LIST_MAX,
    NONNULL_NETWORK,
    NONNULL_STRING,
    REMOTE_STRING,
    Procedure,
    call,
)
from virt.remote.procedure_numbers import RemoteProcedure as P

if TYPE_CHECKING:
    from virt.info import NetworkDHCPLease

_NET = ("net", NONNULL_NETWORK)
_FLAGS = ("flags", xdr.UInt)
_NAMES = [("names", xdr.Array(NONNULL_STRING, NETWORK_LIST_MAX))]
_DHCP_LEASE = xdr.Struct(
    "remote_network_dhcp_lease",
    ("iface", NONNULL_STRING),
    ("expirytime", xdr.Hyper),
    ("type", xdr.Int),
    ("mac", REMOTE_STRING),
    ("iaid", REMOTE_STRING),
    ("ipaddr", NONNULL_STRING),
    ("prefix", xdr.UInt),
    ("hostname", REMOTE_STRING),
    ("clientid", REMOTE_STRING),
)

PROCEDURES: tuple[Procedure, ...] = (
    call(
        P.CONNECT_LIST_ALL_NETWORKS,
        [("need_results", xdr.Int), _FLAGS],
        [("nets", xdr.Array(NONNULL_NETWORK, NETWORK_LIST_MAX)), ("ret", xdr.UInt)],
    ),
    call(P.CONNECT_NUM_OF_NETWORKS, None, [("num", xdr.Int)]),
    call(P.CONNECT_LIST_NETWORKS, [("maxnames", xdr.Int)], _NAMES),
    call(P.CONNECT_NUM_OF_DEFINED_NETWORKS, None, [("num", xdr.Int)]),
    call(P.CONNECT_LIST_DEFINED_NETWORKS, [("maxnames", xdr.Int)], _NAMES),
    call(P.NETWORK_LOOKUP_BY_NAME, [("name", NONNULL_STRING)], [_NET]),
    call(P.NETWORK_LOOKUP_BY_UUID, [("uuid", xdr.UUID)], [_NET]),
    call(P.NETWORK_CREATE_XML, [("xml", NONNULL_STRING)], [_NET], write="virNetworkCreateXML"),
    call(P.NETWORK_DEFINE_XML, [("xml", NONNULL_STRING)], [_NET], write="virNetworkDefineXML"),
    call(
        P.NETWORK_CREATE_XML_FLAGS,
        [("xml", NONNULL_STRING), ("flags", xdr.UInt)],
        [_NET],
        write="virNetworkCreateXMLFlags",
    ),
    call(
        P.NETWORK_DEFINE_XML_FLAGS,
        [("xml", NONNULL_STRING), ("flags", xdr.UInt)],
        [_NET],
        write="virNetworkDefineXMLFlags",
    ),
    call(P.NETWORK_CREATE, [_NET], write="virNetworkCreate"),
    call(P.NETWORK_DESTROY, [_NET], write="virNetworkDestroy"),
    call(P.NETWORK_UNDEFINE, [_NET], write="virNetworkUndefine"),
    call(
        P.NETWORK_UPDATE,
        [
            _NET,
            ("command", xdr.UInt),
            ("section", xdr.UInt),
            ("parentIndex", xdr.Int),
            ("xml", NONNULL_STRING),
            _FLAGS,
        ],
        write="virNetworkUpdate",
    ),
    call(P.NETWORK_GET_XML_DESC, [_NET, _FLAGS], [("xml", NONNULL_STRING)]),
    call(P.NETWORK_GET_BRIDGE_NAME, [_NET], [("name", NONNULL_STRING)]),
    call(P.NETWORK_GET_AUTOSTART, [_NET], [("autostart", xdr.Int)]),
    call(P.NETWORK_SET_AUTOSTART, [_NET, ("autostart", xdr.Int)], write="virNetworkSetAutostart"),
    call(P.NETWORK_IS_ACTIVE, [_NET], [("active", xdr.Int)]),
    call(P.NETWORK_IS_PERSISTENT, [_NET], [("persistent", xdr.Int)]),
    call(
        P.NETWORK_GET_DHCP_LEASES,
        [_NET, ("mac", REMOTE_STRING), ("need_results", xdr.Int), _FLAGS],
        [("leases", xdr.Array(_DHCP_LEASE, NETWORK_DHCP_LEASES_MAX)), ("ret", xdr.UInt)],
    ),
)


# virNetworkDHCPLease's fields (virt.info.NetworkDHCPLease) and remote_network_dhcp_lease's names
_LEASE_FIELDS = (
    ("iface", "iface"), ("expiry_time", "expirytime"), ("type", "type"), ("mac", "mac"), ("iaid", "iaid"),
    ("ipaddr", "ipaddr"), ("prefix", "prefix"), ("hostname", "hostname"), ("clientid", "clientid"),
)  # fmt: skip


def lease_to_wire(lease: NetworkDHCPLease) -> dict[str, Any]:
    return {wire: getattr(lease, field) for field, wire in _LEASE_FIELDS}


def lease_from_wire(value: dict[str, Any]) -> NetworkDHCPLease:
    from virt.info import NetworkDHCPLease

    return NetworkDHCPLease(**{field: value[wire] for field, wire in _LEASE_FIELDS})
