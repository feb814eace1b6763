"""Pool and volume XML for the storage tests."""

from __future__ import annotations

from pathlib import Path

from virt.xml import StoragePool, StorageVolume


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
