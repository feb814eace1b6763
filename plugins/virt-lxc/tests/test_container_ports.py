"""A container's network port: allocated on its network while it runs (net-port-list shows it, as
libvirt's LXC driver does), given back when it stops; in a private network namespace."""

from __future__ import annotations

import shutil
from pathlib import Path

import virt
from lxc_support import domain_xml, install_init
from virt.testing import missing_dependency
from virt.testing.netns import in_private_netns

NETWORK = """<network><name>ptnet</name><forward mode='nat'/><bridge name='vtbr3' stp='off'/>
<ip address='192.168.152.1' netmask='255.255.255.0'/></network>"""
MAC = "52:54:00:aa:cc:11"
INTERFACE = f"<interface type='network'><source network='ptnet'/><mac address='{MAC}'/></interface>"


@in_private_netns
def test_running_container_has_a_port_on_its_network(lxc_root: Path, rootfs: Path) -> None:
    if shutil.which("dnsmasq") is None and not Path("/usr/sbin/dnsmasq").exists():
        missing_dependency("dnsmasq is not installed (Debian package dnsmasq-base)")
    install_init(rootfs)
    with virt.open("lxc:///") as conn:
        network = conn.define_network(NETWORK)
        network.start()
        box = conn.define_domain(domain_xml("portbox", rootfs, interfaces=[INTERFACE]))
        try:
            assert network.list_all_ports() == []
            box.start()
            [port] = network.list_all_ports()
            model = port.model()
            assert (model.owner_name, model.owner_uuid, model.mac) == ("portbox", box.uuid, MAC)
            assert (model.plug_type.value, model.plug_bridge) == ("network", "vtbr3")
            box.destroy()
            assert network.list_all_ports() == []
        finally:
            if box.is_active():
                box.destroy()
            box.undefine()
            network.destroy()
            network.undefine()
