"""One bhyve driver instance: the owner of one host's definitions and status files.

A guest is a bhyve process on the bhyve host (libvirt's domain id is its pid) and a virtual
machine in the host's kernel (``/dev/vmm/NAME``). Start runs the loader (bhyveload, grub-bhyve,
none for UEFI firmware), then bhyve in the background under a shell that records the exit status
bhyve ends with (the reason the guest ended: 0 reboot, 1 power-off, 2 halt, 3 triple fault, 4 an
error, as bhyve(8) documents them); each tap device is made with ``ifconfig`` and put on its bridge
first. Shutdown is SIGTERM (bhyve presses the ACPI power button), destroy ``bhyvectl --destroy``;
after either, the stop libvirt's bhyve driver makes: the VM destroyed, the taps taken off their
bridges and destroyed, the status gone.

The processes are the host's and outlive this instance: a new owner takes them back from its
status files (pid alive, with bhyve's process title ``bhyve: NAME``), and follows them by reading
the host's processes before answering about states (``fresh``), or, once someone listens for
events, every ``POLL`` seconds from a thread (``follow``), as libvirt's bhyve monitor watches the pid.

Threads: API calls run in the caller's thread under the domain's ``lock``; the poll thread settles
changes under the same lock; lifecycle events are delivered by the event hub's thread.
"""

from __future__ import annotations

import logging
import re
import shlex
import shutil
import threading
import time
from typing import TYPE_CHECKING

import attrs
from virt.errors import ErrorDomain, ErrorNumber
from virt.events import DomainEventHub, DomainEventType, StartedDetail, StoppedDetail
from virt.info import DomainInfo
from virt.localstate import ownerlock
from virt.localstate.definitions import DefinitionStore
from virt.localstate.domains import DomainLifecycle, HubStateChanges, LocalDomain
from virt.localstate.instances import InstancesByUri
from virt.states import DomainState, RunningReason, ShutdownMode, ShutoffReason

from virt_bhyve import errors
from virt_bhyve.host import dev_path, door, vmm_path
from virt_bhyve.status import DomainStatus, StatusStore

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.remote.commandhost import CommandHost, Result
    from virt.uri import URI
    from virt.xml import Domain
    from virt.xml.devices import Interface

    from virt_bhyve.caps import BhyveCaps
    from virt_bhyve.paths import BhyvePaths

log = logging.getLogger(__name__)

POLL = 1.0
"""Seconds between two readings of the host's processes by the thread that follows the guests."""
FRESH_FOR = 0.5
"""Seconds a reading of the host's processes stands for the states of the running guests."""
VMM_WAIT = 5.0
"""Seconds bhyve has to make ``/dev/vmm/NAME`` (libvirt's back-off wait)."""
STOP_WAIT = 5.0
"""Seconds a destroyed guest's bhyve has to end before it is killed."""
EXIT_REBOOT, EXIT_POWEROFF, EXIT_HALT = 0, 1, 2
"""bhyve's exit statuses (bhyve(8)); 3 is a triple fault, 4 an error."""

_DAEMONIZE = (
    'log=$1 pidfile=$2 exitfile=$3; shift 3; rm -f "$pidfile" "$exitfile"; '
    '( trap \'\' HUP; "$@" </dev/null >>"$log" 2>&1 & c=$!; echo $c >"$pidfile"; wait $c; '
    'echo $? >"$exitfile" ) </dev/null >/dev/null 2>&1 &'
)
"""Runs its arguments in the background with their output in the log, writes their pid, and, when
they end, their exit status (the shell waiting for bhyve is its parent: nobody else learns it)."""
_TITLE = re.compile(r"^\s*(\d+)\s+bhyve: (\S+)")


@attrs.define(eq=False)
class BhyveDomain(LocalDomain):
    """A domain of the driver, with what this instance asked of its bhyve process."""

    stopping: str | None = None
    """``shutdown`` or ``reboot`` while a SIGTERM this driver sent has not ended bhyve yet."""


