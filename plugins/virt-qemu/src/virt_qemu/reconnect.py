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
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from virt.errors import VirtError
from virt.states import DomainState, PausedReason, RunningReason

from virt_qemu import process
from virt_qemu.qmpevents import QueuedEvent
from virt_qemu.runtime import DomainObj, Running

if TYPE_CHECKING:
    from virt_qemu.driver import QemuDriver
    from virt_qemu.monitor import Monitor
    from virt_qemu.status import DomainStatus

log = logging.getLogger(__name__)

MAX_WORKERS = 32
"""Guests examined at once when a new owner takes them back (each mostly waits for its QEMU)."""


class _Gate:
    """Routes a reconnected monitor's events to the driver from the moment it is connected.

    The domain they belong to is only known once the examination is settled (in order, on the
    driver's thread); until then events and the monitor's end are held, then posted in order.
    """

    def __init__(self, driver: QemuDriver, running: Running) -> None:
        self._driver, self._running = driver, running
        self._lock = threading.Lock()
        self._obj: DomainObj | None = None
        self._held: list[tuple[str | None, dict[str, Any]]] = []

    def watch(self, monitor: Monitor) -> None:
        monitor.on_event(lambda name, data, ts: self._post(name, data))
        monitor.on_close(lambda: self._post(None, {}))

    def _post(self, name: str | None, data: dict[str, Any]) -> None:
        with self._lock:
            if self._obj is None:
                self._held.append((name, data))
                return
            self._driver.post(QueuedEvent(self._obj, self._running, name, data))

    def open(self, obj: DomainObj) -> None:
        with self._lock:
            self._obj = obj
            for name, data in self._held:
                self._driver.post(QueuedEvent(obj, self._running, name, data))
            self._held.clear()


@attrs.define
class Examined:
    """What one status file's QEMU turned out to be; nothing of the driver changed yet."""

    status: DomainStatus
    name: str
    run_dir: Path
    running: Running | None = None
    """None: the QEMU is gone."""
    state: DomainState = DomainState.NOSTATE
    reason: int = 0
    broken: str | None = None
    qemu_status: object = None
    gate: _Gate | None = None


def reconnect_all(driver: QemuDriver, statuses: list[DomainStatus]) -> list[Examined | Exception]:
    """Examine every status file's QEMU at once (bounded threads), results in the files' order.

    The examination only reads: each guest's pid, command line, capabilities, monitor greeting
    and ``query-status``. Every failure stays with its own guest (returned in its place).
    """
    if len(statuses) <= 1:
        return [_examine_safely(driver, status) for status in statuses]
    with ThreadPoolExecutor(
        max_workers=min(MAX_WORKERS, len(statuses)), thread_name_prefix="virt-qemu reconnect"
    ) as pool:
        return list(pool.map(lambda status: _examine_safely(driver, status), statuses))


def _examine_safely(driver: QemuDriver, status: DomainStatus) -> Examined | Exception:
    try:
        return examine(driver, status)
    except Exception as exc:  # noqa: BLE001 - reported for this guest alone by the caller
        return exc


def reconnect(driver: QemuDriver, status: DomainStatus) -> None:
    """Take back one guest (examine it, then settle it in the driver)."""
    settle(driver, examine(driver, status))


def examine(driver: QemuDriver, status: DomainStatus) -> Examined:
    """Everything about a status file's QEMU that needs waiting on it; thread-safe, changes nothing."""
    from virt_qemu.caps import QemuCaps

    definition = status.domain
    if definition is None or definition.name is None or definition.uuid is None:
        raise VirtError("the status file has no <domain> with a name and a UUID")
    name = definition.name
    socket = status.monitor.path if status.monitor is not None else None
    if status.pid is None or not socket:
        raise VirtError(f"the status file of domain '{name}' lacks the QEMU pid or the monitor path")
    found = Examined(status=status, name=name, run_dir=Path(socket).parent)
    if not process.is_our_qemu(status.pid, socket, status.emulator, name=name, uuid=str(definition.uuid)):
        return found
    running = Running(
        pid=status.pid,
        monitor_socket=Path(socket),
        run_dir=found.run_dir,
        log_file=driver.paths.log_dir / f"{name}.log",
        caps=None,
        start_time=float(status.start_time or 0.0),
    )
    found.running = running
    found.state = status.state if status.state is not None else DomainState.NOSTATE
    found.reason = status.reason or 0
    if not status.qemu_caps:
        found.broken = (
            f"the status file of domain '{name}' lacks the QEMU capabilities it was started with (<qemuCaps>); "
            "the driver will not guess them: only destroy is allowed"
        )
        return found
    try:
        running.caps = _caps_from_json(status.qemu_caps, QemuCaps.from_json)
        running.caps_json = status.qemu_caps
    except Exception as exc:  # noqa: BLE001 - any defect of the stored JSON is reported, not raised
        found.broken = f"the QEMU capabilities in the status file of domain '{name}' cannot be read: {exc}"
        return found
    try:
        running.monitor = _connect(socket)
        found.gate = _Gate(driver, running)
        found.gate.watch(running.monitor)  # nothing QEMU says from now on is missed
        answer = running.monitor.execute("query-status", timeout=10.0)
    except BaseException as exc:
        if running.monitor is not None:
            running.monitor.close()
            running.monitor = None
        found.gate = None
        if not isinstance(exc, VirtError):
            raise
        found.broken = f"cannot reconnect to the monitor of domain '{name}': {exc.message}"
        return found
    found.state, found.reason = _refresh(found.state, found.reason, answer)
    found.qemu_status = answer.get("status") if isinstance(answer, dict) else None
    return found


def settle(driver: QemuDriver, found: Examined) -> None:
    """Apply one examination to the driver (its thread, the status files' order: deterministic)."""
    status, name = found.status, found.name
    definition = status.domain
    assert definition is not None and definition.uuid is not None
    existing = driver.by_uuid(definition.uuid)
    obj = existing if existing is not None else DomainObj(config=None)
    running = found.running
    if running is None:
        log.warning("QEMU of domain %s (pid %s) is gone: it is shut off (crashed)", name, status.pid)
        driver.crashed_meanwhile(obj, name, found.run_dir)
        return
    stored_id = definition.id if definition.id is not None and definition.id > 0 else None
    id_ = stored_id if stored_id is not None else driver.ids.allocate()
    definition.id = None
    obj.live, obj.id = definition, id_
    obj.running = running
    obj.broken = found.broken
    if found.broken is not None:
        log.error("%s", found.broken)
    # the status file already says all this: rewrite it only when something changed
    unchanged = (found.state, found.reason) == (status.state, status.reason or 0) and stored_id == id_
    driver.adopt(obj, running, found.state, found.reason, watch=False, save=not unchanged)
    if found.gate is not None:
        found.gate.open(obj)
    # A guest that powered off or panicked while nobody watched: act on it as if seen live.
    if found.qemu_status == "shutdown":
        driver.post_event(obj, running, "SHUTDOWN", {"guest": True, "reason": "guest-shutdown"})
    elif found.qemu_status == "guest-panicked":
        driver.post_event(obj, running, "GUEST_PANICKED", {"action": "pause"})


_caps_lock = threading.Lock()
_caps_parsed: dict[str, Any] = {}
"""The last few capability texts read back (guests of one binary share one, and QemuCaps is immutable)."""


def _caps_from_json(text: str, parse: Any) -> Any:
    with _caps_lock:
        found = _caps_parsed.get(text)
    if found is None:
        found = parse(text)
        with _caps_lock:
            if len(_caps_parsed) >= 8:
                _caps_parsed.clear()
            _caps_parsed[text] = found
    return found


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
