"""libvirt's nwfilter binding XML (``<filterbinding>``: virnwfilterbindingdef.c's fields and checks).

Not an ``XmlModel``: libvirt keeps only the fields it parses (owner, port and link devices, MAC,
filter reference and its parameters), so the binding service stores and formats those, with
libvirt 9.0's error words for what is missing.
"""

from __future__ import annotations

import uuid as uuid_module

import attrs

from virt.errors import ErrorDomain, ErrorNumber, VirtError, libvirt_error
from virt.xml.base import parse_document
from virt.xml.nwfilterparams import Parameters, attr, escape, filterref_lines, parse_mac, parse_parameters


def _missing(detail: str) -> VirtError:
    return libvirt_error(ErrorNumber.INTERNAL_ERROR, detail, ErrorDomain.NWFILTER)


@attrs.define
class FilterBinding:
    """One binding of a filter to a guest's port device (virNWFilterBindingDef)."""

    owner_name: str
    owner_uuid: uuid_module.UUID
    portdev: str
    mac: str
    filter: str
    linkdev: str | None = None
    parameters: Parameters = attrs.field(factory=dict)
    """``<parameter name= value=>`` under ``<filterref>``: a name may repeat (a list of values)."""

    @classmethod
    def from_xml(cls, text: str | bytes) -> FilterBinding:
        """Parse as virNWFilterBindingDefParse does, checking the fields in libvirt's order."""
        root = parse_document(text)
        if root.tag != "filterbinding":
            # libvirt's XML loader checks the root's name before the binding parser sees it.
            detail = f"expecting root element of 'filterbinding', not '{root.tag}'"
            raise libvirt_error(ErrorNumber.XML_ERROR, detail, ErrorDomain.XML)
        portdev = root.find("portdev")
        portdev_name = portdev.get("name") if portdev is not None else None
        if not portdev_name:
            raise _missing("filter binding has no port dev name")
        linkdev_name: str | None = None
        linkdev = root.find("linkdev")
        if linkdev is not None:
            linkdev_name = linkdev.get("name")
            if not linkdev_name:
                raise _missing("filter binding has no link dev name")
        owner_name = root.findtext("owner/name")
        if not owner_name:
            raise _missing("filter binding has no owner name")
        uuid_text = root.findtext("owner/uuid")
        if not uuid_text:
            raise _missing("filter binding has no owner UUID")
        try:
            owner_uuid = uuid_module.UUID(uuid_text.strip())
        except ValueError:
            raise _missing(f"Unable to parse UUID '{uuid_text}'") from None
        mac_el = root.find("mac")
        mac_text = mac_el.get("address") if mac_el is not None else None
        if not mac_text:
            raise _missing("filter binding has no MAC address")
        mac = parse_mac(mac_text)
        if mac is None:
            raise _missing(f"Unable to parse MAC '{mac_text}'")
        ref = root.find("filterref")
        filter_name = ref.get("filter") if ref is not None else None
        if not filter_name:
            raise _missing("filter binding has no filter reference")
        assert ref is not None
        parameters = parse_parameters(ref)
        return cls(
            owner_name=owner_name,
            owner_uuid=owner_uuid,
            portdev=portdev_name,
            mac=mac,
            filter=filter_name,
            linkdev=linkdev_name,
            parameters=parameters,
        )

    def to_xml(self) -> str:
        """virNWFilterBindingDefFormat's text (2-space indent, single quotes, trailing newline)."""
        lines = [
            "<filterbinding>",
            "  <owner>",
            f"    <name>{escape(self.owner_name)}</name>",
            f"    <uuid>{self.owner_uuid}</uuid>",
            "  </owner>",
            f"  <portdev name={attr(self.portdev)}/>",
        ]
        if self.linkdev is not None:
            lines.append(f"  <linkdev name={attr(self.linkdev)}/>")
        lines.append(f"  <mac address='{self.mac}'/>")
        lines.extend(filterref_lines(self.filter, self.parameters, "  "))
        lines.append("</filterbinding>")
        return "\n".join(lines) + "\n"
