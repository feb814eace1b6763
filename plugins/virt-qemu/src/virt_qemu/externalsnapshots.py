"""External snapshots (a mixin of the driver's snapshot half): each disk keeps its image as the
snapshot's point in time and goes on in a new qcow2 overlay; the memory, if kept, goes to a file.

Creating one: a shut off domain's overlays are made with ``qemu-img``; a running domain's are made
the same way, opened with ``blockdev-add`` and put on top of the disks by one QMP ``transaction`` of
``blockdev-snapshot`` actions (all disks or none), the processors paused meanwhile when the memory
is saved too (QEMU's migration into a save image, as ``savestate`` writes them). The domain's
definitions then name the overlays, the images below in ``<backingStore>``.

Reverting (libvirt 9.0 refuses it): a new overlay goes on the image the snapshot kept, so the
snapshot can be reverted to again; the domain runs from the memory file when the snapshot has one.
Deleting: the snapshot's overlay is merged into the image below it (QMP ``block-commit`` while the
domain runs it, ``qemu-img commit`` otherwise), so the images of the other snapshots and the current
state keep every byte; an image two others build on cannot be merged into and the delete is refused.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from virt.errors import ErrorDomain, ErrorNumber, VirtError, libvirt_error
from virt.events import ResumedDetail, SuspendedDetail
from virt.snapshots import CreateFlags, RevertFlags
from virt.states import DomainState, PausedReason, RunningReason, ShutoffReason

from virt_qemu import blockcommit, errors, overlays, saveimage
from virt_qemu.events import EventType

if TYPE_CHECKING:
    from virt.localstate.definitions import DefinitionStore
    from virt.xml import Domain
    from virt.xml.devices import Disk
    from virt.xml.snapshot import DomainSnapshot, SnapshotDisk

    from virt_qemu.runtime import DomainObj, Running
    from virt_qemu.snapshotstate import SnapshotList


def _config_error(message: str) -> VirtError:
    return libvirt_error(ErrorNumber.CONFIG_UNSUPPORTED, message, ErrorDomain.QEMU)


def check_memory(snap: DomainSnapshot, *, offline: bool) -> None:
    """virDomainSnapshotDefParse's rules for <memory>: a file means external, external needs a
    file, and there is no memory to save for a shut off domain or a disk-only snapshot."""
    memory = snap.memory
    if memory is None:
        return
    if memory.file and memory.snapshot is None:
        memory.snapshot = "external"
    if memory.file and memory.snapshot != "external":
        raise libvirt_error(
            ErrorNumber.XML_ERROR,
            f"memory filename '{memory.file}' requires external snapshot",
            ErrorDomain.DOMAIN_SNAPSHOT,
        )
    if memory.snapshot == "external" and not memory.file:
        raise libvirt_error(
            ErrorNumber.XML_ERROR, "external memory snapshots require a filename", ErrorDomain.DOMAIN_SNAPSHOT
        )
    if memory.snapshot not in (None, "no") and offline:
        raise libvirt_error(
            ErrorNumber.XML_ERROR,
            "memory state cannot be saved with offline or disk-only snapshot",
            ErrorDomain.DOMAIN_SNAPSHOT,
        )


def disk_of(definition: Domain, target: str | None) -> Disk | None:
    for disk in definition.devices.disks if definition.devices is not None else []:
        if disk.target is not None and disk.target.dev == target:
            return disk
    return None


def _source(disk: Disk | None) -> str | None:
    return disk.source.file if disk is not None and disk.source is not None else None


def _format(disk: Disk) -> str:
    return disk.driver.type if disk.driver is not None and disk.driver.type else "raw"


def external_disks(snap: DomainSnapshot) -> list[SnapshotDisk]:
    return [d for d in (snap.disks.disks if snap.disks is not None else []) if d.snapshot == "external"]


def check_modes(snap: DomainSnapshot, definition: Domain, default: str) -> None:
    """virDomainSnapshotAlignDisks for QEMU: a snapshot kept inside the images (``default``
    internal) takes every disk the same way, but those that are never snapshotted."""
    if default != "internal":
        return
    for entry in snap.disks.disks if snap.disks is not None else []:
        disk = disk_of(definition, entry.name)
        if entry.snapshot in (None, "internal") or (
            entry.snapshot == "no" and disk is not None and disk.snapshot == "no"
        ):
            continue
        raise libvirt_error(
            ErrorNumber.CONFIG_UNSUPPORTED,
            f"disk '{entry.name}' must use snapshot mode 'internal'",
            ErrorDomain.DOMAIN_SNAPSHOT,
        )


def is_external_plan(snap: DomainSnapshot) -> bool:
    """qemuSnapshotPrepare's checks of a new snapshot's modes: True for an external one, False for
    an internal one; libvirt's refusal of a mix."""
    entries = snap.disks.disks if snap.disks is not None else []
    internal = any(d.snapshot == "internal" for d in entries)
    external = any(d.snapshot == "external" for d in entries)
    memory = snap.memory.snapshot if snap.memory is not None else None
    for entry in entries:
        if snap.state == "disk-snapshot" and entry.snapshot == "internal":
            raise _config_error(
                f"active qemu domains require external disk snapshots; disk {entry.name} requested internal"
            )
    if (internal and external) or (memory == "internal" and external) or (memory == "external" and internal):
        raise _config_error("mixing internal and external targets for a snapshot is not yet supported")
    if snap.state == "disk-snapshot" and not external:
        raise _config_error("disk-only snapshots require at least one disk to be selected for snapshot")
    if not internal and not external and memory in (None, "no"):
        raise _config_error("nothing selected for snapshot")
    return external or memory == "external"


