"""Storage pools and volumes through stock virsh: virtd serving ``qemu:///system`` side by side with
libvirtd 9.0's storage driver, each on real pools of its own on this host (a dir pool, an fs pool
on a loop device). Every command must print what libvirtd prints, with the paths, UUIDs, times and
the pools' file-system sizes aside.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from storage_support import both, loop_device, normalise, normalise_details, sides
from virsh_support import virsh

pytestmark = pytest.mark.usefixtures("_sides")

DIR_STEPS = [
    ["pool-define-as", "p1", "dir", "--target", "{SIDE}/p1"],
    ["pool-list", "--all"],
    ["pool-info", "p1"],
    ["pool-start", "p1"],
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
def _sides():  # type: ignore[no-untyped-def]
    with sides() as found:
        yield found


def run_steps(found: tuple[str, Path, str, Path], steps: list[list[str]]) -> None:
    mismatches = []
    for step in steps:
        theirs, ours = both(*found, *step)
        if step[:2] == ["pool-list", "--all"] or ("--details" in step and step[0] == "pool-list"):
            theirs, ours = normalise_details(theirs), normalise_details(ours)
        if theirs != ours:
            mismatches.append(f"virsh {' '.join(step)}\n--- libvirtd:\n{theirs}\n--- virtd:\n{ours}")
    assert not mismatches, "\n\n".join(mismatches)


def test_dir_pool_commands_print_what_libvirtd_prints(_sides) -> None:  # type: ignore[no-untyped-def]
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


def test_fs_pool_on_a_loop_device(_sides) -> None:  # type: ignore[no-untyped-def]
    ref_uri, ref, our_uri, our = _sides
    with loop_device(ref / "fs.img", 64 * 2**20) as ref_dev, loop_device(our / "fs.img", 64 * 2**20) as our_dev:
        # the devices' names differ (loopN): each side's steps name its own
        mismatches = []
        for step in FS_STEPS:
            theirs, ours = _fs_step(ref_uri, ref, ref_dev, our_uri, our, our_dev, step)
            if theirs != ours:
                mismatches.append(f"virsh {' '.join(step)}\n--- libvirtd:\n{theirs}\n--- virtd:\n{ours}")
        assert not mismatches, "\n\n".join(mismatches)


def _fs_step(
    ref_uri: str, ref: Path, ref_dev: str, our_uri: str, our: Path, our_dev: str, step: list[str]
) -> tuple[str, str]:
    outputs = []
    for uri, side, device in ((ref_uri, ref, ref_dev), (our_uri, our, our_dev)):
        args = [a.replace("{SIDE}", str(side)).replace("{DEVICE}", device) for a in step]
        outcome = virsh(uri, *args)
        text = f"{outcome.code}\n{outcome.stdout}{outcome.stderr}".replace(device, "DEVICE")
        outputs.append(normalise(text, side))
    return outputs[0], outputs[1]
