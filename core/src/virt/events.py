"""Domain lifecycle events (libvirt's VIR_DOMAIN_EVENT_ID_LIFECYCLE), shared by drivers and callers.

The numbers are libvirt's (virDomainEventType and its per-type detail enums): they travel on the
wire and scripts compare them. ``DomainEventHub`` is what a driver uses to hand events to its
subscribers without ever calling them under its own lock; ``Connection.add_domain_event_callback``
(``virt.connection``) is the public side.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

import attrs

from virt.driver import DomainRef
from virt.states import DomainState, PausedReason, RunningReason, ShutoffReason

if TYPE_CHECKING:
    import logging

    from virt.domainevents import AnyDomainEvent, OtherDomainEvent


def _log() -> logging.Logger:
    # logging is imported only when a callback fails: it costs every CLI start several milliseconds
    import logging

    return logging.getLogger(__name__)


class DomainEventType(enum.IntEnum):
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


class DefinedDetail(enum.IntEnum):
    """virDomainEventDefinedDetailType."""

    ADDED = 0
    UPDATED = 1
    RENAMED = 2
    FROM_SNAPSHOT = 3


class UndefinedDetail(enum.IntEnum):
    """virDomainEventUndefinedDetailType."""

    REMOVED = 0
    RENAMED = 1


class StartedDetail(enum.IntEnum):
    """virDomainEventStartedDetailType."""

    BOOTED = 0
    MIGRATED = 1
    RESTORED = 2
    FROM_SNAPSHOT = 3
    WAKEUP = 4


class SuspendedDetail(enum.IntEnum):
    """virDomainEventSuspendedDetailType."""

    PAUSED = 0
    MIGRATED = 1
    IOERROR = 2
    WATCHDOG = 3
    RESTORED = 4
    FROM_SNAPSHOT = 5
    API_ERROR = 6
    POSTCOPY = 7
    POSTCOPY_FAILED = 8


class ResumedDetail(enum.IntEnum):
    """virDomainEventResumedDetailType."""

    UNPAUSED = 0
    MIGRATED = 1
    FROM_SNAPSHOT = 2
    POSTCOPY = 3
    POSTCOPY_FAILED = 4


class StoppedDetail(enum.IntEnum):
    """virDomainEventStoppedDetailType."""

    SHUTDOWN = 0
    DESTROYED = 1
    CRASHED = 2
    MIGRATED = 3
    SAVED = 4
    FAILED = 5
    FROM_SNAPSHOT = 6


class ShutdownDetail(enum.IntEnum):
    """virDomainEventShutdownDetailType."""

    FINISHED = 0
    GUEST = 1
    HOST = 2


class PMSuspendedDetail(enum.IntEnum):
    """virDomainEventPMSuspendedDetailType."""

    MEMORY = 0
    DISK = 1


class CrashedDetail(enum.IntEnum):
    """virDomainEventCrashedDetailType."""

    PANICKED = 0
    CRASHLOADED = 1


DETAIL_TYPES: dict[DomainEventType, type[enum.IntEnum]] = {
    DomainEventType.DEFINED: DefinedDetail,
    DomainEventType.UNDEFINED: UndefinedDetail,
    DomainEventType.STARTED: StartedDetail,
    DomainEventType.SUSPENDED: SuspendedDetail,
    DomainEventType.RESUMED: ResumedDetail,
    DomainEventType.STOPPED: StoppedDetail,
    DomainEventType.SHUTDOWN: ShutdownDetail,
    DomainEventType.PMSUSPENDED: PMSuspendedDetail,
    DomainEventType.CRASHED: CrashedDetail,
}
"""The detail enum of each event type."""

# The words ``virsh event`` prints (tools/virsh-domain-event.c of libvirt 9.0), by type and detail.
_TYPE_WORDS = (
    "Defined", "Undefined", "Started", "Suspended", "Resumed", "Stopped", "Shutdown", "PMSuspended", "Crashed",
)  # fmt: skip
_DETAIL_WORDS: dict[DomainEventType, tuple[str, ...]] = {
    DomainEventType.DEFINED: ("Added", "Updated", "Renamed", "Snapshot"),
    DomainEventType.UNDEFINED: ("Removed", "Renamed"),
    DomainEventType.STARTED: ("Booted", "Migrated", "Restored", "Snapshot", "Event wakeup"),
    DomainEventType.SUSPENDED: (
        "Paused", "Migrated", "I/O Error", "Watchdog", "Restored", "Snapshot", "API error", "Post-copy",
        "Post-copy Error",
    ),
    DomainEventType.RESUMED: ("Unpaused", "Migrated", "Snapshot", "Post-copy", "Post-copy Error"),
    DomainEventType.STOPPED: ("Shutdown", "Destroyed", "Crashed", "Migrated", "Saved", "Failed", "Snapshot"),
    DomainEventType.SHUTDOWN: ("Finished", "Finished after guest request", "Finished after host request"),
    DomainEventType.PMSUSPENDED: ("Memory", "Disk"),
    DomainEventType.CRASHED: ("Panicked", "Crashloaded"),
}  # fmt: skip


def type_label(type_: int) -> str:
    """The word virsh prints for an event type (``unknown`` for a number it does not know)."""
    return _TYPE_WORDS[type_] if 0 <= type_ < len(_TYPE_WORDS) else "unknown"


def detail_label(type_: int, detail: int) -> str:
    """The words virsh prints for ``detail`` of an event type (``unknown`` for numbers it does not know)."""
    words = _DETAIL_WORDS.get(DomainEventType(type_), ()) if 0 <= type_ < len(_TYPE_WORDS) else ()
    return words[detail] if 0 <= detail < len(words) else "unknown"


@attrs.frozen
class DomainEvent:
    """One lifecycle event: what happened to ``domain`` (as it was named then) and when (``time.time()``).

    ``detail`` becomes the member of the type's detail enum when it is one (a number from a newer
    peer stays a plain int), so it both compares equal to libvirt's number and prints its name.
    """

    domain: DomainRef
    type: DomainEventType = attrs.field(converter=DomainEventType)
    detail: int
    timestamp: float = attrs.field(factory=time.time)
    event_id: ClassVar[int] = 0  # VIR_DOMAIN_EVENT_ID_LIFECYCLE

    def __attrs_post_init__(self) -> None:
        kind = DETAIL_TYPES.get(self.type)
        if kind is not None and not isinstance(self.detail, kind):
            try:
                object.__setattr__(self, "detail", kind(self.detail))
            except ValueError:
                object.__setattr__(self, "detail", int(self.detail))

    @property
    def description(self) -> str:
        """``Started Booted``: what ``virsh event`` prints after the domain's name."""
        return f"{type_label(self.type)} {detail_label(self.type, self.detail)}"


