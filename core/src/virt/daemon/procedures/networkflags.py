"""virNetworkCreateXMLFlags and virNetworkDefineXMLFlags: create and define with flags, of which
libvirt 9.0 knows one, VALIDATE (the XML checked against network.rng first, as libvirt's network
parser does); any other is refused in the driver's words (testNetworkCreateXMLFlags...)."""

from __future__ import annotations

from typing import Any

from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.xml.schema import refuse_invalid

from .networks import _net_ret
from .registry import Call, handles

VALIDATE = 1
"""VIR_NETWORK_CREATE_VALIDATE and VIR_NETWORK_DEFINE_VALIDATE."""


def _checked(call: Call, function: str) -> str:
    xml = str(call.args["xml"])
    if call.check_flags(VALIDATE, function) & VALIDATE:
        refuse_invalid(xml, located=False)
    return xml


@handles(P.NETWORK_CREATE_XML_FLAGS)
def create_xml_flags(call: Call) -> dict[str, Any]:
    return _net_ret(call.conn.create_network(_checked(call, "NetworkCreateXMLFlags")))


@handles(P.NETWORK_DEFINE_XML_FLAGS)
def define_xml_flags(call: Call) -> dict[str, Any]:
    return _net_ret(call.conn.define_network(_checked(call, "NetworkDefineXMLFlags")))
