"""The ``virt`` command's display of long operations: one line on the terminal, rewritten in place."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from virt.progress import Progress


class TerminalProgress:
    """A progress callback drawing ``operation: 42%`` (or the seconds waited) on one terminal line.

    The line is drawn at most every ``interval`` seconds and erased when the operation is done, so
    that the command's own output follows on a clean line.
    """

    def __init__(
        self, stream: TextIO, *, interval: float = 0.1, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._stream = stream
        self._interval = interval
        self._monotonic = monotonic
        self._started: dict[str, float] = {}
        self._drawn_at = float("-inf")
        self._width = 0

    def __call__(self, progress: Progress) -> None:
        now = self._monotonic()
        started = self._started.setdefault(progress.operation, now)
        if progress.done:
            self._started.pop(progress.operation, None)
            self._erase()
            return
        if now - self._drawn_at < self._interval:
            return
        self._drawn_at = now
        amount = f"{progress.percent}%" if progress.percent is not None else f"{now - started:.0f}s"
        self._draw(f"{progress.operation}: {amount}")

    def _draw(self, text: str) -> None:
        padding = " " * max(0, self._width - len(text))
        self._stream.write(f"\r{text}{padding}")
        self._stream.flush()
        self._width = len(text)

    def _erase(self) -> None:
        if self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._width = 0
