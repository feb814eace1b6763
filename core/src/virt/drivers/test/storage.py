"""Storage pools and volumes with the rules and messages of libvirt 9.0's test driver.

Callers hold ``host.lock``. Sizes are bytes. A pool's sizes live in its PoolObj and are written
into the definitions it hands out.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from virt.driver import StoragePoolInfo, StoragePoolRef, StorageVolumeInfo, StorageVolumeRef
from virt.drivers.test import errors, models, refusals
from virt.drivers.test.host import Host
from virt.drivers.test.objects import PoolObj
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument
from virt.info import ObjectFilter
from virt.poolevents import StoragePoolEvent, StoragePoolEventType

if TYPE_CHECKING:
    from virt.storage.backend import BuildFlags
    from virt.xml import StoragePool, StorageVolume

DEFAULT_POOL_CAPACITY = 100 * 1024**3
"""Every test pool claims 100 GiB, whatever its definition says (libvirt's defaultPoolCap)."""

# libvirt's testStorageVolumeTypeForPool: the kind of volume each pool type holds.
_FILE_POOLS = frozenset({"dir", "fs", "netfs", "vstorage"})
_NETWORK_POOLS = frozenset({"sheepdog", "iscsi-direct", "gluster", "rbd"})
# Pool types whose volumes live under the pool's target directory (their sources can clash).
_PATH_POOLS = frozenset({"dir"})


def _xml_error(detail: str) -> Exception:
    return errors.error(ErrorNumber.XML_ERROR, detail, ErrorDomain.STORAGE)


def volume_type_for(pool_type: str | None) -> str:
    if pool_type in _NETWORK_POOLS:
        return "network"
    if pool_type in _FILE_POOLS or pool_type is None:
        return "file"
    return "block"


# -- rules shared with the node loader -------------------------------------------------------------
def prepare_pool(definition: StoragePool) -> StoragePool:
    if not definition.name:
        raise _xml_error("missing pool source name element")
    if definition.type in _PATH_POOLS and not models.pool_target_path(definition):
        raise _xml_error("missing storage pool target path")
    refusals.check_pool(definition)
    stored = definition.clone()
    models.drop_driver_namespaces(stored)
    if stored.uuid is None:
        stored.uuid = uuid.uuid4()
    return stored


def add_pool(host: Host, definition: StoragePool, *, live: bool) -> PoolObj:
    """Register ``definition`` (prepared) as libvirt's virStoragePoolObjListAdd does."""
    key = definition.uuid
    assert key is not None, "prepare_pool() gives every definition a UUID"
    existing = host.pools.get(key)
    if existing is not None:
        if existing.name != definition.name:
            raise errors.error(
                ErrorNumber.OPERATION_FAILED,
                f"pool '{existing.name}' is already defined with uuid {existing.uuid}",
                ErrorDomain.STORAGE,
            )
        if live and existing.active:
            raise errors.error(
                ErrorNumber.OPERATION_INVALID, f"pool is already active as '{existing.name}'", ErrorDomain.STORAGE
            )
        if existing.active:
            existing.pending = definition
        else:
            existing.definition = definition
        if not live:
            existing.persistent = True
        return existing
    for other in host.pools.values():
        if other.name == definition.name:
            raise errors.error(
                ErrorNumber.OPERATION_FAILED,
                f"pool '{definition.name}' already exists with uuid {other.uuid}",
                ErrorDomain.STORAGE,
            )
    path = models.pool_target_path(definition)
    for other in host.pools.values():
        if (
            definition.type in _PATH_POOLS
            and other.definition.type == definition.type
            and models.pool_target_path(other.definition) == path
        ):
            raise errors.error(
                ErrorNumber.OPERATION_FAILED, f"Storage source conflict with pool: '{other.name}'", ErrorDomain.STORAGE
            )
    obj = PoolObj(definition=definition, persistent=not live, capacity=DEFAULT_POOL_CAPACITY)
    host.pools[key] = obj
    return obj


def add_volume(pool: PoolObj, volume: StorageVolume, *, loading: bool = False) -> StorageVolume:
    """Store a copy of ``volume`` in ``pool``: checked, placed under the pool's path, keyed by path.

    A created volume always lands at ``<pool path>/<name>`` with its path as key; one read from a
    node file keeps the path and key it gives (libvirt's loader only fills in missing ones).
    """
    # virt.xml's post-parse gives every volume a type and a capacity (0 when absent), as libvirt's parser does.
    name, capacity = volume.name, volume.capacity or 0
    if not name:
        raise _xml_error("missing volume name element")
    if name in pool.volumes:
        raise errors.error(ErrorNumber.OPERATION_FAILED, "storage vol already exists")
    stored = volume.clone()
    # libvirt: a volume without allocation is fully allocated
    allocation = capacity if stored.allocation is None else stored.allocation
    stored.allocation = allocation
    if pool.allocation + allocation > pool.capacity:
        raise errors.internal(f"Not enough free space in pool for volume '{name}'")
    stored.in_pool(pool.definition.type)
    default_path = f"{models.pool_target_path(pool.definition) or ''}/{name}"
    models.place_volume(stored, default_path, replace=not loading)
    if not loading or not stored.key:
        stored.key = models.volume_path(stored)
    pool.volumes[name] = stored
    pool.allocation += allocation
    return stored


def pool_ref_of(obj: PoolObj) -> StoragePoolRef:
    return StoragePoolRef(name=obj.name, uuid=obj.uuid)


def volume_ref_of(pool: PoolObj, volume: StorageVolume) -> StorageVolumeRef:
    return StorageVolumeRef(pool=pool.name, name=volume.name or "", key=volume.key or "")


class StorageOperations:
    """Storage pool and volume methods of TestConnection."""

    host: Host

    # -- finding ----------------------------------------------------------------------------------
    def _pool_named(self, name: str) -> PoolObj:
        for obj in self.host.pools.values():
            if obj.name == name:
                return obj
        raise errors.error(ErrorNumber.NO_STORAGE_POOL, f"no storage pool with matching name '{name}'")

    def _pool_with_uuid(self, uuid: uuid.UUID) -> PoolObj:
        obj = self.host.pools.get(uuid)
        if obj is None:
            raise errors.error(ErrorNumber.NO_STORAGE_POOL, f"no storage pool with matching uuid '{uuid}'")
        return obj

    def _active_pool(self, name: str) -> PoolObj:
        obj = self._pool_named(name)
        if not obj.active:
            raise errors.error(ErrorNumber.OPERATION_INVALID, f"storage pool '{name}' is not active")
        return obj

    def _inactive_pool(self, name: str) -> PoolObj:
        obj = self._pool_named(name)
        if obj.active:
            raise errors.error(ErrorNumber.OPERATION_INVALID, f"storage pool '{name}' is active")
        return obj

    def _volume(self, ref: StorageVolumeRef) -> tuple[PoolObj, StorageVolume]:
        pool = self._active_pool(ref.pool)
        volume = pool.volumes.get(ref.name)
        if volume is None:
            raise errors.error(ErrorNumber.NO_STORAGE_VOL, f"no storage vol with matching name '{ref.name}'")
        return pool, volume

    def _volume_matching(self, what: str, value: str, attribute: str) -> StorageVolumeRef:
        # only running pools show their volumes, as in libvirt
        for pool in self.host.pools.values():
            if not pool.active:
                continue
            for volume in pool.volumes.values():
                found = volume.key if attribute == "key" else models.volume_path(volume)
                if found == value:
                    return volume_ref_of(pool, volume)
        raise errors.error(ErrorNumber.NO_STORAGE_VOL, f"no storage vol with matching {what} '{value}'")

    # -- events: queued under the host's lock, delivered after it -----------------------------------
    def _pool_event(self, obj: PoolObj, type_: StoragePoolEventType) -> None:
        self.host.pool_events.queue(StoragePoolEvent.lifecycle(pool_ref_of(obj), type_))

    # -- pools ------------------------------------------------------------------------------------
    def list_storage_pools(self, filter: ObjectFilter) -> list[StoragePoolRef]:
        with self.host.lock:
            return [
                pool_ref_of(obj)
                for obj in self.host.pools.values()
                if filter.matches(active=obj.active, persistent=obj.persistent, autostart=obj.autostart)
            ]

    def lookup_storage_pool_by_name(self, name: str) -> StoragePoolRef:
        with self.host.lock:
            return pool_ref_of(self._pool_named(name))

    def lookup_storage_pool_by_uuid(self, uuid: uuid.UUID) -> StoragePoolRef:
        with self.host.lock:
            return pool_ref_of(self._pool_with_uuid(uuid))

    def get_storage_pool_definition(self, ref: StoragePoolRef, *, inactive: bool = False) -> StoragePool:
        with self.host.lock:
            obj = self._pool_named(ref.name)
            definition = obj.pending if inactive and obj.pending is not None else obj.definition
            result = definition.clone()
            result.capacity, result.allocation, result.available = obj.capacity, obj.allocation, obj.available
            return result

    def get_storage_pool_info(self, ref: StoragePoolRef) -> StoragePoolInfo:
        with self.host.lock:
            obj = self._pool_named(ref.name)
            return StoragePoolInfo(
                active=obj.active, capacity=obj.capacity, allocation=obj.allocation, available=obj.available
            )

    def define_storage_pool(self, pool: StoragePool) -> StoragePoolRef:
        definition = prepare_pool(pool)
        with self.host.lock:
            obj = add_pool(self.host, definition, live=False)
            self._pool_event(obj, StoragePoolEventType.DEFINED)
        self.host.pool_events.flush()
        return pool_ref_of(obj)

    def create_storage_pool(self, pool: StoragePool, *, build: BuildFlags | None = None) -> StoragePoolRef:
        definition = prepare_pool(pool)
        with self.host.lock:
            obj = add_pool(self.host, definition, live=True)
            obj.active = True
            self._pool_event(obj, StoragePoolEventType.STARTED)
        self.host.pool_events.flush()
        return pool_ref_of(obj)

    def undefine_storage_pool(self, ref: StoragePoolRef) -> None:
        with self.host.lock:
            obj = self._inactive_pool(ref.name)
            del self.host.pools[obj.uuid]
            self._pool_event(obj, StoragePoolEventType.UNDEFINED)
        self.host.pool_events.flush()

    def start_storage_pool(self, ref: StoragePoolRef, *, build: BuildFlags | None = None) -> None:
        # the test driver's pools are in memory: there is nothing to build
        with self.host.lock:
            obj = self._inactive_pool(ref.name)
            obj.active = True
            self._pool_event(obj, StoragePoolEventType.STARTED)
        self.host.pool_events.flush()

    def build_storage_pool(self, ref: StoragePoolRef, *, overwrite: bool = False, no_overwrite: bool = False) -> None:
        # libvirt's testStoragePoolBuild takes no flag and builds nothing: an inactive pool is all it checks
        flags = (0x4 if no_overwrite else 0) | (0x8 if overwrite else 0)
        if flags:
            raise InvalidArgument(
                f"unsupported flags (0x{flags:x}) in function testStoragePoolBuild",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.TEST,
            )
        with self.host.lock:
            self._pool_event(self._inactive_pool(ref.name), StoragePoolEventType.CREATED)
        self.host.pool_events.flush()

    def delete_storage_pool(self, ref: StoragePoolRef) -> None:
        # nothing was built for an in-memory pool: libvirt's testStoragePoolDelete only checks it is inactive
        with self.host.lock:
            self._pool_event(self._inactive_pool(ref.name), StoragePoolEventType.DELETED)
        self.host.pool_events.flush()

    def refresh_storage_pool(self, ref: StoragePoolRef) -> None:
        # the volumes are the driver's own: a refresh finds nothing new, but the pool must be active
        with self.host.lock:
            obj = self._active_pool(ref.name)
            self.host.pool_events.queue(StoragePoolEvent.refresh(pool_ref_of(obj)))
        self.host.pool_events.flush()

    def destroy_storage_pool(self, ref: StoragePoolRef) -> None:
        with self.host.lock:
            obj = self._active_pool(ref.name)
            obj.active = False
            if obj.pending is not None:
                obj.definition, obj.pending = obj.pending, None
            if not obj.persistent:
                del self.host.pools[obj.uuid]
            self._pool_event(obj, StoragePoolEventType.STOPPED)
        self.host.pool_events.flush()

    def is_storage_pool_persistent(self, ref: StoragePoolRef) -> bool:
        with self.host.lock:
            return self._pool_with_uuid(ref.uuid).persistent

    def get_storage_pool_autostart(self, ref: StoragePoolRef) -> bool:
        with self.host.lock:
            obj = self._pool_named(ref.name)
            return obj.persistent and obj.autostart

    def set_storage_pool_autostart(self, ref: StoragePoolRef, autostart: bool) -> None:
        with self.host.lock:
            obj = self._pool_named(ref.name)
            if not obj.persistent:
                raise errors.error(ErrorNumber.INVALID_ARG, "pool has no config file")
            obj.autostart = bool(autostart)

    # -- volumes ----------------------------------------------------------------------------------
    def list_storage_volumes(self, pool: StoragePoolRef) -> list[StorageVolumeRef]:
        with self.host.lock:
            obj = self._pool_with_uuid(pool.uuid)
            if not obj.active:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "storage pool is not active")
            return [volume_ref_of(obj, volume) for volume in obj.volumes.values()]

    def lookup_storage_volume_by_name(self, pool: StoragePoolRef, name: str) -> StorageVolumeRef:
        with self.host.lock:
            obj = self._active_pool(pool.name)
            volume = obj.volumes.get(name)
            if volume is None:
                raise errors.error(ErrorNumber.NO_STORAGE_VOL, f"no storage vol with matching name '{name}'")
            return volume_ref_of(obj, volume)

    def lookup_storage_volume_by_key(self, key: str) -> StorageVolumeRef:
        with self.host.lock:
            return self._volume_matching("key", key, "key")

    def lookup_storage_volume_by_path(self, path: str) -> StorageVolumeRef:
        with self.host.lock:
            return self._volume_matching("path", path, "path")

    def get_storage_volume_definition(self, ref: StorageVolumeRef) -> StorageVolume:
        with self.host.lock:
            return self._volume(ref)[1].clone()

    def get_storage_volume_info(self, ref: StorageVolumeRef) -> StorageVolumeInfo:
        with self.host.lock:
            pool, volume = self._volume(ref)
            return StorageVolumeInfo(
                type=volume_type_for(pool.definition.type),
                capacity=volume.capacity or 0,
                allocation=volume.allocation or 0,
            )

    def get_storage_volume_path(self, ref: StorageVolumeRef) -> str:
        with self.host.lock:
            return models.volume_path(self._volume(ref)[1])

    def create_storage_volume(
        self, pool: StoragePoolRef, volume: StorageVolume, *, prealloc_metadata: bool = False
    ) -> StorageVolumeRef:
        # the test driver allocates nothing: the preallocation flag changes nothing here, as in libvirt's
        with self.host.lock:
            obj = self._active_pool(pool.name)
            refusals.check_volume(volume, obj.definition.type)
            return volume_ref_of(obj, add_volume(obj, volume))

    def create_storage_volume_from(
        self, pool: StoragePoolRef, volume: StorageVolume, source: StorageVolumeRef, *, prealloc_metadata: bool = False
    ) -> StorageVolumeRef:
        # libvirt's testStorageVolCreateXMLFrom copies no data (there is none) and finds the source
        # by name in the pool the new volume goes to
        with self.host.lock:
            obj = self._active_pool(pool.name)
            if source.name not in obj.volumes:
                raise errors.error(ErrorNumber.NO_STORAGE_VOL, f"no storage vol with matching name '{source.name}'")
            refusals.check_volume(volume, obj.definition.type)
            made = volume.clone()  # at least as large as its origin
            made.capacity = max(made.capacity or 0, obj.volumes[source.name].capacity or 0)
            return volume_ref_of(obj, add_volume(obj, made))

    def delete_storage_volume(self, ref: StorageVolumeRef) -> None:
        with self.host.lock:
            pool, volume = self._volume(ref)
            pool.allocation -= volume.allocation or 0
            del pool.volumes[ref.name]
