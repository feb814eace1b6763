"""A domain's control interface state (virDomainGetControlInfo, virsh domcontrol)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ControlState(enum.IntEnum):
    """virDomainControlState."""

    OK = 0
    JOB = 1
    OCCUPIED = 2
    ERROR = 3


STATE_WORDS = {ControlState.OK: "ok", ControlState.JOB: "background job",
               ControlState.OCCUPIED: "occupied", ControlState.ERROR: "error"}  # fmt: skip
"""virsh's words for each state."""
ERROR_REASONS = {0: "none", 1: "unknown", 2: "monitor failure", 3: "internal (locking) error"}
"""virsh's words for virDomainControlErrorReason, an error state's details."""


@dataclass(frozen=True)
class ControlInfo:
    """virDomainControlInfo: the state, its details and how long it has lasted (milliseconds)."""

    state: int
    details: int
    state_time: int
