"""A busybox container and the tiny QEMU guest on one NAT network, in a private network namespace.

The guest (TCG, one boot) takes a DHCP lease from the network's dnsmasq; the container, with a static
address on the same network, pings the guest's leased address and the guest answers (the
container's ARP table maps that address to the guest's MAC); ``net-dhcp-leases`` lists the guest;
destroying the domains and the network leaves no link, dnsmasq, firewall table or file.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import virt
from driver_support import wait_until
from guest import GuestImage, domain_xml
from lxc_support import domain_xml as container_xml
from lxc_support import enter, install_init
from virt.cli.main import main
from virt.testing import missing_dependency, netcheck
from virt.testing.netns import in_private_netns

GUEST_MAC = "52:54:00:5e:01:01"
NETWORK = """<network>
  <name>shared</name>
  <forward mode='nat'/>
  <bridge name='vtbr7' stp='off'/>
  <ip address='192.168.152.1' netmask='255.255.255.0'>
    <dhcp><range start='192.168.152.100' end='192.168.152.199'/></dhcp>
  </ip>
</network>
"""
CONTAINER_IP = "192.168.152.50"
INTERFACE = f"""<interface type='network'><source network='shared'/><mac address='52:54:00:aa:dd:01'/>
<ip address='{CONTAINER_IP}' prefix='24'/></interface>"""


def _console(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _virt(*argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(argv)) == 0
    return out.getvalue()


@in_private_netns
def test_container_pings_the_guest_on_one_network(
    network_root: Path, qemu_root: Path, tiny_guest: GuestImage, rootfs: Path
) -> None:
    for tool in ("dnsmasq", "nft"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            missing_dependency(f"{tool} is not installed (Debian packages dnsmasq-base, nftables)")
    install_init(rootfs)
    serial = qemu_root / "console.log"
    qemu, lxc = virt.open("qemu:///system"), virt.open("lxc:///")
    try:
        network = qemu.define_network(NETWORK)
        network.start()
        guest = qemu.create_domain(
            domain_xml("crossguest", tiny_guest, virt_type="qemu", serial_log=serial, network="shared", mac=GUEST_MAC)
        )
        # the container's driver sees the network the QEMU driver defined: one host network service
        assert lxc.lookup_network_by_name("shared").is_active()
        box = lxc.define_domain(container_xml("crossbox", rootfs, interfaces=[INTERFACE]))
        box.start()
        try:
            wait_until(lambda: tiny_guest.marker in _console(serial), 120, "the guest to boot and take a lease")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; its console:\n{_console(serial)}") from None
        lease = re.search(r"net: lease (\S+)", _console(serial))
        assert lease is not None, _console(serial)
        address = lease.group(1)

        assert enter("crossbox", "ping", "-c", "2", "-W", "5", address) == 0
        # the answer came from the guest: the container resolved the address to the guest's MAC
        assert enter("crossbox", "sh", "-c", "cat /proc/net/arp > /arp.txt") == 0
        arp = (rootfs / "arp.txt").read_text()
        assert re.search(rf"^{re.escape(address)}\s.*\s{GUEST_MAC}\s", arp, re.MULTILINE), arp

        [found] = network.dhcp_leases()
        assert (found.mac, found.ipaddr, found.hostname) == (GUEST_MAC, address, "crossguest")
        listed = _virt("-c", "qemu:///system", "net-dhcp-leases", "shared")
        assert re.search(rf"{GUEST_MAC}\s+ipv4\s+{re.escape(address)}/24\s+crossguest", listed), listed

        box.destroy()
        guest.destroy()
        network.destroy()
        network.undefine()
        assert [name for name in netcheck.links() if name != "lo"] == []
        assert netcheck.nft_tables() == []
        assert netcheck.dnsmasq_pids(network_root / "run" / "dnsmasq" / "shared.conf") == []
        assert sorted(p.name for p in (network_root / "run" / "dnsmasq").iterdir()) == []
    finally:
        lxc.close()
        qemu.close()
