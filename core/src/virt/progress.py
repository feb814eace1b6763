"""Progress of long operations a driver waits for (an ESX power-on task), for a caller to display.

A caller hands a callback to ``Connection.set_progress_callback``; a driver that waits for work on a
server calls ``DriverConnection.report_progress`` as the work advances. Drivers whose operations
finish at once never call it.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs


@attrs.frozen
class Progress:
    """One step of a long operation."""

    operation: str
    """What is being waited for, in words (``powering on domain 'web1'``)."""
    percent: int | None = None
    """0-100 when the server says how far it is, else None."""
    done: bool = False
    """True once, when the wait is over (whether the operation succeeded or not)."""


ProgressCallback = Callable[[Progress], None]
"""Receives each step; it runs in the thread waiting for the operation and should return quickly."""
