"""libvirt 9.0's test driver's host devices: those of the node file (the default host's ``computer``
and its fibre channel HBAs), looked up by name, listed by capability (nested ones too: a
``scsi_host`` with ``fc_host`` inside is an fc_host), their XML as the file gives it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
from lxml import etree

from virt.drivers.test import errors
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError, XMLError, libvirt_error
from virt.nodedevevents import NodeDeviceEvent, NodeDeviceEventType
from virt.nodedevices import CAPABILITY_FILTERS, CAPABILITY_FLAGS
from virt.xml.base import libvirt_text, parse_document

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

    # libvirt 9.0's test driver mocks vHBA creation: the new device is always "scsi_host12", a copy of
    # scsi_host11 (its parent and host numbers included) with the requested WWNs; destroying a device
    # that is no fibre channel HBA, or whose parent is gone, quietly does nothing.
    def create_node_device(self, xml: str, flags: int) -> str:
        if flags:
            raise InvalidArgument(
                f"unsupported flags (0x{flags:x}) in function testNodeDeviceCreateXML",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.TEST,
            )
        try:
            root = parse_document(xml)
        except XMLError as e:
            raise libvirt_error(ErrorNumber.XML_ERROR, str(e), ErrorDomain.NODEDEV) from None
        name = (root.findtext("name") or "").strip() or "new device"
        if root.find("capability") is None:
            raise _nodedev_internal(f"no device capabilities for '{name}'")
        fc_host = root.find("capability[@type='scsi_host']/capability[@type='fc_host']")
        if fc_host is None:
            raise _nodedev_internal("Device is not a fibre channel HBA")
        wwnn, wwpn = (fc_host.findtext(tag) for tag in ("wwnn", "wwpn"))
        if not wwnn or not wwpn:
            missing = "WWPN" if wwnn else "WWNN"
            raise _nodedev_internal(f"no {missing} supplied for '{name}', and auto-generation failed")
        with self.host.lock:
            parent = self.host.node_devices.get((root.findtext("parent") or "").strip())
            if parent is None:
                raise _nodedev_internal(f"Could not find parent device for '{name}'")
            if "vports" not in parent.matches:
                raise _nodedev_internal(f"Parent device {parent.name} is not capable of vport operations")
            template = self.host.node_devices.get("scsi_host11")
            if template is None:
                raise libvirt_error(ErrorNumber.INTERNAL_ERROR, None, ErrorDomain.NONE)
            copy = parse_document(template.xml)
            copy_name = copy.find("name")
            assert copy_name is not None  # scsi_host11 was read from a <device> with a name
            copy_name.text = "scsi_host12"
            for tag, value in (("wwnn", wwnn), ("wwpn", wwpn)):
                for el in copy.iterfind(f"capability[@type='scsi_host']/capability[@type='fc_host']/{tag}"):
                    el.text = value.strip()
            created = from_element(copy)
            self.host.node_devices[created.name] = created
            self.host.node_device_events.queue(NodeDeviceEvent.lifecycle(created.name, NodeDeviceEventType.CREATED))
        self.host.node_device_events.flush()
        return created.name

    def destroy_node_device(self, name: str) -> None:
        with self.host.lock:
            device = self._node_device(name)
            if "fc_host" not in device.matches or device.parent not in self.host.node_devices:
                return
            del self.host.node_devices[name]
            self.host.node_device_events.queue(NodeDeviceEvent.lifecycle(name, NodeDeviceEventType.DELETED))
        self.host.node_device_events.flush()


def _nodedev_internal(detail: str) -> VirtError:
    return libvirt_error(ErrorNumber.INTERNAL_ERROR, detail, ErrorDomain.NODEDEV)
