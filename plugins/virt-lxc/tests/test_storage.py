"""``lxc:///`` reaches the host's storage pools: the same service, the same files, as ``qemu:///system``
(virt.storage), so a pool defined through one connection is there for every other driver's."""

from __future__ import annotations

from pathlib import Path

import pytest
import virt
from virt.plugins import get_plugins
from virt.storage.layout import StorageDirs
from virt.storage.service import StorageService


def test_lxc_connection_serves_the_host_pools(
    conn: virt.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIRT_STORAGE_ROOT", str(tmp_path / "storage"))
    pool = conn.define_storage_pool(
        f"<pool type='dir'><name>shared</name><target><path>{tmp_path / 'images'}</path></target></pool>"
    )
    pool.build()
    pool.start()
    volume = pool.create_volume("<volume><name>disk.img</name><capacity unit='M'>1</capacity></volume>")
    assert volume.path() == str(tmp_path / "images" / "disk.img")
    # another process (qemu:///system in virtd, say) reads the same files and sees the same pool
    other = StorageService(StorageDirs.for_mode("system"), get_plugins().storage_backends)
    assert other.by_name("shared").active and other.volume_names("shared") == ["disk.img"]
    volume.delete()
    pool.destroy()
    pool.delete()
    pool.undefine()
    assert conn.list_storage_pools() == []
