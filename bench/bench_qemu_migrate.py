"""Live migration of an idle 512 MiB QEMU/KVM guest between two local daemons: two virtds, and two of
Debian's libvirtd 9.0, in one run.

The guest is the same on both sides: 512 MiB, 1 vcpu, a small blank raw disk both hosts of a pair
share (the same file), no OS (SeaBIOS looks for a boot device and idles), running. The client is the
same: Debian's python3-libvirt (/usr/bin/python3) holding a connection to each daemon of the pair
over its unix socket, ``dom.migrate3(dest, {"migrate_uri": "tcp:127.0.0.1"}, VIR_MIGRATE_LIVE | VIR_MIGRATE_UNSAFE)``
(libvirt's client-managed protocol v3: begin, prepare, perform, finish, confirm) from the first to
the second, then back, ``--runs`` (10) times each way after one warm-up round trip; the medians of
each direction are reported, and the ratio ours / libvirt's of their sum with its verdict against
the target (at most 1x).

Each virtd runs ``--system`` with its own ``VIRT_QEMU_ROOT`` and ``VIRT_HOST_UUID``; each libvirtd
in a private mount namespace with its own ``host_uuid`` (``virt.testing.start_libvirtd``, QEMU as
root). All are stopped at the end and every guest they started is destroyed, whatever happened.
Needs root, /dev/kvm and qemu-img.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

from bench_qemu_stats import GUEST as STATS_GUEST
from bench_qemu_stats import _kill_guests, require_host, run_client

TARGET = 1.0

GUEST = STATS_GUEST.replace("<memory unit='MiB'>32</memory>", "<memory unit='MiB'>512</memory>").replace(
    "<memballoon model='virtio'/>", "<memballoon model='none'/>"
)
"""bench_qemu_stats's guest with 512 MiB and no balloon."""

# Runs under python3-libvirt: starts the guest on the first daemon, times migrations both ways.
CLIENT = r"""
import json, statistics, sys, time
import libvirt

first_uri, second_uri, name, disk, runs, template = sys.argv[1:7]
first, second = libvirt.open(first_uri), libvirt.open(second_uri)
params = {libvirt.VIR_MIGRATE_PARAM_URI: "tcp:127.0.0.1"}
# UNSAFE: the disk is one file both daemons of the pair see (libvirt checks only for a shared file system)
flags = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_UNSAFE
there, back = [], []
dom = first.createXML(template.replace("@NAME@", name).replace("@DISK@", disk), 0)
try:
    time.sleep(2)  # SeaBIOS has looked for a boot device and idles
    for round_ in range(int(runs) + 1):
        start = time.perf_counter()
        moved = dom.migrate3(second, params, flags)
        arrived = time.perf_counter()
        assert moved.state()[0] == libvirt.VIR_DOMAIN_RUNNING
        dom = moved.migrate3(first, params, flags)
        returned = time.perf_counter()
        assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
        if round_:  # the first round trip warms up
            there.append(arrived - start)
            back.append(returned - arrived)
    print(json.dumps({"there": statistics.median(there), "back": statistics.median(back)}))
finally:
    for conn in (first, second):
        try:
            conn.lookupByName(name).destroy()
        except libvirt.libvirtError:
            pass
"""


@contextlib.contextmanager
def _virtd_pair() -> Iterator[tuple[str, str]]:
    from virt.daemon.testing import start_virtd

    roots = [Path(tempfile.mkdtemp(prefix="vbm", dir="/tmp")) for _ in range(2)]
    try:
        with contextlib.ExitStack() as stack:
            uris = []
            for root in roots:
                for mode in ("system", "session"):
                    (root / mode).mkdir()
                with mock.patch.dict(os.environ, VIRT_QEMU_ROOT=str(root), VIRT_HOST_UUID=str(uuid.uuid4())):
                    daemon = stack.enter_context(start_virtd(system=True))
                uris.append(daemon.uri(driver="qemu", path="/system"))
            yield uris[0], uris[1]
    finally:
        _kill_guests()
        for root in roots:
            shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def _libvirtd_pair() -> Iterator[tuple[str, str]]:
    from virt.testing import start_libvirtd

    try:
        with contextlib.ExitStack() as stack:
            uris = []
            for _ in range(2):
                settings = f'host_uuid = "{uuid.uuid4()}"\n'
                daemon = stack.enter_context(start_libvirtd(drivers=("qemu",), settings=settings))
                uris.append(daemon.uri(driver="qemu", path="/system"))
            yield uris[0], uris[1]
    finally:
        _kill_guests()


def _measure(pair: tuple[str, str], side: str, runs: int, folder: Path) -> dict[str, float]:
    disk = folder / f"vbs-{side}.img"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(disk), "1M"], check=True)
    return run_client(side, [CLIENT, *pair, f"vbs-{side}", str(disk), str(runs), GUEST])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="timed round trips on each side (default 10)")
    args = parser.parse_args()
    require_host()
    with tempfile.TemporaryDirectory(prefix="vbs-migrate-") as temp:
        folder = Path(temp)
        folder.chmod(0o755)
        with _libvirtd_pair() as pair:
            libvirt = _measure(pair, "libvirt", args.runs, folder)
        with _virtd_pair() as pair:
            virt = _measure(pair, "virt", args.runs, folder)
    print(f"live migration of an idle 512 MiB KVM guest between two local daemons, median of {args.runs} rounds")
    print(f"  {'':10} {'there':>10} {'back':>10}")
    for side, figures in (("virtd", virt), ("libvirtd", libvirt)):
        print(f"  {side:10} {figures['there'] * 1000:8.1f}ms {figures['back'] * 1000:8.1f}ms")
    ratio = (virt["there"] + virt["back"]) / (libvirt["there"] + libvirt["back"])
    verdict = "OK" if ratio <= TARGET else "OVER TARGET"
    print(f"  ratio virtd/libvirtd: {ratio:.2f}x (target <= {TARGET:g}x): {verdict}")
    sys.exit(0 if ratio <= TARGET else 1)


if __name__ == "__main__":
    main()
