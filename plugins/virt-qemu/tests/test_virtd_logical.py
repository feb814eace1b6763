"""Logical (LVM) pools through stock virsh: libvirtd 9.0's storage driver, virtd and the ``virt``
command, one after the other on the same volume group name, must print the same and run the same
LVM command lines.

This host's kernel has no device-mapper, so real LVM cannot run: the LVM tools are a stand-in
(lvm_standin.py, faithful to lvm2's command lines and report formats) bind-mounted over
/usr/sbin/<tool> in a private mount namespace of this test, with private tmpfs over /run/lvm (its
state) and /dev/<vg> (its logical volumes, sparse files).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from virt.testing import missing_dependency

HERE = Path(__file__).parent
STAND_IN = HERE / "lvm_standin.py"
TOOLS = ("pvcreate", "pvremove", "pvs", "vgcreate", "vgremove", "vgchange", "vgs", "vgscan")
TOOLS += ("lvcreate", "lvremove", "lvchange", "lvs")
GROUP = "virtlvt"

STEPS = [
    ["find-storage-pool-sources", "logical"],
    ["find-storage-pool-sources", "dir"],
    ["find-storage-pool-sources", "nosuch"],
    ["pool-define-as", "lv1", "logical", "--source-dev", "{SIDE}/pv1.img", "--source-name", GROUP],
    ["pool-dumpxml", "lv1"],
    ["pool-start", "lv1"],  # no volume group yet
    ["pool-build", "lv1", "--overwrite", "--no-overwrite"],
    ["pool-build", "lv1", "--overwrite"],
    # the device holds a volume group now (the stand-in writes lvm2's label: blkid finds LVM2_member)
    ["pool-build", "lv1"],
    ["pool-build", "lv1", "--no-overwrite"],
    ["pool-start", "lv1"],
    ["find-storage-pool-sources", "logical"],
    ["pool-info", "lv1"],
    ["pool-dumpxml", "lv1"],
    ["vol-create-as", "lv1", "a", "8M"],
    ["vol-create-as", "lv1", "b", "10M", "--allocation", "4M"],
    ["vol-create-as", "lv1", "c", "5000K"],
    ["vol-create-as", "lv1", "a", "8M"],
    ["vol-create-as", "lv1", "big", "1G"],
    ["vol-list", "lv1"],
    ["vol-list", "lv1", "--details"],
    ["vol-info", "a", "--pool", "lv1"],
    ["vol-info", "b", "--pool", "lv1", "--bytes"],
    ["vol-info", "c", "--pool", "lv1", "--bytes"],
    ["vol-dumpxml", "a", "--pool", "lv1"],
    ["vol-dumpxml", "b", "--pool", "lv1"],
    ["vol-dumpxml", f"/dev/{GROUP}/c"],
    ["vol-path", "a", "--pool", "lv1"],
    ["vol-name", f"/dev/{GROUP}/a"],
    ["vol-pool", f"/dev/{GROUP}/a"],
    ["vol-clone", "a", "a2", "--pool", "lv1"],
    ["vol-info", "a2", "--pool", "lv1", "--bytes"],
    ["vol-upload", "a", "{SIDE}/up.bin", "--pool", "lv1"],
    ["vol-download", "a", "{SIDE}/down.bin", "--pool", "lv1", "--length", "4096"],
    ["vol-create", "lv1", "{SIDE}/m.xml"],
    ["vol-dumpxml", "m", "--pool", "lv1"],
    # over a group in use: lvm2 refuses to make its device a physical volume again
    ["pool-build", "lv1", "--overwrite"],
    [
        "pool-define-as",
        "lv2",
        "logical",
        "--source-dev",
        "{SIDE}/pv1.img",
        "--source-dev",
        "{SIDE}/pv2.img",
        "--source-name",
        GROUP,
    ],
    ["pool-start", "lv2"],
    ["pool-undefine", "lv2"],
    ["vol-resize", "a", "16M", "--pool", "lv1"],
    ["vol-wipe", "a", "--pool", "lv1"],
    ["vol-wipe", "b", "--pool", "lv1"],
    ["pool-refresh", "lv1"],
    ["pool-info", "lv1", "--bytes"],
    ["vol-delete", "c", "--pool", "lv1"],
    ["vol-list", "lv1"],
    ["pool-destroy", "lv1"],
    ["pool-info", "lv1"],
    ["pool-start", "lv1"],
    ["vol-list", "lv1", "--details"],
    ["pool-destroy", "lv1"],
    ["pool-delete", "lv1"],
    ["pool-start", "lv1"],
    ["pool-undefine", "lv1"],
]

SCRIPT = """
import json, re, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from storage_support import sides
steps, log = json.loads(sys.argv[2]), Path("/run/lvm/standin-calls.log")
# lvm2's UUIDs (32 characters in 7 groups) are each side's own
LVM_UUID = re.compile(r"\\b[0-9A-Za-z]{6}(-[0-9A-Za-z]{4}){5}-[0-9A-Za-z]{6}\\b")
found = {}
with sides() as all_sides:
    for side in all_sides:
        for name in ("pv1.img", "pv2.img"):
            with open(side.folder / name, "wb") as image:
                image.truncate(64 * 2**20)
        (side.folder / "up.bin").write_bytes(bytes(range(256)) * 64)
        (side.folder / "m.xml").write_text(
            "<volume><name>m</name><capacity>4194304</capacity>"
            "<target><permissions><mode>0640</mode><owner>0</owner><group>0</group></permissions></target></volume>"
        )
        log.write_text("")
        printed = [LVM_UUID.sub("LVMUUID", side.run(*step)) for step in steps]
        # the changes only: libvirtd keeps what lvs and vgs said, virt asks them each time
        calls = "".join(
            line for line in log.read_text().replace(str(side.folder), "SIDE").splitlines(keepends=True)
            if line.split()[0] not in ("lvs", "vgs", "vgscan", "pvs")
        )
        downloaded = (side.folder / "down.bin").read_bytes()
        found[side.name] = {"printed": printed, "calls": calls, "downloaded": downloaded.hex()}
