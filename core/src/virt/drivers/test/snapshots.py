"""libvirt 9.0's test driver's domain snapshots: a snapshot keeps the domain's definition and state as
they were, named by its creation time unless the XML names it, under the snapshot current when it was
made; the new one becomes current. Its memory and disks are internal while the domain runs."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from virt import snapshottree
from virt.drivers.test import checkpoints, errors
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError, libvirt_error
from virt.events import DomainEventType, StartedDetail, StoppedDetail, SuspendedDetail
from virt.snapshots import CreateFlags, DeleteFlags, RevertFlags
from virt.states import DomainState, PausedReason, RunningReason, ShutoffReason

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.drivers.test.host import Host
    from virt.drivers.test.objects import DomainObj
    from virt.xml.domain import Domain
    from virt.xml.snapshot import DomainSnapshot

_CREATE_TAKEN = int(
    CreateFlags.REDEFINE
    | CreateFlags.CURRENT
    | CreateFlags.HALT
    | CreateFlags.QUIESCE
    | CreateFlags.ATOMIC
    | CreateFlags.LIVE
    | CreateFlags.VALIDATE
)
"""What libvirt 9.0's test driver takes (QUIESCE, ATOMIC and LIVE change nothing in memory)."""
_LIST_TAKEN = 0x7FF
_REVERT_TAKEN = int(RevertFlags.RUNNING | RevertFlags.PAUSED | RevertFlags.FORCE)
_DELETE_TAKEN = int(DeleteFlags.CHILDREN | DeleteFlags.CHILDREN_ONLY)  # not METADATA_ONLY (libvirt 9.0)
_STATE_NAMES = {DomainState.RUNNING: "running", DomainState.PAUSED: "paused", DomainState.SHUTOFF: "shutoff",
                DomainState.BLOCKED: "blocked", DomainState.SHUTDOWN: "shutdown", DomainState.CRASHED: "crashed",
                DomainState.PMSUSPENDED: "pmsuspended"}  # fmt: skip


def _unsupported(flags: int, function: str) -> VirtError:
    return InvalidArgument(
        f"unsupported flags (0x{flags:x}) in function {function}", ErrorNumber.INVALID_ARG, ErrorDomain.TEST
    )


def _missing(name: str) -> VirtError:
    return errors.error(ErrorNumber.NO_DOMAIN_SNAPSHOT, f"no domain snapshot with matching name '{name}'")