class BhyveDriver(HubStateChanges[BhyveDomain], DomainLifecycle[BhyveDomain]):
    """Everything one owner of a bhyve host's state knows and does (define, undefine, create, start
    and autostart are ``DomainLifecycle``'s, over ``complete``, ``_start`` and ``_emit``)."""

    def __init__(self, paths: BhyvePaths, uri: URI) -> None:
        paths.create()
        self.paths = paths
        self._lock_fd: int | None = ownerlock.acquire_host_state(
            paths.lock_file, "bhyve", f"host '{paths.host}'", paths.state_dir, ErrorDomain.BHYVE
        )
        DomainLifecycle.__init__(self, BhyveDomain, ErrorDomain.BHYVE)
        self.definitions = DefinitionStore(paths)
        self.statuses = StatusStore(paths)
        self.events = DomainEventHub(threaded=True, name="virt-bhyve domain events")
        self.host: CommandHost | None = None
        self._caps: BhyveCaps | None = None
        self._tools: dict[str, str | None] = {}
        self._read_at = 0.0
        self._poll: threading.Thread | None = None
        self._ports_lock = threading.Lock()
        self._refresh_lock = threading.RLock()
        self._closing = threading.Event()
        try:
            self.host = door(uri)
            self.host.run(["mkdir", "-p", paths.host_run_dir, paths.host_log_dir])
            self.load_definitions()
            self._reattach()
            if not paths.remote:
                self._autostart_once(paths.run_dir / "autostarted")
            # as libvirt's bhyve monitor: a guest that ends (or reboots) is settled as it happens,
            # whoever asks; a short-lived owner (a `virt` command) stops following at its close
            self.follow()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Let go of the poll thread and the lock; every guest keeps running."""
        self._closing.set()
        if self._poll is not None:
            self._poll.join(5)
        self.events.close()
        if self.host is not None:
            self.host.close()
        if self._lock_fd is not None:
            fd, self._lock_fd = self._lock_fd, None
            ownerlock.release(fd)

    # -- the host ----------------------------------------------------------------------------------
    @property
    def door(self) -> CommandHost:
        assert self.host is not None
        return self.host

    def tool(self, name: str) -> str | None:
        """Where the host has ``name`` (``command -v`` there, as libvirt's virFindFileInPath); None: not there."""
        if name not in self._tools:
            if not self.paths.remote:
                self._tools[name] = shutil.which(name)
            else:
                found = self.door.run(["sh", "-c", 'command -v "$1"', "sh", name])
                self._tools[name] = found.stdout.decode().strip() or None if found.status == 0 else None
        return self._tools[name]

    def need_tool(self, name: str) -> str:
        path = self.tool(name)
        if path is None:
            raise errors.internal(f"Cannot find {name} on the bhyve host {self.door.description}")
        return path

    def caps(self) -> BhyveCaps:
        """The host's bhyve capabilities (libvirt probes once, at its start): probed once per instance
        and kept in the run folder for the next owners while the tools stay the same files."""
        from virt_bhyve.probe import cached_probe

        if self._caps is None:
            bhyve = self.tool("bhyve")
            if bhyve is None:
                raise errors.internal("failed probing capabilities")
            self._caps = cached_probe(self.door, bhyve, self.tool("grub-bhyve"), self.paths.run_dir / "caps.json")
        return self._caps

    def _run(self, argv: list[str], what: str) -> Result:
        """``argv`` on the host; its failure as libvirt's virCommandRun words it."""
        result = self.door.run(argv)
        if result.status != 0:
            raise errors.internal(
                f"Child process ({shlex.join(argv)}) unexpected exit status {result.status}: {result.error_text}"
                if not what
                else f"{what}: {result.error_text}"
            )
        return result

    def _exists(self, path: str) -> bool:
        if not self.paths.remote:
            from pathlib import Path

            return Path(path).exists()
        return self.door.run(["test", "-e", path]).status == 0

    def _log(self, name: str) -> str:
        return f"{self.paths.host_log_dir}/{name}.log"

    def _pidfile(self, name: str) -> str:
        return f"{self.paths.host_run_dir}/{name}.pid"

    def _exitfile(self, name: str) -> str:
        return f"{self.paths.host_run_dir}/{name}.exit"

    def _device_map(self, name: str) -> str:
        return f"{self.paths.host_run_dir}/grub_bhyve-{name}-device.map"

    # -- following the guests ----------------------------------------------------------------------
    def _bhyve_pids(self, objs: list[BhyveDomain]) -> dict[int, str]:
        """The pids among ``objs``' ids that are bhyve processes now, with the guest each runs."""
        pids = [obj.id for obj in objs if obj.id > 0]
        if not pids:
            return {}
        result = self.door.run(["ps", "-ww", "-o", "pid=", "-o", "command=", "-p", ",".join(str(p) for p in pids)])
        found: dict[int, str] = {}
        for line in result.stdout.decode(errors="replace").splitlines():
            match = _TITLE.match(line)
            if match:
                found[int(match[1])] = match[2]
        return found

    def fresh(self) -> None:
        """Make the states current before answering: read the host's processes unless just read."""
        if time.monotonic() - self._read_at > FRESH_FOR:
            self.refresh()

    def refresh(self) -> None:
        """Settle every running guest whose bhyve ended since the last reading (libvirt's monitor).
        One reading at a time; a guest started again since the reading began (another pid) is not
        judged by it."""
        with self._refresh_lock:
            with self.lock:
                read = [(obj, obj.id) for obj in self.domains.values() if obj.active]
            alive = self._bhyve_pids([obj for obj, _ in read])
            self._read_at = time.monotonic()
            for obj, pid in read:
                with obj.lock:
                    if obj.active and obj.id == pid and alive.get(pid) != obj.name:
                        self._ended(obj)

    def follow(self) -> None:
        """Follow the guests from a thread (once, from the start): their ends are settled and
        reported as they happen."""
        with self.lock:
            if self._poll is None:
                self._poll = threading.Thread(target=self._follow, name="virt-bhyve monitor", daemon=True)
                self._poll.start()

    def _follow(self) -> None:
        while not self._closing.wait(POLL):
            try:
                self.refresh()
            except Exception:
                log.exception("reading the bhyve host's processes")

    def _reattach(self) -> None:
        """Take back the guests whose bhyve still runs, from the status files; settle the others."""
        for _, status in self.statuses.readable():
            live = status.domain
            assert live is not None and live.uuid is not None
            obj = self.by_uuid(live.uuid)
            if obj is None:
                obj = BhyveDomain(config=None, live=live)
                self._add(obj)
            live.id = None
            _restore_ports(live, status.vnc_ports)
            obj.live, obj.id, obj.stopping = live, status.pid or -1, status.stopping
            obj.state = status.state or DomainState.RUNNING
            obj.reason = status.reason or 0
        self.refresh()

    def _ended(self, obj: BhyveDomain) -> None:
        """bhyve ended (held locked): what its exit status says, as libvirt's bhyve monitor does it."""
        result = self.door.run(["cat", self._exitfile(obj.name)])
        text = result.stdout.decode().strip()
        status = int(text) if result.status == 0 and text.isdigit() else None
        reboot = obj.stopping == "reboot"
        if status is not None and (status == EXIT_REBOOT or reboot) and status < 128:
            log.info("guest %s rebooted; restarting the domain", obj.name)
            self._stop(obj)
            definition = obj.live
            assert definition is not None
            try:
                self._boot(obj, definition, RunningReason.BOOTED)
            except Exception:
                log.exception("restarting %s after its reboot", obj.name)
                self._shut_off(obj, ShutoffReason.FAILED, StoppedDetail.FAILED)
            return
        if status is not None and status >= 128:
            self._stop(obj)
            self._shut_off(obj, ShutoffReason.CRASHED, StoppedDetail.CRASHED)
        elif status in (EXIT_POWEROFF, EXIT_HALT):
            self._stop(obj)
            self._shut_off(obj, ShutoffReason.SHUTDOWN, StoppedDetail.SHUTDOWN)
        else:
            # an error (or a bhyve gone without its status: killed while nobody owned it)
            self._stop(obj)
            self._shut_off(obj, ShutoffReason.UNKNOWN, StoppedDetail.SHUTDOWN)

    # -- state changes ----------------------------------------------------------------------------------
    def _state_changed(self, obj: BhyveDomain) -> None:
        if obj.active and obj.live is not None:
            self.save_status(obj)

    def save_status(self, obj: BhyveDomain) -> None:
        status = DomainStatus()
        status.state, status.reason, status.pid = obj.state, obj.reason, obj.id
        status.stopping = obj.stopping
        if obj.live is not None:
            from virt_bhyve.commands import automatic_vnc

            status.vnc_ports = ",".join(str(g.port) for g in automatic_vnc(obj.live)) or None
        self.statuses.save_running(status, obj.live, obj.id)

    def _shut_off(self, obj: BhyveDomain, reason: ShutoffReason, detail: StoppedDetail) -> None:
        """The domain no longer runs (its host side already cleaned up): shut off, its status gone."""
        self.statuses.delete(obj.name)
        obj.id, obj.stopping = -1, None
        self.set_state(obj, DomainState.SHUTOFF, reason, emit=False)
        self._emit(obj, DomainEventType.STOPPED, detail)
        if obj.config is None:
            self._remove(obj)
        obj.live = None

    # -- definitions --------------------------------------------------------------------------------
    def complete(self, definition: Domain) -> object:
        """Check and fill in a definition the driver now owns: what cannot become command lines is refused now."""
        from virt_bhyve.commands import check

        check(definition, self)
        return None

    # -- start ----------------------------------------------------------------------------------------
    def _start(self, obj: BhyveDomain, definition: Domain) -> None:
        self._boot(obj, definition, RunningReason.BOOTED)
        self._emit(obj, DomainEventType.STARTED, StartedDetail.BOOTED)

    def _boot(self, obj: BhyveDomain, definition: Domain, reason: RunningReason) -> None:
        """virBhyveProcessStart: taps, loader, bhyve, then wait for ``/dev/vmm/NAME``; on a failure
        everything made is taken down again (VIR_DOMAIN_SHUTOFF_FAILED)."""
        from virt_bhyve.commands import commands_for

        name = definition.name or ""
        obj.live = definition
        try:
            self._make_taps(definition)
            with self._ports_lock:  # a port is taken once the live definition shows it
                taken = self._display_ports(but=obj)
                built = commands_for(definition, self, device_map=self._device_map(name), taken_ports=taken)
                obj.live = definition = built.domain
            log_file = self._log(name)
            if built.loader is not None:
                if not self.paths.remote and shutil.which(built.loader[0]) is None:
                    # virCommandRun's words for a program that is not there
                    raise errors.internal(f"Cannot find '{built.loader[0]}' in path: No such file or directory")
                if built.device_map is not None:
                    self.door.write_file(self._device_map(name), built.device_map.encode())
                try:
                    loaded = self.door.run(built.loader)
                finally:
                    if built.device_map is not None:
                        self.door.run(["rm", "-f", self._device_map(name)])
                self._append_log(log_file, built.loader, loaded)
                if loaded.status != 0:
                    raise errors.internal(
                        f"Child process ({shlex.join(built.loader)}) unexpected exit status {loaded.status}: "
                        f"{loaded.error_text}"
                    )
            self._append_log(log_file, built.bhyve, None)
            self._run(
                ["sh", "-c", _DAEMONIZE, "sh", log_file, self._pidfile(name), self._exitfile(name), *built.bhyve], ""
            )
            pid = self._wait_pid(name)
            deadline = time.monotonic() + VMM_WAIT
            # the VM may exist before bhyve (the loader made it): bhyve's process title says it runs
            while not (self._alive(pid, name) and self._exists(vmm_path(name))):
                if time.monotonic() > deadline or self._exists(self._exitfile(name)):
                    obj.id = pid
                    raise errors.internal(f"Domain {name} didn't show up in /dev/vmm")
                time.sleep(0.05)
        except BaseException:
            self._stop(obj)
            obj.id, obj.live = -1, None
            raise
        obj.id, obj.stopping = pid, None
        self.set_state(obj, DomainState.RUNNING, reason, emit=False)

    def _display_ports(self, but: BhyveDomain) -> set[int]:
        """The VNC ports the other running guests listen on."""
        with self.lock:
            lives = [obj.live for obj in self.domains.values() if obj is not but and obj.active and obj.live]
        devices = [live.devices for live in lives if live.devices is not None]
        return {g.port for d in devices for g in d.graphics if g.type == "vnc" and g.port is not None and g.port > 0}

    def _wait_pid(self, name: str) -> int:
        deadline = time.monotonic() + VMM_WAIT
        while True:
            result = self.door.run(["cat", self._pidfile(name)])
            text = result.stdout.decode().strip()
            if result.status == 0 and text.isdigit():
                return int(text)
            if time.monotonic() > deadline:
                raise errors.internal(f"Domain {name} didn't show up")
            time.sleep(0.02)

    def _append_log(self, log_file: str, argv: list[str], result: Result | None) -> None:
        """The command line (and what it said) appended to the guest's log, as libvirt writes them."""
        text = shlex.join(argv) + "\n"
        if result is not None:
            text += (result.stdout + result.stderr).decode(errors="replace")
        self.door.run(["sh", "-c", 'cat >> "$1"', "sh", log_file], input=text.encode())

    def _make_taps(self, definition: Domain) -> None:
        """virNetDevTapCreateInBridgePort as ifconfig does it: a tap made, renamed to the lowest free
        ``vnetN``, its MAC the guest's with 0xFE first, described, on its bridge, up."""
        interfaces = definition.devices.interfaces if definition.devices is not None else []
        for interface in interfaces:
            bridge = _bridge_of(interface)
            created = self._run([self.need_tool("ifconfig"), "tap", "create"], "failed to create tap device")
            tap = created.stdout.decode().strip()
            try:
                taken = set(self._run([self.need_tool("ifconfig"), "-l"], "").stdout.decode().split())
                number = 0
                while f"vnet{number}" in taken:
                    number += 1
                wanted = f"vnet{number}"
                self._ifconfig(tap, "name", wanted)
                tap = wanted
                _set_target(interface, tap)
                mac = interface.mac.address if interface.mac is not None and interface.mac.address else None
                if mac:
                    self._ifconfig(tap, "ether", "fe" + mac[2:])
                self._ifconfig(tap, "description", f"bhyve: {definition.name}")
                self._ifconfig(bridge, "addm", tap)
                self._ifconfig(tap, "up")
            except BaseException:
                self.door.run([self.need_tool("ifconfig"), tap, "destroy"])
                _set_target(interface, None)
                raise

    def _ifconfig(self, *args: str) -> None:
        self._run([self.need_tool("ifconfig"), *args], "")

    # -- stop -------------------------------------------------------------------------------------------
    def _stop(self, obj: BhyveDomain) -> None:
        """virBhyveProcessStop's host side: the VM destroyed (``bhyvectl --destroy``), bhyve ended,
        the taps off their bridges and destroyed, pid and exit files gone. Failures are logged:
        what can be cleaned up is."""
        name = obj.name
        if self._exists(vmm_path(name)):
            result = self.door.run([self.need_tool("bhyvectl"), "--destroy", f"--vm={name}"])
            if result.status != 0:
                log.warning("bhyvectl --destroy --vm=%s failed: %s", name, result.error_text)
        if obj.id > 0:
            self._reap(obj.id, name)
        definition = obj.live
        for interface in definition.devices.interfaces if definition is not None and definition.devices else []:
            tap = interface.target.dev if interface.target is not None else None
            if not tap:
                continue
            self.door.run([self.need_tool("ifconfig"), _bridge_of(interface), "deletem", tap])
            self.door.run([self.need_tool("ifconfig"), tap, "destroy"])
        self.door.run(["rm", "-f", self._pidfile(name), self._exitfile(name)])

    def _reap(self, pid: int, name: str) -> None:
        """Wait (a while) for the bhyve of ``name`` to end; kill it when it does not."""
        deadline = time.monotonic() + STOP_WAIT
        while self._alive(pid, name):
            if time.monotonic() > deadline:
                self.door.run(["kill", "-KILL", str(pid)])
                return
            time.sleep(0.05)

    def _alive(self, pid: int, name: str) -> bool:
        probe = BhyveDomain(config=None, id=pid)
        return self._bhyve_pids([probe]).get(pid) == name

    def _running(self, obj: BhyveDomain) -> int:
        if not obj.active:
            raise errors.not_running()
        return obj.id

    def destroy(self, ref: DomainRef) -> None:
        """bhyveDomainDestroy: the guest ends now (SHUTOFF_DESTROYED)."""
        with self.locked(ref) as obj:
            self._running(obj)
            self._stop(obj)
            self._shut_off(obj, ShutoffReason.DESTROYED, StoppedDetail.DESTROYED)

    def shutdown(self, ref: DomainRef, mode: ShutdownMode) -> None:
        """bhyveDomainShutdownFlags: SIGTERM, which bhyve turns into the ACPI power button."""
        if mode & ~ShutdownMode.ACPI_POWER_BTN:
            raise errors.unsupported_flags(int(mode & ~ShutdownMode.ACPI_POWER_BTN), "bhyveDomainShutdownFlags")
        self._signal(ref, "shutdown")

    def reboot(self, ref: DomainRef, mode: ShutdownMode) -> None:
        """bhyveDomainReboot: the power button too; when bhyve ends, the guest is started again."""
        if mode & ~ShutdownMode.ACPI_POWER_BTN:
            raise errors.unsupported_flags(int(mode & ~ShutdownMode.ACPI_POWER_BTN), "bhyveDomainReboot")
        self._signal(ref, "reboot")

    def _signal(self, ref: DomainRef, why: str) -> None:
        with self.locked(ref) as obj:
            pid = self._running(obj)
            result = self.door.run(["kill", "-TERM", str(pid)])
            if result.status != 0:
                raise errors.internal(f"Invalid PID {pid} for VM: {result.error_text}")
            obj.stopping = why
            self.save_status(obj)  # a reboot is carried out by whoever owns the guest when bhyve ends

    def suspend(self, ref: DomainRef) -> None:
        raise errors.error(
            ErrorNumber.NO_SUPPORT, "this function is not supported by the connection driver: virDomainSuspend"
        )

    def resume(self, ref: DomainRef) -> None:
        raise errors.error(
            ErrorNumber.NO_SUPPORT, "this function is not supported by the connection driver: virDomainResume"
        )

    def info(self, ref: DomainRef) -> DomainInfo:
        """bhyveDomainGetInfo: the definition's memory and vCPUs (bhyve's own use is not asked)."""
        self.fresh()
        with self.locked(ref) as obj:
            definition = obj.current
            maximum = definition.memory or 0
            vcpus = (definition.vcpu.current or definition.vcpu.count or 1) if definition.vcpu is not None else 1
            return DomainInfo(obj.state, maximum, definition.current_memory or maximum, vcpus, 0)

    def console_slave(self, ref: DomainRef) -> tuple[BhyveDomain, str]:
        """bhyveDomainOpenConsole's checks: the running guest's first serial port's nmdm slave end."""
        with self.locked(ref) as obj:
            self._running(obj)
            definition = obj.current
            serials = definition.devices.serials if definition.devices is not None else []
            if not serials:
                raise errors.internal("no console devices available")
            from virt.xml.base import kept_attribute

            sources = serials[0].sources
            slave = kept_attribute(sources[0], "slave") if sources and serials[0].type == "nmdm" else None
            if not slave:
                raise errors.internal("no console devices available")
            return obj, dev_path(slave)


def _restore_ports(live: Domain, kept: str | None) -> None:
    """Give the automatic VNC displays of a parsed live definition the ports the status file keeps."""
    from virt_bhyve.commands import automatic_vnc

    ports = [int(p) for p in (kept or "").split(",") if p.strip().isdigit()]
    for graphics, port in zip(automatic_vnc(live), ports, strict=False):
        graphics.port = port


def _bridge_of(interface: Interface) -> str:
    """The bridge a ``type='bridge'`` interface joins; libvirt's bhyve driver takes no other type."""
    if interface.type != "bridge" or interface.source is None or not interface.source.bridge:
        raise errors.unsupported(f"Network type {interface.type} is not supported")
    return interface.source.bridge


def _set_target(interface: Interface, name: str | None) -> None:
    from virt.xml.devices import InterfaceTarget

    if name is None:
        interface.target = None
        return
    if interface.target is None:
        interface.target = InterfaceTarget()
    interface.target.dev = name


# -- one instance per process and host ----------------------------------------------------------------
_registry: InstancesByUri[BhyvePaths, BhyveDriver] = InstancesByUri(BhyveDriver, lambda driver: driver.paths)
"""One instance per host: made from the URI of the first open, later ones share its connection."""


def acquire(paths: BhyvePaths, uri: URI) -> BhyveDriver:
    """The instance for ``paths`` (one per host), made on first use."""
    return _registry.acquire(paths, uri)


def release(driver: BhyveDriver) -> None:
    _registry.release(driver)
