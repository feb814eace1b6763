"""One owner per state folder: an exclusive ``flock`` on a file that names the holder's pid.

A driver instance holds it for its lifetime; a second process that tries gets the error the
driver words (``busy``) with the holder's pid in it. Closing the descriptor releases the lock.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path


def acquire(path: Path, busy: Callable[[str], BaseException]) -> int:
    """The open, locked ``path`` holding our pid; raises ``busy(holder's pid)`` when another holds it.

    ``holder`` is the pid the file names, or ``unknown``. The descriptor is close-on-exec: a
    program the driver executes does not keep the lock (a forked child keeps it until it executes
    or exits: a new owner in the same process may meet it meanwhile).
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        finally:
            os.close(fd)
        raise busy(holder) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd
