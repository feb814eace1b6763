"""Saving a running guest's state to a file and starting it again from there (a mixin of QemuDriver):
virsh save/restore, managedsave and the start that restores a managed save image, as libvirt 9.0's
QEMU driver does them.

Saving: the processors stop, the save image header (``saveimage``) is written, QEMU migrates the
guest into the same file through a descriptor passed over the monitor, the header is marked
complete, QEMU ends (shut off, *saved*). Restoring: QEMU starts with ``-incoming fd:N`` on the
image positioned at its migration stream, and once the state is loaded the processors run again
when the guest was running (or as the RUNNING/PAUSED flags say). A managed save image is the file
``state/save/NAME.save``: it survives restarts of the driver; the next start restores it and
removes it, FORCE_BOOT discards it.

Events, as libvirtd 9.0 sends them: a save "Suspended Paused" (libvirt's comes from QEMU's STOP and
races with the save, so it is sometimes missing there) and "Stopped Saved"; a restore "Started
Restored", then "Resumed Snapshot" or "Suspended Restored".
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from virt.domainsave import SaveFlags, replacement_fits
from virt.errors import ErrorNumber, VirtError
from virt.events import ResumedDetail, StartedDetail, SuspendedDetail
from virt.localstate.domains import copy_definition
from virt.states import DomainState, PausedReason, RunningReason, ShutoffReason

from virt_qemu import affinity, errors, saveimage
from virt_qemu.events import EventType
from virt_qemu.qmpevents import QMP_TIMEOUT

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.xml import Domain

    from virt_qemu.paths import DriverPaths
    from virt_qemu.runtime import DomainObj, Running
    from virt_qemu.saveimage import SaveImage

log = logging.getLogger(__name__)

MIGRATION_POLL = 0.05
"""How often QEMU is asked how far the migration to or from the file went."""
MIGRATION_TIMEOUT = 600.0
"""The longest a save or restore may take (a guest with a lot of memory on a slow disk)."""
UNLIMITED_BANDWIDTH = 2**53
"""Bytes per second: QEMU's migration throttle off, as libvirt does for a save."""
_FD_NAME = "virt-save"


def _wait_migration(execute: Any, what: str, each_poll: Callable[[], None] | None = None) -> None:
    """Poll ``query-migrate`` until QEMU says completed (calling ``each_poll`` between two polls); the
    error QEMU gives when it failed."""
    deadline = time.monotonic() + MIGRATION_TIMEOUT
    while True:
        if each_poll is not None:
            each_poll()
        answer = execute("query-migrate") or {}
        status = answer.get("status")
        if status == "completed":
            return
        if status in ("failed", "cancelled"):
            detail = answer.get("error-desc") or status
            raise errors.operation_failed(f"{what}: {detail}")
        if time.monotonic() > deadline:
            raise errors.error(ErrorNumber.OPERATION_TIMEOUT, f"{what}: no end after {MIGRATION_TIMEOUT:g}s")
        time.sleep(MIGRATION_POLL)


def _create_image_file(path: str) -> int:
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise errors.error(ErrorNumber.SYSTEM_ERROR, f"Failed to create file '{path}': {exc.strerror or exc}") from exc


