"""The protocol element of a network filter rule (``<tcp dstportstart='22'/>``), as libvirt 9.0 reads it.

Each protocol has a table of the attributes it knows, each with the value types it accepts, tried
in libvirt's order (decimal before hex, numbers before names). A value is kept in the type that
read it, so it is written back the same way: ``0x10`` stays hex, ``protocolid='0x0800'`` becomes
``ipv4``, masks become prefix lengths, addresses and MACs are canonical, flag lists are upper-case.
Attributes a protocol does not know are dropped; ``$NAME``, ``$NAME[@N]`` and ``$NAME[N]`` name a
variable, kept as such. Output follows the table's order, with libvirt's quirks: a mask without its
address loses ``match='no'``, and an ipset with explicit flags is dropped on most protocols.
"""

from __future__ import annotations

import enum
import ipaddress
import re
import socket
import string

import attrs

from virt.errors import ErrorDomain, ErrorNumber, libvirt_error
from virt.xml.nwfilterparams import VARIABLE_NAME_CHARS, escape, parse_mac


class T(enum.IntFlag):
    """The value types of an attribute, in the order libvirt tries them."""

    UINT16 = 1 << 0
    UINT8 = 1 << 1
    UINT16_HEX = 1 << 2
    UINT8_HEX = 1 << 3
    MACADDR = 1 << 4
    MACMASK = 1 << 5
    IPADDR = 1 << 6
    IPMASK = 1 << 7
    STRING = 1 << 8
    IPV6ADDR = 1 << 9
    IPV6MASK = 1 << 10
    STRINGCOPY = 1 << 11
    BOOLEAN = 1 << 12
    UINT32 = 1 << 13
    UINT32_HEX = 1 << 14
    IPSETNAME = 1 << 15
    IPSETFLAGS = 1 << 16


U8 = T.UINT8 | T.UINT8_HEX
U16 = T.UINT16 | T.UINT16_HEX
U32 = T.UINT32 | T.UINT32_HEX
_HEX = T.UINT8_HEX | T.UINT16_HEX | T.UINT32_HEX
_LIMITS = {T.UINT8: 0xFF, T.UINT8_HEX: 0xFF, T.UINT16: 0xFFFF, T.UINT16_HEX: 0xFFFF}

ETHER_TYPES = {0x0806: "arp", 0x8035: "rarp", 0x0800: "ipv4", 0x86DD: "ipv6", 0x8100: "vlan"}
ARP_OPCODES = {
    1: "Request",
    2: "Reply",
    3: "Request_Reverse",
    4: "Reply_Reverse",
    5: "DRARP_Request",
    6: "DRARP_Reply",
    7: "DRARP_Error",
    8: "InARP_Request",
    9: "ARP_NAK",
}
IP_PROTOCOLS = {6: "tcp", 17: "udp", 136: "udplite", 50: "esp", 51: "ah", 1: "icmp", 2: "igmp", 132: "sctp"}
IP_PROTOCOLS[58] = "icmpv6"
STATES = [(1 << 1, "NEW"), (1 << 2, "ESTABLISHED"), (1 << 3, "RELATED"), (1 << 4, "INVALID"), (1 << 5, "NONE")]
STATE_NONE = 1 << 5
TCP_FLAGS = [(0x1, "FIN"), (0x2, "SYN"), (0x4, "RST"), (0x8, "PSH"), (0x10, "ACK"), (0x20, "URG")]
TCP_FLAG_WORDS = [*TCP_FLAGS, (0x3F, "ALL"), (0x0, "NONE")]
IPSET_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_.:-+ ")
IPSET_NAME_MAX = 31
COMMENT_MAX = 256
# A name, then nothing or ``[`` blanks, ``@`` for an iterator, strtoul's number, blanks, ``]``:
# libvirt reads no further than the ``]``.
_VARIABLE = re.compile(r"([A-Za-z0-9_]*)(?:\[[ \t\n\v\f\r]*(@?)[ \t\n\v\f\r]*([+-]?)(\d+)[ \t\n\v\f\r]*\].*)?", re.S)
MAX_ITERATOR = 1000
_HEX_NUMBER = re.compile(r"[ \t\n\v\f\r]*([+-]?)(0[xX])?([0-9a-fA-F]+)")
_DECIMAL_NUMBER = re.compile(r"[ \t\n\v\f\r]*([+-]?)()(\d+)")


