"""What a storage pool backend does: the work on the host for pools of one type.

The service (``virt.storage.service``) keeps definitions, state and locks and checks libvirt's
rules; a backend only touches the host. One backend object serves every pool of its type. A
backend overrides what its pool type can do; the rest answers libvirt's *this storage pool type
does not support ...* error naming the operation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import attrs

from virt.errors import ErrorDomain, ErrorNumber, VirtError, libvirt_error

if TYPE_CHECKING:
    from virt.xml import StoragePool, StorageVolume


@attrs.frozen
class PoolSizes:
    """A pool's sizes in bytes, as virStoragePoolInfo reports them."""

    capacity: int
    allocation: int
    available: int


@attrs.frozen
class BuildFlags:
    """virStoragePoolBuildFlags."""

    overwrite: bool = False
    no_overwrite: bool = False


@attrs.frozen
class NewVolume:
    """What a volume create asks for, read from the volume XML and the call's flags."""

    name: str
    capacity: int
    allocation: int
    format: str | None
    compat: str | None = None
    cluster_size: int | None = None
    lazy_refcounts: bool = False
    prealloc_metadata: bool = False
    backing_path: str | None = None
    backing_format: str | None = None
    mode: int | None = None
    owner: int | None = None
    group: int | None = None


@attrs.frozen
class SourceImage:
    """The volume a create-from copies."""

    path: str
    format: str | None
    capacity: int


def unsupported(pool_type: str, what: str) -> Exception:
    return libvirt_error(
        ErrorNumber.NO_SUPPORT, f"storage pool type '{pool_type}' does not support {what}", ErrorDomain.STORAGE
    )


class PoolBackend:
    """The work on the host for pools of ``pool_type``."""

    pool_type: ClassVar[str] = ""
    volume_type: ClassVar[str] = "file"
    """virStorageVolType's name for the volumes of such pools."""
    shows_target_permissions: ClassVar[bool] = True
    """Whether the running pool's XML tells its target directory's owner and mode (as libvirt's
    file-system refresh does; a volume group's /dev folder is not shown so)."""

    def check(self, pool: StoragePool) -> None:
        """Refuse a definition this backend cannot serve (a missing source device...)."""

    def build(self, pool: StoragePool, flags: BuildFlags) -> None:
        """Make what the pool needs on the host (a directory, a file system, a volume group)."""
        raise unsupported(self.pool_type, "pool build")

    def start(self, pool: StoragePool) -> None:
        """Make the pool usable (mount, activate); the target must exist afterwards."""

    def stop(self, pool: StoragePool) -> None:
        """Undo ``start`` (unmount, deactivate); the volumes stay."""

    def is_running(self, pool: StoragePool) -> bool:
        """True while what ``start`` did still holds (a restarted service checks its active pools)."""
        return True

    def delete(self, pool: StoragePool) -> None:
        """Remove what ``build`` made."""
        raise unsupported(self.pool_type, "pool delete")

    def sizes(self, pool: StoragePool) -> PoolSizes:
        raise unsupported(self.pool_type, "pool sizes")

    def volume_names(self, pool: StoragePool) -> list[str]:
        """The names of the pool's volumes, found on the host now."""
        raise unsupported(self.pool_type, "volume listing")

    def volume_keys(self, pool: StoragePool) -> list[tuple[str, str]]:
        """Every volume's name and key, for a listing (a backend may answer without reading each volume)."""
        found = (self.volume(pool, name) for name in self.volume_names(pool))
        return [(v.name or "", v.key or "") for v in found if v is not None]

    def has_volume(self, pool: StoragePool, name: str) -> bool:
        """True when volume ``name`` exists (a backend may answer without reading it whole)."""
        return self.volume(pool, name) is not None

    def volume_path(self, pool: StoragePool, name: str) -> str:
        """Where volume ``name`` lives (or would live)."""
        raise unsupported(self.pool_type, "volume paths")

    def volume(self, pool: StoragePool, name: str) -> StorageVolume | None:
        """Volume ``name`` as its XML describes it, read from the host; None when there is none."""
        raise unsupported(self.pool_type, "volume lookup")

    def create_volume(self, pool: StoragePool, new: NewVolume, source: SourceImage | None) -> None:
        """Make volume ``new`` (a copy of ``source`` when given), all or nothing."""
        raise unsupported(self.pool_type, "volume creation")

    def delete_volume(self, pool: StoragePool, name: str) -> None:
        raise unsupported(self.pool_type, "volume deletion")

    def wipe_volume(self, pool: StoragePool, name: str, algorithm: int) -> None:
        raise unsupported(self.pool_type, "volume wiping")

    def resize_volume(self, pool: StoragePool, name: str, capacity: int, *, shrink: bool, allocate: bool) -> None:
        raise unsupported(self.pool_type, "volume resizing")

    def find_sources(self, spec: str | None) -> str:
        """virConnectFindStoragePoolSources' <sources> of such pools found on the host."""
        raise VirtError(  # not NotSupported, which would tell the driver lacks the call
            f"this function is not supported by the connection driver: "
            f"pool type '{self.pool_type}' does not support source discovery",
            ErrorNumber.NO_SUPPORT,
            ErrorDomain.STORAGE,
        )
