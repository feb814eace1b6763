"""Device hotplug and unplug through the QEMU driver (virt_qemu.hotplug) against real QEMU: a
firmware-only guest for what needs no guest (plug, config addresses, errors, an unplug the guest
never acknowledges), and the tiny Linux guest on Q35, whose kernel sees the hotplugged devices on
its PCIe ports (its console says so) and lets them go when asked."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest
import virt
from driver_support import conn_fixture, firmware_xml, qemu_root_fixture, wait_until  # noqa: F401 - fixtures
from guest import GuestImage, domain_xml
from virt.devicechanges import DeviceModifyFlags as F
from virt.domainevents import AnyDomainEvent, DomainEventID, virsh_text
from virt.snapshots import CreateFlags

BOOT_TIMEOUT = 90.0
_NIC = "<interface type='user'><mac address='52:54:00:aa:bb:01'/><model type='virtio'/></interface>"


def _disk(image: Path, target: str = "vdb") -> str:
    return f"<disk type='file' device='disk'><source file='{image}'/><target dev='{target}' bus='virtio'/></disk>"


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "extra.img"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(path), "8M"], check=True)
    return path


class Events:
    def __init__(self, conn: virt.Connection) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()
        for event_id in (DomainEventID.DEVICE_ADDED, DomainEventID.DEVICE_REMOVED):
            conn.register_domain_event(event_id, self._record)

    def _record(self, dom: virt.Domain, event: AnyDomainEvent) -> None:
        with self._lock:
            self.lines.append(virsh_text(dom.name, event))

    def wait_for(self, count: int) -> list[str]:
        wait_until(lambda: len(self.lines) >= count, 30, f"{count} events (got {self.lines})")
        with self._lock:
            return list(self.lines)


def _image_locked(path: Path) -> bool:
    """Whether a process (QEMU) holds the image: ``qemu-img info`` without ``-U`` then cannot lock it."""
    done = subprocess.run(["qemu-img", "info", str(path)], capture_output=True, text=True)
    return done.returncode != 0 and "lock" in done.stderr


def _pci_address(xml: str, target: str) -> str:
    start = xml.index(f"<target dev='{target}'")
    return xml[xml.index("<address", start) : xml.index("/>", xml.index("<address", start))]


def test_live_and_config_attach_on_a_firmware_guest(conn: virt.Connection, image: Path) -> None:
    events = Events(conn)
    dom = conn.define_domain(firmware_xml("hp1"))
    dom.start()
    dom.attach_device(_disk(image), F.LIVE)
    live = dom.xml()
    assert "<alias name='virtio-disk1'/>" in live
    assert "vdb" not in dom.xml(inactive=True)  # live only
    with pytest.raises(virt.VirtError, match=r"^XML error: target .vdb. duplicated for disk sources"):
        dom.attach_device(_disk(image), F.LIVE)
    # the persistent definition gets the address a define gives (the same free slot here), kept
    dom.attach_device(_disk(image), F.CONFIG)
    config = dom.xml(inactive=True)
    assert _pci_address(config, "vdb") == _pci_address(live, "vdb")
    with pytest.raises(virt.VirtError, match=r"^Requested operation is not valid: target vdb already exists$"):
        dom.attach_device(_disk(image), F.CONFIG)
    conn.define_domain(dom.xml(inactive=True))  # a redefinition keeps the address
    assert _pci_address(dom.xml(inactive=True), "vdb") == _pci_address(config, "vdb")
    dom.attach_device(_NIC, F.LIVE)
    assert "<alias name='net0'/>" in dom.xml()
    assert events.wait_for(2) == [
        "event 'device-added' for domain 'hp1': virtio-disk1",
        "event 'device-added' for domain 'hp1': net0",
    ]
    # SeaBIOS alone never answers the ACPI eject: the call returns after libvirt's 5 s, the removal pending
    dom.detach_device(_disk(image), F.LIVE)
    assert "<target dev='vdb'" in dom.xml()
    dom.detach_device(_disk(image), F.CONFIG)
    assert "vdb" not in dom.xml(inactive=True)
    dom.destroy()


def test_errors_in_libvirts_words(conn: virt.Connection, image: Path) -> None:
    dom = conn.define_domain(firmware_xml("hp2"))
    with pytest.raises(virt.VirtError, match=r"^Requested operation is not valid: domain is not running$"):
        dom.attach_device(_disk(image), F.LIVE)
    with pytest.raises(virt.VirtError, match=r"^unsupported configuration: unknown device type .foo.$"):
        dom.attach_device("<foo/>", F.CONFIG)
    with pytest.raises(virt.VirtError, match=r"^device not found: no target device vdz$"):
        dom.detach_device("<disk><target dev='vdz'/></disk>", F.CONFIG)
    with pytest.raises(virt.VirtError, match=r"^internal error: no device found with alias nosuch$"):
        dom.detach_device_alias("nosuch", F.CONFIG)
    with pytest.raises(virt.VirtError, match=r"unsupported flags \(0x8\) in function qemuDomainAttachDeviceFlags"):
        dom.attach_device(_disk(image), 8)
    dom.start()
    with pytest.raises(virt.VirtError, match=r"^device not found: disk vdz not found$"):
        dom.detach_device("<disk><target dev='vdz'/></disk>", F.LIVE)
    with pytest.raises(virt.VirtError, match=r"live attach of device 'sound' is not supported$"):
        dom.attach_device("<sound model='ich6'/>", F.LIVE)
    dom.destroy()


def _q35_xml(name: str, guest: GuestImage, serial_log: Path) -> str:
    xml = domain_xml(name, guest, virt_type="qemu", serial_log=serial_log, machine="q35")
    # the kernel reports the PCI devices it finds (quiet hides them); spare PCIe ports take the hotplugs
    xml = xml.replace("</cmdline>", " loglevel=7</cmdline>")
    ports = "".join(f"<controller type='pci' index='{n}' model='pcie-root-port'/>" for n in (1, 2, 3))
    return xml.replace("</devices>", f"{ports}</devices>", 1)


def _console(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def test_the_guest_sees_plugged_devices_and_lets_them_go(
    conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage, image: Path
) -> None:
    events = Events(conn)
    log = qemu_root / "hp3.console"
    dom = conn.define_domain(_q35_xml("hp3", tiny_guest, log))
    dom.start()
    wait_until(lambda: tiny_guest.marker in _console(log), BOOT_TIMEOUT, "the guest to boot")
    seen = _console(log).count("[1af4:")
    dom.attach_device(_disk(image), F.LIVE)
    dom.attach_device(_NIC, F.LIVE)
    # the guest's kernel enumerates both on its PCIe ports: virtio block (1042) and net (1041)
    wait_until(lambda: "[1af4:1042]" in _console(log), 30, "the guest to find the disk")
    wait_until(lambda: "[1af4:1041]" in _console(log), 30, "the guest to find the NIC")
    assert _console(log).count("[1af4:") >= seen + 2
    # an external snapshot puts an overlay (its own block nodes) on the plugged disk
    overlay = qemu_root / "extra.ov"
    dom.create_snapshot(
        f"<domainsnapshot><name>ov</name><disks><disk name='vdb' snapshot='external'><source file='{overlay}'/>"
        "</disk></disks></domainsnapshot>",
        int(CreateFlags.DISK_ONLY),
    )
    assert _image_locked(overlay)
    # the guest lets go (PCIe hotplug's attention button, 5 s in Linux): gone from the live definition
    dom.detach_device(_disk(image), F.LIVE)
    dom.detach_device_alias("net0", F.LIVE)
    wait_until(lambda: "<interface" not in dom.xml() and "vdb" not in dom.xml(), 30, "the unplugs")
    lines = events.wait_for(4)
    assert lines[:2] == [
        "event 'device-added' for domain 'hp3': virtio-disk1",
        "event 'device-added' for domain 'hp3': net0",
    ]
    assert sorted(lines[2:]) == [
        "event 'device-removed' for domain 'hp3': net0",
        "event 'device-removed' for domain 'hp3': virtio-disk1",
    ]
    # the block nodes went with the disk, the overlay's too (QEMU holds its file no more)
    assert not _image_locked(overlay)
    # plugging it again works
    dom.attach_device(_disk(image), F.LIVE)
    assert "<target dev='vdb'" in dom.xml()
    dom.destroy()


def test_a_scsi_controller_and_a_disk_on_it(conn: virt.Connection, image: Path) -> None:
    dom = conn.define_domain(firmware_xml("hp4"))
    dom.start()
    with pytest.raises(virt.VirtError, match=r"^Operation not supported: 'usb' controller cannot be hot plugged\.$"):
        dom.attach_device("<controller type='usb' index='1' model='qemu-xhci'/>", F.LIVE)
    dom.attach_device("<controller type='scsi' index='0' model='virtio-scsi'/>", F.LIVE)
    scsi = f"<disk type='file' device='disk'><source file='{image}'/><target dev='sda' bus='scsi'/></disk>"
    dom.attach_device(scsi, F.LIVE)
    qemu = conn.driver.qemu  # type: ignore[attr-defined]
    with qemu.locked(dom.ref) as obj:
        devices = {str(entry.get("qdev") or "") for entry in qemu.qmp(obj, "query-block")}
    assert any("scsi0-0-0-0" in qdev for qdev in devices), devices
    live = dom.xml()
    assert "<alias name='scsi0-0-0-0'/>" in live
    assert "<alias name='scsi0'/>" in live
    with pytest.raises(virt.VirtError, match=r"device is busy$"):
        dom.detach_device("<controller type='scsi' index='0'/>", F.LIVE)
    dom.destroy()


def test_cdrom_media_change_live(conn: virt.Connection, image: Path) -> None:
    trays: list[str] = []
    conn.register_domain_event(DomainEventID.TRAY_CHANGE, lambda d, e: trays.append(virsh_text(d.name, e)))
    cdrom = "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>"
    dom = conn.define_domain(firmware_xml("hp5", extra_devices=cdrom))
    dom.start()
    inserted = f"<disk type='file' device='cdrom'><source file='{image}'/><target dev='hdc' bus='ide'/></disk>"
    dom.update_device(inserted, F.LIVE)
    assert f"<source file='{image}'/>" in dom.xml()
    assert f"<source file='{image}'/>" not in dom.xml(inactive=True)  # live only
    qemu = conn.driver.qemu  # type: ignore[attr-defined]
    with qemu.locked(dom.ref) as obj:
        media = {e.get("qdev"): (e.get("inserted") or {}).get("file") for e in qemu.qmp(obj, "query-block")}
    assert str(image) in media.values()
    dom.update_device(cdrom, F.LIVE)  # eject
    assert "<source" not in dom.xml().split("device='cdrom'")[1].split("</disk>")[0]
    with qemu.locked(dom.ref) as obj:
        media = {e.get("qdev"): (e.get("inserted") or {}).get("file") for e in qemu.qmp(obj, "query-block")}
    assert str(image) not in media.values()
    # QEMU moved the tray: opened and closed for the change, opened for the eject
    wait_until(lambda: len(trays) >= 3, 15, f"tray events (got {trays})")
    assert all(line.startswith("event 'tray-change' for domain 'hp5'") for line in trays)
    dom.destroy()


def test_plugged_devices_survive_a_new_owner_of_the_driver(qemu_root: Path, image: Path) -> None:
    """The live definition with the plugged disk and its alias is in the status file: a driver taken
    up again (the last connection closed, a new one opened) knows the disk and can unplug it."""
    with virt.open("qemu:///system") as first:
        dom = first.define_domain(firmware_xml("hp6"))
        dom.start()
        dom.attach_device(_disk(image), F.LIVE)
    with virt.open("qemu:///system") as second:
        dom = second.lookup_domain_by_name("hp6")
        live = dom.xml()
        assert "<alias name='virtio-disk1'/>" in live
        qemu = second.driver.qemu  # type: ignore[attr-defined]
        with qemu.locked(dom.ref) as obj:
            peripherals = {str(c.get("name")) for c in qemu.qmp(obj, "qom-list", {"path": "/machine/peripheral"})}
        assert "virtio-disk1" in peripherals
        with pytest.raises(virt.VirtError, match=r"^XML error: target .vdb. duplicated"):
            dom.attach_device(_disk(image), F.LIVE)
        dom.destroy()
