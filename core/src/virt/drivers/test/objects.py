"""The records a test host keeps for each domain, network, storage pool and volume.

Definitions are virt.xml models. A domain keeps libvirt's two definitions: ``config``, the
persistent one (what the next boot uses, so a redefinition of a running domain waits there),
and ``live``, the copy taken when it started; a transient domain has no ``config``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, TypeVar

import attrs

from virt.localstate.domains import TwoDefinitions
from virt.states import DomainState

if TYPE_CHECKING:
    from virt.xml import Domain, Network, StoragePool, StorageVolume
    from virt.xml.checkpoint import DomainCheckpoint
    from virt.xml.hostinterface import HostInterface
    from virt.xml.snapshot import DomainSnapshot

T = TypeVar("T")


def _required(value: T | None) -> T:
    """A name or UUID of a stored definition: the driver fills both in before storing."""
    assert value is not None, "stored definitions have a name and a UUID"
    return value


def _forget_xml(obj: DomainObj, attribute: attrs.Attribute[object], value: object) -> object:
    obj.xml_cache.clear()
    return value


@attrs.define
class DomainObj(TwoDefinitions):
    """A test domain: ``TwoDefinitions`` gives ``current``, ``name``, ``uuid``, ``active``, ``persistent``."""

    config: Domain | None = attrs.field(on_setattr=_forget_xml)
    live: Domain | None = attrs.field(default=None, on_setattr=_forget_xml)
    state: DomainState = DomainState.SHUTOFF
    reason: int = 0
    id: int = -1
    autostart: bool = False
    managed_save: bool = False
    frozen: set[str] = attrs.field(factory=set, eq=False, repr=False)
    """The guest's mount points frozen by virDomainFSFreeze (thawed by a new boot)."""
    snapshots: dict[str, DomainSnapshot] = attrs.field(factory=dict, eq=False, repr=False)
    """The domain's snapshots by name, in the order they were made (virt.drivers.test.snapshots)."""
    current_snapshot: str | None = None
    checkpoints: dict[str, DomainCheckpoint] = attrs.field(factory=dict, eq=False, repr=False)
    """The domain's checkpoints by name, in the order they were made (virt.drivers.test.checkpoints)."""
    current_checkpoint: str | None = None
    xml_cache: dict[tuple[bool, int | None, bool], str] = attrs.field(factory=dict, eq=False, repr=False)
    """Formatted XML by (inactive, id shown, secure); stored definitions are never changed in place, only
    replaced, so replacing ``config`` or ``live`` is the one moment the text goes stale."""


@attrs.define
class NetworkObj:
    definition: Network
    pending: Network | None = None
    """A redefinition made while the network ran; it takes over when the network stops."""
    active: bool = False
    persistent: bool = True
    autostart: bool = False

    @property
    def name(self) -> str:
        return _required(self.definition.name)

    @property
    def uuid(self) -> uuid.UUID:
        return _required(self.definition.uuid)


@attrs.define
class InterfaceObj:
    definition: HostInterface
    active: bool = False

    @property
    def name(self) -> str:
        return self.definition.name


@attrs.define
class PoolObj:
    definition: StoragePool
    pending: StoragePool | None = None
    active: bool = False
    persistent: bool = True
    autostart: bool = False
    capacity: int = 0
    allocation: int = 0
    volumes: dict[str, StorageVolume] = attrs.Factory(dict)
    """By name, in creation order."""

    @property
    def name(self) -> str:
        return _required(self.definition.name)

    @property
    def uuid(self) -> uuid.UUID:
        return _required(self.definition.uuid)

    @property
    def available(self) -> int:
        return self.capacity - self.allocation
