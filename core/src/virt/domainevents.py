"""Domain events beyond lifecycle (virConnectDomainEventRegisterAny's other event ids).

One frozen class per ``virDomainEventID`` carries what libvirt's callback of that id receives
(the numbers are libvirt's: they travel on the wire and scripts compare them). Lifecycle events
stay ``virt.events.DomainEvent``. Every event names its domain (``domain``, a ``DomainRef`` as
the domain was then), its id (``event_id``) and when it happened (``timestamp``), and says what
``virsh event`` prints for it (``virsh_text``). ``DomainEventCallbacks`` is a ``Connection``'s
table of callbacks for these ids.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

import attrs

from virt.domainstats import TypedParameter
from virt.driver import DomainRef
from virt.events import DomainEvent

if TYPE_CHECKING:
    import uuid


class DomainEventID(enum.IntEnum):
    """virDomainEventID of libvirt 9.0."""

    LIFECYCLE = 0
    REBOOT = 1
    RTC_CHANGE = 2
    WATCHDOG = 3
    IO_ERROR = 4
    GRAPHICS = 5
    IO_ERROR_REASON = 6
    CONTROL_ERROR = 7
    BLOCK_JOB = 8
    DISK_CHANGE = 9
    TRAY_CHANGE = 10
    PMWAKEUP = 11
    PMSUSPEND = 12
    BALLOON_CHANGE = 13
    PMSUSPEND_DISK = 14
    DEVICE_REMOVED = 15
    BLOCK_JOB_2 = 16
    TUNABLE = 17
    AGENT_LIFECYCLE = 18
    DEVICE_ADDED = 19
    MIGRATION_ITERATION = 20
    JOB_COMPLETED = 21
    DEVICE_REMOVAL_FAILED = 22
    METADATA_CHANGE = 23
    BLOCK_THRESHOLD = 24
    MEMORY_FAILURE = 25
    MEMORY_DEVICE_SIZE_CHANGE = 26

    @property
    def virsh_name(self) -> str:
        """The name ``virsh event --event`` takes (``rtc-change``, ``pm-suspend-disk``...)."""
        if self.name.startswith("PM"):
            return "pm-" + self.name[2:].lower().replace("_", "-")
        return self.name.lower().replace("_", "-")


EVENT_ID_LAST = len(DomainEventID)
"""VIR_DOMAIN_EVENT_ID_LAST of libvirt 9.0: ids at or above it are refused."""


# -- the numbers events carry -----------------------------------------------------------------------
class WatchdogAction(enum.IntEnum):
    """virDomainEventWatchdogAction."""

    NONE = 0
    PAUSE = 1
    RESET = 2
    POWEROFF = 3
    SHUTDOWN = 4
    DEBUG = 5
    INJECTNMI = 6


class IOErrorAction(enum.IntEnum):
    """virDomainEventIOErrorAction."""

    NONE = 0
    PAUSE = 1
    REPORT = 2


class GraphicsPhase(enum.IntEnum):
    """virDomainEventGraphicsPhase."""

    CONNECT = 0
    INITIALIZE = 1
    DISCONNECT = 2


class GraphicsAddressType(enum.IntEnum):
    """virDomainEventGraphicsAddressType."""

    IPV4 = 0
    IPV6 = 1
    UNIX = 2


class BlockJobType(enum.IntEnum):
    """virDomainBlockJobType."""

    UNKNOWN = 0
    PULL = 1
    COPY = 2
    COMMIT = 3
    ACTIVE_COMMIT = 4
    BACKUP = 5


class BlockJobStatus(enum.IntEnum):
    """virConnectDomainEventBlockJobStatus."""

    COMPLETED = 0
    FAILED = 1
    CANCELED = 2
    READY = 3


class DiskChangeReason(enum.IntEnum):
    """virConnectDomainEventDiskChangeReason."""

    MISSING_ON_START = 0
    DROP_MISSING_ON_START = 1


class TrayChangeReason(enum.IntEnum):
    """virDomainEventTrayChangeReason."""

    OPEN = 0
    CLOSE = 1


class AgentLifecycleState(enum.IntEnum):
    """virConnectDomainEventAgentLifecycleState."""

    CONNECTED = 1
    DISCONNECTED = 2


class AgentLifecycleReason(enum.IntEnum):
    """virConnectDomainEventAgentLifecycleReason."""

    UNKNOWN = 0
    DOMAIN_STARTED = 1
    CHANNEL = 2


class MemoryFailureRecipient(enum.IntEnum):
    """virDomainMemoryFailureRecipientType."""

    HYPERVISOR = 0
    GUEST = 1


class MemoryFailureAction(enum.IntEnum):
    """virDomainMemoryFailureActionType."""

    IGNORE = 0
    INJECT = 1
    FATAL = 2
    RESET = 3


class MemoryFailureFlags(enum.IntFlag):
    """virDomainMemoryFailureFlags."""

    ACTION_REQUIRED = 1
    RECURSIVE = 2


def _word(words: tuple[str, ...], number: int, unknown: str = "unknown") -> str:
    return words[number] if 0 <= number < len(words) else unknown


def _nullstr(text: str | None) -> str:
    # virsh's NULLSTR
    return "<null>" if text is None else text


def _param_text(param: TypedParameter) -> str:
    # virTypedParameterToString (not virsh's own formatting of typed parameters): %g, booleans as 0/1
    from virt.domainstats import ParamType

    if param.type is ParamType.BOOLEAN:
        return str(int(bool(param.value)))
    if param.type is ParamType.DOUBLE:
        return f"{float(param.value):g}"
    return str(param.value)


# virsh-domain.c's virshDomainBlockJob words, by virDomainBlockJobType
_BLOCK_JOB_WORDS = ("Unknown job", "Block Pull", "Block Copy", "Block Commit", "Active Block Commit", "Backup")


# -- the events -------------------------------------------------------------------------------------
@attrs.frozen
class _Event:
    domain: DomainRef
    timestamp: float = attrs.field(factory=time.time, kw_only=True)
    event_id: ClassVar[DomainEventID]

    def _head(self, name: str) -> str:
        return f"event '{self.event_id.virsh_name}' for domain '{name}'"

    def virsh_text(self, name: str) -> str:
        """What ``virsh event`` prints for this event of the domain ``name`` (without the last newline)."""
        return self._head(name)


@attrs.frozen
class RebootEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_REBOOT: the guest rebooted (the same process goes on)."""

    event_id = DomainEventID.REBOOT


