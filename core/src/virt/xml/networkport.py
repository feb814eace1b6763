"""libvirt's network port XML (virNetworkPortDefParse / virNetworkPortDefFormat, virnetworkportdef.c;
formatnetworkport.rst): ``<networkport>``.

Not an ``XmlModel``: libvirt keeps only the fields it parses (unknown elements vanish) and writes
them in its own order (the owner's name before its UUID), so this is a small parser and formatter
with libvirt 9.0's checks and messages (checked against libvirtd's network driver in the tests).
"""

from __future__ import annotations

import copy
import enum
import uuid as uuid_module
from xml.sax.saxutils import escape

import attrs
from lxml import etree

from virt.errors import ErrorDomain, ErrorNumber, VirtError, XMLError, libvirt_error
from virt.xml.base import parse_document


class PlugType(enum.Enum):
    """virNetworkPortPlugType: how the port is connected on the host."""

    NONE = "none"
    NETWORK = "network"
    BRIDGE = "bridge"
    DIRECT = "direct"
    HOSTDEV_PCI = "hostdev-pci"


def _internal(detail: str) -> VirtError:
    return libvirt_error(ErrorNumber.INTERNAL_ERROR, detail, ErrorDomain.NETWORK)


def _xml_error(detail: str) -> XMLError:
    return XMLError(f"XML error: {detail}", ErrorNumber.XML_ERROR, ErrorDomain.XML)


@attrs.define
class BandwidthRate:
    """One direction of ``<bandwidth>`` (virNetDevBandwidthRate); 0 means unset, as in libvirt."""

    average: int = 0
    peak: int = 0
    floor: int = 0
    burst: int = 0

    def to_xml(self, tag: str) -> str:
        parts = [
            f" {name}='{value}'" for name in ("average", "peak", "floor", "burst") if (value := getattr(self, name))
        ]
        return f"<{tag}{''.join(parts)}/>"


@attrs.define
class Bandwidth:
    inbound: BandwidthRate | None = None
    outbound: BandwidthRate | None = None
    class_id: int = 0

    @property
    def empty(self) -> bool:
        return self.inbound is None and self.outbound is None


