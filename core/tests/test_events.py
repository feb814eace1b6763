"""Lifecycle events: the enums, the public callback API over the test driver, and libvirt's own sequence."""

from __future__ import annotations

import json
import logging
import subprocess
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import virt
from virt.driver import DomainRef
from virt.errors import InvalidArgument
from virt.events import (
    DETAIL_TYPES,
    DomainEvent,
    DomainEventHub,
    DomainEventType,
    ResumedDetail,
    StartedDetail,
    StoppedDetail,
    detail_label,
    event_for_state,
    type_label,
)
from virt.states import DomainState, PausedReason, RunningReason, ShutoffReason
from virt.testing import missing_dependency

URI = "test:///default"
SYSTEM_PYTHON = "/usr/bin/python3"
UUID = "11111111-2222-3333-4444-555555555555"
XML = f"<domain type='test'><name>ev1</name><uuid>{UUID}</uuid><memory>1024</memory><os><type>hvm</type></os></domain>"
TRANSIENT_XML = XML.replace("ev1", "ev2").replace("11111111", "21111111")
ACTIONS_XML = XML.replace("</domain>", "<on_poweroff>restart</on_poweroff><on_reboot>destroy</on_reboot></domain>")


def run_libvirt(script: str) -> object:
    """Run ``script`` with python3-libvirt under the system Python; what it prints, as JSON."""
    if not Path(SYSTEM_PYTHON).exists():
        missing_dependency(f"{SYSTEM_PYTHON} is missing (python3-libvirt lives there)")
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import libvirt"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        missing_dependency("python3-libvirt is not installed (apt-get install python3-libvirt)")
    done = subprocess.run([SYSTEM_PYTHON, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


@pytest.fixture
def conn() -> Iterator[virt.Connection]:
    with virt.open(URI) as connection:
        yield connection


# -- the enums ------------------------------------------------------------------------------------
def test_numbers_are_libvirts() -> None:
    found = run_libvirt(
        textwrap.dedent(
            """
            import json, libvirt
            types = ["DEFINED", "UNDEFINED", "STARTED", "SUSPENDED", "RESUMED", "STOPPED", "SHUTDOWN",
                     "PMSUSPENDED", "CRASHED"]
            out = {"types": {t: getattr(libvirt, "VIR_DOMAIN_EVENT_" + t) for t in types}, "details": {}}
            for t in types:
                prefix = "VIR_DOMAIN_EVENT_%s_" % t
                out["details"][t] = {n[len(prefix):]: getattr(libvirt, n) for n in dir(libvirt)
                                     if n.startswith(prefix) and not n.endswith("_LAST")}
            print(json.dumps(out))
            """
        )
    )
    assert isinstance(found, dict)
    assert found["types"] == {t.name: t.value for t in DomainEventType}
    for type_, kind in DETAIL_TYPES.items():
        assert found["details"][type_.name] == {d.name: d.value for d in kind}, type_.name


def test_event_words_and_details() -> None:
    ref = DomainRef("vm", __import__("uuid").UUID(UUID), 3)
    event = DomainEvent(ref, DomainEventType.STOPPED, 1)
    assert event.detail is StoppedDetail.DESTROYED and event.detail == 1
    assert event.description == "Stopped Destroyed"
    assert DomainEvent(ref, 2, 0).description == "Started Booted"
    assert DomainEvent(ref, DomainEventType.SHUTDOWN, 1).description == "Shutdown Finished after guest request"
    assert DomainEvent(ref, DomainEventType.SUSPENDED, 2).description == "Suspended I/O Error"
    # a detail from a newer peer stays a number, printed as virsh does
    newer = DomainEvent(ref, DomainEventType.STARTED, 42)
    assert type(newer.detail) is int and newer.description == "Started unknown"
    assert type_label(99) == "unknown" and detail_label(99, 0) == "unknown"


def test_event_for_state() -> None:
    assert event_for_state(DomainState.RUNNING, RunningReason.BOOTED) == (DomainEventType.STARTED, StartedDetail.BOOTED)
    assert event_for_state(DomainState.RUNNING, RunningReason.UNPAUSED) == (
        DomainEventType.RESUMED,
        ResumedDetail.UNPAUSED,
    )
    assert event_for_state(DomainState.PAUSED, PausedReason.IOERROR) == (DomainEventType.SUSPENDED, 2)
    assert event_for_state(DomainState.SHUTOFF, ShutoffReason.DESTROYED) == (DomainEventType.STOPPED, 1)
    assert event_for_state(DomainState.NOSTATE, 0) is None


# -- the sequence libvirt's test driver emits ---------------------------------------------------------
# Each step, then what it emitted: the same script runs against python3-libvirt and against virt.
STEPS = textwrap.dedent(
    """
    def steps(conn, define, create, lookup):
        yield "define", lambda: define(XML)
        yield "redefine", lambda: define(XML)
        dom = lookup("ev1")
        yield "start", dom.start
        yield "suspend", dom.suspend
        yield "resume", dom.resume
        yield "reboot", dom.reboot
        yield "reset", dom.reset
        yield "shutdown", dom.shutdown
        yield "start again", dom.start
        yield "destroy", dom.destroy
        yield "undefine", dom.undefine
        yield "create transient", lambda: create(TRANSIENT_XML)
        yield "destroy transient", lambda: lookup("ev2").destroy()
        yield "define and start", lambda: define(XML) and lookup("ev1").start()
        yield "undefine running", lambda: lookup("ev1").undefine()
        yield "redefine running transient", lambda: define(XML)
        yield "destroy", lambda: lookup("ev1").destroy()
        yield "define actions", lambda: define(ACTIONS_XML)
        yield "start", lambda: lookup("ev1").start()
        yield "shutdown restarting", lambda: lookup("ev1").shutdown()
        yield "reboot destroying", lambda: lookup("ev1").reboot()
        yield "undefine", lambda: lookup("ev1").undefine()
    """
)


def _constants() -> str:
    return f"XML = {XML!r}\nTRANSIENT_XML = {TRANSIENT_XML!r}\nACTIONS_XML = {ACTIONS_XML!r}\n"


LIBVIRT_SCRIPT = (
    textwrap.dedent(
        """
        import json, threading, time, libvirt
        libvirt.virEventRegisterDefaultImpl()
        def loop():
            while True:
                libvirt.virEventRunDefaultImpl()
        threading.Thread(target=loop, daemon=True).start()
        conn = libvirt.open("test:///default")
        seen = []
        conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                    lambda c, d, e, det, o: seen.append([d.name(), e, det]), None)
        class Dom:
            def __init__(self, d): self.d = d
            start = lambda self: self.d.create()
            def __getattr__(self, name): return getattr(self.d, name)
        """
    )
    + _constants()
    + STEPS
    + textwrap.dedent(
        """
        result = []
        for label, step in steps(conn, conn.defineXML, conn.createXML, lambda n: Dom(conn.lookupByName(n))):
            del seen[:]
            step()
            deadline = time.time() + 0.2
            while time.time() < deadline:
                time.sleep(0.05)
            result.append([label, list(seen)])
        print(json.dumps(result))
        """
    )
)


def test_lifecycle_sequence_matches_libvirt(conn: virt.Connection) -> None:
    expected = run_libvirt(LIBVIRT_SCRIPT)
    namespace: dict[str, object] = {}
    exec(_constants() + STEPS, namespace)
    seen: list[list[object]] = []
    conn.add_domain_event_callback(lambda dom, event: seen.append([dom.name, int(event.type), int(event.detail)]))
    result = []
    steps = namespace["steps"](conn, conn.define_domain, conn.create_domain, conn.lookup_domain_by_name)  # type: ignore[operator]
    for label, step in steps:
        seen.clear()
        step()  # the test driver delivers before the call returns
        result.append([label, list(seen)])
    assert result == expected


# -- the callback API -------------------------------------------------------------------------------
def test_other_connections_see_the_events(conn: virt.Connection) -> None:
    mine: list[tuple[str, DomainEventType, int]] = []
    theirs: list[tuple[virt.Domain, DomainEvent]] = []
    conn.add_domain_event_callback(lambda dom, event: mine.append((dom.name, event.type, event.detail)))
    with virt.open(URI) as other:
        other.add_domain_event_callback(lambda dom, event: theirs.append((dom, event)))
        conn.lookup_domain_by_name("test").destroy()
        assert mine == [("test", DomainEventType.STOPPED, StoppedDetail.DESTROYED)]
        [(dom, event)] = theirs
        # the handle belongs to the connection that registered, built from the event's ref
        assert dom.connection is other and dom.name == "test" and event.domain.id == -1
        assert dom.state().state == DomainState.SHUTOFF
        other.lookup_domain_by_name("test").start()
    assert [t for _, t, _ in mine] == [DomainEventType.STOPPED, DomainEventType.STARTED]


def test_domain_filter(conn: virt.Connection) -> None:
    conn.define_domain(XML)
    test = conn.lookup_domain_by_name("test")
    names: list[str] = []
    conn.add_domain_event_callback(lambda dom, event: names.append(dom.name), test)
    conn.lookup_domain_by_name("ev1").start()
    test.suspend()
    assert names == ["test"]
    with virt.open(URI) as other, pytest.raises(InvalidArgument, match="same connection"):
        other.add_domain_event_callback(lambda dom, event: None, test)


def test_remove_callback(conn: virt.Connection) -> None:
    seen: list[DomainEvent] = []
    first = conn.add_domain_event_callback(lambda dom, event: seen.append(event))
    second = conn.add_domain_event_callback(lambda dom, event: seen.append(event))
    assert first != second
    dom = conn.lookup_domain_by_name("test")
    dom.suspend()
    assert len(seen) == 2
    conn.remove_domain_event_callback(first)
    dom.resume()
    assert len(seen) == 3
    conn.remove_domain_event_callback(second)
    # the last one gone, the connection no longer listens to the driver at all
    assert not conn.driver.host.events.subscribed  # type: ignore[attr-defined]
    dom.suspend()
    assert len(seen) == 3
    with pytest.raises(InvalidArgument, match=f"could not find event callback {second} for deletion"):
        conn.remove_domain_event_callback(second)


def test_closing_unsubscribes() -> None:
    with virt.open(URI) as keeper:
        host = keeper.driver.host  # type: ignore[attr-defined]
        closing = virt.open(URI)
        seen: list[DomainEvent] = []
        closing.add_domain_event_callback(lambda dom, event: seen.append(event))
        assert host.events.subscribed
        closing.close()
        assert not host.events.subscribed
        keeper.lookup_domain_by_name("test").destroy()
        assert seen == []


def test_driver_close_drops_direct_subscriptions() -> None:
    with virt.open(URI) as keeper:
        host = keeper.driver.host  # type: ignore[attr-defined]
        other = virt.open(URI)
        other.driver.subscribe_domain_events(lambda event: None)
        other.close()
        assert not host.events.subscribed


def test_raising_callback_is_logged(conn: virt.Connection, caplog: pytest.LogCaptureFixture) -> None:
    def broken(dom: virt.Domain, event: DomainEvent) -> None:
        raise RuntimeError("boom")

    seen: list[DomainEvent] = []
    conn.add_domain_event_callback(broken)
    conn.add_domain_event_callback(lambda dom, event: seen.append(event))
    with caplog.at_level(logging.ERROR, logger="virt.connection"):
        conn.lookup_domain_by_name("test").suspend()  # the operation itself succeeds
    assert len(seen) == 1
    assert "boom" in caplog.text and "domain event callback" in caplog.text


def test_callback_may_call_the_driver_back(conn: virt.Connection) -> None:
    states: list[DomainState] = []
    conn.add_domain_event_callback(lambda dom, event: states.append(dom.state().state))
    dom = conn.lookup_domain_by_name("test")
    dom.suspend()
    dom.resume()
    assert states == [DomainState.PAUSED, DomainState.RUNNING]


def test_callback_changing_a_domain_keeps_the_order(conn: virt.Connection) -> None:
    order: list[str] = []

    def react(dom: virt.Domain, event: DomainEvent) -> None:
        order.append(event.description)
        if event.type == DomainEventType.SUSPENDED:
            dom.resume()  # delivered after this callback returns, not inside it

    conn.add_domain_event_callback(react)
    conn.lookup_domain_by_name("test").suspend()
    assert order == ["Suspended Paused", "Resumed Unpaused"]


def test_private_hosts_do_not_share(tmp_path: Path, conn: virt.Connection) -> None:
    seen: list[str] = []
    conn.add_domain_event_callback(lambda dom, event: seen.append(f"default {dom.name}"))
    node = tmp_path / "node.xml"
    node.write_text(
        "<node><domain type='test'><name>n1</name><memory>1024</memory><os><type>hvm</type></os></domain></node>"
    )
    with virt.open(f"test://{node}") as private:
        private.add_domain_event_callback(lambda dom, event: seen.append(f"private {dom.name}"))
        private.lookup_domain_by_name("n1").destroy()
    assert seen == ["private n1"]


# -- the hub ----------------------------------------------------------------------------------------
def _event(n: int) -> DomainEvent:
    import uuid

    return DomainEvent(DomainRef(f"d{n}", uuid.uuid4()), DomainEventType.DEFINED, 0)


def test_threaded_hub_delivers_in_order_from_its_thread() -> None:
    hub = DomainEventHub(threaded=True, name="test hub")
    got: list[tuple[str, str]] = []
    done = threading.Event()

    def callback(event: DomainEvent) -> None:
        got.append((event.domain.name, threading.current_thread().name))
        if len(got) == 50:
            done.set()

    hub.subscribe(callback)
    for n in range(50):
        hub.emit(_event(n))
    assert done.wait(5)
    assert [name for name, _ in got] == [f"d{n}" for n in range(50)]
    assert {thread for _, thread in got} == {"test hub"}
    hub.close()
    hub.emit(_event(99))  # closed: dropped
    assert len(got) == 50


def test_hub_keeps_nothing_without_subscribers() -> None:
    hub = DomainEventHub()
    hub.emit(_event(1))
    got: list[DomainEvent] = []
    unsubscribe = hub.subscribe(got.append)
    hub.emit(_event(2))
    unsubscribe()
    unsubscribe()  # twice: nothing
    hub.emit(_event(3))
    assert [e.domain.name for e in got] == ["d2"]
