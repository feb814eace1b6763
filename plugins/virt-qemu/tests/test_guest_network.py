"""The acceptance of virtual networks with a real guest (TCG), in a private network namespace.

The tiny TCG guest boots with a virtio interface on a NAT network of the host network service,
takes a DHCP lease from the network's dnsmasq with busybox udhcpc, pings the network's gateway and
resolves a name of the network's ``<dns>``; the lease shows in the network's DHCP leases and in the
guest's ``domifaddr --source lease`` and ``domhostname --source lease``. Then its
owner is SIGKILLed: the guest keeps pinging, a new owner adopts the guest and the network (the same
dnsmasq, the same firewall table), and destroying both leaves nothing: no tap, bridge, dnsmasq,
firewall table or file.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import time
from pathlib import Path

import virt
from driver_support import qemu_root_fixture, wait_until  # noqa: F401 - fixtures
from guest import GuestImage, domain_xml
from virt.domainchanges import AddressSource, DomainInterface, HostnameSource, IPAddress, IPAddressType
from virt.testing import missing_dependency, netcheck
from virt.testing.netns import in_private_netns

MAC = "52:54:00:5e:00:01"
NETWORK = """<network>
  <name>guests</name>
  <forward mode='nat'/>
  <bridge name='vtbr5' stp='off'/>
  <domain name='example.lan'/>
  <dns>
    <host ip='192.168.150.5'><hostname>web</hostname></host>
  </dns>
  <ip address='192.168.150.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.150.100' end='192.168.150.199'/>
    </dhcp>
  </ip>
</network>
"""


def _console(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _owner(serial: Path, ready: Path, guest: GuestImage) -> None:
    """The first owner: starts the network and the guest, says so, and waits to be killed."""
    try:
        conn = virt.open("qemu:///system")
        network = conn.define_network(NETWORK)
        network.start()
        xml = domain_xml("netguest", guest, virt_type="qemu", serial_log=serial, network="guests", mac=MAC,
                         lookup="web")  # fmt: skip
        conn.create_domain(xml)
        ready.write_text("started")
        time.sleep(300)
    finally:
        os._exit(1)


@in_private_netns
def test_guest_takes_a_lease_pings_resolves_and_survives_its_owner(qemu_root: Path, tiny_guest: GuestImage) -> None:
    for tool in ("dnsmasq", "nft"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            missing_dependency(f"{tool} is not installed (Debian packages dnsmasq-base, nftables)")
    network_root = Path(os.environ["VIRT_NETWORK_ROOT"])  # qemu_root's: private, past its first use
    serial, ready = qemu_root / "console.log", qemu_root / "ready"
    owner = os.fork()
    if owner == 0:
        _owner(serial, ready, tiny_guest)
    try:
        wait_until(lambda: ready.exists(), 60, "the first owner to start the guest")
        try:
            wait_until(lambda: tiny_guest.marker in _console(serial), 120, "the guest to boot and use the network")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; its console:\n{_console(serial)}") from None
        console = _console(serial)
        lease = re.search(r"net: lease (\S+)", console)
        assert lease is not None, console
        assert "net: ping ok" in console, console
        answer = console.split("net: lookup web", 1)[1].split(tiny_guest.marker, 1)[0]
        assert "192.168.150.5" in answer, console

        conf = network_root / "run" / "dnsmasq" / "guests.conf"
        [dnsmasq_pid] = netcheck.dnsmasq_pids(conf)
        table = netcheck.nft_table("virt_vtbr5")
        assert netcheck.links()["vnet0"]["master"] == "vtbr5"

        os.kill(owner, signal.SIGKILL)
        os.waitpid(owner, 0)
        pings = _console(serial).count("net: ping ok")
        wait_until(lambda: _console(serial).count("net: ping ok") >= pings + 2, 20, "the guest to keep pinging")

        with virt.open("qemu:///system") as conn:
            network = conn.lookup_network_by_name("guests")
            assert network.is_active()
            assert netcheck.dnsmasq_pids(conf) == [dnsmasq_pid] and netcheck.nft_table("virt_vtbr5") == table
            [found] = network.dhcp_leases()
            assert (found.mac, found.ipaddr, found.prefix, found.hostname) == (MAC, lease.group(1), 24, "netguest")
            domain = conn.lookup_domain_by_name("netguest")
            [port] = network.list_all_ports()  # the guest's network port, adopted with the network
            assert (port.model().owner_name, port.model().mac) == ("netguest", MAC)
            # domifaddr and domhostname from the lease, as libvirt's QEMU driver answers them
            address = IPAddress(IPAddressType.IPV4, lease.group(1), 24)
            assert domain.interface_addresses(AddressSource.LEASE) == [DomainInterface("vnet0", MAC, (address,))]
            assert domain.hostname(HostnameSource.LEASE) == "netguest"
            [iface] = domain.model().devices.interfaces  # type: ignore[union-attr]
            assert (iface.target.dev, iface.source.bridge) == ("vnet0", "vtbr5")  # type: ignore[union-attr]
            domain.destroy()
            assert "vnet0" not in netcheck.links()
            assert network.list_all_ports() == []  # given back when the guest stopped
            network.destroy()
            network.undefine()
        assert [name for name in netcheck.links() if name != "lo"] == []
        assert netcheck.nft_tables() == [] and netcheck.dnsmasq_pids(conf) == []
        assert sorted(p.name for p in (network_root / "run" / "dnsmasq").iterdir()) == []
    finally:
        with contextlib.suppress(ChildProcessError, ProcessLookupError):
            os.kill(owner, signal.SIGKILL)
            os.waitpid(owner, 0)
