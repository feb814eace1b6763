"""Shutdown, reboot and the ways init can end, with the states and events libvirt reports for them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import virt
from lxc_support import domain_xml, install_init, wait_ready, wait_until
from virt.errors import VirtError
from virt.events import DomainEventType
from virt.states import ShutdownMode

INITCTL_INIT = """#!/bin/sh
# a sysvinit stand-in: powers off when a runlevel request arrives on /run/initctl (held open
# read-write, so that it is open before any request comes)
mkfifo /run/initctl
exec 3<>/run/initctl
head -c 384 <&3 > /tmp/request
poweroff -f
"""


def test_reboot_restarts_the_container_and_shutdown_ends_it(conn: virt.Connection, rootfs: Path) -> None:
    install_init(rootfs)
    events: list[tuple[DomainEventType, int]] = []
    conn.add_domain_event_callback(lambda dom, event: events.append((event.type, int(event.detail))))
    dom = conn.define_domain(domain_xml("rb", rootfs))
    dom.start()
    wait_ready(conn, "rb")
    before = conn.driver.lxc.by_name("rb").running.init_pid  # type: ignore[attr-defined]
    dom.reboot()  # SIGHUP: the test init calls reboot(2), which ends its PID namespace with SIGHUP

    def started_again() -> bool:
        # one reading of the running state: the restart can end it between two readings
        running = conn.driver.lxc.by_name("rb").running  # type: ignore[attr-defined]
        return running is not None and running.init_pid != before and dom.is_active()

    wait_until(started_again, what="the container to start again")
    assert dom.state() == (virt.DomainState.RUNNING, 1)
    wait_ready(conn, "rb")
    dom.shutdown(ShutdownMode.SIGNAL)
    wait_until(lambda: not dom.is_active(), what="the shutdown")
    assert dom.state() == (virt.DomainState.SHUTOFF, 1)
    wait_until(lambda: len(events) >= 4, what="the events")
    assert events == [
        (DomainEventType.DEFINED, 0),  # added
        (DomainEventType.STARTED, 0),  # booted
        (DomainEventType.STARTED, 0),  # booted again after the reboot
        (DomainEventType.STOPPED, 0),  # shutdown
    ]


def test_with_on_reboot_destroy_a_reboot_is_a_shutdown(conn: virt.Connection, rootfs: Path) -> None:
    install_init(rootfs)
    dom = conn.create_domain(domain_xml("rbd", rootfs, on_reboot="destroy"))
    wait_ready(conn, "rbd")
    dom.reboot()

    def gone() -> bool:
        try:
            conn.lookup_domain_by_name("rbd")
        except VirtError:
            return True
        return False

    wait_until(gone, what="the transient container to go")  # stopped, not started again


def reading_fifo(conn: virt.Connection, name: str) -> bool:
    """Whether a process of the container has its /run/initctl open (a writer is then taken)."""
    running = conn.driver.lxc.by_name(name).running  # type: ignore[attr-defined]
    for pid in running.cgroup.procs():
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        if any(link.endswith("/run/initctl") for link in links):
            return True
    return False


def test_shutdown_through_initctl(conn: virt.Connection, rootfs: Path) -> None:
    script = rootfs / "sbin" / "sysv"
    script.write_text(INITCTL_INIT)
    script.chmod(0o755)
    run = "<filesystem type='ram'><source usage='1' units='MiB'/><target dir='/run'/></filesystem>"
    dom = conn.define_domain(domain_xml("sysv", rootfs, init="/sbin/sysv", filesystems=[run]))
    dom.start()
    wait_until(lambda: reading_fifo(conn, "sysv"), what="init to listen on its FIFO")
    dom.shutdown(ShutdownMode.INITCTL)
    wait_until(lambda: not dom.is_active(), what="the power off")
    request = (rootfs / "tmp" / "request").read_bytes()
    assert len(request) == 384 and request[8] == ord("0")  # a request for runlevel 0
    assert dom.state() == (virt.DomainState.SHUTOFF, 1)  # poweroff(2) in the container: shut down


def test_initctl_alone_needs_the_fifo(conn: virt.Connection, rootfs: Path) -> None:
    install_init(rootfs)
    dom = conn.define_domain(domain_xml("nofifo", rootfs))
    dom.start()
    with pytest.raises(VirtError, match="Container does not provide an initctl pipe"):
        dom.shutdown(ShutdownMode.INITCTL)
    wait_ready(conn, "nofifo")
    dom.shutdown()  # no FIFO: the default falls back to SIGTERM
    wait_until(lambda: not dom.is_active(), what="the shutdown")


def test_shutdown_modes_libvirt_refuses(conn: virt.Connection, rootfs: Path) -> None:
    install_init(rootfs)
    dom = conn.create_domain(domain_xml("modes", rootfs))
    with pytest.raises(VirtError, match=r"unsupported flags \(0x1\) in function lxcDomainShutdownFlags"):
        dom.shutdown(ShutdownMode.ACPI_POWER_BTN)
    with pytest.raises(VirtError, match=r"unsupported flags \(0x2\) in function lxcDomainReboot"):
        dom.reboot(ShutdownMode.GUEST_AGENT)


def test_an_init_that_fails_is_reported_failed(conn: virt.Connection, rootfs: Path) -> None:
    events: list[tuple[DomainEventType, int]] = []
    conn.add_domain_event_callback(lambda dom, event: events.append((event.type, int(event.detail))))
    dom = conn.define_domain(domain_xml("fails", rootfs, init="/bin/sh", args=["-c", "sleep 0.3; exit 3"]))
    dom.start()
    wait_until(lambda: not dom.is_active(), what="init to end")
    assert dom.state() == (virt.DomainState.SHUTOFF, 6)  # failed
    wait_until(lambda: len(events) >= 2, what="the events")
    assert events[-1] == (DomainEventType.STOPPED, 5)  # failed
    clean = conn.define_domain(domain_xml("clean", rootfs, init="/bin/true"))
    clean.start()
    wait_until(lambda: not clean.is_active(), what="init to end")
    assert clean.state() == (virt.DomainState.SHUTOFF, 1)  # an init that exits 0 shut the container down


def test_autostart_at_the_first_open_after_boot_and_undefine_while_running(lxc_root: Path, rootfs: Path) -> None:
    install_init(rootfs)
    with virt.open("lxc:///") as conn:
        dom = conn.define_domain(domain_xml("auto", rootfs))
        dom.set_autostart(True)
        assert dom.autostart and not dom.is_active()
        driver = conn.driver.lxc  # type: ignore[attr-defined]
        marker = driver.paths.run_dir / "autostarted"
        assert marker.exists()  # this host "booted" when the driver first opened
    marker.unlink()  # a new boot: the run folder is a tmpfs
    with virt.open("lxc:///") as conn:
        dom = conn.lookup_domain_by_name("auto")
        assert dom.is_active()  # started by the first open after the boot
        dom.undefine()  # running: it goes on as a transient container
        assert not dom.is_persistent() and dom.is_active()
        with pytest.raises(VirtError, match="cannot set autostart for transient domain"):
            dom.set_autostart(False)
        dom.destroy()
        with pytest.raises(VirtError, match="no domain with matching name 'auto'"):
            conn.lookup_domain_by_name("auto")


def test_signals_reach_init_only(conn: virt.Connection, rootfs: Path) -> None:
    """send-process-signal as libvirt's LXC driver: only pid 1 (the container's init), Linux's numbers;
    SIGKILL from outside ends the container."""
    from virt.errors import ErrorNumber

    install_init(rootfs)
    dom = conn.define_domain(domain_xml("sig", rootfs))
    dom.start()
    wait_ready(conn, "sig")
    dom.send_process_signal(1, 0)  # no signal: only whether it could be sent
    with pytest.raises(VirtError) as refused:
        dom.send_process_signal(2, 15)
    assert refused.value.code == ErrorNumber.OPERATION_UNSUPPORTED
    assert refused.value.message == "Operation not supported: Only the init process may be signalled"
    with pytest.raises(VirtError) as refused:
        dom.send_process_signal(1, 99)
    assert refused.value.message == "invalid argument: signum value 99 is out of range"
    dom.send_process_signal(1, 9)
    wait_until(lambda: not dom.is_active(), what="the container to end")
    dom.undefine()
