"""Host devices (virNodeDevice*): what ``virsh nodedev-list`` shows, by name, with their parents and
capabilities; each device's XML is its driver's."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from virt.connection import Connection

__all__ = ["CAPABILITY_FLAGS", "ListFlags", "NodeDevice"]


class ListFlags(enum.IntFlag):
    """virConnectListAllNodeDeviceFlags: the capability filters, and the active/inactive ones."""

    NONE = 0
    INACTIVE = 1 << 30
    ACTIVE = 1 << 31


CAPABILITY_FLAGS = {
    name: 1 << bit
    for bit, name in enumerate((
        "system", "pci", "usb_device", "usb", "net", "scsi_host", "scsi_target", "scsi", "storage", "fc_host",
        "vports", "scsi_generic", "drm", "mdev_types", "mdev", "ccw", "css", "vdpa", "ap_card", "ap_queue",
        "ap_matrix", "vpd",
    ))
}  # fmt: skip
"""VIR_CONNECT_LIST_NODE_DEVICES_CAP_*, by the capability's name in the device XML."""
CAPABILITY_FILTERS = sum(CAPABILITY_FLAGS.values())
"""VIR_CONNECT_LIST_NODE_DEVICES_FILTERS_CAP."""


class NodeDevice:
    """A handle on one host device, by name."""

    def __init__(self, connection: Connection, name: str) -> None:
        self.connection = connection
        self.name = name

    def __repr__(self) -> str:
        return f"<NodeDevice {self.name!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NodeDevice) and other.connection is self.connection and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def xml(self) -> str:
        """virNodeDeviceGetXMLDesc."""
        return self.connection.driver.get_node_device_xml(self.name)

    def parent(self) -> str | None:
        """virNodeDeviceGetParent: the parent device's name (None for the root)."""
        return self.connection.driver.get_node_device_parent(self.name)

    def capabilities(self) -> list[str]:
        """virNodeDeviceListCaps: the device's capability types (``system``, ``scsi_host``, ``fc_host`` ...)."""
        return self.connection.driver.list_node_device_caps(self.name)

    def is_active(self) -> bool:
        """virNodeDeviceIsActive."""
        return self.connection.driver.is_node_device_active(self.name)

    def is_persistent(self) -> bool:
        """virNodeDeviceIsPersistent."""
        return self.connection.driver.is_node_device_persistent(self.name)

    def autostart(self) -> bool:
        """virNodeDeviceGetAutostart."""
        return self.connection.driver.get_node_device_autostart(self.name)

    def destroy(self) -> None:
        """virNodeDeviceDestroy (the test driver: a vHBA created from a fibre channel HBA)."""
        self.connection._writable("virNodeDeviceDestroy").destroy_node_device(self.name)
