"""``virNetworkUpdate``: add, delete and modify DHCP hosts and ranges and DNS hosts, TXT and SRV
records of a definition, with libvirt's rules and messages."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from lxml import etree

from virt.errors import ErrorNumber, VirtError
from virt.networks import errors

if TYPE_CHECKING:
    from virt.xml import Network
    from virt.xml.network import DHCP, IP, DHCPHost, DHCPRange


class Command(enum.IntEnum):
    """virNetworkUpdateCommand."""

    MODIFY = 1
    DELETE = 2
    ADD_LAST = 3
    ADD_FIRST = 4


class Section(enum.IntEnum):
    """virNetworkUpdateSection."""

    BRIDGE = 1
    DOMAIN = 2
    IP = 3
    IP_DHCP_HOST = 4
    IP_DHCP_RANGE = 5
    FORWARD = 6
    FORWARD_INTERFACE = 7
    FORWARD_PF = 8
    PORTGROUP = 9
    DNS_HOST = 10
    DNS_TXT = 11
    DNS_SRV = 12


HOST_FILE_SECTIONS = frozenset({Section.IP_DHCP_HOST, Section.DNS_HOST})
"""Sections dnsmasq reads again on SIGHUP; the others need dnsmasq restarted."""


def _unsupported(detail: str) -> VirtError:
    return errors.error(ErrorNumber.OPERATION_UNSUPPORTED, detail)


def _element(xml: str, tag: str, network: Network) -> etree._Element:
    try:
        el = etree.fromstring(xml.encode())
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(xml, exc) from None
    if el.tag != tag:
        raise errors.error(
            ErrorNumber.XML_ERROR,
            f"unexpected element <{el.tag}>, expecting <{tag}>, while updating network '{network.name}'",
        )
    return el


def _syntax_error(xml: str, exc: etree.XMLSyntaxError) -> VirtError:
    """libxml2's first complaint as libvirt words it: the document's name and line, the message, the
    line of text and a pointer under the column where the parser gave up."""
    entry = exc.error_log[0] if len(exc.error_log) else None
    line, column = (entry.line, entry.column) if entry is not None else exc.position
    message = (entry.message if entry is not None else str(exc)).strip()
    lines = xml.splitlines() or [""]
    text = lines[min(max(line, 1), len(lines)) - 1][:80]
    pointer = "-" * max(column - 1, 0) + "^"
    return errors.error(ErrorNumber.XML_DETAIL, f"network_update_xml:{line}: {message}\n{text}\n{pointer}")


def _command(value: int) -> Command:
    try:
        return Command(value)
    except ValueError:
        raise _unsupported(f"unrecognized network update command code {value}") from None


def apply(network: Network, command: int, section: int, parent_index: int, xml: str) -> None:
    """Change ``network`` in place; refused changes leave it as it was."""
    cmd = _command(command)
    try:
        what = Section(section)
    except ValueError:
        raise _unsupported("can't update unrecognized section of network") from None
    if what == Section.IP_DHCP_HOST:
        _dhcp_host(network, cmd, parent_index, _element(xml, "host", network))
    elif what == Section.IP_DHCP_RANGE:
        _dhcp_range(network, cmd, parent_index, _element(xml, "range", network))
    elif what in (Section.DNS_HOST, Section.DNS_TXT, Section.DNS_SRV):
        tag = {Section.DNS_HOST: "host", Section.DNS_TXT: "txt", Section.DNS_SRV: "srv"}[what]
        _dns_record(network, cmd, _element(xml, tag, network))
    else:
        raise errors.error(
            ErrorNumber.OPERATION_UNSUPPORTED,
            f"can't update '{what.name.lower().replace('_', '-')}' section of network '{network.name}'",
        )


def _ip_for(network: Network, parent_index: int, address: str | None) -> IP:
    """The ``<ip>`` a DHCP entry belongs to: the ``parent_index``th, else the first of the
    entry's address family with DHCP, else the first IPv4 one (as libvirt)."""
    if parent_index >= 0:
        if parent_index >= len(network.ips):
            raise errors.invalid(
                f"couldn't update dhcp host entry - no <ip> element found at index {parent_index} "
                f"in network '{network.name}'"
            )
        return network.ips[parent_index]
    family = "ipv6" if address and ":" in address else "ipv4"
    candidates = [
        ip for ip in network.ips if (ip.family or ("ipv6" if ":" in (ip.address or "") else "ipv4")) == family
    ]
    with_dhcp = [ip for ip in candidates if ip.dhcp is not None]
    if with_dhcp or candidates:
        return (with_dhcp or candidates)[0]
    raise errors.invalid(
        f"can't update 'ip' section of network '{network.name}' - no {family.upper().replace('V', 'v')} address found"
    )


