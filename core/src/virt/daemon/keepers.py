"""The daemon's own connections to the drivers that watch guests (libvirtd's state drivers).

A driver with ``watches_guests`` follows its running guests only while a connection holds it
open. Clients come and go; the daemon keeps one connection per such URI from the first client's
open until it exits, so a guest that powers off between clients is handled at once, and an idle
daemon started with ``--timeout`` stays while guests run.
"""

from __future__ import annotations

import logging
import threading

import virt
from virt.connection import Connection
from virt.errors import VirtError

log = logging.getLogger(__name__)


class DriverKeepers:
    """One kept connection per driver URI a client opened."""

    def __init__(self) -> None:
        self._kept: dict[str, Connection] = {}
        self._lock = threading.Lock()
        self._closed = False

    def keep(self, opened: Connection) -> None:
        """Keep the URI of a client's new connection open, when its driver watches guests (blocking)."""
        if not opened.driver.watches_guests:
            return
        uri = str(opened.uri)
        with self._lock:
            if self._closed or uri in self._kept:
                return
            try:
                self._kept[uri] = virt.open(uri)
            except VirtError as exc:
                # the client's own connection works; only the watching between clients is lost
                log.warning("cannot keep %s open between clients: %s", uri, exc.message)

    def guests_running(self) -> bool:
        """True while a kept driver has an active guest."""
        with self._lock:
            kept = list(self._kept.values())
        for connection in kept:
            try:
                if connection.list_domains(active=True):
                    return True
            except VirtError as exc:
                log.warning("cannot list the guests of %s: %s", connection.uri, exc.message)
        return False

    def close(self) -> None:
        """Let every kept driver go; their guests keep running (blocking)."""
        with self._lock:
            self._closed = True
            kept, self._kept = list(self._kept.values()), {}
        for connection in kept:
            try:
                connection.close()
            except VirtError as exc:
                log.warning("closing %s: %s", connection.uri, exc.message)
