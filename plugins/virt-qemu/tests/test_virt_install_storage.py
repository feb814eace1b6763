"""Debian's virt-install with disks through virtd's storage: ``--disk size=N`` makes a new volume in
the default pool, ``--disk path=FILE`` takes an existing image (virt-install looks paths up as
volumes); both guests are defined, start and boot the tests' tiny Linux, their disks open by QEMU.
A third guest names its disk as ``<disk type='volume'>``, which virt-qemu resolves at start.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from client_support import need_virt_install, virt_install_ok, wait_for_text
from daemon_support import private_qemu_root, qemu_uri, remove_guests, virtd_serving
from guest import GuestImage
from virsh_support import virsh, virsh_ok
from virt.daemon.testing import Virtd

BOOT_TIMEOUT = 90.0


@pytest.fixture(scope="module")
def virtd() -> Iterator[tuple[Virtd, Path]]:
    """virtd with its storage under a private root, and a ``default`` pool in a folder of its own."""
    need_virt_install()
    with private_qemu_root("vis") as root, pytest.MonkeyPatch.context() as env:
        env.setenv("VIRT_STORAGE_ROOT", str(root / "storage"))
        with virtd_serving(root) as daemon:
            uri = qemu_uri(daemon)
            images = root / "images"
            virsh_ok(uri, "pool-define-as", "default", "dir", "--target", str(images))
            virsh_ok(uri, "pool-build", "default")
            virsh_ok(uri, "pool-start", "default")
            try:
                yield daemon, images
            finally:
                remove_guests(uri)


def _install(uri: str, name: str, guest: GuestImage, serial: Path, disk: str) -> None:
    boot = f"kernel={guest.kernel},initrd={guest.initrd},kernel_args={guest.cmdline}"
    virt_install_ok(
        uri,
        [
            "--name", name, "--memory", "128", "--vcpus", "1", "--osinfo", "generic", "--import",
            "--disk", disk, "--boot", boot, "--network", "none", "--graphics", "none",
            "--serial", f"file,path={serial}", "--noautoconsole", "--virt-type", "qemu",
        ],
    )  # fmt: skip


def _disk_source(uri: str, name: str) -> str:
    return virsh_ok(uri, "domblklist", name, "--details")


def test_disk_size_makes_a_volume_in_the_default_pool(
    virtd: tuple[Virtd, Path], tiny_guest: GuestImage, tmp_path: Path
) -> None:
    daemon, images = virtd
    uri = qemu_uri(daemon)
    _install(uri, "vis-new", tiny_guest, tmp_path / "serial.log", "size=0.05")
    try:
        assert "vis-new.qcow2" in virsh_ok(uri, "vol-list", "default").split()
        info = virsh_ok(uri, "vol-info", "vis-new.qcow2", "--pool", "default", "--bytes")
        # 0.05 GiB, rounded up to whole 512-byte sectors by qemu-img
        assert "Capacity:       53687296 bytes" in info, info
        assert str(images / "vis-new.qcow2") in _disk_source(uri, "vis-new")
        assert virsh_ok(uri, "domstate", "vis-new").strip() == "running"
        wait_for_text(tmp_path / "serial.log", tiny_guest.marker, BOOT_TIMEOUT)
        # QEMU holds the image: qemu-img sees its write lock
        locked = subprocess.run(["qemu-img", "info", str(images / "vis-new.qcow2")], capture_output=True, text=True)
        assert locked.returncode != 0 and "lock" in locked.stderr
    finally:
        virsh(uri, "destroy", "vis-new")
        virsh(uri, "undefine", "vis-new")


def test_disk_path_takes_an_existing_image(virtd: tuple[Virtd, Path], tiny_guest: GuestImage, tmp_path: Path) -> None:
    daemon, images = virtd
    uri = qemu_uri(daemon)
    image = images / "existing.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(image), "32M"], check=True)
    _install(uri, "vis-path", tiny_guest, tmp_path / "serial.log", f"path={image}")
    try:
        assert str(image) in _disk_source(uri, "vis-path")
        assert virsh_ok(uri, "vol-name", str(image)).strip() == "existing.qcow2"
        wait_for_text(tmp_path / "serial.log", tiny_guest.marker, BOOT_TIMEOUT)
    finally:
        virsh(uri, "destroy", "vis-path")
        virsh(uri, "undefine", "vis-path")


def test_a_volume_disk_is_resolved_at_start(virtd: tuple[Virtd, Path], tiny_guest: GuestImage, tmp_path: Path) -> None:
    daemon, _images = virtd
    uri = qemu_uri(daemon)
    virsh_ok(uri, "vol-create-as", "default", "vol-disk.qcow2", "16M", "--format", "qcow2")
    serial = tmp_path / "serial.log"
    xml = tmp_path / "guest.xml"
    xml.write_text(
        f"""<domain type='qemu'><name>vis-vol</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
<os><type arch='x86_64'>hvm</type><kernel>{tiny_guest.kernel}</kernel><initrd>{tiny_guest.initrd}</initrd>
<cmdline>{tiny_guest.cmdline}</cmdline></os>
<devices><disk type='volume' device='disk'><driver name='qemu'/><source pool='default' volume='vol-disk.qcow2'/>
<target dev='vda' bus='virtio'/></disk>
<serial type='file'><source path='{serial}'/></serial></devices></domain>"""
    )
    virsh_ok(uri, "define", str(xml))
    try:
        virsh_ok(uri, "start", "vis-vol")
        wait_for_text(serial, tiny_guest.marker, BOOT_TIMEOUT)
        assert "<source pool='default' volume='vol-disk.qcow2'/>" in virsh_ok(uri, "dumpxml", "vis-vol")
        virsh_ok(uri, "destroy", "vis-vol")
        virsh_ok(uri, "pool-destroy", "default")
        refused = virsh(uri, "start", "vis-vol")
        assert refused.code == 1
        assert "storage pool 'default' containing volume 'vol-disk.qcow2' is not active" in refused.stderr
    finally:
        virsh(uri, "pool-start", "default")
        virsh(uri, "destroy", "vis-vol")
        virsh(uri, "undefine", "vis-vol")
