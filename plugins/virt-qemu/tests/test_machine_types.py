"""Every machine type QEMU offers is either started for real or refused at define time, saying why.

The machine types come from ``qemu-system-x86_64 -machine help`` (QEMU's own list, read without
virt-qemu) and must be exactly those the probe found. Each one that virt-qemu builds starts, paused,
with a minimal guest; the tiny Linux guest boots to its serial-console marker on the two boards
without PCI (isapc, microvm). The others are refused by name at define time, and so are devices that
need the PCI bus isapc and microvm do not have.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import virt
from driver_support import QEMU, conn_fixture, pid_of, qemu_root_fixture, virt_type, wait_until  # noqa: F401 - fixtures
from guest import GuestImage, domain_xml
from qemu_start import start_paused
from virt.errors import ErrorNumber, VirtError
from virt.testing import missing_dependency
from virt.xml import Domain
from virt_qemu.caps import CapsCache, QemuCaps
from virt_qemu.command import RuntimeFiles, UnsupportedConfig, build_command
from virt_qemu.command.errors import Node
from virt_qemu.command.machinetypes import Family, family_of

REFUSED = {
    "none": "it is QEMU's empty board (no firmware, no devices), used to probe QEMU, not to run guests",
    "x-remote": "it is the device server of multi-process QEMU, which runs devices for another QEMU, not a guest",
}
"""The machine types of Debian's QEMU 7.2 that run no guest, and the reason given (this build has no
Xen, so no xenfv/xenpv: :func:`test_xen_machine_types_are_refused` covers those)."""
FAMILIES = {Family.I440FX: 31, Family.Q35: 24, Family.ISAPC: 1, Family.MICROVM: 1}
"""How many machine types of each family QEMU 7.2 has (pc-i440fx-1.4 to 7.2, pc-q35-2.4 to 7.2)."""
BOOT_TIMEOUT = 90.0


@pytest.fixture(scope="module")
def caps() -> QemuCaps:
    binary = shutil.which(QEMU)
    if binary is None:
        missing_dependency(f"{QEMU} is not installed (apt-get install qemu-system-x86)")
    folder = Path(tempfile.gettempdir()) / "virt-qemu-test-caps"  # shared with the driver tests
    folder.mkdir(exist_ok=True)
    return CapsCache(folder).get(binary)


def qemu_machine_help(binary: str) -> tuple[list[str], dict[str, str]]:
    """The machine types of ``-machine help`` and their aliases (alias -> machine)."""
    out = subprocess.run([binary, "-machine", "help"], capture_output=True, text=True, check=True).stdout
    names: list[str] = []
    aliases: dict[str, str] = {}
    for line in out.splitlines()[1:]:
        name = line.split()[0]
        alias_of = re.search(r"\(alias of (\S+)\)", line)
        if alias_of:
            aliases[name] = alias_of.group(1)
        else:
            names.append(name)
    return names, aliases


def _minimal(machine: str, domain_type: str, devices: str = "", extra: str = "") -> str:
    return f"""<domain type='{domain_type}'>
  <name>mt</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='{machine}'>hvm</type></os>
  <features><acpi/></features>{extra}
  <devices><memballoon model='none'/>{devices}</devices>
</domain>"""


@pytest.fixture
def run_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="vqm", dir="/tmp"))  # short: unix socket paths
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_every_machine_type_starts_or_is_refused(caps: QemuCaps, run_folder: Path) -> None:
    names, aliases = qemu_machine_help(str(caps.binary))
    assert sorted(names) == sorted(m.name for m in caps.machines)
    assert aliases == {m.alias: m.name for m in caps.machines if m.alias}
    domain_type = virt_type()
    started: list[str] = []
    refused: dict[str, str] = {}
    problems: list[str] = []
    families: dict[Family, int] = dict.fromkeys(Family, 0)
    for n, name in enumerate(names):
        xml = _minimal(name, domain_type, "<serial type='pty'/><console type='pty'/>")
        run = run_folder / str(n)
        run.mkdir()
        files = RuntimeFiles(monitor_socket=run / "qmp.sock", run_dir=run)
        try:
            argv = build_command(Domain.from_xml(xml), caps, files)
        except UnsupportedConfig as exc:
            refused[name] = exc.message
            continue
        families[family_of(name, Node("/"))] += 1
        try:
            status = start_paused(argv, files)
        except (RuntimeError, OSError) as exc:
            problems.append(f"{name}: built, but QEMU does not start it: {exc}")
            continue
        if status != "prelaunch":
            problems.append(f"{name}: QEMU started in state {status!r}, not prelaunch")
        started.append(name)
    print(f"\n{domain_type}: {len(started)} machine types started, {len(refused)} refused: {sorted(refused)}")
    assert not problems, "\n".join(problems)
    assert sorted(refused) == sorted(REFUSED)
    for name, reason in REFUSED.items():
        assert refused[name] == f"/domain/os/type/@machine: machine type '{name}' cannot run a guest: {reason} (line 5)"
    assert started == [name for name in names if name not in REFUSED]
    assert families == FAMILIES


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_machine_types_at_define(conn: virt.Connection, name: str) -> None:
    with pytest.raises(VirtError) as info:
        conn.define_domain(_minimal(name, "qemu"))
    assert info.value.code == ErrorNumber.CONFIG_UNSUPPORTED
    assert f"machine type '{name}' cannot run a guest: {REFUSED[name]}" in info.value.message
    assert conn.list_domains() == []


@pytest.mark.parametrize("name", ["xenfv", "xenfv-3.1", "xenfv-4.2", "xenpv"])
def test_xen_machine_types_are_refused(name: str) -> None:
    """QEMU builds with Xen offer these; they run on the Xen hypervisor, through libvirt's Xen driver."""
    with pytest.raises(VirtError, match=f"machine type '{name}' cannot run a guest: Xen machines run on the Xen"):
        family_of(name, Node("/domain/os/type/@machine"))


