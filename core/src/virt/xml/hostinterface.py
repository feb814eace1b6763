"""libvirt's host interface XML (virInterfaceDefParseXML / virInterfaceDefFormat, interface_conf.c).

Not an ``XmlModel``: libvirt keeps nothing of an interface document beyond the fields it parses
(unknown elements vanish from XMLDesc), so a faithful copy is a small parser and formatter of those
fields, with libvirt 9.0's checks and messages (checked against python3-libvirt on test:///default).
"""

from __future__ import annotations

import enum
import re

import attrs
from lxml import etree

from virt.errors import ErrorDomain, ErrorNumber, VirtError, XMLError, unknown_cause
from virt.xml.base import parse_document


class InterfaceType(enum.Enum):
    ETHERNET = "ethernet"
    BRIDGE = "bridge"
    BOND = "bond"
    VLAN = "vlan"


START_MODES = ("none", "onboot", "hotplug")
BOND_MODES = ("balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb")
MII_CARRIERS = ("ioctl", "netif")
ARP_VALIDATES = ("active", "backup", "all")
LINK_STATES = ("unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up")
MTU_MAX = 100000

_DECIMAL = re.compile(r"\s*[+-]?\d+")
_ANY_BASE = re.compile(r"\s*[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)")
_INT_MAX = 2**31 - 1
_UINT_MAX = 2**32 - 1


@attrs.define
class IPAddress:
    address: str
    prefix: int = 0


@attrs.define
class Protocol:
    family: str
    autoconf: bool = False
    dhcp: bool = False
    peerdns: bool | None = None
    addresses: list[IPAddress] = attrs.Factory(list)
    gateway: str | None = None


@attrs.define
class Link:
    """virNetDevIfLink: speed in Mbit/s (0: not given), state (None: not given)."""

    speed: int = 0
    state: str | None = None


@attrs.define
class Bond:
    mode: str | None = None
    monitor: str | None = None
    """"mii", "arp" or None."""
    frequency: int = 0
    downdelay: int = 0
    updelay: int = 0
    carrier: str | None = None
    interval: int = 0
    target: str | None = None
    validate: str | None = None


@attrs.define
class HostInterface:
    """One host interface definition (virInterfaceDef); ``members`` are a bridge's or a bond's."""

    type: InterfaceType
    name: str
    mac: str | None = None
    start_mode: str | None = None
    mtu: int = 0
    protocols: list[Protocol] = attrs.Factory(list)
    link: Link = attrs.Factory(Link)
    stp: bool | None = None
    delay: str | None = None
    members: list[HostInterface] = attrs.Factory(list)
    bond: Bond = attrs.Factory(Bond)
    vlan_tag: str | None = None
    vlan_device: str | None = None

    @classmethod
    def from_xml(cls, text: str | bytes) -> HostInterface:
        """Parse a document as virInterfaceDefParseString does (XMLError with libvirt's words)."""
        root = parse_document(text)
        if root.tag != "interface":
            raise _xml_error(f"expecting root element of 'interface', not '{root.tag}'", ErrorDomain.XML)
        return cls.from_element(root)

    @classmethod
    def from_element(cls, el: etree._Element) -> HostInterface:
        return _parse(el, None)

    def to_xml(self) -> str:
        """virInterfaceDefFormat's text: 2-space indent, single quotes, trailing newline."""
        out: list[str] = []
        _format(self, out, "", top=True)
        return "".join(out)

    def clone(self) -> HostInterface:
        return HostInterface.from_xml(self.to_xml())


# -- parsing -----------------------------------------------------------------------------------------


def _xml_error(detail: str, domain: ErrorDomain = ErrorDomain.INTERFACE) -> XMLError:
    return XMLError(f"XML error: {detail}", ErrorNumber.XML_ERROR, domain)


def _unknown_cause() -> VirtError:
    # libvirt 9.0 fails some numbers without reporting why; clients then see this generic error
    return unknown_cause()


def _xpath_string(el: etree._Element, path: str) -> str | None:
    """virXPathString("string(path)") from ``el``: the first match's value in document order (so
    ``./mac/@address`` is the first <mac> that has the attribute); None for none or an empty one."""
    value = el.xpath(f"string({path})")
    return str(value) or None


