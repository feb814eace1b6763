"""libvirt's secret XML (virSecretDefParseXML / virSecretDefFormat, secret_conf.c; formatsecret.rst).

Not an ``XmlModel``: libvirt keeps nothing of a secret document beyond the fields it parses
(unknown elements vanish from XMLDesc), so a faithful copy is a small parser and formatter of
those fields, with libvirt 9.0's checks and messages (checked against libvirtd's secret driver).
"""

from __future__ import annotations

import enum
import uuid as uuid_module
from xml.sax.saxutils import escape

import attrs
from lxml import etree

from virt.errors import ErrorDomain, ErrorNumber, VirtError, XMLError, libvirt_error
from virt.xml.base import parse_document


class UsageType(enum.IntEnum):
    """virSecretUsageType: what a secret is for; the number travels on the wire."""

    NONE = 0
    VOLUME = 1
    CEPH = 2
    ISCSI = 3
    TLS = 4
    VTPM = 5

    @property
    def label(self) -> str:
        """The ``<usage type=...>`` word (and ``secret-list``'s)."""
        return self.name.lower()

    @property
    def element(self) -> str:
        """The child of ``<usage>`` holding the usage id."""
        return _USAGE_ELEMENTS[self]


_USAGE_ELEMENTS = {
    UsageType.NONE: "",
    UsageType.VOLUME: "volume",
    UsageType.CEPH: "name",
    UsageType.ISCSI: "target",
    UsageType.TLS: "name",
    UsageType.VTPM: "name",
}
_BY_LABEL = {usage.label: usage for usage in UsageType}
_MISSING = {
    UsageType.VOLUME: "volume usage specified, but volume path is missing",
    UsageType.CEPH: "Ceph usage specified, but name is missing",
    UsageType.ISCSI: "iSCSI usage specified, but target is missing",
    UsageType.TLS: "TLS usage specified, but name is missing",
    UsageType.VTPM: "vTPM usage specified, but name is missing",
}


def _error(code: ErrorNumber, detail: str) -> VirtError:
    return libvirt_error(code, detail, ErrorDomain.SECRET)


@attrs.define
class Secret:
    """One secret definition (virSecretDef): never its value, which the secret service keeps."""

    uuid: uuid_module.UUID | None = None
    ephemeral: bool = False
    private: bool = False
    description: str | None = None
    usage_type: UsageType = UsageType.NONE
    usage_id: str | None = None
    """The volume path, Ceph/TLS/vTPM name or iSCSI target the secret is for (None: no usage)."""

    @classmethod
    def from_xml(cls, text: str | bytes) -> Secret:
        """Parse a document as virSecretDefParse does (errors with libvirt's words)."""
        root = parse_document(text)
        if root.tag != "secret":
            detail = f"XML error: expecting root element of 'secret', not '{root.tag}'"
            raise XMLError(detail, ErrorNumber.XML_ERROR, ErrorDomain.XML)
        return cls.from_element(root)

    @classmethod
    def from_element(cls, el: etree._Element) -> Secret:
        secret = cls(ephemeral=_yes_no(el, "ephemeral"), private=_yes_no(el, "private"))
        text = el.findtext("uuid")
        if text is None:
            secret.uuid = uuid_module.uuid4()
        else:
            try:
                secret.uuid = uuid_module.UUID(text.strip())
            except ValueError:
                raise _error(ErrorNumber.INTERNAL_ERROR, "malformed uuid element") from None
        secret.description = el.findtext("description")
        usage = el.find("usage")
        if usage is not None:
            kind = usage.get("type")
            if kind is None:
                raise XMLError("XML error: unknown secret usage type", ErrorNumber.XML_ERROR, ErrorDomain.SECRET)
            found = _BY_LABEL.get(kind)
            if found is None:
                raise _error(ErrorNumber.CONFIG_UNSUPPORTED, f"unknown secret usage type {kind}")
            secret.usage_type = found
            if secret.usage_type is not UsageType.NONE:
                value = usage.findtext(secret.usage_type.element)
                if not value:
                    raise _error(ErrorNumber.INTERNAL_ERROR, _MISSING[secret.usage_type])
                secret.usage_id = value
        return secret

    def to_xml(self) -> str:
        """virSecretDefFormat's text: 2-space indent, single quotes, trailing newline."""
        lines = [f"<secret ephemeral='{_word(self.ephemeral)}' private='{_word(self.private)}'>"]
        if self.uuid is not None:
            lines.append(f"  <uuid>{self.uuid}</uuid>")
        if self.description is not None:
            lines.append(f"  <description>{escape(self.description)}</description>")
        if self.usage_type is not UsageType.NONE:
            lines.append(f"  <usage type='{self.usage_type.label}'>")
            tag = self.usage_type.element
            lines.append(f"    <{tag}>{escape(self.usage_id or '')}</{tag}>")
            lines.append("  </usage>")
        lines.append("</secret>")
        return "\n".join(lines) + "\n"

    def clone(self) -> Secret:
        return attrs.evolve(self)


def _yes_no(el: etree._Element, name: str) -> bool:
    value: str | None = el.get(name)
    if value is None:
        return False
    if value not in ("yes", "no"):
        raise XMLError(f"XML error: invalid value of '{name}'", ErrorNumber.XML_ERROR, ErrorDomain.SECRET)
    return value == "yes"


def _word(value: bool) -> str:
    return "yes" if value else "no"
