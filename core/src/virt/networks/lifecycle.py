"""Starting, stopping and adopting the host pieces of one network: bridge, firewall table, dnsmasq.

Every check that can refuse a start (bridge already there, subnet routed elsewhere, unsupported
mode) runs before anything is made; a failure half-way removes what was made, last first.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from lxml import etree

from virt.networks import addresses, dnsmasq, errors, firewall, hostnet
from virt.networks.prepare import check_startable, mode_of

if TYPE_CHECKING:
    from virt.networks.dnsmasq import DnsmasqFiles
    from virt.xml import Network

log = logging.getLogger(__name__)


def live_definition(definition: Network) -> Network:
    """The definition as an active network describes itself: NAT shows its port range (as libvirt)."""
    live = copy.deepcopy(definition)
    if live.forward is not None and live.forward.mode == "nat" and live.forward.nat is None:
        nat = etree.Element("nat")
        etree.SubElement(nat, "port", start="1024", end="65535")
        live.forward.nat = nat
    return live


def _forward_dev(network: Network) -> str | None:
    return network.forward.dev if network.forward is not None else None


def _needs_firewall(network: Network) -> bool:
    return network.has_managed_bridge and mode_of(network) != "open"


def start(network: Network, files: DnsmasqFiles) -> None:
    """Make the network's bridge, firewall table and dnsmasq; nothing for a host bridge network."""
    check_startable(network)
    if not network.has_managed_bridge:
        return  # forward mode 'bridge': guests join a bridge the host already has
    assert network.bridge is not None and network.bridge.name
    bridge = network.bridge.name
    if hostnet.link_exists(bridge):
        raise errors.system(f"error creating bridge interface {bridge}: File exists")
    found = list(addresses.interfaces(network))
    subnets = [iface.network for _, iface in found]
    hostnet.check_route_collision(subnets)
    undo: list[Callable[[], None]] = []
    try:
        hostnet.create_bridge(
            bridge,
            mac=network.mac.address if network.mac is not None else None,
            stp=network.bridge.stp is not False,
            delay=network.bridge.delay or 0,
            mtu=_mtu(network),
            addresses=[iface for _, iface in found],
        )
        undo.append(lambda: hostnet.delete_link(bridge))
        mode = mode_of(network)
        if mode in ("nat", "route"):
            hostnet.set_forwarding(any(s.version == 4 for s in subnets), any(s.version == 6 for s in subnets))
        if _needs_firewall(network):
            firewall.apply(bridge, mode or "none", subnets, forward_dev=_forward_dev(network))
            undo.append(lambda: firewall.remove(bridge))
        if dnsmasq.needed(network):
            undo.append(lambda: _stop_dnsmasq(files))
            dnsmasq.start(network, files)
    except BaseException:
        for step in reversed(undo):
            try:
                step()
            except Exception:  # the first error is the one to report
                log.exception("cleaning up after a failed start of network %s", network.name)
        raise


def _mtu(network: Network) -> int | None:
    if network.mtu is None:
        return None
    size = network.mtu.get("size")
    return int(size) if size and size.isdigit() else None


def _stop_dnsmasq(files: DnsmasqFiles) -> None:
    dnsmasq.stop(files)
    dnsmasq.remove_files(files)


def stop(network: Network, files: DnsmasqFiles) -> None:
    """Remove everything ``start`` made (also what a failed or interrupted start left)."""
    _stop_dnsmasq(files)
    if not network.has_managed_bridge:
        return
    assert network.bridge is not None and network.bridge.name
    if _needs_firewall(network):
        firewall.remove(network.bridge.name)
    hostnet.delete_link(network.bridge.name)


def adopt(network: Network, files: DnsmasqFiles) -> bool:
    """Take back a network an earlier owner started, cutting nothing: True when its bridge is
    there (a missing dnsmasq or firewall table is remade); False, with its remains removed, when not."""
    if not network.has_managed_bridge:
        return True
    assert network.bridge is not None and network.bridge.name
    if not hostnet.link_exists(network.bridge.name):
        stop(network, files)
        return False
    if _needs_firewall(network) and not firewall.exists(network.bridge.name):
        log.warning("network %s: its firewall table was gone, adding it again", network.name)
        firewall.apply(
            network.bridge.name,
            mode_of(network) or "none",
            addresses.subnets(network),
            forward_dev=_forward_dev(network),
        )
    if dnsmasq.needed(network) and dnsmasq.running_pid(files) is None:
        log.warning("network %s: its dnsmasq was not running, starting it again", network.name)
        dnsmasq.start(network, files)
    return True