def _strtol(text: str, pattern: re.Pattern[str], base: int) -> int | None:
    """virStrToLong's reading: leading blanks allowed, the whole rest must be the number; base 0
    is C's (0x: hexadecimal, a leading 0: octal)."""
    if not pattern.fullmatch(text):
        return None
    digits = text.strip()
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    if base == 0:
        if digits[:2].lower() == "0x":
            return sign * int(digits[2:], 16)
        return sign * int(digits, 8 if digits.startswith("0") else 10)
    return sign * int(digits, base)


def _xpath_number(el: etree._Element, path: str) -> int | bool | None:
    """virXPathInt/UInt("string(path)"): None when absent or empty, False when not a number."""
    text = _xpath_string(el, path)
    if text is None:
        return None
    value = _strtol(text, _DECIMAL, 10)
    return False if value is None else value


def _invalid_attribute(el: etree._Element, attribute: str, value: str, expected: str = "") -> XMLError:
    suffix = f" {expected}" if expected else ""
    return _xml_error(
        f"Invalid value for attribute '{attribute}' in element '{el.tag}': '{value}'.{suffix}", ErrorDomain.XML
    )


def _parse(el: etree._Element, parent: InterfaceType | None) -> HostInterface:
    raw_type = el.get("type")
    if raw_type is None:
        raise _xml_error(f"Missing required attribute 'type' in element '{el.tag}'", ErrorDomain.XML)
    try:
        kind = InterfaceType(raw_type)
    except ValueError:
        raise _invalid_attribute(el, "type", raw_type) from None
    allowed = {
        None: set(InterfaceType),
        InterfaceType.BOND: {InterfaceType.ETHERNET},
        InterfaceType.BRIDGE: {InterfaceType.ETHERNET, InterfaceType.BOND, InterfaceType.VLAN},
    }.get(parent, set())
    if kind not in allowed:
        raise _xml_error(f"interface has unsupported type '{kind.value}'")
    name = el.get("name")
    if name is None:
        raise _xml_error("interface has no name")
    iface = HostInterface(type=kind, name=name)
    if parent is None:
        iface.start_mode = _start_mode(el)
        iface.mtu = _mtu(el)
        iface.protocols = [_protocol(p) for p in el.findall("protocol")]
    if kind is not InterfaceType.BRIDGE:
        link = el.find("link")
        if link is not None:
            iface.link = _link(link)
    if kind is InterfaceType.ETHERNET:
        iface.mac = _xpath_string(el, "./mac/@address")
    elif kind is InterfaceType.BRIDGE:
        bridge = el.find("bridge")
        if bridge is None:
            raise _xml_error("bridge interface misses the bridge element")
        _bridge(iface, bridge)
    elif kind is InterfaceType.BOND:
        bond = el.find("bond")
        if bond is None:
            raise _xml_error("bond interface misses the bond element")
        _bond(iface, bond)
    else:
        vlan = el.find("vlan")
        if vlan is None:
            raise _xml_error("vlan interface misses the vlan element")
        iface.vlan_tag = _xpath_string(vlan, "./@tag")
        if iface.vlan_tag is None:
            raise _xml_error("vlan interface misses the tag attribute")
        iface.vlan_device = _xpath_string(vlan, "./interface/@name")
        if iface.vlan_device is None:
            raise _xml_error("vlan interface misses name attribute")
    return iface


def _start_mode(el: etree._Element) -> str | None:
    mode = _xpath_string(el, "./start/@mode")
    if mode is not None and mode not in START_MODES:
        raise _xml_error(f"unknown interface startmode {mode}")
    return mode


def _mtu(el: etree._Element) -> int:
    size = _xpath_number(el, "./mtu/@size")
    if size is None:
        return 0
    if size is False or size < 0 or size > _UINT_MAX:
        raise _unknown_cause()
    if size > MTU_MAX:
        raise _xml_error(f"value of the 'size' attribute of 'mtu' element must be at most {MTU_MAX}")
    return int(size)