# -- which event a state change makes ------------------------------------------------------------------
_STOPPED_BY_REASON: dict[int, StoppedDetail] = {
    ShutoffReason.SHUTDOWN: StoppedDetail.SHUTDOWN,
    ShutoffReason.DESTROYED: StoppedDetail.DESTROYED,
    ShutoffReason.CRASHED: StoppedDetail.CRASHED,
    ShutoffReason.MIGRATED: StoppedDetail.MIGRATED,
    ShutoffReason.SAVED: StoppedDetail.SAVED,
    ShutoffReason.FAILED: StoppedDetail.FAILED,
    ShutoffReason.FROM_SNAPSHOT: StoppedDetail.FROM_SNAPSHOT,
}
_SUSPENDED_BY_REASON: dict[int, SuspendedDetail] = {
    PausedReason.MIGRATION: SuspendedDetail.MIGRATED,
    PausedReason.IOERROR: SuspendedDetail.IOERROR,
    PausedReason.WATCHDOG: SuspendedDetail.WATCHDOG,
    PausedReason.FROM_SNAPSHOT: SuspendedDetail.FROM_SNAPSHOT,
    PausedReason.POSTCOPY: SuspendedDetail.POSTCOPY,
    PausedReason.POSTCOPY_FAILED: SuspendedDetail.POSTCOPY_FAILED,
}


def event_for_state(state: DomainState, reason: int) -> tuple[DomainEventType, int] | None:
    """The lifecycle event libvirt emits on entering ``state`` for ``reason`` (None: none).

    A driver whose change needs another detail than the state implies (a QEMU gone without a
    SHUTDOWN: shut off *crashed*, event STOPPED *failed*) emits that event itself.
    """
    if state == DomainState.RUNNING:
        # booted: a start; anything else (unpaused, a guest-driven resume...) is a resume
        if reason == RunningReason.BOOTED:
            return DomainEventType.STARTED, StartedDetail.BOOTED
        return DomainEventType.RESUMED, ResumedDetail.UNPAUSED
    if state == DomainState.PAUSED:
        return DomainEventType.SUSPENDED, _SUSPENDED_BY_REASON.get(reason, SuspendedDetail.PAUSED)
    if state == DomainState.SHUTDOWN:
        return DomainEventType.SHUTDOWN, ShutdownDetail.FINISHED
    if state == DomainState.SHUTOFF:
        return DomainEventType.STOPPED, _STOPPED_BY_REASON.get(reason, StoppedDetail.SHUTDOWN)
    if state == DomainState.CRASHED:
        return DomainEventType.CRASHED, CrashedDetail.PANICKED
    if state == DomainState.PMSUSPENDED:
        return DomainEventType.PMSUSPENDED, PMSuspendedDetail.MEMORY
    return None


