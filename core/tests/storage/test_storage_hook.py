"""``register_storage_backends``: third-party pool types plug in the way the built-in ones do."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
import virt
from virt.errors import VirtError
from virt.registry import StorageBackendRegistry
from virt.storage.backend import BuildFlags
from virt.storage.dirpool import DirBackend
from virt.storage.layout import StorageDirs
from virt.storage.service import StorageService
from virt.xml import StoragePool


class ScratchBackend(DirBackend):
    """A ``vstorage`` pool kept in a plain directory, standing in for a third party's backend."""

    pool_type: ClassVar[str] = "vstorage"
    built: ClassVar[list[str]] = []

    def build(self, pool: StoragePool, flags: BuildFlags) -> None:
        self.built.append(pool.name or "")
        super().build(pool, flags)


class ScratchPlugin:
    @virt.hookimpl
    def register_storage_backends(self, register: StorageBackendRegistry) -> None:
        register("vstorage", backend=ScratchBackend)


class ClashingPlugin:
    @virt.hookimpl
    def register_storage_backends(self, register: StorageBackendRegistry) -> None:
        register("dir", backend=DirBackend)


def test_builtin_backends_come_through_the_hook() -> None:
    types = {spec.pool_type: spec.plugin for spec in virt.plugins.get_plugins().storage_backends}
    assert types == {"dir": "virt.storage.plugin", "fs": "virt.storage.plugin", "logical": "virt.storage.plugin"}


def test_a_plugin_backend_serves_its_pool_type(register_plugin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plugins = register_plugin(ScratchPlugin())
    service = StorageService(StorageDirs(tmp_path / "s", tmp_path / "r", tmp_path / "i"), plugins.storage_backends)
    pool = StoragePool.from_xml(
        f"<pool type='vstorage'><name>v</name><source><name>cluster</name></source>"
        f"<target><path>{tmp_path / 'v'}</path></target></pool>"
    )
    service.define(pool)
    service.build("v", BuildFlags())
    service.start("v")
    assert ScratchBackend.built == ["v"]
    assert service.by_name("v").active and service.volume_names("v") == []


def test_a_type_registered_twice_breaks_the_second_plugin(register_plugin) -> None:  # type: ignore[no-untyped-def]
    plugins = register_plugin(ClashingPlugin())
    assert plugins.storage_backends.get("dir").plugin == "virt.storage.plugin"
    broken = [info for info in plugins.broken.values() if "registered twice" in (info.error or "")]
    assert broken and "storage pool type 'dir' is registered twice" in (broken[0].error or "")


def test_a_backend_that_cannot_be_imported_says_so(tmp_path: Path) -> None:
    registry = StorageBackendRegistry()
    registry("zfs", backend="virt_no_such_module:Backend")
    service = StorageService(StorageDirs(tmp_path / "s", tmp_path / "r", tmp_path / "i"), registry)
    pool = StoragePool.from_xml("<pool type='zfs'><name>z</name><source><name>tank</name></source></pool>")
    with pytest.raises(VirtError, match="storage backend 'zfs' of plugin '' cannot be loaded: ModuleNotFoundError"):
        service.define(pool)
