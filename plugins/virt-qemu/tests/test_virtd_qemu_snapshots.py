"""Internal snapshots through stock virsh, virtd serving ``qemu:///system`` side by side with libvirtd
9.0's QEMU driver, on the same guest (the tests' tiny Linux, TCG, a qcow2 disk): every step prints what
libvirtd prints (outputs naming no creation time: names, trees, infos, parts of the XML)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_support import side_by_side
from driver_support import firmware_xml
from guest import GuestImage, domain_xml
from virsh_support import defined_and_started, lifecycle_during, step_differences, virsh, virsh_in

NAME = "vqsn1"
UUID = "6a2e1d4b-8c3f-4d70-8b52-1e7c3f9a6b02"
BOOT_TIMEOUT = 90.0

STEPS = [
    "snapshot-create-as {name} s1 --description first",
    "snapshot-current {name} --name",
    "snapshot-info {name} s1",
    "snapshot-create-as {name} s2",
    "snapshot-list {name} --name",
    "snapshot-list {name} --tree",
    "snapshot-list {name} --leaves --name",
    "snapshot-list {name} --roots --name",
    "snapshot-list {name} --internal --name",
    "snapshot-list {name} --external --name",
    "snapshot-parent {name} s2",
    "snapshot-parent {name} s1",
    "snapshot-dumpxml {name} s1 --xpath /domainsnapshot/memory",
    "snapshot-dumpxml {name} s2 --xpath /domainsnapshot/disks",
    "snapshot-dumpxml {name} s1 --xpath /domainsnapshot/description",
    "snapshot-revert {name} s1",
    "domstate {name} --reason",
    "snapshot-current {name} --name",
    "snapshot-revert {name} s2 --paused",
    "domstate {name} --reason",
    "resume {name}",
    "snapshot-create-as {name} s3 --halt",
    "domstate {name} --reason",
    "snapshot-create-as {name} off1",
    "snapshot-info {name} off1",
    "snapshot-list {name} --inactive --name",
    "snapshot-list {name} --active --name",
    "snapshot-list {name} --tree",
    "snapshot-revert {name} s3 --running",
    "domstate {name} --reason",
    "snapshot-delete {name} s2",
    "snapshot-list {name} --tree",
    "snapshot-delete {name} s1 --children-only",
    "snapshot-list {name} --name",
    "snapshot-delete {name} s1 --metadata",
    "snapshot-list {name} --name",
    "snapshot-info {name} missing",
    "define {dir}/raw.xml",
    "snapshot-create-as vqsnraw r1",
    "snapshot-list vqsnraw --name",
    "undefine vqsnraw",
    "destroy {name}",
    "snapshot-create-as {name} off2",
    "undefine {name}",
    "snapshot-delete {name} off2",
    "undefine {name}",
]


def _disk(xml: str, image: Path, fmt: str = "qcow2") -> str:
    disk = (
        f"<disk type='file' device='disk'><driver name='qemu' type='{fmt}'/><source file='{image}'/>"
        "<target dev='vda' bus='virtio'/></disk>"
    )
    return xml.replace("</devices>", disk + "</devices>", 1)


@contextlib.contextmanager
def _guest(uri: str, folder: Path, tiny_guest: GuestImage) -> Iterator[Path]:
    """The guest, with a new qcow2 disk, defined and started on the daemon at ``uri``; its serial log."""
    folder.mkdir()
    log = folder / "serial.log"
    image = folder / "disk.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(image), "16M"], check=True)
    xml = _disk(domain_xml(NAME, tiny_guest, serial_log=log), image)
    path = folder / f"{NAME}.xml"
    path.write_text(xml.replace(f"<name>{NAME}</name>", f"<name>{NAME}</name><uuid>{UUID}</uuid>"))
    # a guest with a raw disk, only defined, for the refusal of its internal snapshot
    raw = folder / "raw.img"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(raw), "1M"], check=True)
    (folder / "raw.xml").write_text(_disk(domain_xml("vqsnraw", tiny_guest), raw, "raw"))
    try:
        with defined_and_started(uri, NAME, path):
            yield log
    finally:
        virsh(uri, "undefine", "vqsnraw")  # left by a failed step


@pytest.fixture(scope="module")
def daemons(tiny_guest: GuestImage, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[str, Path]]]:
    with side_by_side(UUID, tmp_path_factory.mktemp("snap"), _guest, tiny_guest, BOOT_TIMEOUT) as found:
        yield found


def _shown(uri: str, folder: Path, step: str) -> tuple[int, str, str]:
    return virsh_in(uri, folder, step.format(name=NAME, dir=folder).split())


EVENT_STEPS = [
    "snapshot-create-as {name} e1",
    "snapshot-revert {name} e1 --paused",
    "resume {name}",
    "snapshot-create-as {name} e2 --halt",
    "snapshot-revert {name} e1",
    "snapshot-revert {name} e2",
    "snapshot-revert {name} e2 --running",
    "snapshot-delete {name} e2",
    "snapshot-delete {name} e1",
]


def _events(uri: str, folder: Path, count: int | None) -> list[str]:
    steps = [step.format(name=NAME).split() for step in EVENT_STEPS]
    return lifecycle_during(uri, folder, firmware_xml("vqsnprobe"), steps, count)


def test_the_lifecycle_events_are_libvirtds(daemons: dict[str, tuple[str, Path]]) -> None:
    """Runs first: its steps leave the guest running without snapshots for the next test."""
    theirs = _events(*daemons["libvirtd"], None)
    ours = _events(*daemons["virtd"], len(theirs))
    assert ours == theirs, "\n".join(["virtd:", *ours, "libvirtd:", *theirs])
    assert ours.count(f"event 'lifecycle' for domain '{NAME}': Defined Snapshot") == 4  # one per revert


def test_every_step_prints_what_libvirtd_prints(daemons: dict[str, tuple[str, Path]]) -> None:
    failures = step_differences(daemons, STEPS, _shown)
    assert not failures, failures
