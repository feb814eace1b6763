"""ACPI shutdown and reboot through the driver, with the tiny Linux guest under TCG."""

from __future__ import annotations

from pathlib import Path

import virt
from driver_support import conn_fixture, qemu_root_fixture, wait_until  # noqa: F401 - fixtures
from guest import GuestImage, domain_xml
from virt.domainevents import DomainEventID, virsh_text
from virt.states import DomainState, RunningReason, ShutoffReason

BOOT_TIMEOUT = 90.0
POWEROFF_TIMEOUT = 30.0


def _booted(serial_log: Path, marker: str, count: int = 1) -> bool:
    try:
        return serial_log.read_text(errors="replace").count(marker) >= count
    except OSError:
        return False


def test_reboot_with_on_reboot_destroy_is_a_shutdown(
    conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage
) -> None:
    serial_log = qemu_root / "serial-destroy.log"
    dom = conn.create_domain(domain_xml("tinyd", tiny_guest, virt_type="qemu", serial_log=serial_log))
    wait_until(lambda: _booted(serial_log, tiny_guest.marker), BOOT_TIMEOUT, "the guest to boot")
    dom.reboot()
    # a transient domain that powers off disappears
    wait_until(lambda: not conn.list_domains(), POWEROFF_TIMEOUT, "the guest to power off")


def test_shutdown_powers_the_guest_off(conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage) -> None:
    serial_log = qemu_root / "serial-shutdown.log"
    dom = conn.define_domain(domain_xml("tiny", tiny_guest, virt_type="qemu", serial_log=serial_log))
    dom.start()
    try:
        wait_until(lambda: _booted(serial_log, tiny_guest.marker), BOOT_TIMEOUT, "the guest to boot")
        dom.shutdown()
        wait_until(lambda: dom.state().state == DomainState.SHUTOFF, POWEROFF_TIMEOUT, "the guest to power off")
        assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.SHUTDOWN)
        assert not (qemu_root / "system" / "run" / "status" / "tiny.xml").exists()
    finally:
        if dom.is_active():
            dom.destroy()


def test_reboot_restarts_the_guest(conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage) -> None:
    serial_log = qemu_root / "serial-reboot.log"
    model = virt.xml.Domain.from_xml(domain_xml("tinyr", tiny_guest, virt_type="qemu", serial_log=serial_log))
    model.on_reboot = "restart"  # with on_reboot destroy (the helper's default) a reboot is a shutdown
    dom = conn.create_domain(model)
    reboots: list[str] = []
    conn.register_domain_event(DomainEventID.REBOOT, lambda d, e: reboots.append(virsh_text(d.name, e)))
    try:
        wait_until(lambda: _booted(serial_log, tiny_guest.marker), BOOT_TIMEOUT, "the guest to boot")
        first_id = dom.id
        dom.reboot()  # ACPI power-off, turned into reset + cont by the driver (libvirt's fake reboot)
        wait_until(lambda: _booted(serial_log, tiny_guest.marker, 2), BOOT_TIMEOUT, "the guest to boot again")
        assert dom.state() == (DomainState.RUNNING, RunningReason.BOOTED)
        assert dom.id == first_id
        # the reset of the fake reboot is QEMU's RESET: libvirt's reboot event
        assert reboots and set(reboots) == {"event 'reboot' for domain 'tinyr'"}
    finally:
        if dom.is_active():
            dom.destroy()
