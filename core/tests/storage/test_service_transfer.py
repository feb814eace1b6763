"""Uploads and downloads of a volume's bytes, and the volume held in use meanwhile."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from storage_helpers import volume_xml
from virt.errors import OperationInvalid, VirtError
from virt.storage.service import StorageService


def test_download_and_upload_with_offset_and_length(service: StorageService, running_pool: str, tmp_path: Path) -> None:
    service.create_volume("p", volume_xml("t.img", str(2**20), allocation="0"), 0)
    data = os.urandom(5000)
    with service.open_transfer("p", "t.img", write=True, offset=100, length=0) as upload:
        upload.put(data)
        upload.complete()
    with service.open_transfer("p", "t.img", write=False, offset=50, length=200) as download:
        got = download.take(150) + download.take(150) + download.take(150)
    assert got == bytes(50) + data[:150]
    with (
        service.open_transfer("p", "t.img", write=True, offset=0, length=10) as upload,
        pytest.raises(VirtError, match="No space left on device"),
    ):
        upload.put(b"x" * 20)
    assert (tmp_path / "pool" / "t.img").read_bytes()[:12] == b"x" * 10 + bytes(2)


def test_a_volume_in_transfer_cannot_change(service: StorageService, running_pool: str) -> None:
    service.create_volume("p", volume_xml("busy.img", "4096"), 0)
    transfer = service.open_transfer("p", "busy.img", write=False, offset=0, length=0)
    for change in (
        lambda: service.delete_volume("p", "busy.img"),
        lambda: service.wipe_volume("p", "busy.img", 0),
        lambda: service.resize_volume("p", "busy.img", 8192, delta=False, shrink=False, allocate=False),
    ):
        with pytest.raises(OperationInvalid, match=r"volume 'busy\.img' is still in use"):
            change()
    transfer.close()
    service.delete_volume("p", "busy.img")


def _holey(path: Path) -> None:
    """1 MiB of data, a 1 MiB hole, 512 KiB of data and a 512 KiB hole at the end."""
    with path.open("wb") as file:
        file.write(b"\x11" * 2**20)
        file.seek(2 * 2**20)
        file.write(b"\x22" * 2**19)
        file.truncate(3 * 2**20)


def test_sparse_download_finds_the_holes(service: StorageService, running_pool: str, tmp_path: Path) -> None:
    service.create_volume("p", volume_xml("h.img", "4096", allocation="0"), 0)
    _holey(tmp_path / "pool" / "h.img")
    pieces = []
    with service.open_transfer("p", "h.img", write=False, offset=0, length=0) as download:
        while True:
            in_data, length = download.in_data()
            if not length:
                break
            if in_data:
                pieces.append(("data", len(download.take(length))))
            else:
                download.skip(length)
                pieces.append(("hole", length))
    assert pieces == [("data", 2**20), ("hole", 2**20), ("data", 2**19), ("hole", 2**19)]
    with service.open_transfer("p", "h.img", write=False, offset=2**20 - 10, length=100) as download:
        assert download.in_data() == (True, 10)  # to the hole, not past the download's length
        download.take(10)
        assert download.in_data() == (False, 90)


def test_sparse_upload_skips_and_ends_the_file(service: StorageService, running_pool: str, tmp_path: Path) -> None:
    """libvirt's file stream: a hole moves the offset past what the volume held and the file ends there."""
    service.create_volume("p", volume_xml("u.img", str(4 * 2**20), allocation="0"), 0)
    volume = tmp_path / "pool" / "u.img"
    volume.write_bytes(b"\xaa" * 4 * 2**20)
    with service.open_transfer("p", "u.img", write=True, offset=0, length=0) as upload:
        upload.put(b"\x11" * 100)
        upload.put_hole(100)
        upload.put(b"\x22" * 100)
        upload.put_hole(1000)
        upload.complete()
    assert volume.read_bytes() == b"\x11" * 100 + b"\xaa" * 100 + b"\x22" * 100 + bytes(1000)
    with (
        service.open_transfer("p", "u.img", write=True, offset=0, length=150) as upload,
        pytest.raises(VirtError, match="No space left on device"),
    ):
        upload.put_hole(100)
        upload.put_hole(100)  # the first takes what is left of the length: no room for another
        upload.put_hole(1)
    assert volume.stat().st_size == 150
