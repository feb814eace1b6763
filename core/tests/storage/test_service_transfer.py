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
