"""The domain checkpoint XML format (formatcheckpoint): ``<domaincheckpoint>``."""

from __future__ import annotations

from virt.xml.base import XmlModel, attribute, child, children, model, text
from virt.xml.convert import INT
from virt.xml.domain import Domain


@model()
class CheckpointParent(XmlModel):
    name: str | None = text("name")


@model()
class CheckpointDisk(XmlModel):
    """One disk's part: ``checkpoint`` is "bitmap" (the default when absent) or "no"."""

    name: str | None = attribute("name")
    checkpoint: str | None = attribute("checkpoint")
    bitmap: str | None = attribute("bitmap")
    size: int | None = attribute("size", INT)


@model()
class CheckpointDisks(XmlModel):
    disks: list[CheckpointDisk] = children("disk", CheckpointDisk)


@model("domaincheckpoint")
class DomainCheckpoint(XmlModel):
    name: str | None = text("name")
    description: str | None = text("description")
    parent: CheckpointParent | None = child("parent", CheckpointParent)
    creation_time: int | None = text("creationTime", INT)
    disks: CheckpointDisks | None = child("disks", CheckpointDisks)
    domain: Domain | None = child("domain", Domain)

    def post_parse(self) -> None:
        if self.disks is not None:
            for disk in self.disks.disks:
                disk.checkpoint = disk.checkpoint or "bitmap"
        if self.domain is not None and self.domain.type is not None:
            self.domain.post_parse()
