"""Storage through virtd against libvirtd 9.0's storage driver, the same client (python3-libvirt) over
each daemon's unix socket, in one run, each on a dir pool of its own on the same file system:

- create ``--volumes`` (100) qcow2 volumes of 1 GiB (``createXML``), one after the other;
- list a pool of ``--listed`` (1000) volumes made outside (``refresh``, then what ``virsh vol-list``
  asks: ``listAllVolumes`` and each volume's path), median of ``--runs``;
- upload then download ``--size`` (1 GiB) of data through a stream with Debian's ``virsh vol-upload``
  and ``vol-download`` (whole processes), against ``cp`` of the same file on the same file system
  (neither side, nor cp, waits for the data to reach the disk; each starts after a ``sync``, so
  that none pays for the writeback of another's data), median of ``--stream-runs`` (3) rounds in
  which the sides and cp take turns.

Targets: each at most 1x libvirt's time; upload and download within 1.2x of ``cp``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

LIBVIRT_PYTHON = "/usr/bin/python3"

# Runs under Debian's python3 (python3-libvirt); prints JSON timings.
CLIENT = r"""
import json, statistics, sys, time, libvirt
uri, folder = sys.argv[1], sys.argv[2]
volumes, listed, runs = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
conn = libvirt.open(uri)
result = {}
POOL = "<pool type='dir'><name>{}</name><target><path>{}</path></target></pool>"
VOLUME = "<volume><name>v{}.qcow2</name><capacity unit='G'>1</capacity><target><format type='qcow2'/></target></volume>"
pool = conn.storagePoolCreateXML(POOL.format("bench", folder + "/a"), 0)
start = time.perf_counter()
for i in range(volumes):
    pool.createXML(VOLUME.format(i), 0)
result["create"] = time.perf_counter() - start
many = conn.storagePoolCreateXML(POOL.format("many", folder + "/b"), 0)
times = []
for _ in range(runs):
    start = time.perf_counter()
    many.refresh(0)
    found = [(v.name(), v.path()) for v in many.listAllVolumes(0)]
    times.append(time.perf_counter() - start)
assert len(found) == listed, len(found)
result["list"] = statistics.median(times)
for p in (pool, many):
    for v in p.listAllVolumes(0):
        v.delete(0)
many.destroy()  # "bench" stays for the streams
print(json.dumps(result))
"""


def run_client(uri: str, folder: Path, args: argparse.Namespace, data: Path) -> dict[str, float]:
    (folder / "a").mkdir(parents=True)
    (folder / "b").mkdir()
    for i in range(args.listed):  # volumes made outside virt and libvirt: the refresh finds them
        with open(folder / "b" / f"f{i:04d}.img", "wb") as out:
            out.truncate(1024 * 1024)
    os.sync()  # the files just made and the data to stream written out, not during the timed calls
    command = [LIBVIRT_PYTHON, "-c", CLIENT, uri, str(folder), str(args.volumes), str(args.listed), str(args.runs)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the client failed against {uri}: {done.stderr[-2000:]}")
    found: dict[str, float] = json.loads(done.stdout)
    virsh(uri, "vol-create-as", "bench", "big.img", str(data.stat().st_size), "--allocation", "0")
    return found


def stream_times(uri: str, folder: Path, data: Path) -> tuple[float, float]:
    """Upload then download of ``data`` through Debian's virsh, as a user runs them, each started
    with the disk idle (what earlier writes left in the page cache written out first)."""
    os.sync()
    upload = virsh(uri, "vol-upload", "big.img", str(data), "--pool", "bench")
    os.sync()
    download = virsh(uri, "vol-download", "big.img", str(folder / "down.img"), "--pool", "bench")
    (folder / "down.img").unlink()
    return upload, download


def virsh(uri: str, *args: str) -> float:
    """Seconds ``virsh ARGS`` took (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(["virsh", "-c", uri, *args], check=True, capture_output=True)
    return time.perf_counter() - start


def copy_time(data: Path, folder: Path) -> float:
    os.sync()
    start = time.perf_counter()
    subprocess.run(["cp", str(data), str(folder / "copy.img")], check=True)
    return time.perf_counter() - start


@contextlib.contextmanager
def daemons(root: Path) -> Iterator[tuple[str, str]]:
    from virt.daemon.testing import start_virtd
    from virt.testing import start_libvirtd

    os.environ["VIRT_STORAGE_ROOT"] = str(root / "storage")
    os.environ["VIRT_QEMU_ROOT"] = str(root / "qemu")
    with start_virtd(system=True) as virtd, start_libvirtd(drivers=("qemu", "storage")) as libvirtd:
        yield virtd.uri(driver="qemu", path="/system"), libvirtd.uri(driver="qemu", path="/system")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--volumes", type=int, default=100)
    parser.add_argument("--listed", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=1024, help="MiB streamed each way")
    parser.add_argument("--stream-runs", type=int, default=3, help="upload/download/cp rounds (median)")
    args = parser.parse_args()
    if os.geteuid() != 0 or shutil.which("qemu-img") is None:
        print("needs root (a private libvirtd) and qemu-img", file=sys.stderr)
        return 2
    base = Path(tempfile.mkdtemp(prefix="bench-storage-", dir="/var/tmp"))
    try:
        data = base / "data.bin"
        with open(data, "wb") as out:
            block = os.urandom(1024 * 1024)
            for _ in range(args.size):
                out.write(block)
        with daemons(base / "virt") as (ours_uri, theirs_uri):
            ours = run_client(ours_uri, base / "ours", args, data)
            theirs = run_client(theirs_uri, base / "theirs", args, data)
            # the sides and cp take turns, round by round: the disk's moods weigh on all alike
            streams: dict[str, list[tuple[float, float]]] = {"ours": [], "theirs": []}
            copies = []
            for _ in range(args.stream_runs):
                streams["ours"].append(stream_times(ours_uri, base / "ours", data))
                streams["theirs"].append(stream_times(theirs_uri, base / "theirs", data))
                copies.append(copy_time(data, base))
                (base / "copy.img").unlink()
            for side, found in (("ours", ours), ("theirs", theirs)):
                found["upload"] = statistics.median(up for up, _ in streams[side])
                found["download"] = statistics.median(down for _, down in streams[side])
        cp = statistics.median(copies)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"{'operation':<34}{'virtd':>10}{'libvirtd':>10}{'ratio':>8}  target")
    verdicts = []
    for key, what in (("create", f"create {args.volumes} qcow2 volumes"), ("list", f"refresh + list {args.listed}")):
        ratio = ours[key] / theirs[key]
        verdicts.append(ratio <= 1.0)
        verdict = "ok" if ratio <= 1 else "MISSED"
        print(f"{what:<34}{ours[key]:>9.3f}s{theirs[key]:>9.3f}s{ratio:>8.2f}  <= 1x libvirtd {verdict}")
    for key in ("upload", "download"):
        ratio, floor = ours[key] / theirs[key], ours[key] / cp
        verdicts.append(ratio <= 1.0 and floor <= 1.2)
        print(
            f"{key + f' {args.size} MiB':<34}{ours[key]:>9.3f}s{theirs[key]:>9.3f}s{ratio:>8.2f}  <= 1x libvirtd, "
            f"{floor:.2f}x cp ({cp:.3f}s) <= 1.2 {'ok' if verdicts[-1] else 'MISSED'}"
        )
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
