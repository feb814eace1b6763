"""Shutdown and reboot through the QEMU guest agent, with the tiny Linux guest's agent stand-in under TCG.

The guests that must be powered off by their agent run without ``acpid`` (``acpi=False``): the power
button does nothing there, so a guest that goes down was taken down by the agent, which also says so
on the console (``agent: shutdown``).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import virt
from driver_support import conn_fixture, firmware_xml, qemu_root_fixture, wait_until  # noqa: F401 - fixtures
from guest import GuestImage, domain_xml
from virt.cli.main import main
from virt.errors import ErrorNumber, VirtError
from virt.states import DomainState, RunningReason, ShutdownMode, ShutoffReason
from virt.xml import Domain
from virt_qemu import agent

BOOT_TIMEOUT = 90.0
POWEROFF_TIMEOUT = 30.0
BOUND = agent.CONNECT_TIMEOUT + agent.SYNC_TIMEOUT + agent.COMMAND_TIMEOUT
"""The longest an agent can hold up a shutdown or reboot call."""


def _console(serial_log: Path) -> str:
    try:
        return serial_log.read_text(errors="replace")
    except OSError:
        return ""


def _boot(conn: virt.Connection, model: Domain, serial_log: Path, guest: GuestImage) -> virt.Domain:
    dom = conn.create_domain(model)
    wait_until(
        lambda: guest.marker in _console(serial_log), BOOT_TIMEOUT, f"the guest to boot:\n{_console(serial_log)}"
    )
    return dom


def _model(
    name: str,
    guest: GuestImage,
    serial_log: Path,
    *,
    agent: str | None = None,
    channel: bool | None = None,
    acpi: bool = True,
) -> Domain:
    xml = domain_xml(name, guest, serial_log=serial_log, agent=agent, channel=channel, acpi=acpi)
    return Domain.from_xml(xml)


def _gone(conn: virt.Connection, name: str) -> bool:
    return name not in {d.name for d in conn.list_domains()}


@pytest.mark.parametrize("mode", [ShutdownMode.GUEST_AGENT, ShutdownMode.DEFAULT], ids=["agent", "default"])
def test_shutdown_through_the_agent(
    conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage, mode: ShutdownMode
) -> None:
    """Mode agent, and no mode at all with an agent listening: the agent powers the guest off."""
    serial_log = qemu_root / "serial.log"
    model = _model("tinya", tiny_guest, serial_log, agent="answer", acpi=False)
    dom = conn.define_domain(model)
    dom.start()
    try:
        wait_until(lambda: tiny_guest.marker in _console(serial_log), BOOT_TIMEOUT, "the guest to boot")
        assert f"{tiny_guest.agent_ready} (answer)" in _console(serial_log)
        started = time.monotonic()
        dom.shutdown(mode)
        assert time.monotonic() - started < BOUND
        wait_until(lambda: dom.state().state == DomainState.SHUTOFF, POWEROFF_TIMEOUT, "the guest to power off")
        assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.SHUTDOWN)
        assert "agent: shutdown" in _console(serial_log)
    finally:
        if dom.is_active():
            dom.destroy()


def test_agent_mode_without_an_agent_channel(conn: virt.Connection, capsys: pytest.CaptureFixture[str]) -> None:
    """No channel: libvirt's error for the agent mode; modes of other drivers refused; the guest untouched."""
    dom = conn.create_domain(firmware_xml("noagent"))
    for call in (dom.shutdown, dom.reboot):
        with pytest.raises(VirtError) as raised:
            call(ShutdownMode.GUEST_AGENT)
        assert raised.value.code == ErrorNumber.ARGUMENT_UNSUPPORTED
        assert raised.value.message == "argument unsupported: QEMU guest agent is not configured"
    for mode, value in ((ShutdownMode.INITCTL, 4), (ShutdownMode.SIGNAL, 8), (ShutdownMode.PARAVIRT, 16)):
        with pytest.raises(VirtError) as raised:
            dom.shutdown(mode | ShutdownMode.ACPI_POWER_BTN)
        assert raised.value.code == ErrorNumber.INVALID_ARG
        assert (
            raised.value.message
            == f"invalid argument: unsupported flags (0x{value:x}) in function qemuDomainShutdownFlags"
        )
    with pytest.raises(VirtError, match=r"unsupported flags \(0x4\) in function qemuDomainReboot"):
        dom.reboot(ShutdownMode.INITCTL)
    # the CLI's words for it, in this process (which owns the driver)
    assert main(["-c", "qemu:///system", "shutdown", "--mode", "agent", "noagent"]) == 1
    err = capsys.readouterr().err
    assert "argument unsupported: QEMU guest agent is not configured" in err and "Traceback" not in err
    assert dom.state() == (DomainState.RUNNING, RunningReason.BOOTED)
    dom.suspend()  # libvirt: a paused guest is not asked to shut down, whatever the mode
    with pytest.raises(VirtError, match="domain is not running"):
        dom.shutdown()
    dom.destroy()


