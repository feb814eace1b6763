"""Save, restore and managed save through the driver, with the tiny Linux guest under TCG.

The guest proves it kept its state: after a restore it does not boot again (its boot marker, which a
fresh boot prints within seconds, does not come back on the console) and its ``acpid``, started at
boot, still answers the power button. The image is libvirt's layout (header checked byte by byte).
"""

from __future__ import annotations

import gzip
import shutil
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import virt
from driver_support import conn_fixture, firmware_xml, qemu_root_fixture, wait_until  # noqa: F401 - fixtures
from guest import GuestImage, counted, domain_xml, read_counter
from virt.domainsave import SaveFlags, SaveImageXMLFlags, StartFlags
from virt.errors import ErrorNumber, VirtError
from virt.states import DomainState, PausedReason, RunningReason, ShutoffReason

BOOT_TIMEOUT = 90.0
POWEROFF_TIMEOUT = 30.0
NO_REBOOT_WAIT = 6.0
"""Longer than the guest takes to print its marker after a fresh boot (~2-4 s under TCG)."""


def _marker_count(serial_log: Path, marker: str) -> int:
    try:
        return serial_log.read_text(errors="replace").count(marker)
    except OSError:
        return 0


def _boot(conn: virt.Connection, name: str, folder: Path, guest: GuestImage) -> tuple[virt.Domain, Path]:
    serial_log = folder / f"{name}.serial"
    dom = conn.define_domain(domain_xml(name, guest, serial_log=serial_log))
    dom.start()
    wait_until(lambda: _marker_count(serial_log, guest.marker) >= 1, BOOT_TIMEOUT, "the guest to boot")
    return dom, serial_log


def _kept_its_state(dom: virt.Domain, serial_log: Path, guest: GuestImage) -> None:
    """No second boot, and the acpid of the first one powers the guest off."""
    time.sleep(NO_REBOOT_WAIT)
    assert _marker_count(serial_log, guest.marker) == 0, "the guest booted again instead of resuming"
    dom.shutdown()
    wait_until(lambda: dom.state().state == DomainState.SHUTOFF, POWEROFF_TIMEOUT, "the restored guest to power off")
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.SHUTDOWN)


def test_save_then_restore_resumes_the_guest(conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage) -> None:
    dom, serial_log = _boot(conn, "sv1", qemu_root, tiny_guest)
    image = qemu_root / "sv1.save"
    dom.save(str(image))
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.SAVED)
    assert not dom.is_active()
    data = image.read_bytes()
    # libvirt's header: magic, then version, data length, was_running, format, cookie offset (host order)
    assert data[:16] == b"LibvirtQemudSave"
    version, data_len, was_running, compressed, cookie = struct.unpack("=5I", data[16:36])
    assert (version, was_running, compressed, cookie) == (2, 1, 0, 0)
    xml = conn.save_image_xml(str(image))
    assert data[92 : 92 + len(xml)].decode() == xml and data_len >= len(xml) + 64 * 1024
    assert virt.xml.Domain.from_xml(xml).uuid == dom.uuid
    assert len(data) > 92 + data_len + 1024 * 1024, "QEMU's migration stream follows the header"
    serial_log.write_text("")
    conn.restore(str(image))
    assert dom.state() == (DomainState.RUNNING, RunningReason.RESTORED)
    _kept_its_state(dom, serial_log, tiny_guest)


def _cached_bytes(path: str) -> int:
    """How much of the file the page cache holds (util-linux ``fincore``)."""
    out = subprocess.run(
        ["fincore", "--bytes", "--noheadings", "--output", "RES", path], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip())


def _goes_on_from(serial_log: Path, last: int) -> None:
    """The counter said after a restore goes on from ``last`` (the in-flight step, if any, said again)
    one step at a time: never back, never a reboot's fresh count."""
    wait_until(lambda: len(counted(serial_log)) >= 3, BOOT_TIMEOUT, "the restored guest to count")
    values = counted(serial_log)
    assert last <= values[0] <= last + 1, f"the counter was {last} when saved, went on from {values[0]}"
    assert values == list(range(values[0], values[0] + len(values))), values


