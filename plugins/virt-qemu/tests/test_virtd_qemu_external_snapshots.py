"""External snapshots through stock virsh, virtd serving ``qemu:///system`` side by side with libvirtd
9.0's QEMU driver on the same guest (the tiny Linux, TCG, a qcow2 disk): creating them (disk-only and with
memory, running and shut off), listing and dumping them print what libvirtd prints. libvirtd 9.0 refuses
to revert to an external snapshot ("not supported yet"), which virtd does (the driver's tests check the
guest's data through reverts and deletes in every order); deletes, which 9.0 does, are compared."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_support import side_by_side
from driver_support import firmware_xml
from guest import GuestImage, domain_xml
from virsh_support import defined_and_started, lifecycle_during, step_differences, virsh, virsh_in, virsh_ok

NAME = "vqxsn1"
UUID = "0b8d3a51-6f2e-4c1a-9d47-3e5f7a2c8b13"
BOOT_TIMEOUT = 90.0

STEPS = [
    "snapshot-create-as {name} d1 --disk-only",
    "snapshot-list {name} --name",
    "snapshot-list {name} --external --name",
    "snapshot-list {name} --internal --name",
    "snapshot-list {name} --disk-only --name",
    "snapshot-info {name} d1",
    "snapshot-dumpxml {name} d1 --xpath /domainsnapshot/disks",
    "snapshot-dumpxml {name} d1 --xpath /domainsnapshot/memory",
    "snapshot-dumpxml {name} d1 --xpath /domainsnapshot/domain/devices/disk/source",
    "dumpxml {name} --xpath //disk/source/@file",
    "dumpxml {name} --xpath //disk/backingStore/source/@file",
    "dumpxml {name} --xpath //disk/backingStore/format/@type",
    "dumpxml {name} --inactive --xpath //disk/source",
    "snapshot-create-as {name} m1 --memspec file={dir}/m1.mem",
    "domstate {name} --reason",
    "snapshot-info {name} m1",
    "snapshot-dumpxml {name} m1 --xpath /domainsnapshot/memory",
    "snapshot-dumpxml {name} m1 --xpath /domainsnapshot/disks",
    "snapshot-list {name} --tree",
    "snapshot-list {name} --active --name",
    "snapshot-list {name} --parent --name",
    "snapshot-parent {name} m1",
    "snapshot-create-as {name} a1 --disk-only --atomic",
    "snapshot-create-as {name} l1 --live --memspec file={dir}/l1.mem",
    "domstate {name} --reason",
    "snapshot-list {name} --tree",
    "snapshot-delete {name} l1",
    "snapshot-delete {name} a1",
    "snapshot-create-as {name} n1 --disk-only --no-metadata",
    "snapshot-list {name} --name",
    "dumpxml {name} --xpath //disk/source/@file",
    "dumpxml {name} --xpath //disk/backingStore/backingStore/backingStore",
    "snapshot-create-as {name} q1 --disk-only --quiesce",
    "snapshot-create-as {name} x1 --diskspec vda,snapshot=external",
    "snapshot-create-as {name} y1 --memspec snapshot=external",
    "snapshot-create-as {name} z1 --disk-only --diskspec vda,file={dir}/taken.qcow2",
    "snapshot-create-as {name} z2 --disk-only --reuse-external --diskspec vda,file={dir}/missing.qcow2",
    "snapshot-delete {name} m1 --metadata",
    "snapshot-list {name} --name",
    "destroy {name}",
    "snapshot-create-as {name} off1 --disk-only",
    "snapshot-info {name} off1",
    "snapshot-dumpxml {name} off1 --xpath /domainsnapshot/disks",
    "snapshot-create-as {name} off2 --memspec file={dir}/off.mem",
    "dumpxml {name} --inactive --xpath //disk/source",
    "dumpxml {name} --inactive --xpath //disk/backingStore",
    "snapshot-list {name} --tree",
    "snapshot-delete {name} off1",
    "dumpxml {name} --inactive --xpath //disk/source/@file",
    "snapshot-list {name} --tree",
    "start {name}",
    "snapshot-create-as {name} r1 --disk-only",
    "snapshot-create-as {name} r2 --disk-only",
    "snapshot-delete {name} r1",
    "dumpxml {name} --xpath //disk/source/@file",
    "dumpxml {name} --xpath //disk/backingStore/source/@file",
    "snapshot-list {name} --tree",
    "snapshot-delete {name} r2",
    "dumpxml {name} --xpath //disk/source/@file",
    "dumpxml {name} --inactive --xpath //disk/source/@file",
    "snapshot-create-as {name} r3 --disk-only",
    "snapshot-delete {name} d1",
    "snapshot-list {name} --tree",
    "snapshot-delete {name} r3 --children-only",
    "snapshot-delete {name} r3 --metadata",
]


@contextlib.contextmanager
def _guest(uri: str, folder: Path, tiny_guest: GuestImage) -> Iterator[Path]:
    """The counting guest on a new qcow2 disk, defined and started on the daemon at ``uri``; its serial log."""
    folder.mkdir()
    (folder / "taken.qcow2").write_bytes(b"something")  # an existing file a new overlay may not replace
    log, image = folder / "serial.log", folder / "disk.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(image), "16M"], check=True)
    xml = domain_xml(NAME, tiny_guest, serial_log=log, counter_disk=image, counter_format="qcow2")
    path = folder / f"{NAME}.xml"
    path.write_text(xml.replace(f"<name>{NAME}</name>", f"<name>{NAME}</name><uuid>{UUID}</uuid>"))
    with defined_and_started(uri, NAME, path):
        yield log


@pytest.fixture(scope="module")
def daemons(tiny_guest: GuestImage, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[str, Path]]]:
    with side_by_side(UUID, tmp_path_factory.mktemp("xsnap"), _guest, tiny_guest, BOOT_TIMEOUT) as found:
        yield found


def _shown(uri: str, folder: Path, step: str) -> tuple[int, str, str]:
    code, out, err = virsh_in(uri, folder, step.format(name=NAME, dir=folder).split())
    # virt-qemu's live XML numbers no image of a disk's chain (libvirt's index='N', for block jobs)
    return code, re.sub(r' index="\d+"', "", out), err


EVENT_STEPS = [
    "snapshot-create-as {name} e1 --memspec file={dir}/e1.mem",
    "snapshot-create-as {name} e2 --disk-only",
    "snapshot-create-as {name} e3 --disk-only --halt",
    "start {name}",
    "snapshot-delete {name} e3",
    "snapshot-delete {name} e1",
    "snapshot-delete {name} e2",
]


def _events(uri: str, folder: Path, count: int | None) -> list[str]:
    steps = [step.format(name=NAME, dir=folder).split() for step in EVENT_STEPS]
    return lifecycle_during(uri, folder, firmware_xml("vqxsnprobe"), steps, count)


def test_the_lifecycle_events_are_libvirtds(daemons: dict[str, tuple[str, Path]]) -> None:
    """Runs first: its steps leave the guest running on its own disk without snapshots for the next."""
    theirs = _events(*daemons["libvirtd"], None)
    ours = _events(*daemons["virtd"], len(theirs))
    assert ours == theirs, "\n".join(["virtd:", *ours, "libvirtd:", *theirs])
    assert f"event 'lifecycle' for domain '{NAME}': Stopped Snapshot" in ours  # --halt


def test_every_step_prints_what_libvirtd_prints(daemons: dict[str, tuple[str, Path]]) -> None:
    failures = step_differences(daemons, STEPS, _shown)
    assert not failures, failures


def _virt_cli(uri: str, *args: str) -> subprocess.CompletedProcess[str]:
    virt = Path(sys.executable).parent / "virt"
    return subprocess.run([str(virt), "-c", uri, *args], capture_output=True, text=True, timeout=60, check=False)


def test_revert_that_libvirtd_refuses_virtd_does(daemons: dict[str, tuple[str, Path]]) -> None:
    """Reverting to an external snapshot: libvirtd 9.0 says it does not support it; virtd reverts (the
    domain shut off on the snapshot's disk state, kept for another revert), then deletes it."""
    shown = {}
    for daemon, (uri, folder) in daemons.items():
        virsh_ok(uri, "snapshot-create-as", NAME, "v1", "--disk-only")
        shown[daemon] = [_shown(uri, folder, step) for step in ("snapshot-revert {name} v1", "domstate {name}")]
    code, _, error = shown["libvirtd"][0]
    assert code != 0 and "not supported" in error, error
    assert shown["virtd"] == [(0, "Domain snapshot v1 reverted\n\n", ""), (0, "shut off\n\n", "")], shown["virtd"]
    uri, folder = daemons["virtd"]
    # the project's own CLI reverts again and prints virsh's tree
    ours = _virt_cli(uri, "snapshot-revert", NAME, "v1")
    assert (ours.returncode, ours.stdout) == (0, "Domain snapshot v1 reverted\n\n"), ours.stderr
    tree = _virt_cli(uri, "snapshot-list", NAME, "--tree")
    assert tree.stdout == virsh(uri, "snapshot-list", NAME, "--tree").stdout, tree.stderr
    assert (
        _shown(uri, folder, "dumpxml {name} --inactive --xpath //disk/source/@file")[1].strip() == 'file="DIR/disk.v1"'
    )
    kept = _shown(uri, folder, "snapshot-dumpxml {name} v1 --xpath /domainsnapshot/domain/devices/disk/source/@file")
    assert _shown(uri, folder, "snapshot-delete {name} v1")[0] == 0
    # the overlay merged into the image the snapshot kept, which the domain is on again
    assert _shown(uri, folder, "dumpxml {name} --inactive --xpath //disk/source/@file")[1].split() == kept[1].split()
    assert not (folder / "disk.v1").exists()
