"""The subnets of a network definition, and its DHCP ranges checked against them."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import TYPE_CHECKING

from virt.networks import errors

if TYPE_CHECKING:
    from virt.xml.network import IP, Network

Interface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
Subnet = ipaddress.IPv4Network | ipaddress.IPv6Network


def _classful_prefix(address: ipaddress.IPv4Address) -> int:
    """libvirt's prefix for an IPv4 address given without netmask or prefix: its old class's."""
    first = int(address) >> 24
    return 8 if first < 128 else 16 if first < 192 else 24


def interface(ip: IP) -> Interface:
    """The host's address on the bridge with its prefix (``192.168.122.1/24``)."""
    if ip.address is None:
        raise errors.unsupported("Missing IP address in network definition")
    try:
        address = ipaddress.ip_address(ip.address)
        if ip.prefix is not None:
            return ipaddress.ip_interface(f"{address}/{ip.prefix}")
        if ip.netmask is not None:
            return ipaddress.ip_interface(f"{address}/{ip.netmask}")
    except ValueError as exc:
        raise errors.unsupported(f"Invalid IP address or prefix in network definition: {exc}") from None
    if isinstance(address, ipaddress.IPv6Address):
        return ipaddress.IPv6Interface(f"{address}/64")
    return ipaddress.IPv4Interface(f"{address}/{_classful_prefix(address)}")


def interfaces(network: Network) -> Iterator[tuple[IP, Interface]]:
    for ip in network.ips:
        yield ip, interface(ip)


def check_ranges(network: Network) -> None:
    """Refuse DHCP ranges and static hosts outside their subnet, with libvirt's words."""
    for ip, iface in interfaces(network):
        if ip.dhcp is None:
            continue
        for rng in ip.dhcp.ranges:
            try:
                start = ipaddress.ip_address(rng.start or "")
                end = ipaddress.ip_address(rng.end or "")
            except ValueError:
                raise errors.internal(f"Invalid dhcp range '{rng.start}' to '{rng.end}' in network") from None
            if start not in iface.network or end not in iface.network:
                raise errors.internal(
                    f"range {start} - {end} is not entirely within network {iface.ip}/{iface.network.prefixlen}"
                )
            if int(start) > int(end):
                raise errors.internal(f"range {start} - {end} is reversed ")
        for host in ip.dhcp.hosts:
            if host.ip is None:
                continue
            try:
                address = ipaddress.ip_address(host.ip)
            except ValueError:
                raise errors.internal(
                    f"Invalid IP address in static host definition for network '{network.name}'"
                ) from None
            if address not in iface.network:
                raise errors.internal(
                    f"IP address '{address}' in static host definition is not within network {iface.network}"
                )


def subnets(network: Network) -> list[Subnet]:
    return [iface.network for _, iface in interfaces(network)]
