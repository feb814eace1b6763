"""libvirt's network filter XML (``<filter>``): name, UUID, chain, chain priority and its entries.

The filter's own attributes, ``<filterref>`` with its parameters and ``<rule>`` with libvirt 9.0's
defaults (chain priority from the chain's prefix, rule priority 500) and parse errors. As libvirt
does, a rule takes the protocol of its first protocol element (later elements of that protocol add
to it, others are dropped); ``virt.xml.nwfilterrules`` reads and normalises the protocol's
attributes. Unknown elements are dropped.
"""

from __future__ import annotations

import string
import uuid as uuid_module

import attrs
from lxml import etree

from virt.errors import ErrorDomain, ErrorNumber, VirtError, libvirt_error, unknown_cause
from virt.xml.base import parse_document
from virt.xml.nwfilterparams import Parameters, attr, filterref_lines, parse_parameters
from virt.xml.nwfilterrules import TABLES, ProtocolMatch

CHAIN_PREFIXES = ("mac", "vlan", "stp", "arp", "rarp", "ipv4", "ipv6")
"""What a chain name other than ``root`` must start with, in libvirt's order."""
CHAIN_PRIORITIES: dict[str, int] = {
    "root": 0,
    "mac": -800,
    "vlan": -750,
    "ipv4": -700,
    "ipv6": -600,
    "arp": -500,
    "rarp": -400,
}
"""libvirt's default priority of a chain, by its prefix; a prefix without one (``stp``) gets 0."""
CHAIN_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_.:-")
CHAIN_NAME_MAX = 12
RULE_PRIORITY_DEFAULT = 500
ACTIONS = ("drop", "accept", "reject", "return", "continue")
DIRECTIONS = ("in", "out", "inout")


def _error(detail: str, code: ErrorNumber = ErrorNumber.INTERNAL_ERROR) -> VirtError:
    return libvirt_error(code, detail, ErrorDomain.NWFILTER)


@attrs.define
class FilterRef:
    """``<filterref filter=...>`` with its ``<parameter name value>`` (a name may repeat)."""

    filter: str
    parameters: Parameters = attrs.field(factory=dict)

    def to_lines(self, indent: str) -> list[str]:
        return filterref_lines(self.filter, self.parameters, indent)


@attrs.define
class Rule:
    """``<rule action direction priority statematch>`` and its protocol element."""

    action: str
    direction: str
    priority: int = RULE_PRIORITY_DEFAULT
    statematch: bool = True
    match: ProtocolMatch | None = None

    def to_lines(self, indent: str) -> list[str]:
        head = f"{indent}<rule action='{self.action}' direction='{self.direction}' priority='{self.priority}'"
        if not self.statematch:
            head += " statematch='false'"
        if self.match is None:
            return [head + "/>"]
        return [head + ">", *self.match.to_lines(indent + "  "), f"{indent}</rule>"]


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
        """Parse as virNWFilterDefParseXML does, checking in its order (name, priority, chain, UUID,
        entries)."""
        root = parse_document(text)
        if root.tag != "filter":
            detail = f"expecting root element of 'filter', not '{root.tag}'"
            raise libvirt_error(ErrorNumber.XML_ERROR, detail, ErrorDomain.XML)
        name = root.get("name")
        if not name:
            raise _error("filter has no name")
        priority_text = root.get("priority") or None
        priority: int | None = None
        if priority_text is not None:
            try:
                priority = int(priority_text)
            except ValueError:
                raise _error(f"Could not parse chain priority '{priority_text}'", ErrorNumber.INVALID_ARG) from None
            if not -1000 <= priority <= 1000:
                detail = f"Priority '{priority}' is outside valid range of [-1000,1000]"
                raise _error(detail, ErrorNumber.INVALID_ARG)
        chain = root.get("chain") or "root"
        prefix = _chain_prefix(chain)
        if priority is None:
            priority = CHAIN_PRIORITIES.get(prefix, 0)
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
        for child in root.iterchildren("*"):
            if child.tag == "filterref":
                ref_name = child.get("filter")
                if ref_name is None:
                    # libvirt 9.0's words for a filterref without its filter.
                    raise _error("rule node requires action attribute")
                entries.append(FilterRef(ref_name, parse_parameters(child)))
            elif child.tag == "rule":
                entries.append(_rule(child))
        return cls(name=name, uuid=filter_uuid, chain=chain, priority=priority, entries=entries)

    def to_xml(self) -> str:
        head = f"<filter name={attr(self.name)} chain={attr(self.chain)}"
        if self.priority != 0:
            head += f" priority='{self.priority}'"
        lines = [head + ">", f"  <uuid>{self.uuid}</uuid>"]
        for entry in self.entries:
            lines.extend(entry.to_lines("  "))
        lines.append("</filter>")
        return "\n".join(lines) + "\n"


def _chain_prefix(chain: str) -> str:
    """The chain name's prefix (``root`` or a protocol), the name checked as libvirt does."""
    if len(chain) > CHAIN_NAME_MAX:
        raise _error(f"Name of chain is longer than {CHAIN_NAME_MAX} characters", ErrorNumber.INVALID_ARG)
    if not set(chain) <= CHAIN_NAME_CHARS:
        raise _error("Chain name contains invalid characters", ErrorNumber.INVALID_ARG)
    if chain == "root":
        return chain
    if chain.startswith("root"):
        # libvirt refuses a longer name starting with root without saying why.
        raise unknown_cause()
    prefix = next((p for p in CHAIN_PREFIXES if chain.startswith(p)), None)
    if prefix is None:
        detail = (
            f"Invalid chain name '{chain}'. Please use a chain name called 'root'"
            f" or any of the following prefixes: {', '.join(CHAIN_PREFIXES)}"
        )
        raise _error(detail, ErrorNumber.INVALID_ARG)
    return prefix


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
    try:
        written = int(element.get("priority", ""))
    except ValueError:
        written = None
    # libvirt ignores a rule priority it cannot read or that is out of range, keeping the default.
    if written is not None and -1000 <= written <= 1000:
        priority = written
    statematch = element.get("statematch") not in ("0",) and (element.get("statematch") or "").lower() != "false"
    match: ProtocolMatch | None = None
    for child in element.iterchildren("*"):
        # The first protocol element sets the rule's protocol; later ones of it add to it.
        if match is None and child.tag in TABLES:
            match = ProtocolMatch(str(child.tag))
        if match is not None and child.tag == match.protocol:
            match.update({str(k): str(v) for k, v in child.attrib.items()})
    if match is not None:
        match.fix_up()
    return Rule(action, direction, priority, statematch, match)
