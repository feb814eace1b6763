"""Device hotplug through stock virsh (and virt's own CLI), virtd serving ``qemu:///system`` side by side with libvirtd
9.0's QEMU driver, on the same firmware-only KVM guest (SeaBIOS alone, so no guest ever acknowledges
an unplug: both daemons return after their 5 s with the removal pending).

One sequence of attach-device, detach-device, update-device and detach-device-alias, live and
persistent, errors included, must print on virtd exactly what it prints on libvirtd, and the disks,
interfaces and persistent definitions (the addresses given at attach) must read back the same.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_support import compared_daemons, remove_guests
from virsh_support import client_outcome, outcome_diff, virsh_ok

VIRT = shutil.which("virt", path=str(Path(sys.executable).parent))
NAME = "vqh1"
CLI_NAME = "vqh2"
CLI_UUID = "5e1f0c3a-7d2b-4c69-9a41-0f6b2d8e3ce2"
UUID = "5e1f0c3a-7d2b-4c69-9a41-0f6b2d8e3ce1"
GUEST = f"""<domain type='kvm'>
  <name>{NAME}</name>
  <uuid>{UUID}</uuid>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>
    <memballoon model='none'/>
  </devices>
</domain>
"""
# the device files, @IMAGEn@ the disk images of the daemon's folder
DEVICES = {
    "vdb.xml": "<disk type='file' device='disk'><source file='@IMAGE1@'/><target dev='vdb' bus='virtio'/></disk>",
    "vdc.xml": "<disk type='file' device='disk'><source file='@IMAGE2@'/><target dev='vdc' bus='virtio'/></disk>",
    "vdz.xml": "<disk type='file' device='disk'><source file='@IMAGE1@'/><target dev='vdz' bus='virtio'/></disk>",
    "nic.xml": "<interface type='user'><mac address='52:54:00:aa:bb:01'/><model type='virtio'/></interface>",
    "othernic.xml": "<interface type='user'><mac address='52:54:00:aa:bb:99'/></interface>",
    "sound.xml": "<sound model='ich6'/>",
    "bad.xml": "<foo/>",
    "cd.xml": "<disk type='file' device='cdrom'><source file='@IMAGE3@'/><target dev='hdc' bus='ide'/></disk>",
    "cdempty.xml": "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>",
}
STEPS = [
    ["attach-device", NAME, "vdb.xml", "--config"],
    ["attach-device", NAME, "vdb.xml", "--config"],
    ["dumpxml", NAME, "--inactive"],
    ["attach-device", NAME, "bad.xml", "--config"],
    ["attach-device", NAME, "vdc.xml"],
    ["attach-device", NAME, "vdc.xml"],
    ["attach-device", NAME, "nic.xml", "--live"],
    ["domblklist", NAME],
    ["domiflist", NAME],
    ["detach-device", NAME, "vdb.xml"],
    ["detach-device", NAME, "vdb.xml", "--config"],
    ["detach-device", NAME, "vdb.xml", "--config"],
    ["update-device", NAME, "cd.xml"],
    ["domblklist", NAME],
    ["update-device", NAME, "cdempty.xml", "--live"],
    ["domblklist", NAME],
    ["update-device", NAME, "cd.xml", "--config"],
    ["detach-device-alias", NAME, "nosuch"],
    ["detach-device-alias", NAME, "net0"],
    ["detach-device", NAME, "vdz.xml"],
    ["detach-device", NAME, "vdz.xml", "--config"],
    ["detach-device", NAME, "othernic.xml"],
    ["detach-device", NAME, "othernic.xml", "--config"],
    ["attach-device", NAME, "sound.xml", "--live"],
    ["attach-device", NAME, "sound.xml", "--config"],
    ["detach-device", NAME, "sound.xml", "--config"],
    ["update-device", NAME, "vdb.xml", "--live"],
    ["update-device", NAME, "nic.xml", "--live"],
    ["detach-device", NAME, "nic.xml", "--live"],
    ["attach-device", NAME, "vdb.xml", "--live", "--config"],
    ["detach-device", NAME, "vdb.xml", "--config"],
    ["destroy", NAME],
    ["attach-device", NAME, "vdb.xml", "--live"],
    ["attach-device", NAME, "vdb.xml", "--persistent"],
    ["attach-device", NAME, "nic.xml", "--config"],
    ["detach-device", NAME, "nic.xml"],
    ["detach-device", NAME, "nic.xml", "--config"],
    ["dumpxml", NAME, "--inactive"],
    ["start", NAME],
    ["domblklist", NAME],
]


@contextlib.contextmanager
def _defined(uri: str, folder: Path) -> Iterator[Path]:
    folder.mkdir()
    images = {"@IMAGE1@": folder / "one.img", "@IMAGE2@": folder / "two.img", "@IMAGE3@": folder / "cd.img"}
    for extra in ("three", "four", "five"):  # virt's own commands' disks
        subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(folder / f"{extra}.img"), "8M"], check=True)
    for image in images.values():
        subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(image), "8M"], check=True)
    for name, text in DEVICES.items():
        for key, image in images.items():
            text = text.replace(key, str(image))
        (folder / name).write_text(text)
    (folder / "guest.xml").write_text(GUEST)
    (folder / "guest2.xml").write_text(GUEST.replace(NAME, CLI_NAME).replace(UUID, CLI_UUID))
    try:
        virsh_ok(uri, "define", str(folder / "guest.xml"))
        virsh_ok(uri, "start", NAME)
        yield folder
    finally:
        remove_guests(uri)


@pytest.fixture(scope="module")
def daemons(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[str, Path]]]:
    with compared_daemons(tmp_path_factory.mktemp("hotplug"), _defined, (UUID, CLI_UUID)) as daemons:
        yield daemons


def _run(daemon: tuple[str, Path], command: list[str], *, program: str | None = None) -> tuple[int, str, str]:
    """virsh's (or ``program``'s) exit code, output and errors for ``command`` against ``daemon``."""
    uri, folder = daemon
    words = [str(folder / word) if word.endswith((".xml", ".img")) else word for word in command]
    code, stdout, stderr = client_outcome(uri, words, program)

    # each daemon's files are in a folder named after it
    # (and virsh's tables are as wide as their longest path)
    def same(text: str) -> str:
        text = text.replace("/libvirtd/", "/SIDE/").replace("/virtd/", "/SIDE/")
        return re.sub(r"^-+$", "-", text, flags=re.MULTILINE)

    return code, same(stdout), same(stderr)


_diff = outcome_diff


def test_hotplug_prints_what_libvirtd_prints(daemons: dict[str, tuple[str, Path]]) -> None:
    differences = []
    for command in STEPS:
        ours = _run(daemons["virtd"], command)
        theirs = _run(daemons["libvirtd"], command)
        if ours != theirs:
            differences.append(f"virsh {' '.join(command)}:\n{_diff(ours, theirs)}")
    assert not differences, "\n".join(differences)


CLI_STEPS = [
    ["define", "guest2.xml"],
    ["start", CLI_NAME],
    ["attach-disk", CLI_NAME, "three.img", "vdb", "--targetbus", "virtio"],
    ["attach-disk", CLI_NAME, "three.img", "vdb", "--targetbus", "virtio"],
    ["attach-disk", CLI_NAME, "four.img", "vdc", "--config"],
    ["attach-disk", CLI_NAME, "five.img", "vdd", "--persistent", "--address", "pci:0.0.9.0"],
    ["attach-interface", CLI_NAME, "bridge", "nobr0", "--config", "--mac", "52:54:00:aa:bb:02", "--model", "virtio"],
    ["detach-interface", CLI_NAME, "bridge", "--config"],
    ["detach-interface", CLI_NAME, "bridge"],
    ["change-media", CLI_NAME, "hdc", "cd.img", "--insert"],
    ["change-media", CLI_NAME, "hdc", "cd.img", "--insert"],
    ["change-media", CLI_NAME, "hdc", "--eject"],
    ["change-media", CLI_NAME, "hdc", "--eject"],
    ["change-media", CLI_NAME, "hdc", "cd.img", "--config"],
    ["detach-disk", CLI_NAME, "vdz"],
    ["detach-disk", CLI_NAME, "vdc", "--config"],
    ["detach-disk", CLI_NAME, "vdb"],
    ["dumpxml", CLI_NAME, "--inactive"],
    ["destroy", CLI_NAME],
    ["undefine", CLI_NAME],
]


def test_virts_commands_print_what_virsh_prints(daemons: dict[str, tuple[str, Path]]) -> None:
    """virt's own device commands against virtd print what stock virsh prints against libvirtd."""
    if VIRT is None:
        pytest.fail("the virt console script is not installed: pip install -e core")
    differences = []
    for command in CLI_STEPS:
        ours = _run(daemons["virtd"], command, program=VIRT)
        theirs = _run(daemons["libvirtd"], command)
        if ours != theirs:
            differences.append(f"{' '.join(command)}:\n{_diff(ours, theirs)}")
    assert not differences, "\n".join(differences)
