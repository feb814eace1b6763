"""One owner per state folder: an exclusive ``flock`` on a file that names the holder's pid.

A driver instance holds it for its lifetime; a second process that tries gets the error the
driver words (``busy``) with the holder's pid in it; ``release`` lets it go.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from virt.errors import ErrorDomain

# The descriptors this process holds locks on. A forked child (LXC's controller, a helper
# process) closes them at once: an flock belongs to the open file, so a child keeping the
# descriptor would keep the state folder locked after its parent let go of it.
_held: set[int] = set()


def _close_in_child() -> None:
    for fd in _held:
        with contextlib.suppress(OSError):
            os.close(fd)
    _held.clear()


os.register_at_fork(after_in_child=_close_in_child)


def acquire(path: Path, busy: Callable[[str], BaseException]) -> int:
    """The open, locked ``path`` holding our pid; raises ``busy(holder's pid)`` when another holds it.

    ``holder`` is the pid the file names, or ``unknown``. Neither a program the driver executes
    (close-on-exec) nor a forked child (it closes the descriptor right after the fork) keeps the lock.
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
    _held.add(fd)
    return fd


def release(fd: int) -> None:
    """Let go of the lock ``acquire`` returned (closes its descriptor)."""
    _held.discard(fd)
    os.close(fd)


def acquire_host_state(path: Path, driver: str, host: str, state_dir: Path, domain: ErrorDomain) -> int:
    """``acquire`` for the driver of a host reached by commands (virt-xen's dom0, virt-bhyve's host):
    RESOURCE_BUSY naming the holder, worded for ``driver``'s state of ``host`` in ``state_dir``."""
    from virt.errors import ErrorNumber, libvirt_error

    return acquire(
        path,
        lambda holder: libvirt_error(
            ErrorNumber.RESOURCE_BUSY,
            f"the {driver} driver state of {host} in {state_dir} is owned by another process "
            f"(pid {holder}); only one process at a time may manage it",
            domain,
        ),
    )