def _dhcp(ip: IP) -> DHCP:
    from virt.xml.network import DHCP

    if ip.dhcp is None:
        ip.dhcp = DHCP()
    return ip.dhcp


def _host_text(host: DHCPHost) -> str:
    attrs = [f"{k}='{v}'" for k, v in (("mac", host.mac), ("id", host.id), ("name", host.name), ("ip", host.ip)) if v]
    return f"<host {' '.join(attrs)}/>"


def _dhcp_host(network: Network, cmd: Command, parent_index: int, el: etree._Element) -> None:
    from virt.xml.network import DHCPHost

    host = DHCPHost.from_element(el)
    dhcp = _dhcp(_ip_for(network, parent_index, host.ip))
    if cmd == Command.MODIFY:
        for i, existing in enumerate(dhcp.hosts):
            if (host.mac and existing.mac == host.mac) or (host.id and existing.id == host.id):
                dhcp.hosts[i] = host
                return
        key = f"mac='{host.mac}'" if host.mac else f"id='{host.id}'"
        raise errors.invalid(f"couldn't locate an existing dhcp host entry with \"{key}\" in network '{network.name}'")
    if cmd == Command.DELETE:
        for i, existing in enumerate(dhcp.hosts):
            if all(getattr(host, f) in (None, getattr(existing, f)) for f in ("mac", "id", "name", "ip")):
                del dhcp.hosts[i]
                return
        raise errors.invalid(f"couldn't locate a matching dhcp host entry in network '{network.name}'")
    for existing in dhcp.hosts:
        if any(
            getattr(host, f) is not None and getattr(host, f) == getattr(existing, f)
            for f in ("mac", "id", "name", "ip")
        ):
            raise errors.invalid(
                f"there is an existing dhcp host entry in network '{network.name}' that matches \"{_host_text(host)}\""
            )
    dhcp.hosts.insert(0 if cmd == Command.ADD_FIRST else len(dhcp.hosts), host)


def _dhcp_range(network: Network, cmd: Command, parent_index: int, el: etree._Element) -> None:
    from virt.xml.network import DHCPRange

    rng: DHCPRange = DHCPRange.from_element(el)
    dhcp = _dhcp(_ip_for(network, parent_index, rng.start))
    text = f"<range start='{rng.start}' end='{rng.end}'/>"
    same = [i for i, r in enumerate(dhcp.ranges) if (r.start, r.end) == (rng.start, rng.end)]
    if cmd == Command.MODIFY:
        raise _unsupported("dhcp ranges cannot be modified, only added or deleted")
    if cmd == Command.DELETE:
        if not same:
            raise errors.invalid(f"couldn't locate a matching dhcp range entry in network '{network.name}'")
        del dhcp.ranges[same[0]]
        return
    if same:
        raise errors.invalid(
            f"there is an existing dhcp range entry in network '{network.name}' that matches \"{text}\""
        )
    dhcp.ranges.insert(0 if cmd == Command.ADD_FIRST else len(dhcp.ranges), rng)


_DNS_LABELS = {"host": "HOST", "txt": "TXT", "srv": "SRV"}
_DNS_ORDER = ("forwarder", "txt", "host", "srv")  # libvirt writes <dns>'s children in this order


def _dns_key(el: etree._Element) -> tuple[str, ...]:
    if el.tag == "host":
        return (el.get("ip", ""),)
    if el.tag == "txt":
        return (el.get("name", ""),)
    return tuple(el.get(a, "") for a in ("service", "protocol", "domain", "target"))


def _dns_record(network: Network, cmd: Command, el: etree._Element) -> None:
    label = _DNS_LABELS[el.tag]
    if cmd == Command.MODIFY:
        raise _unsupported(f"DNS {label} records cannot be modified, only added or deleted")
    dns = network.dns
    existing = [e for e in (dns.findall(el.tag) if dns is not None else []) if _dns_key(e) == _dns_key(el)]
    if cmd == Command.DELETE:
        if not existing or dns is None:
            raise errors.invalid(f"couldn't locate a matching DNS {label} record in network {network.name}")
        dns.remove(existing[0])
        if len(dns) == 0 and not dns.attrib:
            network.dns = None
        return
    if existing:
        raise errors.invalid(
            f"there is already at least one DNS {label} record with a matching field in network {network.name}"
        )
    if dns is None:
        dns = network.dns = etree.Element("dns")
    el.tail = None
    same = dns.findall(el.tag)
    if same and cmd == Command.ADD_FIRST:
        same[0].addprevious(el)
    elif same:
        same[-1].addnext(el)
    else:
        # after the kinds libvirt writes before this one
        before = [c for c in dns if c.tag in _DNS_ORDER[: _DNS_ORDER.index(el.tag)]]
        if before:
            before[-1].addnext(el)
        else:
            dns.insert(0, el)
