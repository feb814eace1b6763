"""Block jobs through stock virsh (and virt's own CLI), virtd serving ``qemu:///system`` side by side
with libvirtd 9.0's QEMU driver, on the same firmware-only KVM guest (QEMU's block layer needs no
guest OS) whose disk is a three-image qcow2 chain in each daemon's own folder.

One sequence of blockjob, blockpull, blockcommit (inactive, then active with --pivot), blockcopy
(--wait --verbose --pivot, then a slowed copy queried, re-capped and aborted) and blockresize, errors
included, must print on virtd exactly what it prints on libvirtd, progress lines and all; virsh's
event watcher must see the same BLOCK_JOB and BLOCK_JOB_2 events.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_support import compared_daemons, remove_guests
from virsh_support import client_outcome, event_watcher, outcome_diff, virsh_ok
from virt.testing import VirshEventWatcher, missing_dependency

VIRT = shutil.which("virt", path=str(Path(sys.executable).parent))
NAME = "vqb1"
UUID = "5e1f0c3a-7d2b-4c69-9a41-0f6b2d8e3cb1"
PROBE_UUID = "5e1f0c3a-7d2b-4c69-9a41-0f6b2d8e3cb9"
CLI_NAME = "vqb2"
CLI_UUID = "5e1f0c3a-7d2b-4c69-9a41-0f6b2d8e3cb2"
PY_NAME = "vqb3"
PY_UUID = "5e1f0c3a-7d2b-4c69-9a41-0f6b2d8e3cb3"
GUEST = """<domain type='kvm'>
  <name>@NAME@</name>
  <uuid>@UUID@</uuid>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='@FOLDER@/top.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <memballoon model='none'/>
  </devices>
</domain>
"""
STEPS = [
    ["blockjob", NAME, "vda"],
    ["blockjob", NAME, "vda", "--info", "--raw"],
    ["blockjob", NAME, "vdz"],
    ["blockjob", NAME, "vda", "--abort"],
    ["blockpull", NAME, "vda[1]"],
    ["blockpull", NAME, "vda", "--base", "vda[1]"],
    ["blockpull", NAME, "vda", "--base", "@FOLDER@/nope.qcow2"],
    ["blockcommit", NAME, "vda", "--top", "vda[9]"],
    ["blockcommit", NAME, "vda", "--top", "vdb[2]"],
    ["blockcommit", NAME, "vda", "--top", "vda[3]"],
    ["blockcommit", NAME, "vda", "--top", "vda[2]", "--base", "vda[1]"],
    ["blockcommit", NAME, "vda", "--top", "vda[2]", "--base", "@FOLDER@/nope.qcow2"],
    ["blockcommit", NAME, "vda", "--top", "vda[2]", "--active"],
    ["blockcommit", NAME, "vda", "--top", "vda[1]", "--base", "vda[3]", "--shallow"],
    ["blockpull", NAME, "vda", "--base", "@FOLDER@/mid.qcow2", "--wait"],
    ["blockcommit", NAME, "vda"],
    ["blockcommit", NAME, "vda", "--top", "@FOLDER@/mid.qcow2", "--wait", "--verbose"],
    ["blockcommit", NAME, "vda", "--active", "--pivot", "--verbose"],
    ["domblklist", NAME],
    ["dumpxml", NAME, "--inactive", "--xpath", "//disk/source"],
    ["blockcopy", NAME, "vda", "--dest", "@FOLDER@/copy.qcow2", "--wait", "--pivot"],
    ["blockcopy", NAME, "vda", "@FOLDER@/exists.img", "--transient-job"],
    ["blockcopy", NAME, "vda", "@FOLDER@/missing.qcow2", "--transient-job", "--reuse-external"],
    ["blockcopy", NAME, "vda", "@FOLDER@/nodev", "--transient-job", "--blockdev"],
    ["blockcopy", NAME, "vda", "@FOLDER@/exists.img", "--transient-job", "--blockdev", "--reuse-external"],
    ["blockcopy", NAME, "vda", "@FOLDER@/g.qcow2", "--transient-job", "--granularity", "1000"],
    ["blockcopy", NAME, "vda", "@FOLDER@/copy.qcow2", "--transient-job", "--wait", "--verbose", "--pivot"],
    ["domblklist", NAME],
    ["dumpxml", NAME, "--inactive", "--xpath", "//disk/source"],
    # a copy crawling at a byte a second, which no step outruns (its cap shown rounded up to MiB/s)
    ["blockcopy", NAME, "vda", "@FOLDER@/slow.qcow2", "--bandwidth", "1", "--bytes", "--transient-job"],
    ["blockcopy", NAME, "vda", "@FOLDER@/other.qcow2", "--transient-job"],
    ["blockjob", NAME, "vda", "--info"],
    ["dumpxml", NAME, "--xpath", "//disk/mirror"],
    ["blockjob", NAME, "vda", "--bandwidth", "2", "--bytes"],
    ["blockjob", NAME, "vda", "--info", "--bytes"],
    ["blockjob", NAME, "vda", "--pivot"],
    ["blockjob", NAME, "vda", "--abort"],
    ["blockjob", NAME, "vda"],
    ["blockresize", NAME, "vda", "32M"],
    ["blockresize", NAME, "vdz", "32M"],
    ["blockcopy", NAME, "vda"],
    ["blockcommit", NAME, "vda", "--verbose"],
]


def _chain(folder: Path) -> None:
    below: Path | None = None
    for name in ("base", "mid", "top"):
        path = folder / f"{name}.qcow2"
        backing = ["-F", "qcow2", "-b", str(below)] if below is not None else []
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", *backing, str(path), "16M"], check=True)
        below = path
    # data for a copy to take its time over
    write = ["qemu-io", "-f", "qcow2", "-c", "write -P 0xa1 0 4M", str(folder / "base.qcow2")]
    subprocess.run(write, check=True, capture_output=True)


@contextlib.contextmanager
def _defined(uri: str, folder: Path) -> Iterator[Path]:
    """The guest of virsh's steps, its chain in ``folder``, the guest of virt's, in ``folder/cli``,
    and python3-libvirt's, in ``folder/py``."""
    folder.mkdir()
    folder.chmod(0o755)
    guests = ((NAME, UUID, folder), (CLI_NAME, CLI_UUID, folder / "cli"), (PY_NAME, PY_UUID, folder / "py"))
    for name, uuid, where in guests:
        where.mkdir(exist_ok=True)
        where.chmod(0o755)
        _chain(where)
        (where / "exists.img").write_bytes(b"x" * 4096)  # a file a copy must not overwrite
        xml = GUEST.replace("@FOLDER@", str(where)).replace("@NAME@", name).replace("@UUID@", uuid)
        (where / "guest.xml").write_text(xml)
    try:
        for name, _, where in guests:
            virsh_ok(uri, "define", str(where / "guest.xml"))
            virsh_ok(uri, "start", name)
        yield folder
    finally:
        remove_guests(uri)


