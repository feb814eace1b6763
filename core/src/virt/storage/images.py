"""What an image file holds: its format, virtual size and backing file, read from its header.

Reading a header is cheap (one small read) where ``qemu-img info`` costs a process: a refresh of
a pool of a thousand volumes reads a thousand headers. qcow2 (and the older qcow) are decoded here,
as libvirt's own format probe does; other formats with a known signature ask ``qemu-img info``;
anything else is raw. Nothing here writes an image.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import BinaryIO

import attrs

_QCOW_MAGIC = b"QFI\xfb"
_BACKING_FORMAT_EXTENSION = 0xE2792ACA
_LAZY_REFCOUNTS = 1  # qcow2 v3 compatible feature bit 0
_HEAD = 4096

# Signatures of the formats qemu-img knows that a header probe does not decode: (offset, bytes, name).
_SIGNATURES = (
    (0, b"QED\x00", "qed"),
    (0, b"KDMV", "vmdk"),
    (0, b"conectix", "vpc"),
    (0, b"vhdxfile", "vhdx"),
    (64, b"\x7f\x10\xda\xbe", "vdi"),
    (0, b"WithoutFreeSpace", "ploop"),
)
_ISO_OFFSET, _ISO_MAGIC = 0x8001, b"CD001"


@attrs.frozen
class ImageFacts:
    """What the header says."""

    format: str
    capacity: int
    backing_path: str | None = None
    backing_format: str | None = None
    compat: str | None = None
    cluster_size: int | None = None
    lazy_refcounts: bool = False


def probe(path: Path, size: int) -> ImageFacts:
    """The facts of the image at ``path`` whose file is ``size`` bytes long."""
    with open(path, "rb") as image:
        head = image.read(_HEAD)
        if head.startswith(_QCOW_MAGIC):
            return _qcow(image, head, path)
        for offset, magic, name in _SIGNATURES:
            if head[offset : offset + len(magic)] == magic:
                return _asked_of_qemu_img(path, name)
        if size > _ISO_OFFSET + len(_ISO_MAGIC):
            image.seek(_ISO_OFFSET)
            if image.read(len(_ISO_MAGIC)) == _ISO_MAGIC:
                return ImageFacts("iso", size)
    return ImageFacts("raw", size)


def _qcow(image: BinaryIO, head: bytes, path: Path) -> ImageFacts:
    if len(head) < 72:
        return ImageFacts("raw", len(head))  # too short to be a qcow image: what libvirt shows too
    version, backing_offset, backing_size, cluster_bits, capacity = struct.unpack_from(">IQIIQ", head, 4)
    if version == 1:
        return ImageFacts("qcow", capacity, _backing(image, backing_offset, backing_size, path))
    compat, lazy, extensions_at = "0.10", False, 72
    if version >= 3 and len(head) >= 104:
        (compatible,) = struct.unpack_from(">Q", head, 80)
        (extensions_at,) = struct.unpack_from(">I", head, 100)
        compat, lazy = "1.1", bool(compatible & _LAZY_REFCOUNTS)
    backing_format = None
    while extensions_at + 8 <= len(head):
        kind, length = struct.unpack_from(">II", head, extensions_at)
        if kind == 0:
            break
        if kind == _BACKING_FORMAT_EXTENSION:
            backing_format = head[extensions_at + 8 : extensions_at + 8 + length].decode(errors="replace")
        extensions_at += 8 + (length + 7) // 8 * 8
    backing = _backing(image, backing_offset, backing_size, path)
    return ImageFacts(
        "qcow2",
        capacity,
        backing,
        backing_format if backing else None,
        compat,
        1 << cluster_bits,
        lazy,
    )


def _backing(image: BinaryIO, offset: int, size: int, path: Path) -> str | None:
    if not offset or not size:
        return None
    image.seek(offset)
    name = image.read(min(size, 4096)).decode(errors="replace")
    # a relative backing file is relative to the image's folder, as QEMU resolves it
    return name if name.startswith("/") or ":" in name.split("/")[0] else os.path.normpath(path.parent / name)


def _asked_of_qemu_img(path: Path, format: str) -> ImageFacts:
    from virt.storage import qemuimg

    info = qemuimg.info(path, format)
    backing = info.get("full-backing-filename") or info.get("backing-filename")
    backing_format = info.get("backing-filename-format")
    return ImageFacts(
        format,
        int(info.get("virtual-size", 0)),
        str(backing) if backing else None,
        str(backing_format) if backing_format else None,
    )
