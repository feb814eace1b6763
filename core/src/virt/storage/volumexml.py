"""A volume's XML built from what the host says of its file: sizes, format, owner, times."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    from virt.storage.images import ImageFacts
    from virt.xml.storage import Permissions


def permissions_of(info: os.stat_result) -> Permissions:
    from virt.xml.storage import Permissions

    made = Permissions()
    made.mode = stat.S_IMODE(info.st_mode)
    made.owner = info.st_uid
    made.group = info.st_gid
    return made


def timestamps_of(info: os.stat_result) -> etree._Element:
    """libvirt's <timestamps>: seconds with nanoseconds; no birth time (btime 0) as libvirt 9.0 reads none."""
    element = etree.Element("timestamps")
    for tag, nanoseconds in (("atime", info.st_atime_ns), ("mtime", info.st_mtime_ns), ("ctime", info.st_ctime_ns)):
        etree.SubElement(element, tag).text = f"{nanoseconds // 10**9}.{nanoseconds % 10**9:09d}"
    etree.SubElement(element, "btime").text = "0"
    return element


def file_volume(
    name: str, path: str, info: os.stat_result, facts: ImageFacts | None, *, volume_type: str = "file"
) -> object:
    """The <volume> of the file (or block device) at ``path``; ``facts``: its header, None for a
    volume without a format (an LVM volume)."""
    from virt.xml.storage import BackingStore, Format, StorageVolume, VolumeTarget

    volume = StorageVolume()
    volume.type = volume_type
    volume.name = name
    volume.key = path
    physical = info.st_size
    volume.capacity = facts.capacity if facts is not None else physical
    volume.allocation = info.st_blocks * 512 if stat.S_ISREG(info.st_mode) else physical
    volume.physical = physical
    target = VolumeTarget()
    target.path = path
    target.format = Format.of(facts.format) if facts is not None else None
    target.permissions = permissions_of(info)
    target.timestamps = timestamps_of(info)
    volume.target = target
    if facts is not None and facts.backing_path:
        backing = BackingStore()
        backing.path = facts.backing_path
        backing.format = Format.of(facts.backing_format) if facts.backing_format else None
        try:
            backing_info = Path(facts.backing_path).stat()
        except OSError:
            pass  # a missing backing file: its path and format are all there is to say
        else:
            backing.permissions = permissions_of(backing_info)
            backing.timestamps = timestamps_of(backing_info)
        volume.backing_store = backing
    return volume


def directory_volume(name: str, path: str, info: os.stat_result) -> object:
    """A directory in a file pool: a volume of type and format ``dir`` with no size, as libvirt lists it."""
    from virt.xml.storage import Format, StorageVolume, VolumeTarget

    volume = StorageVolume()
    volume.type = "dir"
    volume.name = name
    volume.key = path
    volume.capacity = volume.allocation = 0  # and no physical size: libvirt shows none
    target = VolumeTarget()
    target.path = path
    target.format = Format.of("dir")
    target.permissions = permissions_of(info)
    target.timestamps = timestamps_of(info)
    volume.target = target
    return volume
