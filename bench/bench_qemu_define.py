"""Define of a q35 guest with ten devices: virt's QEMU driver against Debian's libvirtd 9.0, in one run.

The same document on every side: a q35 KVM guest with ten devices (two virtio disks and a SATA
CD-ROM, two virtio NICs, a pty serial port with its console, the guest agent's channel, VNC, a virtio
video card and a virtio RNG), its UUID and MAC addresses given, so that every side stores the same
definition (the script checks that the stored documents are identical before it times anything).
Each side defines it and undefines it ``--runs`` (200) times after ``--warmup`` (20) rounds, the
sides taking turns round by round, so that the load of a shared machine weighs on them alike; the
median of each call is reported, and the fastest define (the figure a busy machine disturbs least):

- through each daemon: Debian's python3-libvirt (/usr/bin/python3) calling ``conn.defineXML(xml)``
  then ``dom.undefine()`` over the daemon's unix socket; virtd serving ``qemu:///system`` under a
  temporary ``VIRT_QEMU_ROOT``, libvirtd 9.0 with its QEMU driver in a private mount namespace
  (``virt.testing.start_libvirtd``);
- in process: virt's Python API (``virt.open("qemu:///system")`` under another temporary
  ``VIRT_QEMU_ROOT``, in this process: ``conn.define_domain(xml)`` then ``dom.undefine()``), against
  the libvirtd figure: what a Python program embedding virt pays, where libvirt's Python programs
  always pay a daemon round trip.

Target: define at most 0.5x libvirtd's time, through virtd and in process. Undefine is printed for
scale, with no target. Every side syncs the definition's file before the call returns (libvirt's
virFileRewrite semantics: fsync of a temporary file, then rename), all on the same file system: a
loaded disk slows every side. ``--tmpfs`` puts every side's state (libvirtd's /etc/libvirt too) on
/dev/shm, where an fsync costs nothing: the software's time without the disk's. Both daemons start
as whole processes with the bytecode compiled first (``compileall`` over the import path, as pip
does at install time: PYTHONDONTWRITEBYTECODE may be set), though their start is not timed. Needs
root (libvirtd's private namespace) and qemu-system-x86_64 (both drivers probe it; no guest starts).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
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
from typing import Any
from unittest import mock

TARGET = 0.5
ROUNDS_PER_TURN = 1
"""Rounds a side runs before the next side takes its turn."""
LIBVIRT_PYTHON = "/usr/bin/python3"
NAME = "vbd-q35"

GUEST = """<domain type='kvm'>
  <name>vbd-q35</name>
  <uuid>5f0c6a4e-3b1d-4c8e-9a51-0d6e2f7b8c91</uuid>
  <memory unit='MiB'>1024</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type><boot dev='hd'/></os>
  <features><acpi/><apic/></features>
  <cpu mode='host-model'/>
  <clock offset='utc'/>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/vbd-q35.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='/var/lib/libvirt/images/vbd-q35-data.img'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <interface type='bridge'>
      <mac address='52:54:00:6b:3c:01'/>
      <source bridge='virbr0'/>
      <model type='virtio'/>
    </interface>
    <interface type='user'>
      <mac address='52:54:00:6b:3c:02'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'/>
    <console type='pty'/>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <graphics type='vnc' port='-1' autoport='yes'/>
    <video><model type='virtio'/></video>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
  </devices>
</domain>
"""

# Runs under python3-libvirt (argv: the daemons' URIs as JSON, the XML): reads a round count per line
# on stdin and answers one JSON line: each daemon's define and undefine times for that many rounds,
# the daemons taking turns round by round. The first line asks for the stored definitions instead.
CLIENT = r"""
import json, sys, time
import libvirt

uris, xml = json.loads(sys.argv[1]), sys.argv[2]
conns = {side: libvirt.open(uri) for side, uri in uris.items()}
stored = {}
for side, conn in conns.items():
    dom = conn.defineXML(xml)
    stored[side] = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    dom.undefine()
print(json.dumps(stored), flush=True)
clock = time.perf_counter
for line in sys.stdin:
    times = {side: {"define": [], "undefine": []} for side in conns}
    for _ in range(int(line)):
        for side, conn in conns.items():
            start = clock()
            dom = conn.defineXML(xml)
            defined = clock()
            dom.undefine()
            undefined = clock()
            times[side]["define"].append(defined - start)
            times[side]["undefine"].append(undefined - defined)
    print(json.dumps(times), flush=True)
