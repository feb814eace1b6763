"""StorageService: the storage pools of one host mode (system or session), shared by every driver.

The files are the truth, so that every process serving the pools (virtd, an in-process
``qemu:///system``, ``lxc:///``) sees one state: a persistent pool's definition is
``state/pools/NAME.xml`` (autostart: ``state/autostart/NAME.xml``, a symlink to it), an active
pool's live definition ``run/pools/NAME.xml`` (gone at reboot, so pools start inactive). Every
change holds the service's lock file (``flock``) and writes atomically; a restarted process finds
its active pools as they were. Volumes are read from the host when asked for, so volumes made
outside virt show up at once (and at a pool refresh, as libvirt shows them).
"""

from __future__ import annotations

import contextlib
import copy
import os
import threading
import uuid as uuid_module
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from virt.errors import ErrorDomain, ErrorNumber, XMLError, libvirt_error
from virt.localstate.files import atomic_write, fsync_dir, holding, remove
from virt.poolevents import StoragePoolEvent, StoragePoolEventHub, StoragePoolEventType
from virt.storage.backend import BuildFlags, NewVolume, PoolBackend, SourceImage
from virt.storage.layout import StorageDirs

if TYPE_CHECKING:
    from virt.registry import StorageBackendRegistry
    from virt.storage.transfer import VolumeTransfer
    from virt.xml import StoragePool, StorageVolume

DEFAULT_POOL = "default"


def error(code: ErrorNumber, detail: str) -> Exception:
    return libvirt_error(code, detail, ErrorDomain.STORAGE)


@attrs.frozen
class PoolState:
    """One pool as the files say: its current definition (the live one while active)."""

    name: str
    uuid: uuid_module.UUID
    definition: StoragePool
    active: bool
    persistent: bool
    autostart: bool