def _protocol(el: etree._Element) -> Protocol:
    family = el.get("family")
    if family is None:
        raise _xml_error("protocol misses the family attribute")
    if family not in ("ipv4", "ipv6"):
        raise _xml_error(f"unsupported protocol family '{family}'")
    proto = Protocol(family=family, gateway=_xpath_string(el, "./route[1]/@gateway"))
    if family == "ipv6" and el.find("autoconf") is not None:
        proto.autoconf = True
    dhcp = el.find("dhcp")
    if dhcp is not None:
        proto.dhcp = True
        peerdns = dhcp.get("peerdns")
        if peerdns is not None:
            if peerdns not in ("yes", "no"):
                raise _invalid_attribute(dhcp, "peerdns", peerdns)
            proto.peerdns = peerdns == "yes"
    for ip in el.findall("ip"):
        address = ip.get("address")
        if address is None:
            continue  # kept by libvirt but never formatted
        prefix = 0
        text = ip.get("prefix")
        if text is not None:
            value = _strtol(text, _ANY_BASE, 0)
            if value is None or not -_INT_MAX - 1 <= value <= _INT_MAX:
                raise _invalid_attribute(ip, "prefix", text, "Expected integer value")
            prefix = value
        proto.addresses.append(IPAddress(address, prefix))
    return proto


def _link(el: etree._Element) -> Link:
    link = Link()
    state = el.get("state")  # read before the speed, as libvirt does
    if state:
        if state not in LINK_STATES:
            raise _invalid_attribute(el, "state", state)
        link.state = state
    speed = el.get("speed")
    if speed is not None:
        value = _strtol(speed, _DECIMAL, 10)
        if value is None or not 0 <= value <= _UINT_MAX or speed.lstrip().startswith("-"):
            raise _invalid_attribute(el, "speed", speed, "Expected non-negative integer value")
        link.speed = value
    return link


def _bridge(iface: HostInterface, el: etree._Element) -> None:
    stp = el.get("stp")
    if stp is not None:
        if stp not in ("on", "off"):
            # libvirt reports this but goes on with a bridge of no delay and no members
            return
        iface.stp = stp == "on"
    iface.delay = el.get("delay")
    iface.members = [_parse(sub, InterfaceType.BRIDGE) for sub in el.findall("interface")]


def _bond(iface: HostInterface, el: etree._Element) -> None:
    bond = iface.bond
    mode = _xpath_string(el, "./@mode")
    if mode is not None and mode not in BOND_MODES:
        raise _xml_error(f"unknown bonding mode {mode}")
    bond.mode = mode
    iface.members = [_parse(sub, InterfaceType.BOND) for sub in el.findall("interface")]
    miimon, arpmon = el.find("miimon"), el.find("arpmon")
    if miimon is not None:
        bond.monitor = "mii"
        bond.frequency = _bond_number(el, "./miimon/@freq", "bond interface miimon freq missing or invalid", True)
        bond.downdelay = _bond_number(el, "./miimon/@downdelay", "bond interface miimon downdelay invalid")
        bond.updelay = _bond_number(el, "./miimon/@updelay", "bond interface miimon updelay invalid")
        carrier = _xpath_string(el, "./miimon/@carrier")
        if carrier is not None and carrier not in MII_CARRIERS:
            raise _xml_error(f"unknown mii bonding carrier {carrier}")
        bond.carrier = carrier
    elif arpmon is not None:
        bond.monitor = "arp"
        bond.interval = _bond_number(
            el, "./arpmon/@interval", "bond interface arpmon interval missing or invalid", True
        )
        bond.target = _xpath_string(el, "./arpmon/@target")
        if bond.target is None:
            raise _xml_error("bond interface arpmon target missing")
        validate = _xpath_string(el, "./arpmon/@validate")
        if validate is not None and validate not in ARP_VALIDATES:
            raise _xml_error(f"unknown arp bonding validate {validate}")
        bond.validate = validate


