"""Asking a container's init to shut down or reboot: sysvinit's initctl FIFO, or a signal.

libvirt's LXC driver tries ``/dev/initctl`` then ``/run/initctl`` inside the container (a sysvinit
style init listens there for runlevel requests) and otherwise signals init: SIGTERM to shut
down, SIGHUP to reboot.
"""

from __future__ import annotations

import os
import signal
import stat
import struct
from pathlib import Path

FIFOS = ("dev/initctl", "run/initctl")
_MAGIC = 0x03091969
_RUNLEVEL = 1
_REQUEST_SIZE = 384


def request(runlevel: str) -> bytes:
    """sysvinit's ``struct init_request`` asking for ``runlevel`` ('0' power off, '6' reboot)."""
    header = struct.pack("iiii", _MAGIC, _RUNLEVEL, ord(runlevel), 0)
    return header + bytes(_REQUEST_SIZE - len(header))


def fifo(init_pid: int) -> str | None:
    """The initctl FIFO of the container whose init is ``init_pid`` (seen through /proc), if any."""
    for relative in FIFOS:
        path = f"/proc/{init_pid}/root/{relative}"
        try:
            if stat.S_ISFIFO(Path(path).stat().st_mode):
                return path
        except OSError:
            continue
    return None


def send_runlevel(path: str, runlevel: str) -> None:
    """Write the request; OSError when nobody reads the FIFO."""
    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        os.write(fd, request(runlevel))
    finally:
        os.close(fd)


def signal_init(init_pid: int, reboot: bool) -> None:
    os.kill(init_pid, signal.SIGHUP if reboot else signal.SIGTERM)
