"""Internal snapshots through the driver, with the tiny Linux guest under TCG and a qcow2 disk: one
guest walks a shut off snapshot, a running one (savevm), reverts both ways, a driver restart, delete
and undefine, checking the qcow2 image's own snapshot table at each step."""

from __future__ import annotations

import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import virt
from driver_support import conn_fixture, qemu_root_fixture, wait_until  # noqa: F401 - fixtures
from guest import GuestImage, counted, domain_xml, read_counter
from virt.domainchanges import UndefineFlags
from virt.errors import ErrorNumber, VirtError
from virt.snapshots import CreateFlags, DeleteFlags, ListFlags
from virt.states import DomainState, RunningReason, ShutoffReason

BOOT_TIMEOUT = 90.0
NO_REBOOT_WAIT = 6.0


def _with_disk(xml: str, image: Path, fmt: str) -> str:
    domain = ET.fromstring(xml)
    devices = domain.find("devices")
    assert devices is not None
    disk = ET.SubElement(devices, "disk", type="file", device="disk")
    ET.SubElement(disk, "driver", name="qemu", type=fmt)
    ET.SubElement(disk, "source", file=str(image))
    ET.SubElement(disk, "target", dev="vda", bus="virtio")
    return ET.tostring(domain, encoding="unicode")


def _image_snapshots(image: Path) -> list[str]:
    """The tags in the qcow2 image's snapshot table (-U: QEMU may hold it)."""
    out = subprocess.run(["qemu-img", "snapshot", "-U", "-l", str(image)], capture_output=True, text=True, check=True)
    return [line.split()[1] for line in out.stdout.splitlines()[2:] if line.split()]


def _markers(serial_log: Path, marker: str) -> int:
    try:
        return serial_log.read_text(errors="replace").count(marker)
    except OSError:
        return 0


def test_raw_disk_refused(conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage) -> None:
    image = qemu_root / "raw.img"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(image), "1M"], check=True)
    dom = conn.define_domain(_with_disk(domain_xml("snraw", tiny_guest), image, "raw"))
    with pytest.raises(VirtError) as caught:
        dom.create_snapshot("<domainsnapshot><name>s</name></domainsnapshot>")
    assert caught.value.code == ErrorNumber.CONFIG_UNSUPPORTED
    assert caught.value.message.endswith("internal snapshot for disk vda unsupported for storage type raw")
    assert dom.list_snapshots() == []