class SaveStates:
    """Save, restore and managed save; the rest of QemuDriver supplies the domain table and lifecycle."""

    if TYPE_CHECKING:
        paths: DriverPaths

        def locked(self, ref: DomainRef) -> contextlib._GeneratorContextManager[DomainObj]: ...
        def _usable(self, obj: DomainObj) -> Running: ...
        def _set_state(self, obj: DomainObj, state: DomainState, reason: int, *, emit: bool = True) -> None: ...
        def _emit(self, obj: DomainObj, type_: EventType, detail: int) -> None: ...
        def _kill_and_stop(self, obj: DomainObj, reason: ShutoffReason) -> None: ...
        def _discard(self, obj: DomainObj, running: Running) -> None: ...
        def _spawn(self, definition: Domain, *, incoming_fd: int | None = None) -> Running: ...
        def _register_started(self, obj: DomainObj, definition: Domain, running: Running) -> None: ...
        def _start(self, obj: DomainObj, definition: Domain, *, paused: bool = False) -> None: ...
        def _remove(self, obj: DomainObj) -> None: ...
        def complete(self, domain: Domain) -> Domain: ...
        def add_definition(self, definition: Domain, *, live: bool) -> tuple[DomainObj, bool]: ...
        def qmp(self, obj: DomainObj, command: str, arguments: dict[str, Any] | None = None) -> Any: ...

    # -- managed save images ----------------------------------------------------------------------
    def managed_save_file(self, obj: DomainObj) -> Path:
        return self.paths.managed_save_file(obj.name)

    def has_managed_save(self, obj: DomainObj) -> bool:
        return self.managed_save_file(obj).exists()

    def _managed_image(self, obj: DomainObj) -> Path:
        path = self.managed_save_file(obj)
        if not path.exists():
            raise errors.error(ErrorNumber.OPERATION_INVALID, "domain does not have managed save image")
        return path

    def managed_save(self, ref: DomainRef, flags: SaveFlags) -> None:
        with self.locked(ref) as obj:
            if not obj.active:
                raise errors.not_running()
            if obj.config is None:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "cannot do managed save for transient domain")
            self._save(obj, str(self.managed_save_file(obj)), None, flags)

    def remove_managed_save(self, ref: DomainRef) -> None:
        with self.locked(ref) as obj:
            self._remove_image(self.managed_save_file(obj), "Failed to remove managed save file '{}'")

    def managed_save_xml(self, ref: DomainRef) -> str:
        with self.locked(ref) as obj:
            return saveimage.read(self._managed_image(obj)).xml

    def define_managed_save_xml(self, ref: DomainRef, xml: str | None, flags: SaveFlags) -> None:
        with self.locked(ref) as obj:
            self._redefine(self._managed_image(obj), xml, flags)

    # -- save images anywhere ---------------------------------------------------------------------
    def save(self, ref: DomainRef, path: str, xml: str | None, flags: SaveFlags) -> None:
        with self.locked(ref) as obj:
            if not obj.active:
                raise errors.not_running()
            self._save(obj, path, xml, flags)

    def save_image_xml(self, path: str) -> str:
        return saveimage.read(path).xml

    def define_save_image_xml(self, path: str, xml: str, flags: SaveFlags) -> None:
        self._redefine(Path(path), xml, flags)

    def _redefine(self, path: Path, xml: str | None, flags: SaveFlags) -> None:
        """A new definition (same guest) and/or the state to restore in, written back in place."""
        from virt.xml import Domain

        image = saveimage.read(path)
        if xml is not None:
            replacement = Domain.from_xml(xml)
            replacement_fits(Domain.from_xml(image.xml), replacement)
            image.xml = replacement.to_xml()
        if flags & SaveFlags.RUNNING:
            image.was_running = True
        elif flags & SaveFlags.PAUSED:
            image.was_running = False
        saveimage.rewrite(path, image)

    def _image_xml(self, obj: DomainObj, xml: str | None) -> str:
        """The definition the image keeps: the running one, or ``xml`` when it describes the same guest."""
        from virt.xml import Domain

        live = obj.live
        assert live is not None
        saved = copy_definition(live)
        saved.id = None
        if xml is None:
            return saved.to_xml()
        replacement = Domain.from_xml(xml)
        replacement_fits(saved, replacement)
        return replacement.to_xml()

    def _save(self, obj: DomainObj, path: str, xml: str | None, flags: SaveFlags) -> None:
        """libvirt's qemuDomainSaveInternal, ``obj`` held locked: stop, migrate to the file, end QEMU."""
        running = self._usable(obj)
        if obj.state not in (DomainState.RUNNING, DomainState.PAUSED):
            raise errors.error(ErrorNumber.OPERATION_INVALID, f"domain is {obj.state.label}")
        was_running = obj.state == DomainState.RUNNING
        if was_running:  # libvirt pauses first: whatever fails next leaves it "running (save canceled)"
            self.qmp(obj, "stop")
            self._set_state(obj, DomainState.PAUSED, PausedReason.SAVE, emit=False)
            self._emit(obj, EventType.SUSPENDED, SuspendedDetail.PAUSED)
        fd: int | None = None
        try:
            image = saveimage.new_image(self._image_xml(obj, xml), was_running=was_running)
            if flags & SaveFlags.RUNNING:
                image.was_running = True
            elif flags & SaveFlags.PAUSED:
                image.was_running = False
            fd = _create_image_file(path)
            try:
                os.write(fd, image.header(saveimage.PARTIAL) + image.data())
            except OSError as exc:
                raise errors.error(
                    ErrorNumber.SYSTEM_ERROR, f"failed to write header to domain save file '{path}': {exc.strerror}"
                ) from exc
            self._migrate_to(obj, running, fd, bypass_cache=bool(flags & SaveFlags.BYPASS_CACHE))
            saveimage.mark_complete(fd, image, path)
            if flags & SaveFlags.BYPASS_CACHE:
                saveimage.drop_cached(fd)
        except BaseException as exc:
            if fd is not None:
                os.close(fd)
                with contextlib.suppress(OSError):
                    Path(path).unlink()
            if was_running and obj.running is running and obj.state == DomainState.PAUSED:
                with contextlib.suppress(VirtError):
                    self.qmp(obj, "cont")
                    self._set_state(obj, DomainState.RUNNING, RunningReason.SAVE_CANCELED, emit=False)
                    self._emit(obj, EventType.RESUMED, ResumedDetail.UNPAUSED)
            if isinstance(exc, VirtError):
                raise
            raise errors.operation_failed(f"saving domain '{obj.name}' to '{path}' failed: {exc}") from exc
        os.close(fd)
        self._kill_and_stop(obj, ShutoffReason.SAVED)

    def _migrate_to(self, obj: DomainObj, running: Running, fd: int, *, bypass_cache: bool = False) -> None:
        """QEMU's migration stream appended to ``fd`` (positioned after the header); ``bypass_cache``:
        what it wrote so far leaves the page cache at each poll, so a large guest never fills it."""
        monitor = running.monitor
        assert monitor is not None
        monitor.execute("getfd", {"fdname": _FD_NAME}, timeout=QMP_TIMEOUT, fd=fd)
        try:
            self.qmp(obj, "migrate-set-parameters", {"max-bandwidth": UNLIMITED_BANDWIDTH})
            self.qmp(obj, "migrate", {"uri": f"fd:{_FD_NAME}"})
            _wait_migration(
                lambda command: self.qmp(obj, command),
                "migration to the save file failed",
                (lambda: saveimage.drop_cached(fd)) if bypass_cache else None,
            )
        finally:
            with contextlib.suppress(VirtError):
                self.qmp(obj, "closefd", {"fdname": _FD_NAME})

    # -- restoring -------------------------------------------------------------------------------
    def restore(self, path: str, xml: str | None, flags: SaveFlags) -> None:
        """libvirt's qemuDomainRestoreFlags: the image's domain (defined or not) starts from the image."""
        from virt.xml import Domain

        fd = saveimage.open_for_reading(path)
        try:
            image = saveimage.read_fd(fd)
            saveimage.check_restorable(image)
            definition = Domain.from_xml(image.xml)
            if xml is not None:
                replacement = Domain.from_xml(xml)
                replacement_fits(definition, replacement)
                definition = replacement
            self.complete(definition)
            obj, _ = self.add_definition(definition, live=True)
            with obj.lock, saveimage.stream(image, fd) as incoming:
                try:
                    self._start_from(obj, definition, incoming, self._runs_after(image, flags))
                except BaseException:
                    if obj.config is None and not obj.active:
                        self._remove(obj)
                    raise
            if flags & SaveFlags.BYPASS_CACHE:
                saveimage.drop_cached(fd)
        finally:
            os.close(fd)

    @staticmethod
    def _runs_after(image: SaveImage, flags: SaveFlags) -> bool:
        if flags & SaveFlags.RUNNING:
            return True
        if flags & SaveFlags.PAUSED:
            return False
        return image.was_running

    def start_managed(
        self, obj: DomainObj, *, force_boot: bool, paused: bool = False, bypass_cache: bool = False
    ) -> bool:
        """libvirt's qemuDomainObjStart for a domain with a managed save image, ``obj`` held locked:
        True when the image was restored (and removed); FORCE_BOOT removes it and boots instead, an
        unreadable image is removed too and the domain boots (libvirt's "ignoring incomplete managed state")."""
        path = self.managed_save_file(obj)
        if not path.exists():
            return False
        if force_boot:
            self._remove_image(path)
            return False
        fd = saveimage.open_for_reading(path)
        try:
            try:
                image = saveimage.read_fd(fd)
            except VirtError as exc:
                log.warning("domain %s: ignoring the unreadable managed save image %s: %s", obj.name, path, exc)
                self._remove_image(path)
                return False
            saveimage.check_restorable(image)
            definition = self._restored_definition(obj, image)
            with saveimage.stream(image, fd) as incoming:
                self._start_from(obj, definition, incoming, image.was_running and not paused, paused=paused)
            if bypass_cache:
                saveimage.drop_cached(fd)
        finally:
            os.close(fd)
        self._remove_image(path)
        return True

    def start(
        self, ref: DomainRef, *, force_boot: bool = False, paused: bool = False, bypass_cache: bool = False
    ) -> None:
        """Start a defined domain: from its managed save image when it has one (unless ``force_boot``);
        ``paused``: its processors left stopped (START_PAUSED); ``bypass_cache``: the image read leaves
        the page cache."""
        with self.locked(ref) as obj:
            if obj.active:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "domain is already running")
            self._start_defined(obj, force_boot=force_boot, paused=paused, bypass_cache=bypass_cache)

    def _start_defined(
        self, obj: DomainObj, *, force_boot: bool = False, paused: bool = False, bypass_cache: bool = False
    ) -> None:
        """``DomainLifecycle``'s start and autostart, through the managed save image when there is one."""
        if self.start_managed(obj, force_boot=force_boot, paused=paused, bypass_cache=bypass_cache):
            return
        assert obj.config is not None
        self._start(obj, copy_definition(obj.config), paused=paused)

    def undefine_with_image(self, ref: DomainRef, *, managed_save: bool) -> None:
        """libvirt's refusal to forget a domain whose managed save image would be left behind; with
        ``managed_save`` (VIR_DOMAIN_UNDEFINE_MANAGED_SAVE) the image goes first."""
        with self.locked(ref) as obj:
            path = self.managed_save_file(obj)
            if obj.config is not None and path.exists():
                if not managed_save:
                    raise errors.error(
                        ErrorNumber.OPERATION_INVALID, "Refusing to undefine while domain managed save image exists"
                    )
                self._remove_image(path, "Failed to remove domain managed save image '{}'")

    def _restored_definition(self, obj: DomainObj, image: SaveImage) -> Domain:
        from virt.xml import Domain

        definition = Domain.from_xml(image.xml)
        if definition.name != obj.name or definition.uuid != obj.uuid:
            raise errors.error(
                ErrorNumber.OPERATION_FAILED,
                f"cannot restore domain '{obj.name}' uuid {obj.uuid} from a file which belongs to domain "
                f"'{definition.name}' uuid {definition.uuid}",
            )
        return self.complete(definition)

    @staticmethod
    def _remove_image(path: Path, failure: str = "cannot remove managed save file {}") -> None:
        """Remove the image if it is there; ``failure`` (the path for ``{}``) is libvirt's words when it cannot."""
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise errors.error(ErrorNumber.SYSTEM_ERROR, f"{failure.format(path)}: {exc.strerror}") from exc

    def _start_from(self, obj: DomainObj, definition: Domain, fd: int, run: bool, *, paused: bool = False) -> None:
        """Start QEMU on the image ``fd`` (``obj`` held locked), wait for the state to load, then run
        the processors when ``run``; libvirt's events: Started Restored, then Resumed or Suspended."""
        if obj.active:
            raise errors.error(ErrorNumber.OPERATION_INVALID, "domain is already running")
        running = self._spawn(definition, incoming_fd=fd)
        try:
            self._register_started(obj, definition, running)
            _wait_migration(lambda command: self.qmp(obj, command), "restoring the domain's state failed")
            affinity.apply(lambda command, arguments=None: self.qmp(obj, command, arguments), running, definition)
        except BaseException as exc:
            self._discard(obj, running)
            if isinstance(exc, VirtError):
                raise
            raise errors.internal(f"restoring domain '{obj.name}' failed: {exc}") from exc
        self._emit(obj, EventType.STARTED, StartedDetail.RESTORED)
        if run:
            self.qmp(obj, "cont")
            self._set_state(obj, DomainState.RUNNING, RunningReason.RESTORED, emit=False)
            # libvirt maps the running reason "restored" to the resume detail "from snapshot"
            self._emit(obj, EventType.RESUMED, ResumedDetail.FROM_SNAPSHOT)
        else:
            # left as QEMU's incoming migration leaves it: libvirt says "paused (migrating)"
            self._set_state(obj, DomainState.PAUSED, PausedReason.MIGRATION, emit=False)
            # START_PAUSED of a managed save image says "paused"; an image saved paused "restored"
            self._emit(obj, EventType.SUSPENDED, SuspendedDetail.PAUSED if paused else SuspendedDetail.RESTORED)
