"""Debian's virt-install against virtd: the machine type it picks from our capabilities, and isapc.

virt-install, given no ``--machine``, takes the first machine type ``virsh capabilities`` lists for
the architecture; libvirt lists the default (``pc-i440fx-7.2``) first, and so must virtd (it once
listed ``isapc`` first, and virt-install then built an ISA PC). isapc itself: virt-install's usual
devices need PCI, which isapc lacks, and the define says which device; without them the guest
defines and starts.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from driver_support import QEMU, kill_leftovers
from virsh_support import virsh, virsh_ok
from virt.daemon.testing import Virtd, start_virtd
from virt.testing import missing_dependency, need_virsh

VIRT_INSTALL = "virt-install"
NAME = "vimachine"
BASE = [
    "--name", NAME, "--memory", "64", "--vcpus", "1", "--disk", "none", "--boot", "hd",
    "--osinfo", "detect=on,require=off", "--graphics", "none", "--virt-type", "qemu", "--print-xml",
]  # fmt: skip
WITHOUT_PCI = ["--network", "none", "--controller", "usb,model=none", "--memballoon", "none", "--console", "none"]
"""What virt-install needs to be told for a board without PCI: no NIC, USB, balloon or virtio console."""


@pytest.fixture(scope="module")
def virtd() -> Iterator[Virtd]:
    need_virsh()
    if shutil.which(VIRT_INSTALL) is None:
        missing_dependency("virt-install is not installed (apt-get install virtinst)")
    if shutil.which(QEMU) is None:
        missing_dependency(f"{QEMU} is not installed (apt-get install qemu-system-x86)")
    root = Path(tempfile.mkdtemp(prefix="vqi", dir="/tmp"))
    cache = Path(tempfile.gettempdir()) / "virt-qemu-test-caps"
    cache.mkdir(exist_ok=True)
    for mode in ("system", "session"):
        (root / mode).mkdir()
        (root / mode / "cache").symlink_to(cache)
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("VIRT_QEMU_ROOT", str(root))
            with start_virtd(system=True) as daemon:
                yield daemon
    finally:
        kill_leftovers(root)
        shutil.rmtree(root, ignore_errors=True)


def _uri(daemon: Virtd) -> str:
    return daemon.uri(driver="qemu", path="/system")


def _virt_install(daemon: Virtd, *args: str) -> str:
    done = subprocess.run(
        [VIRT_INSTALL, "--connect", _uri(daemon), *BASE, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _machine(xml: str) -> str | None:
    os_type = ET.fromstring(xml).find("os/type")
    assert os_type is not None
    return os_type.get("machine")


def test_virt_install_takes_the_default_machine(virtd: Virtd) -> None:
    assert _machine(_virt_install(virtd)) == "pc-i440fx-7.2"
    assert _machine(_virt_install(virtd, "--machine", "q35")) == "q35"


def test_virt_install_isapc(virtd: Virtd, tmp_path: Path) -> None:
    uri = _uri(virtd)
    usual = tmp_path / "usual.xml"
    usual.write_text(_virt_install(virtd, "--machine", "isapc"))
    refused = virsh(uri, "define", str(usual))
    assert refused.code == 1
    assert "machine type 'isapc' has no PCI bus for a usb controller of model 'ich9-ehci1'" in refused.stderr
    bare = tmp_path / "bare.xml"
    bare.write_text(_virt_install(virtd, "--machine", "isapc", *WITHOUT_PCI))
    virsh_ok(uri, "define", str(bare))
    try:
        virsh_ok(uri, "start", NAME)
        assert virsh_ok(uri, "domstate", NAME).strip() == "running"
        assert _machine(virsh_ok(uri, "dumpxml", NAME)) == "isapc"
    finally:
        virsh(uri, "destroy", NAME)
        virsh(uri, "undefine", NAME)
