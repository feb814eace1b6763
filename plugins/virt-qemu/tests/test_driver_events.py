"""Lifecycle events of the QEMU driver against real QEMU/KVM (firmware-only guests)."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import virt
from driver_support import (  # noqa: F401 - fixtures
    conn_fixture,
    firmware_xml,
    pid_of,
    qemu_root_fixture,
    wait_until,
)
from virt.events import DomainEvent, DomainEventType
from virt.states import DomainState, ShutoffReason


class Recorder:
    """What a callback received: (name, type, detail), and the threads it ran in."""

    def __init__(self) -> None:
        self.events: list[tuple[str, DomainEventType, int]] = []
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, dom: virt.Domain, event: DomainEvent) -> None:
        with self._lock:
            self.events.append((dom.name, event.type, int(event.detail)))
            self.threads.add(threading.current_thread().name)

    def wait_for(self, count: int) -> list[tuple[str, DomainEventType, int]]:
        wait_until(lambda: len(self.events) >= count, 15, f"{count} events (got {self.events})")
        with self._lock:
            return list(self.events)


def test_lifecycle_events(conn: virt.Connection) -> None:
    recorder = Recorder()
    conn.add_domain_event_callback(recorder)
    dom = conn.define_domain(firmware_xml("ev1"))
    conn.define_domain(dom.model(inactive=True))
    dom.start()
    dom.suspend()
    dom.resume()
    dom.destroy()
    dom.undefine()
    expected = [
        ("ev1", DomainEventType.DEFINED, 0),  # added
        ("ev1", DomainEventType.DEFINED, 1),  # updated
        ("ev1", DomainEventType.RESUMED, 0),  # unpaused: the "cont" of the start, as libvirt reports it
        ("ev1", DomainEventType.STARTED, 0),  # booted
        ("ev1", DomainEventType.SUSPENDED, 0),  # paused
        ("ev1", DomainEventType.RESUMED, 0),  # unpaused
        ("ev1", DomainEventType.SHUTDOWN, 2),  # finished after host request: QEMU's answer to SIGTERM
        ("ev1", DomainEventType.STOPPED, 1),  # destroyed
        ("ev1", DomainEventType.UNDEFINED, 0),  # removed
    ]
    assert recorder.wait_for(len(expected)) == expected
    # delivered by the driver's event hub, never in the caller's thread (which may hold nothing
    # the callback needs, but the driver's locks were held when the events were made)
    assert recorder.threads == {"virt-qemu domain events"}


def test_transient_domain_and_other_connections(conn: virt.Connection) -> None:
    recorder = Recorder()
    with virt.open("qemu:///system") as other:
        other.add_domain_event_callback(recorder)
        dom = conn.create_domain(firmware_xml("ev2"))
        dom.destroy()
        assert recorder.wait_for(4) == [
            ("ev2", DomainEventType.RESUMED, 0),
            ("ev2", DomainEventType.STARTED, 0),
            ("ev2", DomainEventType.SHUTDOWN, 2),
            ("ev2", DomainEventType.STOPPED, 1),
        ]


def test_domain_filter_and_removal(conn: virt.Connection) -> None:
    recorder = Recorder()
    first = conn.define_domain(firmware_xml("ev3"))
    second = conn.define_domain(firmware_xml("ev4"))
    handle = conn.add_domain_event_callback(recorder, first)
    second.start()
    first.start()
    assert recorder.wait_for(2) == [("ev3", DomainEventType.RESUMED, 0), ("ev3", DomainEventType.STARTED, 0)]
    conn.remove_domain_event_callback(handle)
    first.destroy()
    second.destroy()
    everything = Recorder()
    conn.add_domain_event_callback(everything)
    first.start()
    everything.wait_for(2)
    assert recorder.events == [("ev3", DomainEventType.RESUMED, 0), ("ev3", DomainEventType.STARTED, 0)]
    first.destroy()


def test_qemu_killed_from_outside(conn: virt.Connection, qemu_root: Path) -> None:
    recorder = Recorder()
    dom = conn.define_domain(firmware_xml("ev5"))
    dom.start()
    conn.add_domain_event_callback(recorder)
    os.kill(pid_of(qemu_root, "ev5"), signal.SIGKILL)
    # libvirt (processMonitorEOFEvent): a monitor end without SHUTDOWN leaves the domain shut off
    # "crashed", and the event says STOPPED "failed"
    assert recorder.wait_for(1) == [("ev5", DomainEventType.STOPPED, 5)]
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.CRASHED)


def test_closing_the_connection_stops_delivery(conn: virt.Connection) -> None:
    from virt_qemu.driver import QemuDriver

    recorder = Recorder()
    dom = conn.define_domain(firmware_xml("ev6"))
    other = virt.open("qemu:///system")
    other.add_domain_event_callback(recorder)
    driver: QemuDriver = conn.driver.qemu  # type: ignore[attr-defined]
    assert driver.events._hub.subscribed
    other.close()
    assert not driver.events._hub.subscribed
    dom.start()
    dom.destroy()
    wait_until(lambda: sum(e.name == "ev6" for e in driver.events.recent) >= 3, 10, "the events to be recorded")
    assert recorder.events == []
