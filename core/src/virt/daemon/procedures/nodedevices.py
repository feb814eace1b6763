"""Host device procedures (virNodeDevice*, virsh nodedev-*): listing (by capability), lookup, XML,
parent and capabilities (open to read-only clients); creating and destroying (vHBAs on the test driver)."""

from __future__ import annotations

from typing import Any

from virt.nodedevices import CAPABILITY_FLAGS, NodeDevice
from virt.remote.message_types import NODE_DEVICE_CAPS_LIST_MAX, NODE_DEVICE_LIST_MAX
from virt.remote.procedure_numbers import RemoteProcedure as P

from .listing import limit
from .registry import Call, handles


def _device(call: Call) -> NodeDevice:
    return NodeDevice(call.conn, call.args["name"])


def _names(call: Call, function: str) -> list[str]:
    """virNodeListDevices' names: those with capability ``cap`` (one the filters do not know: none)."""
    call.check_flags(0, function)
    cap = call.args["cap"]
    if cap is not None and cap not in CAPABILITY_FLAGS:
        return []
    return [device.name for device in call.conn.list_node_devices(cap)]


@handles(P.CONNECT_LIST_ALL_NODE_DEVICES)
def list_all_node_devices(call: Call) -> dict[str, Any]:
    names = call.conn.driver.list_node_devices(int(call.args["flags"]))
    devices = [{"name": name} for name in names] if call.args["need_results"] else []
    return {"devices": devices, "ret": len(names)}


@handles(P.NODE_NUM_OF_DEVICES)
def num_of_devices(call: Call) -> dict[str, Any]:
    return {"num": len(_names(call, "NodeNumOfDevices"))}


@handles(P.NODE_LIST_DEVICES)
def list_devices(call: Call) -> dict[str, Any]:
    most = limit(call, "maxnames", NODE_DEVICE_LIST_MAX, "REMOTE_NODE_DEVICE_LIST_MAX")
    return {"names": _names(call, "NodeListDevices")[:most]}


@handles(P.NODE_DEVICE_LOOKUP_BY_NAME)
def lookup_by_name(call: Call) -> dict[str, Any]:
    return {"dev": {"name": call.conn.lookup_node_device_by_name(call.args["name"]).name}}


@handles(P.NODE_DEVICE_GET_XML_DESC)
def get_xml_desc(call: Call) -> dict[str, Any]:
    call.check_flags(0, "NodeDeviceGetXMLDesc")
    return {"xml": _device(call).xml()}


@handles(P.NODE_DEVICE_GET_PARENT)
def get_parent(call: Call) -> dict[str, Any]:
    return {"parent": _device(call).parent()}


@handles(P.NODE_DEVICE_NUM_OF_CAPS)
def num_of_caps(call: Call) -> dict[str, Any]:
    return {"num": len(_device(call).capabilities())}


@handles(P.NODE_DEVICE_LIST_CAPS)
def list_caps(call: Call) -> dict[str, Any]:
    most = limit(call, "maxnames", NODE_DEVICE_CAPS_LIST_MAX, "REMOTE_NODE_DEVICE_CAPS_LIST_MAX")
    return {"names": _device(call).capabilities()[:most]}


@handles(P.NODE_DEVICE_CREATE_XML)
def create_xml(call: Call) -> dict[str, Any]:
    device = call.conn.create_node_device(call.args["xml_desc"], int(call.args["flags"]))
    return {"dev": {"name": device.name}}


@handles(P.NODE_DEVICE_DESTROY)
def destroy(call: Call) -> None:
    _device(call).destroy()
