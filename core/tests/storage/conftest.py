"""A storage service over private folders, and volume XML helpers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from storage_helpers import dir_pool
from virt.plugins import get_plugins
from virt.storage.layout import StorageDirs
from virt.storage.service import StorageService
from virt.testing import missing_dependency


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


@pytest.fixture
def running_pool(service: StorageService, tmp_path: Path) -> Iterator[str]:
    """An active dir pool called ``p`` over ``tmp_path/pool``."""
    from virt.storage.backend import BuildFlags

    service.define(dir_pool("p", tmp_path / "pool"))
    service.build("p", BuildFlags())
    service.start("p")
    yield "p"
