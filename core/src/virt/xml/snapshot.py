"""The domain snapshot XML format (formatsnapshot): ``<domainsnapshot>``; a first subset of fields."""

from __future__ import annotations

from virt.xml.base import XmlModel, child, model, text
from virt.xml.convert import INT
from virt.xml.domain import Domain


@model("domainsnapshot")
class DomainSnapshot(XmlModel):
    name: str | None = text("name")
    description: str | None = text("description")
    state: str | None = text("state")
    creation_time: int | None = text("creationTime", INT)
    domain: Domain | None = child("domain", Domain)
