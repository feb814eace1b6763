"""One Xen driver instance: the owner of one dom0's definitions and status files.

The domains are the hypervisor's: ``xl create`` makes them and ``xl``'s own monitor process on
dom0 carries out ``on_poweroff``/``on_reboot``/``on_crash``; they never depend on this instance.
A new owner (a ``virt`` command, virtd after a restart) takes the running ones back from its status
files checked against ``xl list`` (same UUID: the same domain, under the domid it has now), and
follows later changes through a xenstore watch on dom0 (``watch``) or, without one, by reading
``xl list`` again before answering about states.

Threads: API calls run in the caller's thread under the domain's ``lock``; the watch thread
settles changes under the same lock; lifecycle events are delivered by the event hub's thread.
Order: domain lock, then table lock. ``_tick`` numbers every change an operation makes, so that
a reading of ``xl list`` begun before a change is never applied over it.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.events import (
    DomainEventHub,
    DomainEventType,
    StartedDetail,
    StoppedDetail,
)
from virt.info import DomainInfo
from virt.localstate import ownerlock
from virt.localstate.definitions import DefinitionStore
from virt.localstate.domains import DomainLifecycle, HubStateChanges, LocalDomain, copy_definition
from virt.localstate.instances import InstancesByUri
from virt.states import DomainState, PausedReason, RunningReason, ShutdownMode, ShutoffReason

from virt_xen import errors
from virt_xen.status import DomainStatus, StatusStore
from virt_xen.xl import ShutdownCode, Xl, XlDomain

if TYPE_CHECKING:
    from collections.abc import Callable

    from virt.domainchanges import Impact
    from virt.driver import DomainRef
    from virt.uri import URI
    from virt.xml import Domain

    from virt_xen.dom0 import Dom0, Result
    from virt_xen.paths import XenPaths
    from virt_xen.watch import DomainWatch

log = logging.getLogger(__name__)

DOM0_NAME = "Domain-0"
DOM0_UUID = uuid.UUID(int=0)
DOM0_SAVE_DIR = "/var/lib/virt-xen/save"
"""On dom0: the managed save images (``NAME.save``, the definition beside it as ``NAME.save.xml``)."""
RESTART_WAIT = 60.0
"""Seconds a rebooting domain may be missing from ``xl list`` before it counts as ended."""
FRESH_FOR = 1.0
"""Seconds a reading of ``xl list`` stands for the states when no xenstore watch follows them."""


@attrs.define(eq=False)
class XenDomain(LocalDomain):
    """A domain of the driver, with what the last reading of ``xl list`` said of it."""

    seen: XlDomain | None = None
    stopping: str | None = None
    """What this driver asked of the running domain: ``shutdown``, ``reboot`` (the reason its end gets)."""
    changed: int = 0
    """The ``_tick`` of the last change an operation made."""
    control: bool = False
    """Domain-0, the control domain: listed, never started, stopped or changed."""
    restart_by: float | None = None
    """While a reboot's new domain has not appeared: until when to wait for it (``time.monotonic``)."""


