"""Virtual networks: net-start and net-destroy of a NAT network with DHCP, virt against libvirtd 9.0.

In one run, each side in a network namespace of its own (nothing touches the host's links or
firewall): libvirt 9.0's network driver in a private libvirtd, and virtd serving the same calls from
its host network service; the same client drives both, Debian's python3-libvirt over the daemon's
unix socket: ``networkDefineXML`` once, then ``--runs`` rounds of ``create()`` (bridge, firewall
rules, dnsmasq serving) and ``destroy()`` (all of it gone). virt's in-process API (``virt.open``, no
daemon) is measured too, for scale. Medians; the target: virtd at most 1x libvirtd for each.

Needs root, dnsmasq (dnsmasq-base), nft (nftables), iptables (libvirt's firewall), python3-libvirt.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.0
LIBVIRT_PYTHON = "/usr/bin/python3"
NETWORK = """<network>
  <name>benchnet</name>
  <forward mode='nat'/>
  <bridge name='vbench0'/>
  <ip address='192.168.140.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.140.2' end='192.168.140.254'/>
    </dhcp>
  </ip>
</network>
"""

# The client both daemons get, under Debian's python3 (python3-libvirt): timings in seconds.
CLIENT = """
import json, sys, time, libvirt
uri, xml, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
conn = libvirt.open(uri)
net = conn.networkDefineXML(xml)
starts, destroys = [], []
for _ in range(runs):
    t = time.perf_counter(); net.create(); starts.append(time.perf_counter() - t)
    t = time.perf_counter(); net.destroy(); destroys.append(time.perf_counter() - t)
net.undefine()
print(json.dumps({"start": starts, "destroy": destroys}))
"""


def preconditions() -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces, bridges)"
    for tool, package in (("dnsmasq", "dnsmasq-base"), ("nft", "nftables"), ("iptables", "iptables")):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            return f"{tool} is not installed ({package})"
    probe = subprocess.run([LIBVIRT_PYTHON, "-c", "import libvirt"], capture_output=True, check=False)
    if probe.returncode != 0:
        return "python3-libvirt is not installed"
    return None


def _client(uri: str, runs: int) -> dict[str, list[float]]:
    done = subprocess.run(
        [LIBVIRT_PYTHON, "-c", CLIENT, uri, NETWORK, str(runs)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the client failed: {done.stderr.strip()[-2000:]}")
    timings: dict[str, list[float]] = json.loads(done.stdout)
    return timings


def with_libvirtd(runs: int) -> dict[str, list[float]]:
    from virt.testing import start_libvirtd

    with start_libvirtd(drivers=("network",)) as daemon:
        return _client(daemon.uri(driver="network", path="/system"), runs)


def _private_roots(base: Path) -> None:
    """virt's QEMU and network state under ``base``, past the network service's first use (no
    ``default`` network autostarted); dnsmasq (as nobody) must reach its files."""
    base.chmod(0o755)
    (base / "network" / "state" / "networks").mkdir(parents=True)
    os.environ["VIRT_NETWORK_ROOT"] = str(base / "network")
    os.environ["VIRT_QEMU_ROOT"] = str(base / "qemu")
    os.environ["VIRT_DAEMON"] = "never"


def with_virtd(runs: int) -> dict[str, list[float]]:
    from virt.daemon.testing import start_virtd

    with tempfile.TemporaryDirectory(prefix="vbn", dir="/tmp") as folder:
        _private_roots(Path(folder))
        with start_virtd(system=True) as daemon:
            return _client(daemon.uri(driver="qemu", path="/system"), runs)


def in_process(runs: int) -> dict[str, list[float]]:
    import virt

    with tempfile.TemporaryDirectory(prefix="vbn", dir="/tmp") as folder:
        _private_roots(Path(folder))
        with virt.open("qemu:///system") as conn:
            network = conn.define_network(NETWORK)
            starts, destroys = [], []
            for _ in range(runs):
                t = time.perf_counter()
                network.start()
                starts.append(time.perf_counter() - t)
                t = time.perf_counter()
                network.destroy()
                destroys.append(time.perf_counter() - t)
            network.undefine()
        return {"start": starts, "destroy": destroys}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="start/destroy rounds per side (default 10)")
    parser.add_argument("--count", type=int, default=None, help=argparse.SUPPRESS)  # nox hands every bench the same
    args = parser.parse_args()
    problem = preconditions()
    if problem:
        print(f"bench_network: skipped: {problem}")
        return 0
    from virt.testing.netns import call_in_new_netns

    results = {
        "libvirtd 9.0": call_in_new_netns(with_libvirtd, args.runs),
        "virtd": call_in_new_netns(with_virtd, args.runs),
        "virt in-process": call_in_new_netns(in_process, args.runs),
    }
    medians = {who: {k: statistics.median(v) * 1000 for k, v in r.items()} for who, r in results.items()}
    reference = medians["libvirtd 9.0"]
    print(f"bench_network: medians of {args.runs} rounds, a NAT network with DHCP (bridge, firewall, dnsmasq)")
    for who, figures in medians.items():
        ratios = "" if who == "libvirtd 9.0" else "   ratio " + "  ".join(
            f"{k} {figures[k] / reference[k]:5.2f}x" for k in ("start", "destroy")
        )
        print(f"  {who:<16} start {figures['start']:7.1f} ms   destroy {figures['destroy']:7.1f} ms{ratios}")
    ok = all(medians["virtd"][k] <= TARGET * reference[k] for k in ("start", "destroy"))
    print(f"  target: virtd at most {TARGET:g}x libvirtd for start and destroy: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
