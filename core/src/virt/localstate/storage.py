"""LocalStorageOperations: the storage pool and volume methods of a local driver's connection.

Storage is the host's, not one hypervisor's: every local driver's connection reaches the one
``virt.storage`` service of its mode (``qemu:///system`` and ``lxc:///`` the system's pools,
``qemu:///session`` the user's), so a pool defined through one is seen through the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.driver import STORAGE_READ, StoragePoolInfo, StoragePoolRef, StorageVolumeInfo, StorageVolumeRef
from virt.errors import ErrorDomain, ErrorNumber, libvirt_error

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable

    from virt.info import ObjectFilter
    from virt.poolevents import StoragePoolEvent
    from virt.storage.backend import BuildFlags
    from virt.storage.service import PoolState, StorageService
    from virt.storage.transfer import VolumeTransfer
    from virt.uri import URI
    from virt.xml import Domain, StoragePool, StorageVolume


def _pool_ref(state: PoolState) -> StoragePoolRef:
    return StoragePoolRef(name=state.name, uuid=state.uuid)


def _volume_ref(pool: str, volume: StorageVolume) -> StorageVolumeRef:
    return StorageVolumeRef(pool=pool, name=volume.name or "", key=volume.key or "")


def storage_mode(uri: URI) -> str:
    """``session`` for ``SCHEME:///session``, else ``system`` (``lxc:///`` is the system's)."""
    return "session" if uri.path.rstrip("/") == "/session" else "system"


_STORAGE_READS = frozenset({STORAGE_READ})