@pytest.fixture(scope="module")
def daemons(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[str, Path]]]:
    folder = tmp_path_factory.mktemp("blockjobs")
    folder.chmod(0o755)
    with compared_daemons(folder, _defined, (UUID, CLI_UUID, PY_UUID)) as daemons:
        yield daemons


def _run(
    daemon: tuple[str, Path], command: list[str], *, program: str | None = None, cli: bool = False
) -> tuple[int, str, str]:
    """virsh's (or ``program``'s) exit code, output and errors for ``command`` against ``daemon``
    (``cli``: on the guest of virt's steps)."""
    uri, folder = daemon
    if cli:
        folder = folder / "cli"
        command = [CLI_NAME if word == NAME else word for word in command]
    words = [word.replace("@FOLDER@", str(folder)) for word in command]
    code, stdout, stderr = client_outcome(uri, words, program)

    def same(text: str) -> str:
        text = text.replace(str(folder), "DIR")
        # a progress line (its \r read as a new line) is redrawn as often as the job is asked about:
        # its last state counts, and how far a job running at its own pace got when asked is the moment's
        text = re.sub(r"(\n[^\n]*: \[[ \d]{3} %\])+", lambda m: "\n" + m.group(0).rsplit("\n", 1)[-1], text)
        text = re.sub(r"\[ *\d{1,2} %\]", "[ N %]", text)
        # job names are made of node names, which each daemon gives its own way
        text = re.sub(r"block job '[^']*'", "block job 'JOB'", text)
        return re.sub(r"^-+$", "-", text, flags=re.MULTILINE)

    return code, same(stdout), same(stderr)


_diff = outcome_diff


def _watcher(daemon: tuple[str, Path]) -> VirshEventWatcher:
    uri, folder = daemon
    probe = folder / "probe.xml"
    probe.write_text(
        GUEST.replace("@NAME@", "vqbprobe").replace("@UUID@", PROBE_UUID).replace("@FOLDER@", "/nonexistent")
    )
    return event_watcher(uri, folder, probe)


def test_block_jobs_print_what_libvirtd_prints(daemons: dict[str, tuple[str, Path]]) -> None:
    watchers = {side: _watcher(daemon) for side, daemon in daemons.items()}
    differences = []
    try:
        for command in STEPS:
            ours = _run(daemons["virtd"], command)
            theirs = _run(daemons["libvirtd"], command)
            if ours != theirs:
                differences.append(f"virsh {' '.join(command)}:\n{_diff(ours, theirs)}")
        # the jobs' events, as virsh event prints them: the same on both sides
        expected = len(watchers["libvirtd"].wait_for(1, settle=2.0))
        events = {
            side: [line.replace(str(daemons[side][1]), "DIR") for line in watcher.wait_for(expected, settle=0.5)]
            for side, watcher in watchers.items()
        }
    finally:
        for watcher in watchers.values():
            watcher.stop()
    assert not differences, "\n".join(differences)
    assert events["virtd"] == events["libvirtd"]
    assert "event 'block-job-2' for domain 'vqb1': Block Copy for vda ready" in events["virtd"]
    # the guest's disk grew alike (how much of it is allocated is each QEMU's own business)
    sizes = {side: virsh_ok(uri, "domblkinfo", NAME, "vda").splitlines()[0] for side, (uri, _) in daemons.items()}
    assert sizes["virtd"] == sizes["libvirtd"] == "Capacity:       33554432"


