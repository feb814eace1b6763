"""``virt -c test:///default`` saving and restoring the test domain prints what ``virsh -c test:///default``
prints (libvirt 9.0): save, restore, save-image-dumpxml/define, managedsave-dumpxml/define, start
--force-boot, the managed-save listing filters; errors included.

Each case runs its commands in one process of each program (one state), on the same file paths
(emptied before each program runs); the CPU time dominfo prints is hidden (it is the wall clock).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import virt
from test_cli_virsh_compare import URI, VIRT, _shape
from virt.testing import missing_dependency

CASES = [
    "save test {d}/t.save; domstate test --reason; list --all",
    "save test {d}/t.save; save-image-dumpxml {d}/t.save; restore {d}/t.save; domstate test --reason",
    "save test {d}/t.save; save-image-dumpxml {d}/t.save --xpath /domain/name",
    "save test {d}/t.save; save-image-dumpxml {d}/t.save --xpath //disk/target --wrap",
    "save test {d}/t.save; save-image-define {d}/t.save {d}/new.xml; save-image-dumpxml {d}/t.save --xpath //title",
    "save test {d}/t.save; save-image-define {d}/t.save {d}/new.xml --running",
    "save test {d}/t.save; save-image-define {d}/t.save {d}/other.xml",
    "save test {d}/t.save; save-image-define {d}/t.save {d}/missing.xml",
    "save test {d}/t.save --running",
    "save test {d}/t.save --running --paused",
    "save test {d}/t.save; restore {d}/t.save --running --paused",
    "save test {d}/t.save; save-image-define {d}/t.save {d}/new.xml --running --paused",
    "managedsave test; managedsave-define test {d}/new.xml --running --paused",
    "save test {d}/t.save --xml {d}/new.xml",
    "save test {d}/t.save; restore {d}/t.save --paused",
    "save test {d}/t.save; restore {d}/t.save; restore {d}/t.save",
    "save test {d}/t.save; undefine test; restore {d}/t.save; list --all --transient",
    "restore {d}/none.save",
    "restore {d}/new.xml",
    "save-image-dumpxml {d}/none.save",
    "save test {d}/nodir/t.save",
    "destroy test; save test {d}/t.save",
    "managedsave test; managedsave-dumpxml test",
    "managedsave test; managedsave-define test {d}/new.xml",
    "managedsave test; list --all --with-managed-save; list --all --without-managed-save; list --all --managed-save",
    "managedsave test; start test --force-boot; domstate --reason test; list --all --with-managed-save",
    "start test --force-boot",
]


def _xml_files(folder: Path) -> None:
    """new.xml: the test domain with a title (the same guest); other.xml: another name."""
    with virt.open(URI) as conn:
        xml = conn.lookup_domain("test").xml(inactive=True)
    (folder / "new.xml").write_text(xml.replace("</name>", "</name>\n  <title>saved</title>", 1))
    (folder / "other.xml").write_text(xml.replace("<name>test</name>", "<name>other</name>"))


def _run(program: str, command: str, folder: Path) -> subprocess.CompletedProcess[str]:
    # virsh itself now and then hangs in a save on an in-process test:/// connection (its job
    # watcher, see test_cli_virsh_compare_changes.py; 1 run in 10 here, more on a loaded machine,
    # where a run that does not hang takes well under a second; with three busy loops beside it, 4 runs
    # in 15 hung, the others took under 0.1 s): such a run is cut short and tried again
    attempts = 20
    for attempt in range(attempts):
        for leftover in folder.glob("*.save"):
            leftover.unlink()
        try:
            return subprocess.run([program, "-c", URI, command], capture_output=True, text=True, timeout=3)
        except subprocess.TimeoutExpired:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


@pytest.mark.parametrize("case", CASES)
def test_same_output(case: str) -> None:
    virsh = shutil.which("virsh")
    if virsh is None:
        missing_dependency("virsh (libvirt-clients) is not installed")
    assert VIRT is not None
    folder = Path("/tmp/virt-cli-saving")  # a fixed path: it appears in the output of both
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    try:
        _xml_files(folder)
        command = case.format(d=folder)
        theirs = _run(virsh, command, folder)
        ours = _run(VIRT, command, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert (ours.returncode, _shape(ours.stdout), ours.stderr) == (
        theirs.returncode,
        _shape(theirs.stdout),
        theirs.stderr,
    )
