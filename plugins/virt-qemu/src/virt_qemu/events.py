"""Lifecycle events of the driver's domains, kept for a future event API.

Every state change goes through ``QemuDriver._set_state``, which records one event here; a
recent history is kept (tests and debugging read it) and callbacks registered with
``EventHub.subscribe`` are called from the driver's event thread, never under a monitor read.
"""

from __future__ import annotations

import collections
import enum
import logging
import threading
import time
import uuid
from collections.abc import Callable

import attrs
from virt.states import DomainState, ShutoffReason

log = logging.getLogger(__name__)


class EventType(enum.IntEnum):
    """virDomainEventType."""

    DEFINED = 0
    UNDEFINED = 1
    STARTED = 2
    SUSPENDED = 3
    RESUMED = 4
    STOPPED = 5
    SHUTDOWN = 6
    PMSUSPENDED = 7
    CRASHED = 8


# virDomainEventStoppedDetailType by shut-off reason
_STOPPED_DETAIL: dict[int, int] = {
    ShutoffReason.SHUTDOWN: 0,
    ShutoffReason.DESTROYED: 1,
    ShutoffReason.CRASHED: 2,
    ShutoffReason.MIGRATED: 3,
    ShutoffReason.SAVED: 4,
    ShutoffReason.FAILED: 5,
    ShutoffReason.FROM_SNAPSHOT: 6,
}


@attrs.frozen
class LifecycleEvent:
    name: str
    uuid: uuid.UUID
    id: int
    type: EventType
    detail: int
    state: DomainState
    reason: int
    time: float = attrs.field(factory=time.time)


def event_for(state: DomainState, reason: int) -> tuple[EventType, int] | None:
    """The lifecycle event libvirt emits on entering ``state`` for ``reason`` (None: none)."""
    if state == DomainState.RUNNING:
        # booted -> STARTED/BOOTED; unpaused -> RESUMED/UNPAUSED; anything else: a plain resume
        return (EventType.STARTED, 0) if reason == 1 else (EventType.RESUMED, 0)
    if state == DomainState.PAUSED:
        return EventType.SUSPENDED, 0
    if state == DomainState.SHUTDOWN:
        return EventType.SHUTDOWN, 0
    if state == DomainState.SHUTOFF:
        return EventType.STOPPED, _STOPPED_DETAIL.get(reason, 0)
    if state == DomainState.CRASHED:
        return EventType.CRASHED, 0
    return None


Callback = Callable[[LifecycleEvent], None]


class EventHub:
    """Recent events and the callbacks that want them."""

    def __init__(self, keep: int = 256) -> None:
        self.recent: collections.deque[LifecycleEvent] = collections.deque(maxlen=keep)
        self._callbacks: list[Callback] = []
        self._lock = threading.Lock()

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Call ``callback`` for every later event; returns the function that unsubscribes."""
        with self._lock:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unsubscribe

    def emit(self, event: LifecycleEvent) -> None:
        with self._lock:
            self.recent.append(event)
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(event)
            except Exception:  # a subscriber's bug must not break the driver
                log.exception("lifecycle event callback failed")
