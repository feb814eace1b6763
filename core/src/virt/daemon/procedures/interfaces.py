"""Host interface procedures (virInterface*): listing, lookup, XML, define, up and down, transactions.

Read-only clients may list, look up and read the XML (libvirt's remote_protocol.x marks the others
as writing, which the dispatcher refuses before a handler runs).
"""

from __future__ import annotations

from typing import Any

from virt.driver import InterfaceRef
from virt.interfaces import Interface
from virt.remote.message_types import INTERFACE_LIST_MAX
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.xml.schema import refuse_invalid

from .listing import either, limit
from .registry import Call, handles

_LIST_INACTIVE, _LIST_ACTIVE = 1, 2  # virConnectListAllInterfacesFlags
_XML_INACTIVE = 1  # VIR_INTERFACE_XML_INACTIVE
_DEFINE_VALIDATE = 1  # VIR_INTERFACE_DEFINE_VALIDATE


def _interface(call: Call) -> Interface:
    wire = call.args["iface"]
    return Interface(call.conn, InterfaceRef(wire["name"], wire["mac"]))


def _wire(handle: Interface) -> dict[str, Any]:
    return {"name": handle.name, "mac": handle.mac}


def _iface_ret(handle: Interface) -> dict[str, Any]:
    return {"iface": _wire(handle)}


@handles(P.CONNECT_LIST_ALL_INTERFACES)
def list_all_interfaces(call: Call) -> dict[str, Any]:
    flags = call.check_flags(_LIST_ACTIVE | _LIST_INACTIVE, "ConnectListAllInterfaces")
    found = call.conn.list_interfaces(active=either(flags, _LIST_ACTIVE, _LIST_INACTIVE))
    return {"ifaces": [_wire(i) for i in found] if call.args["need_results"] else [], "ret": len(found)}


@handles(P.CONNECT_NUM_OF_INTERFACES)
def num_of_interfaces(call: Call) -> dict[str, Any]:
    return {"num": len(call.conn.list_interfaces(active=True))}


@handles(P.CONNECT_LIST_INTERFACES)
def list_interfaces(call: Call) -> dict[str, Any]:
    most = limit(call, "maxnames", INTERFACE_LIST_MAX, "REMOTE_INTERFACE_LIST_MAX")
    return {"names": [i.name for i in call.conn.list_interfaces(active=True)][:most]}


@handles(P.CONNECT_NUM_OF_DEFINED_INTERFACES)
def num_of_defined_interfaces(call: Call) -> dict[str, Any]:
    return {"num": len(call.conn.list_interfaces(active=False))}


@handles(P.CONNECT_LIST_DEFINED_INTERFACES)
def list_defined_interfaces(call: Call) -> dict[str, Any]:
    most = limit(call, "maxnames", INTERFACE_LIST_MAX, "REMOTE_INTERFACE_LIST_MAX")
    return {"names": [i.name for i in call.conn.list_interfaces(active=False)][:most]}


@handles(P.INTERFACE_LOOKUP_BY_NAME)
def lookup_by_name(call: Call) -> dict[str, Any]:
    return _iface_ret(call.conn.lookup_interface_by_name(call.args["name"]))


@handles(P.INTERFACE_LOOKUP_BY_MAC_STRING)
def lookup_by_mac(call: Call) -> dict[str, Any]:
    return _iface_ret(call.conn.lookup_interface_by_mac(call.args["mac"]))


@handles(P.INTERFACE_GET_XML_DESC)
def get_xml_desc(call: Call) -> dict[str, Any]:
    flags = call.check_flags(_XML_INACTIVE, "InterfaceGetXMLDesc")
    return {"xml": _interface(call).xml(inactive=bool(flags & _XML_INACTIVE))}


@handles(P.INTERFACE_DEFINE_XML)
def define_xml(call: Call) -> dict[str, Any]:
    flags = call.check_flags(_DEFINE_VALIDATE, "InterfaceDefineXML")
    xml = call.args["xml"]
    if flags & _DEFINE_VALIDATE:
        refuse_invalid(xml)
    return _iface_ret(call.conn.define_interface(xml))


@handles(P.INTERFACE_UNDEFINE)
def undefine(call: Call) -> None:
    _interface(call).undefine()


@handles(P.INTERFACE_CREATE)
def create(call: Call) -> None:
    call.check_flags(0, "InterfaceCreate")
    _interface(call).create()


@handles(P.INTERFACE_DESTROY)
def destroy(call: Call) -> None:
    call.check_flags(0, "InterfaceDestroy")
    _interface(call).destroy()


@handles(P.INTERFACE_IS_ACTIVE)
def is_active(call: Call) -> dict[str, Any]:
    return {"active": int(_interface(call).is_active())}


@handles(P.INTERFACE_CHANGE_BEGIN)
def change_begin(call: Call) -> None:
    call.check_flags(0, "InterfaceChangeBegin")
    call.conn.interface_change_begin()


@handles(P.INTERFACE_CHANGE_COMMIT)
def change_commit(call: Call) -> None:
    call.check_flags(0, "InterfaceChangeCommit")
    call.conn.interface_change_commit()


@handles(P.INTERFACE_CHANGE_ROLLBACK)
def change_rollback(call: Call) -> None:
    call.check_flags(0, "InterfaceChangeRollback")
    call.conn.interface_change_rollback()
