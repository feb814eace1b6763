"""Per-object job locks: changes to one domain (network, pool, volume) run one at a time, in the
order they arrived, while changes to different objects run side by side.

Like libvirt's per-domain job, so that two clients starting and destroying the same guest at once
see one outcome after the other instead of a driver caught half-way. The locks live on the event
loop: a call waiting for its turn holds no worker thread. A key is in the table only while someone
holds or waits for it, so the table never grows with the number of objects ever touched.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator, Hashable


class JobLocks:
    """One FIFO lock per key (event loop thread only): ``try_take`` it at once, or wait in ``hold``."""

    def __init__(self) -> None:
        # key -> the futures of those waiting for it, in arrival order; present while it is held
        self._waiting: dict[Hashable, collections.deque[asyncio.Future[None]]] = {}

    def __len__(self) -> int:
        """How many keys are held right now."""
        return len(self._waiting)

    def try_take(self, key: Hashable) -> bool:
        """Take ``key`` if nobody holds it (then ``release`` it); False when it is taken."""
        if key in self._waiting:
            return False
        self._waiting[key] = collections.deque()
        return True

    def release(self, key: Hashable) -> None:
        """Hand ``key`` to the first who waits for it, or free it."""
        waiting = self._waiting[key]
        while waiting:
            turn = waiting.popleft()
            if not turn.done():  # a waiter that gave up (cancelled) is skipped
                turn.set_result(None)
                return
        del self._waiting[key]

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        """Run the ``async with`` body as the only holder of ``key``."""
        if not self.try_take(key):
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting[key].append(turn)
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self.release(key)  # the key came as the waiter was cancelled: pass it on
                raise
        try:
            yield
        finally:
            self.release(key)
