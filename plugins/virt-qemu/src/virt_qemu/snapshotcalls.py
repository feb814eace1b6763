"""The snapshot calls of ``qemu:///`` connections (a mixin of QemuConnection), with libvirt 9.0's
flags; the work is the driver's (``snapshotstate``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt import snapshottree
from virt.errors import ErrorNumber
from virt.snapshots import CreateFlags, DeleteFlags, RevertFlags

from virt_qemu import errors
from virt_qemu.guestcalls import agent_execute
from virt_qemu.snapshotstate import _missing

if TYPE_CHECKING:
    from virt.driver import DomainRef

    from virt_qemu.driver import QemuDriver

_CREATE_TAKEN = int(
    CreateFlags.REDEFINE | CreateFlags.CURRENT | CreateFlags.NO_METADATA | CreateFlags.HALT | CreateFlags.DISK_ONLY
    | CreateFlags.REUSE_EXT | CreateFlags.QUIESCE | CreateFlags.ATOMIC | CreateFlags.LIVE | CreateFlags.VALIDATE
)  # fmt: skip
_LIST_TAKEN = 0x7FF
_DELETE_TAKEN = int(DeleteFlags.CHILDREN | DeleteFlags.CHILDREN_ONLY | DeleteFlags.METADATA_ONLY)
_REVERT_TAKEN = int(RevertFlags.RUNNING | RevertFlags.PAUSED | RevertFlags.FORCE | RevertFlags.RESET_NVRAM)


def _check(flags: int, taken: int, function: str) -> None:
    refused = flags & ~taken
    if refused:
        raise errors.error(ErrorNumber.INVALID_ARG, f"unsupported flags (0x{int(refused):x}) in function {function}")


class QemuSnapshotOperations:
    """virDomainSnapshot* of QemuConnection."""

    if TYPE_CHECKING:

        @property
        def qemu(self) -> QemuDriver: ...

    def create_domain_snapshot(self, ref: DomainRef, xml: str, flags: int) -> str:
        _check(flags, _CREATE_TAKEN, "qemuDomainSnapshotCreateXML")
        if flags & CreateFlags.QUIESCE and not flags & CreateFlags.DISK_ONLY:
            raise errors.error(
                ErrorNumber.INVALID_ARG,
                "Flag 'VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY' is required by flag 'VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE'",
            )
        if not flags & CreateFlags.QUIESCE:
            return self.qemu.create_snapshot(ref, xml, flags)
        # the guest's file systems frozen by its agent around the disks' snapshot (refused without one)
        agent_execute(self.qemu, ref, "guest-fsfreeze-freeze")
        try:
            return self.qemu.create_snapshot(ref, xml, flags)
        finally:
            agent_execute(self.qemu, ref, "guest-fsfreeze-thaw")

    def list_domain_snapshots(self, ref: DomainRef, flags: int, of: str | None = None) -> list[str]:
        function = "qemuDomainSnapshotListAllChildren" if of is not None else "qemuDomainListAllSnapshots"
        _check(flags, _LIST_TAKEN, function)
        with self.qemu.locked(ref) as obj:
            snaps = self.qemu.snapshots_of(obj).snaps
            if of is not None and of not in snaps:
                raise _missing(of)
            return snapshottree.listed(snaps, flags, of)

    def lookup_domain_snapshot(self, ref: DomainRef, name: str) -> str:
        with self.qemu.locked(ref) as obj:
            self.qemu.snapshot(obj, name)
            return name

    def get_domain_snapshot_xml(self, ref: DomainRef, name: str, *, secure: bool = False) -> str:
        with self.qemu.locked(ref) as obj:
            shown = self.qemu.snapshot(obj, name).clone()
            if shown.domain is not None and not secure:
                shown.domain.hide_secrets()
            return shown.to_xml()

    def get_domain_snapshot_parent(self, ref: DomainRef, name: str) -> str:
        with self.qemu.locked(ref) as obj:
            parent = snapshottree.parent_of(self.qemu.snapshot(obj, name))
            if parent is None:
                raise errors.error(ErrorNumber.NO_DOMAIN_SNAPSHOT, f"snapshot '{name}' does not have a parent")
            return parent

    def current_domain_snapshot(self, ref: DomainRef) -> str | None:
        with self.qemu.locked(ref) as obj:
            return self.qemu.snapshots_of(obj).current

    def delete_domain_snapshot(self, ref: DomainRef, name: str, flags: int) -> None:
        _check(flags, _DELETE_TAKEN, "qemuDomainSnapshotDelete")
        self.qemu.delete_snapshot(ref, name, flags)

    def revert_domain_snapshot(self, ref: DomainRef, name: str, flags: int) -> None:
        _check(flags, _REVERT_TAKEN, "qemuDomainRevertToSnapshot")
        self.qemu.revert_snapshot(ref, name, flags)
