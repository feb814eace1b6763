"""libvirt's XML formats as typed attrs models: ``parse(text)`` picks the model from the root element.

The format modules load on first use (``virt.xml.Domain`` imports ``virt.xml.domain``), so a
program that handles networks only never pays for the domain model, and the CLI starts quickly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from virt.errors import XMLError
from virt.xml.base import XmlModel, parse_document

if TYPE_CHECKING:
    from lxml import etree

    from virt.xml.capabilities import Capabilities, Guest, Host
    from virt.xml.compare import Change, diff
    from virt.xml.devices import (
        Address,
        Char,
        Controller,
        Devices,
        Disk,
        Graphics,
        Input,
        Interface,
        Memballoon,
        Video,
    )
    from virt.xml.domain import CPU, OS, Clock, Domain, Features, OSType, SecLabel, Vcpu
    from virt.xml.domaincaps import DomainCapabilities
    from virt.xml.network import DHCP, IP, Bridge, Forward, Network
    from virt.xml.secret import Secret
    from virt.xml.snapshot import DomainSnapshot
    from virt.xml.storage import StoragePool, StorageVolume
    from virt.xml.validate import Problem

_MODULES = {
    "capabilities": ("Capabilities", "Guest", "Host"),
    "checkpoint": ("DomainCheckpoint",),
    "compare": ("Change", "diff"),
    "devices": (
        *("Address", "Char", "Controller", "Devices", "Disk", "Graphics", "Input", "Interface", "Memballoon", "Video"),
    ),
    "domain": ("CPU", "OS", "Clock", "Domain", "Features", "OSType", "SecLabel", "Vcpu"),
    "domaincaps": ("DomainCapabilities",),
    "network": ("DHCP", "IP", "Bridge", "Forward", "Network"),
    "secret": ("Secret",),  # not an XmlModel: libvirt keeps only the fields it parses (virt.xml.secret)
    "snapshot": ("DomainSnapshot",),
    "storage": ("StoragePool", "StorageVolume"),
    "validate": ("Problem",),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

# Root element -> (module, model) of every document type parse() knows.
_ROOTS = {
    "domain": ("domain", "Domain"),
    "network": ("network", "Network"),
    "pool": ("storage", "StoragePool"),
    "volume": ("storage", "StorageVolume"),
    "capabilities": ("capabilities", "Capabilities"),
    "domainsnapshot": ("snapshot", "DomainSnapshot"),
    "domaincheckpoint": ("checkpoint", "DomainCheckpoint"),
    "domainCapabilities": ("domaincaps", "DomainCapabilities"),
}

__all__ = [
    "CPU", "DHCP", "IP", "OS", "Address", "Bridge", "Capabilities", "Change", "Char", "Clock", "Controller",
    "Devices", "Disk", "Domain", "DomainCapabilities", "DomainCheckpoint", "DomainSnapshot", "Features", "Forward",
    "Graphics", "Guest", "Host", "Input", "Interface", "Memballoon", "Network", "OSType", "Problem", "SecLabel",
    "Secret", "StoragePool", "StorageVolume", "Vcpu", "Video", "XMLError", "XmlModel", "diff", "model_for", "parse",
    "parse_element",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'virt.xml' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"virt.xml.{module}"), name)
    globals()[name] = value
    return value


def parse(text: str | bytes) -> XmlModel:
    """Parse a libvirt XML document into the model of its root element; XMLError when it is not one."""
    return parse_element(parse_document(text))


def model_for(tag: str) -> type[XmlModel] | None:
    """The model of documents whose root element is ``tag``, None for an unknown one."""
    found = _ROOTS.get(tag)
    if found is None:
        return None
    module, name = found
    return getattr(importlib.import_module(f"virt.xml.{module}"), name)  # type: ignore[no-any-return]


def parse_element(root: etree._Element) -> XmlModel:
    """The model of an already parsed element, chosen by its tag."""
    cls = model_for(root.tag) if isinstance(root.tag, str) else None
    if cls is None:
        raise XMLError(f"/{root.tag}: unknown XML document type <{root.tag}>")
    return cls.from_element(root)