@attrs.frozen
class RTCChangeEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_RTC_CHANGE: the guest set its clock ``offset`` seconds from the host's UTC."""

    offset: int
    event_id = DomainEventID.RTC_CHANGE

    def virsh_text(self, name: str) -> str:
        return f"{self._head(name)}: {self.offset}"


@attrs.frozen
class WatchdogEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_WATCHDOG: the watchdog fired; ``action`` is a WatchdogAction."""

    action: int
    event_id = DomainEventID.WATCHDOG

    def virsh_text(self, name: str) -> str:
        words = ("none", "pause", "reset", "poweroff", "shutdown", "debug", "inject-nmi")
        return f"{self._head(name)}: {_word(words, self.action)}"


@attrs.frozen
class IOErrorEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_IO_ERROR: a disk (``src_path``, device ``dev_alias``) failed; ``action`` an IOErrorAction."""

    src_path: str
    dev_alias: str
    action: int
    event_id = DomainEventID.IO_ERROR

    def virsh_text(self, name: str) -> str:
        action = _word(("none", "pause", "report"), self.action)
        # virsh prints both io-error ids under the name 'io-error'
        return f"event 'io-error' for domain '{name}': {self.src_path} ({self.dev_alias}) {action}"


@attrs.frozen
class IOErrorReasonEvent(IOErrorEvent):
    """VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON: an IOErrorEvent with QEMU's ``reason`` (``enospc``...)."""

    reason: str = ""
    event_id = DomainEventID.IO_ERROR_REASON

    def virsh_text(self, name: str) -> str:
        return f"{super().virsh_text(name)} due to {self.reason}"


@attrs.frozen
class GraphicsAddress:
    """virDomainEventGraphicsAddress: ``family`` a GraphicsAddressType."""

    family: int
    node: str
    service: str

    def virsh_text(self) -> str:
        return f"{_word(('IPv4', 'IPv6', 'unix'), self.family)} {self.node} {self.service}"