class SnapshotOperations:
    """The snapshot methods of TestConnection (callers of ``_domain`` hold ``host.lock``)."""

    host: Host

    if TYPE_CHECKING:  # DomainOperations', beside this mixin in TestConnection

        def _domain(self, ref: DomainRef) -> DomainObj: ...
        def _stop(self, obj: DomainObj, reason: ShutoffReason, detail: StoppedDetail) -> None: ...
        def _changing(self) -> contextlib.AbstractContextManager[None]: ...
        def _event(self, obj: DomainObj, type_: DomainEventType, detail: int) -> None: ...

    def create_domain_snapshot(self, ref: DomainRef, xml: str, flags: int) -> str:
        from virt.xml.snapshot import DomainSnapshot

        if flags & ~_CREATE_TAKEN:
            raise _unsupported(flags & ~_CREATE_TAKEN, "testDomainSnapshotCreateXML")
        snap = DomainSnapshot.from_xml(xml)
        with self._changing():  # HALT stops the domain: its event goes out after the lock
            obj = self._domain(ref)
            checkpoints.before_snapshot(obj)
            if flags & CreateFlags.REDEFINE:
                if not snap.name:
                    raise libvirt_error(
                        ErrorNumber.XML_ERROR, "a redefined snapshot must have a name", ErrorDomain.DOMAIN_SNAPSHOT
                    )
                if snap.creation_time is None:
                    raise libvirt_error(
                        ErrorNumber.INTERNAL_ERROR,
                        "missing creationTime from existing snapshot",
                        ErrorDomain.DOMAIN_SNAPSHOT,
                    )
                if snap.domain is None:
                    raise libvirt_error(
                        ErrorNumber.INTERNAL_ERROR, "missing domain in snapshot", ErrorDomain.DOMAIN_SNAPSHOT
                    )
            else:
                state = _STATE_NAMES.get(obj.state, "nostate")
                snapshottree.new_snapshot(
                    snap, obj.snapshots, obj.current_snapshot, obj.current, state, active=obj.active
                )
            name = snap.name
            assert name is not None
            obj.snapshots[name] = snap
            if not flags & CreateFlags.REDEFINE or flags & CreateFlags.CURRENT:
                obj.current_snapshot = name
            if flags & CreateFlags.HALT and obj.active:
                self._stop(obj, ShutoffReason.FROM_SNAPSHOT, StoppedDetail.FROM_SNAPSHOT)
            return name

    def list_domain_snapshots(self, ref: DomainRef, flags: int, of: str | None = None) -> list[str]:
        function = "testDomainSnapshotListAllChildren" if of is not None else "testDomainListAllSnapshots"
        if flags & ~_LIST_TAKEN:
            raise _unsupported(flags & ~_LIST_TAKEN, function)
        with self.host.lock:
            obj = self._domain(ref)
            if of is not None and of not in obj.snapshots:
                raise _missing(of)
            return snapshottree.listed(obj.snapshots, flags, of)

    def lookup_domain_snapshot(self, ref: DomainRef, name: str) -> str:
        with self.host.lock:
            if name not in self._domain(ref).snapshots:
                raise _missing(name)
            return name

    def _snapshot(self, ref: DomainRef, name: str) -> DomainSnapshot:
        snap = self._domain(ref).snapshots.get(name)
        if snap is None:
            raise _missing(name)
        return snap

    def get_domain_snapshot_xml(self, ref: DomainRef, name: str, *, secure: bool = False) -> str:
        with self.host.lock:
            snap = self._snapshot(ref, name)
            if secure or snap.domain is None:
                return snap.to_xml()
            shown = snap.clone()
            if shown.domain is not None:
                shown.domain.hide_secrets()
            return shown.to_xml()

    def get_domain_snapshot_parent(self, ref: DomainRef, name: str) -> str:
        with self.host.lock:
            parent = snapshottree.parent_of(self._snapshot(ref, name))
            if parent is None:
                raise errors.error(ErrorNumber.NO_DOMAIN_SNAPSHOT, f"snapshot '{name}' does not have a parent")
            return parent

    def current_domain_snapshot(self, ref: DomainRef) -> str | None:
        with self.host.lock:
            return self._domain(ref).current_snapshot

    def delete_domain_snapshot(self, ref: DomainRef, name: str, flags: int) -> None:
        if flags & ~_DELETE_TAKEN:
            raise _unsupported(flags & ~_DELETE_TAKEN, "testDomainSnapshotDelete")
        with self.host.lock:
            obj = self._domain(ref)
            self._snapshot(ref, name)  # refused when missing
            obj.current_snapshot = snapshottree.remove(obj.snapshots, obj.current_snapshot, name, flags)

    # -- revert (testDomainRevertToSnapshot) ------------------------------------------------------------
    def revert_domain_snapshot(self, ref: DomainRef, name: str, flags: int) -> None:
        if flags & ~_REVERT_TAKEN:
            raise _unsupported(flags & ~_REVERT_TAKEN, "testDomainRevertToSnapshot")
        with self._changing():
            obj = self._domain(ref)
            snap = self._snapshot(ref, name)
            live = snap.state in ("running", "paused")
            asked = flags & (RevertFlags.RUNNING | RevertFlags.PAUSED)
            if not obj.persistent and not live and not asked:
                raise errors.error(
                    ErrorNumber.OPERATION_INVALID,
                    "transient domain needs to request run or pause to revert to inactive snapshot",
                )
            # A snapshot always keeps its domain here (redefining one without it is refused), but a
            # domain with only its uuid is no rollback; libvirt 9.0 asks no FORCE to respawn a
            # running guest for an inactive snapshot with RUNNING or PAUSED (seen against it).
            if snap.domain is None or snap.domain.type is None:
                raise errors.error(
                    ErrorNumber.SNAPSHOT_REVERT_RISKY, f"snapshot '{name}' lacks domain '{obj.name}' rollback info"
                )
            obj.current_snapshot = None
            config = snap.domain.clone()
            if live:
                wants_pause = snap.state == "paused" or bool(flags & RevertFlags.PAUSED)
                self._revert_to_live(obj, config, paused=wants_pause and not flags & RevertFlags.RUNNING)
            else:
                self._revert_to_inactive(obj, config, flags)
            obj.current_snapshot = name

    def _revert_to_live(self, obj: DomainObj, config: Domain, *, paused: bool) -> None:
        """Transitions into a running or paused snapshot: libvirt 9.0's test driver finds a running
        domain's definition unlike the snapshot's every time, so it stops it and boots it again."""
        from virt.drivers.test.domains import start  # domains imports this module

        if obj.active:
            if obj.persistent:
                self._stop(obj, ShutoffReason.FROM_SNAPSHOT, StoppedDetail.FROM_SNAPSHOT)
            else:  # a transient domain goes on under its handle: only its event says it stopped
                self._event(obj, DomainEventType.STOPPED, StoppedDetail.FROM_SNAPSHOT)
        if obj.persistent:
            obj.config = config
            start(self.host, obj, RunningReason.FROM_SNAPSHOT)
        else:
            start(self.host, obj, RunningReason.FROM_SNAPSHOT, config)
        self._event(obj, DomainEventType.STARTED, StartedDetail.FROM_SNAPSHOT)
        if paused:
            obj.state, obj.reason = DomainState.PAUSED, PausedReason.FROM_SNAPSHOT
            self._event(obj, DomainEventType.SUSPENDED, SuspendedDetail.FROM_SNAPSHOT)

    def _revert_to_inactive(self, obj: DomainObj, config: Domain, flags: int) -> None:
        """Transitions into a shut off snapshot: a running domain stops. RUNNING or PAUSED report a
        start (and a pause), but libvirt 9.0's test driver leaves the domain off."""
        if obj.persistent:
            obj.config = config
            if obj.active:
                self._stop(obj, ShutoffReason.FROM_SNAPSHOT, StoppedDetail.FROM_SNAPSHOT)
        elif obj.active:
            # libvirt keeps the transient domain, shut off under the snapshot's definition (it
            # stays listed, and a start boots it again)
            obj.live, obj.id = config, -1
            obj.state, obj.reason = DomainState.SHUTOFF, ShutoffReason.FROM_SNAPSHOT
            self._event(obj, DomainEventType.STOPPED, StoppedDetail.FROM_SNAPSHOT)
        if flags & (RevertFlags.RUNNING | RevertFlags.PAUSED):
            self._event(obj, DomainEventType.STARTED, StartedDetail.FROM_SNAPSHOT)
            if flags & RevertFlags.PAUSED:
                self._event(obj, DomainEventType.SUSPENDED, SuspendedDetail.FROM_SNAPSHOT)


def before_undefine(obj: DomainObj, *, forget: bool) -> None:
    """An inactive domain with snapshots is undefined only with SNAPSHOTS_METADATA (``forget``), which
    drops them; a running one keeps them, going on as a transient domain (libvirt's test driver)."""
    if obj.active or not obj.snapshots:
        return
    if not forget:
        raise errors.error(
            ErrorNumber.OPERATION_INVALID, f"cannot delete inactive domain with {len(obj.snapshots)} snapshots"
        )
    obj.snapshots.clear()
    obj.current_snapshot = None