def test_unknown_machine_family_is_not_yet_supported() -> None:
    with pytest.raises(VirtError, match=r"machine type 'virt-7\.2' is not supported by virt-qemu yet"):
        family_of("virt-7.2", Node("/domain/os/type/@machine"))


# -- boards without PCI ------------------------------------------------------------------------------------

PCI_DEVICES = {
    "virtio disk": (
        "<disk type='file' device='disk'><source file='/dev/null'/><target dev='vda' bus='virtio'/></disk>",
        "/domain/devices/disk[1]: machine type '{m}' has no PCI bus for a disk on the 'virtio' bus",
    ),
    "SATA CD-ROM": (
        "<disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk>",
        "/domain/devices/disk[1]: machine type '{m}' has no PCI bus for a disk on the 'sata' bus",
    ),
    "NIC": (
        "<interface type='user'/>",
        "/domain/devices/interface[1]: machine type '{m}' has no PCI bus for a network interface",
    ),
    "USB controller": (
        "<controller type='usb' model='piix3-uhci'/>",
        "/domain/devices/controller[1]: machine type '{m}' has no PCI bus for a usb controller of model 'piix3-uhci'",
    ),
    "USB tablet": (
        "<input type='tablet' bus='usb'/>",
        "/domain/devices/input[1]: machine type '{m}' has no PCI bus for a tablet on the usb bus",
    ),
    "VGA": (
        "<video><model type='vga'/></video>",
        "/domain/devices/video[1]: machine type '{m}' has no PCI bus for a video card of model 'vga'",
    ),
    "channel": (
        "<channel type='pty'><target type='virtio' name='org.example.0'/></channel>",
        "/domain/devices/channel[1]: machine type '{m}' has no PCI bus for a channel (virtio-serial)",
    ),
    "virtio console": (
        "<console type='pty'><target type='virtio'/></console>",
        "/domain/devices/console[1]: machine type '{m}' has no PCI bus for a console of type 'virtio'",
    ),
    "RNG": (
        "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>",
        "/domain/devices/rng[1]: machine type '{m}' has no PCI bus for a virtio RNG",
    ),
    "i6300esb watchdog": (
        "<watchdog model='i6300esb'/>",
        "/domain/devices/watchdog[1]: machine type '{m}' has no PCI bus for a watchdog of model 'i6300esb'",
    ),
    "PCI bridge": (
        "<controller type='pci' index='1' model='pci-bridge'/>",
        "/domain/devices/controller[1]: machine type '{m}' has no PCI bus for a pci controller of model 'pci-bridge'",
    ),
}


@pytest.mark.parametrize("machine", ["isapc", "microvm"])
@pytest.mark.parametrize("device", sorted(PCI_DEVICES))
def test_pci_devices_refused_at_define_on_boards_without_pci(conn: virt.Connection, machine: str, device: str) -> None:
    xml, message = PCI_DEVICES[device]
    with pytest.raises(VirtError) as info:
        conn.define_domain(_minimal(machine, "qemu", xml))
    assert info.value.code == ErrorNumber.CONFIG_UNSUPPORTED
    assert info.value.message.startswith(message.format(m=machine)), info.value.message


def test_virtio_balloon_refused_on_isapc(conn: virt.Connection) -> None:
    xml = _minimal("isapc", "qemu").replace("<memballoon model='none'/>", "<memballoon model='virtio'/>")
    with pytest.raises(VirtError, match="/domain/devices/memballoon: machine type 'isapc' has no PCI bus for a virtio"):
        conn.define_domain(xml)