@attrs.frozen
class GraphicsEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_GRAPHICS: a display client connected, was authenticated or left.

    ``subject`` lists (type, name) identities of the client (x509dname, saslUsername...)."""

    phase: int
    local: GraphicsAddress
    remote: GraphicsAddress
    auth_scheme: str
    subject: tuple[tuple[str, str], ...] = ()
    event_id = DomainEventID.GRAPHICS

    def virsh_text(self, name: str) -> str:
        phase = _word(("connect", "initialize", "disconnect"), self.phase)
        text = (
            f"{self._head(name)}: {phase} local[{self.local.virsh_text()}] "
            f"remote[{self.remote.virsh_text()}] {self.auth_scheme}"
        )
        return "".join([text, *(f"\n\t{type_}={who}" for type_, who in self.subject)])


@attrs.frozen
class ControlErrorEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_CONTROL_ERROR: the driver lost control of the domain (its monitor broke)."""

    event_id = DomainEventID.CONTROL_ERROR


@attrs.frozen
class BlockJobEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_BLOCK_JOB: a block job of the disk at ``disk`` (its path) changed status.

    ``type`` is a BlockJobType, ``status`` a BlockJobStatus."""

    disk: str
    type: int
    status: int
    event_id = DomainEventID.BLOCK_JOB

    def virsh_text(self, name: str) -> str:
        job = _word(_BLOCK_JOB_WORDS, self.type, "Unknown job")
        status = _word(("completed", "failed", "canceled", "ready"), self.status)
        return f"{self._head(name)}: {job} for {self.disk} {status}"


@attrs.frozen
class BlockJob2Event(BlockJobEvent):
    """VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2: BlockJobEvent naming the disk by its target (``vda``)."""

    event_id = DomainEventID.BLOCK_JOB_2


@attrs.frozen
class DiskChangeEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_DISK_CHANGE: a disk's source changed (``reason`` a DiskChangeReason)."""

    old_src_path: str | None
    new_src_path: str | None
    dev_alias: str
    reason: int
    event_id = DomainEventID.DISK_CHANGE

    def virsh_text(self, name: str) -> str:
        reason = _word(("changed", "dropped"), self.reason)
        return (
            f"event 'disk-change' for domain '{name}' disk {self.dev_alias}: "
            f"{_nullstr(self.old_src_path)} -> {_nullstr(self.new_src_path)}: {reason}"
        )


@attrs.frozen
class TrayChangeEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_TRAY_CHANGE: a removable disk's tray opened or closed (TrayChangeReason)."""

    dev_alias: str
    reason: int
    event_id = DomainEventID.TRAY_CHANGE

    def virsh_text(self, name: str) -> str:
        reason = _word(("opened", "closed"), self.reason)
        return f"event 'tray-change' for domain '{name}' disk {self.dev_alias}: {reason}"


@attrs.frozen
class PMWakeupEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_PMWAKEUP: the guest woke from a power-management suspend (``reason``: 0)."""

    reason: int = 0
    event_id = DomainEventID.PMWAKEUP


@attrs.frozen
class PMSuspendEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_PMSUSPEND: the guest suspended itself to memory (``reason``: 0)."""

    reason: int = 0
    event_id = DomainEventID.PMSUSPEND


@attrs.frozen
class PMSuspendDiskEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_PMSUSPEND_DISK: the guest suspended itself to disk (``reason``: 0)."""

    reason: int = 0
    event_id = DomainEventID.PMSUSPEND_DISK


@attrs.frozen
class BalloonChangeEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE: the guest's memory is now ``actual`` KiB."""

    actual: int
    event_id = DomainEventID.BALLOON_CHANGE

    def virsh_text(self, name: str) -> str:
        return f"{self._head(name)}: {self.actual}KiB"


@attrs.frozen
class DeviceRemovedEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED: the guest let go of the device ``dev_alias``."""

    dev_alias: str
    event_id = DomainEventID.DEVICE_REMOVED

    def virsh_text(self, name: str) -> str:
        return f"{self._head(name)}: {self.dev_alias}"


@attrs.frozen
class TunableEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_TUNABLE: tunables changed to ``params`` (``cputune.vcpu0``...)."""

    params: tuple[TypedParameter, ...] = ()
    event_id = DomainEventID.TUNABLE

    def virsh_text(self, name: str) -> str:
        return "".join([f"{self._head(name)}:", *(f"\n\t{p.field}: {_param_text(p)}" for p in self.params)])


