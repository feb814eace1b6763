"""The domain-changing commands through stock virsh, virtd serving ``qemu:///system`` side by side with
libvirtd 9.0's QEMU driver, on the same guests.

A firmware-only KVM guest (a virtio balloon, 1 of 3 vCPUs online, the guest agent's channel with no
agent behind it) goes through one sequence of commands on each daemon: memory through the balloon
and the definition, vCPU hotplug and the persistent counts, pinning live and persistent (and again
after a restart, from ``<cputune>``), keys, metadata, the guest agent's refusals. Every step must
print what libvirtd prints, errors included, the figures of the vCPUs' processor time aside. A UEFI
guest then shows undefine's rules for its variable store.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_support import compared_daemons, remove_guests
from virsh_support import virsh, virsh_ok
from virt.testing import missing_dependency

NAME = "vqc1"
UUID = "5e1f0c3a-7d2b-4c69-9a41-0f6b2d8e3cd1"
UEFI_NAME = "vqc2"
UEFI_UUID = "5e1f0c3a-7d2b-4c69-9a41-0f6b2d8e3cd2"
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
NS = "http://example.org/virt-test"

GUEST = f"""<domain type='kvm'>
  <name>{NAME}</name>
  <uuid>{UUID}</uuid>
  <memory unit='MiB'>128</memory>
  <currentMemory unit='MiB'>128</currentMemory>
  <vcpu placement='static' current='1'>3</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <memballoon model='virtio'/>
  </devices>
</domain>
"""

UEFI_GUEST = f"""<domain type='kvm'>
  <name>{UEFI_NAME}</name>
  <uuid>{UEFI_UUID}</uuid>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <loader readonly='yes' type='pflash'>{OVMF_CODE}</loader>
    <nvram template='{OVMF_VARS}'/>
  </os>
  <features><acpi/></features>
</domain>
"""

STEPS = [
    # memory: the balloon live, the definition, the maximum (persistent only)
    ["setmem", NAME, "100M"],
    ["setmem", NAME, "100M", "--live"],
    ["setmem", NAME, "200M", "--live"],
    ["setmem", NAME, "96M", "--config"],
    ["setmem", NAME, "64M", "--live", "--config"],
    ["setmaxmem", NAME, "256M"],
    ["setmaxmem", NAME, "256M", "--live"],
    ["setmaxmem", NAME, "256M", "--config"],
    ["setmaxmem", NAME, "64M", "--config"],
    ["dominfo", NAME],
    # vCPUs: hotplug, counts, the persistent maximum
    ["vcpucount", NAME],
    ["setvcpus", NAME, "2", "--live"],
    ["vcpucount", NAME],
    ["vcpuinfo", NAME],
    ["setvcpus", NAME, "4", "--live"],
    ["setvcpus", NAME, "4", "--maximum", "--live"],
    ["setvcpus", NAME, "3"],
    ["setvcpus", NAME, "2", "--config"],
    ["setvcpus", NAME, "5", "--config"],
    ["setvcpus", NAME, "4", "--maximum", "--config"],
    ["vcpucount", NAME],
    # pinning: live (the vCPUs' and QEMU's threads) and persistent
    ["vcpupin", NAME, "0", "0"],
    ["vcpupin", NAME, "1", "1", "--live"],
    ["vcpupin", NAME, "2", "0", "--live"],
    ["vcpupin", NAME],
    ["vcpupin", NAME, "1"],
    ["vcpupin", NAME, "--config"],
    ["vcpupin", NAME, "3", "1", "--config"],
    ["vcpupin", NAME, "1", "0-1", "--config"],
    ["vcpupin", NAME, "9", "0", "--config"],
    ["vcpupin", NAME, "--config"],
    ["vcpuinfo", NAME],
    ["emulatorpin", NAME, "1"],
    ["emulatorpin", NAME],
    ["emulatorpin", NAME, "0", "--config"],
    ["emulatorpin", NAME, "--config"],
    # keys
    ["send-key", NAME, "KEY_LEFTCTRL", "KEY_A"],
    ["send-key", NAME, "--codeset", "xt", "--holdtime", "50", "30"],
    ["send-key", NAME, "--codeset", "qnum", "0x1e"],
    # metadata
    ["desc", NAME, "--live", "a description"],
    ["desc", NAME, "--title", "--config", "a title"],
    ["desc", NAME],
    ["desc", NAME, "--title", "--config"],
    ["metadata", NAME, NS, "--key", "t", "--set", "<thing a='1'/>"],
    ["metadata", NAME, NS],
    ["metadata", NAME, NS, "--config"],
    ["metadata", NAME, "http://example.org/none"],
    # what the guest agent answers: there is none behind the channel
    ["domifaddr", NAME],
    ["domifaddr", NAME, "--source", "agent"],
    # (no --source arp: libvirtd 9.0 fails to read this kernel's neighbour table, "wrong nlmsg len")
    ["domhostname", NAME, "--source", "lease"],
    ["domfsinfo", NAME],
    ["domfsfreeze", NAME],
    ["domfsthaw", NAME],
    ["domhostname", NAME],
    ["domhostname", NAME, "--source", "agent"],
    # the persistent changes take effect at the next start
    ["destroy", NAME],
    ["vcpucount", NAME],
    ["start", NAME],
    ["vcpupin", NAME],
    ["emulatorpin", NAME],
    ["vcpuinfo", NAME],
    ["dominfo", NAME],
    ["desc", NAME, "--title"],
    ["metadata", NAME, NS],
]
UEFI_STEPS = [
    ["start", UEFI_NAME],
    ["destroy", UEFI_NAME],
    ["undefine", UEFI_NAME],
    ["undefine", UEFI_NAME, "--nvram", "--keep-nvram"],
    ["undefine", UEFI_NAME, "--keep-nvram"],
    ["define", "@UEFI@"],
    ["undefine", UEFI_NAME, "--nvram"],
]
_LIVE_FIGURES = re.compile(r"^((CPU time|CPU):\s+)\d\S*$", re.MULTILINE)
# virsh leaves a vCPU's "CPU time" line out while that time is 0 (a vCPU thread not yet scheduled)
_CPU_TIME_LINE = re.compile(r"^CPU time:.*\n", re.MULTILINE)
_NOT_OURS = ("Security model:", "Security DOI:", "Messages:")
"""dominfo's lines of security drivers and taints, which virt-qemu does not have."""


