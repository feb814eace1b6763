"""Domain events of the ids beyond lifecycle on the wire, both ways: the daemon encodes each event
into its message, the client decodes the message back into the event.

Three shapes (remote_protocol.x): the ids older than callback registration have an old message
(``remote_domain_event_X_msg``, sent to CONNECT_DOMAIN_EVENT_REGISTER_ANY registrations) and a
callback one wrapping it (``{"callbackID", "msg": old}``; the power-management ones add a
``reason`` beside it); newer ids only have a flat callback message (``{"callbackID", "dom", ...}``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from virt.domainevents import (
    AgentLifecycleEvent,
    BalloonChangeEvent,
    BlockJob2Event,
    BlockJobEvent,
    BlockThresholdEvent,
    ControlErrorEvent,
    DeviceAddedEvent,
    DeviceRemovalFailedEvent,
    DeviceRemovedEvent,
    DiskChangeEvent,
    DomainEventID,
    GraphicsAddress,
    GraphicsEvent,
    IOErrorEvent,
    IOErrorReasonEvent,
    JobCompletedEvent,
    MemoryDeviceSizeChangeEvent,
    MemoryFailureEvent,
    MetadataChangeEvent,
    MigrationIterationEvent,
    OtherDomainEvent,
    PMSuspendDiskEvent,
    PMSuspendEvent,
    PMWakeupEvent,
    RebootEvent,
    RTCChangeEvent,
    TrayChangeEvent,
    TunableEvent,
    WatchdogEvent,
)
from virt.driver import DomainRef
from virt.remote import typedparams
from virt.remote.messages import REMOTE_PROCEDURES
from virt.remote.procedure_numbers import RemoteProcedure as P

Fields = dict[str, Any]


@attrs.frozen
class _Shape:
    """How one id travels: its messages, and its event's own fields to and from the message's."""

    legacy: P | None
    """The old message (None: the id only has the callback one)."""
    callback: P
    form: str
    """``wrapped`` (callback message = {callbackID, msg: old}), ``reason`` (wrapped with a reason), ``flat``."""
    fields: Callable[[Any], Fields]
    event: Callable[[DomainRef, Fields], OtherDomainEvent]


def _address(wire: Fields) -> GraphicsAddress:
    return GraphicsAddress(wire["family"], wire["node"], wire["service"])


def _address_fields(address: GraphicsAddress) -> Fields:
    return {"family": address.family, "node": address.node, "service": address.service}


def _io_error_fields(e: IOErrorEvent) -> Fields:
    return {"srcPath": e.src_path, "devAlias": e.dev_alias, "action": e.action}


def _graphics_fields(e: GraphicsEvent) -> Fields:
    return {
        "phase": e.phase,
        "local": _address_fields(e.local),
        "remote": _address_fields(e.remote),
        "authScheme": e.auth_scheme,
        "subject": [{"type": type_, "name": name} for type_, name in e.subject],
    }


def _graphics(d: DomainRef, f: Fields) -> GraphicsEvent:
    subject = tuple((s["type"], s["name"]) for s in f["subject"])
    return GraphicsEvent(d, f["phase"], _address(f["local"]), _address(f["remote"]), f["authScheme"], subject)


def _disk_change_fields(e: DiskChangeEvent) -> Fields:
    return {"oldSrcPath": e.old_src_path, "newSrcPath": e.new_src_path, "devAlias": e.dev_alias, "reason": e.reason}


def _params(f: Fields) -> tuple[Any, ...]:
    return tuple(typedparams.from_wire(f["params"]))


_NONE: Callable[[Any], Fields] = lambda e: {}  # noqa: E731 - the ids that carry nothing but the domain
_REASON: Callable[[Any], Fields] = lambda e: {"reason": e.reason}  # noqa: E731

SHAPES: dict[DomainEventID, _Shape] = {
    DomainEventID.REBOOT: _Shape(P.DOMAIN_EVENT_REBOOT, P.DOMAIN_EVENT_CALLBACK_REBOOT, "wrapped", _NONE,
                                 lambda d, f: RebootEvent(d)),
    DomainEventID.RTC_CHANGE: _Shape(P.DOMAIN_EVENT_RTC_CHANGE, P.DOMAIN_EVENT_CALLBACK_RTC_CHANGE, "wrapped",
                                     lambda e: {"offset": e.offset}, lambda d, f: RTCChangeEvent(d, f["offset"])),
    DomainEventID.WATCHDOG: _Shape(P.DOMAIN_EVENT_WATCHDOG, P.DOMAIN_EVENT_CALLBACK_WATCHDOG, "wrapped",
                                   lambda e: {"action": e.action}, lambda d, f: WatchdogEvent(d, f["action"])),
    DomainEventID.IO_ERROR: _Shape(P.DOMAIN_EVENT_IO_ERROR, P.DOMAIN_EVENT_CALLBACK_IO_ERROR, "wrapped",
                                   _io_error_fields,
                                   lambda d, f: IOErrorEvent(d, f["srcPath"], f["devAlias"], f["action"])),
    DomainEventID.GRAPHICS: _Shape(P.DOMAIN_EVENT_GRAPHICS, P.DOMAIN_EVENT_CALLBACK_GRAPHICS, "wrapped",
                                   _graphics_fields, _graphics),
    DomainEventID.IO_ERROR_REASON: _Shape(
        P.DOMAIN_EVENT_IO_ERROR_REASON, P.DOMAIN_EVENT_CALLBACK_IO_ERROR_REASON, "wrapped",
        lambda e: {**_io_error_fields(e), "reason": e.reason},
        lambda d, f: IOErrorReasonEvent(d, f["srcPath"], f["devAlias"], f["action"], f["reason"]),
    ),
    DomainEventID.CONTROL_ERROR: _Shape(P.DOMAIN_EVENT_CONTROL_ERROR, P.DOMAIN_EVENT_CALLBACK_CONTROL_ERROR,
                                        "wrapped", _NONE, lambda d, f: ControlErrorEvent(d)),
    DomainEventID.BLOCK_JOB: _Shape(P.DOMAIN_EVENT_BLOCK_JOB, P.DOMAIN_EVENT_CALLBACK_BLOCK_JOB, "wrapped",
                                    lambda e: {"path": e.disk, "type": e.type, "status": e.status},
                                    lambda d, f: BlockJobEvent(d, f["path"], f["type"], f["status"])),
    DomainEventID.DISK_CHANGE: _Shape(
        P.DOMAIN_EVENT_DISK_CHANGE, P.DOMAIN_EVENT_CALLBACK_DISK_CHANGE, "wrapped", _disk_change_fields,
        lambda d, f: DiskChangeEvent(d, f["oldSrcPath"], f["newSrcPath"], f["devAlias"], f["reason"]),
    ),
    DomainEventID.TRAY_CHANGE: _Shape(P.DOMAIN_EVENT_TRAY_CHANGE, P.DOMAIN_EVENT_CALLBACK_TRAY_CHANGE, "wrapped",
                                      lambda e: {"devAlias": e.dev_alias, "reason": e.reason},
                                      lambda d, f: TrayChangeEvent(d, f["devAlias"], f["reason"])),
    DomainEventID.PMWAKEUP: _Shape(P.DOMAIN_EVENT_PMWAKEUP, P.DOMAIN_EVENT_CALLBACK_PMWAKEUP, "reason", _REASON,
                                   lambda d, f: PMWakeupEvent(d, f["reason"])),
    DomainEventID.PMSUSPEND: _Shape(P.DOMAIN_EVENT_PMSUSPEND, P.DOMAIN_EVENT_CALLBACK_PMSUSPEND, "reason", _REASON,
                                    lambda d, f: PMSuspendEvent(d, f["reason"])),
    DomainEventID.BALLOON_CHANGE: _Shape(P.DOMAIN_EVENT_BALLOON_CHANGE, P.DOMAIN_EVENT_CALLBACK_BALLOON_CHANGE,
                                         "wrapped", lambda e: {"actual": e.actual},
                                         lambda d, f: BalloonChangeEvent(d, f["actual"])),
    DomainEventID.PMSUSPEND_DISK: _Shape(P.DOMAIN_EVENT_PMSUSPEND_DISK, P.DOMAIN_EVENT_CALLBACK_PMSUSPEND_DISK,
                                         "reason", _REASON, lambda d, f: PMSuspendDiskEvent(d, f["reason"])),
    DomainEventID.DEVICE_REMOVED: _Shape(P.DOMAIN_EVENT_DEVICE_REMOVED, P.DOMAIN_EVENT_CALLBACK_DEVICE_REMOVED,
                                         "wrapped", lambda e: {"devAlias": e.dev_alias},
                                         lambda d, f: DeviceRemovedEvent(d, f["devAlias"])),
    DomainEventID.BLOCK_JOB_2: _Shape(None, P.DOMAIN_EVENT_BLOCK_JOB_2, "flat",
                                      lambda e: {"dst": e.disk, "type": e.type, "status": e.status},
                                      lambda d, f: BlockJob2Event(d, f["dst"], f["type"], f["status"])),
    DomainEventID.TUNABLE: _Shape(None, P.DOMAIN_EVENT_CALLBACK_TUNABLE, "flat",
                                  lambda e: {"params": typedparams.to_wire(e.params)},
                                  lambda d, f: TunableEvent(d, _params(f))),
    DomainEventID.AGENT_LIFECYCLE: _Shape(None, P.DOMAIN_EVENT_CALLBACK_AGENT_LIFECYCLE, "flat",
                                          lambda e: {"state": e.state, "reason": e.reason},
                                          lambda d, f: AgentLifecycleEvent(d, f["state"], f["reason"])),
    DomainEventID.DEVICE_ADDED: _Shape(None, P.DOMAIN_EVENT_CALLBACK_DEVICE_ADDED, "flat",
                                       lambda e: {"devAlias": e.dev_alias},
                                       lambda d, f: DeviceAddedEvent(d, f["devAlias"])),
    DomainEventID.MIGRATION_ITERATION: _Shape(None, P.DOMAIN_EVENT_CALLBACK_MIGRATION_ITERATION, "flat",
                                              lambda e: {"iteration": e.iteration},
                                              lambda d, f: MigrationIterationEvent(d, f["iteration"])),
    DomainEventID.JOB_COMPLETED: _Shape(None, P.DOMAIN_EVENT_CALLBACK_JOB_COMPLETED, "flat",
                                        lambda e: {"params": typedparams.to_wire(e.params)},
                                        lambda d, f: JobCompletedEvent(d, _params(f))),
    DomainEventID.DEVICE_REMOVAL_FAILED: _Shape(None, P.DOMAIN_EVENT_CALLBACK_DEVICE_REMOVAL_FAILED, "flat",
                                                lambda e: {"devAlias": e.dev_alias},
                                                lambda d, f: DeviceRemovalFailedEvent(d, f["devAlias"])),
    DomainEventID.METADATA_CHANGE: _Shape(None, P.DOMAIN_EVENT_CALLBACK_METADATA_CHANGE, "flat",
                                          lambda e: {"type": e.type, "nsuri": e.nsuri},
                                          lambda d, f: MetadataChangeEvent(d, f["type"], f["nsuri"])),
    DomainEventID.BLOCK_THRESHOLD: _Shape(
        None, P.DOMAIN_EVENT_BLOCK_THRESHOLD, "flat",
        lambda e: {"dev": e.dev, "path": e.path, "threshold": e.threshold, "excess": e.excess},
        lambda d, f: BlockThresholdEvent(d, f["dev"], f["path"], f["threshold"], f["excess"]),
    ),
    DomainEventID.MEMORY_FAILURE: _Shape(
        None, P.DOMAIN_EVENT_MEMORY_FAILURE, "flat",
        lambda e: {"recipient": e.recipient, "action": e.action, "flags": e.flags},
        lambda d, f: MemoryFailureEvent(d, f["recipient"], f["action"], f["flags"]),
    ),
    DomainEventID.MEMORY_DEVICE_SIZE_CHANGE: _Shape(
        None, P.DOMAIN_EVENT_MEMORY_DEVICE_SIZE_CHANGE, "flat",
        lambda e: {"alias": e.alias, "size": e.size},
        lambda d, f: MemoryDeviceSizeChangeEvent(d, f["alias"], f["size"]),
    ),
}  # fmt: skip
"""Every id but lifecycle (virt.daemon.procedures.events and RemoteConnection handle that one)."""

CALLBACK_MESSAGES: dict[int, DomainEventID] = {int(shape.callback): event_id for event_id, shape in SHAPES.items()}
"""The callback message numbers, to the id each carries."""


def _wire_domain(ref: DomainRef) -> Fields:
    return {"name": ref.name, "uuid": ref.uuid, "id": ref.id}


def encode(event: OtherDomainEvent, callback_id: int, *, legacy: bool = False) -> tuple[P, bytes]:
    """The message announcing ``event`` to the registration ``callback_id``: the callback one, or
    to an old-style (``legacy``) registration the old one, where the id has one (libvirtd sends the
    ids newer than callback registrations to old-style ones in the callback form)."""
    shape = SHAPES[event.event_id]
    body = {"dom": _wire_domain(event.domain), **shape.fields(event)}
    if legacy and shape.legacy is not None:
        if shape.form == "reason":
            body = {"dom": body["dom"]}
        return shape.legacy, REMOTE_PROCEDURES[shape.legacy].args.encode(body)
    if shape.form == "flat":
        message: Fields = {"callbackID": callback_id, **body}
    elif shape.form == "reason":
        message = {"callbackID": callback_id, "reason": body.pop("reason"), "msg": body}
    else:
        message = {"callbackID": callback_id, "msg": body}
    return shape.callback, REMOTE_PROCEDURES[shape.callback].args.encode(message)


def decode(number: int, payload: bytes) -> tuple[int, OtherDomainEvent]:
    """The callback id and the event of a callback message (``number`` in CALLBACK_MESSAGES)."""
    shape = SHAPES[CALLBACK_MESSAGES[number]]
    message = REMOTE_PROCEDURES[number].args.decode(payload)
    if shape.form == "flat":
        body = message
    else:
        body = dict(message["msg"])
        if shape.form == "reason":
            body["reason"] = message["reason"]
    dom = body["dom"]
    return message["callbackID"], shape.event(DomainRef(dom["name"], dom["uuid"], dom["id"]), body)