class LocalStorageOperations:
    """Mixed into ``LocalConnection``: every storage call goes to the host's storage service."""

    uri: URI
    _storage: StorageService | None = None

    @property
    def quick_calls(self) -> frozenset[str]:
        # Once the service is up (making it may start autostart pools: mounts), reading pools and
        # volumes is a few stats and small reads of local files, faster than a worker thread's hand-off.
        return _STORAGE_READS if self._storage is not None else frozenset()

    @property
    def storage(self) -> StorageService:
        """The storage service of this connection's mode, made on first use."""
        if self._storage is None:
            from virt.storage.service import service_for

            self._storage = service_for(storage_mode(self.uri))
        return self._storage

    # -- pools --------------------------------------------------------------------------------------
    def list_storage_pools(self, filter: ObjectFilter) -> list[StoragePoolRef]:
        return [
            _pool_ref(s)
            for s in self.storage.states()
            if filter.matches(active=s.active, persistent=s.persistent, autostart=s.autostart)
        ]

    def lookup_storage_pool_by_name(self, name: str) -> StoragePoolRef:
        return _pool_ref(self.storage.by_name(name))

    def lookup_storage_pool_by_uuid(self, uuid: uuid.UUID) -> StoragePoolRef:
        return _pool_ref(self.storage.by_uuid(uuid))

    def get_storage_pool_definition(self, ref: StoragePoolRef, *, inactive: bool = False) -> StoragePool:
        if inactive:
            return self.storage.persistent_definition(ref.name)
        return self.storage.live_definition(ref.name)

    def get_storage_pool_info(self, ref: StoragePoolRef) -> StoragePoolInfo:
        state = self.storage.by_name(ref.name)
        if not state.active:
            return StoragePoolInfo(active=False, capacity=0, allocation=0, available=0)
        sizes = self.storage.backend(state.definition.type).sizes(state.definition)
        return StoragePoolInfo(True, sizes.capacity, sizes.allocation, sizes.available)

    def find_storage_pool_sources(self, pool_type: str, spec: str | None, flags: int) -> str:
        from virt.xml.storage import POOL_SOURCE_PARTS

        if pool_type not in POOL_SOURCE_PARTS:  # libvirt's pool types
            raise libvirt_error(
                ErrorNumber.INTERNAL_ERROR, f"unknown storage pool type {pool_type}", ErrorDomain.STORAGE
            )
        return self.storage.backend(pool_type).find_sources(spec)

    def define_storage_pool(self, pool: StoragePool) -> StoragePoolRef:
        return _pool_ref(self.storage.define(pool))

    def create_storage_pool(self, pool: StoragePool, *, build: BuildFlags | None = None) -> StoragePoolRef:
        return _pool_ref(self.storage.create(pool, build))

    def undefine_storage_pool(self, ref: StoragePoolRef) -> None:
        self.storage.undefine(ref.name)

    def start_storage_pool(self, ref: StoragePoolRef, *, build: BuildFlags | None = None) -> None:
        self.storage.start(ref.name, build)

    def destroy_storage_pool(self, ref: StoragePoolRef) -> None:
        self.storage.destroy(ref.name)

    def build_storage_pool(self, ref: StoragePoolRef, *, overwrite: bool = False, no_overwrite: bool = False) -> None:
        from virt.storage.backend import BuildFlags

        self.storage.build(ref.name, BuildFlags(overwrite=overwrite, no_overwrite=no_overwrite))

    def delete_storage_pool(self, ref: StoragePoolRef) -> None:
        self.storage.delete(ref.name)

    def refresh_storage_pool(self, ref: StoragePoolRef) -> None:
        self.storage.refresh(ref.name)

    def is_storage_pool_persistent(self, ref: StoragePoolRef) -> bool:
        return self.storage.by_uuid(ref.uuid).persistent

    def get_storage_pool_autostart(self, ref: StoragePoolRef) -> bool:
        return self.storage.by_name(ref.name).autostart

    def set_storage_pool_autostart(self, ref: StoragePoolRef, autostart: bool) -> None:
        self.storage.set_autostart(ref.name, bool(autostart))

    # -- pool events (virt.poolevents) --------------------------------------------------------------
    _unsubscribes: list[Callable[[], None]]

    def subscribe_storage_pool_events(
        self, event_id: int, callback: Callable[[StoragePoolEvent], None]
    ) -> Callable[[], None]:
        """The service's events (every connection's changes in this process), delivered by its hub's thread."""

        def relay(event: StoragePoolEvent) -> None:
            if event.id == event_id:
                callback(event)

        unsubscribe = self.storage.events.subscribe(relay)
        self._unsubscribes.append(unsubscribe)  # LocalConnection.close calls it: the service outlives us
        return unsubscribe

    # -- volumes ------------------------------------------------------------------------------------
    def list_storage_volumes(self, pool: StoragePoolRef) -> list[StorageVolumeRef]:
        return [StorageVolumeRef(pool=pool.name, name=n, key=k) for n, k in self.storage.volume_keys(pool.name)]

    def lookup_storage_volume_by_name(self, pool: StoragePoolRef, name: str) -> StorageVolumeRef:
        return _volume_ref(pool.name, self.storage.volume(pool.name, name))

    def lookup_storage_volume_by_key(self, key: str) -> StorageVolumeRef:
        from virt.errors import ErrorNumber
        from virt.storage.service import error

        found = self.storage.volume_with_key(key)
        if found is None:
            raise error(ErrorNumber.NO_STORAGE_VOL, f"no storage vol with matching key {key}")
        return _volume_ref(*found)

    def lookup_storage_volume_by_path(self, path: str) -> StorageVolumeRef:
        from virt.errors import ErrorNumber
        from virt.storage.service import error

        found = self.storage.volume_at(path)
        if found is None:
            raise error(ErrorNumber.NO_STORAGE_VOL, f"no storage vol with matching path '{path}'")
        return _volume_ref(*found)

    def get_storage_volume_definition(self, ref: StorageVolumeRef) -> StorageVolume:
        return self.storage.volume(ref.pool, ref.name)

    def get_storage_volume_info(self, ref: StorageVolumeRef) -> StorageVolumeInfo:
        volume = self.storage.volume(ref.pool, ref.name)
        return StorageVolumeInfo(
            type=volume.type or self.storage.volume_type(ref.pool),
            capacity=volume.capacity or 0,
            allocation=volume.allocation or 0,
        )

    def get_storage_volume_path(self, ref: StorageVolumeRef) -> str:
        return self.storage.volume_path(ref.pool, ref.name)

    def create_storage_volume(
        self, pool: StoragePoolRef, volume: StorageVolume, *, prealloc_metadata: bool = False
    ) -> StorageVolumeRef:
        name = self.storage.create_volume(pool.name, volume, int(prealloc_metadata))
        return _volume_ref(pool.name, self.storage.volume(pool.name, name))

    def create_storage_volume_from(
        self, pool: StoragePoolRef, volume: StorageVolume, source: StorageVolumeRef, *, prealloc_metadata: bool = False
    ) -> StorageVolumeRef:
        origin = self.storage.volume(source.pool, source.name)
        name = self.storage.create_volume(pool.name, volume, int(prealloc_metadata), origin)
        return _volume_ref(pool.name, self.storage.volume(pool.name, name))

    def open_storage_volume_download(self, ref: StorageVolumeRef, offset: int = 0, length: int = 0) -> VolumeTransfer:
        return self.storage.open_transfer(ref.pool, ref.name, write=False, offset=offset, length=length)

    def open_storage_volume_upload(self, ref: StorageVolumeRef, offset: int = 0, length: int = 0) -> VolumeTransfer:
        return self.storage.open_transfer(ref.pool, ref.name, write=True, offset=offset, length=length)

    def delete_storage_volume(self, ref: StorageVolumeRef) -> None:
        self.storage.delete_volume(ref.pool, ref.name)

    def wipe_storage_volume(self, ref: StorageVolumeRef, algorithm: int = 0) -> None:
        self.storage.wipe_volume(ref.pool, ref.name, algorithm)

    def resize_storage_volume(
        self, ref: StorageVolumeRef, capacity: int, *, delta: bool = False, shrink: bool = False, allocate: bool = False
    ) -> None:
        self.storage.resize_volume(ref.pool, ref.name, capacity, delta=delta, shrink=shrink, allocate=allocate)