def test_channel_without_an_agent_in_the_guest(conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage) -> None:
    """The channel exists but nothing in the guest opened its port: not connected; no mode means ACPI at once."""
    serial_log = qemu_root / "serial.log"
    dom = _boot(conn, _model("tinyc", tiny_guest, serial_log, channel=True), serial_log, tiny_guest)
    try:
        with pytest.raises(VirtError) as raised:
            dom.shutdown(ShutdownMode.GUEST_AGENT)
        assert raised.value.code == ErrorNumber.AGENT_UNRESPONSIVE
        assert raised.value.message == "Guest agent is not responding: QEMU guest agent is not connected"
        started = time.monotonic()
        dom.shutdown()
        assert time.monotonic() - started < 2.0  # no agent waited for
        wait_until(lambda: _gone(conn, "tinyc"), POWEROFF_TIMEOUT, "the guest to power off (ACPI)")
    finally:
        if not _gone(conn, "tinyc"):
            dom.destroy()


def test_an_agent_that_never_answers(conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage) -> None:
    """Agent mode fails within the bound, guest left running; no mode falls back to the ACPI button."""
    serial_log = qemu_root / "serial.log"
    dom = _boot(conn, _model("tinym", tiny_guest, serial_log, agent="mute"), serial_log, tiny_guest)
    try:
        assert f"{tiny_guest.agent_ready} (mute)" in _console(serial_log)
        started = time.monotonic()
        with pytest.raises(VirtError) as raised:
            dom.shutdown(ShutdownMode.GUEST_AGENT)
        assert time.monotonic() - started < BOUND
        assert raised.value.code == ErrorNumber.AGENT_UNRESPONSIVE
        assert "guest-sync-delimited" in raised.value.message
        assert dom.state().state == DomainState.RUNNING
        started = time.monotonic()
        dom.shutdown()  # the agent first, then the power button
        assert agent.SYNC_TIMEOUT <= time.monotonic() - started < BOUND
        wait_until(lambda: _gone(conn, "tinym"), POWEROFF_TIMEOUT, "the guest to power off (ACPI)")
        assert "agent: shutdown" not in _console(serial_log)
    finally:
        if not _gone(conn, "tinym"):
            dom.destroy()


def test_reboot_through_the_agent(conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage) -> None:
    """The agent reboots the guest (it boots again, same QEMU and id); with on_poweroff restart a shutdown
    asks the agent for a reboot too (libvirt's rule)."""
    serial_log = qemu_root / "serial.log"
    model = _model("tinyr", tiny_guest, serial_log, agent="answer", acpi=False)
    model.on_reboot = "restart"
    model.on_poweroff = "restart"
    dom = _boot(conn, model, serial_log, tiny_guest)
    try:
        first_id = dom.id
        dom.reboot(ShutdownMode.GUEST_AGENT)
        wait_until(lambda: _console(serial_log).count(tiny_guest.marker) >= 2, BOOT_TIMEOUT, "the guest to boot again")
        console = _console(serial_log)
        assert console.count("agent: reboot") == 1 and "agent: shutdown" not in console
        assert dom.state() == (DomainState.RUNNING, RunningReason.BOOTED)
        assert dom.id == first_id
        dom.shutdown()  # the agent again (it came back with the guest); on_poweroff restart: a reboot
        wait_until(
            lambda: _console(serial_log).count(tiny_guest.marker) >= 3, BOOT_TIMEOUT, "the guest to boot a third time"
        )
        assert _console(serial_log).count("agent: reboot") == 2
        assert dom.state().state == DomainState.RUNNING
    finally:
        if dom.is_active():
            dom.destroy()