@pytest.fixture
def save_dir(qemu_root: Path) -> Iterator[Path]:
    """Where a --bypass-cache image goes: ``qemu_root``, or when that is on tmpfs (a fresh machine's
    /tmp) a folder under /var/tmp, removed after: a tmpfs file is its page cache, so no save can
    leave it out of the cache there."""
    kind = subprocess.run(["stat", "-f", "-c", "%T", str(qemu_root)], capture_output=True, text=True, check=True)
    if kind.stdout.strip() != "tmpfs":
        yield qemu_root
        return
    folder = Path(tempfile.mkdtemp(prefix="virt-save-", dir="/var/tmp"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_counter_goes_on_after_save_and_managedsave(
    conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage, save_dir: Path
) -> None:
    """Issue 17: save/restore and managedsave of a running guest, whose counter continues from where it stopped."""
    disk = qemu_root / "sv9.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "1M"], check=True)
    serial_log = qemu_root / "sv9.serial"
    dom = conn.define_domain(
        domain_xml("sv9", tiny_guest, serial_log=serial_log, counter_disk=disk, counter_format="qcow2")
    )
    dom.start()
    wait_until(lambda: len(counted(serial_log)) >= 3, BOOT_TIMEOUT, "the guest to count")
    image = str(save_dir / "sv9.save")
    dom.save(image, flags=SaveFlags.BYPASS_CACHE)
    assert _cached_bytes(image) == 0, "--bypass-cache: the image left in the page cache"
    last = read_counter(disk, "qcow2")
    assert last >= max(counted(serial_log))
    serial_log.write_text("")
    conn.restore(image, flags=SaveFlags.BYPASS_CACHE)
    assert _cached_bytes(image) == 0, "--bypass-cache: the image read into the page cache and left there"
    _goes_on_from(serial_log, last)

    dom.managed_save()
    # without the flag the image is written through the page cache (what makes the check above mean something)
    assert _cached_bytes(str(qemu_root / "system" / "state" / "save" / "sv9.save")) > 0
    last = read_counter(disk, "qcow2")
    serial_log.write_text("")
    dom.start()
    assert dom.state() == (DomainState.RUNNING, RunningReason.RESTORED)
    _goes_on_from(serial_log, last)

    # a fresh boot counts on from the disk
    dom.destroy()
    last = read_counter(disk, "qcow2")
    serial_log.write_text("")
    dom.start()
    wait_until(lambda: len(counted(serial_log)) >= 1, BOOT_TIMEOUT, "the guest to boot and count")
    assert f"counter: from {last}" in serial_log.read_text(errors="replace")
    assert counted(serial_log)[0] == last + 1
    dom.destroy()


def test_restore_paused_and_the_image_state(conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage) -> None:
    dom, serial_log = _boot(conn, "sv2", qemu_root, tiny_guest)
    image = str(qemu_root / "sv2.save")
    dom.save(image)
    conn.restore(image, flags=SaveFlags.PAUSED)
    assert dom.state().state == DomainState.PAUSED
    dom.resume()
    assert dom.state() == (DomainState.RUNNING, RunningReason.UNPAUSED)
    dom.save(image)
    # save-image-define --paused: the image now restores paused by itself
    conn.define_save_image_xml(image, conn.save_image_xml(image), SaveFlags.PAUSED)
    conn.restore(image)
    assert dom.state() == (DomainState.PAUSED, PausedReason.MIGRATION)
    dom.resume()
    serial_log.write_text("")
    _kept_its_state(dom, serial_log, tiny_guest)


def test_a_compressed_image_restores(conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage) -> None:
    """libvirt's ``save_image_format = "gzip"`` images: the header says format 1, the stream is gzip's."""
    dom, serial_log = _boot(conn, "sv8", qemu_root, tiny_guest)
    raw = qemu_root / "sv8.save"
    dom.save(str(raw))
    data = raw.read_bytes()
    (data_len,) = struct.unpack("=I", data[20:24])
    header = bytearray(data[: 92 + data_len])
    header[28:32] = struct.pack("=I", 1)  # the format word: gzip
    packed = qemu_root / "sv8.gz.save"
    packed.write_bytes(bytes(header) + gzip.compress(data[92 + data_len :], compresslevel=1))
    assert packed.stat().st_size < len(data)
    serial_log.write_text("")
    conn.restore(str(packed))
    assert dom.state() == (DomainState.RUNNING, RunningReason.RESTORED)
    _kept_its_state(dom, serial_log, tiny_guest)


def test_managed_save_survives_the_driver_and_start_restores_it(qemu_root: Path, tiny_guest: GuestImage) -> None:
    conn = virt.open("qemu:///system")
    try:
        dom, serial_log = _boot(conn, "sv3", qemu_root, tiny_guest)
        dom.managed_save()
        assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.SAVED)
        assert (qemu_root / "system" / "state" / "save" / "sv3.save").is_file()
        with pytest.raises(VirtError, match="Refusing to undefine while domain managed save image exists"):
            dom.undefine()
    finally:
        conn.close()  # the last connection: the driver instance goes (a virtd restart)
    conn = virt.open("qemu:///system")
    try:
        dom = conn.lookup_domain("sv3")
        assert dom.has_managed_save()
        assert [d.name for d in conn.list_domains(managed_save=True)] == ["sv3"]
        assert conn.list_domains(managed_save=False) == []
        assert "<name>sv3</name>" in dom.managed_save_xml()
        serial_log.write_text("")
        dom.start()
        assert dom.state() == (DomainState.RUNNING, RunningReason.RESTORED)
        assert not dom.has_managed_save()
        _kept_its_state(dom, serial_log, tiny_guest)
    finally:
        conn.close()


def test_autostart_restores_the_managed_save(qemu_root: Path, tiny_guest: GuestImage) -> None:
    conn = virt.open("qemu:///system")
    try:
        dom, serial_log = _boot(conn, "sv6", qemu_root, tiny_guest)
        dom.set_autostart(True)
        dom.managed_save()
    finally:
        conn.close()
    (qemu_root / "system" / "run" / "autostarted").unlink()  # as after a host reboot
    serial_log.write_text("")
    conn = virt.open("qemu:///system")
    try:
        dom = conn.lookup_domain("sv6")
        assert dom.state() == (DomainState.RUNNING, RunningReason.RESTORED)
        assert not dom.has_managed_save()
        _kept_its_state(dom, serial_log, tiny_guest)
    finally:
        conn.close()


def test_a_replacement_xml_must_be_the_same_guest(
    conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage
) -> None:
    dom, _ = _boot(conn, "sv7", qemu_root, tiny_guest)
    xml = dom.xml(secure=True)
    titled = xml.replace("<name>sv7</name>", "<name>sv7</name><title>kept</title>")
    image = str(qemu_root / "sv7.save")
    with pytest.raises(VirtError, match="Target domain name 'other' does not match source 'sv7'"):
        dom.save(image, xml.replace("<name>sv7</name>", "<name>other</name>"))
    assert dom.state() == (DomainState.RUNNING, RunningReason.SAVE_CANCELED)  # paused, then resumed
    dom.save(image, titled)
    assert "<title>kept</title>" in conn.save_image_xml(image)
    with pytest.raises(VirtError, match="Target domain max memory"):
        conn.define_save_image_xml(image, titled.replace("131072", "262144"))
    conn.restore(image)
    assert dom.model().title == "kept"
    dom.destroy()


def test_force_boot_discards_the_managed_save(conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage) -> None:
    dom, serial_log = _boot(conn, "sv4", qemu_root, tiny_guest)
    dom.managed_save(SaveFlags.PAUSED)
    serial_log.write_text("")
    dom.start(StartFlags.FORCE_BOOT)
    assert dom.state() == (DomainState.RUNNING, RunningReason.BOOTED)
    assert not dom.has_managed_save()
    wait_until(lambda: _marker_count(serial_log, tiny_guest.marker) >= 1, BOOT_TIMEOUT, "a fresh boot")
    dom.managed_save()
    image = qemu_root / "system" / "state" / "save" / "sv4.save"
    assert struct.unpack("=I", image.read_bytes()[24:28]) == (1,)  # was running
    dom.define_managed_save_xml(None, SaveFlags.PAUSED)  # the state only: restored paused
    assert struct.unpack("=I", image.read_bytes()[24:28]) == (0,)
    dom.undefine(virt.domainchanges.UndefineFlags.MANAGED_SAVE)
    assert not (qemu_root / "system" / "state" / "save" / "sv4.save").exists()


def test_bad_images_and_paths_are_clear_errors(conn: virt.Connection, qemu_root: Path) -> None:
    missing = qemu_root / "missing.save"
    with pytest.raises(VirtError, match=f"Failed to open file '{missing}': No such file"):
        conn.restore(str(missing))
    wrong = qemu_root / "wrong.save"
    wrong.write_bytes(b"not a save image at all" * 10)
    with pytest.raises(VirtError, match="image magic is incorrect"):
        conn.restore(str(wrong))
    partial = qemu_root / "partial.save"
    partial.write_bytes(b"LibvirtQemudPart" + bytes(76))
    with pytest.raises(VirtError, match="save image is incomplete"):
        conn.save_image_xml(str(partial))
    short = qemu_root / "short.save"
    short.write_bytes(b"LibvirtQemudSave\x02")
    with pytest.raises(VirtError, match="failed to read qemu header"):
        conn.restore(str(short))
    dom = conn.define_domain(firmware_xml("sv5"))
    with pytest.raises(VirtError) as raised:
        dom.save(str(qemu_root / "sv5.save"))
    assert raised.value.code == ErrorNumber.OPERATION_INVALID and "not running" in raised.value.message
    with pytest.raises(VirtError, match="domain does not have managed save image"):
        dom.managed_save_xml()
    with pytest.raises(VirtError, match="mutually exclusive"):
        dom.managed_save(SaveFlags.RUNNING | SaveFlags.PAUSED)


def test_image_dumps_hide_the_secrets_unless_asked(conn: virt.Connection, qemu_root: Path) -> None:
    from virt_qemu import saveimage

    xml = firmware_xml("sv9", extra_devices="<graphics type='vnc' port='-1' autoport='yes' passwd='s3cret'/>")
    image = saveimage.new_image(xml, was_running=True)
    path = qemu_root / "sv9.save"
    path.write_bytes(image.header(saveimage.MAGIC) + image.data())
    assert "s3cret" not in conn.save_image_xml(str(path))
    assert "passwd='s3cret'" in conn.save_image_xml(str(path), SaveImageXMLFlags.SECURE)
    with virt.open("qemu:///system", readonly=True) as readonly, pytest.raises(VirtError, match="read only"):
        readonly.save_image_xml(str(path))
