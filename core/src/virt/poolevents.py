"""Storage pool events (virConnectStoragePoolEventRegisterAny): the lifecycle events
(virStoragePoolEventLifecycleType) and the refresh event, with virsh's words (``pool-event``).

A storage service or driver emits ``StoragePoolEvent``s through a ``StoragePoolEventHub``; a
``Connection`` hands them to its callbacks (``Connection.add_storage_pool_event_callback``).
"""

from __future__ import annotations

import enum
import time
from typing import TYPE_CHECKING

import attrs

from virt.events import EventHub

if TYPE_CHECKING:
    from virt.driver import StoragePoolRef


class StoragePoolEventID(enum.IntEnum):
    """virStoragePoolEventID: what a callback registers for."""

    LIFECYCLE = 0
    REFRESH = 1

    @property
    def label(self) -> str:
        """virsh's name for it (``pool-event --event``)."""
        return self.name.lower()


class StoragePoolEventType(enum.IntEnum):
    """virStoragePoolEventLifecycleType."""

    DEFINED = 0
    UNDEFINED = 1
    STARTED = 2
    STOPPED = 3
    CREATED = 4
    DELETED = 5

    @property
    def label(self) -> str:
        """virsh's word (``pool-event``)."""
        return self.name.capitalize()


@attrs.frozen
class StoragePoolEvent:
    """One event of ``pool``: a lifecycle event (``type`` and ``detail``, always 0 in libvirt 9.0)
    or a refresh (``type`` None)."""

    pool: StoragePoolRef
    id: StoragePoolEventID
    type: StoragePoolEventType | None = None
    detail: int = 0
    timestamp: float = attrs.field(factory=time.time, eq=False)
    """When it happened (``time.time()``), as ``--timestamp`` prints it."""
    moment: float = attrs.field(factory=time.monotonic, eq=False, repr=False)
    """When it happened on this process's monotonic clock: a callback registered later never gets it."""

    @classmethod
    def lifecycle(cls, pool: StoragePoolRef, type: StoragePoolEventType, detail: int = 0) -> StoragePoolEvent:
        return cls(pool, StoragePoolEventID.LIFECYCLE, type, detail)

    @classmethod
    def refresh(cls, pool: StoragePoolRef) -> StoragePoolEvent:
        return cls(pool, StoragePoolEventID.REFRESH)


class StoragePoolEventHub(EventHub[StoragePoolEvent]):
    """The hub of one storage service's (or test host's) pool events."""
