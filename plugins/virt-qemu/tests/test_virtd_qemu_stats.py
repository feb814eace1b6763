"""The statistics and information commands through stock virsh, virtd serving ``qemu:///system`` side
by side with libvirtd 9.0's QEMU driver, on the same guest: a firmware-only KVM guest with a virtio
balloon, a raw and a qcow2 disk, an empty CD-ROM and an existing tap device (one per daemon).

What must differ is hidden before comparing: live figures (numbers of counters, times, sizes the
guest's I/O changed), the tap's name and the disks' folder, and the order of KVM's own counters (``vcpu.N.<kvm>``,
``vm.*``), which libvirt takes from a hash table whose order changes with every libvirtd process;
those are compared as sets. Everything else (commands' words, fields, their order, errors) must be equal.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_support import private_virtd, qemu_uri, reference_libvirtd, remove_guests
from virsh_support import kill_processes_mentioning, virsh, virsh_ok
from virt.testing import missing_dependency, need_virsh, not_applicable

NAME = "vqs1"
UUID = "5e1f0c3a-7d2b-4c69-9a41-0f6b2d8e3cab"
TAPS = {"virtd": "vqstap0", "libvirtd": "vqstap1"}

GUEST = f"""<domain type='kvm'>
  <name>{NAME}</name>
  <uuid>{UUID}</uuid>
  <memory unit='MiB'>128</memory>
  <currentMemory unit='MiB'>96</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='@DIR@/d1.img'/>
      <target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='@DIR@/d2.qcow2'/>
      <target dev='sda' bus='sata'/></disk>
    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>
    <interface type='ethernet'><mac address='52:54:00:aa:bb:01'/><target dev='@TAP@' managed='no'/>
      <model type='virtio'/></interface>
    <memballoon model='virtio'/>
  </devices>
