"""Node device events (virConnectNodeDeviceEventRegisterAny): the lifecycle events
(virNodeDeviceEventLifecycleType) and the update event, with virsh's words (``nodedev-event``).

A driver emits ``NodeDeviceEvent``s through a ``NodeDeviceEventHub``; a ``Connection`` hands them
to its callbacks (``Connection.add_node_device_event_callback``).
"""

from __future__ import annotations

import enum
import time

import attrs

from virt.events import EventHub


class NodeDeviceEventID(enum.IntEnum):
    """virNodeDeviceEventID: what a callback registers for."""

    LIFECYCLE = 0
    UPDATE = 1

    @property
    def label(self) -> str:
        """virsh's name for it (``nodedev-event --event``)."""
        return self.name.lower()


class NodeDeviceEventType(enum.IntEnum):
    """virNodeDeviceEventLifecycleType."""

    CREATED = 0
    DELETED = 1
    DEFINED = 2
    UNDEFINED = 3

    @property
    def label(self) -> str:
        """virsh's word (``nodedev-event``)."""
        return self.name.capitalize()


@attrs.frozen
class NodeDeviceEvent:
    """One event of the device named ``device``: a lifecycle event (``type`` and ``detail``) or an
    update (``type`` None)."""

    device: str
    id: NodeDeviceEventID
    type: NodeDeviceEventType | None = None
    detail: int = 0
    timestamp: float = attrs.field(factory=time.time, eq=False)
    """When it happened (``time.time()``), as ``--timestamp`` prints it."""
    moment: float = attrs.field(factory=time.monotonic, eq=False, repr=False)
    """When it happened on this process's monotonic clock: a callback registered later never gets it."""

    @classmethod
    def lifecycle(cls, device: str, type: NodeDeviceEventType, detail: int = 0) -> NodeDeviceEvent:
        return cls(device, NodeDeviceEventID.LIFECYCLE, type, detail)

    @classmethod
    def update(cls, device: str) -> NodeDeviceEvent:
        return cls(device, NodeDeviceEventID.UPDATE)


class NodeDeviceEventHub(EventHub[NodeDeviceEvent]):
    """The hub of one test host's node device events."""