def plan_overlays(snap: DomainSnapshot, definition: Domain, *, reuse: bool) -> list[tuple[SnapshotDisk, Disk]]:
    """Each external disk of ``snap`` with its disk in ``definition``: the overlay's file (libvirt's
    default name when none is given) and format (qcow2 unless given) filled in and checked."""
    from virt.xml.snapshot import SnapshotDiskDriver, SnapshotDiskSource

    planned: list[tuple[SnapshotDisk, Disk]] = []
    for entry in external_disks(snap):
        disk = disk_of(definition, entry.name)
        assert disk is not None  # snapshottree.check_disks named each
        if entry.driver is None:
            entry.driver = SnapshotDiskDriver()
        entry.driver.type = entry.driver.type or "qcow2"
        if entry.driver.type not in overlays.OVERLAY_FORMATS:
            raise _config_error(f"external snapshot format for disk {entry.name} is unsupported: {entry.driver.type}")
        if disk.readonly and not reuse:
            raise _config_error(f"external snapshot for readonly disk {entry.name} is not supported")
        entry.type = entry.type or "file"
        if entry.source is None or not entry.source.file:
            if entry.source is not None and (entry.source.dev or entry.source.protocol):
                raise _config_error(f"external snapshots of disk {entry.name} need a file (virt-qemu)")
            source = _source(disk)
            if disk.type not in (None, "file"):
                raise _config_error(
                    f"cannot generate external snapshot name for disk '{entry.name}' on a '{disk.type}' device"
                )
            if not source:
                raise _config_error(f"cannot generate external snapshot name for disk '{entry.name}' without source")
            entry.source = entry.source or SnapshotDiskSource()
            assert snap.name is not None
            entry.source.file = overlays.default_name(source, snap.name)
            for other, _ in planned:
                if other.source is not None and other.source.file == entry.source.file:
                    raise _config_error(
                        f"cannot generate external snapshot name for disk '{entry.name}': "
                        f"collision with disk '{other.name}'"
                    )
        if not _source(disk):
            raise _config_error(f"external snapshot of disk {entry.name} needs a source file (virt-qemu)")
        overlays.check_new(entry.source.file, str(entry.name), reuse=reuse)  # type: ignore[arg-type]
        planned.append((entry, disk))
    return planned


def _files_of(definition: Domain | None) -> Iterator[str]:
    for disk in definition.devices.disks if definition is not None and definition.devices is not None else []:
        path = _source(disk)
        if path:
            yield path


def check_internal_revert(snapshots: dict[str, DomainSnapshot], snap: DomainSnapshot) -> None:
    """An internal snapshot's images go back in place: refused when an external snapshot keeps one
    of them as its point in time (its overlays build on it, and would see it change under them)."""
    files = set(_files_of(snap.domain))
    for other in snapshots.values():
        if other is snap or not external_disks(other):
            continue
        kept = files & set(_files_of(other.domain))
        if kept:
            raise errors.error(
                ErrorNumber.OPERATION_UNSUPPORTED,
                f"cannot revert to internal snapshot '{snap.name}': external snapshot '{other.name}' keeps "
                f"image '{sorted(kept)[0]}' that overlays build on",
            )


