"""QEMU as an operating-system process: spawning it, recognising it, stopping it, measuring it.

QEMU runs in a session of its own (``start_new_session``) so that it outlives the process that
started it: the driver is in-process for now, and a guest must survive its owner exiting.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import select
import shlex
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LOG_TAIL_BYTES = 4096


def environment() -> dict[str, str]:
    """A small, predictable environment, as libvirt gives QEMU (LC_ALL=C keeps its messages in English)."""
    env = {"LC_ALL": "C", "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")}
    for name in ("HOME", "USER", "LOGNAME", "XDG_RUNTIME_DIR", "TMPDIR"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def spawn(argv: list[str], log_file: Path, pass_fds: Sequence[int] = ()) -> tuple[subprocess.Popen[bytes], int]:
    """Start QEMU with stdin /dev/null and stdout/stderr appended to ``log_file`` after a header.

    ``pass_fds`` stay open in QEMU under the same numbers (the listening monitor socket).
    Returns the process and the log offset where QEMU's own output starts.
    """
    with open(log_file, "ab") as log:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S%z")
        log.write(f"{stamp}: starting up\n{shlex.join(argv)}\n".encode())
        log.flush()
        offset = log.tell()
        popen = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd="/",  # never pin the caller's working directory
            env=environment(),
            start_new_session=True,
            close_fds=True,  # above all the driver's lock file: QEMU must not hold the owner lock
            pass_fds=tuple(pass_fds),
        )
        return popen, offset


def log_tail(log_file: Path, since: int = 0) -> str:
    """The last lines QEMU wrote to ``log_file`` after offset ``since`` (for error messages)."""
    try:
        with open(log_file, "rb") as log:
            size = log.seek(0, os.SEEK_END)
            start = max(since, size - LOG_TAIL_BYTES)
            log.seek(start)
            data = log.read()
    except OSError:
        return ""
    return data.decode("utf-8", "replace").strip()


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat split after the command name (which may hold spaces); field 3 is index 0."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()


def alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (exited, not yet reaped) counts as gone."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def is_our_qemu(
    pid: int, monitor_socket: str, binary: str | None, *, name: str | None = None, uuid: str | None = None
) -> bool:
    """True when ``pid`` is the QEMU a status file describes: guards against a reused pid.

    Its command line names the monitor socket (``path=``), or, when the driver handed QEMU the
    listening socket as a file descriptor (``fd=``), it carries the domain's ``-uuid`` and
    ``-name guest=NAME``.
    """
    if not alive(pid):
        return False
    argv = cmdline(pid)
    if not argv:
        return False
    if not any(monitor_socket in arg for arg in argv) and not _names_domain(argv, name, uuid):
        return False
    return binary is None or Path(argv[0]).name == Path(binary).name


def _names_domain(argv: list[str], name: str | None, uuid: str | None) -> bool:
    if name is None or uuid is None:
        return False
    pairs = set(itertools.pairwise(argv))
    if ("-uuid", uuid) not in pairs:
        return False
    return any(option == "-name" and value.split(",")[0] == f"guest={name}" for option, value in pairs)


def cpu_time_ns(pid: int) -> int:
    """User plus system time of the whole QEMU process (every vCPU thread is in it)."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks * 1_000_000_000 // CLOCK_TICKS


def pidfd(pid: int) -> int | None:
    """A pidfd of ``pid`` (Linux >= 5.3), -1 when ``pid`` is already gone, None when unavailable."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return int(opener(pid))
    except ProcessLookupError:
        return -1
    except OSError:  # ENOSYS (old kernel), EPERM in some sandboxes...: the slower way
        return None


def _pidfd_wait(fd: int, timeout: float) -> bool:
    """True once the process of ``fd`` has exited (readable pidfd), False after ``timeout`` seconds.

    Readable means every thread of it is gone, its memory and files released: a zombie waiting to
    be reaped, ours or not, is gone as far as the driver cares (as ``alive`` says).
    """
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if poller.poll(max(0, int(remaining * 1000 + 0.999))):
            return True
        if remaining <= 0:
            return False


def _reap(popen: subprocess.Popen[bytes] | None, timeout: float = 0.5) -> None:
    if popen is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(timeout)


def wait_gone(pid: int, popen: subprocess.Popen[bytes] | None, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for ``pid`` to exit (reaping it when it is our child).

    Woken by the exit itself through a pidfd, for our children and for reattached QEMUs alike;
    where pidfds are unavailable, ``Popen.wait`` or polling /proc.
    """
    if popen is not None and popen.returncode is not None:
        return True
    fd = pidfd(pid)
    if fd is not None:
        if fd < 0:
            _reap(popen)
            return True
        try:
            if not _pidfd_wait(fd, timeout):
                return False
        finally:
            os.close(fd)
        _reap(popen)  # exited: the wait returns at once
        return True
    deadline = time.monotonic() + timeout
    if popen is not None:
        try:
            popen.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    while alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def kill(pid: int, popen: subprocess.Popen[bytes] | None, grace: float = 3.0) -> signal.Signals | None:
    """SIGTERM, wait ``grace`` seconds, then SIGKILL: libvirt's virProcessKillPainfully, briefly.

    Returns the signal the process ended after (None: it was gone already). With a pidfd the
    signals go through it (no reused pid can receive them) and the exit is noticed the moment it
    happens.
    """
    steps = ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0))
    ended_by: signal.Signals | None = None
    fd = pidfd(pid) if popen is None or popen.returncode is None else -1
    if fd is None:
        for sig, wait in steps:
            if not alive(pid):
                break
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            ended_by = sig
            if wait_gone(pid, popen, wait):
                break
    elif fd >= 0:
        try:
            for sig, wait in steps:
                if _pidfd_wait(fd, 0):
                    break
                try:
                    signal.pidfd_send_signal(fd, sig)
                except ProcessLookupError:
                    break
                ended_by = sig
                if _pidfd_wait(fd, wait):
                    break
        finally:
            os.close(fd)
    _reap(popen)
    return ended_by
