"""Domain snapshots (virDomainSnapshot*): a domain's snapshots by name, in a tree (each has the
snapshot that was current when it was made as its parent), one of them current.

``Domain.create_snapshot``, ``list_snapshots``, ``lookup_snapshot``, ``current_snapshot`` hand out
``DomainSnapshot`` handles; what a snapshot holds is its driver's (the test driver keeps the domain's
definition and state, as libvirt's does).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from virt.connection import Domain
    from virt.driver import DriverConnection

__all__ = ["CreateFlags", "DeleteFlags", "DomainSnapshot", "ListFlags", "RevertFlags"]


class CreateFlags(enum.IntFlag):
    """virDomainSnapshotCreateFlags."""

    NONE = 0
    REDEFINE = 1
    CURRENT = 2
    NO_METADATA = 4
    HALT = 8
    DISK_ONLY = 16
    REUSE_EXT = 32
    QUIESCE = 64
    ATOMIC = 128
    LIVE = 256
    VALIDATE = 512


class ListFlags(enum.IntFlag):
    """virDomainSnapshotListFlags (ROOTS for a domain's list is DESCENDANTS for a snapshot's children)."""

    NONE = 0
    ROOTS = 1
    DESCENDANTS = 1
    METADATA = 2
    LEAVES = 4
    NO_LEAVES = 8
    NO_METADATA = 16
    INACTIVE = 32
    ACTIVE = 64
    DISK_ONLY = 128
    INTERNAL = 256
    EXTERNAL = 512
    TOPOLOGICAL = 1024


class DeleteFlags(enum.IntFlag):
    """virDomainSnapshotDeleteFlags."""

    NONE = 0
    CHILDREN = 1
    METADATA_ONLY = 2
    CHILDREN_ONLY = 4


class RevertFlags(enum.IntFlag):
    """virDomainSnapshotRevertFlags."""

    NONE = 0
    RUNNING = 1
    PAUSED = 2
    FORCE = 4
    RESET_NVRAM = 8


class DomainSnapshot:
    """A handle on one snapshot of ``domain``, by name."""

    def __init__(self, domain: Domain, name: str) -> None:
        self.domain = domain
        self.name = name

    def __repr__(self) -> str:
        return f"<DomainSnapshot {self.name!r} of {self.domain.name!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DomainSnapshot) and other.domain == self.domain and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def _driver(self) -> DriverConnection:
        return self.domain.connection.driver

    def xml(self, *, secure: bool = False) -> str:
        """virDomainSnapshotGetXMLDesc."""
        return str(self._driver().get_domain_snapshot_xml(self.domain.ref, self.name, secure=secure))

    def parent(self) -> DomainSnapshot:
        """virDomainSnapshotGetParent: NO_DOMAIN_SNAPSHOT for a root."""
        return DomainSnapshot(self.domain, self._driver().get_domain_snapshot_parent(self.domain.ref, self.name))

    def is_current(self) -> bool:
        """virDomainSnapshotIsCurrent."""
        return bool(self._driver().current_domain_snapshot(self.domain.ref) == self.name)

    def has_metadata(self) -> bool:
        """virDomainSnapshotHasMetadata: the driver keeps what it knows of the snapshot."""
        self._driver().lookup_domain_snapshot(self.domain.ref, self.name)
        return True

    def delete(self, flags: DeleteFlags = DeleteFlags.NONE) -> None:
        """virDomainSnapshotDelete (CHILDREN: its descendants too; CHILDREN_ONLY: only they)."""
        from virt.checkpoints import exclusive
        from virt.errors import ErrorDomain

        driver = self.domain._change("virDomainSnapshotDelete")
        prefix = "VIR_DOMAIN_SNAPSHOT_DELETE_"
        exclusive(flags, DeleteFlags.CHILDREN, DeleteFlags.CHILDREN_ONLY, prefix, ErrorDomain.DOMAIN_SNAPSHOT)
        driver.delete_domain_snapshot(self.domain.ref, self.name, int(flags))

    def revert(self, flags: int = 0) -> None:
        """virDomainRevertToSnapshot: the domain as the snapshot kept it (RUNNING or PAUSED: left so,
        whatever the snapshot's state; FORCE: even where that is risky)."""
        from virt.checkpoints import exclusive
        from virt.errors import ErrorDomain

        driver = self.domain._change("virDomainRevertToSnapshot")
        prefix = "VIR_DOMAIN_SNAPSHOT_REVERT_"
        exclusive(flags, RevertFlags.RUNNING, RevertFlags.PAUSED, prefix, ErrorDomain.DOMAIN_SNAPSHOT)
        driver.revert_domain_snapshot(self.domain.ref, self.name, int(flags))
