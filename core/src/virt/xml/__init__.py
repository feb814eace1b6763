"""libvirt's XML formats as typed attrs models: ``parse(text)`` picks the model from the root element."""

from __future__ import annotations

from lxml import etree

from virt.errors import XMLError
from virt.xml.base import XmlModel, parse_document
from virt.xml.capabilities import Capabilities, Guest, Host
from virt.xml.devices import Address, Char, Controller, Devices, Disk, Graphics, Input, Interface, Memballoon, Video
from virt.xml.domain import CPU, OS, Clock, Domain, Features, OSType, SecLabel, Vcpu
from virt.xml.domaincaps import DomainCapabilities
from virt.xml.network import DHCP, IP, Bridge, Forward, Network
from virt.xml.snapshot import DomainSnapshot
from virt.xml.storage import StoragePool, StorageVolume

__all__ = [
    "CPU",
    "DHCP",
    "IP",
    "OS",
    "Address",
    "Bridge",
    "Capabilities",
    "Char",
    "Clock",
    "Controller",
    "Devices",
    "Disk",
    "Domain",
    "DomainCapabilities",
    "DomainSnapshot",
    "Features",
    "Forward",
    "Graphics",
    "Guest",
    "Host",
    "Input",
    "Interface",
    "Memballoon",
    "Network",
    "OSType",
    "SecLabel",
    "StoragePool",
    "StorageVolume",
    "Vcpu",
    "Video",
    "XMLError",
    "XmlModel",
    "parse",
    "parse_element",
]

_ROOTS: dict[str, type[XmlModel]] = {
    cls._xml_tag: cls
    for cls in (Domain, Network, StoragePool, StorageVolume, Capabilities, DomainSnapshot, DomainCapabilities)
}


def parse(text: str | bytes) -> XmlModel:
    """Parse a libvirt XML document into the model of its root element; XMLError when it is not one."""
    return parse_element(parse_document(text))


def parse_element(root: etree._Element) -> XmlModel:
    cls = _ROOTS.get(root.tag) if isinstance(root.tag, str) else None
    if cls is None:
        raise XMLError(f"/{root.tag}: unknown XML document type <{root.tag}>")
    return cls.from_element(root)
