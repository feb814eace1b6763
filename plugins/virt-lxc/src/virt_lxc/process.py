"""Looking at processes from the host: is this pid still our controller, when did it end."""

from __future__ import annotations

import contextlib
import os
import select
from pathlib import Path


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return raw.decode(errors="replace").split("\0")


def is_controller(pid: int, uuid: str, init_pid: int | None = None) -> bool:
    """True when ``pid`` is virt-lxc's controller of the container ``uuid`` (not a reused pid).

    Its command line says so once it has executed itself; before (the first milliseconds of a
    container), it is still a copy of the process that started it, known by being init's parent."""
    words = cmdline(pid)
    if "virt_lxc.controller" in words and uuid in words:
        return True
    return bool(words) and init_pid is not None and parent_of(init_pid) == pid


def parent_of(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("PPid:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def wait_gone(pid: int, timeout: float) -> bool:
    """Wait until ``pid`` has exited (reaping it when it is our child); True when it did within ``timeout``."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
    finally:
        os.close(fd)
    if ready:
        reap(pid)
    return bool(ready)


def reap(pid: int) -> None:
    """Collect ``pid``'s exit status if it is our child and has exited (a controller this process forked)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def wait_controller_gone(pid: int, uuid: str, init_pid: int, timeout: float) -> bool:
    """``wait_gone`` for a container's controller: a pid that is no longer it (ended, reused) is not waited for."""
    if is_controller(pid, uuid, init_pid):
        return wait_gone(pid, timeout)
    reap(pid)
    return True
