"""Network lifecycle events (virConnectNetworkEventLifecycleType): defined, undefined, started,
stopped, with virsh's words; the hub a network service emits them through, and the table of a
``Connection``'s callbacks."""

from __future__ import annotations

import enum
import itertools
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from virt.events import EventHub

if TYPE_CHECKING:
    import uuid

    from virt.driver import NetworkRef

NETWORK_EVENT_ID_LIFECYCLE = 0  # VIR_NETWORK_EVENT_ID_LIFECYCLE


class NetworkEventType(enum.IntEnum):
    DEFINED = 0
    UNDEFINED = 1
    STARTED = 2
    STOPPED = 3

    @property
    def label(self) -> str:
        """virsh's word (``net-event``)."""
        return self.name.capitalize()


@attrs.frozen
class NetworkEvent:
    network: NetworkRef
    type: NetworkEventType
    detail: int = 0


class NetworkEventHub(EventHub[NetworkEvent]):
    """The hub of a network service's lifecycle events."""


class NetworkCallbacks:
    """A connection's network event callbacks by handle (each for one network's UUID, or all),
    subscribed to the driver while there is at least one."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.callbacks: dict[int, tuple[Callable[[NetworkEvent], None], uuid.UUID | None]] = {}
        self._handles = itertools.count(1)
        self._unsubscribe: Callable[[], None] | None = None

    def add(
        self,
        callback: Callable[[NetworkEvent], None],
        key: uuid.UUID | None,
        subscribe: Callable[[Callable[[NetworkEvent], None]], Callable[[], None]],
    ) -> int:
        with self.lock:
            if self._unsubscribe is None:
                self._unsubscribe = subscribe(self.deliver)
            handle = next(self._handles)
            self.callbacks[handle] = (callback, key)
            return handle

    def remove(self, handle: int) -> None:
        from virt.errors import InvalidArgument

        with self.lock:
            if self.callbacks.pop(handle, None) is None:
                raise InvalidArgument(f"could not find event callback {handle} for deletion")
            unsubscribe = None
            if not self.callbacks:
                unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()

    def clear(self) -> None:
        with self.lock:
            self.callbacks.clear()
            unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()

    def deliver(self, event: NetworkEvent) -> None:
        with self.lock:
            wanted = [cb for cb, key in self.callbacks.values() if key is None or key == event.network.uuid]
        for callback in wanted:
            try:
                callback(event)
            except Exception:
                logging.getLogger(__name__).exception("network event callback %r failed on %s", callback, event)