def test_virts_commands_print_what_virsh_prints(daemons: dict[str, tuple[str, Path]]) -> None:
    """virt's own block job commands against virtd print what stock virsh prints against libvirtd."""
    if VIRT is None:
        pytest.fail("the virt console script is not installed: pip install -e core")
    differences = []
    for command in STEPS:
        # what the steps read back with other commands is read by virsh on both sides
        program = VIRT if command[0].startswith("block") else None
        ours = _run(daemons["virtd"], command, program=program, cli=True)
        theirs = _run(daemons["libvirtd"], command, cli=True)
        if ours != theirs:
            differences.append(f"{' '.join(command)}:\n{_diff(ours, theirs)}")
    assert not differences, "\n".join(differences)


# python3-libvirt's side (run by Debian's python3): results, typed parameters and errors by number
BINDING = r"""
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
uri, folder = sys.argv[1], sys.argv[2]
conn, ro = libvirt.open(uri), libvirt.openReadOnly(uri)
dom, rodom = conn.lookupByName("vqb3"), ro.lookupByName("vqb3")
slow = f"<disk type='file'><source file='{folder}/slow.qcow2'/><driver type='qcow2'/></disk>"
TRANSIENT = libvirt.VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB

def job():
    info = dom.blockJobInfo("vda", 0)
    return sorted((k, v) for k, v in info.items() if k in ("type", "bandwidth"))

calls = [
    ("info none", lambda: dom.blockJobInfo("vda", 0)),
    ("info read-only", lambda: rodom.blockJobInfo("vda", 0)),
    ("abort read-only", lambda: rodom.blockJobAbort("vda", 0)),
    ("copy read-only", lambda: rodom.blockCopy("vda", slow, None, TRANSIENT)),
    ("resize read-only", lambda: rodom.blockResize("vda", 1, 0)),
    ("copy persistent", lambda: dom.blockCopy("vda", slow, {"bandwidth": 1048576})),
    ("copy granularity", lambda: dom.blockCopy("vda", slow, {"granularity": 3}, TRANSIENT)),
    ("copy flags", lambda: dom.blockCopy("vda", slow, None, 0x100)),
    ("commit flags", lambda: dom.blockCommit("vda", None, None, 0, 0x100)),
    ("pull flags", lambda: dom.blockPull("vda", 0, 0x1)),
    ("resize flags", lambda: dom.blockResize("vda", 1, 0x4)),
    ("info flags", lambda: dom.blockJobInfo("vda", 0x2)),
    ("copy", lambda: dom.blockCopy("vda", slow, {"bandwidth": 1048576}, TRANSIENT)),
    ("info copying", job),
    ("speed", lambda: dom.blockJobSetSpeed("vda", 3, 0)),
    ("info sped up", job),
    ("speed bytes", lambda: dom.blockJobSetSpeed("vda", 1048576, libvirt.VIR_DOMAIN_BLOCK_JOB_SPEED_BANDWIDTH_BYTES)),
    ("info bytes", lambda: sorted((k, v) for k, v in dom.blockJobInfo("vda", 1).items() if k == "bandwidth")),
    ("speed overflow", lambda: dom.blockJobSetSpeed("vda", 1 << 62, 0)),
    ("abort", lambda: dom.blockJobAbort("vda", 0)),
    ("info aborted", lambda: dom.blockJobInfo("vda", 0)),
    ("resize", lambda: dom.blockResize("vda", 20480, 0)),
    ("capacity", lambda: dom.blockInfo("vda")[0]),
    ("resize missing", lambda: dom.blockResize("vdz", 20480, 0)),
]
for name, call in calls:
    try:
        print(json.dumps([name, "ok", call()]))
    except libvirt.libvirtError as e:
        print(json.dumps([name, "error", e.get_error_code(), e.get_error_domain(), e.get_error_message()]))
"""


def _binding(daemon: tuple[str, Path]) -> list[str]:
    uri, folder = daemon
    done = subprocess.run(
        ["/usr/bin/python3", "-c", BINDING, uri, str(folder / "py")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.replace(str(folder), "DIR").splitlines()


def test_python_binding_sees_what_libvirtd_gives(daemons: dict[str, tuple[str, Path]]) -> None:
    if subprocess.run(["/usr/bin/python3", "-c", "import libvirt"], capture_output=True).returncode:
        missing_dependency("python3-libvirt is not installed for /usr/bin/python3")
    theirs = _binding(daemons["libvirtd"])
    ours = _binding(daemons["virtd"])
    assert ours == theirs
