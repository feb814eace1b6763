"""libvirt 9.0's test driver's host devices: those of the node file (the default host's ``computer``
and its fibre channel HBAs), looked up by name, listed by capability (nested ones too: a
``scsi_host`` with ``fc_host`` inside is an fc_host), their XML as the file gives it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
from lxml import etree

from virt.drivers.test import errors
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError, libvirt_error
from virt.nodedevices import CAPABILITY_FILTERS, CAPABILITY_FLAGS
from virt.xml.base import libvirt_text

if TYPE_CHECKING:
    from virt.drivers.test.host import Host

# a capability element's type as the list filters name it (libvirt's vport_ops are "vports")
_FILTER_NAMES = {"vport_ops": "vports"}


@attrs.define
class NodeDeviceObj:
    name: str
    parent: str | None
    capabilities: list[str]
    """The top-level capability types, in document order (virNodeDeviceListCaps)."""
    matches: frozenset[str]
    """Every capability the list filters find it by, nested ones too."""
    xml: str


def from_element(el: etree._Element) -> NodeDeviceObj:
    """A ``<device>`` of a node file; its XML is kept as written, formatted as libvirt prints it."""
    name = (el.findtext("name") or "").strip()
    if not name:
        raise libvirt_error(ErrorNumber.XML_ERROR, "no device name", ErrorDomain.NODEDEV)
    parent = el.findtext("parent")
    tops = [c.get("type", "") for c in el.findall("capability")]
    nested = [c.get("type", "") for c in el.iterfind(".//capability")]
    return NodeDeviceObj(
        name,
        parent.strip() if parent is not None and parent.strip() else None,
        tops,
        frozenset(_FILTER_NAMES.get(kind, kind) for kind in nested),
        libvirt_text(el),
    )


def not_found(name: str) -> VirtError:
    return errors.error(ErrorNumber.NO_NODE_DEVICE, f"no node device with matching name '{name}'")


class NodeDeviceOperations:
    """The host device methods of TestConnection."""

    host: Host

    def _node_device(self, name: str) -> NodeDeviceObj:
        found = self.host.node_devices.get(name)
        if found is None:
            raise not_found(name)
        return found

    def list_node_devices(self, flags: int) -> list[str]:
        if flags & ~CAPABILITY_FILTERS:
            raise InvalidArgument(
                f"unsupported flags (0x{flags & ~CAPABILITY_FILTERS:x}) in function testConnectListAllNodeDevices",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.TEST,
            )
        wanted = {name for name, bit in CAPABILITY_FLAGS.items() if flags & bit}
        with self.host.lock:
            return [d.name for d in self.host.node_devices.values() if not wanted or wanted & d.matches]

    def lookup_node_device(self, name: str) -> str:
        with self.host.lock:
            return self._node_device(name).name

    def get_node_device_xml(self, name: str) -> str:
        with self.host.lock:
            return self._node_device(name).xml

    def get_node_device_parent(self, name: str) -> str | None:
        with self.host.lock:
            return self._node_device(name).parent

    def list_node_device_caps(self, name: str) -> list[str]:
        with self.host.lock:
            return list(self._node_device(name).capabilities)