@contextlib.contextmanager
def _defined(uri: str, folder: Path) -> Iterator[dict[str, str]]:
    """The guests defined (the first one started) on the daemon at ``uri``, removed afterwards."""
    folder.mkdir()
    files = {"@GUEST@": folder / "guest.xml", "@UEFI@": folder / "uefi.xml"}
    files["@GUEST@"].write_text(GUEST)
    files["@UEFI@"].write_text(UEFI_GUEST)
    try:
        virsh_ok(uri, "define", str(files["@GUEST@"]))
        virsh_ok(uri, "start", NAME)
        virsh_ok(uri, "define", str(files["@UEFI@"]))
        yield {key: str(path) for key, path in files.items()}
    finally:
        with contextlib.suppress(Exception):
            virsh(uri, "undefine", UEFI_NAME, "--nvram")
        remove_guests(uri)


@pytest.fixture(scope="module")
def daemons(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[str, dict[str, str]]]]:
    if not OVMF_CODE.exists():
        missing_dependency(f"{OVMF_CODE} (Debian's ovmf) is needed for the UEFI guest")
    with compared_daemons(tmp_path_factory.mktemp("changes"), _defined, (UUID, UEFI_UUID)) as daemons:
        yield daemons


def _run(daemon: tuple[str, dict[str, str]], command: list[str]) -> tuple[int, str, str]:
    uri, files = daemon
    outcome = virsh(uri, *(files.get(word, word) for word in command))
    # each daemon's files are in a folder named after it
    text = outcome.stdout.replace("/libvirtd/", "/SIDE/").replace("/virtd/", "/SIDE/")
    shown = [line for line in text.split("\n") if not line.startswith(_NOT_OURS)]
    return outcome.code, _CPU_TIME_LINE.sub("", _LIVE_FIGURES.sub(r"\1N", "\n".join(shown))), outcome.stderr


def _sequence(daemons: dict[str, tuple[str, dict[str, str]]], steps: list[list[str]]) -> None:
    differences = []
    for command in steps:
        ours = _run(daemons["virtd"], command)
        theirs = _run(daemons["libvirtd"], command)
        if ours != theirs:
            differences.append(f"virsh {' '.join(command)}:\n  virtd:    {ours!r:.600}\n  libvirtd: {theirs!r:.600}")
    assert not differences, "\n".join(differences)


def test_changes_print_what_libvirtd_prints(daemons: dict[str, tuple[str, dict[str, str]]]) -> None:
    _sequence(daemons, STEPS)


def test_pinning_reaches_qemus_threads(daemons: dict[str, tuple[str, dict[str, str]]]) -> None:
    """After the sequence: the vCPUs' threads run where ``vcpupin`` says, which vcpuinfo reads back."""
    uri, _ = daemons["virtd"]
    virsh_ok(uri, "vcpupin", NAME, "0", "1", "--live")
    info = virsh_ok(uri, "vcpuinfo", NAME)
    assert "CPU Affinity:   -y" in info.splitlines()[4]
    virsh_ok(uri, "vcpupin", NAME, "0", "0-1", "--live")
    assert "CPU Affinity:   yy" in virsh_ok(uri, "vcpuinfo", NAME).splitlines()[4]


def test_undefine_and_the_uefi_variable_store(daemons: dict[str, tuple[str, dict[str, str]]]) -> None:
    _sequence(daemons, UEFI_STEPS)
