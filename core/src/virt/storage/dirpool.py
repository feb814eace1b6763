"""The ``dir`` backend: a pool is a directory of image files."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from virt.errors import ErrorNumber
from virt.storage.backend import BuildFlags
from virt.storage.filepool import FilePoolBackend, os_error, storage_error, target_dir

if TYPE_CHECKING:
    from virt.xml import StoragePool

DEFAULT_POOL_MODE = 0o711  # libvirt's mode for a directory it builds without <permissions><mode>


def make_target(pool: StoragePool) -> None:
    """The target directory, made with the pool's permissions (mkdir -p)."""
    folder = target_dir(pool)
    permissions = pool.target.permissions if pool.target is not None else None
    mode = permissions.mode if permissions is not None and permissions.mode is not None else DEFAULT_POOL_MODE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(mode)
        if permissions is not None and (permissions.owner is not None or permissions.group is not None):
            owner = -1 if permissions.owner is None else permissions.owner
            os.chown(folder, owner, -1 if permissions.group is None else permissions.group)
    except OSError as exc:
        raise os_error(f"cannot create path '{folder}'", exc) from exc


def remove_target(pool: StoragePool) -> None:
    folder = target_dir(pool)
    try:
        folder.rmdir()
    except OSError as exc:
        raise storage_error(ErrorNumber.SYSTEM_ERROR, f"failed to remove pool '{folder}': {exc.strerror}") from exc


class DirBackend(FilePoolBackend):
    pool_type = "dir"

    def build(self, pool: StoragePool, flags: BuildFlags) -> None:
        make_target(pool)
        if flags.overwrite or flags.no_overwrite:
            # libvirt's dir pools build as its fs pools do: a flag means formatting, which needs a device
            raise storage_error(
                ErrorNumber.OPERATION_INVALID, f"No source device specified when formatting pool '{pool.name}'"
            )

    def delete(self, pool: StoragePool) -> None:
        remove_target(pool)
