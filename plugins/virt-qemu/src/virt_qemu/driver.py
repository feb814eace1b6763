"""One QEMU driver instance: the owner of a state folder, its domains and their QEMU processes.

A process has at most one instance per (mode, folders), shared by all its connections (like the
test driver's shared host) and released when the last one closes; across processes an exclusive
``flock`` on ``paths.lock_file`` keeps a second owner out, naming the holder's pid.

Threads: API calls run in the caller's thread; QMP events and monitor ends are put on a queue by
the monitor's event thread and handled by this instance's own event thread, so no lock is ever
taken inside a monitor callback (a command waiting for its reply under a domain's lock would
otherwise deadlock with an event waiting for that lock). ``self.lock`` guards the domain table;
each domain's ``lock`` serialises operations on it. Order: domain lock first, then table lock.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import queue
import shutil
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.events import ResumedDetail, ShutdownDetail, StartedDetail, StoppedDetail, SuspendedDetail
from virt.info import DomainInfo
from virt.localstate import ownerlock
from virt.localstate.definitions import DefinitionStore
from virt.localstate.domains import DomainLifecycle
from virt.localstate.ids import IdCounter
from virt.localstate.instances import Instances
from virt.localstate.storage import resolve_volume_disks
from virt.states import DomainState, PausedReason, RunningReason, ShutdownMode, ShutdownReason, ShutoffReason

from virt_qemu import affinity, consoles, display, errors, memdevices, netif, nvram, postparse, prepare
from virt_qemu.command.machinetypes import own_default_cpu
from virt_qemu.events import EventHub, EventType, LifecycleEvent, event_for
from virt_qemu.launch import launch
from virt_qemu.qmpevents import QMP_TIMEOUT, RESTART_ACTIONS, QmpEvents, QueuedEvent
from virt_qemu.runtime import DomainObj, Running
from virt_qemu.savestate import SaveStates
from virt_qemu.snapshotstate import SnapshotStates
from virt_qemu.status import DomainStatus, StatusMonitor, StatusStore

if TYPE_CHECKING:
    from virt.domainevents import OtherDomainEvent
    from virt.driver import DomainRef
    from virt.xml import Domain

    from virt_qemu import agent as agent_module
    from virt_qemu.caps import CapsCache, QemuCaps
    from virt_qemu.paths import DriverPaths

log = logging.getLogger(__name__)


# -- the owner lock --------------------------------------------------------------------------------
def acquire_owner_lock(paths: DriverPaths) -> int:
    """The open, locked ``paths.lock_file`` holding our pid; VirtError naming the holder otherwise."""
    return ownerlock.acquire(
        paths.lock_file,
        lambda holder: errors.error(
            ErrorNumber.RESOURCE_BUSY,
            f"the QEMU driver state in {paths.run_dir} is owned by another process (pid {holder}); "
            f"only one process at a time may manage qemu:///{paths.mode}",
        ),
    )


class QemuDriver(SaveStates, SnapshotStates, QmpEvents, DomainLifecycle[DomainObj]):
    """Everything one owner of a QEMU state folder knows and does (define, undefine, create, start
    and autostart are ``DomainLifecycle``'s, over ``complete``, ``_start`` and ``_emit``)."""

    def __init__(self, paths: DriverPaths) -> None:
        from virt_qemu.caps import CapsCache

        paths.create()
        self.paths = paths
        self._lock_fd: int | None = acquire_owner_lock(paths)
        DomainLifecycle.__init__(self, DomainObj, ErrorDomain.QEMU)
        self.definitions = DefinitionStore(paths)
        self.statuses = StatusStore(paths)
        self.ids = IdCounter(paths.run_dir / "next-id")
        self.caps_cache: CapsCache = CapsCache(paths.cache_dir)
        self.events = EventHub()
        self._closing = False
        self.unreadable_status: dict[str, str] = {}
        """Status files that could not be read, by path: left alone, never deleted (a guest may run)."""
        self._queue: queue.SimpleQueue[QueuedEvent | None] = queue.SimpleQueue()
        self._worker = threading.Thread(target=self._event_loop, name=f"virt-qemu events {paths.mode}", daemon=True)
        self._worker.start()
        try:
            self.load_definitions()
            self._reconnect_all()
            self._autostart_once(self.paths.run_dir / "autostarted")
        except BaseException:
            self.close()
            raise

    # -- closing ------------------------------------------------------------------------------------
    def close(self) -> None:
        """Let go of the monitors and the lock; every QEMU keeps running for the next owner."""
        self._closing = True  # the monitor ends that follow are ours, not QEMU's
        with self.lock:
            objs = list(self.domains.values())
        for obj in objs:
            with obj.lock:
                running = obj.running
                if running is not None and running.monitor is not None:
                    monitor, running.monitor = running.monitor, None
                    monitor.close()
        self._queue.put(None)  # ends the event thread
        if self._worker is not threading.current_thread():
            self._worker.join(10)
        self.events.close()
        if self._lock_fd is not None:
            fd, self._lock_fd = self._lock_fd, None
            ownerlock.release(fd)

    def undefine(self, ref: DomainRef, *, managed_save: bool = False, snapshots_metadata: bool = False) -> None:
        """Forget the definition; refused while a managed save image exists unless ``managed_save``,
        or while an inactive domain has snapshots unless ``snapshots_metadata``."""
        self.undefine_with_image(ref, managed_save=managed_save)
        self.drop_all_snapshots(ref, forget=snapshots_metadata)
        DomainLifecycle.undefine(self, ref)

    # -- caps ---------------------------------------------------------------------------------------
    def binary_and_caps(self, arch: str | None, emulator: str | None) -> tuple[str, QemuCaps]:
        from virt_qemu.caps import find_binary

        binary = find_binary(arch=arch, emulator=emulator)
        return binary, self.caps_cache.get(binary)

    def all_caps(self) -> list[QemuCaps]:
        """The capabilities of every installed QEMU the driver knows how to find, host arch first."""
        from virt_qemu.caps import find_binary

        found: list[QemuCaps] = []
        seen: set[str] = set()
        for arch in (None, "x86_64", "i686", "aarch64"):
            try:
                binary = find_binary(arch=arch)
            except VirtError:
                continue
            if binary not in seen:
                seen.add(binary)
                found.append(self.caps_cache.get(binary))
        return found

    # -- state changes: one door for all --------------------------------------------------------------
    def _set_state(self, obj: DomainObj, state: DomainState, reason: int, *, emit: bool = True) -> None:
        """Change the state, persist the status of a running domain, record the lifecycle event."""
        obj.state, obj.reason = state, int(reason)
        if obj.running is not None and obj.live is not None:
            self._save_status(obj)
        if emit:
            found = event_for(state, int(reason))
            if found is not None:
                self._emit(obj, *found)

    def _emit(self, obj: DomainObj, type_: EventType, detail: int) -> None:
        self.events.emit(LifecycleEvent(obj.name, obj.uuid, obj.id, type_, detail, obj.state, obj.reason))

    def _emit_other(self, event: OtherDomainEvent) -> None:
        """Queue an event of an id beyond lifecycle (virt.domainevents), in order with the lifecycle ones."""
        self.events.emit_other(event)

    def _save_status(self, obj: DomainObj) -> None:
        running, live = obj.running, obj.live
        assert running is not None and live is not None
        live.id = obj.id
        try:
            status = DomainStatus()
            status.state, status.reason, status.pid = obj.state, obj.reason, running.pid
            status.monitor = StatusMonitor()
            status.monitor.path = str(running.monitor_socket)
            status.start_time = repr(running.start_time)
            status.emulator = live.devices.emulator if live.devices is not None else None
            if running.caps_json is None and running.caps is not None:
                running.caps_json = running.caps.to_json()  # once per run: the caps never change
            status.qemu_caps = running.caps_json
            status.domain = live
            self.statuses.save(status)
        finally:
            live.id = None  # the stored definition carries no id; the status shows it while written

    # -- definitions ----------------------------------------------------------------------------------
    def complete(self, domain: Domain) -> Domain:
        """Check and fill in a definition the driver now owns."""
        prepare.check(domain)
        caps = prepare.fill(domain, self.binary_and_caps)
        assert domain.os is not None and domain.os.type is not None and domain.os.type.machine  # fill() set it
        default_cpu = own_default_cpu(caps.machines, domain.os.type.machine)
        postparse.complete(domain, caps.has_device, default_cpu)  # libvirt's implicit devices and addresses
        nvram.fill_path(domain, self.paths.state_dir / "nvram")
        return domain

    # -- start and stop -------------------------------------------------------------------------------
    def _spawn(self, definition: Domain, *, incoming_fd: int | None = None, incoming: str | None = None) -> Running:
        """QEMU started paused for ``definition``, its monitor up (``incoming_fd``: loading a saved state;
        ``incoming``: another ``-incoming`` source, ``defer`` for a live migration's)."""
        assert definition.os is not None and definition.os.type is not None
        emulator = definition.devices.emulator if definition.devices is not None else None
        _, caps = self.binary_and_caps(definition.os.type.arch, emulator)
        nvram.fill_template(definition)  # the running definition names its UEFI variables' template
        display.prepare(definition)
        prepare.for_start(definition)
        taps = self._attach_interfaces(definition)  # the tap names go into the live definition
        try:
            # QEMU opens the files of <disk type='volume'>: the host's storage pools say where they are
            launched = resolve_volume_disks(definition, self.paths.mode)
            return launch(self.paths, launched, caps, taps, incoming_fd=incoming_fd, incoming=incoming)
        except BaseException:
            netif.detach(taps)
            self._release_ports(definition)
            raise

    def _register_started(self, obj: DomainObj, definition: Domain, running: Running) -> None:
        """``running`` becomes ``obj``'s QEMU (held locked): live definition, id, events, devices, and
        the state paused (starting up) until the caller runs it."""
        obj.live, obj.running = definition, running
        obj.id = self.ids.allocate()
        clock = definition.clock
        if clock is not None and clock.offset == "variable":
            running.rtc_adjustment0 = int(clock.adjustment or "0")
        self._watch(obj, running)
        chardevs = self._record_devices(definition, running)
        self._agent_state_at_start(obj, definition, running, chardevs)
        self._set_state(obj, DomainState.PAUSED, PausedReason.STARTING_UP, emit=False)

    def _agent_state_at_start(self, obj: DomainObj, definition: Domain, running: Running, chardevs: Any) -> None:
        """libvirt's qemuProcessRefreshChannelVirtioState at a start: the agent's port as QEMU has it
        (closed, until the guest's agent opens it), announced as an agent lifecycle event."""
        from virt.domainevents import AgentLifecycleEvent, AgentLifecycleReason, AgentLifecycleState
        from virt.driver import DomainRef

        from virt_qemu import agent

        channel = agent.find_channel(definition, running.run_dir)
        if channel is None:
            return
        opened = agent.port_open(chardevs, channel.chardev_id)
        state = AgentLifecycleState.CONNECTED if opened else AgentLifecycleState.DISCONNECTED
        ref = DomainRef(obj.name, obj.uuid, obj.id)
        self._emit_other(AgentLifecycleEvent(ref, state, AgentLifecycleReason.DOMAIN_STARTED))

    def _start(self, obj: DomainObj, definition: Domain, *, paused: bool = False, for_snapshot: bool = False) -> None:
        """Boot ``definition`` as ``obj`` (held locked): QEMU started paused, monitor up, then ``cont``
        (``paused``: START_PAUSED, left "paused (user)" as libvirt leaves it; ``for_snapshot``: left
        paused for a snapshot's state to be loaded, "Started Snapshot" its only event)."""
        running = self._spawn(definition)
        try:
            self._register_started(obj, definition, running)
            assert running.monitor is not None
            affinity.apply(lambda command, arguments=None: self.qmp(obj, command, arguments), running, definition)
            self._balloon_at_start(obj, definition)
            if for_snapshot:
                self._set_state(obj, DomainState.PAUSED, PausedReason.FROM_SNAPSHOT, emit=False)
                self._emit(obj, EventType.STARTED, StartedDetail.FROM_SNAPSHOT)
                return
            if paused:
                self._set_state(obj, DomainState.PAUSED, PausedReason.USER, emit=False)
                self._emit(obj, EventType.STARTED, StartedDetail.BOOTED)
                self._emit(obj, EventType.SUSPENDED, SuspendedDetail.PAUSED)
                return
            running.monitor.execute("cont", timeout=QMP_TIMEOUT)
        except BaseException as exc:
            self._discard(obj, running)
            if isinstance(exc, VirtError):
                raise errors.internal(f"QEMU started but its processors could not be resumed: {exc.message}") from exc
            raise
        # libvirt reports the ``cont`` of a start as "Resumed Unpaused", then "Started Booted"
        self._emit(obj, EventType.RESUMED, ResumedDetail.UNPAUSED)
        self._set_state(obj, DomainState.RUNNING, RunningReason.BOOTED)

    def _attach_interfaces(self, definition: Domain) -> list[str]:
        """The bridges of the network interfaces (from the host network service) and, as root, a tap
        on its bridge for every bridged interface, written into ``definition``; the taps."""
        from virt.localstate.networks import allocate_ports, bridge_of_network, release_ports

        netif.resolve_networks(definition, lambda name: bridge_of_network(self.paths.mode, name))
        allocate_ports(self.paths.mode, definition)  # network ports: net-port-list shows the guest's
        try:
            return netif.attach(definition)
        except BaseException:
            release_ports(self.paths.mode, definition)
            raise

    def _release_ports(self, definition: Domain | None) -> None:
        """Give the stopped guest's network ports back (a failure is logged: the guest is gone anyway)."""
        from virt.localstate.networks import release_ports

        try:
            release_ports(self.paths.mode, definition)
        except Exception as exc:  # noqa: BLE001 - stopping never fails on a port
            log.warning("cannot release the network ports of %s: %s", definition.name if definition else "?", exc)

    def _balloon_at_start(self, obj: DomainObj, definition: Domain) -> None:
        """libvirt's qemuProcessSetupBalloon: the guest's statistics polled every <stats period> seconds
        (a balloon that cannot poll is started all the same), and a guest defined with less than its
        maximum gets that balloon target."""
        from virt_qemu import balloon
        from virt_qemu.stats import facts_of, has_balloon

        maximum, current = definition.memory or 0, definition.current_memory
        devices = definition.devices
        memballoon = devices.memballoon if devices is not None else None
        if memballoon is not None and memballoon.period and has_balloon(definition) and obj.running is not None:
            execute = functools.partial(self.qmp, obj)
            balloon.set_polling(execute, facts_of(obj.running), memballoon, memballoon.period)
        if has_balloon(definition) and current is not None and current != maximum:
            self.qmp(obj, "balloon", {"value": current * 1024})

    @staticmethod
    def _record_devices(definition: Domain, running: Running) -> Any:
        """What QEMU decided at start, into the live definition: consoles' ptys, displays' ports;
        ``query-chardev``'s answer."""
        monitor = running.monitor
        assert monitor is not None
        chardevs = monitor.execute("query-chardev", timeout=QMP_TIMEOUT)
        consoles.record_ptys(definition, chardevs)
        display.after_launch(definition, functools.partial(monitor.execute, timeout=QMP_TIMEOUT))
        memdevices.record_bases(definition, functools.partial(monitor.execute, timeout=QMP_TIMEOUT))
        return chardevs

    def definition(self, ref: DomainRef, *, inactive: bool) -> Domain:
        """``DomainTable.definition``, with the real ports of autoport displays in the live one."""
        with self.locked(ref) as obj:
            live, running = obj.live, obj.running
            monitored = obj.active and running is not None and running.monitor is not None
            if monitored and live is not None and display.ports_unknown(live):
                # taken back from a status file, whose parsing forgot them
                assert running is not None
                with contextlib.suppress(VirtError):
                    display.after_launch(live, self._query_only(running))
            return super().definition(ref, inactive=inactive)

    @staticmethod
    def _query_only(running: Running) -> display.Qmp:
        monitor = running.monitor
        assert monitor is not None

        def query(command: str, arguments: dict[str, Any] | None = None) -> Any:
            if command.startswith("query-"):
                return monitor.execute(command, arguments, timeout=QMP_TIMEOUT)
            return None  # the passwords were set when it started

        return query

    def _discard(self, obj: DomainObj, running: Running) -> None:
        """Undo a start that failed after QEMU was spawned: kill it, forget everything it left."""
        from virt_qemu import process

        running.destroying = True
        if running.monitor is not None:
            running.monitor.close()
        process.kill(running.pid, running.popen)
        self._cleanup_files(obj.name, running)
        netif.detach(netif.taps_of(obj.live))
        self._release_ports(obj.live)
        obj.running = None
        obj.live = None
        obj.id = -1
        obj.state, obj.reason = DomainState.SHUTOFF, ShutoffReason.FAILED

    def _cleanup_files(self, name: str, running: Running | None) -> None:
        self.statuses.delete(name)
        if running is not None:
            shutil.rmtree(running.run_dir, ignore_errors=True)

    def _stopped(self, obj: DomainObj, reason: ShutoffReason) -> None:
        """QEMU is gone: shut ``obj`` off; a transient domain disappears. Holds ``obj.lock``."""
        running = obj.running
        if running is not None and running.monitor is not None:
            monitor, running.monitor = running.monitor, None
            monitor.close()
        obj.running = None
        self._cleanup_files(obj.name, running)
        netif.detach(netif.taps_of(obj.live))
        self._release_ports(obj.live)
        if reason == ShutoffReason.CRASHED and running is not None and not running.destroying:
            # QEMU went away by itself without a SHUTDOWN (killed, or it died): libvirt's
            # processMonitorEOFEvent leaves the domain shut off *crashed* but emits STOPPED
            # *failed*; STOPPED *crashed* is for a guest panic the driver acted on (destroying).
            self._set_state(obj, DomainState.SHUTOFF, reason, emit=False)
            self._emit(obj, EventType.STOPPED, StoppedDetail.FAILED)
        else:
            self._set_state(obj, DomainState.SHUTOFF, reason)  # event carries the id it had
        if obj.config is None:
            self._remove(obj)  # while it still has a definition to be named by
        obj.live = None
        obj.id = -1
        obj.broken = None

    def _kill_and_stop(self, obj: DomainObj, reason: ShutoffReason) -> None:
        from virt_qemu import process

        running = obj.running
        assert running is not None
        running.destroying = True
        ended_by = process.kill(running.pid, running.popen)
        if reason == ShutoffReason.DESTROYED and ended_by == signal.SIGTERM and not running.got_shutdown:
            # QEMU answers SIGTERM with a SHUTDOWN event (guest false, host-signal) before it
            # exits, which libvirt reports as "Shutdown Finished after host request"; the event
            # itself races with the exit, so the signal that sufficed stands for it.
            self._set_state(obj, DomainState.SHUTDOWN, ShutdownReason.USER, emit=False)
            self._emit(obj, EventType.SHUTDOWN, ShutdownDetail.HOST)
        self._stopped(obj, reason)

    def destroy(self, ref: DomainRef) -> None:
        with self.locked(ref) as obj:
            if not obj.active:
                raise errors.not_running()
            # Works on a domain whose status lacks its caps too: killing a verified pid needs none.
            self._kill_and_stop(obj, ShutoffReason.DESTROYED)

    # -- operations through the monitor ---------------------------------------------------------------
    def _usable(self, obj: DomainObj) -> Running:
        """The running QEMU of an active domain whose monitor the driver may use."""
        if not obj.active or obj.running is None:
            raise errors.not_running()
        if obj.broken is not None:
            raise errors.operation_failed(obj.broken)
        if obj.running.monitor is None:
            raise errors.operation_failed(f"domain '{obj.name}' has no monitor connection")
        return obj.running

    def qmp(self, obj: DomainObj, command: str, arguments: dict[str, Any] | None = None) -> Any:
        running = self._usable(obj)
        assert running.monitor is not None
        return running.monitor.execute(command, arguments, timeout=QMP_TIMEOUT)

    def shutdown(self, ref: DomainRef, mode: ShutdownMode = ShutdownMode.DEFAULT) -> None:
        """Ask the guest to power off: through its agent, the ACPI power button, or the one, failing, the other.

        libvirt's qemuDomainShutdownFlags: with ``on_poweroff`` restart the guest is asked to reboot.
        """
        self._power(ref, mode, reboot=False)

    def reboot(self, ref: DomainRef, mode: ShutdownMode = ShutdownMode.DEFAULT) -> None:
        """Ask the guest to reboot: through its agent, or libvirt's ACPI reboot (power the guest down
        and, when it does, reset and resume it: the "fake reboot").

        With ``on_reboot`` destroy the reboot is a shutdown (libvirt does the same).
        """
        self._power(ref, mode, reboot=True)

    def _power(self, ref: DomainRef, mode: ShutdownMode, *, reboot: bool) -> None:
        """libvirt's rules for shutdown and reboot modes.

        The agent is used when asked (GUEST_AGENT), or with no mode given when the guest's agent has
        its port open. When it fails, the ACPI button is pressed instead if the mode allows it (no
        mode, or ACPI_POWER_BTN too); GUEST_AGENT alone reports the agent's error.
        """
        from virt_qemu import agent

        function = "qemuDomainReboot" if reboot else "qemuDomainShutdownFlags"
        unsupported = mode & ~(ShutdownMode.ACPI_POWER_BTN | ShutdownMode.GUEST_AGENT)
        if unsupported:
            # virCheckFlags' words: initctl, signal and paravirt are other drivers' (LXC, Xen) modes
            raise errors.error(
                ErrorNumber.INVALID_ARG,
                f"unsupported flags (0x{int(unsupported):x}) in function {function}",
                ErrorDomain.DOMAIN,
            )
        agent_requested = bool(mode & ShutdownMode.GUEST_AGENT)
        acpi_allowed = mode == ShutdownMode.DEFAULT or bool(mode & ShutdownMode.ACPI_POWER_BTN)
        with self.locked(ref) as obj:
            running = self._usable(obj)
            if reboot:
                restart = obj.current.on_reboot not in ("destroy", "preserve")
            else:
                restart = obj.current.on_poweroff in RESTART_ACTIONS
            channel = agent.find_channel(obj.current, running.run_dir)
            path: Path | None = None
            if agent_requested or (mode == ShutdownMode.DEFAULT and channel is not None):
                try:
                    path = self._agent_socket(obj, channel, reboot=reboot)
                except VirtError:
                    if agent_requested and not acpi_allowed:
                        raise
                    # no mode given: an agent that is not there is simply not used (libvirt's priv->agent)
            if path is None:
                self._acpi_power(obj, reboot=reboot, restart=restart)
                return
            running.fake_reboot = False  # the guest reboots by itself: nothing for the driver to reset
            seen = running.power_events
        # The domain's lock is let go while the agent is waited for: QEMU's events (the guest
        # powering off) are handled under it, and another API call may destroy the domain meanwhile.
        try:
            self._agent_shutdown(running, path, "reboot" if restart else "powerdown", seen)
            return
        except VirtError as exc:
            if not acpi_allowed:
                raise
            log.info("domain %s: the guest agent failed (%s); pressing the ACPI power button", obj.name, exc)
        with self.locked(ref) as obj:
            if not reboot and (not obj.active or obj.running is not running):
                return  # it went away by itself meanwhile: done (libvirt checks the same)
            self._acpi_power(obj, reboot=reboot, restart=restart)

    def _acpi_power(self, obj: DomainObj, *, reboot: bool, restart: bool) -> None:
        """The monitor way (libvirt's qemuDomainShutdownFlagsMonitor/qemuDomainRebootMonitor). Holds ``obj.lock``."""
        running = self._usable(obj)
        if not reboot and obj.state != DomainState.RUNNING:
            raise errors.error(ErrorNumber.OPERATION_INVALID, "domain is not running")
        running.fake_reboot = restart
        self.qmp(obj, "system_powerdown")

    def _agent_socket(self, obj: DomainObj, channel: agent_module.AgentChannel | None, *, reboot: bool) -> Path:
        """The agent's socket, once the guest may be asked through it (libvirt's qemuDomainAgentAvailable).

        Whether the guest's agent has its port open is asked of QEMU now (``query-chardev``), where
        libvirt follows VSERPORT_CHANGE events. Holds ``obj.lock``.
        """
        from virt_qemu import agent
        from virt_qemu.monitor import QMPError

        if not reboot and obj.state != DomainState.RUNNING:
            raise errors.error(ErrorNumber.OPERATION_INVALID, "domain is not running")
        if channel is None:
            raise agent.not_configured()
        if channel.socket_path is None:
            raise errors.internal(f"unable to handle agent type: {channel.kind}")
        try:
            chardevs = self.qmp(obj, "query-chardev")
        except QMPError as exc:
            raise agent.agent_error(ErrorNumber.AGENT_UNRESPONSIVE, f"cannot query the agent's port: {exc}") from exc
        if not agent.port_open(chardevs, channel.chardev_id):
            raise agent.not_connected()
        return channel.socket_path

    @staticmethod
    def _agent_shutdown(running: Running, path: Path, mode: str, seen: int) -> None:
        """``guest-shutdown`` through the agent, bounded in time; called without the domain's lock."""
        from virt_qemu import agent

        with agent.held(running, path, agent.COMMAND_TIMEOUT) as conversation:
            conversation.shutdown(mode, went_down=lambda: running.power_events != seen)

    def reset(self, ref: DomainRef) -> None:
        with self.locked(ref) as obj:
            self.qmp(obj, "system_reset")

    def suspend(self, ref: DomainRef) -> None:
        with self.locked(ref) as obj:
            self._usable(obj)
            if obj.state == DomainState.PAUSED:
                return  # libvirt: suspending a paused domain is not an error
            if obj.state not in (DomainState.RUNNING, DomainState.BLOCKED):
                raise errors.error(ErrorNumber.OPERATION_INVALID, f"domain is {obj.state.label}")
            self.qmp(obj, "stop")
            self._set_state(obj, DomainState.PAUSED, PausedReason.USER)

    def resume(self, ref: DomainRef) -> None:
        with self.locked(ref) as obj:
            self._usable(obj)
            if obj.state == DomainState.PMSUSPENDED:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "domain is pmsuspended")
            if obj.state not in (DomainState.PAUSED, DomainState.CRASHED):
                return  # resuming a running domain does nothing, as in libvirt
            self.qmp(obj, "cont")
            self._set_state(obj, DomainState.RUNNING, RunningReason.UNPAUSED)

    def info(self, ref: DomainRef) -> DomainInfo:
        from virt_qemu import process
        from virt_qemu.monitor import QMPError

        with self.locked(ref) as obj:
            definition = obj.current
            maximum = definition.memory or 0
            current = definition.current_memory or maximum
            vcpu = definition.vcpu
            vcpus = (vcpu.current or vcpu.count or 1) if vcpu is not None else 1
            cpu_time = 0
            running = obj.running
            if obj.active and running is not None:
                cpu_time = process.cpu_time_ns(running.pid)
                if running.monitor is not None and obj.broken is None:
                    with contextlib.suppress(QMPError):
                        balloon = running.monitor.execute("query-balloon", timeout=5.0)
                        current = int(balloon["actual"]) // 1024
            return DomainInfo(obj.state, maximum, current, vcpus, cpu_time)

    # -- taking running guests back -----------------------------------------------------------------
    def _reconnect_all(self) -> None:
        """Take back every guest of the status files: examined in parallel, settled in file order."""
        from virt_qemu.reconnect import reconnect_all, settle

        readable = [(str(file), status) for file, status in self.statuses.readable(self.unreadable_status)]
        results = reconnect_all(self, [status for _, status in readable])
        # the ids the running guests keep, known before any guest lacking one gets a new one
        kept = [
            r.status.domain.id
            for r in results
            if not isinstance(r, Exception) and r.running is not None and r.status.domain is not None
        ]
        if any(i is not None and i > 0 for i in kept):
            self.ids.seen(max(i for i in kept if i is not None))
        for (path, _), result in zip(readable, results, strict=True):
            try:
                if isinstance(result, Exception):
                    raise result
                settle(self, result)
            except Exception as exc:
                self.unreadable_status[path] = str(exc)
                log.error("cannot take back the domain of %s (left in place)", path, exc_info=exc)

    def adopt(
        self,
        obj: DomainObj,
        running: Running,
        state: DomainState,
        reason: int,
        *,
        watch: bool = True,
        save: bool = True,
    ) -> None:
        """Register a running domain found in a status file (reconnect's last step).

        ``watch``: route its monitor's events now (False when the caller already does);
        ``save``: rewrite its status file (False when it already says all this).
        """
        if obj.uuid not in self.domains:
            self._add(obj)
        self.ids.seen(obj.id)
        if watch and running.monitor is not None:
            self._watch(obj, running)
        obj.state, obj.reason = state, reason
        if obj.broken is None and save:
            self._save_status(obj)

    def crashed_meanwhile(self, obj: DomainObj, name: str, run_dir: Any) -> None:
        """A status file's QEMU died while nobody owned the driver: shut off (crashed), files gone."""
        self.statuses.delete(name)
        shutil.rmtree(run_dir, ignore_errors=True)
        if obj.config is not None:
            obj.state, obj.reason = DomainState.SHUTOFF, ShutoffReason.CRASHED
            self._emit(obj, EventType.STOPPED, StoppedDetail.CRASHED)


# -- one instance per process and folders ------------------------------------------------------------
_registry: Instances[DriverPaths, QemuDriver] = Instances(QemuDriver, lambda driver: driver.paths)
_instances = _registry.table
acquire = _registry.acquire
release = _registry.release