class ExternalSnapshots:
    """External snapshot create, revert and delete (callers hold the domain's lock)."""

    if TYPE_CHECKING:
        definitions: DefinitionStore

        def _usable(self, obj: DomainObj) -> Running: ...
        def _set_state(self, obj: DomainObj, state: DomainState, reason: int, *, emit: bool = True) -> None: ...
        def _emit(self, obj: DomainObj, type_: EventType, detail: int) -> None: ...
        def _kill_and_stop(self, obj: DomainObj, reason: ShutoffReason) -> None: ...
        def _start(
            self, obj: DomainObj, definition: Domain, *, paused: bool = False, for_snapshot: bool = False
        ) -> None: ...
        def _start_from(
            self, obj: DomainObj, definition: Domain, fd: int, run: bool, *, paused: bool = False
        ) -> None: ...
        def _migrate_to(self, obj: DomainObj, running: Running, fd: int) -> None: ...
        def _save_status(self, obj: DomainObj) -> None: ...
        def _define_from(self, obj: DomainObj, definition: Domain) -> None: ...
        def qmp(self, obj: DomainObj, command: str, arguments: dict[str, Any] | None = None) -> Any: ...

    # -- create -----------------------------------------------------------------------------------
    def _create_external(self, obj: DomainObj, snap: DomainSnapshot, flags: int) -> None:
        """Make ``snap`` (its defaults filled) of ``obj``: overlays, memory file, definitions switched."""
        reuse = bool(flags & CreateFlags.REUSE_EXT)
        planned = plan_overlays(snap, obj.current, reuse=reuse)
        memory = snap.memory.file if snap.memory is not None and snap.memory.snapshot == "external" else None
        made: list[str] = []
        try:
            for entry, disk in planned:
                overlay = str(entry.source.file)  # type: ignore[union-attr]
                if not reuse or not Path(overlay).exists():
                    overlays.create(overlay, str(_source(disk)), _format(disk), str(entry.driver.type))  # type: ignore[union-attr]
                    made.append(overlay)
            if obj.active:
                self._snapshot_running(obj, planned, memory, halt=bool(flags & CreateFlags.HALT))
        except BaseException:
            for path in made:  # ATOMIC or not: no disk is left half switched
                with contextlib.suppress(OSError):
                    Path(path).unlink()
            raise
        self._switch_sources(obj, {str(e.name): (str(e.source.file), str(e.driver.type)) for e, _ in planned})  # type: ignore[union-attr]

    def _snapshot_running(
        self, obj: DomainObj, planned: list[tuple[SnapshotDisk, Disk]], memory: str | None, *, halt: bool
    ) -> None:
        """The running guest's part: paused (when its memory is kept), overlays switched to in one
        transaction, memory migrated to ``memory``, then running again or (``halt``) stopped."""
        running = self._usable(obj)
        was_running = obj.state == DomainState.RUNNING
        if memory is not None and was_running:
            self.qmp(obj, "stop")
            self._set_state(obj, DomainState.PAUSED, PausedReason.SNAPSHOT, emit=False)
            self._emit(obj, EventType.SUSPENDED, SuspendedDetail.PAUSED)
        try:
            self._blockdev_snapshot(obj, planned)
            if memory is not None:
                self._save_memory(obj, running, memory, was_running=was_running)
        finally:
            if halt and obj.running is not None:
                self._kill_and_stop(obj, ShutoffReason.FROM_SNAPSHOT)
            elif memory is not None and was_running and obj.running is not None:
                self.qmp(obj, "cont")
                self._set_state(obj, DomainState.RUNNING, RunningReason.UNPAUSED, emit=False)
                self._emit(obj, EventType.RESUMED, ResumedDetail.UNPAUSED)

    def _nodes(self, obj: DomainObj) -> dict[str, str]:
        """Image file -> its format node, for every node QEMU has open."""
        found: dict[str, str] = {}
        for node in self.qmp(obj, "query-named-block-nodes") or []:
            if node.get("drv") not in ("file", "host_device", "host_cdrom") and node.get("file"):
                found.setdefault(str(node["file"]), str(node["node-name"]))
        return found

    def _blockdev_snapshot(self, obj: DomainObj, planned: list[tuple[SnapshotDisk, Disk]]) -> None:
        nodes = self._nodes(obj)
        taken = set(nodes.values()) | {str(n.get("node-name")) for n in self.qmp(obj, "query-named-block-nodes")}
        added: list[str] = []
        actions: list[dict[str, Any]] = []
        try:
            for entry, disk in planned:
                top = nodes.get(str(_source(disk)))
                if top is None:
                    raise errors.operation_failed(f"disk {entry.name}: QEMU has no image '{_source(disk)}' open")
                k = 0
                while f"ov{k}-fmt" in taken:
                    k += 1
                storage, fmt = f"ov{k}-file", f"ov{k}-fmt"
                taken |= {storage, fmt}
                overlay = str(entry.source.file)  # type: ignore[union-attr]
                self.qmp(obj, "blockdev-add", {"driver": "file", "filename": overlay, "node-name": storage})
                added.append(storage)
                self.qmp(
                    obj,
                    "blockdev-add",
                    {"driver": str(entry.driver.type), "node-name": fmt, "file": storage, "backing": None},  # type: ignore[union-attr]
                )
                added.append(fmt)
                actions.append({"type": "blockdev-snapshot", "data": {"node": top, "overlay": fmt}})
            self.qmp(obj, "transaction", {"actions": actions})
        except BaseException:
            for node in reversed(added):
                with contextlib.suppress(VirtError):
                    self.qmp(obj, "blockdev-del", {"node-name": node})
            raise

    def _save_memory(self, obj: DomainObj, running: Running, path: str, *, was_running: bool) -> None:
        """The guest's memory into ``path`` as a save image (the snapshot-time definition inside)."""
        assert obj.live is not None
        image = saveimage.new_image(obj.live.to_xml(), was_running=was_running)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise errors.error(ErrorNumber.SYSTEM_ERROR, f"Failed to create file '{path}': {exc.strerror}") from exc
        try:
            os.write(fd, image.header(saveimage.PARTIAL) + image.data())
            self._migrate_to(obj, running, fd)
            saveimage.mark_complete(fd, image, path)
        except BaseException:
            with contextlib.suppress(OSError):
                Path(path).unlink()
            raise
        finally:
            os.close(fd)

    def _switch_sources(self, obj: DomainObj, images: dict[str, tuple[str, str]]) -> None:
        """Each disk named in ``images`` (target -> image, format) now on that image, in the live
        definition and in the persistent one (when it has the same disk on the same image)."""
        definitions = [d for d in (obj.live if obj.active else None, obj.config) if d is not None]
        for definition in definitions:
            for target, (image, fmt) in images.items():
                disk = disk_of(definition, target)
                if disk is None or disk.source is None:
                    continue
                set_image(disk, image, fmt, live=definition is obj.live and obj.active)
        if obj.config is not None:
            self.definitions.save(obj.config)
        if obj.active:
            self._save_status(obj)

    # -- revert -----------------------------------------------------------------------------------
    def _revert_external(self, obj: DomainObj, snaps: SnapshotList, snap: DomainSnapshot, flags: int) -> None:
        """The disks back to ``snap``'s images under new overlays, its memory loaded when it has some;
        the definition becomes the snapshot's (on the new overlays)."""
        assert snap.domain is not None
        if obj.active:
            self._kill_and_stop(obj, ShutoffReason.FROM_SNAPSHOT)
        definition = snap.domain.clone()
        referenced = self._snapshot_bases(snaps)
        for entry in external_disks(snap):
            disk = disk_of(definition, entry.name)
            base = _source(disk)
            if disk is None or base is None or entry.source is None or not entry.source.file:
                continue
            self._discard_top(obj, snaps, str(entry.name), referenced)
            overlay = _free_overlay(entry.source.file, referenced)
            fmt = entry.driver.type if entry.driver is not None and entry.driver.type else "qcow2"
            Path(overlay).unlink(missing_ok=True)
            overlays.create(overlay, base, _format(disk), fmt)
            set_image(disk, overlay, fmt)
        memory = snap.memory.file if snap.memory is not None and snap.memory.snapshot == "external" else None
        live_state = snap.state in ("running", "paused")
        paused = (snap.state == "paused" or bool(flags & RevertFlags.PAUSED)) and not flags & RevertFlags.RUNNING
        if memory is not None and live_state:
            fd = saveimage.open_for_reading(memory)
            try:
                image = saveimage.read_fd(fd)
                saveimage.check_restorable(image)
                with saveimage.stream(image, fd) as incoming:
                    self._start_from(obj, definition.clone(), incoming, not paused)
            finally:
                os.close(fd)
        elif flags & (RevertFlags.RUNNING | RevertFlags.PAUSED):
            self._start(obj, definition.clone(), paused=bool(flags & RevertFlags.PAUSED))
        self._define_from(obj, definition)

    def _snapshot_bases(self, snaps: SnapshotList) -> set[str]:
        """The images some snapshot keeps as its point in time (its definition's disk sources)."""
        return {path for s in snaps.snaps.values() for path in _files_of(s.domain)}

    def _discard_top(self, obj: DomainObj, snaps: SnapshotList, target: str, referenced: set[str]) -> None:
        """The state a revert throws away: the disk's current overlay, when it is one a snapshot or a
        revert made and no snapshot keeps it."""
        made = {
            str(e.source.file) for s in snaps.snaps.values() for e in external_disks(s) if e.source and e.source.file
        }
        current = _source(disk_of(obj.config or obj.current, target)) if (obj.config or obj.live) else None
        if current is None or current in referenced:
            return
        if current in made or any(current.startswith(f"{m}-") and current[len(m) + 1 :].isdigit() for m in made):
            Path(current).unlink(missing_ok=True)

    # -- delete -----------------------------------------------------------------------------------
    def _delete_external(self, obj: DomainObj, snaps: SnapshotList, snap: DomainSnapshot) -> None:
        """``snap``'s point in time dropped: the one image built on each image it kept merged into
        it, the images nothing needs any more (states a revert left behind) removed, its memory file too."""
        assert snap.domain is not None
        for entry in external_disks(snap):
            base = _source(disk_of(snap.domain, entry.name))
            if base is not None and Path(base).exists():
                self._merge_into(obj, snaps, snap, str(entry.name), base)
        if snap.memory is not None and snap.memory.snapshot == "external" and snap.memory.file:
            Path(snap.memory.file).unlink(missing_ok=True)

    def _known_images(self, obj: DomainObj, snaps: SnapshotList) -> set[str]:
        """Every image a snapshot or the domain names, and those below the domain's own."""
        known = self._snapshot_bases(snaps)
        for s in snaps.snaps.values():
            known |= {str(e.source.file) for e in external_disks(s) if e.source is not None and e.source.file}
        return {p for p in known | self._needed(obj, snaps, None) if Path(p).exists()}

    def _needed(self, obj: DomainObj, snaps: SnapshotList, deleted: str | None) -> set[str]:
        """The images the domain runs on and those the snapshots (but ``deleted``) keep, with every
        image below them."""
        tops = {p for d in (obj.live if obj.active else None, obj.config) for p in _files_of(d)}
        tops |= {p for s in snaps.snaps.values() if s.name != deleted for p in _files_of(s.domain)}
        return {str(layer["filename"]) for p in tops if Path(p).exists() for layer in overlays.chain(p)}

    def _merge_into(self, obj: DomainObj, snaps: SnapshotList, snap: DomainSnapshot, target: str, base: str) -> None:
        known = self._known_images(obj, snaps)
        needed = self._needed(obj, snaps, snap.name)
        above = {path: overlays.backing_of(path) for path in known}
        on_base = sorted(p for p, below in above.items() if below == base)
        for path in on_base:
            if path not in needed:  # a state nobody keeps: it goes, with what was built on it
                self._drop_unneeded(path, above)
        kept = [p for p in on_base if p in needed]
        if not kept:
            return
        if len(kept) > 1:
            raise errors.error(
                ErrorNumber.OPERATION_UNSUPPORTED,
                f"cannot merge into '{base}' for the deletion of snapshot '{snap.name}': "
                f"several images build on it ({', '.join(kept)})",
            )
        top = kept[0]
        on_top = [p for p, below in above.items() if below == top and Path(p).exists()]
        base_format = overlays.image_format(base)
        live = obj.live if obj.active else None
        running_top = _source(disk_of(live, target)) if live is not None else None
        chain = {str(layer["filename"]) for layer in overlays.chain(running_top)} if running_top else set()
        if top in chain:
            assert running_top is not None
            nodes = self._nodes(obj)
            unopened = [path for path in (running_top, top, base) if path not in nodes]
            if unopened:
                raise errors.operation_failed(f"disk {target}: QEMU has no image '{unopened[0]}' open")
            blockcommit.commit(
                lambda command, arguments: self.qmp(obj, command, arguments),
                root=nodes[running_top],
                top=nodes[top],
                base=nodes[base],
                job_id=f"commit-{target}",
            )
            # the named nodes QEMU dropped from the chain are still open (and hold the one below as
            # their backing, which could then not be a root for the next commit): closed now
            storage = _storage_node(nodes[top])
            for node in (nodes[top], storage) if storage else ():
                with contextlib.suppress(VirtError):
                    self.qmp(obj, "blockdev-del", {"node-name": node})
            on_top = [p for p in on_top if p not in chain]  # QEMU rewrote the one above it in the chain
        else:
            overlays.commit(top)
        for path in on_top:
            overlays.rebase_unsafe(path, base, base_format)
        self._replace_image(obj, snaps, target, top, base, base_format)
        Path(top).unlink()

    @staticmethod
    def _drop_unneeded(path: str, above: dict[str, str | None]) -> None:
        for child in [p for p, below in above.items() if below == path]:
            ExternalSnapshots._drop_unneeded(child, above)
        Path(path).unlink(missing_ok=True)

    def _replace_image(self, obj: DomainObj, snaps: SnapshotList, target: str, old: str, new: str, fmt: str) -> None:
        """``old`` merged into ``new``: every definition naming it (the domain's, the snapshots') now
        names ``new``; the chains written again."""
        switched = {}
        for definition in (obj.live if obj.active else None, obj.config):
            disk = disk_of(definition, target) if definition is not None else None
            if disk is not None and _source(disk) == old:
                switched[target] = (new, fmt)
        for s in snaps.snaps.values():
            disk = disk_of(s.domain, target) if s.domain is not None else None
            if disk is not None and _source(disk) == old:
                set_image(disk, new, fmt)
            elif disk is not None and _source(disk) and Path(str(_source(disk))).exists():
                set_image(disk, str(_source(disk)), _format(disk))
        self._switch_sources(obj, switched)
        if not switched:  # the chain below the domain's image may have changed all the same
            for definition in (obj.live if obj.active else None, obj.config):
                disk = disk_of(definition, target) if definition is not None else None
                if disk is not None and _source(disk):
                    set_image(disk, str(_source(disk)), _format(disk), live=definition is obj.live)
            self._switch_sources(obj, {})


def set_image(disk: Disk, image: str, fmt: str, *, live: bool = False) -> None:
    """``disk`` on ``image`` (of ``fmt``), its chain below as ``<backingStore>`` (``live``: in a
    running domain's definition)."""
    from virt.xml.devices import DiskDriver, DiskSource

    disk.source = disk.source or DiskSource()
    disk.source.file = image
    disk.driver = disk.driver or DiskDriver()
    disk.driver.type = fmt
    chain = overlays.backing_store(image, live=live)
    disk.backing_store = chain if len(chain) else None


def _storage_node(format_node: str) -> str | None:
    """The storage node below a format node we named (QEMU's own ``#block`` nodes close by themselves)."""
    for fmt, storage in (("-fmt", "-file"), ("-format", "-storage")):
        if format_node.endswith(fmt):
            return format_node.removesuffix(fmt) + storage
    return None


def _free_overlay(made: str, referenced: set[str]) -> str:
    """The file for a revert's overlay: the snapshot's own overlay when no snapshot keeps it (its
    content was the state the revert discards), else the first ``NAME-N`` none keeps."""
    if made not in referenced:
        return made
    n = 1
    while f"{made}-{n}" in referenced:
        n += 1
    return f"{made}-{n}"
