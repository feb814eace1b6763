"""Drive addresses of IDE, SATA, SCSI and floppy disks, from their target names (libvirt's
virDomainDiskDefAssignAddress), and libvirt's spelling of the ones given."""

from __future__ import annotations

from virt.errors import ErrorDomain, ErrorNumber
from virt.xml.devices import Address, Disk
from virt.xml.implicit import disk_index, drive_address

from virt_qemu import errors
from virt_qemu.postparse.xmlutil import has_address, make, number

DRIVE_BUSES = {"ide": "ide", "sata": "sata", "scsi": "scsi", "fdc": "fdc"}
"""Disk buses whose disks sit on a controller of the same type, with a drive address."""


def _drive(controller: int, bus: int, target: int, unit: int) -> Address:
    return make(Address, type="drive", controller=str(controller), bus=str(bus), target=str(target), unit=str(unit))


def assign(disk: Disk) -> None:
    """Give a disk on a controller-based bus its drive address, or write the one it has as libvirt does."""
    bus = disk.target.bus if disk.target is not None else None
    if bus not in DRIVE_BUSES:
        return
    address = disk.address
    if has_address(address):
        assert address is not None
        if address.type == "drive":
            disk.address = _drive(
                number(address.controller, "controller"),
                number(address.bus, "bus"),
                number(address.target, "target"),
                number(address.unit, "unit"),
            )
        return
    dev = (disk.target.dev if disk.target is not None else None) or ""
    index = disk_index(dev)
    if index is None:
        raise errors.error(
            ErrorNumber.XML_ERROR, f"Unknown disk name '{dev}' and no address specified", ErrorDomain.DOMAIN
        )
    disk.address = _drive(*drive_address(bus, index))


def controller_of(disk: Disk) -> int | None:
    """The controller index a disk's drive address names (None when it has none)."""
    address = disk.address
    if address is None or address.type != "drive":
        return None
    return number(address.controller, "controller")
