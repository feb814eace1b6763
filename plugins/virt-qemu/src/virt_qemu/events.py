"""Lifecycle events of the driver's domains: a recent history, and delivery to subscribers.

Every state change goes through ``QemuDriver._set_state`` (or ``_emit``), which records one
event here, often under a domain's lock. The history is kept for tests and debugging; the
subscribers (``DriverConnection.subscribe_domain_events``) are called by the hub's own thread,
so never under a driver lock and never inside a monitor read. The enums and the state-to-event
mapping are core's (``virt.events``).
"""

from __future__ import annotations

import collections
import threading
import time
import uuid
from collections.abc import Callable

import attrs
from virt.domainevents import OtherDomainEvent
from virt.driver import DomainRef
from virt.events import DomainEvent, DomainEventHub
from virt.events import DomainEventType as EventType
from virt.events import event_for_state as event_for
from virt.states import DomainState

__all__ = ["EventHub", "EventType", "LifecycleEvent", "event_for"]


@attrs.frozen
class LifecycleEvent:
    """An event as the driver saw it: also the state and reason it left the domain in."""

    name: str
    uuid: uuid.UUID
    id: int
    type: EventType
    detail: int
    state: DomainState
    reason: int
    time: float = attrs.field(factory=time.time)

    def to_domain_event(self) -> DomainEvent:
        return DomainEvent(DomainRef(self.name, self.uuid, self.id), self.type, self.detail, self.time)


class EventHub:
    """Recent events and the callbacks that want them."""

    def __init__(self, keep: int = 256) -> None:
        self.recent: collections.deque[LifecycleEvent] = collections.deque(maxlen=keep)
        self._lock = threading.Lock()
        self._hub = DomainEventHub(threaded=True, name="virt-qemu domain events")

    def subscribe_lifecycle(self, callback: Callable[[DomainEvent], None]) -> Callable[[], None]:
        """Call ``callback`` for every later lifecycle event; returns the function that unsubscribes."""
        return self._hub.subscribe_lifecycle(callback)

    def subscribe_id(self, event_id: int, callback: Callable[[OtherDomainEvent], None]) -> Callable[[], None]:
        """Call ``callback`` for every later event of ``event_id`` (virt.domainevents, not lifecycle)."""
        return self._hub.subscribe_id(event_id, callback)

    def emit_other(self, event: OtherDomainEvent) -> None:
        """Queue an event of another id than lifecycle, in order with the lifecycle ones (not recorded)."""
        self._hub.queue(event)

    def emit(self, event: LifecycleEvent) -> None:
        """Record ``event`` and queue it for the subscribers (safe under any lock: nothing is called here)."""
        with self._lock:
            self.recent.append(event)
        self._hub.queue(event.to_domain_event())

    def close(self) -> None:
        self._hub.close()
