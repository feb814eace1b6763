"""Internal snapshots of qcow2 disks, as libvirt 9.0's QEMU driver makes them (a mixin of QemuDriver).

A running guest's snapshot is HMP ``savevm`` (memory and every disk inside the qcow2 images, as
libvirt 9.0 does it), a shut off one's ``qemu-img snapshot -c`` on each disk; revert is ``loadvm`` or
``qemu-img snapshot -a``, delete ``delvm`` or ``qemu-img snapshot -d``. The metadata is libvirt's:
one ``<domainsnapshot>`` file per snapshot in ``state_dir/snapshot/DOMAIN/NAME.xml``, the current
one marked ``<active>1</active>``; the tree itself is core's (``virt.snapshottree``).
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from virt import snapshottree
from virt.errors import ErrorDomain, ErrorNumber, VirtError, libvirt_error
from virt.events import DefinedDetail, ResumedDetail, SuspendedDetail
from virt.snapshots import CreateFlags, DeleteFlags, RevertFlags
from virt.states import DomainState, PausedReason, RunningReason, ShutoffReason

from virt_qemu import errors, externalsnapshots
from virt_qemu.events import EventType
from virt_qemu.externalsnapshots import ExternalSnapshots

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.localstate.definitions import DefinitionStore
    from virt.xml import Domain
    from virt.xml.snapshot import DomainSnapshot

    from virt_qemu.paths import DriverPaths
    from virt_qemu.runtime import DomainObj

_STATE_NAMES = {DomainState.RUNNING: "running", DomainState.PAUSED: "paused", DomainState.SHUTOFF: "shutoff"}


def _missing(name: str) -> VirtError:
    return libvirt_error(
        ErrorNumber.NO_DOMAIN_SNAPSHOT, f"no domain snapshot with matching name '{name}'", ErrorDomain.DOMAIN_SNAPSHOT
    )


class SnapshotList:
    """One domain's snapshots (creation order) and the current one's name."""

    def __init__(self) -> None:
        self.snaps: dict[str, DomainSnapshot] = {}
        self.current: str | None = None


def _qemu_img(*args: str) -> None:
    done = subprocess.run(["qemu-img", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise errors.operation_failed(f"qemu-img {' '.join(args)} failed: {done.stderr.strip()}")


def _internal_disks(definition: Domain, snap: DomainSnapshot) -> list[str]:
    """The image files of the disks ``snap`` keeps internally; libvirt's refusal for a disk that
    is not a local qcow2 file (qemuSnapshotPrepare)."""
    wanted = {d.name for d in (snap.disks.disks if snap.disks is not None else []) if d.snapshot == "internal"}
    files: list[str] = []
    for disk in definition.devices.disks if definition.devices is not None else []:
        target = disk.target.dev if disk.target is not None else None
        if target not in wanted:
            continue
        fmt = disk.driver.type if disk.driver is not None and disk.driver.type else "raw"
        if fmt != "qcow2":
            raise libvirt_error(
                ErrorNumber.CONFIG_UNSUPPORTED,
                f"internal snapshot for disk {target} unsupported for storage type {fmt}",
                ErrorDomain.QEMU,
            )
        path = disk.source.file if disk.source is not None else None
        if not path:
            raise libvirt_error(
                ErrorNumber.CONFIG_UNSUPPORTED, f"internal snapshot for disk {target} needs a file", ErrorDomain.QEMU
            )
        files.append(path)
    return files


class SnapshotStates(ExternalSnapshots):
    """The snapshot half of QemuDriver (callers hold nothing; each method takes the domain's lock)."""

    paths: DriverPaths
    definitions: DefinitionStore

    if TYPE_CHECKING:
        # the rest of what it uses of QemuDriver is declared by ExternalSnapshots
        def locked(self, ref: DomainRef) -> contextlib._GeneratorContextManager[DomainObj]: ...

    # -- metadata ---------------------------------------------------------------------------------
    def _snapshot_dir(self, name: str) -> Path:
        return self.paths.state_dir / "snapshot" / name

    def snapshots_of(self, obj: DomainObj) -> SnapshotList:
        """The domain's snapshots, read from its folder on first use (they outlive the driver)."""
        from virt.xml.snapshot import DomainSnapshot

        if obj.snapshot_list is not None:
            return obj.snapshot_list
        found = SnapshotList()
        folder = self._snapshot_dir(obj.name)
        loaded = [DomainSnapshot.from_xml(p.read_text()) for p in sorted(folder.glob("*.xml"))]
        for snap in sorted(loaded, key=lambda s: s.creation_time or 0):
            assert snap.name is not None
            if snap.active:
                found.current = snap.name
            snap.active = None
            found.snaps[snap.name] = snap
        obj.snapshot_list = found
        return found

    def _write_snapshot(self, obj: DomainObj, snaps: SnapshotList, name: str) -> None:
        folder = self._snapshot_dir(obj.name)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        kept = snaps.snaps[name].clone()
        kept.active = 1 if snaps.current == name else 0
        path = folder / f"{name}.xml"
        path.with_suffix(".new").write_text(kept.to_xml())
        path.with_suffix(".new").replace(path)

    def _set_current(self, obj: DomainObj, snaps: SnapshotList, name: str | None) -> None:
        """Move the current mark, rewriting the files it leaves and reaches."""
        before, snaps.current = snaps.current, name
        for changed in {before, name} - {None}:
            if changed in snaps.snaps:
                self._write_snapshot(obj, snaps, changed)  # type: ignore[arg-type]

    def _forget_snapshot(self, obj: DomainObj, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self._snapshot_dir(obj.name) / f"{name}.xml").unlink()

    def snapshot(self, obj: DomainObj, name: str) -> DomainSnapshot:
        snap = self.snapshots_of(obj).snaps.get(name)
        if snap is None:
            raise _missing(name)
        return snap

    def drop_all_snapshots(self, ref: DomainRef, *, forget: bool) -> None:
        """Undefine's rule (qemuDomainUndefineFlags): an inactive domain with snapshot metadata is
        refused unless ``forget`` (SNAPSHOTS_METADATA), which removes it; a running one keeps it."""
        with self.locked(ref) as obj:
            snaps = self.snapshots_of(obj)
            if obj.active or not snaps.snaps:
                return
            if not forget:
                raise errors.error(
                    ErrorNumber.OPERATION_INVALID, f"cannot delete inactive domain with {len(snaps.snaps)} snapshots"
                )
            for name in list(snaps.snaps):
                self._forget_snapshot(obj, name)
            snaps.snaps.clear()
            snaps.current = None
            with contextlib.suppress(OSError):
                self._snapshot_dir(obj.name).rmdir()

    # -- create -----------------------------------------------------------------------------------
    def create_snapshot(self, ref: DomainRef, xml: str, flags: int) -> str:
        from virt.xml.snapshot import DomainSnapshot, SnapshotMemory

        snap = DomainSnapshot.from_xml(xml)
        with self.locked(ref) as obj:
            snaps = self.snapshots_of(obj)
            if flags & CreateFlags.REDEFINE:
                return self._redefine_snapshot(obj, snaps, snap, flags)
            disk_only = bool(flags & CreateFlags.DISK_ONLY)
            externalsnapshots.check_memory(snap, offline=disk_only or not obj.active)
            memory_external = snap.memory is not None and snap.memory.snapshot == "external"
            state = _STATE_NAMES.get(obj.state, "nostate")
            if disk_only:
                state = "disk-snapshot" if obj.active else "shutoff"
                snap.memory = SnapshotMemory()
                snap.memory.snapshot = "no"
            elif obj.active and snap.memory is not None and snap.memory.snapshot == "no":
                raise libvirt_error(
                    ErrorNumber.CONFIG_UNSUPPORTED,
                    "internal snapshot of a running VM must include the memory state",
                    ErrorDomain.QEMU,
                )
            default = "external" if disk_only or memory_external else "internal"
            externalsnapshots.check_modes(snap, obj.current, default)
            name = snapshottree.new_snapshot(
                snap, snaps.snaps, snaps.current, obj.current, state, active=obj.active, default=default
            )
            if externalsnapshots.is_external_plan(snap):
                self._create_external(obj, snap, flags)
                if not flags & CreateFlags.NO_METADATA:
                    snaps.snaps[name] = snap
                    self._set_current(obj, snaps, name)
                return name
            files = _internal_disks(obj.current, snap)
            if obj.active:
                self._save_vm(obj, name, halt=bool(flags & CreateFlags.HALT))
            else:
                made: list[str] = []
                try:
                    for path in files:
                        _qemu_img("snapshot", "-c", name, path)
                        made.append(path)
                except VirtError:  # ATOMIC or not, no disk keeps a half-made snapshot
                    for path in made:
                        with contextlib.suppress(VirtError):
                            _qemu_img("snapshot", "-d", name, path)
                    raise
            if not flags & CreateFlags.NO_METADATA:
                snaps.snaps[name] = snap
                self._set_current(obj, snaps, name)
            return name

    def _redefine_snapshot(self, obj: DomainObj, snaps: SnapshotList, snap: DomainSnapshot, flags: int) -> str:
        if not snap.name:
            raise libvirt_error(
                ErrorNumber.XML_ERROR, "a redefined snapshot must have a name", ErrorDomain.DOMAIN_SNAPSHOT
            )
        if snap.creation_time is None:
            raise libvirt_error(
                ErrorNumber.INTERNAL_ERROR, "missing creationTime from existing snapshot", ErrorDomain.DOMAIN_SNAPSHOT
            )
        parent = snapshottree.parent_of(snap)
        if parent is not None and parent not in snaps.snaps:
            raise libvirt_error(
                ErrorNumber.INVALID_ARG,
                f"parent {parent} for moment {snap.name} not found",
                ErrorDomain.DOMAIN_SNAPSHOT,
            )
        snap.active = None
        snaps.snaps[snap.name] = snap
        if flags & CreateFlags.CURRENT:
            self._set_current(obj, snaps, snap.name)
        else:
            self._write_snapshot(obj, snaps, snap.name)
        return snap.name

    def _hmp(self, obj: DomainObj, command: str) -> None:
        """An HMP command whose only answer is text: any text is QEMU's complaint."""
        said = self.qmp(obj, "human-monitor-command", {"command-line": command})
        if isinstance(said, str) and said.strip():
            raise errors.operation_failed(f"'{command}' failed: {said.strip()}")

    def _save_vm(self, obj: DomainObj, name: str, *, halt: bool) -> None:
        """qemuSnapshotCreateActiveInternal: pause, savevm, then resume (or stop for HALT)."""
        self._usable(obj)
        was_running = obj.state == DomainState.RUNNING
        if was_running:
            self.qmp(obj, "stop")
            self._set_state(obj, DomainState.PAUSED, PausedReason.SNAPSHOT, emit=False)
            self._emit(obj, EventType.SUSPENDED, SuspendedDetail.PAUSED)
        try:
            self._hmp(obj, f"savevm {name}")
        finally:
            if halt:
                self._kill_and_stop(obj, ShutoffReason.FROM_SNAPSHOT)
            elif was_running and obj.running is not None:
                self.qmp(obj, "cont")
                self._set_state(obj, DomainState.RUNNING, RunningReason.UNPAUSED, emit=False)
                self._emit(obj, EventType.RESUMED, ResumedDetail.UNPAUSED)

    # -- delete -----------------------------------------------------------------------------------
    def delete_snapshot(self, ref: DomainRef, name: str, flags: int) -> None:
        with self.locked(ref) as obj:
            snaps = self.snapshots_of(obj)
            self.snapshot(obj, name)
            for gone in snapshottree.doomed(snaps.snaps, name, flags):
                if not flags & DeleteFlags.METADATA_ONLY:
                    self._discard_data(obj, snaps, snaps.snaps[gone])
            before = set(snaps.snaps)
            current = snapshottree.remove(snaps.snaps, snaps.current, name, flags)
            for gone in before - set(snaps.snaps):
                self._forget_snapshot(obj, gone)
            snaps.current = current
            for kept in snaps.snaps:  # children that moved up name another parent; the current mark moved
                self._write_snapshot(obj, snaps, kept)

    def _discard_data(self, obj: DomainObj, snaps: SnapshotList, snap: DomainSnapshot) -> None:
        assert snap.name is not None
        if snapshottree.is_external(snap):
            self._delete_external(obj, snaps, snap)
            return
        if obj.active:
            self._hmp(obj, f"delvm {snap.name}")
            return
        definition = snap.domain if snap.domain is not None and snap.domain.type else obj.current
        for path in _internal_disks(definition, snap):
            _qemu_img("snapshot", "-d", snap.name, path)

    # -- revert -----------------------------------------------------------------------------------
    def revert_snapshot(self, ref: DomainRef, name: str, flags: int) -> None:
        with self.locked(ref) as obj:
            snaps = self.snapshots_of(obj)
            snap = self.snapshot(obj, name)
            if snap.domain is None or snap.domain.type is None:
                raise errors.error(
                    ErrorNumber.SNAPSHOT_REVERT_RISKY, f"snapshot '{name}' lacks domain '{obj.name}' rollback info"
                )
            if snapshottree.is_external(snap):
                self._revert_external(obj, snaps, snap, flags)
                self._set_current(obj, snaps, name)
                return
            externalsnapshots.check_internal_revert(snaps.snaps, snap)
            live = snap.state in ("running", "paused")
            paused = (snap.state == "paused" or bool(flags & RevertFlags.PAUSED)) and not flags & RevertFlags.RUNNING
            if live:
                self._revert_live(obj, name, snap.domain, paused=paused)
            else:
                self._revert_inactive(obj, name, snap, flags)
            self._set_current(obj, snaps, name)

    def _revert_live(self, obj: DomainObj, name: str, definition: Domain, *, paused: bool) -> None:
        """qemuSnapshotRevertActive as libvirt 9.0 does it (seen against it): a running guest stops
        ("Stopped Snapshot"), QEMU starts again paused on the snapshot's definition ("Started Snapshot")
        and loads the state, then runs ("Resumed Snapshot") or stays paused ("Suspended Snapshot");
        the snapshot's definition becomes the persistent one ("Defined Snapshot")."""
        if obj.active:
            self._kill_and_stop(obj, ShutoffReason.FROM_SNAPSHOT)
        self._start(obj, definition.clone(), for_snapshot=True)
        self._hmp(obj, f"loadvm {name}")
        if paused:
            self._emit(obj, EventType.SUSPENDED, SuspendedDetail.FROM_SNAPSHOT)
        else:
            self.qmp(obj, "cont")
            self._set_state(obj, DomainState.RUNNING, RunningReason.FROM_SNAPSHOT, emit=False)
            self._emit(obj, EventType.RESUMED, ResumedDetail.FROM_SNAPSHOT)
        self._define_from(obj, definition)

    def _define_from(self, obj: DomainObj, definition: Domain) -> None:
        """A persistent domain takes the snapshot's definition as its own."""
        if obj.config is None:
            return
        config = definition.clone()
        self.definitions.save(config)
        obj.config = config
        self._emit(obj, EventType.DEFINED, DefinedDetail.FROM_SNAPSHOT)

    def _revert_inactive(self, obj: DomainObj, name: str, snap: DomainSnapshot, flags: int) -> None:
        """qemuSnapshotRevertInactive: a running domain stops; each disk goes back with
        ``qemu-img snapshot -a``; RUNNING or PAUSED then start it."""
        if obj.active:
            self._kill_and_stop(obj, ShutoffReason.FROM_SNAPSHOT)
        assert snap.domain is not None
        for path in _internal_disks(snap.domain, snap):
            _qemu_img("snapshot", "-a", name, path)
        if flags & (RevertFlags.RUNNING | RevertFlags.PAUSED):
            self._start(obj, snap.domain.clone(), paused=bool(flags & RevertFlags.PAUSED))
