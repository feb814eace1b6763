"""Stock virsh's net-* commands through virtd (its host network service) and against libvirt 9.0's
own network driver, for the same networks: the same output, errors and exit status.

Each daemon runs in a network namespace of its own (``call_in_new_netns``), so both make the
same bridges and subnets, and neither touches the host's links or firewall. A stand-in guest (a
veth on the bridge with a small DHCP client) takes a real lease in each, for net-dhcp-leases.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from daemon_support import private_qemu_root, qemu_uri, virtd_serving
from virsh_support import Outcome
from virt.networkevents import NetworkEvent, NetworkEventType
from virt.testing import VIRSH, missing_dependency, start_libvirtd
from virt.testing.netns import call_in_new_netns

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "core" / "tests" / "networks"))
import netcheck

UUID = "6a52a9b4-0b7c-4a34-8d0c-2f6b5ba0a001"
NAT = f"""<network>
  <name>n1</name>
  <uuid>{UUID}</uuid>
  <forward mode='nat'/>
  <bridge name='vtbr7' stp='off'/>
  <mac address='52:54:00:a4:e1:91'/>
  <domain name='example.lan'/>
  <dns>
    <host ip='192.168.100.5'><hostname>web</hostname></host>
  </dns>
  <ip address='192.168.100.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.100.2' end='192.168.100.254'/>
      <host mac='52:54:00:00:00:01' name='g1' ip='192.168.100.10'/>
    </dhcp>
  </ip>
</network>
"""
ISOLATED = """<network><name>iso</name><uuid>6a52a9b4-0b7c-4a34-8d0c-2f6b5ba0a002</uuid>
<bridge name='vtbr8'/><mac address='52:54:00:96:68:21'/><ip address='192.168.103.1' prefix='24'/></network>"""
TRANSIENT = """<network><name>tr</name><uuid>6a52a9b4-0b7c-4a34-8d0c-2f6b5ba0a003</uuid>
<forward mode='route'/><bridge name='vtbr9'/><mac address='52:54:00:96:68:22'/>
<ip address='10.77.0.1' prefix='16'/></network>"""
OUTSIDE = """<network><name>bad</name><ip address='192.168.101.1' netmask='255.255.255.0'>
<dhcp><range start='192.168.1.2' end='192.168.1.254'/></dhcp></ip></network>"""
SAME_BRIDGE = "<network><name>br</name><bridge name='vtbr7'/><ip address='192.168.102.1' prefix='24'/></network>"
OVERLAP = "<network><name>ov</name><uuid>6a52a9b4-0b7c-4a34-8d0c-2f6b5ba0a004</uuid><bridge name='vtbr6'/><ip address='192.168.100.7' prefix='24'/></network>"
FILES = {"n1.xml": NAT, "iso.xml": ISOLATED, "tr.xml": TRANSIENT, "bad.xml": OUTSIDE, "br.xml": SAME_BRIDGE,
         "ov.xml": OVERLAP}  # fmt: skip

SCRIPT: list[tuple[str, ...]] = [
    ("net-define", "{dir}/n1.xml"),
    ("net-define", "{dir}/iso.xml"),
    ("net-define", "{dir}/bad.xml"),
    ("net-define", "{dir}/br.xml"),
    ("net-define", "{dir}/ov.xml"),
    ("net-list", "--all"),
    ("net-dumpxml", "n1"),
    ("net-dumpxml", "iso"),
    ("net-start", "n1"),
    ("net-start", "n1"),
    ("net-start", "ov"),
    ("net-start", "iso"),
    ("net-info", "n1"),
    ("net-dumpxml", "n1"),
    ("net-dumpxml", "--inactive", "n1"),
    ("net-uuid", "n1"),
    ("net-name", UUID),
    ("net-name", "00000000-0000-0000-0000-000000000000"),
    ("net-autostart", "iso"),
    ("net-list", "--autostart"),
    ("net-list", "--all", "--no-autostart"),
    ("net-list", "--inactive"),
    ("net-list", "--name"),
    ("net-list", "--uuid", "--all"),
    ("net-update", "n1", "add", "ip-dhcp-host", "<host mac='52:54:00:00:00:02' name='g2' ip='192.168.100.11'/>",
     "--live", "--config"),
    ("net-update", "n1", "add", "ip-dhcp-host", "<host mac='52:54:00:00:00:02' name='g3' ip='192.168.100.12'/>",
     "--live"),
    ("net-update", "n1", "add-first", "dns-host", "<host ip='192.168.100.6'><hostname>db</hostname></host>", "--live"),
    ("net-update", "n1", "delete", "ip-dhcp-host", "<host mac='52:54:00:00:00:01'/>", "--config"),
    ("net-update", "n1", "modify", "dns-host", "<host ip='192.168.100.6'><hostname>db</hostname></host>"),
    ("net-dumpxml", "n1"),
    ("net-dumpxml", "--inactive", "n1"),
    ("LEASE", "52:54:00:00:00:02", "peer2"),
    ("net-dhcp-leases", "n1"),
    ("net-dhcp-leases", "n1", "--mac", "52:54:00:00:00:02"),
    ("net-dhcp-leases", "n1", "--mac", "52:54:00:00:00:99"),
    ("net-create", "{dir}/tr.xml"),
    ("net-list", "--transient"),
    ("net-info", "tr"),
    ("net-autostart", "tr"),
    ("net-undefine", "iso"),
    ("net-list", "--all"),
    ("net-destroy", "tr"),
    ("net-destroy", "n1"),
    ("net-destroy", "n1"),
    ("net-destroy", "iso"),
    ("net-undefine", "n1"),
    ("net-undefine", "nope"),
    ("net-undefine", "ov"),
    ("net-list", "--all"),
]  # fmt: skip


def _lease_time(text: str) -> str:
    """Expiry times differ by the second the lease was taken."""
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "EXPIRY", text)


VIRT = str(Path(sys.executable).parent / "virt")


def run_script(uri: str, folder: Path, client: str = VIRSH) -> list[str]:
    """Every command's exit status and output (after a LEASE step: a stand-in guest's lease), then
    the lifecycle events stock virsh's ``net-event --loop`` saw meanwhile."""
    results = []
    peers = []
    watcher = subprocess.Popen(
        [VIRSH, "-c", uri, "net-event", "--loop", "--event", "lifecycle"], stdout=subprocess.PIPE, text=True
    )
    time.sleep(1)  # until it has registered (nothing to poll for: it prints only events)
    try:
        for step in SCRIPT:
            if step[0] == "LEASE":
                peer = netcheck.Peer("vtbr7", step[1])
                peers.append(peer)
                results.append(f"LEASE {peer.dhcp(step[2])}")
                continue
            args = [a.format(dir=folder) for a in step]
            done = subprocess.run([client, "-c", uri, *args], capture_output=True, text=True, timeout=60, check=False)
            outcome = Outcome(done.returncode, done.stdout, done.stderr)
            results.append(f"$ virsh {' '.join(step)}\n[{outcome.code}]\n{_lease_time(outcome.stdout)}{outcome.stderr}")
    finally:
        for peer in peers:
            peer.close()
        time.sleep(0.5)  # the last events on their way
        watcher.send_signal(signal.SIGINT)
        events, _ = watcher.communicate(timeout=10)
    results.append(f"events:\n{events}")
    left = [name for name in netcheck.links() if name != "lo" and not name.startswith("vpeer")]
    results.append(f"links left: {left}; firewall tables left: {netcheck.nft_tables()}")
    return results


