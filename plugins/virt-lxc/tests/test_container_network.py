"""A busybox container on a virtual network of the host network service, in a private network
namespace: its veth joins the network's bridge, it reaches the network's gateway and a stand-in
guest that took a DHCP lease from the network's dnsmasq; a network that does not run is refused
with libvirt's error; stopping leaves no veth."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import virt
from lxc_support import domain_xml, enter, install_init
from virt.errors import VirtError
from virt.testing import missing_dependency
from virt.testing.netns import in_private_netns

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "core" / "tests" / "networks"))
import netcheck

NETWORK = """<network>
  <name>ctnet</name>
  <forward mode='nat'/>
  <bridge name='vtbr4' stp='off'/>
  <ip address='192.168.151.1' netmask='255.255.255.0'>
    <dhcp><range start='192.168.151.100' end='192.168.151.199'/></dhcp>
  </ip>
</network>
"""
INTERFACE = """<interface type='network'><source network='ctnet'/><mac address='52:54:00:aa:cc:01'/>
<ip address='192.168.151.50' prefix='24'/></interface>"""


@in_private_netns
def test_container_on_a_network_reaches_its_gateway_and_a_guest(lxc_root: Path, rootfs: Path) -> None:
    if shutil.which("dnsmasq") is None and not Path("/usr/sbin/dnsmasq").exists():
        missing_dependency("dnsmasq is not installed (Debian package dnsmasq-base)")
    # lxc_root's VIRT_NETWORK_ROOT: private, past the network service's first use
    install_init(rootfs)
    conn = virt.open("lxc:///")
    peer = None
    try:
        network = conn.define_network(NETWORK)
        box = conn.define_domain(domain_xml("netbox", rootfs, interfaces=[INTERFACE]))
        with pytest.raises(VirtError, match=r"^Requested operation is not valid: network 'ctnet' is not active$"):
            box.start()
        network.start()
        box.start()
        [iface] = box.model().devices.interfaces  # type: ignore[union-attr]
        veth = iface.target.dev  # type: ignore[union-attr]
        assert veth is not None and netcheck.links()[veth]["master"] == "vtbr4"
        peer = netcheck.Peer("vtbr4", "52:54:00:aa:cc:02")
        guest = peer.dhcp("standin")
        assert enter("netbox", "ping", "-c", "1", "-W", "5", "192.168.151.1") == 0
        assert enter("netbox", "ping", "-c", "1", "-W", "5", guest) == 0
        box.destroy()
        assert veth not in netcheck.links()
        network.destroy()
        assert [name for name in netcheck.links() if name not in ("lo", "vpeer0")] == []
    finally:
        if peer is not None:
            peer.close()
        conn.close()