def _bond_number(el: etree._Element, path: str, message: str, required: bool = False) -> int:
    value = _xpath_number(el, path)
    if value is False or (value is not None and not -_INT_MAX - 1 <= value <= _INT_MAX) or (required and value is None):
        raise _xml_error(message)
    return int(value or 0)


# -- formatting --------------------------------------------------------------------------------------


def _quote(value: str) -> str:
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("'", "&apos;")
        .replace('"', "&quot;")
    )


def _format(iface: HostInterface, out: list[str], indent: str, *, top: bool) -> None:
    inner = indent + "  "
    out.append(f"{indent}<interface type='{iface.type.value}' name='{_quote(iface.name)}'>\n")
    if top:
        if iface.start_mode is not None:
            out.append(f"{inner}<start mode='{iface.start_mode}'/>\n")
        if iface.mtu:
            out.append(f"{inner}<mtu size='{iface.mtu}'/>\n")
        for proto in iface.protocols:
            _format_protocol(proto, out, inner)
    if iface.type is not InterfaceType.BRIDGE and (iface.link.speed or iface.link.state):
        speed = f" speed='{iface.link.speed}'" if iface.link.speed else ""
        state = f" state='{iface.link.state}'" if iface.link.state else ""
        out.append(f"{inner}<link{speed}{state}/>\n")
    if iface.type is InterfaceType.ETHERNET:
        if iface.mac is not None:
            out.append(f"{inner}<mac address='{_quote(iface.mac)}'/>\n")
    elif iface.type is InterfaceType.BRIDGE:
        stp = "" if iface.stp is None else f" stp='{'on' if iface.stp else 'off'}'"
        delay = "" if iface.delay is None else f" delay='{_quote(iface.delay)}'"
        out.append(f"{inner}<bridge{stp}{delay}>\n")
        for member in iface.members:
            _format(member, out, inner + "  ", top=False)
        out.append(f"{inner}</bridge>\n")
    elif iface.type is InterfaceType.BOND:
        _format_bond(iface, out, inner)
    else:
        out.append(f"{inner}<vlan tag='{_quote(iface.vlan_tag or '')}'>\n")
        out.append(f"{inner}  <interface name='{_quote(iface.vlan_device or '')}'/>\n")
        out.append(f"{inner}</vlan>\n")
    out.append(f"{indent}</interface>\n")


def _format_protocol(proto: Protocol, out: list[str], indent: str) -> None:
    inner = indent + "  "
    out.append(f"{indent}<protocol family='{_quote(proto.family)}'>\n")
    if proto.autoconf:
        out.append(f"{inner}<autoconf/>\n")
    if proto.dhcp:
        peerdns = "" if proto.peerdns is None else f" peerdns='{'yes' if proto.peerdns else 'no'}'"
        out.append(f"{inner}<dhcp{peerdns}/>\n")
    for ip in proto.addresses:
        prefix = f" prefix='{ip.prefix}'" if ip.prefix else ""
        out.append(f"{inner}<ip address='{_quote(ip.address)}'{prefix}/>\n")
    if proto.gateway is not None:
        out.append(f"{inner}<route gateway='{_quote(proto.gateway)}'/>\n")
    out.append(f"{indent}</protocol>\n")


def _format_bond(iface: HostInterface, out: list[str], indent: str) -> None:
    bond, inner = iface.bond, indent + "  "
    mode = f" mode='{bond.mode}'" if bond.mode else ""
    out.append(f"{indent}<bond{mode}>\n")
    if bond.monitor == "mii":
        extra = f" downdelay='{bond.downdelay}'" if bond.downdelay > 0 else ""
        extra += f" updelay='{bond.updelay}'" if bond.updelay > 0 else ""
        extra += f" carrier='{bond.carrier}'" if bond.carrier else ""
        out.append(f"{inner}<miimon freq='{bond.frequency}'{extra}/>\n")
    elif bond.monitor == "arp":
        validate = f" validate='{bond.validate}'" if bond.validate else ""
        out.append(f"{inner}<arpmon interval='{bond.interval}' target='{_quote(bond.target or '')}'{validate}/>\n")
    for member in iface.members:
        _format(member, out, inner, top=False)
    out.append(f"{indent}</bond>\n")
