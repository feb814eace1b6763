"""How the driver follows its QEMUs: QMP events and monitor ends, handled on the driver's event thread.

The monitor's own event thread only queues (``post``): taking a domain's lock there could deadlock
with an API call that holds the lock while waiting for a reply on that very monitor. The event
thread then handles each event under the domain's lock, ignoring events of a QEMU the driver has
already let go of (each event carries the ``Running`` it came from).
"""

from __future__ import annotations

import logging
import queue
from typing import TYPE_CHECKING, Any, NamedTuple

from virt.events import DomainEventType, PMSuspendedDetail, ResumedDetail, ShutdownDetail, StartedDetail
from virt.states import (
    CrashedReason,
    DomainState,
    PausedReason,
    RunningReason,
    ShutdownReason,
    ShutoffReason,
)

from virt_qemu.runtime import DomainObj, Running

if TYPE_CHECKING:
    from virt.domainevents import OtherDomainEvent

log = logging.getLogger(__name__)

RESTART_ACTIONS = frozenset({"restart", "rename-restart"})
"""The lifecycle actions that keep the guest running (same QEMU, reset)."""
QMP_TIMEOUT = 30.0
BLOCK_JOB_EVENTS = frozenset({"JOB_STATUS_CHANGE", "BLOCK_JOB_ERROR"})
"""The QMP events ``virt_qemu.blockjobs`` follows."""
_PMSUSPENDED_UNKNOWN = 0  # VIR_DOMAIN_PMSUSPENDED_UNKNOWN, the only reason libvirt's QEMU driver gives
EXIT_GRACE = 5.0
"""How long a QEMU whose monitor closed may take to exit before the driver calls it alive."""


class QueuedEvent(NamedTuple):
    """A QMP event (``name`` None: the monitor ended) of one run of one domain."""

    obj: DomainObj
    running: Running
    name: str | None
    data: dict[str, Any]


