"""The domain capabilities XML format (formatdomaincaps): ``<domainCapabilities>``; a first subset of fields."""

from __future__ import annotations

from virt.xml.base import XmlModel, model, text


@model("domainCapabilities")
class DomainCapabilities(XmlModel):
    path: str | None = text("path")
    domain: str | None = text("domain")
    machine: str | None = text("machine")
    arch: str | None = text("arch")
