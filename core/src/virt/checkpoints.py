"""Domain checkpoints (virDomainCheckpoint*): points in time after which a domain's disks track the
blocks they change, for incremental backups; a domain's checkpoints form a tree by name.

``Domain.create_checkpoint``, ``list_checkpoints``, ``lookup_checkpoint`` hand out
``DomainCheckpoint`` handles; what a checkpoint holds is its driver's (the test driver keeps the
domain's definition and each disk's bitmap name, as libvirt's does).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, OperationDenied

if TYPE_CHECKING:
    from virt.connection import Connection, Domain
    from virt.driver import DriverConnection

__all__ = ["CreateFlags", "DeleteFlags", "DomainCheckpoint", "ListFlags", "XMLFlags", "exclusive", "required"]


_DOMAIN = ErrorDomain.DOMAIN_CHECKPOINT
"""The error domain of libvirt's checkpoint entry points (libvirt-domain-checkpoint.c)."""


class CreateFlags(enum.IntFlag):
    """virDomainCheckpointCreateFlags."""

    NONE = 0
    REDEFINE = 1
    QUIESCE = 2
    REDEFINE_VALIDATE = 4


class XMLFlags(enum.IntFlag):
    """virDomainCheckpointXMLFlags."""

    NONE = 0
    SECURE = 1
    NO_DOMAIN = 2
    SIZE = 4


class ListFlags(enum.IntFlag):
    """virDomainCheckpointListFlags (ROOTS for a domain's list is DESCENDANTS for a checkpoint's children)."""

    NONE = 0
    ROOTS = 1
    DESCENDANTS = 1
    TOPOLOGICAL = 2
    LEAVES = 4
    NO_LEAVES = 8


class DeleteFlags(enum.IntFlag):
    """virDomainCheckpointDeleteFlags."""

    NONE = 0
    CHILDREN = 1
    METADATA_ONLY = 2
    CHILDREN_ONLY = 4


def exclusive(flags: int, first: enum.IntFlag, second: enum.IntFlag, prefix: str, domain: ErrorDomain) -> None:
    """libvirt's VIR_EXCLUSIVE_FLAGS check of its public entry points (``prefix``: the flags' C names
    but for their last word, ``domain``: the entry point's error domain)."""
    if flags & first and flags & second:
        raise InvalidArgument(
            f"Flags '{prefix}{first.name}' and '{prefix}{second.name}' are mutually exclusive",
            ErrorNumber.INVALID_ARG,
            domain,
        )


def required(flags: int, needed: enum.IntFlag, by: enum.IntFlag, prefix: str, domain: ErrorDomain) -> None:
    """libvirt's VIR_REQUIRE_FLAG check: ``by`` is refused without ``needed``."""
    if flags & by and not flags & needed:
        raise InvalidArgument(
            f"Flag '{prefix}{needed.name}' is required by flag '{prefix}{by.name}'", ErrorNumber.INVALID_ARG, domain
        )


class DomainCheckpoint:
    """A handle on one checkpoint of ``domain``, by name."""

    def __init__(self, domain: Domain, name: str) -> None:
        self.domain = domain
        self.name = name

    def __repr__(self) -> str:
        return f"<DomainCheckpoint {self.name!r} of {self.domain.name!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DomainCheckpoint) and other.domain == self.domain and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    @property
    def connection(self) -> Connection:
        """virDomainCheckpointGetConnect (the name is ``name``, the domain ``domain``)."""
        return self.domain.connection

    def _driver(self) -> DriverConnection:
        return self.domain.connection.driver

    def xml(self, flags: int = 0) -> str:
        """virDomainCheckpointGetXMLDesc (XMLFlags; SECURE is refused on a read-only connection)."""
        if flags & XMLFlags.SECURE and self.domain.connection.readonly:
            raise OperationDenied(
                "operation forbidden: virDomainCheckpointGetXMLDesc with secure flag",
                ErrorNumber.OPERATION_DENIED,
                _DOMAIN,
            )
        return str(self._driver().get_domain_checkpoint_xml(self.domain.ref, self.name, int(flags)))

    def parent(self) -> DomainCheckpoint:
        """virDomainCheckpointGetParent: NO_DOMAIN_CHECKPOINT for a root."""
        return DomainCheckpoint(self.domain, self._driver().get_domain_checkpoint_parent(self.domain.ref, self.name))

    def children(self, flags: int = 0) -> list[DomainCheckpoint]:
        """virDomainCheckpointListAllChildren (DESCENDANTS: all of them, not only the direct ones)."""
        names = self._driver().list_domain_checkpoints(self.domain.ref, int(flags), of=self.name)
        return [DomainCheckpoint(self.domain, n) for n in names]

    def delete(self, flags: int = 0) -> None:
        """virDomainCheckpointDelete (CHILDREN: its descendants too; CHILDREN_ONLY: only they)."""
        exclusive(flags, DeleteFlags.CHILDREN, DeleteFlags.CHILDREN_ONLY, "VIR_DOMAIN_CHECKPOINT_DELETE_", _DOMAIN)
        driver = self.domain._change("virDomainCheckpointDelete")
        driver.delete_domain_checkpoint(self.domain.ref, self.name, int(flags))
