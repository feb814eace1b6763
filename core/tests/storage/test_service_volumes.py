"""Volumes of a real dir pool: qemu-img makes the images, the header says what they are."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from storage_helpers import volume_xml
from virt.errors import NotFound, VirtError
from virt.storage.service import PREALLOC_METADATA, StorageService

pytestmark = pytest.mark.usefixtures("qemu_img")

GiB = 1024**3


def image_info(path: Path) -> dict:  # type: ignore[type-arg]
    done = subprocess.run(["qemu-img", "info", "--output=json", "-U", str(path)], capture_output=True, check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_raw_volume_has_its_capacity_and_allocation(service: StorageService, running_pool: str, tmp_path: Path) -> None:
    service.create_volume("p", volume_xml("b.img", str(10 * 2**20), allocation=str(2 * 2**20)), 0)
    volume = service.volume("p", "b.img")
    path = tmp_path / "pool" / "b.img"
    assert (volume.capacity, volume.allocation, volume.physical) == (10 * 2**20, 2 * 2**20, 10 * 2**20)
    assert volume.key == str(path) and volume.target is not None and volume.target.path == str(path)
    assert volume.target.format is not None and volume.target.format.type == "raw"
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_qcow2_options_reach_the_image(service: StorageService, running_pool: str, tmp_path: Path) -> None:
    extra = "<compat>1.1</compat><clusterSize unit='KiB'>128</clusterSize><features><lazy_refcounts/></features>"
    service.create_volume("p", volume_xml("a.qcow2", str(GiB), "qcow2", extra, allocation="0"), PREALLOC_METADATA)
    info = image_info(tmp_path / "pool" / "a.qcow2")
    assert info["format"] == "qcow2" and info["virtual-size"] == GiB and info["cluster-size"] == 128 * 1024
    assert info["format-specific"]["data"]["compat"] == "1.1"
    assert info["format-specific"]["data"]["lazy-refcounts"] is True
    assert info["actual-size"] > 128 * 1024  # metadata preallocated
    volume = service.volume("p", "a.qcow2")
    assert volume.capacity == GiB and volume.target is not None and volume.target.format is not None
    assert volume.target.format.type == "qcow2"


def test_old_compat_and_backing_store(service: StorageService, running_pool: str, tmp_path: Path) -> None:
    service.create_volume("p", volume_xml("base.qcow2", str(GiB), "qcow2", "<compat>0.10</compat>"), 0)
    base = tmp_path / "pool" / "base.qcow2"
    assert image_info(base)["format-specific"]["data"]["compat"] == "0.10"
    top = volume_xml("top.qcow2", str(GiB), "qcow2")
    from virt.xml.storage import BackingStore, Format

    top.backing_store = BackingStore()
    top.backing_store.path = str(base)
    top.backing_store.format = Format.of("qcow2")
    service.create_volume("p", top, 0)
    found = service.volume("p", "top.qcow2")
    assert found.backing_store is not None and found.backing_store.path == str(base)
    assert found.backing_store.format is not None and found.backing_store.format.type == "qcow2"
    assert image_info(tmp_path / "pool" / "top.qcow2")["backing-filename"] == str(base)


def test_clone_converts_and_keeps_the_data(service: StorageService, running_pool: str, tmp_path: Path) -> None:
    service.create_volume("p", volume_xml("src.img", str(4 * 2**20)), 0)
    src = tmp_path / "pool" / "src.img"
    with open(src, "r+b") as f:
        f.seek(2**20)
        f.write(b"hello storage")
    origin = service.volume("p", "src.img")
    service.create_volume("p", volume_xml("copy.qcow2", "0", "qcow2"), 0, origin)
    copy = tmp_path / "pool" / "copy.qcow2"
    assert image_info(copy)["format"] == "qcow2" and image_info(copy)["virtual-size"] == 4 * 2**20
    back = tmp_path / "back.raw"
    subprocess.run(["qemu-img", "convert", "-O", "raw", str(copy), str(back)], check=True)
    assert back.read_bytes() == src.read_bytes()


def test_resize_grows_and_shrinks_only_when_asked(service: StorageService, running_pool: str) -> None:
    service.create_volume("p", volume_xml("r.img", str(10 * 2**20), allocation="0"), 0)
    with pytest.raises(VirtError, match="Can't shrink capacity below current capacity unless shrink flag"):
        service.resize_volume("p", "r.img", 5 * 2**20, delta=False, shrink=False, allocate=False)
    service.resize_volume("p", "r.img", 20 * 2**20, delta=False, shrink=False, allocate=False)
    assert service.volume("p", "r.img").capacity == 20 * 2**20
    service.resize_volume("p", "r.img", 2**20, delta=True, shrink=False, allocate=True)
    assert service.volume("p", "r.img").capacity == 21 * 2**20
    service.resize_volume("p", "r.img", 5 * 2**20, delta=False, shrink=True, allocate=False)
    assert service.volume("p", "r.img").capacity == 5 * 2**20
    service.create_volume("p", volume_xml("full.img", str(4 * 2**20)), 0)  # fully allocated
    with pytest.raises(VirtError, match="can't shrink capacity below existing allocation"):
        service.resize_volume("p", "full.img", 2**20, delta=False, shrink=True, allocate=False)
    service.create_volume("p", volume_xml("q.qcow2", str(GiB), "qcow2"), 0)
    service.resize_volume("p", "q.qcow2", 2 * GiB, delta=False, shrink=False, allocate=False)
    assert service.volume("p", "q.qcow2").capacity == 2 * GiB


def test_wipe_zeroes_every_byte(service: StorageService, running_pool: str, tmp_path: Path) -> None:
    service.create_volume("p", volume_xml("w.img", str(3 * 2**20 + 5)), 0)
    path = tmp_path / "pool" / "w.img"
    path.write_bytes(os.urandom(3 * 2**20 + 5))
    service.wipe_volume("p", "w.img", 0)
    assert path.read_bytes() == bytes(3 * 2**20 + 5)
    with pytest.raises(VirtError, match=r"^invalid argument: wiping algorithm 10 not supported$"):
        service.wipe_volume("p", "nosuch.img", 10)  # the number is refused before the volume is looked up
    with pytest.raises(VirtError, match=r"^argument unsupported: 'trim' algorithm not supported$"):
        service.wipe_volume("p", "w.img", 9)
    # a sparse file is zeroed by giving its blocks back, as libvirt does
    service.create_volume("p", volume_xml("s.img", str(8 * 2**20), allocation="0"), 0)
    sparse = tmp_path / "pool" / "s.img"
    with open(sparse, "r+b") as f:
        f.seek(2**20)
        f.write(b"secret")
    service.wipe_volume("p", "s.img", 0)
    assert sparse.read_bytes() == bytes(8 * 2**20) and sparse.stat().st_blocks == 0


def test_lookups_errors_and_outside_volumes(service: StorageService, running_pool: str, tmp_path: Path) -> None:
    service.create_volume("p", volume_xml("a.img", "1024"), 0)
    with pytest.raises(VirtError, match=r"storage volume 'a\.img' exists already"):
        service.create_volume("p", volume_xml("a.img", "1024"), 0)
    with pytest.raises(VirtError, match="volume name 'x/y' cannot contain '/'"):
        service.create_volume("p", volume_xml("x/y", "1024"), 0)
    with pytest.raises(NotFound, match="no storage vol with matching name 'none'"):
        service.volume("p", "none")
    path = str(tmp_path / "pool" / "a.img")
    assert service.volume_at(path) is not None and service.volume_at(path)[0] == "p"  # type: ignore[index]
    assert service.volume_with_key(path) is not None
    assert service.volume_at("/nowhere/a.img") is None
    # a file made outside virt is a volume at once; a directory is one of type 'dir', as in libvirt
    outside = str(tmp_path / "pool" / "outside.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", outside, "1M"], check=True)
    (tmp_path / "pool" / "sub").mkdir()
    service.refresh("p")
    assert service.volume_names("p") == ["a.img", "outside.qcow2", "sub"]
    assert service.volume("p", "outside.qcow2").capacity == 2**20
    assert service.volume("p", "sub").type == "dir"
    service.delete_volume("p", "sub")
    service.delete_volume("p", "a.img")
    assert not Path(path).exists()


def test_a_create_cut_short_leaves_no_volume(service: StorageService, running_pool: str, tmp_path: Path) -> None:
    """What a SIGKILL in the middle of a create leaves (the hidden partial file) is no volume, and
    the next refresh removes it."""
    partial = tmp_path / "pool" / ".half.qcow2.virt-partial"
    partial.write_bytes(b"QFI\xfb" + bytes(100))
    assert service.volume_names("p") == []
    with pytest.raises(NotFound):
        service.volume("p", ".half.qcow2.virt-partial")
    service.refresh("p")
    assert not partial.exists()


def test_a_failed_create_leaves_nothing(service: StorageService, running_pool: str, tmp_path: Path) -> None:
    bad = volume_xml("bad.qcow2", str(GiB), "qcow2", "<clusterSize unit='B'>1000</clusterSize>")
    with pytest.raises(VirtError, match=r"qemu-img .* failed"):
        service.create_volume("p", bad, 0)
    assert sorted(os.listdir(tmp_path / "pool")) == []


@pytest.mark.parametrize(("algorithm", "pattern"), list(enumerate(
    ("nnsa", "dod", "bsi", "gutmann", "schneier", "pfitzner7", "pfitzner33", "random"), start=1)))  # fmt: skip
def test_wipe_patterns_go_through_scrub(
    service: StorageService, running_pool: str, tmp_path: Path, algorithm: int, pattern: str
) -> None:
    """libvirt runs ``scrub -f -p PATTERN`` over the volume; so does virt (scrub signs what it wiped)."""
    import shutil

    from virt.testing import missing_dependency

    if shutil.which("scrub") is None:
        missing_dependency("scrub is not installed (apt-get install scrub)")
    service.create_volume("p", volume_xml("w.img", str(2**20)), 0)
    path = tmp_path / "pool" / "w.img"
    path.write_bytes(b"secret" * (2**20 // 6) + b"....")
    service.wipe_volume("p", "w.img", algorithm)
    wiped = path.read_bytes()
    assert len(wiped) == 2**20 and b"secret" not in wiped
    assert wiped.startswith(b"\x01\x02\x03SCRUBBED!"), pattern


def test_wipe_without_scrub(service: StorageService, running_pool: str, monkeypatch: pytest.MonkeyPatch) -> None:
    service.create_volume("p", volume_xml("w.img", "4096"), 0)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(VirtError, match=r"^Cannot find 'scrub' in path: No such file or directory$"):
        service.wipe_volume("p", "w.img", 1)
