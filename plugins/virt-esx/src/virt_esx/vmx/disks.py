"""Disk names (``sda``, ``hdb``...) and the drive addresses libvirt derives from them."""

from __future__ import annotations

import re

import attrs

# libvirt's SCSI buses: 16 units (7 is the controller itself), or 64 from virtualHW 13 on
SCSI_WIDE_UNITS = 16
SCSI_SUPER_WIDE_UNITS = 64

_NAME = re.compile(r"(fd|hd|vd|sd|xvd|ubd)([a-z]*)[0-9]*")


def name_to_index(name: str) -> int | None:
    """The index of disk ``name`` (``sda`` 0, ``sdz`` 25, ``sdaa`` 26), None if it is no disk name."""
    found = _NAME.fullmatch(name)
    if found is None:
        return None
    index = 0
    for n, letter in enumerate(found.group(2)):
        index = (index + (1 if n else 0)) * 26 + ord(letter) - ord("a")
    return index


def index_to_name(index: int, prefix: str) -> str:
    """The disk name for ``index`` after ``prefix`` (the inverse of name_to_index)."""
    letters = ""
    while index >= 0:
        letters = chr(ord("a") + index % 26) + letters
        index = index // 26 - 1
    return prefix + letters


@attrs.frozen
class DriveAddress:
    controller: int
    bus: int
    unit: int


def assign_address(bus: str, index: int, scsi_units: int = SCSI_WIDE_UNITS) -> DriveAddress | None:
    """The drive address libvirt gives the disk ``index`` on ``bus`` (virDomainDiskDefAssignAddress,
    with VMware's wide SCSI buses), None for a bus without drive addresses."""
    if bus == "scsi":
        per_controller = scsi_units - 1  # every unit but the controller's own
        unit = index % per_controller
        return DriveAddress(index // per_controller, 0, unit + 1 if unit >= 7 else unit)
    if bus == "ide":
        return DriveAddress(index // 4, (index % 4) // 2, index % 2)
    if bus == "fdc":
        return DriveAddress(index // 2, 0, index % 2)
    if bus == "sata":
        return DriveAddress(index // 6, 0, index % 6)
    return None
