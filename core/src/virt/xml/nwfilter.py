"""libvirt's network filter XML (``<filter>``): name, UUID, chain, chain priority and its entries.

A first cut: the filter's own attributes, ``<filterref>`` with its parameters and ``<rule>`` with
libvirt 9.0's defaults (chain priority from the chain's prefix, rule priority 500) and parse errors
are modelled. As libvirt does, a rule keeps one protocol element (the first) and unknown elements
are dropped. Not yet done: the protocol element's attributes are kept as written, where libvirt's
per-protocol parsers check, normalise and reorder them (``protocolid='0x0800'`` -> ``'ipv4'``).
"""

from __future__ import annotations

import uuid as uuid_module

import attrs
from lxml import etree

from virt.errors import ErrorDomain, ErrorNumber, VirtError, libvirt_error
from virt.xml.base import parse_document
from virt.xml.nwfilterbinding import _attr

CHAIN_PRIORITIES: dict[str, int] = {
    "root": 0,
    "stp": -810,
    "mac": -800,
    "vlan": -750,
    "ipv4": -700,
    "ipv6": -600,
    "arp": -500,
    "rarp": -400,
}
"""libvirt's default priority of a chain, by the chain name's prefix (before any ``_suffix``)."""

PROTOCOLS = frozenset(
    {"mac", "vlan", "stp", "arp", "rarp", "ip", "ipv6", "tcp", "udp", "udplite", "esp", "ah", "sctp", "icmp"}
    | {"igmp", "all", "tcp-ipv6", "udp-ipv6", "udplite-ipv6", "esp-ipv6", "ah-ipv6", "sctp-ipv6", "icmpv6"}
    | {"all-ipv6"}
)
"""The protocol elements a rule may hold (libvirt's protocol table)."""
RULE_PRIORITY_DEFAULT = 500
ACTIONS = ("drop", "accept", "reject", "return", "continue")
DIRECTIONS = ("in", "out", "inout")


def _error(detail: str, code: ErrorNumber = ErrorNumber.INTERNAL_ERROR) -> VirtError:
    return libvirt_error(code, detail, ErrorDomain.NWFILTER)


@attrs.define
class FilterRef:
    """``<filterref filter=...>`` with its ``<parameter name value>`` (a name may repeat)."""

    filter: str
    parameters: dict[str, list[str]] = attrs.field(factory=dict)

    def to_lines(self, indent: str) -> list[str]:
        if not self.parameters:
            return [f"{indent}<filterref filter={_attr(self.filter)}/>"]
        lines = [f"{indent}<filterref filter={_attr(self.filter)}>"]
        for name in sorted(self.parameters):
            for value in self.parameters[name]:
                lines.append(f"{indent}  <parameter name={_attr(name)} value={_attr(value)}/>")
        lines.append(f"{indent}</filterref>")
        return lines


@attrs.define
class ProtocolMatch:
    """One protocol element of a rule (``<tcp dstportstart='22'/>``), attributes in document order."""

    protocol: str
    attributes: dict[str, str] = attrs.field(factory=dict)


@attrs.define
class Rule:
    """``<rule action direction priority statematch>`` and its protocol elements."""

    action: str
    direction: str
    priority: int = RULE_PRIORITY_DEFAULT
    statematch: bool = True
    matches: list[ProtocolMatch] = attrs.field(factory=list)

    def to_lines(self, indent: str) -> list[str]:
        head = f"{indent}<rule action='{self.action}' direction='{self.direction}' priority='{self.priority}'"
        if not self.statematch:
            head += " statematch='false'"
        if not self.matches:
            return [head + "/>"]
        lines = [head + ">"]
        for match in self.matches:
            attributes = "".join(f" {key}={_attr(value)}" for key, value in match.attributes.items())
            lines.append(f"{indent}  <{match.protocol}{attributes}/>")
        lines.append(f"{indent}</rule>")
        return lines


