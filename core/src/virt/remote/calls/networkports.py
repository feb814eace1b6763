"""Network port procedures (virNetworkPort*, remote_protocol.x's REMOTE_PROC_NETWORK_*PORT*).

Listing, lookup, XML and parameters are open to read-only clients; creating, deleting and
changing parameters are not.
"""

from __future__ import annotations

from virt.remote import xdr
from virt.remote.message_types import NONNULL_NETWORK, NONNULL_STRING, Procedure, call, typed_params
from virt.remote.procedure_numbers import RemoteProcedure as P

NETWORK_PORT_LIST_MAX = 16384  # REMOTE_NETWORK_PORT_LIST_MAX
NETWORK_PORT_PARAMETERS_MAX = 16  # REMOTE_NETWORK_PORT_PARAMETERS_MAX

NONNULL_NETWORK_PORT = xdr.Struct("remote_nonnull_network_port", ("net", NONNULL_NETWORK), ("uuid", xdr.UUID))

_NET = ("network", NONNULL_NETWORK)
_PORT = ("port", NONNULL_NETWORK_PORT)
_FLAGS = ("flags", xdr.UInt)
_PARAMS = ("params", typed_params(NETWORK_PORT_PARAMETERS_MAX))

PROCEDURES: tuple[Procedure, ...] = (
    call(
        P.NETWORK_LIST_ALL_PORTS,
        [_NET, ("need_results", xdr.Int), _FLAGS],
        [("ports", xdr.Array(NONNULL_NETWORK_PORT, NETWORK_PORT_LIST_MAX)), ("ret", xdr.UInt)],
    ),
    call(P.NETWORK_PORT_LOOKUP_BY_UUID, [_NET, ("uuid", xdr.UUID)], [_PORT]),
    call(
        P.NETWORK_PORT_CREATE_XML,
        [_NET, ("xml", NONNULL_STRING), _FLAGS],
        [_PORT],
        write="virNetworkPortCreateXML",
    ),
    call(P.NETWORK_PORT_GET_PARAMETERS, [_PORT, ("nparams", xdr.Int), _FLAGS], [_PARAMS, ("nparams", xdr.Int)]),
    call(P.NETWORK_PORT_SET_PARAMETERS, [_PORT, _PARAMS, _FLAGS], write="virNetworkPortSetParameters"),
    call(P.NETWORK_PORT_GET_XML_DESC, [_PORT, _FLAGS], [("xml", NONNULL_STRING)]),
    call(P.NETWORK_PORT_DELETE, [_PORT, _FLAGS], write="virNetworkPortDelete"),
)