@attrs.frozen
class Attr:
    """One attribute of a protocol's table: its name, the types it accepts and its special check
    and format (``special``: the name of one of the ``_SPECIALS``)."""

    name: str
    types: T
    special: str = ""


def _mac_props() -> list[Attr]:
    return [
        Attr("srcmacaddr", T.MACADDR),
        Attr("srcmacmask", T.MACMASK),
        Attr("dstmacaddr", T.MACADDR),
        Attr("dstmacmask", T.MACMASK),
    ]


COMMENT = Attr("comment", T.STRINGCOPY)


def _ip_props(addr: T, mask: T) -> list[Attr]:
    return [
        Attr("srcmacaddr", T.MACADDR),
        Attr("srcipaddr", addr),
        Attr("srcipmask", mask),
        Attr("dstipaddr", addr),
        Attr("dstipmask", mask),
        Attr("srcipfrom", addr),
        Attr("srcipto", addr),
        Attr("dstipfrom", addr),
        # libvirt reads dstipto as IPv4 even for the IPv6 protocols.
        Attr("dstipto", T.IPADDR),
        Attr("dscp", U8, "dscp"),
        Attr("connlimit-above", T.UINT16),
        Attr("state", T.STRING, "state"),
        Attr("ipset", T.IPSETNAME, "ipset"),
        Attr("ipsetflags", T.IPSETFLAGS, "ipsetflags"),
    ]


def _port_props() -> list[Attr]:
    return [Attr(name, U16) for name in ("srcportstart", "srcportend", "dstportstart", "dstportend")]


def _ip_header(addr: T, mask: T) -> list[Attr]:
    return [
        *_mac_props(),
        Attr("srcipaddr", addr),
        Attr("srcipmask", mask),
        Attr("dstipaddr", addr),
        Attr("dstipmask", mask),
        Attr("protocol", T.STRING | U8, "ipproto"),
        *_port_props(),
    ]


_ARP = [
    *_mac_props(),
    Attr("hwtype", U16),
    Attr("protocoltype", U16),
    Attr("opcode", U16 | T.STRING, "opcode"),
    Attr("arpsrcmacaddr", T.MACADDR),
    Attr("arpdstmacaddr", T.MACADDR),
    Attr("arpsrcipaddr", T.IPADDR),
    Attr("arpsrcipmask", T.IPMASK),
    Attr("arpdstipaddr", T.IPADDR),
    Attr("arpdstipmask", T.IPMASK),
    Attr("gratuitous", T.BOOLEAN),
    COMMENT,
]
_STP_FIELDS = [
    ("type", U8),
    ("flags", U8),
    ("root-priority", U16),
    ("root-priority-hi", U16),
    ("root-address", T.MACADDR),
    ("root-address-mask", T.MACMASK),
    ("root-cost", U32),
    ("root-cost-hi", U32),
    ("sender-priority", U16),
    ("sender-priority-hi", U16),
    ("sender-address", T.MACADDR),
    ("sender-address-mask", T.MACMASK),
    ("port", U16),
    ("port-hi", U16),
    ("age", U16),
    ("age-hi", U16),
    ("max-age", U16),
    ("max-age-hi", U16),
    ("hello-time", U16),
    ("hello-time-hi", U16),
    ("forward-delay", U16),
    ("forward-delay-hi", U16),
]
_ICMP_TYPE = [Attr("type", U8), Attr("code", U8)]
_V4 = (T.IPADDR, T.IPMASK)
_V6 = (T.IPV6ADDR, T.IPV6MASK)