@attrs.define
class NetworkPort:
    """One network port definition (virNetworkPortDef)."""

    uuid: uuid_module.UUID
    owner_name: str
    owner_uuid: uuid_module.UUID
    mac: str
    group: str | None = None
    bandwidth: Bandwidth | None = None
    vlan: etree._Element | None = None
    isolated: bool | None = None
    trust_guest_rx_filters: bool | None = None
    virtualport: etree._Element | None = None
    plug_type: PlugType = PlugType.NONE
    plug_bridge: str | None = None
    plug_mac_table_manager: str | None = None
    plug_dev: str | None = None
    plug_mode: str | None = None
    plug_managed: bool | None = None
    plug_children: list[etree._Element] = attrs.field(factory=list)
    """A hostdev-pci plug's ``<driver>`` and ``<address>``, kept as given."""

    @classmethod
    def from_xml(cls, text: str | bytes) -> NetworkPort:
        """Parse a document as virNetworkPortDefParse does (errors with libvirt's words)."""
        root = parse_document(text)
        if root.tag != "networkport":
            raise _xml_error(f"expecting root element of 'networkport', not '{root.tag}'")
        return cls.from_element(root)

    @classmethod
    def from_element(cls, el: etree._Element) -> NetworkPort:
        port_uuid = _uuid(el.findtext("uuid"), "network port has no uuid", "Unable to parse UUID '{}'")
        owner_name = el.findtext("owner/name")
        if owner_name is None:
            raise _internal("network port has no owner name")
        owner_uuid = _uuid(el.findtext("owner/uuid"), "network port has no owner UUID", "Unable to parse UUID '{}'")
        mac_el = el.find("mac")
        mac = mac_el.get("address") if mac_el is not None else None
        if mac is None:
            raise _internal("network port has no mac")
        port = cls(uuid=port_uuid, owner_name=owner_name, owner_uuid=owner_uuid, mac=_mac(mac))
        port.group = el.findtext("group")
        bandwidth = el.find("bandwidth")
        if bandwidth is not None:
            port.bandwidth = bandwidth_of(bandwidth)
        vlan = el.find("vlan")
        port.vlan = copy.deepcopy(vlan) if vlan is not None else None
        isolated = el.find("port")
        if isolated is not None and isolated.get("isolated") is not None:
            port.isolated = _yes_no(isolated, "isolated")
        rxfilters = el.find("rxfilters")
        if rxfilters is not None and rxfilters.get("trustGuest") is not None:
            port.trust_guest_rx_filters = _yes_no(rxfilters, "trustGuest")
        virtualport = el.find("virtualport")
        port.virtualport = copy.deepcopy(virtualport) if virtualport is not None else None
        plug = el.find("plug")
        if plug is not None:
            _parse_plug(port, plug)
        return port

    def to_xml(self) -> str:
        """virNetworkPortDefFormat's text: 2-space indent, single quotes, trailing newline."""
        lines = [
            "<networkport>",
            f"  <uuid>{self.uuid}</uuid>",
            "  <owner>",
            f"    <name>{escape(self.owner_name)}</name>",
            f"    <uuid>{self.owner_uuid}</uuid>",
            "  </owner>",
        ]
        if self.group is not None:
            lines.append(f"  <group>{escape(self.group)}</group>")
        lines.append(f"  <mac address='{self.mac}'/>")
        if self.bandwidth is not None and not self.bandwidth.empty:
            class_id = f" classID='{self.bandwidth.class_id}'" if self.bandwidth.class_id else ""
            lines.append(f"  <bandwidth{class_id}>")
            if self.bandwidth.inbound is not None:
                lines.append("    " + self.bandwidth.inbound.to_xml("inbound"))
            if self.bandwidth.outbound is not None:
                lines.append("    " + self.bandwidth.outbound.to_xml("outbound"))
            lines.append("  </bandwidth>")
        for raw in (self.vlan,):
            if raw is not None:
                lines += _raw_lines(raw)
        if self.isolated is not None:
            lines.append(f"  <port isolated='{_word(self.isolated)}'/>")
        if self.trust_guest_rx_filters is not None:
            lines.append(f"  <rxfilters trustGuest='{_word(self.trust_guest_rx_filters)}'/>")
        if self.virtualport is not None:
            lines += _raw_lines(self.virtualport)
        lines += self._plug_lines()
        lines.append("</networkport>")
        return "\n".join(lines) + "\n"

    def _plug_lines(self) -> list[str]:
        kind = self.plug_type
        if kind is PlugType.NONE:
            return []
        attrs_text = f"type='{kind.value}'"
        if kind in (PlugType.NETWORK, PlugType.BRIDGE):
            if self.plug_bridge is not None:
                attrs_text += f" bridge={_attr(self.plug_bridge)}"
            if self.plug_mac_table_manager is not None:
                attrs_text += f" macTableManager={_attr(self.plug_mac_table_manager)}"
        elif kind is PlugType.DIRECT:
            if self.plug_dev is not None:
                attrs_text += f" dev={_attr(self.plug_dev)}"
            if self.plug_mode is not None:
                attrs_text += f" mode={_attr(self.plug_mode)}"
        elif self.plug_managed is not None:
            attrs_text += f" managed='{_word(self.plug_managed)}'"
        if not self.plug_children:
            return [f"  <plug {attrs_text}/>"]
        inner = [line for child in self.plug_children for line in _raw_lines(child, "    ")]
        return [f"  <plug {attrs_text}>", *inner, "  </plug>"]

    def clone(self) -> NetworkPort:
        return copy.deepcopy(self)