</domain>
"""

COMMANDS = [
    ["vcpuinfo", NAME],
    ["vcpuinfo", NAME, "--pretty"],
    ["vcpupin", NAME],
    ["emulatorpin", NAME],
    ["dommemstat", NAME],
    ["domblkstat", NAME, "vda"],
    ["domblkstat", NAME, "vda", "--human"],
    ["domblkstat", NAME],
    ["domblkstat", NAME, "hdc"],
    ["domblkstat", NAME, "nope"],
    ["domifstat", NAME, "@TAP@"],
    ["domifstat", NAME, "52:54:00:aa:bb:01"],
    ["domifstat", NAME, "vnet9"],
    ["domblkinfo", NAME, "vda"],
    ["domblkinfo", NAME, "sda"],
    ["domblkinfo", NAME, "--all"],
    ["domblkinfo", NAME, "hdc"],
    ["domblkinfo", NAME, "nope"],
    ["domjobinfo", NAME],
    ["domjobinfo", NAME, "--completed"],
    ["domtime", NAME],
    ["domstats", "--state", "--balloon", "--interface", "--block", NAME],
]
NUMBER = re.compile(r"\b\d+(\.\d+)?\b")


@contextlib.contextmanager
def _tap(name: str) -> Iterator[str]:
    if os.geteuid() != 0:
        not_applicable("creating a tap device needs root")
    subprocess.run(["ip", "link", "delete", name], capture_output=True, check=False)
    subprocess.run(["ip", "tuntap", "add", "mode", "tap", "name", name], check=True, capture_output=True)
    subprocess.run(["ip", "link", "set", name, "up"], check=True, capture_output=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "link", "delete", name], capture_output=True, check=False)


def _guest(folder: Path, tap: str) -> Path:
    folder.mkdir()
    for image, fmt, size in (("d1.img", "raw", "64M"), ("d2.qcow2", "qcow2", "128M")):
        subprocess.run(["qemu-img", "create", "-q", "-f", fmt, str(folder / image), size], check=True)
    path = folder / "guest.xml"
    path.write_text(GUEST.replace("@DIR@", str(folder)).replace("@TAP@", tap))
    return path


@contextlib.contextmanager
def _running(uri: str, folder: Path, tap: str) -> Iterator[str]:
    """The guest started on the daemon at ``uri``, removed afterwards."""
    try:
        virsh_ok(uri, "define", str(_guest(folder, tap)))
        virsh_ok(uri, "start", NAME)
        yield uri
    finally:
        remove_guests(uri)


@pytest.fixture(scope="module")
def daemons(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    need_virsh()
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        missing_dependency("/dev/kvm is not usable: the comparison runs the same KVM guest on both daemons")
    folder = tmp_path_factory.mktemp("stats")
    try:
        with (
            _tap(TAPS["virtd"]),
            _tap(TAPS["libvirtd"]),
            private_virtd() as ours,
            reference_libvirtd() as theirs,
            _running(qemu_uri(ours), folder / "virtd", TAPS["virtd"]) as our_uri,
            _running(qemu_uri(theirs), folder / "libvirtd", TAPS["libvirtd"]) as their_uri,
        ):
            yield {"virtd": our_uri, "libvirtd": their_uri}
    finally:
        kill_processes_mentioning(UUID)


def _shown(uri: str, side: str, command: list[str]) -> tuple[int, str, str]:
    tap = TAPS[side]
    outcome = virsh(uri, *(word.replace("@TAP@", tap) for word in command))
    # each daemon's guest has its own disk images, in a folder named after the daemon
    text = outcome.stdout.replace(tap, "TAP").replace(f"/{side}/", "/SIDE/")
    lines = [line for line in text.splitlines() if not line.startswith("CPU time")]
    return outcome.code, NUMBER.sub("N", "\n".join(lines)), outcome.stderr.replace(tap, "TAP")


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_statistics_print_what_libvirtd_prints(daemons: dict[str, str], command: list[str]) -> None:
    ours = _shown(daemons["virtd"], "virtd", command)
    theirs = _shown(daemons["libvirtd"], "libvirtd", command)
    assert ours == theirs, f"virsh {' '.join(command)}:\n virtd:    {ours}\n libvirtd: {theirs}"


def _kvm_counter(field: str) -> bool:
    parts = field.split(".")
    return field.startswith("vm.") or (parts[0] == "vcpu" and len(parts) == 4)


def _fields(uri: str) -> tuple[list[str], set[str]]:
    """``virsh domstats`` of the guest (every group): the fields in order, KVM's own ones apart."""
    text = virsh_ok(uri, "domstats", NAME)
    fields = [line.strip().split("=", 1)[0] for line in text.splitlines() if line.startswith("  ")]
    return [f for f in fields if not _kvm_counter(f)], {f for f in fields if _kvm_counter(f)}


def test_every_statistics_group_gives_libvirtds_fields(daemons: dict[str, str]) -> None:
    ours, our_kvm = _fields(daemons["virtd"])
    theirs, their_kvm = _fields(daemons["libvirtd"])
    assert ours == theirs
    assert our_kvm == their_kvm
    assert "vm.max_mmu_page_hash_collisions.max" in our_kvm or not our_kvm  # KVM's counters when QEMU has them


def test_figures_follow_the_guest(daemons: dict[str, str]) -> None:
    """The numbers are the guest's: its balloon, its disks' sizes, its vCPUs' threads."""
    uri = daemons["virtd"]
    assert virsh_ok(uri, "dommemstat", NAME).splitlines()[:2] == ["actual 131072", "last_update 0"]
    assert virsh_ok(uri, "domblkinfo", NAME, "vda").splitlines()[0].split() == ["Capacity:", "67108864"]
    assert virsh_ok(uri, "domblkinfo", NAME, "sda").splitlines()[0].split() == ["Capacity:", "134217728"]
    vcpus = virsh_ok(uri, "vcpuinfo", NAME)
    assert vcpus.count("State:          running") == 2
    stats = dict(
        line.strip().split("=", 1)
        for line in virsh_ok(uri, "domstats", "--cpu-total", NAME).splitlines()
        if "=" in line
    )
    assert int(stats["cpu.time"]) == int(stats["cpu.user"]) + int(stats["cpu.system"]) > 0
