"""The driver capabilities XML format (formatcaps): ``<capabilities>``."""

from __future__ import annotations

import uuid

from lxml import etree

from virt.xml.base import XmlModel, attribute, child, children, flag, model, raw, scaled, text, texts
from virt.xml.convert import INT, UUID_, YESNO


@model()
class Pages(XmlModel):
    """A huge page size; in a NUMA cell the text is how many pages of that size it has."""

    unit: str | None = attribute("unit")
    size: int | None = attribute("size", INT)
    count: int | None = text(None, INT)


@model()
class HostCPUTopology(XmlModel):
    sockets: int | None = attribute("sockets", INT)
    dies: int | None = attribute("dies", INT)
    cores: int | None = attribute("cores", INT)
    threads: int | None = attribute("threads", INT)


@model()
class HostCPUFeature(XmlModel):
    name: str | None = attribute("name")


@model()
class HostCPU(XmlModel):
    arch: str | None = text("arch")
    model: str | None = text("model")
    vendor: str | None = text("vendor")
    microcode: etree._Element | None = raw("microcode")
    signature: etree._Element | None = raw("signature")
    counter: etree._Element | None = raw("counter")
    topology: HostCPUTopology | None = child("topology", HostCPUTopology)
    maxphysaddr: etree._Element | None = raw("maxphysaddr")
    features: list[HostCPUFeature] = children("feature", HostCPUFeature)
    pages: list[Pages] = children("pages", Pages)


@model()
class PowerManagement(XmlModel):
    suspend_mem: bool = flag("suspend_mem")
    suspend_disk: bool = flag("suspend_disk")
    suspend_hybrid: bool = flag("suspend_hybrid")


@model()
class IOMMU(XmlModel):
    support: bool | None = attribute("support", YESNO)


@model()
class URITransports(XmlModel):
    transports: list[str] = texts("uri_transport")


@model()
class MigrationFeatures(XmlModel):
    live: bool = flag("live")
    uri_transports: URITransports | None = child("uri_transports", URITransports)


@model()
class Sibling(XmlModel):
    id: int | None = attribute("id", INT)
    value: int | None = attribute("value", INT)


@model()
class Distances(XmlModel):
    siblings: list[Sibling] = children("sibling", Sibling)


@model()
class CellCPU(XmlModel):
    id: int | None = attribute("id", INT)
    socket_id: int | None = attribute("socket_id", INT)
    die_id: int | None = attribute("die_id", INT)
    core_id: int | None = attribute("core_id", INT)
    siblings: str | None = attribute("siblings")


@model()
class CellCPUs(XmlModel):
    num: int | None = attribute("num", INT)
    cpus: list[CellCPU] = children("cpu", CellCPU)


@model()
class Cell(XmlModel):
    id: int | None = attribute("id", INT)
    memory: int | None = scaled("memory", "KiB")
    pages: list[Pages] = children("pages", Pages)
    distances: Distances | None = child("distances", Distances)
    cpus: CellCPUs | None = child("cpus", CellCPUs)


@model()
class Cells(XmlModel):
    num: int | None = attribute("num", INT)
    cells: list[Cell] = children("cell", Cell)


@model()
class HostTopology(XmlModel):
    cells: Cells | None = child("cells", Cells)


@model()
class CacheBank(XmlModel):
    id: int | None = attribute("id", INT)
    level: int | None = attribute("level", INT)
    type: str | None = attribute("type")
    size: int | None = attribute("size", INT)
    unit: str | None = attribute("unit")
    cpus: str | None = attribute("cpus")


@model()
class Cache(XmlModel):
    banks: list[CacheBank] = children("bank", CacheBank)


@model()
class BaseLabel(XmlModel):
    type: str | None = attribute("type")
    label: str | None = text(None)


@model()
class SecModel(XmlModel):
    model: str | None = text("model")
    doi: str | None = text("doi")
    baselabels: list[BaseLabel] = children("baselabel", BaseLabel)


@model()
class Host(XmlModel):
    uuid: uuid.UUID | None = text("uuid", UUID_)
    cpu: HostCPU | None = child("cpu", HostCPU)
    power_management: PowerManagement | None = child("power_management", PowerManagement)
    iommu: IOMMU | None = child("iommu", IOMMU)
    migration_features: MigrationFeatures | None = child("migration_features", MigrationFeatures)
    topology: HostTopology | None = child("topology", HostTopology)
    cache: Cache | None = child("cache", Cache)
    memory_bandwidth: etree._Element | None = raw("memory_bandwidth")
    secmodels: list[SecModel] = children("secmodel", SecModel)


@model()
class Machine(XmlModel):
    canonical: str | None = attribute("canonical")
    max_cpus: int | None = attribute("maxCpus", INT)
    deprecated: bool | None = attribute("deprecated", YESNO)
    name: str | None = text(None)


@model()
class GuestDomain(XmlModel):
    type: str | None = attribute("type")
    emulator: str | None = text("emulator")
    machines: list[Machine] = children("machine", Machine)


@model()
class GuestArch(XmlModel):
    name: str | None = attribute("name")
    wordsize: int | None = text("wordsize", INT)
    emulator: str | None = text("emulator")
    loader: str | None = text("loader")
    machines: list[Machine] = children("machine", Machine)
    domains: list[GuestDomain] = children("domain", GuestDomain)


@model()
class Guest(XmlModel):
    os_type: str | None = text("os_type")
    arch: GuestArch | None = child("arch", GuestArch)
    # each feature is its own element with optional default/toggle attributes; kept whole for now
    features: etree._Element | None = raw("features")


@model("capabilities")
class Capabilities(XmlModel):
    host: Host | None = child("host", Host)
    guests: list[Guest] = children("guest", Guest)

    def to_xml(self) -> str:
        """libvirt's layout, which sets <host> and each <guest> apart with a blank line."""
        lines = super().to_xml().splitlines(keepends=True)
        spaced = [*lines[:1], "\n"] if lines else []
        for line in lines[1:]:
            spaced.append(line)
            # a line indented once that closes a top-level element: "  </host>" or "  <guest/>"
            top_level = line.startswith("  ") and not line.startswith("   ")
            if top_level and (line.startswith("  </") or line.endswith("/>\n")):
                spaced.append("\n")
        return "".join(spaced)
