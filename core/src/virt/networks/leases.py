"""dnsmasq's lease file read as libvirt's DHCP leases (``net-dhcp-leases``).

Each line: ``EXPIRY MAC IP HOSTNAME CLIENTID`` for IPv4; after a ``duid SERVER-DUID`` line,
``EXPIRY IAID IP HOSTNAME DUID`` for IPv6; ``*`` stands for an unknown value.
"""

from __future__ import annotations

import ipaddress
import time
from pathlib import Path
from typing import TYPE_CHECKING

from virt.info import NetworkDHCPLease
from virt.networks import addresses

if TYPE_CHECKING:
    from virt.xml import Network


def _value(text: str) -> str | None:
    return None if text == "*" else text


def read(path: Path, network: Network, *, mac: str | None = None, now: float | None = None) -> list[NetworkDHCPLease]:
    """The unexpired leases in ``path`` (only ``mac``'s when given), in file order."""
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return []
    assert network.bridge is not None and network.bridge.name
    subnets = addresses.subnets(network)
    current = time.time() if now is None else now
    found: list[NetworkDHCPLease] = []
    for line in lines:
        fields = line.split()
        if len(fields) < 5 or fields[0] == "duid":
            continue
        expiry = int(fields[0])
        if expiry and expiry < current:
            continue
        try:
            address = ipaddress.ip_address(fields[2])
        except ValueError:
            continue
        prefix = next((s.prefixlen for s in subnets if address in s), 64 if address.version == 6 else 24)
        v6 = address.version == 6
        lease = NetworkDHCPLease(
            iface=network.bridge.name,
            expiry_time=expiry,
            type=int(v6),
            mac=None if v6 else fields[1],
            iaid=fields[1] if v6 else None,
            ipaddr=str(address),
            prefix=prefix,
            hostname=_value(fields[3]),
            clientid=_value(fields[4]),
        )
        if mac is None or (lease.mac or "").lower() == mac.lower():
            found.append(lease)
    return found