def _uuid(text: str | None, missing: str, bad: str) -> uuid_module.UUID:
    if text is None:
        raise _internal(missing)
    try:
        return uuid_module.UUID(text.strip())
    except ValueError:
        raise _internal(bad.format(text)) from None


def _mac(text: str) -> str:
    parts = text.split(":")
    try:
        if len(parts) != 6 or not all(1 <= len(p) <= 2 for p in parts):
            raise ValueError(text)
        return ":".join(f"{int(p, 16):02x}" for p in parts)
    except ValueError:
        raise _internal(f"Unable to parse MAC '{text}'") from None


def _rate(el: etree._Element, outbound: bool) -> BandwidthRate:
    rate = BandwidthRate()
    for name in ("average", "peak", "floor", "burst"):
        value = el.get(name)
        if value is None:
            continue
        if outbound and name == "floor":
            raise libvirt_error(
                ErrorNumber.XML_DETAIL, "'floor' attribute allowed only in <inbound> element", ErrorDomain.NONE
            )
        try:
            number = int(value)
            if number < 0:
                raise ValueError(value)
        except ValueError:
            raise libvirt_error(
                ErrorNumber.CONFIG_UNSUPPORTED, f"could not convert bandwidth {name} value '{value}'", ErrorDomain.NONE
            ) from None
        setattr(rate, name, number)
    return rate


def bandwidth_of(el: etree._Element) -> Bandwidth:
    """A ``<bandwidth>`` element (a port's or a domain interface's) as libvirt parses it."""
    bandwidth = Bandwidth()
    class_id = el.get("classID")
    if class_id is not None and class_id.isdigit():
        bandwidth.class_id = int(class_id)
    inbound = el.find("inbound")
    if inbound is not None:
        bandwidth.inbound = _rate(inbound, outbound=False)
    outbound = el.find("outbound")
    if outbound is not None:
        bandwidth.outbound = _rate(outbound, outbound=True)
    return bandwidth


def _parse_plug(port: NetworkPort, plug: etree._Element) -> None:
    kind = plug.get("type")
    if kind is not None:
        try:
            port.plug_type = PlugType(kind)
        except ValueError:
            raise _xml_error(f"Invalid value for attribute 'type' in element 'plug': '{kind}'.") from None
    if port.plug_type in (PlugType.NETWORK, PlugType.BRIDGE):
        port.plug_bridge = plug.get("bridge")
        port.plug_mac_table_manager = plug.get("macTableManager")
    elif port.plug_type is PlugType.DIRECT:
        port.plug_dev = plug.get("dev")
        port.plug_mode = plug.get("mode")
    elif port.plug_type is PlugType.HOSTDEV_PCI:
        if plug.get("managed") is not None:
            port.plug_managed = _yes_no(plug, "managed")
        port.plug_children = [copy.deepcopy(c) for c in plug if isinstance(c.tag, str)]


def _yes_no(el: etree._Element, name: str) -> bool:
    value: str | None = el.get(name)
    if value not in ("yes", "no"):
        raise _xml_error(f"Invalid value for attribute '{name}' in element '{el.tag}': '{value}'.")
    return value == "yes"


def _attr(value: str) -> str:
    """An attribute value in libvirt's single quotes."""
    return "'" + escape(value, {"'": "&apos;", '"': "&quot;"}) + "'"


def _word(value: bool) -> str:
    return "yes" if value else "no"


def _raw_lines(el: etree._Element, pad: str = "  ") -> list[str]:
    """A kept element as libvirt writes it: indented, single-quoted attributes."""
    el = copy.deepcopy(el)
    el.tail = None
    etree.indent(el, space="  ")
    text = etree.tostring(el, encoding="unicode")
    text = _single_quotes(text)
    return [pad + line for line in text.splitlines()]


def _single_quotes(text: str) -> str:
    import re

    return re.sub(r'="([^"\']*)"', r"='\1'", text)
