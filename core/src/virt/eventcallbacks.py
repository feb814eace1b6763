"""A connection's table of event callbacks for one family of object events (storage pool, node
device). Each callback wants one event id's events that a predicate matches; one driver
subscription per event id serves them all, made with its first callback and dropped with its last.
Handles are unique across the family's event ids, as libvirt's callback ids are."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

E = TypeVar("E")

Subscribe = Callable[[int, Callable[[E], None]], Callable[[], None]]
"""A driver's ``subscribe_*_events(event_id, callback)``."""


class EventCallbacks(Generic[E]):
    """Callbacks by handle, each with its event id and the predicate choosing its events."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.callbacks: dict[int, tuple[int, Callable[[E], None], Callable[[E], bool], float]] = {}
        self._handles = itertools.count(1)
        self._unsubscribes: dict[int, Callable[[], None]] = {}

    def add(
        self, event_id: int, callback: Callable[[E], None], wants: Callable[[E], bool], subscribe: Subscribe[E]
    ) -> int:
        """Register ``callback`` for the events of ``event_id`` that ``wants``; the driver's
        ``subscribe`` is called under the lock for the id's first one, so that two first
        registrations do not both subscribe (a driver never calls back from inside subscribe)."""
        with self.lock:
            if event_id not in self._unsubscribes:
                self._unsubscribes[event_id] = subscribe(event_id, lambda event: self._deliver(event_id, event))
            handle = next(self._handles)
            self.callbacks[handle] = (event_id, callback, wants, time.monotonic())
            return handle

    def remove(self, handle: int) -> None:
        from virt.errors import InvalidArgument

        with self.lock:
            found = self.callbacks.pop(handle, None)
            if found is None:
                raise InvalidArgument(f"could not find event callback {handle} for deletion")
            event_id = found[0]
            unsubscribe = None
            if not any(other == event_id for other, _, _, _ in self.callbacks.values()):
                unsubscribe = self._unsubscribes.pop(event_id, None)
        if unsubscribe is not None:
            unsubscribe()

    def clear(self) -> None:
        with self.lock:
            self.callbacks.clear()
            unsubscribes = list(self._unsubscribes.values())
            self._unsubscribes.clear()
        for unsubscribe in unsubscribes:
            unsubscribe()

    def _deliver(self, event_id: int, event: E) -> None:
        # a driver may deliver from its own thread, later: an event that happened before a callback
        # was registered is not that callback's, even when it arrives after
        when = getattr(event, "moment", None)
        with self.lock:
            wanted = [
                callback
                for key, callback, wants, since in self.callbacks.values()
                if key == event_id and (when is None or when >= since) and wants(event)
            ]
        for callback in wanted:
            try:
                callback(event)
            except Exception:
                # logging is imported only when a callback fails: it costs every CLI start several milliseconds
                import logging

                logging.getLogger(__name__).exception("event callback %r failed on %s", callback, event)