TABLES: dict[str, list[Attr]] = {
    "arp": _ARP,
    "rarp": _ARP,
    "mac": [*_mac_props(), Attr("protocolid", U16 | T.STRING, "ethertype"), COMMENT],
    "vlan": [*_mac_props(), Attr("vlanid", U16, "vlanid"), Attr("encap-protocol", U16 | T.STRING, "encap"), COMMENT],
    "stp": [*_mac_props()[:2], *(Attr(name, types) for name, types in _STP_FIELDS), COMMENT],
    "ip": [*_ip_header(*_V4), Attr("dscp", U8, "dscp"), COMMENT],
    "ipv6": [
        *_ip_header(*_V6),
        *(Attr(name, U8) for name in ("type", "typeend", "code", "codeend")),
        COMMENT,
    ],
    "tcp": [*_ip_props(*_V4), *_port_props(), Attr("option", U8), Attr("flags", T.STRING, "tcpflags"), COMMENT],
    "udp": [*_ip_props(*_V4), *_port_props(), COMMENT],
    "udplite": [*_ip_props(*_V4), COMMENT],
    "esp": [*_ip_props(*_V4), COMMENT],
    "ah": [*_ip_props(*_V4), COMMENT],
    "sctp": [*_ip_props(*_V4), *_port_props(), COMMENT],
    "icmp": [*_ip_props(*_V4), *_ICMP_TYPE, COMMENT],
    "all": [*_ip_props(*_V4), COMMENT],
    "igmp": [*_ip_props(*_V4), COMMENT],
    "tcp-ipv6": [*_ip_props(*_V6), *_port_props(), Attr("option", U8), COMMENT],
    "udp-ipv6": [*_ip_props(*_V6), *_port_props(), COMMENT],
    "udplite-ipv6": [*_ip_props(*_V6), COMMENT],
    "esp-ipv6": [*_ip_props(*_V6), COMMENT],
    "ah-ipv6": [*_ip_props(*_V6), COMMENT],
    "sctp-ipv6": [*_ip_props(*_V6), *_port_props(), COMMENT],
    "icmpv6": [*_ip_props(*_V6), *_ICMP_TYPE, COMMENT],
    "all-ipv6": [*_ip_props(*_V6), COMMENT],
}
"""Each protocol element's attributes, in libvirt's order (which is also the output order)."""

_MAC_PAIRS = [("srcmacmask", "srcmacaddr"), ("dstmacmask", "dstmacaddr")]
_IP_PAIRS = [("srcipmask", "srcipaddr"), ("dstipmask", "dstipaddr")]
_RANGE_PAIRS = [*_IP_PAIRS, ("srcipto", "srcipfrom"), ("dstipto", "dstipfrom")]
_PORT_PAIRS = [("srcportend", "srcportstart"), ("dstportstart", "srcportstart"), ("dstportend", "srcportstart")]
_STP_PAIRS = [("srcmacmask", "srcmacaddr"), ("root-address-mask", "root-address")] + [
    (f"{name}-hi", name) for name in ("root-priority", "root-cost", "port", "age", "max-age", "hello-time")
]
NEGATION_PAIRS: dict[str, list[tuple[str, str]]] = {
    "mac": _MAC_PAIRS,
    "vlan": _MAC_PAIRS,
    "stp": [
        *_STP_PAIRS,
        ("sender-priority-hi", "sender-priority"),
        ("sender-address-mask", "sender-address"),
        ("forward-delay-hi", "forward-delay"),
    ],
    "ip": _IP_PAIRS,
    "ipv6": [*_IP_PAIRS, ("typeend", "type"), ("code", "type"), ("codeend", "type")],
    "icmp": [*_RANGE_PAIRS, ("code", "type")],
    "icmpv6": [*_RANGE_PAIRS, ("code", "type")],
}
"""(attribute, the one whose ``match='no'`` it takes) after parsing: libvirt's fixup, by protocol."""
for _name in ("tcp", "udp", "sctp", "tcp-ipv6", "udp-ipv6", "sctp-ipv6"):
    NEGATION_PAIRS[_name] = [*_RANGE_PAIRS, *_PORT_PAIRS]
for _name in ("udplite", "esp", "ah", "all", "igmp", "udplite-ipv6", "esp-ipv6", "ah-ipv6", "all-ipv6"):
    NEGATION_PAIRS[_name] = _RANGE_PAIRS
