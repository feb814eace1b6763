"""Define of a q35 guest with ten devices: virt's QEMU driver against Debian's libvirtd 9.0, in one run.

The same document on every side: a q35 KVM guest with ten devices (two virtio disks and a SATA
CD-ROM, two virtio NICs, a pty serial port with its console, the guest agent's channel, VNC, a virtio
video card and a virtio RNG), its UUID and MAC addresses given, so that every side stores the same
definition (the script checks that the stored documents are identical before it times anything).
Each side defines it and undefines it ``--runs`` (200) times after ``--warmup`` (20) rounds; the
median of each call is reported:

- through each daemon: Debian's python3-libvirt (/usr/bin/python3) calling ``conn.defineXML(xml)``
  then ``dom.undefine()`` over the daemon's unix socket; virtd serving ``qemu:///system`` under a
  temporary ``VIRT_QEMU_ROOT``, libvirtd 9.0 with its QEMU driver in a private mount namespace
  (``virt.testing.start_libvirtd``);
- in process: virt's Python API (``virt.open("qemu:///system")`` under another temporary
  ``VIRT_QEMU_ROOT``, in this process: ``conn.define_domain(xml)`` then ``dom.undefine()``), against
  the libvirtd figure: what a Python program embedding virt pays, where libvirt's Python programs
  always pay a daemon round trip.

Target: define at most 0.5x libvirtd's time, through virtd and in process. Undefine is printed for
scale, with no target. Both daemons start as whole processes with the bytecode compiled first
(``compileall`` over the import path, as pip does at install time: PYTHONDONTWRITEBYTECODE may be
set), though their start is not timed. Needs root (libvirtd's private namespace) and
qemu-system-x86_64 (both drivers probe it; no guest is started).
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

TARGET = 0.5
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

# Runs under python3-libvirt (argv: URI, the XML, warm-up rounds, timed rounds): defines and
# undefines the guest, prints the stored definition and the time of each call.
CLIENT = r"""
import json, sys, time
import libvirt

uri, xml, warmup, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
conn = libvirt.open(uri)
dom = conn.defineXML(xml)
stored = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
dom.undefine()
clock = time.perf_counter
defines, undefines = [], []
for n in range(warmup + runs):
    start = clock()
    dom = conn.defineXML(xml)
    defined = clock()
    dom.undefine()
    undefined = clock()
    if n >= warmup:
        defines.append(defined - start)
        undefines.append(undefined - defined)
print(json.dumps({"stored": stored, "define": defines, "undefine": undefines}))
"""


def in_process(xml: str, warmup: int, runs: int) -> dict[str, object]:
    """The same loop as CLIENT, with virt's Python API in this process."""
    import virt

    clock = time.perf_counter
    with virt.open("qemu:///system") as conn:
        dom = conn.define_domain(xml)
        stored = dom.xml(inactive=True)
        dom.undefine()
        defines, undefines = [], []
        for n in range(warmup + runs):
            start = clock()
            dom = conn.define_domain(xml)
            defined = clock()
            dom.undefine()
            undefined = clock()
            if n >= warmup:
                defines.append(defined - start)
                undefines.append(undefined - defined)
    return {"stored": stored, "define": defines, "undefine": undefines}


def through_daemon(uri: str, xml: str, warmup: int, runs: int) -> dict[str, object]:
    done = subprocess.run(
        [LIBVIRT_PYTHON, "-c", CLIENT, uri, xml, str(warmup), str(runs)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"the client against {uri} failed:\n{done.stderr}")
    return json.loads(done.stdout)  # type: ignore[no-any-return]


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
def environment(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def median_ms(figures: object) -> float:
    assert isinstance(figures, list)
    return statistics.median(figures) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200, help="timed define + undefine rounds per side (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed rounds first (default 20)")
    args = parser.parse_args()
    for tool in ("qemu-system-x86_64", LIBVIRT_PYTHON):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing")
    from virt.daemon.testing import start_virtd
    from virt.testing import start_libvirtd

    compile_bytecode()
    # short: virtd's unix sockets live under the root, limited to 107 bytes
    with tempfile.TemporaryDirectory(prefix="vbd", dir="/tmp") as temp, contextlib.ExitStack() as stack:
        top = Path(temp)
        caps = top / "caps"
        caps.mkdir()
        daemon_root = stack.enter_context(qemu_root(top, "d", caps))
        local_root = stack.enter_context(qemu_root(top, "p", caps))
        libvirtd = stack.enter_context(start_libvirtd(drivers=("qemu",)))
        with environment("VIRT_QEMU_ROOT", str(daemon_root)):
            virtd = stack.enter_context(start_virtd(system=True))
        results = {
            "libvirtd": through_daemon(libvirtd.uri(driver="qemu", path="/system"), GUEST, args.warmup, args.runs),
            "virtd": through_daemon(virtd.uri(driver="qemu", path="/system"), GUEST, args.warmup, args.runs),
        }
        with environment("VIRT_QEMU_ROOT", str(local_root)):
            results["in process"] = in_process(GUEST, args.warmup, args.runs)
    reference = results["libvirtd"]["stored"]
    differing = [side for side, result in results.items() if result["stored"] != reference]
    if differing:
        for side in differing:
            diff = difflib.unified_diff(
                reference.splitlines(True), results[side]["stored"].splitlines(True), "libvirtd", side
            )
            print("".join(diff))
        raise SystemExit(f"the stored definitions differ from libvirtd's: {', '.join(differing)}")
    base = median_ms(results["libvirtd"]["define"])
    print(f"define + undefine of a q35 guest with 10 devices, medians of {args.runs} rounds (same stored XML)")
    print(f"  {'':24} {'define':>9} {'undefine':>9} {'define ratio':>13}")
    failed = False
    for side, label in (("libvirtd", "python3-libvirt→libvirtd"), ("virtd", "python3-libvirt→virtd"),
                        ("in process", "virt API in process")):  # fmt: skip
        define, undefine = median_ms(results[side]["define"]), median_ms(results[side]["undefine"])
        ratio = define / base
        verdict = "" if side == "libvirtd" else ("OK" if ratio <= TARGET else "OVER TARGET")
        failed |= verdict == "OVER TARGET"
        print(f"  {label:24} {define:7.2f}ms {undefine:7.2f}ms {ratio:12.2f}x {verdict}")
    print(f"  target: define at most {TARGET:g}x libvirtd's")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