def test_guest_time_through_the_agent(conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage) -> None:
    """domtime: the guest's clock read, set to a given time (the agent's guest-set-time with it), and
    resynchronised from its RTC (guest-set-time without one); each set is followed by QMP's
    rtc-reset-reinjection, as libvirt does on x86."""
    serial_log = qemu_root / "serial.log"
    dom = _boot(conn, _model("tinyt", tiny_guest, serial_log, agent="answer"), serial_log, tiny_guest)
    try:
        now = dom.guest_time().seconds
        assert abs(now - time.time()) < 120
        dom.set_guest_time(1_000_000_000, 5)
        wait_until(lambda: "agent: time set 1000000000" in _console(serial_log), POWEROFF_TIMEOUT, "the time set")
        assert 1_000_000_000 <= dom.guest_time().seconds < 1_000_000_000 + 60
        dom.set_guest_time(0, 0, flags=1)  # VIR_DOMAIN_TIME_SYNC
        wait_until(lambda: "agent: time from the rtc" in _console(serial_log), POWEROFF_TIMEOUT, "the resync")
        with pytest.raises(VirtError) as refused:
            dom.set_guest_time(5, 0, flags=2)
        assert refused.value.code == ErrorNumber.INVALID_ARG
    finally:
        dom.destroy()


def test_fstrim_and_user_password_through_the_agent(
    conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage
) -> None:
    """domfstrim (guest-fstrim with the minimum) and set-user-password (guest-set-user-password, the
    password base64-encoded) reach the agent; a mount point is refused as libvirt refuses it."""
    serial_log = qemu_root / "serial.log"
    dom = _boot(conn, _model("tinyp", tiny_guest, serial_log, agent="answer"), serial_log, tiny_guest)
    try:
        dom.fstrim(minimum=4096)
        wait_until(lambda: "agent: fstrim" in _console(serial_log), POWEROFF_TIMEOUT, "the trim")
        with pytest.raises(VirtError) as refused:
            dom.fstrim(mountpoint="/")
        assert refused.value.message == "argument unsupported: Specifying mount point is not supported for now"
        dom.set_user_password("alice", "secret")
        wait_until(lambda: "agent: password of alice" in _console(serial_log), POWEROFF_TIMEOUT, "the password")
    finally:
        dom.destroy()


def test_suspend_to_ram_through_the_agent_and_wake_up(
    conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage
) -> None:
    """dompmsuspend mem: the agent's guest-suspend-ram (no reply: QEMU's SUSPEND proves it), the guest
    pmsuspended; dompmwakeup: QMP system_wakeup, the guest runs again (its stand-in says so); and
    libvirt's refusals around them."""
    from virt.hostcalls import SuspendTarget

    serial_log = qemu_root / "serial.log"
    model = _model("tinys", tiny_guest, serial_log, agent="answer")
    assert model.os is not None
    # the bzImage: a kernel booted through its PVH entry cannot resume from S3 (SeaBIOS' resume vector)
    model.os.kernel = str(tiny_guest.bzimage)
    dom = _boot(conn, model, serial_log, tiny_guest)
    try:
        with pytest.raises(VirtError, match=r"^internal error: unable to execute QEMU command 'system_wakeup': "):
            dom.pm_wakeup()  # not suspended
        with pytest.raises(VirtError, match=r"^argument unsupported: Duration not supported. Use 0 for now$"):
            dom.pm_suspend_for_duration(SuspendTarget.MEM, 10)
        dom.pm_suspend_for_duration(SuspendTarget.MEM)
        assert "agent: suspend to ram" in _console(serial_log)
        assert dom.state()[0] == DomainState.PMSUSPENDED
        dom.pm_wakeup()
        wait_until(lambda: dom.state()[0] == DomainState.RUNNING, POWEROFF_TIMEOUT, "the guest to wake up")
        wait_until(lambda: "agent: woken up" in _console(serial_log), POWEROFF_TIMEOUT, "the guest to go on")
        assert dom.state() == (DomainState.RUNNING, RunningReason.WAKEUP)
    finally:
        dom.destroy()
