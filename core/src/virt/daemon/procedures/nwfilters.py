"""Network filter procedures (virNWFilter*, virNWFilterBinding*, virsh nwfilter-*): listings,
lookups and XML are open to read-only clients; defining, undefining and a binding's creation and
deletion are not (the procedure table's ``writes`` refuses them before these handlers run)."""

from __future__ import annotations

from typing import Any

from virt.driver import NWFilterBindingRef, NWFilterRef
from virt.nwfilters.handles import NetworkFilter, NetworkFilterBinding
from virt.remote.message_types import NWFILTER_LIST_MAX
from virt.remote.procedure_numbers import RemoteProcedure as P

from .listing import limit
from .registry import Call, handles

Wire = dict[str, Any]


def _filter(call: Call) -> NetworkFilter:
    wire = call.args["nwfilter"]
    return NetworkFilter(call.conn, NWFilterRef(name=wire["name"], uuid=wire["uuid"]))


def _binding(call: Call) -> NetworkFilterBinding:
    wire = call.args["nwfilter"]
    return NetworkFilterBinding(call.conn, NWFilterBindingRef(portdev=wire["portdev"], filter=wire["filtername"]))


def wire_filter(handle: NetworkFilter) -> Wire:
    return {"name": handle.name, "uuid": handle.uuid}


def wire_binding(handle: NetworkFilterBinding) -> Wire:
    return {"portdev": handle.portdev, "filtername": handle.filter_name}


@handles(P.CONNECT_LIST_ALL_NWFILTERS)
def list_all(call: Call) -> Wire:
    found = call.conn.list_nwfilters(int(call.args["flags"]))
    return {"filters": [wire_filter(f) for f in found] if call.args["need_results"] else [], "ret": len(found)}


@handles(P.CONNECT_NUM_OF_NWFILTERS)
def num_of(call: Call) -> Wire:
    return {"num": len(call.conn.list_nwfilters())}


@handles(P.CONNECT_LIST_NWFILTERS)
def list_names(call: Call) -> Wire:
    most = limit(call, "maxnames", NWFILTER_LIST_MAX, "REMOTE_NWFILTER_LIST_MAX")
    return {"names": [f.name for f in call.conn.list_nwfilters()][:most]}


@handles(P.NWFILTER_LOOKUP_BY_NAME)
def lookup_by_name(call: Call) -> Wire:
    return {"nwfilter": wire_filter(call.conn.lookup_nwfilter_by_name(call.args["name"]))}


@handles(P.NWFILTER_LOOKUP_BY_UUID)
def lookup_by_uuid(call: Call) -> Wire:
    return {"nwfilter": wire_filter(call.conn.lookup_nwfilter_by_uuid(call.args["uuid"]))}


@handles(P.NWFILTER_DEFINE_XML)
def define_xml(call: Call) -> Wire:
    return {"nwfilter": wire_filter(call.conn.define_nwfilter(call.args["xml"]))}


@handles(P.NWFILTER_DEFINE_XML_FLAGS)
def define_xml_flags(call: Call) -> Wire:
    return {"nwfilter": wire_filter(call.conn.define_nwfilter(call.args["xml"], int(call.args["flags"])))}


@handles(P.NWFILTER_UNDEFINE)
def undefine(call: Call) -> None:
    _filter(call).undefine()


@handles(P.NWFILTER_GET_XML_DESC)
def get_xml_desc(call: Call) -> Wire:
    return {"xml": _filter(call).xml(int(call.args["flags"]))}


@handles(P.CONNECT_LIST_ALL_NWFILTER_BINDINGS)
def list_all_bindings(call: Call) -> Wire:
    found = call.conn.list_nwfilter_bindings(int(call.args["flags"]))
    return {"bindings": [wire_binding(b) for b in found] if call.args["need_results"] else [], "ret": len(found)}


@handles(P.NWFILTER_BINDING_LOOKUP_BY_PORT_DEV)
def binding_lookup(call: Call) -> Wire:
    return {"nwfilter": wire_binding(call.conn.lookup_nwfilter_binding(call.args["name"]))}


@handles(P.NWFILTER_BINDING_CREATE_XML)
def binding_create(call: Call) -> Wire:
    return {"nwfilter": wire_binding(call.conn.create_nwfilter_binding(call.args["xml"], int(call.args["flags"])))}


@handles(P.NWFILTER_BINDING_DELETE)
def binding_delete(call: Call) -> None:
    _binding(call).delete()


@handles(P.NWFILTER_BINDING_GET_XML_DESC)
def binding_get_xml_desc(call: Call) -> Wire:
    return {"xml": _binding(call).xml(int(call.args["flags"]))}
