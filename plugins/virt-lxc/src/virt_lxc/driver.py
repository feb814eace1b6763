"""One LXC driver instance: the owner of a state folder, its containers and their controllers.

A process has at most one instance per folders, shared by its connections and released when the
last one closes; across processes an exclusive ``flock`` on ``paths.lock_file`` keeps a second
owner out, naming the holder's pid. Containers never depend on the instance: their controllers
outlive it, and the next owner takes them back from their status files (``reconnect``).

Threads: API calls run in the caller's thread under the domain's ``lock``; the ``Watcher``
thread learns when a container's init ends and settles it under the same lock; lifecycle events
are delivered by the event hub's own thread. Order: domain lock, then table lock.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.events import (
    DomainEvent,
    DomainEventHub,
    DomainEventType,
    StoppedDetail,
    event_for_state,
)
from virt.info import DomainInfo
from virt.localstate import ownerlock
from virt.localstate.definitions import DefinitionStore
from virt.localstate.domains import DomainLifecycle, copy_definition
from virt.localstate.instances import Instances
from virt.states import DomainState, PausedReason, RunningReason, ShutdownMode, ShutoffReason

from virt_lxc import cglayout, errors, netdev, prepare, process, protocol
from virt_lxc.cgroups import ContainerCgroup
from virt_lxc.hosterror import HostError
from virt_lxc.launch import LaunchError, Plan, launch
from virt_lxc.runtime import DomainObj, Running
from virt_lxc.status import DomainStatus, StatusStore
from virt_lxc.watcher import Watcher

if TYPE_CHECKING:
    from pathlib import Path

    from virt.driver import DomainRef
    from virt.xml import Domain

    from virt_lxc.paths import DriverPaths
    from virt_lxc.spec import ContainerSpec

log = logging.getLogger(__name__)

STOP_TIMEOUT = 10.0
"""How long destroy waits for the controller to clean up and exit before killing it."""


def acquire_owner_lock(paths: DriverPaths) -> int:
    """The open, locked ``paths.lock_file`` holding our pid; VirtError naming the holder otherwise."""
    return ownerlock.acquire(
        paths.lock_file,
        lambda holder: errors.error(
            ErrorNumber.RESOURCE_BUSY,
            f"the LXC driver state in {paths.run_dir} is owned by another process (pid {holder}); "
            "only one process at a time may manage lxc:///",
        ),
    )


class LxcDriver(DomainLifecycle[DomainObj]):
    """Everything one owner of an LXC state folder knows and does (define, undefine, create, start
    and autostart are ``DomainLifecycle``'s, over ``complete``, ``_start`` and ``_emit``)."""

    noun = "container"

    def __init__(self, paths: DriverPaths) -> None:
        paths.create()
        self.paths = paths
        self._lock_fd: int | None = acquire_owner_lock(paths)
        DomainLifecycle.__init__(self, DomainObj, ErrorDomain.LXC)
        self.definitions = DefinitionStore(paths)
        self.statuses = StatusStore(paths)
        self.events = DomainEventHub(threaded=True, name="virt-lxc domain events")
        self.layout = cglayout.detect()
        self.unreadable_status: dict[str, str] = {}
        """Status files that could not be read, by path: left alone (a container may run)."""
        self._reserved_veths: set[str] = set()
        self._veth_lock = threading.Lock()
        self.watcher = Watcher(self._ended)
        try:
            self.load_definitions()
            from virt_lxc.reconnect import reconnect_all

            reconnect_all(self)
            self._autostart_once(self.paths.run_dir / "autostarted")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Let go of the watch connections and the lock; every container keeps running."""
        self.watcher.close()
        self.events.close()
        if self._lock_fd is not None:
            fd, self._lock_fd = self._lock_fd, None
            ownerlock.release(fd)

    def init_of(self, name: str) -> int | None:
        """The init pid of the running container called ``name`` (for ``<lxc:namespace>``)."""
        obj = self.by_name(name)
        running = obj.running if obj is not None else None
        return running.init_pid if running is not None else None

    # -- state changes: one door for all ----------------------------------------------------------
    def set_state(self, obj: DomainObj, state: DomainState, reason: int, *, emit: bool = True) -> None:
        """Change the state, persist a running container's status, queue the lifecycle event."""
        obj.state, obj.reason = state, int(reason)
        if obj.running is not None and obj.live is not None:
            self.save_status(obj)
        if emit:
            found = event_for_state(state, int(reason))
            if found is not None:
                self._emit(obj, *found)

    def _emit(self, obj: DomainObj, type_: DomainEventType, detail: int) -> None:
        from virt.driver import DomainRef

        self.events.queue(DomainEvent(DomainRef(obj.name, obj.uuid, obj.id), type_, detail))

    def save_status(self, obj: DomainObj) -> None:
        running, live = obj.running, obj.live
        assert running is not None and live is not None
        status = DomainStatus()
        status.state, status.reason = obj.state, obj.reason
        status.pid, status.init = running.controller_pid, running.init_pid
        status.socket = str(running.socket_path)
        status.start_time = repr(running.start_time)
        status.cgroups = running.cgroup.to_text()
        status.veths = list(running.veths)
        live.id = obj.id
        try:
            status.domain = live
            self.statuses.save(status)
        finally:
            live.id = None

    # -- definitions --------------------------------------------------------------------------------
    def complete(self, definition: Domain) -> object:
        """Check and fill in a definition the driver now owns."""
        return prepare.complete(definition)

    # -- start -------------------------------------------------------------------------------------
    def _start(self, obj: DomainObj, definition: Domain) -> None:
        """Start ``definition`` as ``obj`` (held locked); on any failure nothing of it is left."""
        from virt.localstate.networks import allocate_ports

        from virt_lxc.parse import container_spec

        spec = container_spec(definition)
        socket_path = self.paths.socket_path(spec.name)
        prepare.check_host(spec, socket_path)
        shared = prepare.shared_namespaces(spec, self.init_of)
        bridges = prepare.bridges(spec)
        exit_file = self.paths.exit_file(spec.name)
        with contextlib.suppress(FileNotFoundError):
            exit_file.unlink()  # a record of an earlier run
        cgroup = ContainerCgroup.plan(self.layout, self.paths.partition, spec.name)
        self._clear_stale_cgroup(cgroup, spec.name)
        host_names: list[str] = []
        made = False
        try:
            allocate_ports("system", definition)  # network ports (net-port-list shows the container's)
            cgroup.create()
            made = True
            cgroup.apply(spec.resources)
            host_names = self._reserve_veths(spec)
            plan = Plan(
                spec=spec,
                cgroup=cgroup,
                socket_path=socket_path,
                log_file=self.paths.log_file(spec.name),
                exit_file=exit_file,
                host_names=tuple(host_names),
                bridges=bridges,
                shared=shared,
            )
            launched = launch(plan)
        except BaseException as exc:
            controller = exc.controller_pid if isinstance(exc, LaunchError) else None
            self._undo_start(cgroup if made else None, host_names, controller, socket_path)
            _release_ports(definition)
            if isinstance(exc, HostError):
                raise errors.from_host(exc) from None
            if isinstance(exc, LaunchError):
                raise errors.operation_failed(f"container '{spec.name}' did not start: {exc.message}") from None
            raise
        finally:
            self._release_veths(host_names)
        running = Running(
            controller_pid=launched.controller_pid,
            init_pid=launched.init_pid,
            socket_path=socket_path,
            cgroup=cgroup,
            veths=tuple(host_names),
            start_time=time.time(),
        )
        _fill_live(definition, host_names)
        obj.live, obj.running, obj.id = definition, running, launched.controller_pid
        self.set_state(obj, DomainState.RUNNING, RunningReason.BOOTED)
        self.watch(obj, running)

    def _reserve_veths(self, spec: ContainerSpec) -> list[str]:
        if not spec.interfaces:
            return []
        with self._veth_lock:
            try:
                names = netdev.host_names(spec.interfaces, self._reserved_veths)
            except HostError as exc:
                raise errors.from_host(exc) from None
            self._reserved_veths.update(names)
        return names

    def _release_veths(self, names: list[str]) -> None:
        with self._veth_lock:
            self._reserved_veths.difference_update(names)

    def _clear_stale_cgroup(self, cgroup: ContainerCgroup, name: str) -> None:
        """A cgroup of this name left by a container nobody manages: empty, it goes; busy, start is refused."""
        if not cgroup.exists():
            return
        try:
            if cgroup.procs():
                raise errors.operation_failed(
                    f"the cgroups of container '{name}' still hold processes {sorted(cgroup.procs())}: "
                    "a container of that name runs outside this driver"
                )
            cgroup.remove()
        except HostError as exc:
            raise errors.from_host(exc) from None

    def _undo_start(
        self, cgroup: ContainerCgroup | None, veths: list[str], controller: int | None, socket_path: Path
    ) -> None:
        """What a failed start made goes: its processes, cgroups, veths and the controller's socket."""
        try:
            if cgroup is not None:
                cgroup.kill_all()
            if controller is not None and not process.wait_gone(controller, STOP_TIMEOUT):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(controller, signal.SIGKILL)
                process.wait_gone(controller, STOP_TIMEOUT)
            if cgroup is not None:
                cgroup.remove()
        except HostError as exc:
            log.error("cleaning up after a failed start: %s", exc.message)
        netdev.delete_links(veths)
        with contextlib.suppress(FileNotFoundError):
            socket_path.unlink()

    # -- watching and the end of a container ------------------------------------------------------
    def watch(self, obj: DomainObj, running: Running) -> None:
        """Follow the controller's watch connection; a controller already gone is settled now."""
        import socket

        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        try:
            sock.settimeout(5.0)
            sock.connect(str(running.socket_path))
            sock.sendall(protocol.encode({"op": "watch"}))
        except OSError:
            sock.close()
            self.ended_now(obj, running, None)
            return
        running.watch = sock
        self.watcher.watch(sock, (obj, running))

    def _ended(self, key: Any, status: int | None) -> None:
        """The watcher's callback: the controller said init ended (``status``) or went away (None)."""
        obj, running = key
        with obj.lock:
            self.ended_now(obj, running, status)

    def ended_now(self, obj: DomainObj, running: Running, status: int | None, *, gone: bool = False) -> None:
        """Settle a container whose init ended; holds ``obj.lock``. A stale report is ignored.

        ``status`` None: the controller hung up without saying; ``gone``: it is known to be gone."""
        if obj.running is not running:
            return
        running.watch = None
        if status is None:
            status = self._recorded_exit(obj.name, obj.uuid, running, wait=not gone)
        if status is None:
            log.warning(
                "container %s: its controller (pid %d) is gone: shut off (crashed)", obj.name, running.controller_pid
            )
            self.stopped(obj, ShutoffReason.CRASHED, StoppedDetail.FAILED)
            return
        signalled = os.WIFSIGNALED(status)
        rebooted = (signalled and os.WTERMSIG(status) == signal.SIGHUP) or running.stopping == "reboot"
        if rebooted and obj.current.on_reboot != "destroy":
            self._restart(obj)
            return
        clean = (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0) or (
            signalled and os.WTERMSIG(status) in (signal.SIGINT, signal.SIGHUP)
        )
        if running.stopping in ("shutdown", "reboot") or clean:
            self.stopped(obj, ShutoffReason.SHUTDOWN)
        else:
            log.warning("container %s: init ended with wait status %d", obj.name, status)
            self.stopped(obj, ShutoffReason.FAILED)

    def _recorded_exit(self, name: str, running_uuid: uuid.UUID, running: Running, *, wait: bool) -> int | None:
        """The wait status the controller wrote on its way out, when it got that far."""
        import json

        if wait and not process.wait_controller_gone(
            running.controller_pid, str(running_uuid), running.init_pid, STOP_TIMEOUT
        ):
            return None
        try:
            record = json.loads(self.paths.exit_file(name).read_text())
        except (OSError, ValueError):
            return None
        status = record.get("status") if isinstance(record, dict) else None
        return status if isinstance(status, int) and record.get("init") == running.init_pid else None

    def _restart(self, obj: DomainObj) -> None:
        """on_reboot restart: the container stops and starts again from the definition it ran."""
        live = obj.live
        assert live is not None
        self.stopped(obj, ShutoffReason.SHUTDOWN, emit=False, keep=True)
        try:
            self._start(obj, copy_definition(obj.config) if obj.config is not None else live)
        except VirtError as exc:
            log.error("container %s did not start again after its reboot: %s", obj.name, exc.message)
            if obj.config is None:
                self._remove(obj)
            self._emit(obj, DomainEventType.STOPPED, StoppedDetail.FAILED)

    def stopped(
        self,
        obj: DomainObj,
        reason: ShutoffReason,
        detail: StoppedDetail | None = None,
        *,
        emit: bool = True,
        keep: bool = False,
    ) -> None:
        """The container is gone: its leftovers are cleaned, its state is shut off; holds ``obj.lock``.

        ``keep``: a transient domain stays in the table (it is about to start again)."""
        running = obj.running
        assert running is not None
        if running.watch is not None:
            self.watcher.forget(running.watch)
            running.watch = None
        try:
            if running.cgroup.exists():
                running.cgroup.kill_all()
                running.cgroup.remove()
        except HostError as exc:
            log.error("container %s: %s", obj.name, exc.message)
        netdev.delete_links(list(running.veths))
        self.statuses.delete(obj.name)
        for path in (self.paths.exit_file(obj.name), running.socket_path):
            with contextlib.suppress(OSError):
                path.unlink()
        process.wait_controller_gone(
            running.controller_pid, str(obj.uuid), running.init_pid, STOP_TIMEOUT
        )  # on its way out
        obj.running = None
        self.set_state(obj, DomainState.SHUTOFF, reason, emit=emit and detail is None)
        if emit and detail is not None:
            self._emit(obj, DomainEventType.STOPPED, detail)
        if obj.config is None and not keep:
            self._remove(obj)
        _release_ports(obj.live)
        obj.live = None
        obj.id = -1

    # -- lifecycle ---------------------------------------------------------------------------------
    def _running(self, obj: DomainObj) -> Running:
        if not obj.active or obj.running is None:
            raise errors.not_running()
        return obj.running

    def destroy(self, ref: DomainRef) -> None:
        with self.locked(ref) as obj:
            running = self._running(obj)
            running.stopping = "destroy"
            if running.watch is not None:
                self.watcher.forget(running.watch)
                running.watch = None
            try:
                running.cgroup.kill_all(STOP_TIMEOUT)
            except HostError as exc:
                raise errors.from_host(exc) from None
            if not process.wait_controller_gone(running.controller_pid, str(obj.uuid), running.init_pid, STOP_TIMEOUT):
                log.error("container %s: its controller did not exit; killing it", obj.name)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(running.controller_pid, signal.SIGKILL)
                process.wait_gone(running.controller_pid, STOP_TIMEOUT)
            self.stopped(obj, ShutoffReason.DESTROYED)

    def shutdown(self, ref: DomainRef, mode: ShutdownMode = ShutdownMode.DEFAULT) -> None:
        """Ask init to end: the initctl FIFO (runlevel 0) or SIGTERM (libvirt's lxcDomainShutdownFlags)."""
        self._ask(ref, mode, reboot=False)

    def reboot(self, ref: DomainRef, mode: ShutdownMode = ShutdownMode.DEFAULT) -> None:
        """Ask init to reboot: the initctl FIFO (runlevel 6) or SIGHUP; the container then starts again."""
        self._ask(ref, mode, reboot=True)

    def _ask(self, ref: DomainRef, mode: ShutdownMode, *, reboot: bool) -> None:
        from virt_lxc import initctl

        function = "lxcDomainReboot" if reboot else "lxcDomainShutdownFlags"
        unsupported = mode & ~(ShutdownMode.INITCTL | ShutdownMode.SIGNAL)
        if unsupported:
            raise errors.error(
                ErrorNumber.INVALID_ARG,
                f"unsupported flags (0x{int(unsupported):x}) in function {function}",
                ErrorDomain.DOMAIN,
            )
        use_initctl = mode == ShutdownMode.DEFAULT or bool(mode & ShutdownMode.INITCTL)
        use_signal = mode == ShutdownMode.DEFAULT or bool(mode & ShutdownMode.SIGNAL)
        with self.locked(ref) as obj:
            running = self._running(obj)
            fifo = initctl.fifo(running.init_pid) if use_initctl else None
            running.stopping = "reboot" if reboot else "shutdown"
            if fifo is not None:
                try:
                    initctl.send_runlevel(fifo, "6" if reboot else "0")
                    return
                except OSError as exc:
                    if not use_signal:
                        raise errors.operation_failed(
                            f"cannot write to the container's {fifo}: {exc.strerror}"
                        ) from exc
            elif not use_signal:
                raise errors.error(ErrorNumber.OPERATION_UNSUPPORTED, "Container does not provide an initctl pipe")
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile: the watcher settles it
                initctl.signal_init(running.init_pid, reboot)

    def suspend(self, ref: DomainRef) -> None:
        with self.locked(ref) as obj:
            running = self._running(obj)
            if obj.state == DomainState.PAUSED:
                return
            try:
                running.cgroup.freeze()
            except HostError as exc:
                raise errors.from_host(exc) from None
            self.set_state(obj, DomainState.PAUSED, PausedReason.USER)

    def resume(self, ref: DomainRef) -> None:
        with self.locked(ref) as obj:
            running = self._running(obj)
            if obj.state != DomainState.PAUSED:
                raise errors.invalid("domain is not paused")
            try:
                running.cgroup.thaw()
            except HostError as exc:
                raise errors.from_host(exc) from None
            self.set_state(obj, DomainState.RUNNING, RunningReason.UNPAUSED)

    def info(self, ref: DomainRef) -> DomainInfo:
        with self.locked(ref) as obj:
            definition = obj.current
            maximum = definition.memory or 0
            vcpus = (definition.vcpu.count or 1) if definition.vcpu is not None else 1
            running = obj.running
            if running is None:
                return DomainInfo(obj.state, maximum, definition.current_memory or maximum, vcpus, 0)
            try:
                used = running.cgroup.memory_bytes() // 1024
                cpu = running.cgroup.cpu_time_ns()
            except HostError as exc:
                raise errors.from_host(exc) from None
            return DomainInfo(obj.state, maximum, used, vcpus, cpu)


def _fill_live(definition: Domain, host_names: list[str]) -> None:
    """The live definition names each interface's host end, as libvirt's does (``<target dev>``)."""
    from virt.xml.devices import InterfaceTarget

    if definition.devices is None:
        return
    for interface, name in zip(definition.devices.interfaces, host_names, strict=True):
        if interface.target is None:
            interface.target = InterfaceTarget()
        interface.target.dev = name


# -- one instance per process and folders ----------------------------------------------------------------
_registry: Instances[DriverPaths, LxcDriver] = Instances(LxcDriver, lambda driver: driver.paths)
_instances = _registry.table
acquire = _registry.acquire
release = _registry.release


def _release_ports(definition: Domain | None) -> None:
    """Give a stopped container's network ports back (logged on failure: it is stopped anyway)."""
    from virt.localstate.networks import release_ports

    try:
        release_ports("system", definition)  # lxc:/// is the system's containers
    except Exception as exc:  # noqa: BLE001 - stopping never fails on a port
        log.warning("cannot release the network ports of %s: %s", definition.name if definition else "?", exc)
