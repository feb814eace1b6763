"""Save and restore of a real QEMU/KVM guest: virDomainSave and virDomainRestore through virtd (our
qemu:///system driver) and through Debian's libvirtd 9.0, in one run.

The guest is the same on both sides: ``--memory`` MiB (512, issue 17's size), 1 vcpu, a small blank raw
disk, no OS (SeaBIOS looks for a boot device and idles), running. The client is the same: Debian's
python3-libvirt (/usr/bin/python3) over the daemon's unix socket, ``dom.save(path)`` (API call until the
domain is shut off, the image complete) then ``conn.restore(path)`` (API call until the guest runs
again), ``--runs`` (10) times after one warm-up round; the medians of each are reported with the image
size, and the ratios ours / libvirt's with their verdict against the target (at most 1x each).

virtd runs ``--system`` with ``VIRT_QEMU_ROOT`` in a temporary folder; libvirtd runs in a private
mount namespace (``virt.testing.start_libvirtd``, its QEMU as root). Both are stopped at the end and
every guest they started is destroyed, whatever happened. Needs root, /dev/kvm and qemu-img.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_qemu_stats import GUEST as STATS_GUEST
from bench_qemu_stats import _daemons, require_host, run_client

TARGET = 1.0

GUEST = STATS_GUEST.replace("<memory unit='MiB'>32</memory>", "<memory unit='MiB'>@MEMORY@</memory>").replace(
    "<memballoon model='virtio'/>", "<memballoon model='none'/>"
)
"""bench_qemu_stats's guest with no balloon; its memory size filled in from ``--memory``."""

# Runs under python3-libvirt: defines and starts the guest, times save and restore, removes it.
CLIENT = r"""
import json, os, statistics, sys, time
import libvirt

uri, name, disk, image, runs, template = sys.argv[1:7]
conn = libvirt.open(uri)
dom = conn.defineXML(template.replace("@NAME@", name).replace("@DISK@", disk))
saves, restores = [], []
try:
    dom.create()
    for round_ in range(int(runs) + 1):
        start = time.perf_counter()
        dom.save(image)
        saved = time.perf_counter()
        assert dom.state()[0] == libvirt.VIR_DOMAIN_SHUTOFF
        size = os.path.getsize(image)
        conn.restore(image)
        restored = time.perf_counter()
        assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
        os.unlink(image)
        if round_:  # the first round warms up (caches, the daemon's first QEMU of this shape)
            saves.append(saved - start)
            restores.append(restored - saved)
    print(json.dumps({"save": statistics.median(saves), "restore": statistics.median(restores), "size": size}))
finally:
    try:
        dom.destroy()
    except libvirt.libvirtError:
        pass
    dom.undefine()
"""


def _measure(uri: str, side: str, runs: int, folder: Path, guest: str) -> dict[str, float]:
    disk = folder / f"vbs-{side}.img"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(disk), "1M"], check=True)
    image = folder / f"vbs-{side}.save"
    return run_client(side, [CLIENT, uri, f"vbs-{side}", str(disk), str(image), str(runs), guest])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="timed rounds on each side (default 10)")
    parser.add_argument("--memory", type=int, default=512, help="the guest's memory in MiB (default 512)")
    args = parser.parse_args()
    require_host()
    with tempfile.TemporaryDirectory(prefix="vbs-save-") as temp, _daemons() as (ours, theirs):
        folder = Path(temp)
        folder.chmod(0o755)
        guest = GUEST.replace("@MEMORY@", str(args.memory))
        libvirt = _measure(theirs, "libvirt", args.runs, folder, guest)
        virt = _measure(ours, "virt", args.runs, folder, guest)
    print(f"save and restore of a running {args.memory} MiB KVM guest, median of {args.runs} rounds")
    print(f"  {'':10} {'save':>10} {'restore':>10} {'image':>10}")
    for side, figures in (("virtd", virt), ("libvirtd", libvirt)):
        size = figures["size"] / 2**20
        print(f"  {side:10} {figures['save'] * 1000:8.1f}ms {figures['restore'] * 1000:8.1f}ms {size:8.1f}MiB")
    ok = True
    for step in ("save", "restore"):
        ratio = virt[step] / libvirt[step]
        verdict = "OK" if ratio <= TARGET else "OVER TARGET"
        ok = ok and ratio <= TARGET
        print(f"  {step} ratio virtd/libvirtd: {ratio:.2f}x (target <= {TARGET:g}x): {verdict}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
