"""The snapshot tree every driver keeps the same way (libvirt's virDomainMomentObjList): snapshots
by name in creation order, each naming the snapshot that was current when it was made as its parent.

The test driver and virt-qemu both hold a ``dict[str, DomainSnapshot]``; the walks, the list
filters and the re-linking on delete are here so that both answer alike.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING

from virt.errors import ErrorDomain, ErrorNumber, libvirt_error
from virt.snapshots import DeleteFlags, ListFlags

if TYPE_CHECKING:
    from virt.xml.devices import Disk
    from virt.xml.domain import Domain
    from virt.xml.snapshot import DomainSnapshot

__all__ = ["children", "descendants", "fill_new", "listed", "new_snapshot", "parent_of", "remove", "wanted"]


def parent_of(snap: DomainSnapshot) -> str | None:
    return snap.parent.name if snap.parent is not None else None


def children(snapshots: Mapping[str, DomainSnapshot], name: str | None) -> list[str]:
    """The children of ``name`` (None: the roots) newest first, as libvirt links them."""
    return [n for n, s in reversed(list(snapshots.items())) if parent_of(s) == name]


def descendants(snapshots: Mapping[str, DomainSnapshot], name: str | None) -> list[str]:
    """Each descendant after its parent (libvirt's walk; what TOPOLOGICAL asks)."""
    found: list[str] = []
    for child in children(snapshots, name):
        found += [child, *descendants(snapshots, child)]
    return found


def is_external(snap: DomainSnapshot) -> bool:
    memory = snap.memory.snapshot if snap.memory is not None else None
    disks = snap.disks.disks if snap.disks is not None else []
    return memory == "external" or any(d.snapshot == "external" for d in disks)


def wanted(snapshots: Mapping[str, DomainSnapshot], name: str, flags: int) -> bool:
    """virDomainMomentObjListFilter: the leaves and metadata, state and location filters (every
    snapshot listed has its metadata: a driver keeps none of the others)."""
    snap = snapshots[name]
    is_leaf = not children(snapshots, name)  # both LEAVES and NO_LEAVES: nothing is both (libvirt 9.0)
    if (flags & ListFlags.LEAVES and not is_leaf) or (flags & ListFlags.NO_LEAVES and is_leaf):
        return False
    metadata = flags & (ListFlags.METADATA | ListFlags.NO_METADATA)
    if metadata == ListFlags.NO_METADATA:
        return False
    states = flags & (ListFlags.INACTIVE | ListFlags.ACTIVE | ListFlags.DISK_ONLY)
    if states:
        state = snap.state or ""
        kind = (
            ListFlags.INACTIVE
            if state == "shutoff"
            else ListFlags.DISK_ONLY
            if state == "disk-snapshot"
            else ListFlags.ACTIVE
        )
        if not states & kind:
            return False
    location = flags & (ListFlags.INTERNAL | ListFlags.EXTERNAL)
    one_side = location and location != ListFlags.INTERNAL | ListFlags.EXTERNAL
    return not (one_side and is_external(snap) != bool(location & ListFlags.EXTERNAL))


def listed(snapshots: Mapping[str, DomainSnapshot], flags: int, of: str | None = None) -> list[str]:
    """virDomainListAllSnapshots (``of``: virDomainSnapshotListAllChildren); ``of`` must exist."""
    if of is not None:
        names = descendants(snapshots, of) if flags & ListFlags.DESCENDANTS else children(snapshots, of)
    elif flags & ListFlags.ROOTS:
        names = children(snapshots, None)
    else:
        names = descendants(snapshots, None)
    return [n for n in names if wanted(snapshots, n, flags)]


def doomed(snapshots: Mapping[str, DomainSnapshot], name: str, flags: int) -> list[str]:
    """The snapshots a delete of ``name`` with ``flags`` drops, deepest first."""
    gone = descendants(snapshots, name) if flags & (DeleteFlags.CHILDREN | DeleteFlags.CHILDREN_ONLY) else []
    if not flags & DeleteFlags.CHILDREN_ONLY:
        gone.insert(0, name)
    return list(reversed(gone))


def remove(snapshots: MutableMapping[str, DomainSnapshot], current: str | None, name: str, flags: int) -> str | None:
    """Drop ``name`` (CHILDREN: with its descendants; CHILDREN_ONLY: only they) from the tree, the
    children of a lone deleted snapshot moving up under its parent; the current snapshot after."""
    parent = parent_of(snapshots[name])
    if flags & (DeleteFlags.CHILDREN | DeleteFlags.CHILDREN_ONLY):
        for child in descendants(snapshots, name):
            if current == child:
                current = name  # the current one goes: the deleted tree's root is current
            del snapshots[child]
    else:
        for child in children(snapshots, name):
            moved = snapshots[child]
            if parent is None:
                moved.parent = None
            else:
                assert moved.parent is not None
                moved.parent.name = parent
    if not flags & DeleteFlags.CHILDREN_ONLY:
        if current == name:
            current = parent
        del snapshots[name]
    return current


def check_disks(snap: DomainSnapshot, disks: list[Disk]) -> None:
    """The first checks of virDomainSnapshotAlignDisks: no more entries than disks, each naming one."""
    asked = snap.disks.disks if snap.disks is not None else []
    if len(asked) > len(disks):
        raise libvirt_error(
            ErrorNumber.CONFIG_UNSUPPORTED, "too many disk snapshot requests for domain", ErrorDomain.DOMAIN_SNAPSHOT
        )
    targets = {d.target.dev for d in disks if d.target is not None}
    for entry in asked:
        if entry.name not in targets:
            raise libvirt_error(
                ErrorNumber.CONFIG_UNSUPPORTED, f"no disk named '{entry.name}'", ErrorDomain.DOMAIN_SNAPSHOT
            )


def fill_new(snap: DomainSnapshot, definition: Domain, state: str, *, active: bool, default: str = "internal") -> None:
    """A new snapshot's defaults (virDomainSnapshotAlignDisks): its ``state``, memory kept internally
    while the domain runs, each disk not named in the XML (or named without a mode) snapshotted as
    its <disk snapshot> says or ``default`` (but CD-ROMs, floppies, read-only and empty disks, which
    are left out)."""
    from virt.xml.snapshot import SnapshotDisk, SnapshotDisks, SnapshotMemory

    snap.state = state
    if snap.memory is None:
        snap.memory = SnapshotMemory()
        snap.memory.snapshot = "internal" if active else "no"
    devices = definition.devices
    check_disks(snap, devices.disks if devices is not None else [])
    asked = {d.name: d for d in snap.disks.disks} if snap.disks is not None else {}
    disks = SnapshotDisks()
    for disk in devices.disks if devices is not None else []:  # in the domain's order, as libvirt lists them
        target = disk.target.dev if disk.target is not None else None
        if target is None:
            continue
        entry = asked.get(target)
        if entry is None:
            entry = SnapshotDisk()
            entry.name = target
            empty = disk.source is None
            left_out = disk.device in ("cdrom", "floppy") or disk.readonly or empty
            entry.snapshot = "no" if left_out else disk.snapshot or default
        elif entry.snapshot is None:
            entry.snapshot = disk.snapshot or default
        disks.disks.append(entry)
    snap.disks = disks if disks.disks else None


def new_snapshot(
    snap: DomainSnapshot,
    snapshots: Mapping[str, DomainSnapshot],
    current: str | None,
    definition: Domain,
    state: str,
    *,
    active: bool,
    default: str = "internal",
) -> str:
    """A new snapshot made now of ``definition``: named by its creation time unless the XML names it
    (refused when taken), under ``current``; its name."""
    import time

    from virt.xml.snapshot import SnapshotParent

    now = int(time.time())
    name = snap.name = snap.name or str(now)
    if name in snapshots:
        raise libvirt_error(ErrorNumber.OPERATION_FAILED, f"domain moment {name} already exists", ErrorDomain.DOMAIN)
    snap.creation_time = now
    fill_new(snap, definition, state, active=active, default=default)
    snap.domain = definition.clone()
    snap.parent = None
    if current is not None:
        snap.parent = SnapshotParent()
        snap.parent.name = current
    return name