"""


class Client:
    """The python3-libvirt client process, one round count at a time."""

    def __init__(self, uris: dict[str, str], xml: str) -> None:
        self.process = subprocess.Popen(
            [LIBVIRT_PYTHON, "-c", CLIENT, json.dumps(uris), xml],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.stored: dict[str, str] = self._answer()

    def rounds(self, count: int) -> dict[str, dict[str, list[float]]]:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{count}\n")
        self.process.stdin.flush()
        return self._answer()

    def _answer(self) -> Any:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"the python3-libvirt client failed (exit status {self.process.wait()})")
        return json.loads(line)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(60)


class InProcess:
    """virt's Python API in this process: the same rounds as the client's."""

    def __init__(self, xml: str) -> None:
        import virt

        self.xml = xml
        self.conn = virt.open("qemu:///system")
        dom = self.conn.define_domain(xml)
        self.stored = dom.xml(inactive=True)
        dom.undefine()

    def rounds(self, count: int) -> dict[str, list[float]]:
        clock = time.perf_counter
        times: dict[str, list[float]] = {"define": [], "undefine": []}
        for _ in range(count):
            start = clock()
            dom = self.conn.define_domain(self.xml)
            defined = clock()
            dom.undefine()
            undefined = clock()
            times["define"].append(defined - start)
            times["undefine"].append(undefined - defined)
        return times

    def close(self) -> None:
        self.conn.close()


def compile_bytecode() -> None:
    """Compile what virtd imports, as pip does for users at install time (PYTHONDONTWRITEBYTECODE may
    be set: a new process would otherwise compile virt anew). Files that do not compile (tests for
    other Python versions in some packages) are no concern here."""
    folders = [path for path in sys.path if path and Path(path).is_dir()]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", *folders],
        cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
    )  # fmt: skip


@contextlib.contextmanager
def qemu_root(top: Path, name: str, caps: Path) -> Iterator[Path]:
    """A ``VIRT_QEMU_ROOT`` under ``top`` sharing one capabilities cache (``caps``) with the others."""
    root = top / name
    for mode in ("system", "session"):
        (root / mode).mkdir(parents=True)
        (root / mode / "cache").symlink_to(caps)
    yield root


@contextlib.contextmanager
def temporary_folder(folder: str) -> Iterator[None]:
    old = tempfile.tempdir
    tempfile.tempdir = folder
    try:
        yield
    finally:
        tempfile.tempdir = old


def median_ms(figures: list[float]) -> float:
    return statistics.median(figures) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200, help="timed define + undefine rounds per side (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed rounds first (default 20)")
    parser.add_argument(
        "--tmpfs",
        action="store_true",
        help="keep both sides' state (libvirtd's /etc/libvirt too) on /dev/shm, where fsync costs nothing: "
        "the software's time without the disk's",
    )
    args = parser.parse_args()
    for tool in ("qemu-system-x86_64", LIBVIRT_PYTHON):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing")
    from virt.daemon.testing import start_virtd
    from virt.testing import start_libvirtd

    compile_bytecode()
    # short: virtd's unix sockets live under the root, limited to 107 bytes
    folder = "/dev/shm" if args.tmpfs else "/tmp"
    with tempfile.TemporaryDirectory(prefix="vbd", dir=folder) as temp, contextlib.ExitStack() as stack:
        top = Path(temp)
        caps = top / "caps"
        caps.mkdir()
        daemon_root = stack.enter_context(qemu_root(top, "d", caps))
        local_root = stack.enter_context(qemu_root(top, "p", caps))
        with temporary_folder(folder):  # where start_libvirtd makes the daemon's /etc/libvirt
            libvirtd = stack.enter_context(start_libvirtd(drivers=("qemu",)))
        with mock.patch.dict(os.environ, VIRT_QEMU_ROOT=str(daemon_root)):
            virtd = stack.enter_context(start_virtd(system=True))
        client = Client(
            {
                "libvirtd": libvirtd.uri(driver="qemu", path="/system"),
                "virtd": virtd.uri(driver="qemu", path="/system"),
            },
            GUEST,
        )
        stack.callback(client.close)
        with mock.patch.dict(os.environ, VIRT_QEMU_ROOT=str(local_root)):
            local = InProcess(GUEST)
        stack.callback(local.close)
        stored = {**client.stored, "in process": local.stored}
        reference = stored["libvirtd"]
        differing = [side for side, text in stored.items() if text != reference]
        if differing:
            for side in differing:
                diff = difflib.unified_diff(
                    reference.splitlines(True), stored[side].splitlines(True), "libvirtd", side
                )
                print("".join(diff))
            raise SystemExit(f"the stored definitions differ from libvirtd's: {', '.join(differing)}")
        results: dict[str, dict[str, list[float]]] = {side: {"define": [], "undefine": []} for side in stored}
        done = -args.warmup
        while done < args.runs:
            # the sides take turns, so that a change of load on the machine hits them alike
            count = min(ROUNDS_PER_TURN, args.runs - done) if done >= 0 else args.warmup
            batch = {**client.rounds(count), "in process": local.rounds(count)}
            if done >= 0:
                for side, times in batch.items():
                    for call, figures in times.items():
                        results[side][call] += figures
            done += count
    base = median_ms(results["libvirtd"]["define"])
    base_fastest = min(results["libvirtd"]["define"]) * 1000
    where = "state on tmpfs, fsync free" if args.tmpfs else "state on disk, " + folder
    print(f"define + undefine of a q35 guest with 10 devices, {args.runs} rounds per side taking turns "
          f"(the stored definitions identical; {where})")  # fmt: skip
    print(f"  {'':24} {'define':>9} {'(fastest)':>9} {'undefine':>9} {'define ratio':>13} {'(fastest)':>9}")
    failed = False
    for side, label in (("libvirtd", "python3-libvirt→libvirtd"), ("virtd", "python3-libvirt→virtd"),
                        ("in process", "virt API in process")):  # fmt: skip
        define, undefine = median_ms(results[side]["define"]), median_ms(results[side]["undefine"])
        fastest = min(results[side]["define"]) * 1000
        ratio = define / base
        verdict = "" if side == "libvirtd" else ("OK" if ratio <= TARGET else "OVER TARGET")
        failed |= verdict == "OVER TARGET"
        print(
            f"  {label:24} {define:7.2f}ms {fastest:7.2f}ms {undefine:7.2f}ms {ratio:12.2f}x "
            f"{fastest / base_fastest:8.2f}x {verdict}"
        )
    print(f"  medians (and the fastest define of each side); target: define at most {TARGET:g}x libvirtd's median")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
