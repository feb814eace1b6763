"""The ``default`` network as libvirt ships it: NAT with DHCP on virbr0, 192.168.122.0/24 unless
that subnet is taken (by a route of the host or another network), then the next free /24."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

from virt.networks import addresses, hostnet

if TYPE_CHECKING:
    from virt.xml import Network

_TEMPLATE = """<network>
  <name>default</name>
  <bridge name='virbr0'/>
  <forward/>
  <ip address='192.168.{n}.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.{n}.2' end='192.168.{n}.254'/>
    </dhcp>
  </ip>
</network>
"""


def _taken(others: Iterable[Network]) -> set[addresses.Subnet]:
    taken: set[addresses.Subnet] = set()
    for other in others:
        taken.update(addresses.subnets(other))
    for _, routed in hostnet.routes():
        taken.add(routed)
    return taken


def default_network(others: Iterable[Network]) -> Network:
    from virt.xml import Network

    taken = _taken(others)
    for n in range(122, 255):
        subnet = ipaddress.IPv4Network(f"192.168.{n}.0/24")
        if not any(subnet.overlaps(t) for t in taken if t.version == 4):
            return Network.from_xml(_TEMPLATE.format(n=n))
    return Network.from_xml(_TEMPLATE.format(n=122))  # everything taken: start will name the collision