@attrs.define
class NWFilter:
    """A network filter definition (virNWFilterDef)."""

    name: str
    uuid: uuid_module.UUID
    chain: str = "root"
    priority: int = 0
    entries: list[Rule | FilterRef] = attrs.field(factory=list)

    @property
    def referenced(self) -> list[str]:
        """The filters this one includes through ``<filterref>``."""
        return [entry.filter for entry in self.entries if isinstance(entry, FilterRef)]

    @classmethod
    def from_xml(cls, text: str | bytes) -> NWFilter:
        root = parse_document(text)
        if root.tag != "filter":
            detail = f"expecting root element of 'filter', not '{root.tag}'"
            raise libvirt_error(ErrorNumber.XML_ERROR, detail, ErrorDomain.XML)
        name = root.get("name")
        if not name:
            raise _error("filter has no name")
        chain = root.get("chain") or "root"
        prefix = chain.split("_", 1)[0]
        if chain != "root" and (prefix == "root" or prefix not in CHAIN_PRIORITIES):
            prefixes = "mac, vlan, stp, arp, rarp, ipv4, ipv6"
            detail = (
                f"Invalid chain name '{chain}'. Please use a chain name called 'root'"
                f" or any of the following prefixes: {prefixes}"
            )
            raise _error(detail, ErrorNumber.INVALID_ARG)
        priority_text = root.get("priority")
        if priority_text is None:
            priority = CHAIN_PRIORITIES[prefix]
        else:
            try:
                priority = int(priority_text)
            except ValueError:
                raise _error(f"Could not parse chain priority '{priority_text}'", ErrorNumber.INVALID_ARG) from None
            if not -1000 <= priority <= 1000:
                detail = f"Priority '{priority}' is outside valid range of [-1000,1000]"
                raise _error(detail, ErrorNumber.INVALID_ARG)
        uuid_text = root.findtext("uuid")
        if uuid_text:
            try:
                filter_uuid = uuid_module.UUID(uuid_text.strip())
            except ValueError:
                raise libvirt_error(ErrorNumber.XML_ERROR, "malformed uuid element", ErrorDomain.NWFILTER) from None
        else:
            # libvirt generates a UUID for a definition without one.
            filter_uuid = uuid_module.uuid4()
        entries: list[Rule | FilterRef] = []
        for child in root:
            if child.tag == "filterref":
                ref_name = child.get("filter")
                if not ref_name:
                    # libvirt 9.0's words for a filterref without its filter.
                    raise _error("rule node requires action attribute")
                params: dict[str, list[str]] = {}
                for param in child.findall("parameter"):
                    pname, pvalue = param.get("name"), param.get("value")
                    if pname is not None and pvalue is not None:
                        params.setdefault(pname, []).append(pvalue)
                entries.append(FilterRef(ref_name, params))
            elif child.tag == "rule":
                entries.append(_rule(child))
        return cls(name=name, uuid=filter_uuid, chain=chain, priority=priority, entries=entries)

    def to_xml(self) -> str:
        head = f"<filter name={_attr(self.name)} chain={_attr(self.chain)}"
        if self.priority != 0:
            head += f" priority='{self.priority}'"
        lines = [head + ">", f"  <uuid>{self.uuid}</uuid>"]
        for entry in self.entries:
            lines.extend(entry.to_lines("  "))
        lines.append("</filter>")
        return "\n".join(lines) + "\n"


def _rule(element: etree._Element) -> Rule:
    action = element.get("action")
    if action is None:
        raise _error("rule node requires action attribute")
    if action not in ACTIONS:
        raise _error("unknown rule action attribute value", ErrorNumber.CONFIG_UNSUPPORTED)
    direction = element.get("direction")
    if direction is None:
        raise _error("rule node requires direction attribute")
    if direction not in DIRECTIONS:
        raise _error("unknown rule direction attribute value", ErrorNumber.CONFIG_UNSUPPORTED)
    priority = RULE_PRIORITY_DEFAULT
    priority_text = element.get("priority")
    if priority_text is not None:
        try:
            priority = int(priority_text)
        except ValueError:
            # libvirt ignores a rule priority it cannot parse, keeping the default.
            priority = RULE_PRIORITY_DEFAULT
    statematch = (element.get("statematch") or "true").lower() not in ("0", "false")
    # libvirt keeps a rule's first protocol element only; other elements are dropped.
    matches = [
        ProtocolMatch(child.tag, {str(k): str(v) for k, v in child.attrib.items()})
        for child in element
        if child.tag in PROTOCOLS
    ][:1]
    return Rule(action, direction, priority, statematch, matches)
