"""Internal snapshots of a real QEMU/KVM guest: virDomainSnapshotCreateXML and virDomainRevertToSnapshot
through virtd (our qemu:///system driver) and through Debian's libvirtd 9.0, in one run.

The guest is the same on both sides: ``--memory`` MiB (512), 1 vcpu, a blank qcow2 disk (internal
snapshots need one), no OS (SeaBIOS looks for a boot device and idles), running. The client is the same:
Debian's python3-libvirt (/usr/bin/python3) over the daemon's unix socket. Each round creates a
snapshot of the running guest (``snapshotCreateXML``: QEMU's savevm, disk and memory, API call until it
returns), reverts to it (``revertToSnapshot``: loadvm, until it returns with the guest running) and
deletes it (not timed), ``--runs`` (10) rounds after one warm-up round; the medians are reported, and
the ratios ours / libvirt's with their verdict against the target (at most 1x each, issue 17).

virtd runs ``--system`` with ``VIRT_QEMU_ROOT`` in a temporary folder; libvirtd runs in a private
mount namespace. Both are stopped at the end and every guest they started is destroyed, whatever
happened. Needs root, /dev/kvm and qemu-img.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_qemu_save import GUEST as SAVE_GUEST
from bench_qemu_stats import _daemons, require_host, run_client

TARGET = 1.0

GUEST = SAVE_GUEST.replace("<driver name='qemu' type='raw'/>", "<driver name='qemu' type='qcow2'/>")
"""bench_qemu_save's guest on a qcow2 disk."""

# Runs under python3-libvirt: defines and starts the guest, times snapshot create and revert, removes it.
CLIENT = r"""
import json, statistics, sys, time
import libvirt

uri, name, disk, runs, template = sys.argv[1:6]
conn = libvirt.open(uri)
dom = conn.defineXML(template.replace("@NAME@", name).replace("@DISK@", disk))
creates, reverts = [], []
try:
    dom.create()
    for round_ in range(int(runs) + 1):
        start = time.perf_counter()
        snapshot = dom.snapshotCreateXML(f"<domainsnapshot><name>r{round_}</name></domainsnapshot>", 0)
        created = time.perf_counter()
        dom.revertToSnapshot(snapshot, 0)
        reverted = time.perf_counter()
        assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING, dom.state()
        snapshot.delete(0)
        if round_:  # the first round warms up (caches, the daemon's first snapshot of this guest)
            creates.append(created - start)
            reverts.append(reverted - created)
    print(json.dumps({"create": statistics.median(creates), "revert": statistics.median(reverts)}))
finally:
    try:
        dom.destroy()
    except libvirt.libvirtError:
        pass
    for snapshot in dom.listAllSnapshots():
        snapshot.delete(libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY)
    dom.undefine()
"""


def _measure(uri: str, side: str, runs: int, folder: Path, guest: str) -> dict[str, float]:
    disk = folder / f"vbs-{side}.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "64M"], check=True)
    return run_client(side, [CLIENT, uri, f"vbs-{side}", str(disk), str(runs), guest])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="timed rounds on each side (default 10)")
    parser.add_argument("--memory", type=int, default=512, help="the guest's memory in MiB (default 512)")
    args = parser.parse_args()
    require_host()
    with tempfile.TemporaryDirectory(prefix="vbs-snapshot-") as temp, _daemons() as (ours, theirs):
        folder = Path(temp)
        folder.chmod(0o755)
        guest = GUEST.replace("@MEMORY@", str(args.memory))
        libvirt = _measure(theirs, "libvirt", args.runs, folder, guest)
        virt = _measure(ours, "virt", args.runs, folder, guest)
    print(f"internal snapshot of a running {args.memory} MiB KVM guest, median of {args.runs} rounds")
    print(f"  {'':10} {'create':>10} {'revert':>10}")
    for side, figures in (("virtd", virt), ("libvirtd", libvirt)):
        print(f"  {side:10} {figures['create'] * 1000:8.1f}ms {figures['revert'] * 1000:8.1f}ms")
    ok = True
    for step in ("create", "revert"):
        ratio = virt[step] / libvirt[step]
        verdict = "OK" if ratio <= TARGET else "OVER TARGET"
        ok = ok and ratio <= TARGET
        print(f"  {step} ratio virtd/libvirtd: {ratio:.2f}x (target <= {TARGET:g}x): {verdict}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
