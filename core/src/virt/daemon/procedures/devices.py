"""Procedures of device hotplug and unplug: attach, detach and update a device (with and without
flags) and detach by alias.

The flagless calls change the running domain (libvirt's virDomainAttachDevice is AttachDeviceFlags
with AFFECT_LIVE); the flags go to the driver, which refuses those it does not know in its own
function's name.
"""

from __future__ import annotations

from virt.connection import Domain
from virt.devicechanges import DeviceModifyFlags
from virt.remote.procedure_numbers import RemoteProcedure as P

from . import wire
from .registry import Call, handles


def _domain(call: Call) -> Domain:
    return wire.domain(call.conn, call.args["dom"])


@handles(P.DOMAIN_ATTACH_DEVICE)
def attach_device(call: Call) -> None:
    _domain(call).attach_device(call.args["xml"], DeviceModifyFlags.LIVE)


@handles(P.DOMAIN_ATTACH_DEVICE_FLAGS)
def attach_device_flags(call: Call) -> None:
    _domain(call).attach_device(call.args["xml"], int(call.args["flags"]))


@handles(P.DOMAIN_DETACH_DEVICE)
def detach_device(call: Call) -> None:
    _domain(call).detach_device(call.args["xml"], DeviceModifyFlags.LIVE)


@handles(P.DOMAIN_DETACH_DEVICE_FLAGS)
def detach_device_flags(call: Call) -> None:
    _domain(call).detach_device(call.args["xml"], int(call.args["flags"]))


@handles(P.DOMAIN_UPDATE_DEVICE_FLAGS)
def update_device_flags(call: Call) -> None:
    _domain(call).update_device(call.args["xml"], int(call.args["flags"]))


@handles(P.DOMAIN_DETACH_DEVICE_ALIAS)
def detach_device_alias(call: Call) -> None:
    _domain(call).detach_device_alias(call.args["alias"], int(call.args["flags"]))