def test_microvm_has_no_ide_and_no_pflash(conn: virt.Connection, caps: QemuCaps) -> None:
    ide = "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>"
    with pytest.raises(VirtError, match="machine type 'microvm' has no PCI bus for a disk on the 'ide' bus"):
        conn.define_domain(_minimal("microvm", "qemu", ide))
    model = Domain.from_xml(_minimal("microvm", "qemu").replace("</os>", "<loader type='pflash'>/x.fd</loader></os>"))
    with pytest.raises(UnsupportedConfig, match="machine type 'microvm' has no flash for firmware: use type='rom'"):
        build_command(model, caps, RuntimeFiles(monitor_socket=Path("/m.sock"), run_dir=Path("/r")))


ISAPC_DEVICES = """
    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>
    <controller type='ide' index='0'/>
    <controller type='usb' model='none'/>
    <serial type='pty'><target type='isa-serial' port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <input type='mouse' bus='ps2'/>
    <input type='keyboard' bus='ps2'/>
    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>
    <video><model type='none'/></video>
    <watchdog model='ib700' action='reset'/>"""


def test_isapc_with_its_isa_devices_defines_and_starts(conn: virt.Connection, qemu_root: Path) -> None:
    """What isapc has: an IDE CD-ROM and disk, COM1 as the console, PS/2, VNC and the ISA watchdog; the
    guest runs QEMU's 486 (the machine's own CPU, which libvirt picks too), and no USB controller is added."""
    disk = qemu_root / "disk.raw"
    disk.write_bytes(b"\0" * 1024 * 1024)
    hd = f"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{disk}'/>"
    hd += "<target dev='hda' bus='ide'/></disk>"
    dom = conn.define_domain(_minimal("isapc", virt_type(), ISAPC_DEVICES + hd))
    dom.start()
    try:
        assert dom.is_active()
        argv = Path(f"/proc/{pid_of(qemu_root, 'mt')}/cmdline").read_bytes().decode().split("\0")
        assert argv[argv.index("-cpu") + 1] == "486"
        assert argv[argv.index("-machine") + 1].startswith("isapc,")
        devices = [argv[n + 1] for n, arg in enumerate(argv) if arg == "-device"]
        assert [re.sub(r'.*"driver":"([^"]+)".*', r"\1", arg) for arg in devices] == [
            "ide-hd", "ide-cd", "isa-serial", "ib700",  # the disks in libvirt's order, hda before hdc
        ], devices  # fmt: skip
    finally:
        dom.destroy()
        dom.undefine()


@pytest.mark.parametrize("machine", ["isapc", "microvm", "pc", "q35"])
def test_tiny_guest_boots_to_its_marker(
    conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage, machine: str
) -> None:
    """The tiny Linux guest boots on each family under TCG (as the other tiny-guest tests), its console
    on the ISA COM1 (microvm's own port is switched off for it). On isapc the 64-bit kernel needs a
    64-bit CPU (the board's own is a 486) and ``noapic``: the board describes no I/O APIC, and Linux 6.1
    panics in setup_IO_APIC without it. microvm boots without ACPI: with it, Linux 6.1 under TCG stalls
    at boot more often than not (its clock stays at 0.000000; measured: 2 boots in 4 with ACPI, 7 in 8
    without within 10 s, the eighth later)."""
    serial_log = qemu_root / f"serial-{machine}.log"
    acpi = machine != "microvm"
    xml = domain_xml(f"tiny-{machine}", tiny_guest, virt_type="qemu", serial_log=serial_log, machine=machine, acpi=acpi)
    if not acpi:
        xml = xml.replace("<acpi />", "")
        assert "acpi" not in xml.replace("virt.acpi=off", "")
    if machine == "isapc":
        xml = xml.replace("</os>", "</os>\n  <cpu mode='custom'><model>qemu64</model></cpu>")
        xml = xml.replace(f"<cmdline>{tiny_guest.cmdline}", f"<cmdline>{tiny_guest.cmdline} noapic")
        assert "noapic" in xml
    dom = conn.create_domain(xml)
    try:
        wait_until(
            lambda: tiny_guest.marker in serial_log.read_text(errors="replace") if serial_log.exists() else False,
            BOOT_TIMEOUT,
            f"the tiny guest to boot on {machine}",
        )
    finally:
        if dom.is_active():
            dom.destroy()


def test_sleep_states_on_isapc(conn: virt.Connection) -> None:
    """isapc has no ACPI power management: a sleep state cannot be enabled, and disabling one (as
    virt-install always writes) asks for nothing more."""
    pm = "<pm><suspend-to-mem enabled='{mem}'/><suspend-to-disk enabled='no'/></pm>"
    with pytest.raises(VirtError) as info:
        conn.define_domain(_minimal("isapc", "qemu", extra=pm.format(mem="yes")))
    assert info.value.message.startswith(
        "/domain/pm/suspend-to-mem/@enabled: machine type 'isapc' has no ACPI power management device"
    )
    dom = conn.define_domain(_minimal("isapc", "qemu", extra=pm.format(mem="no")))
    try:
        dom.start()
        assert dom.is_active()
        dom.destroy()
    finally:
        dom.undefine()
