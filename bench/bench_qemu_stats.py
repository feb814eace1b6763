"""Bulk statistics of many real QEMU/KVM guests: virConnectGetAllDomainStats through virtd (our
qemu:///system driver) and through Debian's libvirtd 9.0, in one run.

Each daemon runs ``--count`` (50) tiny guests: 32 MiB, 1 vcpu, a virtio balloon, a small raw disk,
no OS (SeaBIOS idles), paused once started. The client is the same on both sides: Debian's
python3-libvirt (/usr/bin/python3) calling ``conn.getAllDomainStats(0)`` (every group) over the
daemon's unix socket, after one warm-up call; the median of ``--runs`` (10) calls is reported for
each side, with the ratio ours / libvirt's and its verdict against the target (at most 1x).

virtd runs ``--system`` with ``VIRT_QEMU_ROOT`` in a temporary folder; libvirtd runs in a private
mount namespace (``virt.testing.start_libvirtd``, its QEMU as root). Both are stopped at the end and
every guest they started is destroyed, whatever happened. Needs root, /dev/kvm and qemu-img.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

TARGET = 1.0
LIBVIRT_PYTHON = "/usr/bin/python3"

GUEST = """<domain type='kvm'>
  <name>@NAME@</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='@DISK@'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <memballoon model='virtio'/>
  </devices>
</domain>
"""

# Runs under python3-libvirt: starts the guests paused, times getAllDomainStats, stops them.
CLIENT = r"""
import json, statistics, sys, time
import libvirt

uri, template, runs = sys.argv[1], sys.argv[5], int(sys.argv[4])
names, disks = json.loads(sys.argv[2]), json.loads(sys.argv[3])
conn = libvirt.open(uri)
domains = []
try:
    for name, disk in zip(names, disks):
        dom = conn.createXML(template.replace("@NAME@", name).replace("@DISK@", disk), 0)
        dom.suspend()
        domains.append(dom)
    first = conn.getAllDomainStats(0)
    assert len(first) == len(names), (len(first), len(names))
    fields = sum(len(stats) for _, stats in first)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        conn.getAllDomainStats(0)
        times.append(time.perf_counter() - start)
    print(json.dumps({"median": statistics.median(times), "fields": fields}))
finally:
    for dom in domains:
        try:
            dom.destroy()
        except libvirt.libvirtError:
            pass
"""


@contextlib.contextmanager
def _daemons() -> Iterator[tuple[str, str]]:
    """(virtd's URI, libvirtd's URI), both serving QEMU guests, for the ``with`` block."""
    from virt.daemon.testing import start_virtd
    from virt.testing import start_libvirtd

    root = Path(tempfile.mkdtemp(prefix="vbs", dir="/tmp"))
    for mode in ("system", "session"):
        (root / mode).mkdir()
    try:
        with (
            contextlib.ExitStack() as stack,
            start_libvirtd(drivers=("qemu",)) as libvirtd,
        ):
            stack.enter_context(mock.patch.dict(os.environ, VIRT_QEMU_ROOT=str(root)))
            virtd = stack.enter_context(start_virtd(system=True))
            yield virtd.uri(driver="qemu", path="/system"), libvirtd.uri(driver="qemu", path="/system")
    finally:
        _kill_guests()
        shutil.rmtree(root, ignore_errors=True)


def _kill_guests() -> None:
    """SIGKILL each QEMU still running one of this script's guests (named vbs-*), by its pid."""
    import os
    import signal

    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if b"guest=vbs-" in (entry / "cmdline").read_bytes():
                os.kill(int(entry.name), signal.SIGKILL)


def _measure(uri: str, side: str, count: int, runs: int, folder: Path) -> dict[str, float]:
    names = [f"vbs-{side}-{n}" for n in range(count)]
    disks = []
    for name in names:
        disk = folder / f"{name}.img"
        subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(disk), "1M"], check=True)
        disks.append(str(disk))
    return run_client(side, [CLIENT, uri, json.dumps(names), json.dumps(disks), str(runs), GUEST])


def run_client(side: str, arguments: list[str]) -> dict[str, float]:
    """``python3 -c ARGUMENTS`` under python3-libvirt; the JSON it prints."""
    done = subprocess.run([LIBVIRT_PYTHON, "-c", *arguments], capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side}: the client failed:\n{done.stderr}")
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def require_host() -> None:
    """What these QEMU/KVM benchmarks need on the host, or the exit naming what is missing."""
    for tool in ("qemu-img", "qemu-system-x86_64", LIBVIRT_PYTHON):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing")
    if not Path("/dev/kvm").exists():
        raise SystemExit("/dev/kvm is missing")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=50, help="running guests on each side (default 50)")
    parser.add_argument("--runs", type=int, default=10, help="timed calls on each side (default 10)")
    args = parser.parse_args()
    require_host()
    with tempfile.TemporaryDirectory(prefix="vbs-disks-") as temp, _daemons() as (ours, theirs):
        folder = Path(temp)
        libvirt = _measure(theirs, "libvirt", args.count, args.runs, folder)
        virt = _measure(ours, "virt", args.count, args.runs, folder)
    ratio = virt["median"] / libvirt["median"]
    print(f"GetAllDomainStats of {args.count} running (paused) guests, every group, median of {args.runs} calls")
    print(f"  {'':10} {'time':>10} {'fields':>8}")
    print(f"  {'virtd':10} {virt['median'] * 1000:8.1f}ms {int(virt['fields']):8}")
    print(f"  {'libvirtd':10} {libvirt['median'] * 1000:8.1f}ms {int(libvirt['fields']):8}")
    verdict = "OK" if ratio <= TARGET else "OVER TARGET"
    print(f"  ratio virtd/libvirtd: {ratio:.2f}x (target <= {TARGET:g}x): {verdict}")
    sys.exit(0 if ratio <= TARGET else 1)


if __name__ == "__main__":
    main()
