"""Who may do what with storage through virtd: a read-only client lists and reads but changes nothing
(refused in libvirtd 9.0's words, side by side with it), and virtd's ACL names storage operations as it
names the others (``virStorageVolDelete``, ``STORAGE_POOL_*``)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from daemon_support import private_qemu_root, qemu_uri, virtd_serving
from storage_support import normalise, sides
from virsh_support import virsh, virsh_ok
from virt.daemon.testing import start_virtd

CHANGES = [
    ["pool-define-as", "p2", "dir", "--target", "{SIDE}/p2"],
    ["pool-destroy", "ro"],
    ["pool-refresh", "ro"],
    ["pool-autostart", "ro"],
    ["vol-create-as", "ro", "new.img", "1M"],
    ["vol-delete", "v.img", "--pool", "ro"],
    ["vol-wipe", "v.img", "--pool", "ro"],
    ["vol-resize", "v.img", "2M", "--pool", "ro"],
    ["vol-clone", "v.img", "c.img", "--pool", "ro"],
    ["vol-upload", "v.img", "{SIDE}/data.bin", "--pool", "ro"],
    ["vol-download", "v.img", "{SIDE}/out.bin", "--pool", "ro"],
]
READS = [["pool-list", "--all"], ["pool-info", "ro"], ["vol-list", "ro"], ["vol-info", "v.img", "--pool", "ro"]]


def test_read_only_clients_read_and_are_refused_changes() -> None:
    with sides() as found:
        reference, ours = found[0], found[1]
        outputs = []
        for side, socket in ((reference, "libvirt-sock"), (ours, "virtd-sock")):
            (side.folder / "data.bin").write_bytes(b"x" * 1024)
            virsh_ok(side.uri, "pool-create-as", "ro", "dir", "--target", str(side.folder / "ro"), "--build")
            virsh_ok(side.uri, "vol-create-as", "ro", "v.img", "1M")
            readonly = side.uri.replace(socket, f"{socket}-ro")
            lines = []
            for step in [*READS, *CHANGES]:
                done = virsh(readonly, *(a.replace("{SIDE}", str(side.folder)) for a in step))
                lines.append(normalise(f"{' '.join(step)}: {done.code}\n{done.stdout}{done.stderr}", side.folder))
            virsh_ok(side.uri, "vol-delete", "v.img", "--pool", "ro")
            virsh_ok(side.uri, "pool-destroy", "ro")
            outputs.append("".join(lines))
    assert "access denied" not in outputs[0]
    assert outputs[1] == outputs[0]


def test_the_acl_names_storage_operations(tmp_path: Path) -> None:
    acl = textwrap.dedent("""
        [[acl.rule]]
        users = ["root"]
        allow = ["virConnect*", "virStoragePoolLookup*", "virStoragePoolGet*", "virStoragePoolIs*",
                 "virStoragePoolListAllVolumes", "virStorageVolLookup*", "virStorageVolGet*",
                 "CONNECT_LIST_ALL_STORAGE_POOLS"]
    """)
    with private_qemu_root("vsa") as root, pytest.MonkeyPatch.context() as env:
        env.setenv("VIRT_STORAGE_ROOT", str(root / "storage"))
        with virtd_serving(root) as open_daemon:
            uri = qemu_uri(open_daemon)
            virsh_ok(uri, "pool-define-as", "acl", "dir", "--target", str(tmp_path / "acl"))
            virsh_ok(uri, "pool-build", "acl")
            virsh_ok(uri, "pool-start", "acl")
            virsh_ok(uri, "vol-create-as", "acl", "v.img", "1M")
        env.setenv("VIRT_QEMU_ROOT", str(root))
        with start_virtd(system=True, settings=acl) as daemon:
            uri = qemu_uri(daemon)
            assert "acl" in virsh_ok(uri, "pool-list", "--all", "--name").split()
            assert "v.img" in virsh_ok(uri, "vol-list", "acl")
            assert "Capacity:       1.00 MiB" in virsh_ok(uri, "vol-info", "v.img", "--pool", "acl")
            for step in (["vol-delete", "v.img", "--pool", "acl"], ["pool-destroy", "acl"],
                         ["vol-create-as", "acl", "w.img", "1M"]):  # fmt: skip
                denied = virsh(uri, *step)
                assert denied.code == 1 and "access denied" in denied.stderr, (step, denied)
        assert (tmp_path / "acl" / "v.img").exists()