# -- delivery ---------------------------------------------------------------------------------------
DomainEventCallback = Callable[[DomainEvent], None]
E = TypeVar("E")


class EventHub(Generic[E]):
    """The subscribers of one source of events (a driver instance) and the delivery to them.

    Events are delivered in the order they are queued, never under the queuing party's lock:

    - ``threaded=False``: ``queue`` (allowed under the driver's lock) then ``flush`` (after letting
      go of it) delivers in the thread that made the change, before its API call returns. A flush
      meeting another thread already delivering leaves its events to that thread, so the order
      holds and a callback that changes a domain itself does not recurse.
    - ``threaded=True``: a daemon thread of the hub delivers; ``emit`` only queues, so a driver may
      call it under any lock. ``close`` ends the thread.

    A callback that raises is logged; the others still get the event.
    """

    def __init__(self, *, threaded: bool = False, name: str = "virt events") -> None:
        self._callbacks: list[Callable[[E], None]] = []
        self._pending: list[E] = []
        self._delivering = False
        self._closed = False
        self._lock = threading.Lock()
        self._wakeup = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        if threaded:
            self._thread = threading.Thread(target=self._run, name=name, daemon=True)
            self._thread.start()

    def subscribe(self, callback: Callable[[E], None]) -> Callable[[], None]:
        """Call ``callback`` for every later event; returns the function that unsubscribes (idempotent)."""
        with self._lock:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unsubscribe

    @property
    def subscribed(self) -> bool:
        with self._lock:
            return bool(self._callbacks)

    def queue(self, event: E) -> None:
        """Add an event to deliver at the next ``flush`` (or by the hub's thread); cheap, lock-safe."""
        with self._lock:
            if self._closed or not self._callbacks:
                return  # nobody to tell: events are not kept for later subscribers, as in libvirt
            self._pending.append(event)
            self._wakeup.notify()

    def flush(self) -> None:
        """Deliver the queued events now (a threaded hub delivers by itself). Hold no lock calling this."""
        if self._thread is not None:
            return
        with self._lock:
            if self._delivering:
                return  # the thread already delivering takes these too, in order
            self._delivering = True
        try:
            while True:
                with self._lock:
                    batch, self._pending = self._pending, []
                    callbacks = list(self._callbacks)
                    if not batch:
                        self._delivering = False
                        return
                self._deliver(batch, callbacks)
        except BaseException:
            with self._lock:
                self._delivering = False
            raise

    def emit(self, event: E) -> None:
        """``queue`` then ``flush``: for a caller that holds no lock, or a threaded hub."""
        self.queue(event)
        self.flush()

    def close(self) -> None:
        """Drop the subscribers and what is still queued; end the delivery thread."""
        with self._lock:
            self._closed = True
            self._callbacks.clear()
            self._pending.clear()
            self._wakeup.notify()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(5)

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._closed:
                    self._wakeup.wait()
                if self._closed:
                    return
                batch, self._pending = self._pending, []
                callbacks = list(self._callbacks)
            self._deliver(batch, callbacks)

    @staticmethod
    def _deliver(batch: list[E], callbacks: list[Callable[[E], None]]) -> None:
        for event in batch:
            for callback in callbacks:
                try:
                    callback(event)
                except Exception:  # noqa: BLE001 - a subscriber's bug must not stop the others, nor the driver
                    _log().exception("event callback %r failed on %s", callback, event)


class DomainEventHub(EventHub["AnyDomainEvent"]):
    """The hub of a driver instance's domain events, of every id (one queue: they arrive in the
    order they happened). Drivers subscribe per id: ``subscribe_lifecycle``, ``subscribe_id``."""

    def subscribe_lifecycle(self, callback: Callable[[DomainEvent], None]) -> Callable[[], None]:
        """Call ``callback`` for every later lifecycle event; returns the function that unsubscribes."""

        def lifecycle(event: AnyDomainEvent) -> None:
            if isinstance(event, DomainEvent):
                callback(event)

        return self.subscribe(lifecycle)

    def subscribe_id(self, event_id: int, callback: Callable[[OtherDomainEvent], None]) -> Callable[[], None]:
        """Call ``callback`` for every later event of ``event_id`` (not lifecycle: ``subscribe_lifecycle``)."""

        def of_id(event: AnyDomainEvent) -> None:
            if not isinstance(event, DomainEvent) and event.event_id == event_id:
                callback(event)

        return self.subscribe(of_id)
