"""Domain events beyond lifecycle from the QEMU driver (virt_qemu.qmpdomainevents), against real QEMU
(firmware-only guests): what QEMU sends for the driver's own calls, and QMP events handed to the
driver's event thread as the monitor hands them."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import virt
from driver_support import conn_fixture, firmware_xml, qemu_root_fixture, wait_until  # noqa: F401 - fixtures
from guest import GuestImage, domain_xml
from virt.domainchanges import MetadataType
from virt.domainevents import AnyDomainEvent, DomainEventID, virsh_text
from virt.states import DomainState

_CDROM = "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>"
_AGENT = "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"


class Lines:
    """The virsh lines of the events of the ids registered, in the order they came."""

    def __init__(self, conn: virt.Connection, *event_ids: DomainEventID) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self.handles = [conn.register_domain_event(event_id, self._record) for event_id in event_ids]

    def _record(self, dom: virt.Domain, event: AnyDomainEvent) -> None:
        with self._lock:
            self.lines.append(virsh_text(dom.name, event))

    def wait_for(self, count: int) -> list[str]:
        wait_until(lambda: len(self.lines) >= count, 15, f"{count} events (got {self.lines})")
        with self._lock:
            return list(self.lines)


def _post(conn: virt.Connection, dom: virt.Domain, name: str, data: dict[str, Any]) -> None:
    """Hand the driver's event thread a QMP event of ``dom``'s QEMU, as its monitor does."""
    qemu = conn.driver.qemu  # type: ignore[attr-defined]
    with qemu.locked(dom.ref) as obj:
        running = obj.running
    qemu.post_event(obj, running, name, data)


def test_metadata_change_and_reboot(conn: virt.Connection) -> None:
    lines = Lines(conn, DomainEventID.METADATA_CHANGE, DomainEventID.REBOOT)
    dom = conn.define_domain(firmware_xml("dev1"))
    dom.set_metadata(MetadataType.TITLE, "T")  # inactive: the definition only, announced all the same
    dom.start()
    dom.set_metadata(MetadataType.ELEMENT, "<a/>", key="k", uri="http://e/")
    dom.reset()  # QEMU's RESET
    assert lines.wait_for(3) == [
        "event 'metadata-change' for domain 'dev1': type title, uri <null>",
        "event 'metadata-change' for domain 'dev1': type element, uri http://e/",
        "event 'reboot' for domain 'dev1'",
    ]
    dom.destroy()
    dom.undefine()


def test_tray_opened_by_an_eject(conn: virt.Connection) -> None:
    lines = Lines(conn, DomainEventID.TRAY_CHANGE)
    dom = conn.create_domain(firmware_xml("dev2", extra_devices=_CDROM))
    qemu = conn.driver.qemu  # type: ignore[attr-defined]
    with qemu.locked(dom.ref) as obj:
        qemu.qmp(obj, "eject", {"id": "ide0-1-0", "force": True})
    assert lines.wait_for(1) == ["event 'tray-change' for domain 'dev2' disk ide0-1-0: opened"]
    dom.destroy()


def test_qmp_events_become_libvirts(conn: virt.Connection) -> None:
    every = [e for e in DomainEventID if e != DomainEventID.LIFECYCLE]
    lines = Lines(conn, *every)
    dom = conn.create_domain(firmware_xml("dev3", extra_devices=_AGENT))
    for name, data in [
        ("RTC_CHANGE", {"offset": -3600}),
        ("BALLOON_CHANGE", {"actual": 64 << 20}),
        ("VSERPORT_CHANGE", {"id": "channel0", "open": True}),
        ("DEVICE_DELETED", {"device": "net0", "path": "/machine/peripheral/net0"}),
        ("DEVICE_DELETED", {"path": "/machine/peripheral-anon/device[3]"}),  # no id: libvirt says nothing
        ("POWERDOWN", {}),  # no event of these ids
        # the guest refused to give a DIMM back (ACPI _OST: eject, failure); a success says nothing
        ("ACPI_DEVICE_OST", {"info": {"device": "dimm1", "slot": "1", "slot-type": "DIMM", "source": 3, "status": 1}}),
        ("ACPI_DEVICE_OST", {"info": {"device": "dimm2", "slot": "2", "slot-type": "DIMM", "source": 3, "status": 0}}),
        ("WATCHDOG", {"action": "inject-nmi"}),
    ]:
        _post(conn, dom, name, data)
    assert lines.wait_for(7) == [
        # the start's: the port as QEMU has it then, closed (no agent runs in the guest)
        "event 'agent-lifecycle' for domain 'dev3': state: 'disconnected' reason: 'domain started'",
        "event 'rtc-change' for domain 'dev3': -3600",
        "event 'balloon-change' for domain 'dev3': 65536KiB",
        "event 'agent-lifecycle' for domain 'dev3': state: 'connected' reason: 'channel event'",
        "event 'device-removed' for domain 'dev3': net0",
        "event 'device-removal-failed' for domain 'dev3': dimm1",
        "event 'watchdog' for domain 'dev3': inject-nmi",
    ]
    dom.destroy()


def test_events_that_change_the_state(conn: virt.Connection) -> None:
    lines = Lines(conn, DomainEventID.LIFECYCLE, DomainEventID.WATCHDOG, DomainEventID.PMSUSPEND)
    lines.handles.append(conn.register_domain_event(DomainEventID.PMWAKEUP, lines._record))
    dom = conn.create_domain(firmware_xml("dev4"))
    started = len(lines.wait_for(2))  # resumed and started: the start's
    _post(conn, dom, "SUSPEND", {})
    wait_until(lambda: dom.state().state == DomainState.PMSUSPENDED, 15, "pmsuspended")
    _post(conn, dom, "WAKEUP", {})
    wait_until(lambda: dom.state().state == DomainState.RUNNING, 15, "running again")
    _post(conn, dom, "WATCHDOG", {"action": "pause"})
    wait_until(lambda: dom.state().state == DomainState.PAUSED, 15, "paused by the watchdog")
    assert dom.state().reason == 6  # VIR_DOMAIN_PAUSED_WATCHDOG
    assert lines.wait_for(started + 6)[started:] == [
        "event 'pm-suspend' for domain 'dev4'",
        "event 'lifecycle' for domain 'dev4': PMSuspended Memory",
        "event 'pm-wakeup' for domain 'dev4'",
        "event 'lifecycle' for domain 'dev4': Started Event wakeup",
        "event 'watchdog' for domain 'dev4': pause",
        "event 'lifecycle' for domain 'dev4': Suspended Watchdog",
    ]
    dom.destroy()


def test_an_io_error_that_stops_the_guest(conn: virt.Connection, tmp_path: Path) -> None:
    image = tmp_path / "d.img"
    image.write_bytes(b"\0" * (1 << 20))
    disk = f"<disk type='file' device='disk'><source file='{image}'/><target dev='vda' bus='virtio'/></disk>"
    lines = Lines(conn, DomainEventID.IO_ERROR, DomainEventID.IO_ERROR_REASON)
    lifecycle = Lines(conn, DomainEventID.LIFECYCLE)
    dom = conn.create_domain(firmware_xml("dev5", extra_devices=disk))
    started = len(lifecycle.wait_for(2))
    # as QEMU 7.2 sends it for -blockdev disks: no backend name, the format node's name
    error = {"device": "", "node-name": "disk0-format", "operation": "write", "action": "stop", "nospace": True}
    _post(conn, dom, "BLOCK_IO_ERROR", {**error, "reason": "No space left on device"})
    assert lines.wait_for(2) == [
        f"event 'io-error' for domain 'dev5': {image} (virtio-disk0) pause",
        f"event 'io-error' for domain 'dev5': {image} (virtio-disk0) pause due to enospc",
    ]
    assert lifecycle.wait_for(started + 1)[started:] == ["event 'lifecycle' for domain 'dev5': Suspended I/O Error"]
    assert dom.state() == (DomainState.PAUSED, 5)  # VIR_DOMAIN_PAUSED_IOERROR
    dom.destroy()


def test_balloon_change_after_setmem(conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage) -> None:
    """The tiny Linux guest's balloon driver gives memory back: QEMU's BALLOON_CHANGE, libvirt's event."""
    serial_log = qemu_root / "serial-balloon.log"
    xml = domain_xml("devb", tiny_guest, virt_type="qemu", memory_mib=128, balloon=True, serial_log=serial_log)
    dom = conn.create_domain(xml)
    try:
        wait_until(lambda: tiny_guest.marker in _read(serial_log), 90, "the guest to boot")
        lines = Lines(conn, DomainEventID.BALLOON_CHANGE)
        dom.set_memory(96 * 1024)
        wait_until(lambda: "event 'balloon-change' for domain 'devb': 98304KiB" in lines.lines, 60, "the balloon")
        assert all(re.fullmatch(r"event 'balloon-change' for domain 'devb': \d+KiB", line) for line in lines.lines)
    finally:
        dom.destroy()


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def test_rtc_change_of_a_variable_clock_counts_from_its_adjustment(conn: virt.Connection) -> None:
    lines = Lines(conn, DomainEventID.RTC_CHANGE)
    xml = firmware_xml("devc").replace("<devices>", "<clock offset='variable' adjustment='3600'/>\n  <devices>")
    dom = conn.create_domain(xml)
    _post(conn, dom, "RTC_CHANGE", {"offset": 10})  # QEMU's: from the start's base date
    assert lines.wait_for(1) == ["event 'rtc-change' for domain 'devc': 3610"]
    clock = dom.model().clock
    assert clock is not None and clock.adjustment == "3610"
    dom.destroy()