IPSET_FIXUP = frozenset(TABLES) - {"mac", "vlan", "stp", "arp", "rarp", "all", "all-ipv6"}
"""The protocols whose ipset attributes libvirt fixes up after parsing (``all`` keeps them as read)."""
PORT_PROTOCOLS = {6, 17, 33, 132}


@attrs.define
class Value:
    """One attribute's parsed value: the type that read it, the value, ``match='no'``, and the
    variable it names instead (``$IP[@1]`` -> ``IP[@1]``)."""

    type: T
    value: int | str | bool | list[str] | tuple[int, int] | None
    negated: bool = False
    variable: str | None = None


@attrs.define
class ProtocolMatch:
    """One protocol element of a rule: its name and its attributes' values."""

    protocol: str
    values: dict[str, Value] = attrs.field(factory=dict)

    def update(self, element_attrib: dict[str, str]) -> None:
        """Read ``element_attrib`` (one element's attributes) into this match, as libvirt does for
        every element of the rule's protocol: later elements add to or replace earlier values.
        Raises libvirt's error for the last attribute (in table order) with a bad value."""
        negated = element_attrib.get("match") == "no"
        bad: str | None = None
        for attr in TABLES[self.protocol]:
            text = element_attrib.get(attr.name)
            if text is None:
                continue
            value = _read(attr, text)
            if value is None:
                self.values.pop(attr.name, None)
                bad = f"{attr.name} has illegal value {text}"
                continue
            value.negated = negated
            self.values[attr.name] = value
        if bad is not None:
            raise libvirt_error(ErrorNumber.INTERNAL_ERROR, bad, ErrorDomain.NWFILTER)
        self._check_ports()

    def _check_ports(self) -> None:
        if self.protocol not in ("ip", "ipv6"):
            return
        if not any(name in self.values for name in ("srcportstart", "srcportend", "dstportstart", "dstportend")):
            return
        protocol = self.values.get("protocol")
        if protocol is None or protocol.variable is not None or protocol.value not in PORT_PROTOCOLS:
            name = "IP" if self.protocol == "ip" else "IPv6"
            detail = (
                f"{name} rule with port specification requires protocol specification with protocol"
                " to be either one of tcp(6), udp(17), dccp(33), or sctp(132)"
            )
            raise libvirt_error(ErrorNumber.INTERNAL_ERROR, detail, ErrorDomain.NWFILTER)

    def fix_up(self) -> None:
        """libvirt's pass after the rule is read: masks and range ends take their partner's
        ``match``, and the ipset attributes are defaulted or dropped."""
        for target, source in NEGATION_PAIRS.get(self.protocol, []):
            if target in self.values:
                partner = self.values.get(source)
                self.values[target].negated = partner.negated if partner is not None else False
        if self.protocol in IPSET_FIXUP:
            if "ipset" in self.values and "ipsetflags" not in self.values:
                self.values["ipsetflags"] = Value(T.IPSETFLAGS, ["src"], self.values["ipset"].negated)
            else:
                # libvirt 9.0 drops both when the flags are given too (or when only they are).
                self.values.pop("ipset", None)
                self.values.pop("ipsetflags", None)

    def to_lines(self, indent: str) -> list[str]:
        """The element(s) as libvirt writes them: attributes in table order, a new element where
        ``match`` changes between attributes."""
        lines: list[str] = []
        current: str | None = None
        shown_negated: bool | None = None
        for attr in TABLES[self.protocol]:
            value = self.values.get(attr.name)
            if value is None:
                continue
            if current is not None and shown_negated is not None and value.negated != shown_negated:
                lines.append(current + "/>")
                current, shown_negated = None, None
            if current is None:
                current = f"{indent}<{self.protocol}"
            if shown_negated is None and value.negated:
                current += " match='no'"
            shown_negated = value.negated
            current += f" {attr.name}='{_format(attr, value)}'"
        if current is not None:
            lines.append(current + "/>")
        if not lines:
            lines.append(f"{indent}<{self.protocol}/>")
        return lines


