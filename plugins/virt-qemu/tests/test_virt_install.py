"""Debian's virt-install installs real guests through virtd, as it would through libvirtd.

For the board virt-install picks by itself (no ``--machine``: ``pc-i440fx-7.2``) and for
``--machine q35``, a guest booting the tests' tiny Linux (direct kernel boot, ``--import``, no disk)
with a NIC, VNC and the serial port in a file:
- virt-install writes the same domain XML whether it talks to virtd or to libvirt 9.0 (it reads
  the capabilities and domain capabilities of each);
- the real install through virtd (``--noautoconsole``: createXML, then defineXML) leaves a
  persistent definition identical, text for text, to what libvirt's QEMU driver stores for that XML
  (addresses, implicit controllers and devices);
- the guest runs, is listed as running and boots: the tiny Linux writes its marker on the serial port;
- defining the dumped definition again changes nothing (every address is kept).
The guest runs under KVM with virt-install's default host-passthrough CPU where the host's KVM runs
that CPU, else under TCG. One more guest shows virt-install's KVM path with a named CPU model
(the nested KVM of this project's machines refuses host-passthrough and does not boot Linux: it is
only started and listed).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from client_support import need_virt_install, tcg_unless_host_cpu_works, virt_install_ok, wait_for_text
from daemon_support import private_virtd, qemu_uri, reference_libvirtd
from guest import GuestImage
from virsh_support import virsh, virsh_ok
from virt.daemon.testing import Virtd
from virt.testing import Libvirtd, not_applicable

UUIDS = {
    "i440fx": "7a3c1e52-96d4-4b0f-8f55-2b1d0c9e4a01",
    "q35": "7a3c1e52-96d4-4b0f-8f55-2b1d0c9e4a02",
    "kvm": "7a3c1e52-96d4-4b0f-8f55-2b1d0c9e4a03",
}
MACS = {"i440fx": "52:54:00:3c:1e:01", "q35": "52:54:00:3c:1e:02", "kvm": "52:54:00:3c:1e:03"}
MACHINE_ARGS = {"i440fx": [], "q35": ["--machine", "q35"]}
EXPECTED_MACHINE = {"i440fx": "pc-i440fx-7.2", "q35": "pc-q35-7.2"}
BOOT_TIMEOUT = 90.0


@pytest.fixture(scope="module")
def virtd() -> Iterator[Virtd]:
    need_virt_install()
    with private_virtd("vvi") as daemon:
        yield daemon


@pytest.fixture(scope="module")
def libvirtd() -> Iterator[Libvirtd]:
    need_virt_install()
    with reference_libvirtd(tuple(UUIDS.values())) as daemon:
        yield daemon


def install_args(case: str, guest: GuestImage, serial_log: Path, virt_type: list[str]) -> list[str]:
    """One guest, the same for every daemon: its uuid and MAC fixed so the definitions compare as text."""
    boot = f"kernel={guest.kernel},initrd={guest.initrd},kernel_args={guest.cmdline}"
    return [
        "--name", f"vi-{case}", "--uuid", UUIDS[case], "--memory", "128", "--vcpus", "1",
        "--osinfo", "generic", "--import", "--disk", "none", "--boot", boot,
        "--network", f"user,mac={MACS[case]}", "--graphics", "vnc", "--serial", f"file,path={serial_log}",
        "--noautoconsole", *virt_type, *MACHINE_ARGS.get(case, []),
    ]  # fmt: skip


def libvirt_definition(libvirtd: Libvirtd, xml: Path, name: str) -> str:
    """What libvirt 9.0's QEMU driver stores for ``xml`` (dumpxml --inactive), the domain undefined again."""
    uri = qemu_uri(libvirtd)
    virsh_ok(uri, "define", str(xml))
    try:
        return virsh_ok(uri, "dumpxml", "--inactive", name)
    finally:
        virsh(uri, "undefine", name)


@pytest.mark.parametrize("case", ["i440fx", "q35"])
def test_virt_install_installs_a_guest_through_virtd(
    case: str, virtd: Virtd, libvirtd: Libvirtd, tiny_guest: GuestImage, tmp_path: Path
) -> None:
    uri, name = qemu_uri(virtd), f"vi-{case}"
    serial_log = tmp_path / "serial.log"
    args = install_args(case, tiny_guest, serial_log, tcg_unless_host_cpu_works())

    # virt-install sees the same host through both daemons
    printed = virt_install_ok(uri, [*args, "--print-xml"])
    assert virt_install_ok(qemu_uri(libvirtd), [*args, "--print-xml"]) == printed
    xml = tmp_path / "printed.xml"
    xml.write_text(printed)
    theirs = libvirt_definition(libvirtd, xml, name)

    started = time.monotonic()
    virt_install_ok(uri, args)
    installed = time.monotonic() - started
    try:
        ours = virsh_ok(uri, "dumpxml", "--inactive", name)
        assert ours == theirs
        assert f"machine='{EXPECTED_MACHINE[case]}'" in ours
        assert virsh_ok(uri, "domstate", name).strip() == "running"
        assert name in virsh_ok(uri, "list", "--state-running", "--name").split()
        booted = wait_for_text(serial_log, tiny_guest.marker, BOOT_TIMEOUT)

        again = tmp_path / "again.xml"
        again.write_text(ours)
        virsh_ok(uri, "define", str(again))
        assert virsh_ok(uri, "dumpxml", "--inactive", name) == ours
        print(f"\n{case}: virt-install {installed:.2f}s, boot marker {booted:.1f}s after it returned")
    finally:
        virsh(uri, "destroy", name)
        virsh(uri, "undefine", name)
    assert name not in virsh_ok(uri, "list", "--all", "--name").split()


def test_virt_install_kvm_guest_with_a_named_cpu_model(virtd: Virtd, libvirtd: Libvirtd, tmp_path: Path) -> None:
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        not_applicable("/dev/kvm is not usable on this host")
    uri, name = qemu_uri(virtd), "vi-kvm"
    args = [
        "--name", name, "--uuid", UUIDS["kvm"], "--memory", "64", "--vcpus", "1", "--osinfo", "generic",
        "--import", "--disk", "none", "--network", f"user,mac={MACS['kvm']}", "--graphics", "none",
        "--virt-type", "kvm", "--cpu", "qemu64", "--noautoconsole",
    ]  # fmt: skip
    printed = virt_install_ok(uri, [*args, "--print-xml"])
    assert virt_install_ok(qemu_uri(libvirtd), [*args, "--print-xml"]) == printed
    xml = tmp_path / "printed.xml"
    xml.write_text(printed)
    theirs = libvirt_definition(libvirtd, xml, name)
    virt_install_ok(uri, args)
    try:
        assert virsh_ok(uri, "dumpxml", "--inactive", name) == theirs
        assert virsh_ok(uri, "domstate", name).strip() == "running"
        assert "<domain type='kvm'" in virsh_ok(uri, "dumpxml", name)
    finally:
        virsh(uri, "destroy", name)
        virsh(uri, "undefine", name)
