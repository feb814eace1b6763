"""Taking back, from its status file, a guest another owner of the driver started.

The QEMU must be the one the file names (its pid's command line holds the monitor socket), or
it died meanwhile: the domain is then shut off (crashed) and its status file removed; a
transient one disappears. A guest that still runs is never killed here, whatever is wrong:
a status file without its ``<qemuCaps>`` (or an unusable monitor) leaves the domain listed in
its last known state, with every operation but destroy refused, saying why (``obj.broken``).
The capabilities are never probed again in its place: the binary may have changed since.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from virt.errors import VirtError
from virt.states import DomainState, PausedReason, RunningReason

from virt_qemu import process
from virt_qemu.runtime import DomainObj, Running

if TYPE_CHECKING:
    from virt_qemu.driver import QemuDriver
    from virt_qemu.monitor import Monitor
    from virt_qemu.status import DomainStatus

log = logging.getLogger(__name__)


def reconnect(driver: QemuDriver, status: DomainStatus) -> None:
    from virt_qemu.caps import QemuCaps

    definition = status.domain
    if definition is None or definition.name is None or definition.uuid is None:
        raise VirtError("the status file has no <domain> with a name and a UUID")
    name = definition.name
    socket = status.monitor.path if status.monitor is not None else None
    if status.pid is None or not socket:
        raise VirtError(f"the status file of domain '{name}' lacks the QEMU pid or the monitor path")
    run_dir = Path(socket).parent
    existing = driver.by_uuid(definition.uuid)
    obj = existing if existing is not None else DomainObj(config=None)
    if not process.is_our_qemu(status.pid, socket, status.emulator):
        log.warning("QEMU of domain %s (pid %d) is gone: it is shut off (crashed)", name, status.pid)
        driver.crashed_meanwhile(obj, name, run_dir)
        return

    id_ = definition.id if definition.id is not None and definition.id > 0 else driver.ids.allocate()
    definition.id = None
    obj.live, obj.id = definition, id_
    running = Running(
        pid=status.pid,
        monitor_socket=Path(socket),
        run_dir=run_dir,
        log_file=driver.paths.log_dir / f"{name}.log",
        caps=None,
        start_time=float(status.start_time or 0.0),
    )
    obj.running = running
    state = status.state if status.state is not None else DomainState.NOSTATE
    reason = status.reason or 0
    if not status.qemu_caps:
        obj.broken = (
            f"the status file of domain '{name}' lacks the QEMU capabilities it was started with (<qemuCaps>); "
            "the driver will not guess them: only destroy is allowed"
        )
        log.error("%s", obj.broken)
        driver.adopt(obj, running, state, reason)
        return
    try:
        running.caps = QemuCaps.from_json(status.qemu_caps)
    except Exception as exc:  # noqa: BLE001 - any defect of the stored JSON is reported, not raised
        obj.broken = f"the QEMU capabilities in the status file of domain '{name}' cannot be read: {exc}"
        driver.adopt(obj, running, state, reason)
        return
    try:
        running.monitor = _connect(socket)
        answer = running.monitor.execute("query-status", timeout=10.0)
    except VirtError as exc:
        if running.monitor is not None:
            running.monitor.close()
            running.monitor = None
        obj.broken = f"cannot reconnect to the monitor of domain '{name}': {exc.message}"
        driver.adopt(obj, running, state, reason)
        return
    state, reason = _refresh(state, reason, answer)
    driver.adopt(obj, running, state, reason)
    # A guest that powered off or panicked while nobody watched: act on it as if seen live.
    qemu_status = answer.get("status") if isinstance(answer, dict) else None
    if qemu_status == "shutdown":
        driver.post_event(obj, running, "SHUTDOWN", {"guest": True, "reason": "guest-shutdown"})
    elif qemu_status == "guest-panicked":
        driver.post_event(obj, running, "GUEST_PANICKED", {"action": "pause"})


def _connect(socket: str) -> Monitor:
    from virt_qemu.monitor import Monitor

    return Monitor.connect(socket, timeout=5.0)


def _refresh(state: DomainState, reason: int, answer: object) -> tuple[DomainState, int]:
    """The state from QEMU's query-status, keeping the stored reason when the state agrees."""
    running = bool(answer.get("running")) if isinstance(answer, dict) else None
    if running is None:
        return state, reason
    if running:
        return (state, reason) if state == DomainState.RUNNING else (DomainState.RUNNING, RunningReason.UNPAUSED)
    if state in (DomainState.PAUSED, DomainState.SHUTDOWN, DomainState.CRASHED):
        return state, reason
    return DomainState.PAUSED, PausedReason.UNKNOWN
