"""A storage service over private folders, and volume XML helpers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from virt.plugins import get_plugins
from virt.storage.layout import StorageDirs
from virt.storage.service import StorageService
from virt.testing import missing_dependency
from virt.xml import StoragePool, StorageVolume


@pytest.fixture
def dirs(tmp_path: Path) -> StorageDirs:
    return StorageDirs(tmp_path / "state", tmp_path / "run", tmp_path / "images")


@pytest.fixture
def service(dirs: StorageDirs) -> StorageService:
    return StorageService(dirs, get_plugins().storage_backends)


@pytest.fixture
def qemu_img() -> None:
    if shutil.which("qemu-img") is None:
        missing_dependency("qemu-img is not installed (apt-get install qemu-utils)")


def dir_pool(name: str, target: Path) -> StoragePool:
    return StoragePool.from_xml(f"<pool type='dir'><name>{name}</name><target><path>{target}</path></target></pool>")


def volume_xml(
    name: str, capacity: str, format: str = "raw", extra: str = "", allocation: str | None = None
) -> StorageVolume:
    alloc = f"<allocation unit='bytes'>{allocation}</allocation>" if allocation is not None else ""
    return StorageVolume.from_xml(
        f"<volume><name>{name}</name><capacity unit='bytes'>{capacity}</capacity>{alloc}"
        f"<target><format type='{format}'/>{extra}</target></volume>"
    )


@pytest.fixture
def running_pool(service: StorageService, tmp_path: Path) -> Iterator[str]:
    """An active dir pool called ``p`` over ``tmp_path/pool``."""
    from virt.storage.backend import BuildFlags

    service.define(dir_pool("p", tmp_path / "pool"))
    service.build("p", BuildFlags())
    service.start("p")
    yield "p"
