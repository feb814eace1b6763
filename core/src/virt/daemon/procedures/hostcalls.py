"""Native formats (CONNECT_DOMAIN_XML_FROM/TO_NATIVE), CPU comparison (CONNECT_COMPARE_CPU), power
management (NODE_SUSPEND_FOR_DURATION, DOMAIN_PM_SUSPEND_FOR_DURATION, DOMAIN_PM_WAKEUP), a domain's
security labels (DOMAIN_GET_SECURITY_LABEL_LIST) and SCSI hosts by WWN
(NODE_DEVICE_LOOKUP_SCSI_HOST_BY_WWN). The read-only rules are the message table's (libvirt's)."""

from __future__ import annotations

from typing import Any

from virt.errors import VirtError
from virt.remote.procedure_numbers import RemoteProcedure as P

from . import wire
from .registry import Call, handles


@handles(P.CONNECT_DOMAIN_XML_FROM_NATIVE)
def domain_xml_from_native(call: Call) -> dict[str, Any]:
    args = call.args
    xml = call.conn.domain_xml_from_native(args["nativeFormat"], args["nativeConfig"], int(args["flags"]))
    return {"domainXml": xml}


@handles(P.CONNECT_DOMAIN_XML_TO_NATIVE)
def domain_xml_to_native(call: Call) -> dict[str, Any]:
    args = call.args
    native = call.conn.domain_xml_to_native(args["nativeFormat"], args["domainXml"], int(args["flags"]))
    return {"nativeConfig": native}


@handles(P.CONNECT_COMPARE_CPU)
def compare_cpu(call: Call) -> dict[str, Any]:
    return {"result": int(call.conn.compare_cpu(call.args["xml"], int(call.args["flags"])))}


@handles(P.NODE_SUSPEND_FOR_DURATION)
def node_suspend_for_duration(call: Call) -> None:
    args = call.args
    call.conn.suspend_for_duration(int(args["target"]), int(args["duration"]), int(args["flags"]))


@handles(P.DOMAIN_GET_SECURITY_LABEL_LIST)
def get_security_label_list(call: Call) -> dict[str, Any]:
    domain = wire.domain(call.conn, call.args["dom"])
    try:
        labels = domain.security_labels()
    except VirtError:
        # libvirtd 9.0 answers a failure after the lookup as a reply with ret -1 and no error, which
        # its clients report as an unknown error: the same reply, for the same clients
        return {"labels": [], "ret": -1}
    wired = [{"label": label.label, "enforcing": int(label.enforcing)} for label in labels]
    return {"labels": wired, "ret": len(wired)}


@handles(P.DOMAIN_PM_SUSPEND_FOR_DURATION)
def pm_suspend_for_duration(call: Call) -> None:
    args = call.args
    domain = wire.domain(call.conn, args["dom"])
    domain.pm_suspend_for_duration(int(args["target"]), int(args["duration"]), int(args["flags"]))


@handles(P.DOMAIN_PM_WAKEUP)
def pm_wakeup(call: Call) -> None:
    wire.domain(call.conn, call.args["dom"]).pm_wakeup(int(call.args["flags"]))


@handles(P.NODE_DEVICE_LOOKUP_SCSI_HOST_BY_WWN)
def lookup_scsi_host_by_wwn(call: Call) -> dict[str, Any]:
    args = call.args
    return {"dev": {"name": call.conn.lookup_scsi_host_by_wwn(args["wwnn"], args["wwpn"], int(args["flags"])).name}}