class StorageService:
    """The pools of one storage folder layout and the backends that serve their types."""

    def __init__(self, dirs: StorageDirs, backends: StorageBackendRegistry) -> None:
        self.dirs = dirs
        self._registry = backends
        self._backends: dict[str, PoolBackend] = {}
        self._lock = threading.RLock()
        self._parsed: dict[str, tuple[tuple[int, int], StoragePool]] = {}
        # the state files' folders as strings: every call on a pool reads its state files
        self._active_dir, self._definitions_dir = str(dirs.active_dir), str(dirs.definitions_dir)
        self._autostart_dir = str(dirs.autostart_dir)
        self._in_use: dict[tuple[str, str], int] = {}
        """(pool, volume) pairs with a transfer open, and how many."""
        self._building: set[tuple[str, str]] = set()
        """(pool, volume) pairs this process is creating: not to be deleted, wiped or resized meanwhile."""
        self._events: StoragePoolEventHub | None = None
        dirs.make()
        with self.changing():
            self._autostart()

    # -- events (virt.poolevents): this process's changes, as libvirt's storage driver emits them ------
    @property
    def events(self) -> StoragePoolEventHub:
        """The hub of this service's pool events, made (with its delivery thread) on first use."""
        with self._lock:
            if self._events is None:
                self._events = StoragePoolEventHub(threaded=True, name="virt storage pool events")
            return self._events

    def _emit(self, state: PoolState, type_: StoragePoolEventType | None) -> None:
        """Queue a lifecycle event (``type_``) or a refresh (None) of the pool; nothing when
        nobody ever subscribed."""
        if self._events is None:
            return
        from virt.driver import StoragePoolRef

        ref = StoragePoolRef(name=state.name, uuid=state.uuid)
        self._events.emit(StoragePoolEvent.refresh(ref) if type_ is None else StoragePoolEvent.lifecycle(ref, type_))

    # -- files and locks ------------------------------------------------------------------------
    @contextlib.contextmanager
    def changing(self) -> Iterator[None]:
        """Hold the service: this process's threads and other processes change pools in turn."""
        with holding(self._lock, self.dirs.lock_file):
            yield

    def _definition_file(self, name: str) -> Path:
        return self.dirs.definitions_dir / f"{name}.xml"

    def _live_file(self, name: str) -> Path:
        return self.dirs.active_dir / f"{name}.xml"

    def _autostart_link(self, name: str) -> Path:
        return self.dirs.autostart_dir / f"{name}.xml"

    def _read(self, path: str) -> StoragePool | None:
        """The pool in ``path`` (parsed once per version of the file), None when there is none."""
        from virt.xml import StoragePool

        try:
            info = os.stat(path)  # noqa: PTH116 - every call on a pool reads its state: no Path objects
        except FileNotFoundError:
            return None
        version = (info.st_mtime_ns, info.st_size)
        cached = self._parsed.get(path)
        if cached is None or cached[0] != version:
            try:
                with open(path, "rb") as stream:
                    pool = StoragePool.from_xml(stream.read())
            except (OSError, XMLError) as exc:
                raise error(ErrorNumber.INTERNAL_ERROR, f"cannot read pool file '{path}': {exc}") from exc
            self._parsed[path] = cached = (version, pool)
        return cached[1]

    def _state(self, name: str) -> PoolState | None:
        live = self._read(f"{self._active_dir}/{name}.xml")
        stored = self._read(f"{self._definitions_dir}/{name}.xml")
        definition = live or stored
        if definition is None or definition.uuid is None:
            return None
        autostart = stored is not None and os.path.lexists(f"{self._autostart_dir}/{name}.xml")
        return PoolState(name, definition.uuid, definition, live is not None, stored is not None, autostart)

    def states(self) -> list[PoolState]:
        """Every pool, persistent or active, by name."""
        names = {p.stem for folder in (self.dirs.definitions_dir, self.dirs.active_dir) for p in folder.glob("*.xml")}
        found = [self._state(name) for name in sorted(names)]
        return [state for state in found if state is not None]

    # -- backends -------------------------------------------------------------------------------
    def backend(self, pool_type: str | None) -> PoolBackend:
        """The backend of ``pool_type``; NotSupported naming the type when no plugin provides one."""
        kind = pool_type or ""
        found = self._backends.get(kind)
        if found is None:
            spec = self._registry.get(kind)
            if spec is None:
                installed = ", ".join(sorted(s.pool_type for s in self._registry)) or "none"
                raise libvirt_error(
                    ErrorNumber.NO_SUPPORT,
                    f"storage pool type '{kind}' is not supported: no installed backend provides it "
                    f"(installed: {installed})",
                    ErrorDomain.STORAGE,
                )
            found = self._backends[kind] = spec.make()
        return found

    # -- pools: lookups ---------------------------------------------------------------------------
    def by_name(self, name: str) -> PoolState:
        state = self._state(name) if name and "/" not in name else None
        if state is None:
            raise error(ErrorNumber.NO_STORAGE_POOL, f"no storage pool with matching name '{name}'")
        return state

    def by_uuid(self, key: uuid_module.UUID) -> PoolState:
        for state in self.states():
            if state.uuid == key:
                return state
        raise error(ErrorNumber.NO_STORAGE_POOL, f"no storage pool with matching uuid '{key}'")

    def active(self, name: str) -> PoolState:
        state = self.by_name(name)
        if not state.active:
            raise error(ErrorNumber.OPERATION_INVALID, f"storage pool '{name}' is not active")
        return state

    def _inactive(self, name: str, still: bool = False) -> PoolState:
        state = self.by_name(name)
        if state.active:
            raise error(
                ErrorNumber.OPERATION_INVALID, f"storage pool '{name}' is {'still' if still else 'already'} active"
            )
        return state

    # -- pools: definitions -----------------------------------------------------------------------
    def _prepare(self, pool: StoragePool) -> tuple[StoragePool, PoolState | None]:
        """A checked copy of ``pool`` with its UUID, and the pool of that name it replaces."""
        if not pool.name:
            raise error(ErrorNumber.XML_ERROR, "missing pool source name element")
        if "/" in pool.name:
            raise error(ErrorNumber.XML_ERROR, f"name {pool.name} cannot contain '/'")
        backend = self.backend(pool.type)
        backend.check(pool)
        stored = copy.deepcopy(pool)
        existing = self._state(pool.name)
        if stored.uuid is None:
            stored.uuid = existing.uuid if existing is not None else uuid_module.uuid4()
        for other in self.states():
            if other.name == stored.name:
                if other.uuid != stored.uuid:
                    raise error(
                        ErrorNumber.OPERATION_FAILED, f"pool '{other.name}' already exists with uuid {other.uuid}"
                    )
                continue
            if other.uuid == stored.uuid:
                raise error(
                    ErrorNumber.OPERATION_FAILED, f"pool '{other.name}' is already defined with uuid {other.uuid}"
                )
            if _same_source(other.definition, stored):
                raise error(ErrorNumber.OPERATION_FAILED, f"Storage source conflict with pool: '{other.name}'")
        stored.capacity = stored.allocation = stored.available = None
        return stored, existing

    def define(self, pool: StoragePool) -> PoolState:
        with self.changing():
            stored, _ = self._prepare(pool)
            assert stored.name is not None
            atomic_write(self._definition_file(stored.name), stored.to_xml())
            state = self._state(stored.name)
            assert state is not None
            self._emit(state, StoragePoolEventType.DEFINED)
            return state

    def create(self, pool: StoragePool, build: BuildFlags | None = None) -> PoolState:
        """Start ``pool`` without defining it (a transient pool); ``build``: build it first."""
        with self.changing():
            stored, existing = self._prepare(pool)
            assert stored.name is not None
            if existing is not None:
                raise error(
                    ErrorNumber.OPERATION_INVALID,
                    f"pool is already {'active' if existing.active else 'defined'} as '{existing.name}'",
                )
            if build is not None:
                self.backend(stored.type).build(stored, build)
            self._activate(stored)
            state = self._state(stored.name)
            assert state is not None
            self._emit(state, StoragePoolEventType.STARTED)
            return state

    def undefine(self, name: str) -> None:
        with self.changing():
            state = self.by_name(name)
            if not state.persistent:
                raise error(ErrorNumber.OPERATION_INVALID, f"storage pool '{name}' is not persistent")
            self._inactive(name, still=True)
            remove(self._autostart_link(name))
            remove(self._definition_file(name))
            self._emit(state, StoragePoolEventType.UNDEFINED)

    def set_autostart(self, name: str, autostart: bool) -> None:
        with self.changing():
            state = self.by_name(name)
            if not state.persistent:
                raise error(ErrorNumber.INTERNAL_ERROR, "pool has no config file")
            link = self._autostart_link(name)
            if not autostart:
                remove(link)
            elif not os.path.lexists(link):
                link.symlink_to(self._definition_file(name))
                fsync_dir(link.parent)

    def persistent_definition(self, name: str) -> StoragePool:
        """The definition a pool starts with next time (``--inactive``): while the running pool's
        is the same one, libvirt shows it with what the running pool found (sizes, permissions)."""
        state = self.by_name(name)
        stored = self._read(str(self._definition_file(name)))
        if stored is None or (state.active and stored == state.definition):
            return self.live_definition(name)
        return copy.deepcopy(stored)

    # -- pools: state -----------------------------------------------------------------------------
    def _activate(self, definition: StoragePool) -> None:
        assert definition.name is not None
        self.backend(definition.type).start(definition)
        atomic_write(self._live_file(definition.name), definition.to_xml(), durable=False)

    def start(self, name: str, build: BuildFlags | None = None) -> None:
        with self.changing():
            state = self._inactive(name)
            if build is not None:
                self.backend(state.definition.type).build(state.definition, build)
            self._activate(copy.deepcopy(state.definition))
            self._emit(state, StoragePoolEventType.STARTED)

    def destroy(self, name: str) -> None:
        with self.changing():
            state = self.active(name)
            if any(pool == name for pool, _ in self._building):
                raise error(ErrorNumber.OPERATION_INVALID, f"pool '{name}' has asynchronous jobs running.")
            self.backend(state.definition.type).stop(state.definition)
            remove(self._live_file(name), durable=False)
            self._emit(state, StoragePoolEventType.STOPPED)

    def build(self, name: str, flags: BuildFlags) -> None:
        with self.changing():
            state = self._inactive(name)
            self.backend(state.definition.type).build(state.definition, flags)
            self._emit(state, StoragePoolEventType.CREATED)

    def delete(self, name: str) -> None:
        with self.changing():
            state = self._inactive(name)
            self.backend(state.definition.type).delete(state.definition)
            self._emit(state, StoragePoolEventType.DELETED)

    def refresh(self, name: str) -> None:
        with self.changing():
            state = self.active(name)
            backend = self.backend(state.definition.type)
            if not backend.is_running(state.definition):
                # what held the pool is gone (unmounted, deactivated): libvirt stops such a pool
                remove(self._live_file(name), durable=False)
                self._emit(state, StoragePoolEventType.STOPPED)
                raise error(ErrorNumber.OPERATION_INVALID, f"storage pool '{name}' is no longer usable: stopped")
            remove_partial = getattr(backend, "remove_partial", None)
            if remove_partial is not None and not any(pool == name for pool, _ in self._building):
                remove_partial(state.definition)
            self._emit(state, None)

    def _autostart(self) -> None:
        """Start the autostart pools, once per boot: the first service after the run folder was made
        (at boot it is new) starts them and leaves a mark there; later processes find the mark."""
        mark = self.dirs.autostarted_mark
        if mark.exists():
            return
        for state in self.states():
            if state.autostart and not state.active:
                with contextlib.suppress(Exception):  # a pool that cannot start stays inactive, as in libvirt
                    self._activate(copy.deepcopy(state.definition))
        atomic_write(mark, "", durable=False)

    def live_definition(self, name: str) -> StoragePool:
        """The pool's XML with its sizes (and its target's owner and mode) read now."""
        from virt.storage.volumexml import permissions_of

        state = self.by_name(name)
        definition = copy.deepcopy(state.definition)
        definition.capacity = definition.allocation = definition.available = 0
        if state.active:
            backend = self.backend(definition.type)
            sizes = backend.sizes(definition)
            definition.capacity, definition.allocation, definition.available = (
                sizes.capacity,
                sizes.allocation,
                sizes.available,
            )
            if backend.shows_target_permissions and definition.target is not None and definition.target.path:
                with contextlib.suppress(OSError):
                    definition.target.permissions = permissions_of(Path(definition.target.path).stat())
        return definition

    # -- volumes ----------------------------------------------------------------------------------
    def volume_names(self, pool: str) -> list[str]:
        state = self.active(pool)
        return sorted(self.backend(state.definition.type).volume_names(state.definition))

    def volume_keys(self, pool: str) -> list[tuple[str, str]]:
        """The names and keys of the pool's volumes, by name."""
        state = self.active(pool)
        return sorted(self.backend(state.definition.type).volume_keys(state.definition))

    def volume_path(self, pool: str, name: str) -> str:
        """Where volume ``name`` of ``pool`` is; NotFound when it is not there."""
        state = self.active(pool)
        backend = self.backend(state.definition.type)
        if not backend.has_volume(state.definition, name):
            raise error(ErrorNumber.NO_STORAGE_VOL, f"no storage vol with matching name '{name}'")
        return backend.volume_path(state.definition, name)

    def volume(self, pool: str, name: str) -> StorageVolume:
        state = self.active(pool)
        found = self.backend(state.definition.type).volume(state.definition, name)
        if found is None:
            raise error(ErrorNumber.NO_STORAGE_VOL, f"no storage vol with matching name '{name}'")
        return found

    def volume_type(self, pool: str) -> str:
        return self.backend(self.by_name(pool).definition.type).volume_type

    def volume_at(self, path: str) -> tuple[str, StorageVolume] | None:
        """The active pool and volume whose path is ``path``."""
        folder, _, name = os.path.normpath(path).rpartition("/")
        for state in self.states():
            target = state.definition.target
            if not state.active or target is None or target.path is None or os.path.normpath(target.path) != folder:
                continue
            found = self.backend(state.definition.type).volume(state.definition, name)
            if found is not None:
                return state.name, found
        return None

    def volume_with_key(self, key: str) -> tuple[str, StorageVolume] | None:
        found = self.volume_at(key)  # file and LVM volumes' keys name their paths
        if found is not None and found[1].key == key:
            return found
        for state in self.states():
            if not state.active:
                continue
            backend = self.backend(state.definition.type)
            for name in backend.volume_names(state.definition):
                volume = backend.volume(state.definition, name)
                if volume is not None and volume.key == key:
                    return state.name, volume
        return None

    def create_volume(self, pool: str, volume: StorageVolume, flags: int, source: StorageVolume | None = None) -> str:
        """Create ``volume`` (a copy of ``source`` when given) in ``pool``; its name."""
        with self.changing():
            state = self.active(pool)
            backend = self.backend(state.definition.type)
            new = new_volume(volume, flags, source)
            if backend.volume(state.definition, new.name) is not None:
                if source is not None:  # libvirt words the two calls' refusals differently
                    raise error(ErrorNumber.INTERNAL_ERROR, f"storage volume name '{new.name}' already in use.")
                raise error(ErrorNumber.STORAGE_VOL_EXIST, f"storage volume '{new.name}' exists already")
            image = None
            if source is not None:
                assert source.target is not None and source.target.path is not None
                image = SourceImage(
                    source.target.path,
                    source.target.format.type if source.target.format is not None else None,
                    source.capacity or 0,
                )
            self._building.add((pool, new.name))
        try:
            # the work runs without the lock: a long copy must not hold up the other pools
            backend.create_volume(state.definition, new, image)
        finally:
            with self._lock:
                self._building.discard((pool, new.name))
        return new.name

    def _changeable(self, pool: str, name: str) -> tuple[PoolState, PoolBackend, StorageVolume]:
        state = self.active(pool)
        if (pool, name) in self._building:
            raise error(ErrorNumber.OPERATION_INVALID, f"volume '{name}' is still being allocated.")
        if self._in_use.get((pool, name)):
            raise error(ErrorNumber.OPERATION_INVALID, f"volume '{name}' is still in use.")
        backend = self.backend(state.definition.type)
        volume = backend.volume(state.definition, name)
        if volume is None:
            raise error(ErrorNumber.NO_STORAGE_VOL, f"no storage vol with matching name '{name}'")
        return state, backend, volume

    def open_transfer(self, pool: str, name: str, *, write: bool, offset: int, length: int) -> VolumeTransfer:
        """The volume's file for an upload (``write``) or a download, held in use until closed."""
        from virt.storage.transfer import VolumeTransfer

        with self.changing():
            state, _, volume = self._changeable(pool, name)
            if volume.type == "dir":
                raise error(ErrorNumber.OPERATION_INVALID, f"volume '{name}' is a directory")
            path = volume.target.path if volume.target is not None else None
            assert path is not None
            key = (state.name, name)
            self._in_use[key] = self._in_use.get(key, 0) + 1

        def release() -> None:
            with self._lock:
                left = self._in_use.get(key, 1) - 1
                if left:
                    self._in_use[key] = left
                else:
                    self._in_use.pop(key, None)
            if write:
                # libvirt refreshes the pool once an upload's stream closes, and says so
                self._emit(state, None)

        return VolumeTransfer(path, write=write, offset=offset, length=length, release=release)

    def delete_volume(self, pool: str, name: str) -> None:
        with self.changing():
            state, backend, _ = self._changeable(pool, name)
            backend.delete_volume(state.definition, name)

    def wipe_volume(self, pool: str, name: str, algorithm: int) -> None:
        from virt.storage.scrub import check_algorithm

        check_algorithm(algorithm)
        with self.changing():
            state, backend, _ = self._changeable(pool, name)
            backend.wipe_volume(state.definition, name, algorithm)

    def resize_volume(self, pool: str, name: str, capacity: int, *, delta: bool, shrink: bool, allocate: bool) -> None:
        with self.changing():
            state, backend, volume = self._changeable(pool, name)
            current = volume.capacity or 0
            wanted = capacity
            if delta:
                wanted = current - capacity if shrink else current + capacity
            # libvirt's order: below the allocation, then below the capacity without the flag
            if wanted < (volume.allocation or 0):
                raise error(ErrorNumber.INVALID_ARG, "can't shrink capacity below existing allocation")
            if wanted < current and not shrink:
                raise error(
                    ErrorNumber.INVALID_ARG,
                    "Can't shrink capacity below current capacity unless shrink flag explicitly specified",
                )
            if allocate:
                available = backend.sizes(state.definition).available
                if wanted - (volume.allocation or 0) > available:
                    raise error(ErrorNumber.INVALID_ARG, "Not enough space left in storage pool")
            backend.resize_volume(state.definition, name, wanted, shrink=shrink, allocate=allocate)


