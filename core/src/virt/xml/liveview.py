"""The live view: what a running domain's definition shows that its persistent one does not.

libvirt's drivers fill these in when a domain starts (they are state of the running guest, never
read from a definition): the id of each cache and memory bandwidth allocation (named after its
vCPUs), the current size of a virtio-mem device (none plugged at boot).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from virt.xml.base import Unknown

if TYPE_CHECKING:
    from virt.xml.base import XmlModel
    from virt.xml.domain import CacheTune, Domain, MemoryTune


def add_live_state(domain: Domain) -> None:
    if domain.cputune is not None:
        allocations: list[CacheTune | MemoryTune] = [*domain.cputune.cachetunes, *domain.cputune.memorytunes]
        for allocation in allocations:
            if allocation.vcpus is not None:
                _set_default_attribute(allocation, "id", f"vcpus_{allocation.vcpus}")
    for memory in domain.devices.memories if domain.devices is not None else []:
        target = memory.target
        if memory.model == "virtio-mem" and target is not None and target.find("current") is None:
            current = etree.Element("current", unit="KiB")
            current.text = "0"
            requested = target.find("requested")
            if requested is not None:
                requested.addnext(current)
            else:
                target.append(current)


def _set_default_attribute(obj: XmlModel, name: str, value: str) -> None:
    """Set an attribute the model keeps without declaring it, unless it has one."""
    if obj._unknown is None:
        obj._unknown = Unknown()
    obj._unknown.attrs.setdefault(name, value)
