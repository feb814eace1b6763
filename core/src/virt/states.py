"""Domain states and the reasons behind them, numbered as libvirt numbers them (they travel on the wire)."""

from __future__ import annotations

import enum


class ShutdownMode(enum.IntFlag):
    """virDomainShutdownFlagValues (also virDomainRebootFlagValues): how the guest is asked.

    DEFAULT lets the driver choose; several bits let it pick among them, in the driver's order.
    """

    DEFAULT = 0
    ACPI_POWER_BTN = 1
    GUEST_AGENT = 2
    INITCTL = 4
    SIGNAL = 8
    PARAVIRT = 16

    @classmethod
    def from_words(cls, text: str) -> ShutdownMode:
        """virsh's ``--mode acpi,agent,...`` words; an unknown word raises ValueError naming it."""
        mode = cls.DEFAULT
        for word in filter(None, (part.strip() for part in text.split(","))):
            try:
                mode |= _MODE_WORDS[word]
            except KeyError:
                raise ValueError(
                    f"Unknown mode {word} value, expecting 'acpi', 'agent', 'initctl', 'signal' or 'paravirt'"
                ) from None
        return mode


_MODE_WORDS = {
    "acpi": ShutdownMode.ACPI_POWER_BTN,
    "agent": ShutdownMode.GUEST_AGENT,
    "initctl": ShutdownMode.INITCTL,
    "signal": ShutdownMode.SIGNAL,
    "paravirt": ShutdownMode.PARAVIRT,
}


class DomainState(enum.IntEnum):
    """virDomainState."""

    NOSTATE = 0
    RUNNING = 1
    BLOCKED = 2
    PAUSED = 3
    SHUTDOWN = 4
    SHUTOFF = 5
    CRASHED = 6
    PMSUSPENDED = 7

    @property
    def label(self) -> str:
        """The word virsh prints for this state."""
        return _STATE_LABELS[self]


_STATE_LABELS = {
    DomainState.NOSTATE: "no state",
    DomainState.RUNNING: "running",
    DomainState.BLOCKED: "idle",
    DomainState.PAUSED: "paused",
    DomainState.SHUTDOWN: "in shutdown",
    DomainState.SHUTOFF: "shut off",
    DomainState.CRASHED: "crashed",
    DomainState.PMSUSPENDED: "pmsuspended",
}

# The reason numbers of each state, in order, with the words virsh prints for them.
_REASONS: dict[DomainState, tuple[str, ...]] = {
    DomainState.NOSTATE: ("unknown",),
    DomainState.RUNNING: (
        "unknown",
        "booted",
        "migrated",
        "restored",
        "from snapshot",
        "unpaused",
        "migration canceled",
        "save canceled",
        "event wakeup",
        "crashed",
        "post-copy",
        "post-copy failed",
    ),
    DomainState.BLOCKED: ("unknown",),
    DomainState.PAUSED: (
        "unknown",
        "user",
        "migrating",
        "saving",
        "dumping",
        "I/O error",
        "watchdog",
        "from snapshot",
        "shutting down",
        "creating snapshot",
        "crashed",
        "starting up",
        "post-copy",
        "post-copy failed",
    ),
    DomainState.SHUTDOWN: ("unknown", "user"),
    DomainState.SHUTOFF: (
        "unknown",
        "shutdown",
        "destroyed",
        "crashed",
        "migrated",
        "saved",
        "failed",
        "from snapshot",
        "daemon",
    ),
    DomainState.CRASHED: ("unknown", "panicked"),
    DomainState.PMSUSPENDED: ("unknown",),
}


class RunningReason(enum.IntEnum):
    UNKNOWN = 0
    BOOTED = 1
    MIGRATED = 2
    RESTORED = 3
    FROM_SNAPSHOT = 4
    UNPAUSED = 5
    MIGRATION_CANCELED = 6
    SAVE_CANCELED = 7
    WAKEUP = 8
    CRASHED = 9
    POSTCOPY = 10
    POSTCOPY_FAILED = 11


class PausedReason(enum.IntEnum):
    UNKNOWN = 0
    USER = 1
    MIGRATION = 2
    SAVE = 3
    DUMP = 4
    IOERROR = 5
    WATCHDOG = 6
    FROM_SNAPSHOT = 7
    SHUTTING_DOWN = 8
    SNAPSHOT = 9
    CRASHED = 10
    STARTING_UP = 11
    POSTCOPY = 12
    POSTCOPY_FAILED = 13


class ShutdownReason(enum.IntEnum):
    UNKNOWN = 0
    USER = 1


class ShutoffReason(enum.IntEnum):
    UNKNOWN = 0
    SHUTDOWN = 1
    DESTROYED = 2
    CRASHED = 3
    MIGRATED = 4
    SAVED = 5
    FAILED = 6
    FROM_SNAPSHOT = 7
    DAEMON = 8


class CrashedReason(enum.IntEnum):
    UNKNOWN = 0
    PANICKED = 1


def reason_label(state: DomainState, reason: int) -> str:
    """The words virsh prints for ``reason`` of ``state`` (``unknown`` for numbers it does not know)."""
    labels = _REASONS[state]
    return labels[reason] if 0 <= reason < len(labels) else "unknown"