class QmpEvents:
    """The event side of QemuDriver (a mixin: the state changes it makes go through the driver's door)."""

    _queue: queue.SimpleQueue[QueuedEvent | None]
    _closing: bool

    def _set_state(self, obj: DomainObj, state: DomainState, reason: int, *, emit: bool = True) -> None:
        raise NotImplementedError

    def _emit(self, obj: DomainObj, type_: DomainEventType, detail: int) -> None:
        raise NotImplementedError

    def _stopped(self, obj: DomainObj, reason: ShutoffReason) -> None:
        raise NotImplementedError

    def _kill_and_stop(self, obj: DomainObj, reason: ShutoffReason) -> None:
        raise NotImplementedError

    def _watch(self, obj: DomainObj, running: Running) -> None:
        """Route the monitor's events and its end to the event thread, tagged with this very run."""
        monitor = running.monitor
        assert monitor is not None
        monitor.on_event(lambda name, data, ts: self.post(QueuedEvent(obj, running, name, data)))
        monitor.on_close(lambda: self.post(QueuedEvent(obj, running, None, {})))

    def post(self, event: QueuedEvent) -> None:
        """Hand an event to the event thread (the only thing a monitor callback may do)."""
        self._queue.put(event)

    def post_event(self, obj: DomainObj, running: Running, name: str, data: dict[str, Any]) -> None:
        self.post(QueuedEvent(obj, running, name, data))

    def _event_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            obj, running, name, data = item
            if self._closing:
                continue
            try:
                with obj.lock:
                    if obj.running is not running:
                        continue  # an event of a QEMU the driver already let go of
                    if name is None:
                        self._monitor_closed(obj, running)
                    else:
                        self._handle_event(obj, running, name, data)
            except Exception:
                log.exception("handling QEMU event %s of domain %s failed", name, obj.name)

    def _monitor_closed(self, obj: DomainObj, running: Running) -> None:
        from virt_qemu import process

        running.monitor = None
        if running.destroying:
            return  # the driver is stopping it and shuts it off itself
        # A dying process closes its files before it is gone from /proc: give it a moment to finish
        # (this also reaps it when it is our child).
        if not process.wait_gone(running.pid, running.popen, EXIT_GRACE):
            # The connection dropped but QEMU lives on: keep the guest, refuse to drive it blind.
            log.warning("monitor of domain %s closed while QEMU (pid %d) still runs", obj.name, running.pid)
            obj.broken = f"the monitor connection of domain '{obj.name}' was lost while QEMU still runs"
            # libvirt's qemuProcessHandleMonitorError: the driver lost control of the domain
            from virt.domainevents import ControlErrorEvent
            from virt.driver import DomainRef

            self._emit_other(ControlErrorEvent(DomainRef(obj.name, obj.uuid, obj.id)))
            return
        # libvirt: a monitor end without a SHUTDOWN event first means QEMU crashed
        self._stopped(obj, ShutoffReason.SHUTDOWN if running.got_shutdown else ShutoffReason.CRASHED)

    def _handle_event(self, obj: DomainObj, running: Running, name: str, data: dict[str, Any]) -> None:
        log.debug("domain %s: QEMU event %s %s", obj.name, name, data)
        # first: a SHUTDOWN may leave a transient domain without a definition to name it by
        self._announce(obj, running, name, data)
        if name in ("SHUTDOWN", "RESET"):
            running.power_events += 1
        if name == "SHUTDOWN":
            running.got_shutdown = True
            # libvirt: state "in shutdown (user)", event Shutdown Finished-by-guest or -by-host
            self._set_state(obj, DomainState.SHUTDOWN, ShutdownReason.USER, emit=False)
            self._emit(
                obj, DomainEventType.SHUTDOWN, ShutdownDetail.GUEST if data.get("guest") else ShutdownDetail.HOST
            )
            action = "restart" if running.fake_reboot else (obj.current.on_poweroff or "destroy")
            if data.get("reason") == "guest-reset":
                action = obj.current.on_reboot or "restart"  # a reboot QEMU turned into a shutdown (-no-reboot)
            if action in RESTART_ACTIONS:
                self._restart_in_place(obj, running, RunningReason.BOOTED)
            else:
                self._kill_and_stop(obj, ShutoffReason.SHUTDOWN)
        elif name in ("STOP", "RESUME"):
            self._sync_run_state(obj, running)
        elif name == "GUEST_PANICKED":
            action = obj.current.on_crash or "destroy"
            if action in ("restart", "coredump-restart"):
                self._restart_in_place(obj, running, RunningReason.CRASHED)
            elif action == "preserve":
                self._set_state(obj, DomainState.CRASHED, CrashedReason.PANICKED)
            else:
                self._set_state(obj, DomainState.CRASHED, CrashedReason.PANICKED)
                self._kill_and_stop(obj, ShutoffReason.CRASHED)
        elif name == "DEVICE_DELETED" and data.get("device"):
            # an unplug the guest finished after the call returned: out of the live definition
            from virt_qemu import hotplug

            hotplug.device_deleted(self, obj, str(data["device"]))  # type: ignore[arg-type]
        elif name in BLOCK_JOB_EVENTS:
            from virt_qemu import blockjobs

            blockjobs.job_event(self, obj, running, name, data)  # type: ignore[arg-type]
        elif name == "BALLOON_CHANGE" and obj.live is not None and isinstance(data.get("actual"), int):
            # libvirt's live <currentMemory> is the balloon's size as the guest last reported it
            obj.live.current_memory = data["actual"] // 1024
            self._set_state(obj, obj.state, obj.reason, emit=False)  # persists the status
        # POWERDOWN (the button was pressed) and RESET (the guest rebooted) change no state.

    # -- the events of the ids beyond lifecycle (virt_qemu.qmpdomainevents) --------------------------
    def _emit_other(self, event: OtherDomainEvent) -> None:
        raise NotImplementedError

    def _announce(self, obj: DomainObj, running: Running, name: str, data: dict[str, Any]) -> None:
        """libvirt's events of the QMP event, and the state changes that come with some (after them,
        in libvirt's order)."""
        from virt.driver import DomainRef

        from virt_qemu import qmpdomainevents

        def query(command: str) -> Any:
            if running.monitor is None:
                from virt_qemu.monitor import QMPError

                raise QMPError("the monitor is gone")
            return running.monitor.execute(command, timeout=QMP_TIMEOUT)

        ref = DomainRef(obj.name, obj.uuid, obj.id)
        clock = obj.live.clock if obj.live is not None else None
        if name == "RTC_CHANGE" and clock is not None and clock.offset == "variable":
            # qemuProcessHandleRTCChange: QEMU counts from the start's base date; the guest's offset
            # from UTC, also the live definition's adjustment from now on, adds the start's adjustment
            data = {**data, "offset": int(data.get("offset", 0)) + running.rtc_adjustment0}
            clock.adjustment = str(data["offset"])
            self._set_state(obj, obj.state, obj.reason, emit=False)  # persists the status
        for event in qmpdomainevents.translate(ref, obj.live, name, data, query):
            self._emit_other(event)
        if name == "WATCHDOG" and data.get("action") == "pause" and obj.state == DomainState.RUNNING:
            self._set_state(obj, DomainState.PAUSED, PausedReason.WATCHDOG)
        elif name == "BLOCK_IO_ERROR" and data.get("action") == "stop" and obj.state == DomainState.RUNNING:
            self._set_state(obj, DomainState.PAUSED, PausedReason.IOERROR)
        elif name == "SUSPEND" and obj.state == DomainState.RUNNING:
            self._set_state(obj, DomainState.PMSUSPENDED, _PMSUSPENDED_UNKNOWN)
        elif name == "SUSPEND_DISK" and obj.state == DomainState.RUNNING:
            self._set_state(obj, DomainState.PMSUSPENDED, _PMSUSPENDED_UNKNOWN, emit=False)
            self._emit(obj, DomainEventType.PMSUSPENDED, PMSuspendedDetail.DISK)
        elif name == "WAKEUP" and obj.state == DomainState.PMSUSPENDED:
            self._set_state(obj, DomainState.RUNNING, RunningReason.WAKEUP, emit=False)
            self._emit(obj, DomainEventType.STARTED, StartedDetail.WAKEUP)

    def _sync_run_state(self, obj: DomainObj, running: Running) -> None:
        """Follow a STOP or RESUME from QEMU's present state, not from the event itself.

        Events reach this thread after the API call that caused them returned: a STOP of a
        ``suspend`` may arrive after a ``resume`` already ran, and must not pause the domain again.
        """
        from virt_qemu.monitor import QMPError

        if running.monitor is None or running.migrating or obj.state not in (DomainState.RUNNING, DomainState.PAUSED):
            return
        try:
            answer = running.monitor.execute("query-status", timeout=QMP_TIMEOUT)
        except QMPError:
            return  # the monitor's end, if that is it, comes as its own event
        if answer.get("running") and obj.state == DomainState.PAUSED:
            self._set_state(obj, DomainState.RUNNING, RunningReason.UNPAUSED)
        elif not answer.get("running") and obj.state == DomainState.RUNNING:
            self._set_state(obj, DomainState.PAUSED, PausedReason.UNKNOWN)

    def _restart_in_place(self, obj: DomainObj, running: Running, reason: RunningReason) -> None:
        """libvirt's fake reboot: reset the stopped guest and let it run again, same QEMU."""
        from virt_qemu.monitor import QMPError

        running.fake_reboot = False
        running.got_shutdown = False
        monitor = running.monitor
        try:
            assert monitor is not None
            monitor.execute("system_reset", timeout=QMP_TIMEOUT)
            monitor.execute("cont", timeout=QMP_TIMEOUT)
        except (QMPError, AssertionError):
            log.exception("restarting domain %s failed; destroying it", obj.name)
            self._kill_and_stop(obj, ShutoffReason.CRASHED)
            return
        # the same QEMU goes on: libvirt reports a fake reboot as a resume, not a start
        self._set_state(obj, DomainState.RUNNING, reason, emit=False)
        self._emit(obj, DomainEventType.RESUMED, ResumedDetail.UNPAUSED)
