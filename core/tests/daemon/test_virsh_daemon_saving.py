"""Debian's stock virsh saving and restoring test:///default's domain through virtd, side by side with
libvirtd 9.0: save, restore, the save images' XML, managed save's XML, start --force-boot and the
managed-save filters print the same, errors and read-only refusals included.

Each case is one virsh run (one connection, one state) on the same file paths, emptied before each
daemon's run; one virtd and one private libvirtd serve the module.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import virt
from virsh_compare import Outcome, virsh
from virt.daemon.testing import Virtd
from virt.testing import Libvirtd

FOLDER = Path("/tmp/virtd-saving")
"""A fixed path: it appears in what both print."""

CASES = [
    "save test {d}/t.save; domstate test --reason; list --all",
    "save test {d}/t.save; save-image-dumpxml {d}/t.save; restore {d}/t.save; domstate test --reason",
    "save test {d}/t.save; save-image-dumpxml {d}/t.save --security-info --xpath /domain/name",
    "save test {d}/t.save; save-image-define {d}/t.save {d}/new.xml; save-image-dumpxml {d}/t.save --xpath //title",
    "save test {d}/t.save; save-image-define {d}/t.save {d}/new.xml --paused",
    "save test {d}/t.save --running",
    "save test {d}/t.save --xml {d}/new.xml",
    "save test {d}/t.save --running --paused",
    "save test {d}/t.save; restore {d}/t.save --paused",
    "save test {d}/t.save; restore {d}/t.save; restore {d}/t.save",
    "save test {d}/t.save; undefine test; restore {d}/t.save; list --all --transient",
    "restore {d}/none.save",
    "restore {d}/new.xml",
    "save test {d}/nodir/t.save",
    "destroy test; save test {d}/t.save",
    "managedsave test; managedsave-dumpxml test",
    "managedsave test; managedsave-define test {d}/new.xml",
    "managedsave test; list --all --with-managed-save; list --all --without-managed-save",
    "managedsave test; start test --force-boot; domstate --reason test; list --all --with-managed-save",
    "start test --force-boot",
]

READ_ONLY_CASES = [
    "save test {d}/t.save",
    "restore {d}/none.save",
    "save-image-dumpxml {d}/none.save",
    "save-image-dumpxml {d}/none.save --security-info",
    "save-image-define {d}/none.save {d}/new.xml",
    "managedsave-dumpxml test",
    "managedsave-dumpxml test --security-info",
    "managedsave-define test {d}/new.xml",
    "start test --force-boot",
]


@pytest.fixture
def folder() -> Iterator[Path]:
    shutil.rmtree(FOLDER, ignore_errors=True)
    FOLDER.mkdir()
    with virt.open("test:///default") as conn:
        xml = conn.lookup_domain("test").xml(inactive=True)
    (FOLDER / "new.xml").write_text(xml.replace("</name>", "</name>\n  <title>saved</title>", 1))
    try:
        yield FOLDER
    finally:
        shutil.rmtree(FOLDER, ignore_errors=True)


def _run(uri: str, command: str, folder: Path) -> Outcome:
    for leftover in folder.glob("*.save"):
        leftover.unlink()
    return virsh(uri, command.format(d=folder))


def _same(ours: Outcome, theirs: Outcome, command: str) -> None:
    assert ours == theirs, f"virsh '{command}':\n virtd:    {ours}\n libvirtd: {theirs}"


@pytest.mark.parametrize("command", CASES)
def test_saving_prints_what_libvirtd_prints(virtd: Virtd, libvirtd: Libvirtd, folder: Path, command: str) -> None:
    theirs = _run(libvirtd.uri(), command, folder)
    _same(_run(virtd.uri(), command, folder), theirs, command)


@pytest.mark.parametrize("command", READ_ONLY_CASES)
def test_the_read_only_socket_as_libvirtd(virtd: Virtd, libvirtd: Libvirtd, folder: Path, command: str) -> None:
    theirs = _run(libvirtd.uri(readonly=True), command, folder)
    _same(_run(virtd.uri(readonly=True), command, folder), theirs, command)