# virStorageVolCreateFlags
PREALLOC_METADATA = 1


def new_volume(volume: StorageVolume, flags: int, source: StorageVolume | None) -> NewVolume:
    """What creating ``volume`` asks for (libvirt's rules for a missing name, format, backing store)."""
    name = volume.name
    if not name:
        raise error(ErrorNumber.XML_ERROR, "missing volume name element")
    if "/" in name:
        raise error(ErrorNumber.OPERATION_INVALID, f"volume name '{name}' cannot contain '/'")
    target = volume.target
    format = target.format.type if target is not None and target.format is not None else None
    capacity = volume.capacity or 0
    if source is not None:
        capacity = max(capacity, source.capacity or 0)  # a copy is never smaller than its origin
    permissions = target.permissions if target is not None else None
    backing = volume.backing_store
    lazy = target is not None and target.features is not None and target.features.find("lazy_refcounts") is not None
    return NewVolume(
        name=name,
        capacity=capacity,
        allocation=min(volume.allocation or 0, capacity) if volume.allocation is not None else capacity,
        format=format,
        compat=target.compat if target is not None else None,
        cluster_size=target.cluster_size if target is not None else None,
        lazy_refcounts=lazy,
        prealloc_metadata=bool(flags & PREALLOC_METADATA),
        backing_path=backing.path if backing is not None else None,
        backing_format=backing.format.type if backing is not None and backing.format is not None else None,
        mode=permissions.mode if permissions is not None else None,
        owner=permissions.owner if permissions is not None else None,
        group=permissions.group if permissions is not None else None,
    )


def _same_source(a: StoragePool, b: StoragePool) -> bool:
    """True when two pools would manage the same storage (libvirt's source conflict check, for the
    local types: the same target directory, source device or volume group)."""
    if a.type != b.type:
        return False
    if a.type == "dir":
        return bool(a.target and b.target and a.target.path and a.target.path == b.target.path)
    if a.source is None or b.source is None:
        return False
    if a.type == "logical":
        return a.source.name is not None and a.source.name == b.source.name
    devices_a = {d.path for d in a.source.devices if d.path}
    return bool(devices_a & {d.path for d in b.source.devices if d.path})


_services: dict[StorageDirs, StorageService] = {}
_services_lock = threading.Lock()


def service_for(mode: str) -> StorageService:
    """The process's storage service of ``mode`` (``system`` or ``session``), made on first use."""
    from virt.plugins import get_plugins

    dirs = StorageDirs.for_mode(mode)
    with _services_lock:
        found = _services.get(dirs)
        if found is None:
            found = _services[dirs] = StorageService(dirs, get_plugins().storage_backends)
        return found
