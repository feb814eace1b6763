"""Storage pools and volumes through stock virsh: virtd serving ``qemu:///system`` side by side with
libvirtd 9.0's storage driver, and the ``virt`` command in-process, each on real pools of its own on
this host (a dir pool, an fs pool on a loop device). Every command must print what virsh prints
against libvirtd, with the paths, UUIDs, times and the pools' file-system sizes aside.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from storage_support import Side, loop_device, mismatches, normalise_details, sides

pytestmark = pytest.mark.usefixtures("_sides")

DIR_STEPS = [
    ["pool-define-as", "p1", "dir", "--target", "{SIDE}/p1"],
    ["pool-list", "--all"],
    ["pool-info", "p1"],
    ["pool-start", "p1"],
    # either overwrite flag asks for a build, which for a directory means formatting: refused
    ["pool-start", "p1", "--overwrite"],
    ["pool-build", "p1", "--no-overwrite"],
    ["pool-build", "p1"],
    ["pool-build", "p1"],  # building again is fine for a directory
    ["pool-start", "p1"],
    ["pool-start", "p1"],
    ["pool-autostart", "p1"],
    ["pool-list"],
    ["pool-list", "--all", "--type", "dir"],
    ["pool-list", "--autostart", "--name"],
    ["pool-list", "--transient"],
    ["pool-list", "--persistent", "--uuid"],
    ["pool-info", "p1"],
    ["pool-dumpxml", "p1"],
    ["pool-dumpxml", "p1", "--inactive"],
    ["vol-create-as", "p1", "a.qcow2", "1G", "--format", "qcow2"],
    ["vol-create-as", "p1", "b.img", "10M", "--allocation", "2M"],
    [
        "vol-create-as",
        "p1",
        "c.qcow2",
        "1G",
        "--format",
        "qcow2",
        "--backing-vol",
        "a.qcow2",
        "--backing-vol-format",
        "qcow2",
    ],
    ["vol-create-as", "p1", "m.qcow2", "100M", "--format", "qcow2", "--prealloc-metadata"],
    ["vol-create-as", "p1", "a.qcow2", "1G"],
    ["vol-create-as", "p1", "bad/name", "1G"],
    ["vol-create-as", "nosuch", "x", "1G"],
    ["vol-list", "p1"],
    ["vol-list", "p1", "--details"],
    ["vol-info", "a.qcow2", "--pool", "p1"],
    ["vol-info", "b.img", "--pool", "p1"],
    ["vol-info", "b.img", "--pool", "p1", "--bytes"],
    ["vol-info", "--vol", "{SIDE}/p1/b.img"],
    ["vol-info", "nosuch", "--pool", "p1"],
    ["vol-dumpxml", "a.qcow2", "--pool", "p1"],
    ["vol-dumpxml", "b.img", "--pool", "p1"],
    ["vol-dumpxml", "c.qcow2", "--pool", "p1"],
    ["vol-dumpxml", "{SIDE}/p1/c.qcow2"],
    ["vol-key", "a.qcow2", "--pool", "p1"],
    ["vol-path", "a.qcow2", "--pool", "p1"],
    ["vol-pool", "{SIDE}/p1/a.qcow2"],
    ["vol-name", "{SIDE}/p1/a.qcow2"],
    ["vol-resize", "b.img", "5M", "--pool", "p1"],
    ["vol-resize", "b.img", "20M", "--pool", "p1"],
    ["vol-resize", "b.img", "+2M", "--pool", "p1"],
    ["vol-resize", "b.img", "8M", "--pool", "p1", "--shrink"],
    ["vol-info", "b.img", "--pool", "p1", "--bytes"],
    ["vol-resize", "a.qcow2", "2G", "--pool", "p1"],
    ["vol-info", "a.qcow2", "--pool", "p1", "--bytes"],
    ["vol-clone", "a.qcow2", "d.qcow2", "--pool", "p1"],
    ["vol-info", "d.qcow2", "--pool", "p1", "--bytes"],
    ["vol-clone", "a.qcow2", "d.qcow2", "--pool", "p1"],
    ["vol-wipe", "b.img", "--pool", "p1"],
    ["vol-wipe", "b.img", "--pool", "p1", "--algorithm", "nnsa"],
    ["vol-wipe", "b.img", "--pool", "p1", "--algorithm", "trim"],
    ["vol-wipe", "b.img", "--pool", "p1", "--algorithm", "shred"],
    ["vol-info", "b.img", "--pool", "p1", "--bytes"],
    ["vol-delete", "d.qcow2", "--pool", "p1"],
    ["vol-delete", "d.qcow2", "--pool", "p1"],
    ["pool-refresh", "p1"],
    ["vol-list", "p1"],
    ["pool-destroy", "p1"],
    ["pool-destroy", "p1"],
    ["vol-list", "p1"],
    ["pool-info", "p1"],
    ["pool-delete", "p1"],
    ["pool-undefine", "p1"],
    ["pool-undefine", "p1"],
    ["pool-list", "--all"],
    ["pool-create-as", "t1", "dir", "--target", "{SIDE}/p1"],
    ["pool-info", "t1"],
    ["pool-autostart", "t1"],
    ["pool-list", "--all", "--transient"],
    ["vol-list", "t1"],
    ["pool-destroy", "t1"],
    ["pool-list", "--all"],
]


@pytest.fixture(scope="module")
def _sides() -> Iterator[list[Side]]:
    with sides() as found:
        yield found


def run_steps(found: list[Side], steps: list[list[str]]) -> None:
    wrong = []
    for step in steps:
        listing = step[:2] == ["pool-list", "--all"] or (step[0] == "pool-list" and "--details" in step)
        wrong += mismatches(found, step, normalise_details if listing else lambda text: text)
    assert not wrong, "\n\n".join(wrong)


def test_dir_pool_commands_print_what_libvirtd_prints(_sides: list[Side]) -> None:
    run_steps(_sides, DIR_STEPS)


FS_STEPS = [
    ["pool-define-as", "f1", "fs", "--source-dev", "{DEVICE}", "--source-format", "ext4", "--target", "{SIDE}/f1"],
    ["pool-dumpxml", "f1"],
    ["pool-build", "f1", "--overwrite"],
    ["pool-build", "f1", "--no-overwrite"],
    ["pool-start", "f1"],
    ["pool-info", "f1"],
    ["vol-create-as", "f1", "v.qcow2", "50M", "--format", "qcow2"],
    ["vol-create-as", "f1", "r.img", "4M"],
    ["vol-list", "f1", "--details"],
    ["vol-dumpxml", "r.img", "--pool", "f1"],
    ["vol-dumpxml", "lost+found", "--pool", "f1"],
    ["vol-info", "lost+found", "--pool", "f1"],
    ["vol-wipe", "lost+found", "--pool", "f1"],
    ["pool-destroy", "f1"],
    ["pool-start", "f1"],
    ["vol-list", "f1"],
    ["vol-delete", "v.qcow2", "--pool", "f1"],
    ["vol-delete", "r.img", "--pool", "f1"],
    ["pool-destroy", "f1"],
    ["pool-delete", "f1"],
    ["pool-undefine", "f1"],
]


def test_fs_pool_on_a_loop_device(_sides: list[Side]) -> None:
    with contextlib.ExitStack() as stack:
        devices = [stack.enter_context(loop_device(side.folder / "fs.img", 64 * 2**20)) for side in _sides]
        # each side's steps name its own loop device, which its output names DEVICE
        named = _sides
        wrong = []
        for step in FS_STEPS:
            outputs = [
                side.run(*(a.replace("{DEVICE}", device) for a in step)).replace(device, "DEVICE")
                for side, device in zip(named, devices, strict=True)
            ]
            wrong += [
                f"{' '.join(step)}\n--- {named[0].name}:\n{outputs[0]}\n--- {side.name}:\n{text}"
                for side, text in zip(named[1:], outputs[1:], strict=True)
                if text != outputs[0]
            ]
        assert not wrong, "\n\n".join(wrong)


TRANSFER_STEPS = [
    ["pool-create-as", "x1", "dir", "--target", "{SIDE}"],
    ["vol-create-as", "x1", "up.img", "4M"],
    ["vol-upload", "up.img", "{SIDE}/data.bin", "--pool", "x1"],
    ["vol-download", "up.img", "{SIDE}/whole.bin", "--pool", "x1"],
    ["vol-download", "up.img", "{SIDE}/part.bin", "--pool", "x1", "--offset", "1000", "--length", "70000"],
    ["vol-upload", "up.img", "{SIDE}/data.bin", "--pool", "x1", "--offset", "3000000", "--length", "100"],
    ["vol-download", "up.img", "{SIDE}/after.bin", "--pool", "x1"],
    # sparse streams, on a volume of their own (what a refused upload wrote before its refusal is a
    # race in libvirtd: its file stream's thread may drop it)
    ["vol-create-as", "x1", "sp.img", "4M"],
    ["vol-upload", "sp.img", "{SIDE}/data.bin", "--pool", "x1"],
    ["vol-download", "sp.img", "{SIDE}/sparse.bin", "--pool", "x1", "--sparse"],
    ["vol-upload", "sp.img", "{SIDE}/holes.bin", "--pool", "x1", "--sparse"],
    ["vol-download", "sp.img", "{SIDE}/back.bin", "--pool", "x1", "--sparse"],
    ["vol-download", "sp.img", "{SIDE}/cut.bin", "--pool", "x1", "--sparse", "--offset", "1000", "--length", "1500000"],
    ["vol-upload", "sp.img", "{SIDE}/holes.bin", "--pool", "x1", "--sparse", "--offset", "4096", "--length", "2200000"],
    ["vol-upload", "nosuch", "{SIDE}/data.bin", "--pool", "x1"],
    ["vol-upload", "up.img", "{SIDE}/missing.bin", "--pool", "x1"],
    ["pool-destroy", "x1"],
]


def test_upload_and_download_stream_a_volume(_sides: list[Side]) -> None:
    import os

    data = os.urandom(3 * 2**20 + 12345)
    for side in _sides:
        (side.folder / "data.bin").write_bytes(data)
        with (side.folder / "holes.bin").open("wb") as holes:  # data, a hole, data, a hole at the end
            holes.write(b"\x11" * 2**20)
            holes.seek(2 * 2**20)
            holes.write(b"\x22" * 2**19)
            holes.truncate(3 * 2**20)
    wrong = []
    for step in TRANSFER_STEPS:
        outputs = [side.run(*step) for side in _sides]
        if "--length" in step and ("100" in step or "2200000" in step):
            # past its length an upload fails on every side; virtd tells it at the client's finish
            # (an error while libvirt's client is still sending cuts a packet in half), so virsh
            # words it "cannot close volume" where libvirtd's reply makes it "cannot send data"
            assert all("cannot write to stream: No space left on device" in text for text in outputs), outputs
            continue
        wrong += [
            f"{' '.join(step)}\n--- {_sides[0].name}:\n{outputs[0]}\n--- {side.name}:\n{text}"
            for side, text in zip(_sides[1:], outputs[1:], strict=True)
            if text != outputs[0]
        ]
    assert not wrong, "\n\n".join(wrong)
    for side in _sides:
        whole = (side.folder / "whole.bin").read_bytes()
        assert whole == data + bytes(4 * 2**20 - len(data)), side.name
        assert (side.folder / "part.bin").read_bytes() == data[1000:71000], side.name
        after = (side.folder / "after.bin").read_bytes()
        assert after[:3000000] == data[:3000000], side.name  # a refused upload leaves what came before
    # sparse streams: the same bytes and the same holes as libvirtd's in what was downloaded, before and
    # after a sparse upload (a hole uploaded skips what the volume held, and the file ends there)
    for name in ("sparse.bin", "back.bin", "cut.bin"):
        reference = _sides[0].folder / name
        for side in _sides[1:]:
            ours = side.folder / name
            assert ours.read_bytes() == reference.read_bytes(), (side.name, name)
            assert _layout(ours) == _layout(reference), (side.name, name)
    assert ("hole", 2621440, 524288) in _layout(_sides[0].folder / "back.bin")  # the holes made it both ways
    for side in _sides:
        for name in ("up.img", "sp.img", "data.bin", "whole.bin", "part.bin", "after.bin", "sparse.bin",
                     "holes.bin", "back.bin", "cut.bin"):  # fmt: skip
            (side.folder / name).unlink(missing_ok=True)


def _layout(path: Path) -> list[tuple[str, int, int]]:
    """A file's data and holes as SEEK_DATA and SEEK_HOLE find them."""
    import os

    found: list[tuple[str, int, int]] = []
    with path.open("rb") as file:
        fd, size, offset = file.fileno(), os.fstat(file.fileno()).st_size, 0
        while offset < size:
            try:
                data = os.lseek(fd, offset, os.SEEK_DATA)
            except OSError:
                found.append(("hole", offset, size - offset))
                break
            if data > offset:
                found.append(("hole", offset, data - offset))
            end = os.lseek(fd, data, os.SEEK_HOLE)
            found.append(("data", data, end - data))
            offset = end
    return found
