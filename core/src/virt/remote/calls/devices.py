"""Host devices, host interfaces, secrets and network filters: the listings clients probe."""

from __future__ import annotations

from virt.remote import xdr
from virt.remote.message_types import (
    INTERFACE_LIST_MAX,
    NODE_DEVICE_CAPS_LIST_MAX,
    NODE_DEVICE_LIST_MAX,
    NONNULL_INTERFACE,
    NONNULL_NODE_DEVICE,
    NONNULL_NWFILTER,
    NONNULL_NWFILTER_BINDING,
    NONNULL_SECRET,
    NONNULL_STRING,
    NWFILTER_BINDING_LIST_MAX,
    NWFILTER_LIST_MAX,
    REMOTE_STRING,
    SECRET_LIST_MAX,
    SECRET_VALUE_MAX,
    Procedure,
    call,
)
from virt.remote.procedure_numbers import RemoteProcedure as P

_FLAGS = ("flags", xdr.UInt)
_LIST_ALL_ARGS = [("need_results", xdr.Int), _FLAGS]
_IFACE = ("iface", NONNULL_INTERFACE)
_SECRET = ("secret", NONNULL_SECRET)
_NWFILTER = ("nwfilter", NONNULL_NWFILTER)
_BINDING = ("nwfilter", NONNULL_NWFILTER_BINDING)
_INTERFACE_NAMES = [("names", xdr.Array(NONNULL_STRING, INTERFACE_LIST_MAX))]

