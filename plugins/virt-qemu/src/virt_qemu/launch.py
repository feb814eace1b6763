"""Starting one QEMU: its runtime folder, its command line, the process, its monitor.

QEMU starts with ``-S`` (processors stopped) so that nothing runs before the driver holds the
monitor; the caller resumes it with ``cont``. Any failure kills QEMU and removes what it left,
and the error carries the tail of QEMU's own output (its log), which says what went wrong.
"""

from __future__ import annotations

import shutil
import socket as sockets
import time
from typing import TYPE_CHECKING

from virt.errors import VirtError

from virt_qemu import errors, process
from virt_qemu.runtime import Running

if TYPE_CHECKING:
    from collections.abc import Sequence

    from virt.xml import Domain

    from virt_qemu.caps import QemuCaps
    from virt_qemu.monitor import Monitor
    from virt_qemu.paths import DriverPaths

MONITOR_TIMEOUT = 30.0
"""How long QEMU may take to open its monitor (a loaded host, a large guest's memory allocation)."""
UNIX_PATH_MAX = 107
"""sun_path holds 108 bytes with the terminating NUL."""


def launch(
    paths: DriverPaths,
    definition: Domain,
    caps: QemuCaps,
    taps: Sequence[str] = (),
    *,
    incoming_fd: int | None = None,
    incoming: str | None = None,
) -> Running:
    """Spawn QEMU for ``definition`` (paused) and connect its monitor; the domain is not changed.

    ``taps``: the taps the driver made for its bridged interfaces (``netif.attach``).
    ``incoming_fd``: QEMU loads the guest's state from this descriptor (a save image positioned at
    its migration stream) instead of booting it.
    ``incoming``: another ``-incoming`` source (``defer``: a live migration's, given later by ``migrate-incoming``).
    """
    from virt_qemu.command import RuntimeFiles, build_command
    from virt_qemu.nvram import ensure_store

    name = definition.name
    assert name is not None
    run_dir = paths.domain_run_dir(name)
    socket = run_dir / "monitor.sock"
    if len(str(socket).encode()) > UNIX_PATH_MAX:
        raise errors.internal(
            f"the monitor socket path {socket} is longer than {UNIX_PATH_MAX} bytes; use a shorter VIRT_QEMU_ROOT"
        )
    log_file = paths.log_dir / f"{name}.log"
    ensure_store(definition)
    shutil.rmtree(run_dir, ignore_errors=True)  # a stale socket would fool the monitor connection
    run_dir.mkdir(parents=True, mode=0o700)
    try:
        listener = _listen(socket)
    except OSError as exc:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise errors.operation_failed(f"cannot create the monitor socket {socket}: {exc.strerror or exc}") from exc
    try:
        files = RuntimeFiles(
            monitor_socket=socket,
            run_dir=run_dir,
            log_file=log_file,
            monitor_fd=listener.fileno(),
            taps=frozenset(taps),
        )
        # build_command refuses hostile or unsupported XML (UnsupportedConfig) before QEMU is spawned
        # command.CapsLike declares plain (settable) attributes where QemuCaps is frozen: a typing mismatch only
        argv = _with_driver_options(build_command(definition, caps, files))  # type: ignore[arg-type]
        passed = [listener.fileno()]
        if incoming_fd is not None:
            argv += ["-incoming", f"fd:{incoming_fd}"]
            passed.append(incoming_fd)
        elif incoming is not None:
            argv += ["-incoming", incoming]
        try:
            popen, offset = process.spawn(argv, log_file, pass_fds=passed)
        except OSError as exc:
            raise errors.operation_failed(f"cannot execute {argv[0]}: {exc.strerror or exc}") from exc
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    finally:
        listener.close()  # QEMU holds it now: when QEMU dies, connections to it end
    running = Running(
        pid=popen.pid,
        monitor_socket=socket,
        run_dir=run_dir,
        log_file=log_file,
        caps=caps,
        start_time=time.time(),
        popen=popen,
    )
    try:
        running.monitor = _connect(running, MONITOR_TIMEOUT)
    except BaseException as exc:
        running.destroying = True
        process.kill(popen.pid, popen, grace=1.0)
        shutil.rmtree(run_dir, ignore_errors=True)
        tail = process.log_tail(log_file, offset)
        detail = exc.message if isinstance(exc, VirtError) else str(exc)
        raise errors.internal(
            f"process exited while connecting to monitor: {detail}" + (f"\n{tail}" if tail else "")
        ) from exc
    return running


def _listen(path: object) -> sockets.socket:
    """The QMP socket, bound and listening before QEMU starts: the driver's connection never races
    QEMU creating it (libvirt passes its monitor socket the same way)."""
    listener = sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM | sockets.SOCK_CLOEXEC)
    try:
        listener.bind(str(path))
        listener.listen(1)
    except BaseException:
        listener.close()
        raise
    return listener


def _with_driver_options(argv: list[str]) -> list[str]:
    """The options the driver's own logic depends on, whatever build_command gave.

    ``-S``: start paused, resumed after the monitor is up. ``-no-shutdown``: a guest power-off
    stops QEMU instead of ending it, so that the driver sees SHUTDOWN and applies on_poweroff.
    """
    extra = [option for option in ("-S", "-no-shutdown") if option not in argv]
    return [argv[0], *extra, *argv[1:]]


def _connect(running: Running, timeout: float) -> Monitor:
    from virt_qemu.monitor import Monitor, MonitorClosed

    deadline = time.monotonic() + timeout
    popen = running.popen
    assert popen is not None
    while True:
        if popen.poll() is not None:
            raise VirtError(f"QEMU exited with status {popen.returncode}")
        try:
            # The whole remaining time: a QEMU on a loaded host may take a while to answer its greeting.
            return Monitor.connect(running.monitor_socket, timeout=max(0.05, deadline - time.monotonic()))
        except MonitorClosed:
            if time.monotonic() >= deadline:
                raise
