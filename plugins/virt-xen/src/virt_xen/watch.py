"""Following the hypervisor: a xenstore watch on dom0 says when a domain appears or goes away.

``xenstore-watch @introduceDomain`` and ``@releaseDomain`` run on dom0 (over the same ssh
connection for a remote one) and print the watch's path each time it fires (once at once, when
set); each firing makes the driver read ``xl list`` again and settle what changed: a domain the
guest shut down, one that crashed, one ``xl``'s own monitor restarted with a new domid, one paused
or unpaused by someone else. A watch that ends (dom0 rebooted, the connection broke) is set again.
"""

from __future__ import annotations

import logging
import os
import selectors
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from virt_xen.dom0 import Dom0, Spawned

log = logging.getLogger(__name__)

HEARTBEAT = 10.0
"""Seconds between the lines the watch's end on dom0 waits for: without one for 3 beats it ends itself
(a session whose client went away need not be hung up by the ssh server: nothing else would end it)."""
WATCH_SCRIPT = (
    "xenstore-watch @introduceDomain & xenstore-watch @releaseDomain & "
    f'while read -t {int(HEARTBEAT * 3)} line && [ "$line" != stop ]; do :; done; kill 0'
)
SETTLE_DELAY = 0.05
"""Seconds to gather a burst of firings (a domain's end fires several) into one reading of the list."""
RETRY_DELAY = 2.0


class DomainWatch:
    """A thread calling ``changed()`` after each burst of xenstore domain watch firings."""

    def __init__(self, dom0: Dom0, changed: Callable[[], None]) -> None:
        self._dom0 = dom0
        self._changed = changed
        self._stop = threading.Event()
        self._spawned: Spawned | None = None
        self._lock = threading.Lock()
        self.ready = threading.Event()
        """Set once the watch has fired the first time: changes from then on are seen."""
        self._thread = threading.Thread(target=self._run, name="virt-xen xenstore watch", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            spawned, self._spawned = self._spawned, None
        if spawned is not None:
            spawned.stop(farewell=b"stop\n")  # the watch on dom0 ends now, not 3 beats later
        if self._thread is not threading.current_thread():
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                spawned = self._dom0.spawn(["sh", "-c", WATCH_SCRIPT])
            except Exception as exc:  # noqa: BLE001 - a watch that cannot start is retried, never fatal
                log.warning("cannot watch xenstore on dom0 %s: %s", self._dom0.description, exc)
                self._stop.wait(RETRY_DELAY)
                continue
            with self._lock:
                if self._stop.is_set():
                    spawned.stop()
                    return
                self._spawned = spawned
            try:
                self._follow(spawned)
            except OSError as exc:
                log.debug("xenstore watch ended: %s", exc)
            finally:
                spawned.stop()
            if not self._stop.is_set():
                log.warning("the xenstore watch on dom0 %s ended; setting it again", self._dom0.description)
                self._stop.wait(RETRY_DELAY)

    def _follow(self, spawned: Spawned) -> None:
        fired = 0
        beat = time.monotonic()
        with selectors.DefaultSelector() as selector:
            selector.register(spawned.read_fd, selectors.EVENT_READ)
            while not self._stop.is_set():
                if time.monotonic() - beat >= HEARTBEAT:
                    os.write(spawned.write_fd, b"\n")
                    beat = time.monotonic()
                if not selector.select(timeout=1.0):
                    continue
                try:
                    data = os.read(spawned.read_fd, 4096)
                except OSError:
                    return  # EIO: the terminal's other side is gone
                if not data:
                    return
                fired += data.count(b"@")
                # both watches fire once when set: from then on nothing is missed
                if fired >= 2 and not self.ready.is_set():
                    self.ready.set()
                time.sleep(SETTLE_DELAY)
                try:
                    self._changed()
                except Exception:
                    log.exception("settling the domains after a xenstore watch fired")
