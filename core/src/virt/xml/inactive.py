"""The definition view: what libvirt keeps of a domain given to define (VIR_DOMAIN_DEF_PARSE_INACTIVE).

Some of a domain's XML describes a running domain only (libvirt reads it from its status XML, not
from a definition): the index of each image of a disk's backing chain, a block job's <mirror>, a
virtio channel's connection state, the image label of a security label. A definition keeps none
of it, so ``strip_status`` drops it from a definition about to be stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from virt.xml.base import XmlModel
    from virt.xml.devices import Disk
    from virt.xml.domain import Domain


def strip_status(domain: Domain) -> None:
    for disk in domain.devices.disks if domain.devices is not None else []:
        _strip_disk(disk)
    for channel in domain.devices.channels if domain.devices is not None else []:
        if channel.target is not None:
            _drop_attribute(channel.target, "state")
    for label in domain.seclabels:
        label.imagelabel = None


def _strip_disk(disk: Disk) -> None:
    disk.mirror = None
    if disk.source is not None:
        _drop_attribute(disk.source, "index")
    if disk.backing_store is not None:
        for layer in disk.backing_store.iter("backingStore"):
            if "index" in layer.attrib:
                del layer.attrib["index"]


def _drop_attribute(obj: XmlModel, name: str) -> None:
    """Drop an attribute the model keeps without declaring it."""
    if obj._unknown is not None:
        obj._unknown.attrs.pop(name, None)
