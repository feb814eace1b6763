"""The built-in storage backends, registered through the same hook a third-party backend uses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.hookspecs import hookimpl

if TYPE_CHECKING:
    from virt.registry import StorageBackendRegistry


@hookimpl
def register_storage_backends(register: StorageBackendRegistry) -> None:
    register("dir", backend="virt.storage.dirpool:DirBackend")
    register("fs", backend="virt.storage.fspool:FsBackend")
    register("logical", backend="virt.storage.logicalpool:LogicalBackend")