def test_internal_snapshots(conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage) -> None:
    image = qemu_root / "disk.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(image), "16M"], check=True)
    serial_log = qemu_root / "sn.serial"
    dom = conn.define_domain(_with_disk(domain_xml("sn", tiny_guest, serial_log=serial_log), image, "qcow2"))

    # shut off: qemu-img snapshot -c, no memory
    off = dom.create_snapshot("<domainsnapshot><name>off</name></domainsnapshot>")
    assert _image_snapshots(image) == ["off"]
    off_xml = off.xml()
    kept = ET.fromstring(off_xml)
    assert kept.findtext("state") == "shutoff"
    assert kept.find("memory").get("snapshot") == "no"  # type: ignore[union-attr]
    assert kept.find("disks/disk").get("snapshot") == "internal"  # type: ignore[union-attr]
    assert kept.find("domain/name").text == "sn"  # type: ignore[union-attr]
    assert dom.current_snapshot() == off

    # running: savevm keeps memory and disk; the guest goes on
    dom.start()
    wait_until(lambda: _markers(serial_log, tiny_guest.marker) >= 1, BOOT_TIMEOUT, "the guest to boot")
    run = dom.create_snapshot("<domainsnapshot><name>run</name></domainsnapshot>")
    assert dom.state().state == DomainState.RUNNING
    assert ET.fromstring(run.xml()).findtext("state") == "running"
    assert run.parent() == off and dom.current_snapshot() == run
    assert _image_snapshots(image) == ["off", "run"]
    assert [s.name for s in dom.list_snapshots(int(ListFlags.ROOTS))] == ["off"]
    assert [s.name for s in dom.list_snapshots(int(ListFlags.LEAVES))] == ["run"]
    assert [s.name for s in dom.list_snapshots(int(ListFlags.ACTIVE))] == ["run"]
    with pytest.raises(VirtError) as caught:  # a running guest's internal snapshot cannot be disk-only
        dom.create_snapshot(
            "<domainsnapshot><name>d</name><disks><disk name='vda' snapshot='internal'/></disks></domainsnapshot>",
            int(CreateFlags.DISK_ONLY),
        )
    assert caught.value.message.endswith(
        "active qemu domains require external disk snapshots; disk vda requested internal"
    )
    dom.create_snapshot("<domainsnapshot><name>nometa</name></domainsnapshot>", int(CreateFlags.NO_METADATA))
    assert "nometa" in _image_snapshots(image)
    assert dom.current_snapshot() == run

    # to the shut off snapshot: the guest stops
    off.revert()
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.FROM_SNAPSHOT)
    # to the running one: loadvm, the guest goes on where it was without booting again
    serial_log.write_text("")
    run.revert()
    assert dom.state() == (DomainState.RUNNING, RunningReason.FROM_SNAPSHOT)
    time.sleep(NO_REBOOT_WAIT)
    assert _markers(serial_log, tiny_guest.marker) == 0, "the guest booted again instead of loading its state"

    # the metadata outlives the driver
    conn.close()
    with virt.open("qemu:///system") as again:
        dom = again.lookup_domain_by_name("sn")
        assert [s.name for s in dom.list_snapshots()] == ["off", "run"]
        assert dom.current_snapshot().name == "run"
        assert (qemu_root / "system" / "state" / "snapshot" / "sn" / "run.xml").exists() or any(
            qemu_root.rglob("snapshot/sn/run.xml")
        )
        dom.lookup_snapshot("run").delete()  # delvm while running
        assert _image_snapshots(image) == ["off", "nometa"]
        assert dom.current_snapshot().name == "off"
        dom.destroy()
        with pytest.raises(VirtError) as caught:
            dom.undefine()
        assert caught.value.message.endswith("cannot delete inactive domain with 1 snapshots")
        dom.lookup_snapshot("off").delete(DeleteFlags.METADATA_ONLY)
        assert _image_snapshots(image) == ["off", "nometa"]  # only the metadata went
        # --redefine --current brings it back from its XML, current again
        dom.create_snapshot(off_xml, int(CreateFlags.REDEFINE | CreateFlags.CURRENT))
        assert [s.name for s in dom.list_snapshots()] == ["off"] and dom.current_snapshot().name == "off"
        assert ET.fromstring(dom.lookup_snapshot("off").xml()).findtext("state") == "shutoff"
        dom.create_snapshot("<domainsnapshot><name>last</name></domainsnapshot>")
        dom.undefine(UndefineFlags.SNAPSHOTS_METADATA)
        assert not any(qemu_root.rglob("snapshot/sn/*.xml"))


def test_revert_brings_the_counter_back(conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage) -> None:
    """Issue 17: the guest counts on its disk; snapshot, count more, revert: the disk's counter is back and
    the guest counts on from there (its memory came back too)."""
    image = qemu_root / "count.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(image), "1M"], check=True)
    serial_log = qemu_root / "count.serial"
    xml = domain_xml("count", tiny_guest, serial_log=serial_log, counter_disk=image, counter_format="qcow2")
    dom = conn.define_domain(xml)
    dom.start()
    wait_until(lambda: len(counted(serial_log)) >= 3, BOOT_TIMEOUT, "the guest to count")
    dom.suspend()  # a still disk: the value the snapshot keeps is the one read here
    kept = read_counter(image, "qcow2")
    snapshot = dom.create_snapshot("<domainsnapshot><name>counted</name></domainsnapshot>")
    dom.resume()
    wait_until(lambda: read_counter(image, "qcow2") >= kept + 5, BOOT_TIMEOUT, "the guest to count on")

    serial_log.write_text("")
    snapshot.revert()
    assert dom.state().state == DomainState.PAUSED  # the snapshot's own state
    assert read_counter(image, "qcow2") == kept
    dom.resume()
    wait_until(lambda: len(counted(serial_log)) >= 3, BOOT_TIMEOUT, "the reverted guest to count")
    values = counted(serial_log)
    # paused between a step's write and its line on the console, the guest says that step first
    assert kept <= values[0] <= kept + 1 and values == list(range(values[0], values[0] + len(values))), (kept, values)
    dom.destroy()
    snapshot.delete()
