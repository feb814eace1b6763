"""Per-object job locks: changes to one domain (network, pool, volume) run one at a time, in the
order they arrived, while changes to different objects run side by side.

Like libvirt's per-domain job, so that two clients starting and destroying the same guest at once
see one outcome after the other instead of a driver caught half-way. The locks are asyncio locks:
a call waiting for its turn holds no worker thread. An entry lives only while someone holds or
waits for it, so the table never grows with the number of objects ever touched.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Hashable


class JobLocks:
    """One FIFO lock per key, made on first use and dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        # key -> (lock, number of tasks holding or waiting for it)
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        """How many keys are held or waited for right now."""
        return len(self._locks)

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        """Run the ``async with`` body as the only holder of ``key``."""
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock_now, users_now = self._locks[key]
            if users_now == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock_now, users_now - 1)