@attrs.frozen
class AgentLifecycleEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE: the guest agent (dis)connected (AgentLifecycleState, -Reason)."""

    state: int
    reason: int
    event_id = DomainEventID.AGENT_LIFECYCLE

    def virsh_text(self, name: str) -> str:
        state = _word(("unknown", "connected", "disconnected"), self.state, "unsupported value")
        reason = _word(("unknown", "domain started", "channel event"), self.reason, "unsupported value")
        return f"{self._head(name)}: state: '{state}' reason: '{reason}'"


@attrs.frozen
class DeviceAddedEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_DEVICE_ADDED: the device ``dev_alias`` was added."""

    dev_alias: str
    event_id = DomainEventID.DEVICE_ADDED

    def virsh_text(self, name: str) -> str:
        return f"{self._head(name)}: {self.dev_alias}"


@attrs.frozen
class MigrationIterationEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION: a live migration began its ``iteration``th memory pass."""

    iteration: int
    event_id = DomainEventID.MIGRATION_ITERATION

    def virsh_text(self, name: str) -> str:
        return f"{self._head(name)}: iteration: '{self.iteration}'"


@attrs.frozen
class JobCompletedEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_JOB_COMPLETED: a job ended, with its statistics ``params``."""

    params: tuple[TypedParameter, ...] = ()
    event_id = DomainEventID.JOB_COMPLETED

    def virsh_text(self, name: str) -> str:
        return "".join([f"{self._head(name)}:", *(f"\n\t{p.field}: {_param_text(p)}" for p in self.params)])


@attrs.frozen
class DeviceRemovalFailedEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED: the guest refused to let go of ``dev_alias``."""

    dev_alias: str
    event_id = DomainEventID.DEVICE_REMOVAL_FAILED

    def virsh_text(self, name: str) -> str:
        return f"{self._head(name)}: {self.dev_alias}"


@attrs.frozen
class MetadataChangeEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_METADATA_CHANGE: ``type`` (virDomainMetadataType) metadata changed;
    ``nsuri`` is the namespace of an element's (None for the description and title)."""

    type: int
    nsuri: str | None = None
    event_id = DomainEventID.METADATA_CHANGE

    def virsh_text(self, name: str) -> str:
        kind = _word(("description", "title", "element"), self.type, "unsupported value")
        return f"{self._head(name)}: type {kind}, uri {_nullstr(self.nsuri)}"


@attrs.frozen
class BlockThresholdEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_BLOCK_THRESHOLD: writes to ``dev`` (at ``path``) passed ``threshold`` by ``excess`` bytes."""

    dev: str
    path: str | None
    threshold: int
    excess: int
    event_id = DomainEventID.BLOCK_THRESHOLD

    def virsh_text(self, name: str) -> str:
        return f"{self._head(name)}: dev: {self.dev}({_nullstr(self.path)}) {self.threshold} {self.excess}"


@attrs.frozen
class MemoryFailureEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_MEMORY_FAILURE: a hardware memory error (MemoryFailureRecipient, -Action, -Flags)."""

    recipient: int
    action: int
    flags: int = 0
    event_id = DomainEventID.MEMORY_FAILURE

    def virsh_text(self, name: str) -> str:
        recipient = _word(("hypervisor", "guest"), self.recipient, "unsupported value")
        action = _word(("ignore", "inject", "fatal", "reset"), self.action, "unsupported value")
        required = int(bool(self.flags & MemoryFailureFlags.ACTION_REQUIRED))
        recursive = int(bool(self.flags & MemoryFailureFlags.RECURSIVE))
        return (
            f"{self._head(name)}:\nrecipient: {recipient}\naction: {action}\n"
            f"flags:\n\taction required: {required}\n\trecursive: {recursive}"
        )


@attrs.frozen
class MemoryDeviceSizeChangeEvent(_Event):
    """VIR_DOMAIN_EVENT_ID_MEMORY_DEVICE_SIZE_CHANGE: the memory device ``alias`` now has ``size`` KiB."""

    alias: str
    size: int
    event_id = DomainEventID.MEMORY_DEVICE_SIZE_CHANGE

    def virsh_text(self, name: str) -> str:
        return f"{self._head(name)}:\nalias: {self.alias}\nsize: {self.size}"