PROCEDURES: tuple[Procedure, ...] = (
    # Host devices (virsh nodedev-list).
    call(
        P.CONNECT_LIST_ALL_NODE_DEVICES,
        _LIST_ALL_ARGS,
        [("devices", xdr.Array(NONNULL_NODE_DEVICE, NODE_DEVICE_LIST_MAX)), ("ret", xdr.UInt)],
    ),
    call(P.NODE_NUM_OF_DEVICES, [("cap", REMOTE_STRING), _FLAGS], [("num", xdr.Int)]),
    call(
        P.NODE_LIST_DEVICES,
        [("cap", REMOTE_STRING), ("maxnames", xdr.Int), _FLAGS],
        [("names", xdr.Array(NONNULL_STRING, NODE_DEVICE_LIST_MAX))],
    ),
    call(
        P.NODE_DEVICE_LOOKUP_SCSI_HOST_BY_WWN,
        [("wwnn", NONNULL_STRING), ("wwpn", NONNULL_STRING), _FLAGS],
        [("dev", NONNULL_NODE_DEVICE)],
    ),
    call(
        P.NODE_DEVICE_CREATE_XML,
        [("xml_desc", NONNULL_STRING), _FLAGS],
        [("dev", NONNULL_NODE_DEVICE)],
        write="virNodeDeviceCreateXML",
    ),
    call(P.NODE_DEVICE_DESTROY, [("name", NONNULL_STRING)], write="virNodeDeviceDestroy"),
    # libvirt spells the old detach call "dettach".
    call(P.NODE_DEVICE_DETTACH, [("name", NONNULL_STRING)], write="virNodeDeviceDettach"),
    call(
        P.NODE_DEVICE_DETACH_FLAGS,
        [("name", NONNULL_STRING), ("driverName", REMOTE_STRING), _FLAGS],
        write="virNodeDeviceDetachFlags",
    ),
    call(P.NODE_DEVICE_RE_ATTACH, [("name", NONNULL_STRING)], write="virNodeDeviceReAttach"),
    call(P.NODE_DEVICE_RESET, [("name", NONNULL_STRING)], write="virNodeDeviceReset"),
    call(P.NODE_DEVICE_LOOKUP_BY_NAME, [("name", NONNULL_STRING)], [("dev", NONNULL_NODE_DEVICE)]),
    call(P.NODE_DEVICE_GET_XML_DESC, [("name", NONNULL_STRING), _FLAGS], [("xml", NONNULL_STRING)]),
    call(P.NODE_DEVICE_GET_PARENT, [("name", NONNULL_STRING)], [("parent", REMOTE_STRING)]),
    call(P.NODE_DEVICE_NUM_OF_CAPS, [("name", NONNULL_STRING)], [("num", xdr.Int)]),
    call(
        P.NODE_DEVICE_LIST_CAPS,
        [("name", NONNULL_STRING), ("maxnames", xdr.Int)],
        [("names", xdr.Array(NONNULL_STRING, NODE_DEVICE_CAPS_LIST_MAX))],
    ),
    # Host interfaces.
    call(
        P.CONNECT_LIST_ALL_INTERFACES,
        _LIST_ALL_ARGS,
        [("ifaces", xdr.Array(NONNULL_INTERFACE, INTERFACE_LIST_MAX)), ("ret", xdr.UInt)],
    ),
    call(P.CONNECT_NUM_OF_INTERFACES, None, [("num", xdr.Int)]),
    call(P.CONNECT_LIST_INTERFACES, [("maxnames", xdr.Int)], _INTERFACE_NAMES),
    call(P.CONNECT_NUM_OF_DEFINED_INTERFACES, None, [("num", xdr.Int)]),
    call(P.CONNECT_LIST_DEFINED_INTERFACES, [("maxnames", xdr.Int)], _INTERFACE_NAMES),
    call(P.INTERFACE_LOOKUP_BY_NAME, [("name", NONNULL_STRING)], [("iface", NONNULL_INTERFACE)]),
    call(P.INTERFACE_LOOKUP_BY_MAC_STRING, [("mac", NONNULL_STRING)], [_IFACE]),
    call(P.INTERFACE_DEFINE_XML, [("xml", NONNULL_STRING), _FLAGS], [_IFACE], write="virInterfaceDefineXML"),
    call(P.INTERFACE_UNDEFINE, [_IFACE], write="virInterfaceUndefine"),
    call(P.INTERFACE_CREATE, [_IFACE, _FLAGS], write="virInterfaceCreate"),
    call(P.INTERFACE_DESTROY, [_IFACE, _FLAGS], write="virInterfaceDestroy"),
    call(P.INTERFACE_CHANGE_BEGIN, [_FLAGS], write="virInterfaceChangeBegin"),
    call(P.INTERFACE_CHANGE_COMMIT, [_FLAGS], write="virInterfaceChangeCommit"),
    call(P.INTERFACE_CHANGE_ROLLBACK, [_FLAGS], write="virInterfaceChangeRollback"),
    call(P.INTERFACE_GET_XML_DESC, [("iface", NONNULL_INTERFACE), _FLAGS], [("xml", NONNULL_STRING)]),
    call(P.INTERFACE_IS_ACTIVE, [("iface", NONNULL_INTERFACE)], [("active", xdr.Int)]),
    # Secrets.
    call(
        P.CONNECT_LIST_ALL_SECRETS,
        _LIST_ALL_ARGS,
        [("secrets", xdr.Array(NONNULL_SECRET, SECRET_LIST_MAX)), ("ret", xdr.UInt)],
    ),
    call(P.CONNECT_NUM_OF_SECRETS, None, [("num", xdr.Int)]),
    call(P.CONNECT_LIST_SECRETS, [("maxuuids", xdr.Int)], [("uuids", xdr.Array(NONNULL_STRING, SECRET_LIST_MAX))]),
    call(P.SECRET_LOOKUP_BY_UUID, [("uuid", xdr.UUID)], [("secret", NONNULL_SECRET)]),
    call(
        P.SECRET_LOOKUP_BY_USAGE,
        [("usageType", xdr.Int), ("usageID", NONNULL_STRING)],
        [_SECRET],
    ),
    call(P.SECRET_DEFINE_XML, [("xml", NONNULL_STRING), _FLAGS], [_SECRET], write="virSecretDefineXML"),
    call(P.SECRET_UNDEFINE, [_SECRET], write="virSecretUndefine"),
    call(
        P.SECRET_SET_VALUE,
        [_SECRET, ("value", xdr.Opaque(SECRET_VALUE_MAX)), _FLAGS],
        write="virSecretSetValue",
    ),
    call(
        P.SECRET_GET_VALUE,
        [_SECRET, _FLAGS],
        [("value", xdr.Opaque(SECRET_VALUE_MAX))],
        write="virSecretGetValue",
    ),
    call(P.SECRET_GET_XML_DESC, [("secret", NONNULL_SECRET), _FLAGS], [("xml", NONNULL_STRING)]),
    # Network filters.
    call(
        P.CONNECT_LIST_ALL_NWFILTERS,
        _LIST_ALL_ARGS,
        [("filters", xdr.Array(NONNULL_NWFILTER, NWFILTER_LIST_MAX)), ("ret", xdr.UInt)],
    ),
    call(P.CONNECT_NUM_OF_NWFILTERS, None, [("num", xdr.Int)]),
    call(P.CONNECT_LIST_NWFILTERS, [("maxnames", xdr.Int)], [("names", xdr.Array(NONNULL_STRING, NWFILTER_LIST_MAX))]),
    call(P.NWFILTER_LOOKUP_BY_NAME, [("name", NONNULL_STRING)], [("nwfilter", NONNULL_NWFILTER)]),
    call(P.NWFILTER_LOOKUP_BY_UUID, [("uuid", xdr.UUID)], [_NWFILTER]),
    call(P.NWFILTER_DEFINE_XML, [("xml", NONNULL_STRING)], [_NWFILTER], write="virNWFilterDefineXML"),
    call(P.NWFILTER_UNDEFINE, [_NWFILTER], write="virNWFilterUndefine"),
    call(P.NWFILTER_GET_XML_DESC, [("nwfilter", NONNULL_NWFILTER), _FLAGS], [("xml", NONNULL_STRING)]),
    call(
        P.NWFILTER_DEFINE_XML_FLAGS,
        [("xml", NONNULL_STRING), _FLAGS],
        [_NWFILTER],
        write="virNWFilterDefineXMLFlags",
    ),
    # Network filter bindings.
    call(P.NWFILTER_BINDING_LOOKUP_BY_PORT_DEV, [("name", NONNULL_STRING)], [_BINDING]),
    call(P.NWFILTER_BINDING_GET_XML_DESC, [_BINDING, _FLAGS], [("xml", NONNULL_STRING)]),
    call(
        P.NWFILTER_BINDING_CREATE_XML,
        [("xml", NONNULL_STRING), _FLAGS],
        [_BINDING],
        write="virNWFilterBindingCreateXML",
    ),
    call(P.NWFILTER_BINDING_DELETE, [_BINDING], write="virNWFilterBindingDelete"),
    call(
        P.CONNECT_LIST_ALL_NWFILTER_BINDINGS,
        _LIST_ALL_ARGS,
        [("bindings", xdr.Array(NONNULL_NWFILTER_BINDING, NWFILTER_BINDING_LIST_MAX)), ("ret", xdr.UInt)],
    ),
)
