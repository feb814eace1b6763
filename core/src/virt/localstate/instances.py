"""One driver instance per process and folders, shared by the connections that use it.

The first connection makes the instance (which takes the owner lock of its folders); the others
get the same one; when the last lets go, the instance is closed (the domains keep running).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from virt.uri import URI


class _Closable(Protocol):
    def close(self) -> None: ...


K = TypeVar("K", bound=Hashable)
D = TypeVar("D", bound=_Closable)


class Instances(Generic[K, D]):
    """The driver instances of this process by key (their folders): ``make(key)`` makes one,
    ``key_of(instance)`` names its key."""

    def __init__(self, make: Callable[[K], D], key_of: Callable[[D], K]) -> None:
        self.table: dict[K, tuple[D, int]] = {}
        """Each instance with the number of its users."""
        self._lock = threading.Lock()
        self._make = make
        self._key_of = key_of

    def acquire(self, key: K) -> D:
        """The instance for ``key``, made when there is none; each call wants one ``release``."""
        with self._lock:
            found = self.table.get(key)
            if found is not None:
                self.table[key] = (found[0], found[1] + 1)
                return found[0]
            driver = self._make(key)
            self.table[key] = (driver, 1)
            return driver

    def release(self, driver: D) -> None:
        """One user less; the last one closes the instance (outside the lock)."""
        key = self._key_of(driver)
        with self._lock:
            found = self.table.get(key)
            if found is None or found[0] is not driver:
                return
            if found[1] > 1:
                self.table[key] = (driver, found[1] - 1)
                return
            del self.table[key]
        driver.close()


class InstancesByUri(Generic[K, D]):
    """Instances made from the URI of the first open of their key (a host reached over ssh: later
    opens of the same folders share that instance and its connection): ``make(key, uri)``."""

    def __init__(self, make: Callable[[K, URI], D], key_of: Callable[[D], K]) -> None:
        self._uris: dict[K, URI] = {}
        self._lock = threading.Lock()
        self.instances: Instances[K, D] = Instances(self._make, key_of)
        self._make_with = make

    def _make(self, key: K) -> D:
        with self._lock:
            uri = self._uris[key]
        return self._make_with(key, uri)

    def acquire(self, key: K, uri: URI) -> D:
        """The instance for ``key``, made from ``uri`` on first use; each call wants one ``release``."""
        with self._lock:
            self._uris[key] = uri
        return self.instances.acquire(key)

    def release(self, driver: D) -> None:
        self.instances.release(driver)
