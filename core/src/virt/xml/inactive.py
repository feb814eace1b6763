"""The definition view: what libvirt keeps of a domain given to define (VIR_DOMAIN_DEF_PARSE_INACTIVE).

Some of a domain's XML describes a running domain only (libvirt reads it from its status XML, not
from a definition): the index of each image of a disk's backing chain, a block job's <mirror>, a
virtio channel's connection state, the image label of a security label, a device label's
labelskip. A definition keeps none of it, so ``strip_status`` drops it from a definition about to be
stored. The inactive XML also leaves out device labels that relabel without a label
(``hide_unset_labels``), which the live XML writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

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
    for label in _source_labels(disk):
        # labelskip is status only; a label that is not skipped is relabelled unless it says not
        if "labelskip" in label.attrib:
            del label.attrib["labelskip"]
        if label.get("relabel") is None:
            label.set("relabel", "yes")
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


def _source_labels(disk: Disk) -> list[etree._Element]:
    """The <seclabel> elements of a disk's <source> (kept verbatim by the model)."""
    unknown = disk.source._unknown if disk.source is not None else None
    if unknown is None:
        return []
    return [el for elements in unknown.elements.values() for el in elements if el.tag == "seclabel"]


def has_unwritten_labels(domain: Domain) -> bool:
    """Whether the inactive view leaves out some of ``domain``'s device labels (``hide_unset_labels``)."""
    disks = domain.devices.disks if domain.devices is not None else []
    return any(_unset(label) for disk in disks for label in _source_labels(disk))


def hide_unset_labels(domain: Domain) -> None:
    """The inactive view leaves out a device's security label that relabels without saying the
    label (libvirt: what a skipped label left behind), which the live view writes."""
    for disk in domain.devices.disks if domain.devices is not None else []:
        unknown = disk.source._unknown if disk.source is not None else None
        if unknown is not None:
            unknown.drop_elements(lambda el: el.tag == "seclabel" and _unset(el))


def _unset(label: etree._Element) -> bool:
    return label.get("relabel", "yes") == "yes" and label.find("label") is None