def _read(attr: Attr, text: str) -> Value | None:
    """``text`` read as libvirt reads ``attr``'s value, or None when it is illegal."""
    if text.startswith("$"):
        variable = _variable(text[1:])
        return None if variable is None else Value(T(0), None, variable=variable)
    found: tuple[T, int | str | bool] | None = None
    for kind in T:
        if not attr.types & kind:
            continue
        found = _read_as(kind, attr, text)
        if found is not None:
            break
    if found is None:
        return None
    kind, value = found
    return _check(attr, kind, value)


def _variable(text: str) -> str | None:
    match = _VARIABLE.fullmatch(text)
    if match is None or not set(match.group(1)) <= VARIABLE_NAME_CHARS:
        return None
    name, iterator, sign, digits = match.groups()
    if digits is None:
        return name
    number = int(digits)
    if number > 0xFFFFFFFF:
        return None
    if sign == "-":
        number = -number & 0xFFFFFFFF  # strtoul's wrap
    if iterator:
        if number > MAX_ITERATOR:
            return None
        return name if number == 0 else f"{name}[@{number}]"
    return f"{name}[{number}]"


def parse_unsigned(text: str, base: int) -> int | None:
    """virStrToLong_ui: strtoul's reading of the whole of ``text`` (leading blanks, a sign, ``0x``
    in base 16), within 32 bits; a negative number wraps as in C."""
    match = re.fullmatch(_HEX_NUMBER if base == 16 else _DECIMAL_NUMBER, text)
    if match is None:
        return None
    sign, _prefix, digits = match.groups()
    try:
        number = int(digits, base)
    except ValueError:
        return None
    if number > 0xFFFFFFFF:
        return None
    return (-number) & 0xFFFFFFFF if sign == "-" else number


