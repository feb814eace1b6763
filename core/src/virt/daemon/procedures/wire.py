"""Object references on the wire (remote_nonnull_domain, _network, _storage_pool, _storage_vol) and
the API's handles for them.

A handle is made from the reference as sent, without a lookup: the driver finds the object by its
UUID (a volume by its key), as libvirtd does, so a stale name or id in the reference does not matter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from virt.connection import Domain, Network, StoragePool, StorageVolume
from virt.driver import DomainRef, NetworkRef, StoragePoolRef, StorageVolumeRef

if TYPE_CHECKING:
    from virt.connection import Connection

Wire = dict[str, Any]


def domain(conn: Connection, wire: Wire) -> Domain:
    return Domain(conn, DomainRef(wire["name"], wire["uuid"], wire["id"]))


def wire_domain(handle: Domain | DomainRef) -> Wire:
    ref = handle.ref if isinstance(handle, Domain) else handle
    return {"name": ref.name, "uuid": ref.uuid, "id": ref.id}


def network(conn: Connection, wire: Wire) -> Network:
    return Network(conn, NetworkRef(wire["name"], wire["uuid"]))


def wire_network(handle: Network) -> Wire:
    return {"name": handle.ref.name, "uuid": handle.ref.uuid}


def storage_pool(conn: Connection, wire: Wire) -> StoragePool:
    return StoragePool(conn, StoragePoolRef(wire["name"], wire["uuid"]))


def wire_storage_pool(handle: StoragePool) -> Wire:
    return {"name": handle.ref.name, "uuid": handle.ref.uuid}


def storage_volume(conn: Connection, wire: Wire) -> StorageVolume:
    return StorageVolume(conn, StorageVolumeRef(wire["pool"], wire["name"], wire["key"]))


def wire_storage_volume(handle: StorageVolume) -> Wire:
    return {"pool": handle.ref.pool, "name": handle.ref.name, "key": handle.ref.key}
