"""The guest agent's vCPU, SSH key and timeout calls through stock virsh, virtd serving
``qemu:///system`` side by side with libvirtd 9.0's QEMU driver, on the same guest: the tests' tiny
Linux (TCG) with two processors and its agent stand-in, which answers ``guest-get-vcpus`` and
``guest-set-vcpus`` with the kernel's own CPU hotplug and keeps each user's authorized keys.

Each daemon's guest goes through the same steps (virsh guestvcpus, get-user-sshkeys,
set-user-sshkeys, guest-agent-timeout, with virsh's refusals and the drivers' errors); every step
must print what libvirtd prints. ``virt`` itself, in process against the same virtd, prints what
virsh prints.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_support import private_virtd, qemu_uri, reference_libvirtd, remove_guests
from guest import AGENT_READY, GuestImage, domain_xml
from virsh_support import kill_processes_mentioning, virsh, virsh_ok
from virt.testing import need_virsh

NAME = "vqa1"
UUID = "7b3c1d2e-5f60-4a71-8b92-a3c4d5e6f701"
BOOT_TIMEOUT = 120.0


def _steps(keys: Path, one_key: Path, empty: Path) -> list[list[str]]:
    return [
        ["guestvcpus", NAME],
        ["guestvcpus", NAME, "--cpulist", "1", "--disable"],
        ["guestvcpus", NAME],
        ["guestvcpus", NAME, "--cpulist", "0", "--disable"],
        ["guestvcpus", NAME, "--cpulist", "1-3", "--enable"],
        ["guestvcpus", NAME, "--cpulist", "x", "--enable"],
        ["guestvcpus", NAME, "--cpulist", "1", "--enable"],
        ["guestvcpus", NAME],
        ["guestvcpus", NAME, "--enable"],
        ["guestvcpus", NAME, "--cpulist", "1"],
        ["get-user-sshkeys", NAME, "root"],
        ["set-user-sshkeys", NAME, "root", "--file", str(keys)],
        ["get-user-sshkeys", NAME, "root"],
        ["set-user-sshkeys", NAME, "root", "--file", str(one_key), "--remove"],
        ["get-user-sshkeys", NAME, "root"],
        ["set-user-sshkeys", NAME, "root", "--file", str(one_key)],
        ["set-user-sshkeys", NAME, "root", "--file", str(one_key)],
        ["get-user-sshkeys", NAME, "root"],
        ["set-user-sshkeys", NAME, "root", "--file", str(one_key), "--reset"],
        ["get-user-sshkeys", NAME, "root"],
        ["set-user-sshkeys", NAME, "root", "--reset"],
        ["get-user-sshkeys", NAME, "root"],
        ["set-user-sshkeys", NAME, "root"],
        ["set-user-sshkeys", NAME, "root", "--remove"],
        ["set-user-sshkeys", NAME, "root", "--file", str(empty)],
        ["set-user-sshkeys", NAME, "root", "--file", str(one_key), "--reset", "--remove"],
        ["guest-agent-timeout", NAME, "--timeout", "-3"],
        ["guest-agent-timeout", NAME, "--timeout", "x"],
        ["guest-agent-timeout", NAME, "--timeout", "10"],
        ["guest-agent-timeout", NAME],
        ["guestvcpus", NAME],
    ]


@contextlib.contextmanager
def _guest(uri: str, folder: Path, tiny_guest: GuestImage) -> Iterator[Path]:
    folder.mkdir()
    log = folder / "serial.log"
    xml = domain_xml(NAME, tiny_guest, serial_log=log, agent="answer", vcpus=2)
    path = folder / f"{NAME}.xml"
    path.write_text(xml.replace(f"<name>{NAME}</name>", f"<name>{NAME}</name>\n  <uuid>{UUID}</uuid>"))
    virsh_ok(uri, "define", str(path))
    try:
        virsh_ok(uri, "start", NAME)
        yield log
    finally:
        remove_guests(uri)


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _wait_for(log: Path, text: str) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT
    while text not in _text(log):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {text!r} in {log}:\n{_text(log)}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    keys, one_key, empty = folder / "keys", folder / "one", folder / "empty"
    keys.write_text(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA first@host\n\n# a comment\nssh-rsa AAAAB3NzaC1yc2E second@host\n"
    )
    one_key.write_text("ssh-rsa AAAAB3NzaC1yc2E second@host\n")
    empty.write_text("\n")
    return keys, one_key, empty


def _changes(step: list[str], outcome: tuple[int, str, str]) -> bool:
    """Whether a step that worked changed the guest (a query or a refusal changes nothing)."""
    return outcome[0] == 0 and step[0] != "get-user-sshkeys" and not (step[0] == "guestvcpus" and len(step) == 2)


def _run_steps(uri: str, steps: list[list[str]]) -> list[tuple[int, str, str]]:
    return [tuple(virsh(uri, *step)) for step in steps]  # type: ignore[misc]


def test_agent_calls_through_virtd_as_through_libvirtd(
    tiny_guest: GuestImage, tmp_path: Path, files: tuple[Path, Path, Path]
) -> None:
    need_virsh()
    steps = _steps(*files)
    try:
        with (
            private_virtd() as ours,
            reference_libvirtd() as theirs,
            _guest(qemu_uri(ours), tmp_path / "virtd", tiny_guest) as our_log,
            _guest(qemu_uri(theirs), tmp_path / "libvirtd", tiny_guest) as their_log,
        ):
            for log in (our_log, their_log):
                _wait_for(log, tiny_guest.marker)
                _wait_for(log, AGENT_READY)
            reference = _run_steps(qemu_uri(theirs), steps)
            virt_cli = str(Path(sys.executable).parent / "virt")
            for step, wanted in zip(steps, reference, strict=True):
                assert tuple(virsh(qemu_uri(ours), *step)) == wanted, step
                if _changes(step, wanted):
                    continue
                # virt's own CLI, in its own process against virtd, prints what virsh printed
                done = subprocess.run([virt_cli, "-c", qemu_uri(ours), *step], capture_output=True, text=True)
                assert (done.returncode, done.stdout, done.stderr) == wanted, ("virt", step)
            assert "agent: vcpu 1 online 0" in _text(our_log)
            assert "agent: ssh keys of root" in _text(our_log)
            reference_rows = dict(zip(map(" ".join, steps), reference, strict=True))
            assert reference_rows[f"guestvcpus {NAME}"][0] == 0
    finally:
        kill_processes_mentioning(UUID)
