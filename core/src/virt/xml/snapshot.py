"""The domain snapshot XML format (formatsnapshot): ``<domainsnapshot>``."""

from __future__ import annotations

from lxml import etree

from virt.xml.base import XmlModel, attribute, child, children, model, raw, text
from virt.xml.convert import INT
from virt.xml.domain import Domain


@model()
class SnapshotParent(XmlModel):
    name: str | None = text("name")


@model()
class SnapshotMemory(XmlModel):
    snapshot: str | None = attribute("snapshot")
    file: str | None = attribute("file")


@model()
class SnapshotDiskDriver(XmlModel):
    """The format of the new overlay image (``type``); other settings such as <metadata_cache> are kept."""

    type: str | None = attribute("type")


@model()
class SnapshotDiskSource(XmlModel):
    file: str | None = attribute("file")
    dev: str | None = attribute("dev")
    protocol: str | None = attribute("protocol")
    name: str | None = attribute("name")


def _empty(part: XmlModel | None) -> bool:
    """A part with no attribute or child: libvirt does not write it."""
    if part is None:
        return True
    declared = part._xml
    names = [name for name, _, _ in declared.attrs] + [name for _, name, _ in declared.elements]
    return not part._unknown and not any(getattr(part, name) for name in names)


@model()
class SnapshotDisk(XmlModel):
    name: str | None = attribute("name")
    snapshot: str | None = attribute("snapshot")
    type: str | None = attribute("type")
    driver: SnapshotDiskDriver | None = child("driver", SnapshotDiskDriver)
    source: SnapshotDiskSource | None = child("source", SnapshotDiskSource)

    def post_parse(self) -> None:
        """A disk given a new image (a source or a format) is snapshotted externally, into a file
        unless said otherwise; empty <source/> and <driver/> elements say nothing and are dropped."""
        if _empty(self.source):
            self.source = None
        if _empty(self.driver):
            self.driver = None
        has_image = self.source is not None or (self.driver is not None and self.driver.type is not None)
        if self.snapshot is None and has_image:
            self.snapshot = "external"
        if self.type is None and has_image:
            self.type = "file"


@model()
class SnapshotDisks(XmlModel):
    disks: list[SnapshotDisk] = children("disk", SnapshotDisk)


@model("domainsnapshot")
class DomainSnapshot(XmlModel):
    name: str | None = text("name")
    description: str | None = text("description")
    state: str | None = text("state")
    parent: SnapshotParent | None = child("parent", SnapshotParent)
    creation_time: int | None = text("creationTime", INT)
    memory: SnapshotMemory | None = child("memory", SnapshotMemory)
    disks: SnapshotDisks | None = child("disks", SnapshotDisks)
    domain: Domain | None = child("domain", Domain)
    inactive_domain: etree._Element | None = raw("inactiveDomain")
    cookie: etree._Element | None = raw("cookie")
    active: int | None = text("active", INT)

    def post_parse(self) -> None:
        if self.disks is not None:
            for disk in self.disks.disks:
                disk.post_parse()
        # A <domain> with a type is a full definition, completed like any domain; one without is
        # only the reference to the snapshotted domain (its <uuid>) and stays as written.
        if self.domain is not None and self.domain.type is not None:
            self.domain.post_parse()