def _with_libvirtd(folder: Path) -> list[str]:
    with start_libvirtd(drivers=("network",)) as daemon:
        return run_script(daemon.uri(driver="network", path="/system"), folder)


def _with_virtd(folder: Path, network_root: Path) -> tuple[list[str], list[str]]:
    """Stock virsh's outcomes through virtd, then those of virt's own CLI (over the wire too)."""
    with private_qemu_root("vn") as root, pytest.MonkeyPatch.context() as env:
        env.setenv("VIRT_NETWORK_ROOT", str(network_root))
        with virtd_serving(root) as daemon:
            return run_script(qemu_uri(daemon), folder), run_script(qemu_uri(daemon), folder, VIRT)


@pytest.fixture
def folder() -> Path:
    made = Path(tempfile.mkdtemp(prefix="virt-netcmp-"))
    made.chmod(0o755)  # dnsmasq (as nobody) reads the network root's host files
    for name, text in FILES.items():
        (made / name).write_text(text)
    yield made  # type: ignore[misc]
    shutil.rmtree(made, ignore_errors=True)


def test_net_commands_match_libvirtd(folder: Path) -> None:
    for tool in ("dnsmasq", "nft", "iptables"):
        if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}"):
            missing_dependency(f"{tool} is not installed (Debian packages dnsmasq-base, nftables, iptables)")
    network_root = folder / "netroot"
    (network_root / "state" / "networks").mkdir(parents=True)  # past the first use: no 'default' network
    reference = call_in_new_netns(_with_libvirtd, folder)
    through_virtd, virt_cli = call_in_new_netns(_with_virtd, folder, network_root)
    assert "event 'lifecycle' for network n1: Started" in reference[-2]  # what net-event saw, compared below
    for ours, who in ((through_virtd, "virsh through virtd"), (virt_cli, "virt's CLI")):
        pairs = zip(reference[:-1], ours[:-1], strict=True)
        differences = [f"virsh with libvirtd:\n{theirs}\n{who}:\n{mine}" for theirs, mine in pairs if theirs != mine]
        assert differences == [], "\n=====\n".join(differences)
        # libvirt leaves its (emptied) iptables tables behind; virt's per-network tables are gone
        assert ours[-1] == "links left: []; firewall tables left: []"


def _api_events(uri: str) -> list[tuple[str, str]]:
    """What virt's remote client hears of a network's life through ``uri``, by network and event."""
    import virt

    heard: list[tuple[str, str]] = []
    done = threading.Event()

    def callback(network: virt.Network, event: NetworkEvent) -> None:
        heard.append((network.name, event.type.label))
        if event.type == NetworkEventType.UNDEFINED:
            done.set()

    with virt.open(uri) as conn:
        handle = conn.add_network_event_callback(callback)
        network = conn.define_network(ISOLATED)
        network.start()
        network.destroy()
        network.undefine()
        assert done.wait(10), f"heard only {heard}"
        conn.remove_network_event_callback(handle)
    return heard


def _api_events_libvirtd() -> list[tuple[str, str]]:
    with start_libvirtd(drivers=("network",)) as daemon:
        return _api_events(daemon.uri(driver="network", path="/system"))


def _api_events_virtd(network_root: Path) -> list[tuple[str, str]]:
    with private_qemu_root("vn") as root, pytest.MonkeyPatch.context() as env:
        env.setenv("VIRT_NETWORK_ROOT", str(network_root))
        with virtd_serving(root) as daemon:
            return _api_events(qemu_uri(daemon))


def test_remote_client_hears_network_events_as_from_libvirtd(folder: Path) -> None:
    network_root = folder / "netroot"
    (network_root / "state" / "networks").mkdir(parents=True)
    theirs = call_in_new_netns(_api_events_libvirtd)
    assert theirs == [("iso", "Defined"), ("iso", "Started"), ("iso", "Stopped"), ("iso", "Undefined")]
    assert call_in_new_netns(_api_events_virtd, network_root) == theirs