def resolve_volume_disks(domain: Domain, mode: str) -> Domain:
    """A copy of ``domain`` whose ``<disk type='volume'>`` name the volumes' files or devices, as a
    hypervisor opens them (libvirt translates them at start the same way); ``domain`` is not changed.

    A volume's format becomes the disk's driver type when the disk names none. Errors are libvirt's:
    no such pool or volume, a pool that is not active.
    """
    import copy

    from virt.errors import ErrorNumber
    from virt.storage.service import error, service_for

    disks = [d for d in (domain.devices.disks if domain.devices is not None else []) if d.type == "volume"]
    if not disks:
        return domain
    resolved = copy.deepcopy(domain)
    assert resolved.devices is not None
    service = service_for(mode)
    for disk in resolved.devices.disks:
        if disk.type != "volume" or disk.source is None:
            continue
        pool, name = disk.source.pool, disk.source.volume
        if not pool or not name:
            raise error(ErrorNumber.XML_ERROR, "a disk of type 'volume' needs both a source pool and a volume")
        if not service.by_name(pool).active:
            detail = f"storage pool '{pool}' containing volume '{name}' is not active"
            raise error(ErrorNumber.OPERATION_INVALID, detail)
        volume = service.volume(pool, name)
        path = volume.target.path if volume.target is not None else None
        disk.type = "file" if volume.type == "file" else "block"
        disk.source.pool = disk.source.volume = None
        if disk.type == "file":
            disk.source.file = path
        else:
            disk.source.dev = path
        format = volume.target.format.type if volume.target is not None and volume.target.format else None
        if format and disk.driver is not None and disk.driver.type is None:
            disk.driver.type = format
    return resolved
