"""The host network service on real bridges, nftables and dnsmasq, each test in its own network
namespace (``in_private_netns``): nothing here touches the host's links or firewall."""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import netcheck
import pytest
from virt.errors import VirtError
from virt.info import ObjectFilter
from virt.networks.paths import NetworkPaths
from virt.networks.service import NetworkService
from virt.testing import missing_dependency
from virt.testing.netns import in_private_netns
from virt.xml import Network

NAT = """<network>
  <name>nat1</name>
  <forward mode='nat'/>
  <bridge name='vtbr1' stp='off'/>
  <domain name='example.lan'/>
  <dns>
    <txt name='info' value='hello'/>
    <host ip='192.168.150.5'><hostname>web</hostname></host>
  </dns>
  <ip address='192.168.150.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.150.100' end='192.168.150.199'/>
      <host mac='52:54:00:00:00:01' name='g1' ip='192.168.150.10'/>
    </dhcp>
  </ip>
</network>
"""


@pytest.fixture(autouse=True)
def _tools() -> None:
    for tool in ("dnsmasq", "nft"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            missing_dependency(f"{tool} is not installed (Debian packages dnsmasq-base, nftables)")


@pytest.fixture
def root() -> Iterator[Path]:
    """The service's folders, where dnsmasq (which drops root for 'nobody') can read its host files:
    pytest's root is private to root."""
    folder = Path(tempfile.mkdtemp(prefix="virt-networks-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def service(root: Path) -> NetworkService:
    return NetworkService(NetworkPaths(root / "state", root / "run"))


def no_default(root: Path) -> None:
    """Make the service's folders so that its first use is over (no ``default`` network)."""
    (root / "state" / "networks").mkdir(parents=True)


def remains(svc: NetworkService, name: str, bridge: str) -> list[str]:
    """What is left on the host of network ``name`` after it stopped."""
    left = []
    if bridge in netcheck.links():
        left.append(f"link {bridge}")
    left += [t for t in netcheck.nft_tables() if bridge in t]
    files = svc.files(name)
    left += [f"dnsmasq {pid}" for pid in netcheck.dnsmasq_pids(files.conf)]
    left += [str(p) for p in files.all() if p.exists()]
    if svc.paths.status_file(name).exists():
        left.append("status file")
    return left


@in_private_netns
def test_nat_network_serves_dhcp_config_and_dns_then_leaves_nothing(root: Path) -> None:
    no_default(root)
    svc = service(root)
    svc.define(Network.from_xml(NAT))
    svc.start("nat1")
    live = svc.definition("nat1", inactive=False)
    assert live.forward is not None and live.forward.nat is not None  # libvirt's live <nat><port>
    assert netcheck.addresses("vtbr1") == ["192.168.150.1/24"]
    link = netcheck.links()["vtbr1"]
    assert link["address"] == live.mac.address if live.mac else False
    table = netcheck.nft_table("virt_vtbr1")
    assert "masquerade to :1024-65535" in table and 'iifname "vtbr1" reject' in table
    assert Path("/proc/sys/net/ipv4/ip_forward").read_text().strip() == "1"
    files = svc.files("nat1")
    assert len(netcheck.dnsmasq_pids(files.conf)) == 1
    assert files.hostsfile.read_text() == "52:54:00:00:00:01,192.168.150.10,g1\n"
    # a stand-in guest on the bridge: the real dnsmasq gives it a lease and answers the <dns>
    peer = netcheck.Peer("vtbr1", "52:54:00:aa:00:01")
    try:
        address = peer.dhcp("peer1")
        assert 100 <= int(ipaddress.ip_address(address)) - int(ipaddress.ip_address("192.168.150.0")) <= 199
        assert peer.call(netcheck.dig, "192.168.150.1", "web") == [socket.inet_aton("192.168.150.5")]
        assert peer.call(netcheck.dig, "192.168.150.1", "web.example.lan") == [socket.inet_aton("192.168.150.5")]
        assert peer.call(netcheck.dig, "192.168.150.1", "info", 16) == [b"\x05hello"]
        [lease] = svc.dhcp_leases("nat1", None)
        assert (lease.iface, lease.mac, lease.ipaddr, lease.prefix, lease.hostname) == (
            "vtbr1",
            "52:54:00:aa:00:01",
            address,
            24,
            "peer1",
        )
        assert lease.expiry_time > time.time() and svc.dhcp_leases("nat1", "52:54:00:aa:00:02") == []
    finally:
        peer.close()
    svc.destroy("nat1")
    assert remains(svc, "nat1", "vtbr1") == []
    assert not svc.networks["nat1"].active
    svc.close()


@in_private_netns
def test_owner_sigkill_then_adoption_keeps_dnsmasq_and_rules(root: Path) -> None:
    no_default(root)
    owner = os.fork()
    if owner == 0:  # an owner that starts the network and is killed while holding it
        try:
            svc = service(root)
            svc.define(Network.from_xml(NAT))
            svc.start("nat1")
            (root / "started").write_text("")
            time.sleep(60)
        finally:
            os._exit(1)
    deadline = time.monotonic() + 20
    while not (root / "started").exists():
        assert time.monotonic() < deadline, "the owner did not start the network"
        time.sleep(0.02)
    files_pid = (root / "run" / "dnsmasq" / "nat1.pid").read_text().strip()
    table_before = netcheck.nft_table("virt_vtbr1")
    os.kill(owner, signal.SIGKILL)
    os.waitpid(owner, 0)
    svc = service(root)
    assert svc.networks["nat1"].active
    assert netcheck.dnsmasq_pids(svc.files("nat1").conf) == [int(files_pid)]
    assert netcheck.nft_table("virt_vtbr1") == table_before
    assert svc.definition("nat1", inactive=True).forward.nat is None  # type: ignore[union-attr]
    svc.destroy("nat1")
    assert remains(svc, "nat1", "vtbr1") == []
    svc.close()


@in_private_netns
def test_adoption_of_a_network_whose_bridge_vanished_cleans_the_rest(root: Path) -> None:
    no_default(root)
    svc = service(root)
    svc.define(Network.from_xml(NAT))
    svc.start("nat1")
    svc.close()
    os.system("ip link del vtbr1")
    svc = service(root)
    assert not svc.networks["nat1"].active
    assert remains(svc, "nat1", "vtbr1") == []
    svc.close()


@in_private_netns
def test_refusals_happen_before_anything_is_made(root: Path) -> None:
    no_default(root)
    svc = service(root)
    outside = NAT.replace("192.168.150.100", "192.168.1.100").replace("nat1", "bad")
    with pytest.raises(VirtError) as refused:
        svc.define(Network.from_xml(outside))
    # libvirt 9.0's words (test_network_virsh compares them with libvirtd's)
    assert str(refused.value) == (
        "internal error: range 192.168.1.100 - 192.168.150.199 is not entirely within network 192.168.150.1/24"
    )
    svc.define(Network.from_xml(NAT))
    clash = "<network><name>other</name><bridge name='vtbr1'/><ip address='10.9.0.1' prefix='24'/></network>"
    with pytest.raises(VirtError, match=r"^internal error: bridge name 'vtbr1' already in use\.$"):
        svc.define(Network.from_xml(clash))
    # a subnet some interface of the host routes already
    os.system(
        "ip link add dum0 type veth peer name dum0p && ip addr add 192.168.150.7/24 dev dum0 && ip link set dum0 up"
    )
    with pytest.raises(VirtError, match=r"^internal error: Network is already in use by interface dum0$"):
        svc.start("nat1")
    assert remains(svc, "nat1", "vtbr1") == []
    os.system("ip link del dum0 && ip link add vtbr1 type bridge")
    with pytest.raises(VirtError, match=r"^error creating bridge interface vtbr1: File exists$"):
        svc.start("nat1")
    assert netcheck.nft_tables() == [] and netcheck.dnsmasq_pids(svc.files("nat1").conf) == []
    assert not svc.networks["nat1"].active
    svc.close()


@in_private_netns
def test_forward_modes(root: Path) -> None:
    no_default(root)
    svc = service(root)
    for number, mode in enumerate(("", "<forward mode='route'/>", "<forward mode='open'/>")):
        svc.define(
            Network.from_xml(
                f"<network><name>m{number}</name>{mode}<ip address='10.{number}.0.1' prefix='24'>"
                f"<dhcp><range start='10.{number}.0.10' end='10.{number}.0.20'/></dhcp></ip></network>"
            )
        )
        svc.start(f"m{number}")
    bridges = {name: svc.definition(name, inactive=False).bridge.name for name in ("m0", "m1", "m2")}  # type: ignore[union-attr]
    assert bridges == {"m0": "virbr1", "m1": "virbr2", "m2": "virbr3"}  # libvirt leaves virbr0 to 'default'
    isolated, routed = netcheck.nft_table("virt_virbr1"), netcheck.nft_table("virt_virbr2")
    assert "masquerade" not in isolated and "ip saddr 10.0.0.0/24 accept" not in isolated
    assert 'oifname "virbr2" ip daddr 10.1.0.0/24 accept' in routed
    assert "inet virt_virbr3" not in netcheck.nft_tables()  # open: no firewall at all
    assert "dhcp-option=3\n" in svc.files("m0").conf.read_text()  # isolated: no default route offered
    os.system("ip link add hostbr type bridge")
    svc.define(Network.from_xml("<network><name>hb</name><forward mode='bridge'/><bridge name='hostbr'/></network>"))
    svc.start("hb")
    assert svc.networks["hb"].active and netcheck.dnsmasq_pids(svc.files("hb").conf) == []
    for name in ("m0", "m1", "m2", "hb"):
        svc.destroy(name)
    assert netcheck.nft_tables() == []
    assert set(netcheck.links()) == {"lo", "hostbr"}  # a host bridge is the host's: left alone
    svc.close()


@in_private_netns
def test_default_network_on_first_use_takes_the_next_free_subnet(root: Path) -> None:
    os.system(
        "ip link add dum0 type veth peer name dum0p && ip addr add 192.168.122.5/24 dev dum0 && ip link set dum0 up"
    )
    svc = service(root)
    default = svc.networks["default"]
    assert default.autostart and default.persistent and default.active
    ip = svc.definition("default", inactive=True).ips[0]
    assert (ip.address, ip.netmask) == ("192.168.123.1", "255.255.255.0")
    assert netcheck.addresses("virbr0") == ["192.168.123.1/24"]
    svc.destroy("default")
    svc.close()
    # not on later uses: the default network stays as the user left it, autostart included
    svc = service(root)
    assert svc.networks["default"].active  # autostarted again
    svc.set_autostart("default", False)
    svc.destroy("default")
    svc.undefine("default")
    svc.close()
    svc = service(root)
    assert svc.networks == {}
    svc.close()


@in_private_netns
def test_live_update_of_dhcp_hosts_and_dns_keeps_dnsmasq(root: Path) -> None:
    no_default(root)
    svc = service(root)
    svc.define(Network.from_xml(NAT))
    svc.start("nat1")
    files = svc.files("nat1")
    [pid] = netcheck.dnsmasq_pids(files.conf)
    svc.update("nat1", 3, 4, -1, "<host mac='52:54:00:00:00:02' name='g2' ip='192.168.150.11'/>", 3)
    svc.update("nat1", 3, 10, -1, "<host ip='192.168.150.6'><hostname>db</hostname></host>", 3)
    assert "52:54:00:00:00:02,192.168.150.11,g2" in files.hostsfile.read_text()
    assert netcheck.dnsmasq_pids(files.conf) == [pid]  # reloaded, not restarted
    deadline = time.monotonic() + 5
    while netcheck.dig("192.168.150.1", "db") != [socket.inet_aton("192.168.150.6")]:
        assert time.monotonic() < deadline, "dnsmasq never answered the added DNS host"
        time.sleep(0.05)
    for inactive in (True, False):
        hosts = svc.definition("nat1", inactive=inactive).ips[0].dhcp.hosts  # type: ignore[union-attr]
        assert [h.name for h in hosts] == ["g1", "g2"]
    with pytest.raises(VirtError, match="there is an existing dhcp host entry in network 'nat1' that matches"):
        svc.update("nat1", 3, 4, -1, "<host mac='52:54:00:00:00:02' name='g3' ip='192.168.150.12'/>", 1)
    svc.update("nat1", 2, 4, -1, "<host mac='52:54:00:00:00:02'/>", 1)
    assert "g2" not in files.hostsfile.read_text()
    assert [h.name for h in svc.definition("nat1", inactive=True).ips[0].dhcp.hosts] == ["g1", "g2"]  # type: ignore[union-attr]
    svc.update("nat1", 3, 11, -1, "<txt name='more' value='text'/>", 1)  # needs a dnsmasq restart
    assert netcheck.dig("192.168.150.1", "more", 16) == [b"\x04text"]
    svc.destroy("nat1")
    svc.close()


@in_private_netns
def test_transient_networks_and_lookups(root: Path) -> None:
    no_default(root)
    svc = service(root)
    obj = svc.create(Network.from_xml(NAT.replace("nat1", "tr")))
    assert obj.active and not obj.persistent
    assert [o.name for o in svc.listing(ObjectFilter(persistent=False))] == ["tr"]
    assert svc.by_uuid(obj.uuid) is obj
    with pytest.raises(
        VirtError, match=r"^Requested operation is not valid: cannot set autostart for transient network$"
    ):
        svc.set_autostart("tr", True)
    with pytest.raises(VirtError, match=r"^Requested operation is not valid: network is already active$"):
        svc.start("tr")
    svc.destroy("tr")
    assert "tr" not in svc.networks
    with pytest.raises(VirtError, match=r"^Network not found: no network with matching name 'tr'$"):
        svc.destroy("tr")
    svc.close()