OtherDomainEvent = (
    RebootEvent
    | RTCChangeEvent
    | WatchdogEvent
    | IOErrorEvent
    | GraphicsEvent
    | ControlErrorEvent
    | BlockJobEvent
    | DiskChangeEvent
    | TrayChangeEvent
    | PMWakeupEvent
    | PMSuspendEvent
    | BalloonChangeEvent
    | PMSuspendDiskEvent
    | DeviceRemovedEvent
    | TunableEvent
    | AgentLifecycleEvent
    | DeviceAddedEvent
    | MigrationIterationEvent
    | JobCompletedEvent
    | DeviceRemovalFailedEvent
    | MetadataChangeEvent
    | BlockThresholdEvent
    | MemoryFailureEvent
    | MemoryDeviceSizeChangeEvent
)
"""An event of any id but lifecycle (IOErrorReasonEvent and BlockJob2Event are subclasses)."""

AnyDomainEvent = DomainEvent | OtherDomainEvent
"""An event of any id."""


def virsh_text(name: str, event: AnyDomainEvent) -> str:
    """What ``virsh event`` prints for ``event`` of the domain ``name`` (without the last newline)."""
    if isinstance(event, DomainEvent):
        return f"event 'lifecycle' for domain '{name}': {event.description}"
    return event.virsh_text(name)


def check_event_id(event_id: int) -> DomainEventID:
    """``event_id`` as a DomainEventID; libvirt's refusal for a number outside 0..26."""
    from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument

    if not 0 <= event_id < EVENT_ID_LAST:
        raise InvalidArgument(
            f"invalid argument: eventID in virConnectDomainEventRegisterAny must be less than {EVENT_ID_LAST}",
            ErrorNumber.INVALID_ARG,
            ErrorDomain.DOMAIN,
        )
    return DomainEventID(event_id)


# -- a connection's callbacks -------------------------------------------------------------------------
OtherEventCallback = Callable[[OtherDomainEvent], None]


class DomainEventCallbacks:
    """A connection's callbacks for event ids other than lifecycle, by handle (each for one
    domain's UUID, or all), with one driver subscription per id while that id has a callback."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.callbacks: dict[int, tuple[DomainEventID, OtherEventCallback, uuid.UUID | None]] = {}
        self._unsubscribe: dict[DomainEventID, Callable[[], None]] = {}

    def add(
        self,
        handle: int,
        event_id: DomainEventID,
        callback: OtherEventCallback,
        key: uuid.UUID | None,
        subscribe: Callable[[int, Callable[[OtherDomainEvent], None]], Callable[[], None]],
    ) -> None:
        with self.lock:
            if event_id not in self._unsubscribe:
                # under the lock: two first registrations must not both subscribe (a driver never
                # calls back from inside subscribe)
                self._unsubscribe[event_id] = subscribe(int(event_id), self._deliver)
            self.callbacks[handle] = (event_id, callback, key)

    def remove(self, handle: int) -> bool:
        """Forget ``handle``; False when it is not one of these."""
        with self.lock:
            entry = self.callbacks.pop(handle, None)
            if entry is None:
                return False
            unsubscribe = None
            if not any(event_id == entry[0] for event_id, _, _ in self.callbacks.values()):
                unsubscribe = self._unsubscribe.pop(entry[0], None)
        if unsubscribe is not None:
            unsubscribe()
        return True

    def clear(self) -> None:
        with self.lock:
            self.callbacks.clear()
            unsubscribes, self._unsubscribe = list(self._unsubscribe.values()), {}
        for unsubscribe in unsubscribes:
            unsubscribe()

    def _deliver(self, event: OtherDomainEvent) -> None:
        with self.lock:
            wanted = [
                callback
                for event_id, callback, key in self.callbacks.values()
                if event_id == event.event_id and (key is None or key == event.domain.uuid)
            ]
        for callback in wanted:
            try:
                callback(event)
            except Exception:
                import logging  # only when a callback fails: CLI starts stay fast

                logging.getLogger(__name__).exception("domain event callback %r failed on %s", callback, event)
