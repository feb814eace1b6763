"""Definitions libvirt 9.0's test driver refuses although virt's XML model reads them.

virt's model reads what the corpus's documents hold (written by libvirt's sources of that
release), so these are checked where the test driver takes a definition in, with the error number,
domain and words libvirt gives: a network interface backend its parser does not know (passt),
disk sources passed as file descriptors (the test driver has no FD passing), Fibre Channel
storage pools (it makes up a vHBA it then cannot find), volume formats no file has.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.drivers.test import errors
from virt.errors import ErrorDomain, ErrorNumber

if TYPE_CHECKING:
    from virt.xml import Domain, StoragePool, StorageVolume

INTERFACE_BACKENDS = frozenset({"default"})
"""The <interface><backend type> values libvirt 9.0's parser (as built here) accepts."""
VOLUME_FILE_FORMATS = frozenset(
    {
        "raw",
        "dir",
        "bochs",
        "cloop",
        "dmg",
        "iso",
        "vpc",
        "vdi",
        "fat",
        "vhd",
        "ploop",
        "cow",
        "qcow",
        "qcow2",
        "qed",
        "vmdk",
    }
)
"""The formats of a file volume (virStorageFileFormat, but its 'none')."""
VHBA_HOST = "scsi_host12"
"""The SCSI host libvirt's test driver looks for after making up a vHBA for a Fibre Channel pool."""


def check_domain(domain: Domain) -> None:
    devices = domain.devices
    if devices is None:
        return
    for interface in devices.interfaces:
        backend = interface.backend
        kind = backend.get("type") if backend is not None else None
        if kind is not None and kind not in INTERFACE_BACKENDS:
            raise errors.error(
                ErrorNumber.XML_ERROR,
                f"Invalid value for attribute 'type' in element 'backend': '{kind}'.",
                ErrorDomain.DOMAIN,
            )
    if devices.redirdevs and not any(c.type == "usb" and c.model != "none" for c in devices.controllers):
        # libvirt's test driver adds no USB controller of its own
        raise errors.error(
            ErrorNumber.CONFIG_UNSUPPORTED,
            "cannot add redirected USB device: USB is disabled for this domain",
            ErrorDomain.DOMAIN,
        )
    for disk in devices.disks:
        source = disk.source
        unknown = source._unknown if source is not None else None
        if unknown is not None and "fdgroup" in unknown.attrs:
            dev = disk.target.dev if disk.target is not None else ""
            raise errors.error(
                ErrorNumber.CONFIG_UNSUPPORTED,
                f"driver does not support FD passing for disk '{dev}'",
                ErrorDomain.DOMAIN,
            )


def check_pool(pool: StoragePool) -> None:
    adapter = pool.source.adapter if pool.source is not None else None
    if adapter is not None and adapter.type == "fc_host":
        raise errors.error(ErrorNumber.NO_NODE_DEVICE, f"no node device with matching name '{VHBA_HOST}'")


FILE_POOLS = frozenset({"dir", "fs", "netfs"})
"""Pools whose volumes are files, with a file format."""


def check_volume(volume: StorageVolume, pool_type: str | None) -> None:
    """A volume to create says its capacity; in a pool of files, it names a file format (the parser
    reads the format by the pool's type)."""
    if not volume.capacity_given:
        raise errors.error(ErrorNumber.XML_ERROR, "missing capacity element", ErrorDomain.STORAGE)
    target = volume.target
    kind = target.format.type if target is not None and target.format is not None else None
    if pool_type in FILE_POOLS and kind is not None and kind not in VOLUME_FILE_FORMATS:
        raise errors.error(ErrorNumber.CONFIG_UNSUPPORTED, f"unknown volume format type {kind}", ErrorDomain.STORAGE)
