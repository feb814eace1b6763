"""The host calls (virt.hostcalls) through virtd serving ``qemu:///system`` and through libvirtd 9.0's
QEMU driver, on the same firmware-only guests (no agent channel; a channel nobody answers; S3/S4
disabled as well): python3-libvirt's answers and refusals, and virt's CLI on virtd against stock
virsh on libvirtd (cpu-compare, dompmsuspend, dompmwakeup, nodesuspend); and the tiny guest suspended
to RAM through its agent stand-in and woken up on each daemon, virsh printing the same."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from daemon_support import need_kvm_comparison, private_virtd, qemu_uri, reference_libvirtd, remove_guests, side_by_side
from guest import GuestImage, domain_xml
from virsh_support import kill_processes_mentioning, virsh, virsh_in, virsh_ok

VIRT = shutil.which("virt", path=str(Path(sys.executable).parent))
UUIDS = [f"5e1f0c3a-7d2b-4c69-9a41-0f6b2d8e7c0{n}" for n in (1, 2, 3)]
SESSION = r"""
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
c = libvirt.open(sys.argv[1])
rows = []
def t(name, f):
    try:
        rows.append([name, "ok", f()])
    except libvirt.libvirtError as e:
        rows.append([name, "error", e.get_error_code(), e.get_error_domain(), e.get_error_message()])
base = ("<domain type='kvm'><name>NAME</name><uuid>UUID</uuid><memory unit='MiB'>64</memory>"
        "<os><type arch='x86_64' machine='pc'>hvm</type></os>PM<features><acpi/></features>"
        "<devices>DEV<memballoon model='none'/></devices></domain>")
agent = "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
pm = "<pm><suspend-to-mem enabled='no'/><suspend-to-disk enabled='no'/></pm>"
doms = []
for n, (uuid, extra_pm, dev) in enumerate(zip(sys.argv[2:], ("", "", pm), ("", agent, agent))):
    doms.append(c.defineXML(base.replace("NAME", f"hc{n + 1}").replace("UUID", uuid).replace("PM", extra_pm)
                .replace("DEV", dev)))
d1 = doms[0]
t("from native", lambda: c.domainXMLFromNative("qemu-argv", "qemu-system-x86_64 -m 128", 0))
t("to native", lambda: c.domainXMLToNative("qemu-argv", d1.XMLDesc(0), 0).startswith(("LC_ALL", "/usr/bin")))
t("to native format", lambda: c.domainXMLToNative("bogus", d1.XMLDesc(0), 0))
t("to native flags", lambda: c.domainXMLToNative("qemu-argv", d1.XMLDesc(0), 1))
t("to native bad XML", lambda: c.domainXMLToNative("qemu-argv", "<domain", 0))
for x in ["<cpu><arch>x86_64</arch><model>qemu64</model></cpu>", "<cpu><model>Skylake-Server</model></cpu>",
          "<cpu><model>nosuch</model></cpu>", "<cpu", "<foo/>", "<cpu mode='host-model'/>"]:
    t("compare " + x, lambda: c.compareCPU(x, 0))
    t("compare --error " + x, lambda: c.compareCPU(x, 1))
t("compare flags", lambda: c.compareCPU("<cpu><model>qemu64</model></cpu>", 4))
t("labels inactive", lambda: d1.securityLabelList())
for target in (0, 1, 2, 7):
    t(f"node suspend {target}", lambda: c.suspendForDuration(target, 60, 0))
t("node suspend flags", lambda: c.suspendForDuration(0, 60, 1))
t("pm suspend inactive", lambda: d1.pMSuspendForDuration(0, 0, 0))
t("pm wakeup inactive", lambda: d1.pMWakeup(0))
for d in doms:
    d.create()
t("labels active", lambda: d1.securityLabelList()[0])
for d in doms:
    for target in (0, 1, 2, 3):
        t(f"pm suspend {d.name()} {target}", lambda: d.pMSuspendForDuration(target, 0, 0))
    t(f"pm suspend {d.name()} duration", lambda: d.pMSuspendForDuration(0, 10, 0))
    t(f"pm suspend {d.name()} flags", lambda: d.pMSuspendForDuration(0, 0, 1))
    t(f"pm wakeup {d.name()}", lambda: d.pMWakeup(0))
    t(f"pm wakeup {d.name()} flags", lambda: d.pMWakeup(1))
