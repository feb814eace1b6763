"""Pools of the storage service on this host: definitions, state, autostart, restart, libvirt's errors."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from storage_helpers import dir_pool
from virt.errors import NotFound, NotSupported, OperationInvalid, VirtError
from virt.plugins import get_plugins
from virt.storage.backend import BuildFlags
from virt.storage.layout import StorageDirs
from virt.storage.service import StorageService
from virt.xml import StoragePool


def test_a_dir_pool_lives_its_whole_life(service: StorageService, tmp_path: Path) -> None:
    target = tmp_path / "pool"
    state = service.define(dir_pool("p", target))
    assert (state.persistent, state.active, state.autostart) == (True, False, False)
    assert service.dirs.definitions_dir.joinpath("p.xml").exists()
    service.build("p", BuildFlags())
    assert stat.S_IMODE(target.stat().st_mode) == 0o711  # libvirt's mode for a built pool directory
    service.start("p")
    assert service.by_name("p").active
    live = service.live_definition("p")
    fs = os.statvfs(target)
    assert live.capacity == fs.f_blocks * fs.f_frsize and live.available == fs.f_bfree * fs.f_frsize
    assert live.target is not None and live.target.permissions is not None and live.target.permissions.mode == 0o711
    service.set_autostart("p", True)
    assert service.by_name("p").autostart
    with pytest.raises(OperationInvalid, match="storage pool 'p' is already active"):
        service.start("p")
    with pytest.raises(OperationInvalid, match="storage pool 'p' is still active"):
        service.undefine("p")
    service.destroy("p")
    with pytest.raises(OperationInvalid, match="storage pool 'p' is not active"):
        service.volume_names("p")
    service.delete("p")
    assert not target.exists()
    service.undefine("p")
    assert service.states() == []
    with pytest.raises(NotFound, match="no storage pool with matching name 'p'"):
        service.by_name("p")


def test_delete_refuses_a_pool_with_files_in_it(service: StorageService, tmp_path: Path) -> None:
    service.define(dir_pool("p", tmp_path / "pool"))
    service.build("p", BuildFlags())
    (tmp_path / "pool" / "keep").write_text("data")
    with pytest.raises(VirtError, match=r"failed to remove pool '.*/pool': Directory not empty"):
        service.delete("p")
    assert (tmp_path / "pool" / "keep").read_text() == "data"


def test_a_transient_pool_is_gone_once_destroyed(service: StorageService, tmp_path: Path) -> None:
    (tmp_path / "pool").mkdir()
    state = service.create(dir_pool("t", tmp_path / "pool"))
    assert (state.active, state.persistent) == (True, False)
    with pytest.raises(VirtError, match="pool has no config file"):
        service.set_autostart("t", True)
    service.destroy("t")
    assert service.states() == []


def test_start_of_a_pool_without_its_directory_fails_and_stays_inactive(
    service: StorageService, tmp_path: Path
) -> None:
    service.define(dir_pool("p", tmp_path / "missing"))
    with pytest.raises(VirtError, match=r"cannot open directory '.*/missing': No such file or directory"):
        service.start("p")
    assert not service.by_name("p").active


def test_names_uuids_and_sources_clash_as_in_libvirt(service: StorageService, tmp_path: Path) -> None:
    first = service.define(dir_pool("a", tmp_path / "a"))
    again = dir_pool("a", tmp_path / "a")
    again.uuid = None
    assert service.define(again).uuid == first.uuid  # a redefinition keeps the UUID
    other = dir_pool("a", tmp_path / "x")
    import uuid

    other.uuid = uuid.uuid4()
    with pytest.raises(VirtError, match=f"pool 'a' already exists with uuid {first.uuid}"):
        service.define(other)
    same_uuid = dir_pool("b", tmp_path / "b")
    same_uuid.uuid = first.uuid
    with pytest.raises(VirtError, match=f"pool 'a' is already defined with uuid {first.uuid}"):
        service.define(same_uuid)
    with pytest.raises(VirtError, match="Storage source conflict with pool: 'a'"):
        service.define(dir_pool("c", tmp_path / "a"))
    with pytest.raises(VirtError, match="missing storage pool target path"):
        service.define(StoragePool.from_xml("<pool type='dir'><name>d</name></pool>"))


@pytest.mark.parametrize("kind", ["iscsi", "rbd", "zfs", "disk", "scsi", "mpath", "gluster", "netfs"])
def test_pool_types_without_a_backend_are_refused_naming_the_type(
    service: StorageService, tmp_path: Path, kind: str
) -> None:
    pool = StoragePool.from_xml(
        f"<pool type='{kind}'><name>x</name><source><name>x</name><host name='h'/><dir path='/e'/>"
        f"<device path='/dev/x'/></source><target><path>{tmp_path}</path></target></pool>"
    )
    with pytest.raises(NotSupported, match=f"storage pool type '{kind}' is not supported"):
        service.define(pool)
    assert service.states() == []


def test_a_new_service_finds_the_pools_as_they_were(dirs: StorageDirs, service: StorageService, tmp_path: Path) -> None:
    """A restarted process (virtd) reads the same files: active pools stay active, a destroyed
    autostart pool stays destroyed; autostart pools start when the run folder is new (a boot)."""
    for name in ("up", "auto", "down"):
        service.define(dir_pool(name, tmp_path / name))
        service.build(name, BuildFlags())
    service.start("up")
    service.set_autostart("auto", True)
    again = StorageService(dirs, get_plugins().storage_backends)
    assert {s.name: s.active for s in again.states()} == {"auto": False, "down": False, "up": True}
    shutil.rmtree(dirs.run)  # what a reboot does to the run folder
    rebooted = StorageService(dirs, get_plugins().storage_backends)
    assert {s.name: s.active for s in rebooted.states()} == {"auto": True, "down": False, "up": False}
    rebooted.destroy("auto")
    assert not StorageService(dirs, get_plugins().storage_backends).by_name("auto").active


def test_definitions_are_written_whole(service: StorageService, tmp_path: Path) -> None:
    service.define(dir_pool("p", tmp_path / "p"))
    leftovers = [p.name for p in service.dirs.definitions_dir.iterdir() if p.name != "p.xml"]
    assert leftovers == []
    assert StoragePool.from_xml(service.dirs.definitions_dir.joinpath("p.xml").read_text()).name == "p"
