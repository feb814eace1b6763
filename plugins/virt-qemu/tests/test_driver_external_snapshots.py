"""External snapshots through the driver, with the tiny Linux guest counting on its qcow2 disk (issue 17):
one guest takes shut off, disk-only and memory snapshots, reverts to them (libvirt 9.0 cannot) and deletes
them in every order, the counter on its disk checked at each step so that no write is lost."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import virt
from driver_support import conn_fixture, qemu_root_fixture, wait_until  # noqa: F401 - fixtures
from guest import GuestImage, counted, domain_xml, read_counter
from virt.errors import ErrorNumber, VirtError
from virt.snapshots import CreateFlags, DeleteFlags, ListFlags, RevertFlags
from virt.states import DomainState

BOOT_TIMEOUT = 90.0
DISK_ONLY = int(CreateFlags.DISK_ONLY)


def _source(dom: virt.Domain) -> tuple[str, list[str]]:
    """The disk's image in the domain's XML and the images of its <backingStore> chain."""
    disk = ET.fromstring(dom.xml()).find("devices/disk")
    assert disk is not None
    chain = [s.get("file", "") for s in disk.iter("source")]
    return chain[0], chain[1:]


def _count_on(dom: virt.Domain, image: Path, steps: int = 2) -> int:
    """Let the guest write ``steps`` more values on its disk; the value the disk has then."""
    top = Path(_source(dom)[0])
    start = read_counter(top, "qcow2")
    wait_until(lambda: read_counter(top, "qcow2") >= start + steps, BOOT_TIMEOUT, "the guest to count on")
    return read_counter(top, "qcow2")


def _paused_value(dom: virt.Domain) -> int:
    """The counter on the disk of the paused guest (a value a snapshot then keeps)."""
    return read_counter(Path(_source(dom)[0]), "qcow2")


def test_external_snapshots(conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage) -> None:
    image = qemu_root / "count.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(image), "1M"], check=True)
    serial_log = qemu_root / "count.serial"
    xml = domain_xml("ext", tiny_guest, serial_log=serial_log, counter_disk=image, counter_format="qcow2")
    # a second disk: a running guest's overlays go on both in one transaction, deletes merge both
    second = qemu_root / "second.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(second), "1M"], check=True)
    extra = f"<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{second}'/>"
    xml = xml.replace("</devices>", extra + "<target dev='vdb' bus='virtio'/></disk></devices>", 1)
    dom = conn.define_domain(xml)
    folder = str(qemu_root)

    # shut off, disk-only: qemu-img makes the overlay, named as libvirt names it
    off = dom.create_snapshot("<domainsnapshot><name>off</name></domainsnapshot>", DISK_ONLY)
    kept = ET.fromstring(off.xml())
    assert kept.findtext("state") == "shutoff"
    assert kept.find("memory").get("snapshot") == "no"  # type: ignore[union-attr]
    entry = kept.find("disks/disk")
    assert entry is not None and entry.get("snapshot") == "external" and entry.get("type") == "file"
    assert entry.find("driver").get("type") == "qcow2"  # type: ignore[union-attr]
    assert entry.find("source").get("file") == f"{folder}/count.off"  # type: ignore[union-attr]
    assert kept.find("domain/devices/disk/source").get("file") == str(image)  # type: ignore[union-attr]
    assert _source(dom) == (f"{folder}/count.off", [str(image)])
    assert [s.name for s in dom.list_snapshots(int(ListFlags.EXTERNAL))] == ["off"]
    assert dom.list_snapshots(int(ListFlags.INTERNAL)) == []

    # running, disk-only: blockdev-snapshot; the guest goes on in the overlay
    dom.start()
    wait_until(lambda: len(counted(serial_log)) >= 2, BOOT_TIMEOUT, "the guest to count")
    dom.suspend()
    at_disk = _paused_value(dom)
    disk = dom.create_snapshot("<domainsnapshot><name>disk</name></domainsnapshot>", DISK_ONLY)
    assert ET.fromstring(disk.xml()).findtext("state") == "disk-snapshot"
    assert _source(dom) == (f"{folder}/count.disk", [f"{folder}/count.off", str(image)])
    second_disk = ET.fromstring(dom.xml()).findall("devices/disk")[1].find("source")
    assert second_disk is not None and second_disk.get("file") == f"{folder}/second.disk"
    assert read_counter(qemu_root / "count.off", "qcow2") == at_disk  # the image kept as the snapshot
    dom.resume()
    _count_on(dom, image)
    assert [s.name for s in dom.list_snapshots(int(ListFlags.DISK_ONLY))] == ["disk"]

    # running, with memory: the memory saved to a file by migration
    dom.suspend()
    at_mem = _paused_value(dom)
    memory = qemu_root / "mem.save"
    mem = dom.create_snapshot(
        f"<domainsnapshot><name>mem</name><memory snapshot='external' file='{memory}'/></domainsnapshot>"
    )
    assert memory.stat().st_size > 0
    assert ET.fromstring(mem.xml()).findtext("state") == "paused"
    assert dom.state().state == DomainState.PAUSED
    dom.resume()
    assert _count_on(dom, image) > at_mem

    # revert to the memory snapshot: disk and memory back, the guest counts on from there
    serial_log.write_text("")
    mem.revert()
    assert dom.state().state == DomainState.PAUSED  # the snapshot's own state
    assert read_counter(Path(_source(dom)[0]), "qcow2") == at_mem
    dom.resume()
    wait_until(lambda: len(counted(serial_log)) >= 2, BOOT_TIMEOUT, "the reverted guest to count")
    assert at_mem <= counted(serial_log)[0] <= at_mem + 1, (at_mem, counted(serial_log))
    # again, reverting twice works (the snapshot keeps its image)
    mem.revert()
    assert read_counter(Path(_source(dom)[0]), "qcow2") == at_mem
    # to the disk-only one: shut off, the disk as it was
    disk.revert()
    assert dom.state().state == DomainState.SHUTOFF
    assert read_counter(Path(_source(dom)[0]), "qcow2") == at_disk
    assert dom.current_snapshot().name == "disk"
    disk.revert(int(RevertFlags.RUNNING))
    assert dom.state().state == DomainState.RUNNING
    wait_until(lambda: len(counted(serial_log)) >= 1, BOOT_TIMEOUT, "the guest to count again")

    # refusals as libvirt's
    with pytest.raises(VirtError) as caught:
        dom.create_snapshot("<domainsnapshot><name>q</name></domainsnapshot>", DISK_ONLY | int(CreateFlags.QUIESCE))
    assert caught.value.message.endswith("QEMU guest agent is not configured")
    with pytest.raises(VirtError) as caught:
        dom.create_snapshot(
            "<domainsnapshot><name>x</name><disks><disk name='vda' snapshot='external'/></disks></domainsnapshot>"
        )
    assert caught.value.code == ErrorNumber.CONFIG_UNSUPPORTED  # memory internal, disk external

    # a new driver takes the running guest back, its chain and the snapshots with it
    conn.close()
    with virt.open("qemu:///system") as again:
        dom = again.lookup_domain_by_name("ext")
        assert [s.name for s in dom.list_snapshots()] == ["off", "disk", "mem"]
        _count_on(dom, image, 1)
        # delete: every order merges the overlays, the guest's data stays; the tree as it is now
        for name in ("mem", "disk", "off"):
            dom.lookup_snapshot(name).delete()
        assert dom.list_snapshots() == []
        top, chain = _source(dom)
        assert (top, chain) == (str(image), []), (top, chain)
        assert not memory.exists()
        last = _count_on(dom, image)
        assert last > at_disk

        orders = (("a", "b", "c"), ("c", "b", "a"), ("b", "a", "c"))
        for order in orders:
            for name in ("a", "b", "c"):
                dom.create_snapshot(f"<domainsnapshot><name>{name}</name></domainsnapshot>", DISK_ONLY)
                _count_on(dom, image, 1)
            for name in order:
                before = read_counter(Path(_source(dom)[0]), "qcow2")
                dom.lookup_snapshot(name).delete()
                # the guest's last writes are on the disk it is on now: nothing was lost by the merge
                assert read_counter(Path(_source(dom)[0]), "qcow2") >= before, (order, name)
                _count_on(dom, image, 1)
            assert _source(dom) == (str(image), []), order
            assert sorted(p.name for p in qemu_root.glob("count.*")) == ["count.qcow2", "count.serial"]
            assert [p.name for p in qemu_root.glob("second.*")] == ["second.qcow2"]
        # shut off, with --children and --metadata
        dom.destroy()
        last = read_counter(image, "qcow2")
        for name in ("p", "q", "r"):
            dom.create_snapshot(f"<domainsnapshot><name>{name}</name></domainsnapshot>", DISK_ONLY)
        dom.lookup_snapshot("q").delete(DeleteFlags.CHILDREN)
        dom.lookup_snapshot("p").delete()
        assert _source(dom) == (str(image), [])
        assert read_counter(image, "qcow2") == last
        meta = dom.create_snapshot("<domainsnapshot><name>meta</name></domainsnapshot>", DISK_ONLY)
        meta.delete(DeleteFlags.METADATA_ONLY)
        assert (qemu_root / "count.meta").exists() and _source(dom)[0] == f"{folder}/count.meta"
        # --reuse-external: an overlay made beforehand is taken as it is
        reused = qemu_root / "reused.qcow2"
        subprocess.run(
            ["qemu-img", "create", "-q", "-f", "qcow2", "-b", f"{folder}/count.meta", "-F", "qcow2", str(reused)],
            check=True,
        )
        taken = dom.create_snapshot(
            f"<domainsnapshot><name>reuse</name><disks><disk name='vda'><source file='{reused}'/></disk>"
            "<disk name='vdb' snapshot='no'/></disks>"
            "</domainsnapshot>",
            DISK_ONLY | int(CreateFlags.REUSE_EXT),
        )
        assert _source(dom) == (str(reused), [f"{folder}/count.meta", str(image)])
        taken.delete()
        assert _source(dom)[0] == f"{folder}/count.meta" and not reused.exists()
        assert read_counter(image, "qcow2") == last
        # an internal snapshot of an image an external one keeps as its point in time cannot go back in
        # place (the overlays on it would see it change)
        inside = dom.create_snapshot("<domainsnapshot><name>inside</name></domainsnapshot>")
        outside = dom.create_snapshot("<domainsnapshot><name>outside</name></domainsnapshot>", DISK_ONLY)
        with pytest.raises(VirtError) as caught:
            inside.revert()
        assert caught.value.code == ErrorNumber.OPERATION_UNSUPPORTED and "'outside'" in caught.value.message
        outside.delete()
        inside.revert()
        inside.delete()
        assert read_counter(image, "qcow2") == last
        dom.undefine()