print(json.dumps(found))
"""


def test_logical_pool_commands_as_libvirtd_runs_them(tmp_path: Path) -> None:
    for needed in ("unshare", "mount"):
        if shutil.which(needed) is None:
            missing_dependency(f"{needed} is not installed (util-linux)")
    if not all(Path("/usr/sbin", name).exists() for name in TOOLS):
        missing_dependency("lvm2 is not installed (apt-get install lvm2): its tools are where the stand-in goes")
    if not Path("/usr/lib/x86_64-linux-gnu/libvirt/storage-backend/libvirt_storage_backend_logical.so").exists():
        missing_dependency("libvirt's logical storage backend is not installed (libvirt-daemon)")
    script = tmp_path / "compare.py"
    script.write_text(textwrap.dedent(SCRIPT))
    group_dir = Path("/dev", GROUP)
    made_group_dir = not group_dir.exists()
    Path("/run/lvm").mkdir(exist_ok=True)
    group_dir.mkdir(exist_ok=True)  # an empty mount point on the host; a tmpfs over it in the namespace
    mounts = ["mount -t tmpfs lvm /run/lvm", f"mount -t tmpfs {GROUP} {group_dir}"]
    mounts += [f"mount --bind {STAND_IN} /usr/sbin/{name}" for name in TOOLS]
    import json

    command = " && ".join([*mounts, f"exec {sys.executable} {script} {HERE} '{json.dumps(STEPS)}'"])
    try:
        done = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", command],
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "PATH": f"/usr/sbin:{os.environ['PATH']}"},
        )
    finally:
        if made_group_dir:
            group_dir.rmdir()
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.splitlines()[-1])
    reference = found.pop("libvirtd")
    assert f"vgcreate {GROUP} SIDE/pv1.img\n" in reference["calls"], reference["calls"]
    assert f"lvcreate --name b -L 4096K --type snapshot --virtualsize 10240K {GROUP} --yes\n" in reference["calls"]
    printed = dict(zip((" ".join(step) for step in STEPS), reference["printed"], strict=False))
    # what libvirtd found through the stand-in: the group on its device, a volume's extent on it
    assert f"<name>{GROUP}</name>" in printed["find-storage-pool-sources logical"], printed
    assert "already formatted using 'LVM2_member'" in printed["pool-build lv1 --no-overwrite"], printed
    assert "<device path='SIDE/pv1.img'>\n      <extent start=" in printed["vol-dumpxml a --pool lv1"]
    # the upload reached the volume and the download read it back
    assert bytes.fromhex(reference["downloaded"]) == (bytes(range(256)) * 64)[:4096]
    wrong = []
    for name, side in found.items():
        if side["downloaded"] != reference["downloaded"]:
            wrong.append(f"{name} downloaded other bytes than libvirtd")
        for step, theirs, ours in zip(STEPS, reference["printed"], side["printed"], strict=True):
            if theirs != ours:
                wrong.append(f"{' '.join(step)}\n--- libvirtd:\n{theirs}\n--- {name}:\n{ours}")
        if side["calls"] != reference["calls"]:
            wrong.append(f"LVM calls\n--- libvirtd:\n{reference['calls']}\n--- {name}:\n{side['calls']}")
    assert not wrong, "\n\n".join(wrong)