class XenDriver(HubStateChanges[XenDomain], DomainLifecycle[XenDomain]):
    """Everything one owner of a dom0's state knows and does (define, undefine, create, start and
    autostart are ``DomainLifecycle``'s, over ``complete``, ``_start`` and ``_emit``)."""

    def __init__(self, paths: XenPaths, uri: URI) -> None:
        from virt_xen import dom0

        paths.create()
        self.paths = paths
        self._lock_fd: int | None = ownerlock.acquire_host_state(
            paths.lock_file, "Xen", f"dom0 '{paths.host}'", paths.state_dir, ErrorDomain.LIBXL
        )
        DomainLifecycle.__init__(self, XenDomain, ErrorDomain.LIBXL)
        self.definitions = DefinitionStore(paths)
        self.statuses = StatusStore(paths)
        self.events = DomainEventHub(threaded=True, name="virt-xen domain events")
        self._ticks = itertools.count(1)
        self._tick_lock = threading.Lock()
        self._last_tick = 0
        self._read_at = 0.0
        self._watch: DomainWatch | None = None
        self._watch_lock = threading.Lock()
        self.dom0: Dom0 | None = None
        try:
            self.dom0 = dom0.for_uri(uri)
            self.xl = Xl(self.dom0)
            self.load_definitions()
            self._reattach()
            if not paths.remote:
                # once per boot of this dom0 (the run folder is a tmpfs); a remote dom0's boots are not ours to see
                self._autostart_once(paths.run_dir / "autostarted")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Let go of the watch and the lock; every domain keeps running."""
        with self._watch_lock:
            watch, self._watch = self._watch, None
        if watch is not None:
            watch.close()
        self.events.close()
        if self.dom0 is not None:
            self.dom0.close()
        if self._lock_fd is not None:
            fd, self._lock_fd = self._lock_fd, None
            ownerlock.release(fd)

    # -- following the hypervisor ------------------------------------------------------------------
    def _tick(self) -> int:
        with self._tick_lock:
            self._last_tick = next(self._ticks)
            return self._last_tick

    def follow(self) -> None:
        """Start the xenstore watch (once): from then on, changes on dom0 are settled as they happen."""
        from virt_xen.watch import DomainWatch

        with self._watch_lock:
            if self._watch is None and self.dom0 is not None:
                self._watch = DomainWatch(self.dom0, self.refresh)

    def fresh(self) -> None:
        """Make the states current before answering about them: without a watch, read ``xl list``
        again unless a reading is very recent."""
        if self._watch is not None and self._watch.ready.is_set():
            return
        if time.monotonic() - self._read_at > FRESH_FOR:
            self.refresh()

    def refresh(self) -> None:
        """Read ``xl list`` and settle every domain whose state changed on dom0 meanwhile."""
        with self._tick_lock:
            started = self._last_tick
        listed = self.xl.domains()
        self._read_at = time.monotonic()
        by_uuid = {d.uuid: d for d in listed}
        with self.lock:
            objs = list(self.domains.values())
        for obj in objs:
            with obj.lock:
                if obj.changed > started:
                    continue  # an operation changed it after this reading began: the next one tells
                self._settle(obj, by_uuid.get(obj.uuid))
        self._dom0_entry(by_uuid.get(DOM0_UUID))

    def _reattach(self) -> None:
        """Take back the domains that run on dom0 from the status files, and see the others' states."""
        listed = self.xl.domains()
        self._read_at = time.monotonic()
        by_uuid = {d.uuid: d for d in listed}
        for path, status in self.statuses.readable():
            live = status.domain
            assert live is not None and live.uuid is not None
            seen = by_uuid.get(live.uuid)
            if seen is None:
                # ended while nobody owned it: its status goes (a transient domain with it)
                self.statuses.delete(live.name or path.stem)
                continue
            obj = self.by_uuid(live.uuid)
            if obj is None:
                obj = XenDomain(config=None)
                obj.live = live
                self._add(obj)
            live.id = None
            obj.live, obj.id, obj.seen = live, seen.domid, seen
            obj.state = status.state or DomainState.RUNNING
            obj.reason = status.reason or 0
            self._settle(obj, seen)
            if obj.active and seen.domid != status.domid:
                self.save_status(obj)  # xl restarted it (a reboot) while we were away
        for obj in list(self.domains.values()):
            if not obj.active:
                self._settle(obj, by_uuid.get(obj.uuid))
        self._dom0_entry(by_uuid.get(DOM0_UUID))

    def _dom0_entry(self, seen: XlDomain | None) -> None:
        """Domain-0 as libvirt's libxl driver lists it: running, id 0, its memory and vCPUs now."""
        if seen is None:
            return
        from virt.xml import Domain

        obj = self.by_uuid(DOM0_UUID)
        if obj is None:
            live = Domain.from_xml(
                f"<domain type='xen'><name>{DOM0_NAME}</name><uuid>{DOM0_UUID}</uuid>"
                f"<memory unit='MiB'>{seen.memory_mib}</memory><vcpu>{seen.vcpus}</vcpu>"
                "<os><type>xen</type></os></domain>"
            )
            obj = XenDomain(config=None, live=live, state=DomainState.RUNNING, reason=RunningReason.UNKNOWN, id=0)
            obj.control = True
            self._add(obj)
        with obj.lock:
            obj.seen = seen
            if obj.live is not None:
                obj.live.memory = obj.live.current_memory = seen.memory_mib * 1024
                if obj.live.vcpu is not None:
                    obj.live.vcpu.count = seen.vcpus

    def _settle(self, obj: XenDomain, seen: XlDomain | None) -> None:
        """Bring ``obj`` (held locked) in line with what ``xl list`` says of it now (None: not there)."""
        if obj.control:
            return
        if not obj.active:
            if seen is not None and not seen.shut_down and obj.config is not None:
                # running on dom0 under our UUID, but not ours (started by hand, or its status was lost)
                obj.live, obj.id, obj.seen = copy_definition(obj.config), seen.domid, seen
                self.set_state(obj, seen.state, 0, emit=False)
                log.info("domain %s runs on dom0 as domid %d: taken over", obj.name, seen.domid)
            return
        previous, obj.seen = obj.seen, seen
        if seen is None:
            if self._restarting(obj, previous):
                obj.seen = previous  # between xl's destroy and create of a reboot: not ended
                return
            self._ended(obj, previous)
            return
        if seen.shut_down and seen.shutdown_code == ShutdownCode.REBOOT and self._restarts(obj):
            return  # rebooting: xl's monitor starts it again, still running as libvirt sees it
        obj.restart_by = None
        if seen.domid != obj.id:
            # xl's monitor carried out on_reboot=restart: the same domain under a new domid
            obj.id = seen.domid
            obj.stopping = None
            self.set_state(obj, seen.state, RunningReason.BOOTED if seen.state == DomainState.RUNNING else 0)
            return
        state = seen.state
        if state == obj.state:
            return
        # a change made on dom0, not through us: libvirt's reasons for what it cannot know more of
        reason = {DomainState.RUNNING: RunningReason.UNPAUSED, DomainState.PAUSED: PausedReason.UNKNOWN}.get(state, 0)
        self.set_state(obj, state, reason)

    @staticmethod
    def _restarts(obj: XenDomain) -> bool:
        """Whether xl's monitor starts the domain again after a reboot (on_reboot restart, the default)."""
        return (obj.current.on_reboot or "restart") in ("restart", "rename-restart")

    def _restarting(self, obj: XenDomain, last: XlDomain | None) -> bool:
        """Whether a domain gone from ``xl list`` is between the two halves of a reboot (for a while)."""
        rebooting = obj.stopping == "reboot" or (last is not None and last.shutdown_code == ShutdownCode.REBOOT)
        if not rebooting or not self._restarts(obj):
            return False
        now = time.monotonic()
        if obj.restart_by is None:
            obj.restart_by = now + RESTART_WAIT
        return now < obj.restart_by

    def _ended(self, obj: XenDomain, last: XlDomain | None) -> None:
        """The domain is gone from dom0 (shut down, crashed or destroyed by someone)."""
        if last is not None and last.crashed:
            self.stopped(obj, ShutoffReason.CRASHED, StoppedDetail.CRASHED)
        elif obj.stopping == "shutdown" or (last is not None and last.shutdown_code == ShutdownCode.POWEROFF):
            self.stopped(obj, ShutoffReason.SHUTDOWN)
        else:
            self.stopped(obj, ShutoffReason.UNKNOWN, StoppedDetail.SHUTDOWN)

    # -- state changes: one door for all (set_state and _emit are HubStateChanges') ---------------------
    def _state_changed(self, obj: XenDomain) -> None:
        obj.changed = self._tick()
        if obj.active and obj.live is not None:
            self.save_status(obj)

    def save_status(self, obj: XenDomain) -> None:
        status = DomainStatus()
        status.state, status.reason, status.domid = obj.state, obj.reason, obj.id
        self.statuses.save_running(status, obj.live, obj.id)

    def stopped(self, obj: XenDomain, reason: ShutoffReason, detail: StoppedDetail | None = None) -> None:
        """The domain no longer runs: shut off, its status file gone; holds ``obj.lock``."""
        self.statuses.delete(obj.name)
        obj.id, obj.seen, obj.stopping, obj.restart_by = -1, None, None, None
        self.set_state(obj, DomainState.SHUTOFF, reason, emit=detail is None)
        if detail is not None:
            self._emit(obj, DomainEventType.STOPPED, detail)
        if obj.config is None:
            self._remove(obj)
        obj.live = None

    # -- definitions --------------------------------------------------------------------------------
    def complete(self, definition: Domain) -> object:
        """Check and fill in a definition the driver now owns: what cannot become an xl.cfg is refused now."""
        from virt_xen.config import check

        return check(definition)

    # -- lifecycle ---------------------------------------------------------------------------------
    def _start(self, obj: XenDomain, definition: Domain, *, paused: bool = False) -> None:
        """``xl create`` of ``definition``'s xl.cfg as ``obj`` (held locked)."""
        from virt_xen.config import to_xl

        if obj.control or definition.name == DOM0_NAME:
            raise errors.dom0()
        name = definition.name or ""
        text = to_xl(definition)
        domid = self.xl.create(self.paths.dom0_config(name), text.encode(), name, paused=paused)
        obj.live, obj.id, obj.stopping = definition, domid, None
        self.set_state(obj, DomainState.RUNNING, RunningReason.BOOTED)
        if paused:
            self.set_state(obj, DomainState.PAUSED, PausedReason.USER)

    def _running(self, obj: XenDomain) -> int:
        if obj.control:
            raise errors.dom0()
        if not obj.active:
            raise errors.not_running()
        return obj.id

    def destroy(self, ref: DomainRef) -> None:
        with self.locked(ref) as obj:
            domid = self._running(obj)
            self.xl.act("destroy", domid, what=f"Failed to destroy domain '{domid}'")
            self.stopped(obj, ShutoffReason.DESTROYED)

    def shutdown(self, ref: DomainRef, mode: ShutdownMode = ShutdownMode.DEFAULT) -> None:
        """Ask the guest to power off (PV: the xenbus control node; ACPI_POWER_BTN: ``xl shutdown -F``,
        the power button of an HVM guest without PV drivers), as libvirt's libxlDomainShutdownFlags."""
        self._ask(ref, mode, "shutdown", "libxlDomainShutdownFlags")

    def reboot(self, ref: DomainRef, mode: ShutdownMode = ShutdownMode.DEFAULT) -> None:
        self._ask(ref, mode, "reboot", "libxlDomainReboot")

    def _ask(self, ref: DomainRef, mode: ShutdownMode, verb: str, function: str) -> None:
        allowed = ShutdownMode.PARAVIRT | ShutdownMode.ACPI_POWER_BTN
        if mode & ~allowed:
            raise errors.unsupported_flags(int(mode & ~allowed), function)
        with self.locked(ref) as obj:
            domid = self._running(obj)
            args = ("-F",) if mode == ShutdownMode.ACPI_POWER_BTN else ()
            word = "shutdown" if verb == "shutdown" else "reboot"
            self.xl.act(verb, domid, *args, what=f"Failed to {word} domain '{domid}'")
            obj.stopping = verb
            obj.changed = self._tick()

    def suspend(self, ref: DomainRef) -> None:
        with self.locked(ref) as obj:
            domid = self._running(obj)
            if obj.state == DomainState.PAUSED:
                return
            self.xl.act("pause", domid, what=f"Failed to suspend domain '{domid}'")
            self.set_state(obj, DomainState.PAUSED, PausedReason.USER)

    def resume(self, ref: DomainRef) -> None:
        with self.locked(ref) as obj:
            domid = self._running(obj)
            if obj.state != DomainState.PAUSED:
                raise errors.invalid("domain is not paused")
            self.xl.act("unpause", domid, what=f"Failed to resume domain '{domid}'")
            self.set_state(obj, DomainState.RUNNING, RunningReason.UNPAUSED)

    def info(self, ref: DomainRef) -> DomainInfo:
        self.fresh()
        with self.locked(ref) as obj:
            definition = obj.current
            maximum = definition.memory or 0
            vcpus = (definition.vcpu.current or definition.vcpu.count or 1) if definition.vcpu is not None else 1
            seen = obj.seen
            if not obj.active or seen is None:
                return DomainInfo(obj.state, maximum, definition.current_memory or maximum, vcpus, 0)
            return DomainInfo(
                obj.state, maximum, seen.memory_mib * 1024, seen.vcpus, int(seen.cpu_time * 1_000_000_000)
            )

    # -- processors and memory ----------------------------------------------------------------------
    def set_vcpus(self, ref: DomainRef, count: int, impact: Impact, *, maximum: bool) -> None:
        """virDomainSetVcpusFlags: ``xl vcpu-set`` live; the persistent definition changed and kept."""

        def check(definition: Domain, live: bool) -> None:
            if maximum and live:
                raise errors.invalid_arg("cannot change the maximum vcpus of a running domain")
            top = (definition.vcpu.count if definition.vcpu is not None else None) or 1
            if not maximum and count > top:
                raise errors.invalid_arg(
                    f"requested vcpus is greater than max allowable vcpus for the domain: {count} > {top}"
                )

        if count < 1:
            raise errors.invalid_arg("argument unsupported: count must be at least 1")
        self._change(
            ref,
            impact,
            check,
            ("vcpu-set", str(count), "Failed to set vcpus for domain '{}' with libxenlight"),
            lambda definition, live: _vcpus(definition, count, maximum=maximum and not live),
        )

    def set_memory(self, ref: DomainRef, kib: int, impact: Impact, *, maximum: bool) -> None:
        """virDomainSetMemoryFlags: ``xl mem-set`` (the balloon target) or ``xl mem-max`` live."""

        def check(definition: Domain, _: bool) -> None:
            if not maximum and kib > (definition.memory or 0):
                raise errors.invalid_arg("cannot set memory higher than max memory")

        verb = "mem-max" if maximum else "mem-set"
        self._change(
            ref,
            impact,
            check,
            (verb, f"{kib}k", "Failed to set memory for domain '{}'"),
            lambda definition, _: _memory(definition, kib, maximum=maximum),
        )

    def _change(
        self,
        ref: DomainRef,
        impact: Impact,
        check: Callable[[Domain, bool], None],
        command: tuple[str, str, str],
        apply: Callable[[Domain, bool], None],
    ) -> None:
        """A change of the definitions ``impact`` names: each ``check``ed first, then ``xl VERB DOMID
        ARG`` (``command``) for the running domain, then ``apply(definition, live)`` and what is kept saved."""
        from virt.domainchanges import resolve_impact

        with self.locked(ref) as obj:
            if obj.control:
                raise errors.dom0()
            live, config = resolve_impact(impact, active=obj.active, persistent=obj.persistent)
            edited = [(d, is_live) for d, is_live in ((obj.live, True), (obj.config, False)) if d is not None]
            edited = [(d, is_live) for d, is_live in edited if (live if is_live else config)]
            for definition, is_live in edited:
                check(definition, is_live)
            verb, argument, failure = command
            for definition, is_live in edited:
                if is_live:
                    self.xl.act(verb, obj.id, argument, what=failure.format(obj.id))
                    apply(definition, True)
                    self._state_changed(obj)
                else:
                    apply(definition, False)
                    self.definitions.save(definition)

    # -- save and restore ---------------------------------------------------------------------------
    def save(self, ref: DomainRef, path: str, xml: str | None) -> None:
        """``xl save`` to ``path`` on dom0, the domain's definition beside it (``PATH.xml``: libxl keeps its
        own configuration in the image, not ours); the domain stops."""
        with self.locked(ref) as obj:
            self._running(obj)
            self._save_locked(obj, path, xml)

    def _save_locked(self, obj: XenDomain, path: str, xml: str | None) -> None:
        from virt.xml import Domain

        domid = obj.id
        assert obj.live is not None
        definition = copy_definition(obj.live)
        if xml is not None:
            replacement = Domain.from_xml(xml)
            if replacement.uuid != obj.uuid or replacement.name != obj.name:
                raise errors.invalid_arg("the replacement definition must keep the domain's name and UUID")
            definition = replacement
        script = 'umask 077 && cat > "$2.xml" && xl save "$1" "$2" >&2'
        result = self.dom0_run(["sh", "-c", script, "sh", str(domid), path], definition.to_xml().encode())
        if result.status != 0:
            raise errors.operation_failed(f"Failed to save domain '{domid}' with libxenlight: {result.error_text}")
        self.stopped(obj, ShutoffReason.SAVED)

    def restore(self, path: str, xml: str | None, *, paused: bool) -> None:
        """``xl restore`` of an image on dom0, its definition from ``PATH.xml`` beside it (or ``xml``)."""
        from virt.errors import XMLError
        from virt.xml import Domain

        try:
            text = xml if xml is not None else self._dom0().read_file(f"{path}.xml").decode()
        except VirtError as exc:
            raise errors.operation_failed(
                f"cannot read the definition saved with '{path}' ({path}.xml on dom0): {exc.message}"
            ) from None
        try:
            definition = Domain.from_xml(text)
        except XMLError as exc:
            raise errors.error(ErrorNumber.XML_ERROR, f"{path}.xml: {exc}") from None
        self.complete(definition)
        obj, _ = self.add_definition(definition, live=True)
        with obj.lock:
            try:
                self._restore_into(obj, path, definition, paused=paused)
            except BaseException:
                if obj.config is None and not obj.active:
                    self._remove(obj)
                raise

    def _restore_into(self, obj: XenDomain, path: str, definition: Domain, *, paused: bool) -> None:
        """``xl restore`` of ``path`` as ``obj`` (held locked), running (or paused) with ``definition``."""
        if obj.active:
            raise self._invalid("domain is already running")
        domid = self.xl.restore(path, definition.name or "", paused=paused)
        obj.live, obj.id, obj.stopping = definition, domid, None
        obj.state, obj.reason = DomainState.RUNNING, RunningReason.RESTORED
        obj.changed = self._tick()
        self.save_status(obj)
        self._emit(obj, DomainEventType.STARTED, StartedDetail.RESTORED)
        if paused:
            self.set_state(obj, DomainState.PAUSED, PausedReason.USER)

    # -- managed save: an image on dom0 the next start resumes -----------------------------------------
    def managed_image(self, name: str) -> str:
        """Where the managed save image of ``name`` is on dom0."""
        return f"{DOM0_SAVE_DIR}/{name}.save"

    def _managed_mark(self, name: str) -> Path:
        """Our record that ``name`` has a managed save image on dom0 (asked often: not asked of dom0)."""
        return self.paths.state_dir / "save" / f"{name}.save"

    def has_managed_save(self, obj: XenDomain) -> bool:
        return not obj.control and self._managed_mark(obj.name).exists()

    def managed_save(self, ref: DomainRef) -> None:
        with self.locked(ref) as obj:
            self._running(obj)
            if obj.config is None:
                raise self._invalid("cannot do managed save for transient domain")
            image = self.managed_image(obj.name)
            self._dom0().run(["mkdir", "-p", DOM0_SAVE_DIR])
            self._save_locked(obj, image, None)
            mark = self._managed_mark(obj.name)
            mark.parent.mkdir(mode=0o700, exist_ok=True)
            mark.write_text(image + "\n")

    def remove_managed_save(self, ref: DomainRef) -> None:
        with self.locked(ref) as obj:
            self._drop_managed(obj)

    def _drop_managed(self, obj: XenDomain) -> None:
        if not self.has_managed_save(obj):
            return
        image = self.managed_image(obj.name)
        result = self._dom0().run(["rm", "-f", image, f"{image}.xml"])
        if result.status != 0:
            raise errors.operation_failed(f"Failed to remove managed save file '{image}': {result.error_text}")
        self._managed_mark(obj.name).unlink(missing_ok=True)

    def _start_defined(self, obj: XenDomain, *, paused: bool = False) -> None:
        """Start a defined domain: from its managed save image when it has one (then the image goes)."""
        assert obj.config is not None
        if self.has_managed_save(obj):
            image = self.managed_image(obj.name)
            self._restore_into(obj, image, copy_definition(obj.config), paused=paused)
            self._drop_managed(obj)
            return
        self._start(obj, copy_definition(obj.config), paused=paused)

    def start_flags(self, ref: DomainRef, *, paused: bool, force_boot: bool) -> None:
        with self.locked(ref) as obj:
            if obj.active:
                raise self._invalid("domain is already running")
            if force_boot:
                self._drop_managed(obj)
            self._start_defined(obj, paused=paused)

    def undefine_with(self, ref: DomainRef, *, managed_save: bool) -> None:
        """libxlDomainUndefineFlags: a managed save image is removed with MANAGED_SAVE, else refused."""
        with self.locked(ref) as obj:
            if obj.control:
                raise errors.dom0()
            if self.has_managed_save(obj):
                if not managed_save:
                    raise self._invalid("Refusing to undefine while domain managed save image exists")
                self._drop_managed(obj)
        self.undefine(ref)

    # -- core dump ------------------------------------------------------------------------------------------
    def core_dump(self, ref: DomainRef, path: str, dumpformat: int | None, flags: int) -> None:
        """libxlDomainCoreDump: ``xl dump-core`` (paused meanwhile unless LIVE; destroyed after with CRASH)."""
        live_flag, crash_flag = 1, 2  # VIR_DUMP_LIVE, VIR_DUMP_CRASH
        if flags & ~(live_flag | crash_flag):
            raise errors.unsupported_flags(flags & ~(live_flag | crash_flag), "libxlDomainCoreDump")
        if dumpformat not in (None, 0):
            raise errors.error(ErrorNumber.ARGUMENT_UNSUPPORTED, "dump format is not supported by this driver")
        with self.locked(ref) as obj:
            domid = self._running(obj)
            pause = not flags & live_flag and obj.state != DomainState.PAUSED
            if pause:
                self.xl.act("pause", domid, what=f"Before dumping core, failed to suspend domain '{domid}'")
            try:
                self.xl.act("dump-core", domid, path, what=f"Failed to dump core of domain '{domid}'")
            finally:
                if pause and not flags & crash_flag:
                    self.xl.act("unpause", domid, what=f"After dumping core, failed to resume domain '{domid}'")
            if flags & crash_flag:
                self.xl.act("destroy", domid, what=f"Failed to destroy domain '{domid}'")
                self.stopped(obj, ShutoffReason.CRASHED, StoppedDetail.CRASHED)

    def _dom0(self) -> Dom0:
        assert self.dom0 is not None
        return self.dom0

    def dom0_run(self, argv: list[str], data: bytes | None = None) -> Result:
        return self._dom0().run(argv, input=data)


def _vcpus(definition: Domain, count: int, *, maximum: bool) -> None:
    from virt.xml.domain import Vcpu

    if definition.vcpu is None:
        definition.vcpu = Vcpu()
        definition.vcpu.count = 1
    if maximum:
        definition.vcpu.count = count
        if definition.vcpu.current is not None and definition.vcpu.current > count:
            definition.vcpu.current = count
    else:
        definition.vcpu.current = None if count == definition.vcpu.count else count


def _memory(definition: Domain, kib: int, *, maximum: bool) -> None:
    if maximum:
        definition.memory = kib
        if definition.current_memory is not None and definition.current_memory > kib:
            definition.current_memory = kib
    else:
        definition.current_memory = kib


# -- one instance per process and dom0 ----------------------------------------------------------------
_registry: InstancesByUri[XenPaths, XenDriver] = InstancesByUri(XenDriver, lambda driver: driver.paths)
"""One instance per dom0: made from the URI of the first open, later ones share its connection."""


def acquire(paths: XenPaths, uri: URI) -> XenDriver:
    """The instance for ``paths`` (one per dom0), made on first use."""
    return _registry.acquire(paths, uri)


def release(driver: XenDriver) -> None:
    _registry.release(driver)