def _ip(text: str, family: socket.AddressFamily) -> str | None:
    try:
        found = socket.getaddrinfo(text, None, family, 0, 0, socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    # Python writes the address with getnameinfo, as libvirt does (IPv6 ``::10.1.2.3`` stays so)
    return str(found[0][4][0])


def _mask_bits(text: str, family: socket.AddressFamily, width: int) -> int | None:
    number = parse_unsigned(text, 10)
    if number is not None:
        return number if number <= width else None
    address = _ip(text, family)
    if address is None:
        return None
    bits = int(ipaddress.ip_address(address))
    ones = bin(bits).count("1")
    return ones if bits == ((1 << width) - 1) ^ ((1 << (width - ones)) - 1) else None


def _read_as(kind: T, attr: Attr, text: str) -> tuple[T, int | str | bool] | None:
    if kind in _LIMITS or kind in (T.UINT32, T.UINT32_HEX):
        number = parse_unsigned(text, 16 if kind & _HEX else 10)
        if number is None or number > _LIMITS.get(kind, 0xFFFFFFFF):
            return None
        return kind, number
    if kind == T.MACADDR or kind == T.MACMASK:
        mac = parse_mac(text)
        return None if mac is None else (kind, mac)
    if kind == T.IPADDR or kind == T.IPV6ADDR:
        address = _ip(text, socket.AF_INET if kind == T.IPADDR else socket.AF_INET6)
        return None if address is None else (kind, address)
    if kind == T.IPMASK or kind == T.IPV6MASK:
        v4 = kind == T.IPMASK
        bits = _mask_bits(text, socket.AF_INET if v4 else socket.AF_INET6, 32 if v4 else 128)
        return None if bits is None else (kind, bits)
    if kind == T.STRINGCOPY:
        return kind, text[:COMMENT_MAX]
    if kind == T.BOOLEAN:
        return kind, text in ("true", "1", "yes")
    # STRING, IPSETNAME, IPSETFLAGS: the attribute's own check reads them.
    return kind, text


def _lookup(names: dict[int, str], text: str) -> int | None:
    lowered = text.lower()
    return next((number for number, name in names.items() if name.lower() == lowered), None)


def _words(table: list[tuple[int, str]], text: str, separator: str) -> int | None:
    """libvirt's reading of a list of flag words (case-insensitive prefixes, blanks or the
    separator between them); None when a word is not in ``table``."""
    flags, position = 0, 0
    while position < len(text):
        while position < len(text) and (text[position] in " \t\n\v\f\r" or text[position] == separator):
            position += 1
        if position == len(text):
            break
        for number, word in table:
            if text[position : position + len(word)].upper() == word:
                flags |= number
                position += len(word)
                break
        else:
            return None
    return flags


def _check(attr: Attr, kind: T, value: int | str | bool) -> Value | None:
    """The attribute's own check of a value read as ``kind``: a Value, or None when refused."""
    special = attr.special
    if kind == T.MACMASK:
        bits = int(str(value).replace(":", ""), 16)
        ones = bin(bits).count("1")
        return Value(kind, value) if bits == ((1 << 48) - 1) ^ ((1 << (48 - ones)) - 1) else None
    if special in ("ethertype", "encap"):
        number = _lookup(ETHER_TYPES, str(value)) if kind == T.STRING else int(str(value))
        floor = 0x600 if special == "ethertype" else 0x3C
        if number is None or (kind != T.STRING and number < floor):
            return None
        return Value(T.UINT16 if kind == T.STRING else kind, number)
    if special == "vlanid":
        return Value(kind, value) if int(str(value)) <= 4095 else None
    if special == "opcode":
        number = _lookup(ARP_OPCODES, str(value)) if kind == T.STRING else int(str(value))
        return None if number is None else Value(T.UINT16 if kind == T.STRING else kind, number)
    if special == "ipproto":
        number = _lookup(IP_PROTOCOLS, str(value)) if kind == T.STRING else int(str(value))
        return None if number is None else Value(T.UINT8_HEX if kind == T.STRING else kind, number)
    if special == "dscp":
        return Value(kind, value) if int(str(value)) <= 63 else None
    if special == "state":
        flags = _words(STATES, str(value), ",")
        if flags is None:
            return None
        return Value(T.UINT16, STATE_NONE if flags & STATE_NONE else flags)
    if special == "tcpflags":
        mask_text, slash, flags_text = str(value).partition("/")
        mask, flags = _words(TCP_FLAG_WORDS, mask_text, ","), _words(TCP_FLAG_WORDS, flags_text, ",")
        if not slash or mask is None or flags is None:
            return None
        return Value(kind, (mask & 0x3F, flags & 0x3F))
    if special == "ipset":
        name = str(value)
        if len(name) > IPSET_NAME_MAX or not set(name) <= IPSET_NAME_CHARS:
            return None
        return Value(kind, name)
    if special == "ipsetflags":
        words = str(value).split(",")
        if not 1 <= len(words) <= 6 or any(word.lower() not in ("src", "dst") for word in words):
            return None
        return Value(kind, [word.lower() for word in words])
    if kind == T.STRING:
        return None
    return Value(kind, value)


def _tcp_flags(flags: int) -> str:
    if flags == 0:
        return "NONE"
    if flags == 0x3F:
        return "ALL"
    return ",".join(word for number, word in TCP_FLAGS if flags & number)


def _format(attr: Attr, value: Value) -> str:
    if value.variable is not None:
        return "$" + value.variable
    special, kind, data = attr.special, value.type, value.value
    if special in ("ethertype", "encap", "ipproto"):
        names = IP_PROTOCOLS if special == "ipproto" else ETHER_TYPES
        number = int(str(data))
        if number in names:
            return names[number]
        return f"{number}" if kind in (T.UINT16, T.UINT8) else f"0x{number:x}"
    if special == "opcode":
        return ARP_OPCODES.get(int(str(data)), str(data))
    if special == "state":
        return ",".join(word for number, word in STATES if int(str(data)) & number)
    if special == "tcpflags" and isinstance(data, tuple):
        return f"{_tcp_flags(data[0])}/{_tcp_flags(data[1])}"
    if special == "ipsetflags" and isinstance(data, list):
        return ",".join(data)
    if kind & _HEX:
        return f"0x{int(str(data)):x}"
    if kind == T.BOOLEAN:
        return "true" if data else "false"
    return escape(str(data)) if kind == T.STRINGCOPY else str(data)