print(json.dumps(rows))
"""
CLI = [
    ["cpu-compare", "qemu64.xml"],
    ["cpu-compare", "qemu64.xml", "--error"],
    ["cpu-compare", "host.xml"],
    ["dompmsuspend", "hc1", "mem"],
    ["dompmsuspend", "hc1", "moon"],
    ["dompmsuspend", "hc2", "disk", "--duration", "5"],
    ["dompmwakeup", "hc1"],
    ["nodesuspend", "mem", "60"],
    ["nodesuspend", "disk", "60"],
]


@pytest.fixture(scope="module")
def daemons(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[str, list[Any]]]]:
    need_kvm_comparison()
    folder = tmp_path_factory.mktemp("hostcalls")
    (folder / "qemu64.xml").write_text("<cpu><arch>x86_64</arch><model>qemu64</model></cpu>")
    (folder / "host.xml").write_text("<cpu mode='host-model'/>")
    try:
        with private_virtd() as ours, reference_libvirtd(UUIDS) as theirs:
            found = {}
            for name, daemon in (("virtd", ours), ("libvirtd", theirs)):
                done = subprocess.run(
                    ["/usr/bin/python3", "-c", SESSION, qemu_uri(daemon), *UUIDS],
                    capture_output=True, text=True, timeout=240, check=True,
                )  # fmt: skip
                found[name] = (qemu_uri(daemon), __import__("json").loads(done.stdout))
            found["folder"] = (str(folder), [])
            yield found
    finally:
        for uuid in UUIDS:
            kill_processes_mentioning(uuid)


def test_python3_libvirt_through_virtd_as_through_libvirtd(daemons: dict[str, tuple[str, list[Any]]]) -> None:
    ours, theirs = daemons["virtd"][1], daemons["libvirtd"][1]
    assert [row[0] for row in ours] == [row[0] for row in theirs]
    for mine, reference in zip(ours, theirs, strict=True):
        if mine[0] == "labels active":
            # libvirtd stacks the DAC model under none (its label +0:+0); virt has none alone
            assert mine == ["labels active", "ok", ["", False]] == reference
        else:
            assert mine == reference


@pytest.mark.parametrize("command", CLI, ids=" ".join)
def test_virt_cli_on_virtd_as_virsh_on_libvirtd(daemons: dict[str, tuple[str, list[Any]]], command: list[str]) -> None:
    assert VIRT is not None
    folder = Path(daemons["folder"][0])
    words = [str(folder / word) if word.endswith(".xml") else word for word in command]
    done = subprocess.run([VIRT, "-c", daemons["virtd"][0], *words], capture_output=True, text=True, timeout=60)
    reference = virsh(daemons["libvirtd"][0], *words)
    assert (done.returncode, done.stdout, done.stderr) == tuple(reference)


PM_NAME = "hcpm"
PM_UUID = "5e1f0c3a-7d2b-4c69-9a41-0f6b2d8e7c10"
PM_OFF = "hcpm2"
"""The same guest with S3 and S4 disabled in its <pm>."""
PM_STEPS = [
    ["dompmwakeup", PM_NAME],
    ["dompmsuspend", PM_NAME, "mem"],
    ["domstate", PM_NAME, "--reason"],
    ["dompmsuspend", PM_NAME, "mem"],
    ["dompmwakeup", PM_NAME],
    ["domstate", PM_NAME, "--reason"],
    *(["dompmsuspend", PM_OFF, target] for target in ("mem", "disk", "hybrid")),
]
PM_OFF_UUID = "5e1f0c3a-7d2b-4c69-9a41-0f6b2d8e7c11"


@contextlib.contextmanager
def _pm_guest(uri: str, folder: Path, tiny_guest: GuestImage) -> Iterator[Path]:
    """The tiny guest with its agent stand-in, booted from its bzImage (a PVH boot cannot resume from S3)."""
    folder.mkdir()
    log = folder / "serial.log"
    xml = domain_xml(PM_NAME, tiny_guest, serial_log=log, agent="answer")
    xml = xml.replace(f"<name>{PM_NAME}</name>", f"<name>{PM_NAME}</name>\n  <uuid>{PM_UUID}</uuid>")
    xml = xml.replace(str(tiny_guest.kernel), str(tiny_guest.bzimage))
    (folder / "guest.xml").write_text(xml)
    off = xml.replace(PM_NAME, PM_OFF).replace(PM_UUID, PM_OFF_UUID).replace(str(log), str(folder / "off.log"))
    pm = "<pm><suspend-to-mem enabled='no'/><suspend-to-disk enabled='no'/></pm>"
    (folder / "off.xml").write_text(off.replace("<features>", f"{pm}<features>", 1))
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(remove_guests, uri)
        virsh_ok(uri, "create", str(folder / "off.xml"))
        virsh_ok(uri, "create", str(folder / "guest.xml"))
        yield log


def test_suspend_to_ram_and_wake_up_as_libvirtd(tiny_guest: GuestImage, tmp_path: Path) -> None:
    """The same guest suspended through its agent and woken up on each daemon: virsh prints the same."""
    with side_by_side(PM_UUID, tmp_path, _pm_guest, tiny_guest, 120.0) as found:
        for name in ("virtd", "libvirtd"):  # the agent of the guest with S3/S4 disabled must be up too
            off_log = found[name][1] / "off.log"
            deadline = time.monotonic() + 120
            while tiny_guest.agent_ready not in (off_log.read_text(errors="replace") if off_log.exists() else ""):
                assert time.monotonic() < deadline, f"{PM_OFF} did not boot on {name}"
                time.sleep(0.3)
        for step in PM_STEPS:
            outcomes = {}
            for name in ("virtd", "libvirtd"):
                uri, folder = found[name]
                outcomes[name] = virsh_in(uri, folder, step)
                if step[0] == "dompmwakeup":  # the guest resumes through its firmware: RUNNING follows
                    deadline = time.monotonic() + 30
                    while "pmsuspended" in virsh(uri, "domstate", PM_NAME).stdout and time.monotonic() < deadline:
                        time.sleep(0.2)
            assert outcomes["virtd"] == outcomes["libvirtd"], step
