"""The QEMU driver against real QEMU/KVM: definitions, the lifecycle, the status file, errors."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
import virt
from driver_support import (  # noqa: F401 - fixtures
    alive,
    conn_fixture,
    firmware_xml,
    pid_of,
    qemu_pids,
    qemu_root_fixture,
    virt_type,
    wait_until,
)
from virt.errors import ErrorDomain, ErrorNumber, NotFound, OperationInvalid, VirtError
from virt.states import DomainState, PausedReason, RunningReason, ShutoffReason


def test_define_fills_in_and_writes_atomically(conn: virt.Connection, qemu_root: Path) -> None:
    nic = "<interface type='user'><model type='virtio'/></interface>"
    dom = conn.define_domain(firmware_xml("fw1", extra_devices=nic))
    assert not dom.is_active() and dom.is_persistent()
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.UNKNOWN)
    assert dom.id == -1
    model = dom.model()
    assert model.uuid is not None
    assert (
        model.devices is not None and model.devices.emulator and model.devices.emulator.endswith("qemu-system-x86_64")
    )
    assert model.os is not None and model.os.type is not None
    assert model.os.type.machine is not None and model.os.type.machine.startswith("pc-i440fx-")
    mac = model.devices.interfaces[0].mac
    assert mac is not None and mac.address is not None and mac.address.startswith("52:54:00:")
    stored = qemu_root / "system" / "state" / "domains" / "fw1.xml"
    assert virt.xml.Domain.from_xml(stored.read_bytes()).uuid == model.uuid
    assert stat_mode(stored) == 0o600
    # no temporary file left behind by the atomic write
    assert sorted(p.name for p in stored.parent.iterdir()) == ["fw1.xml"]
    # redefinition keeps the UUID and MAC given back
    again = conn.define_domain(model)
    assert again.uuid == dom.uuid


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_lifecycle(conn: virt.Connection, qemu_root: Path) -> None:
    dom = conn.define_domain(firmware_xml("fw2"))
    dom.start()
    try:
        assert dom.is_active()
        assert dom.state() == (DomainState.RUNNING, RunningReason.BOOTED)
        first_id = dom.id
        assert first_id >= 1
        assert conn.lookup_domain_by_id(first_id) == dom
        assert [d.name for d in conn.list_domains(active=True)] == ["fw2"]
        assert conn.list_domains(active=False) == []
        pid = pid_of(qemu_root, "fw2")
        assert alive(pid)

        info = dom.info()
        assert info.state == DomainState.RUNNING
        assert info.max_memory_kib == 64 * 1024 and info.memory_kib == 64 * 1024
        assert info.vcpus == 1
        wait_until(lambda: dom.info().cpu_time_ns > 0, 10, "QEMU to use some processor time")

        live = dom.model()
        assert live.id == first_id
        assert dom.model(inactive=True).id is None

        dom.suspend()
        assert dom.state() == (DomainState.PAUSED, PausedReason.USER)
        dom.suspend()  # already paused: nothing to do, as in libvirt
        dom.resume()
        assert dom.state() == (DomainState.RUNNING, RunningReason.UNPAUSED)
        dom.reset()
        assert dom.state().state == DomainState.RUNNING

        with pytest.raises(OperationInvalid, match="domain is already running"):
            dom.start()
        with pytest.raises(OperationInvalid, match="is already active"):
            conn.create_domain(firmware_xml("fw2", uuid=str(dom.uuid)))
    finally:
        dom.destroy()
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.DESTROYED)
    assert dom.id == -1
    wait_until(lambda: not alive(pid), 5, "QEMU to be gone")
    assert not (qemu_root / "system" / "run" / "status" / "fw2.xml").exists()
    with pytest.raises(OperationInvalid, match="domain is not running"):
        dom.destroy()
    with pytest.raises(OperationInvalid, match="domain is not running"):
        dom.suspend()

    # ids only grow
    dom.start()
    assert dom.id == first_id + 1
    dom.destroy()
    dom.undefine()
    with pytest.raises(NotFound, match="no domain with matching name 'fw2'"):
        conn.lookup_domain_by_name("fw2")
    assert not (qemu_root / "system" / "state" / "domains" / "fw2.xml").exists()


def test_status_file(conn: virt.Connection, qemu_root: Path) -> None:
    from virt_qemu.caps import QemuCaps
    from virt_qemu.status import DomainStatus

    dom = conn.define_domain(firmware_xml("fw3"))
    dom.start()
    try:
        path = qemu_root / "system" / "run" / "status" / "fw3.xml"
        status = DomainStatus.from_xml(path.read_bytes())
        assert status.state == DomainState.RUNNING and status.reason == RunningReason.BOOTED
        assert status.pid is not None and alive(status.pid)
        assert status.monitor is not None and status.monitor.path is not None
        assert Path(status.monitor.path).is_socket()
        assert status.domain is not None and status.domain.name == "fw3" and status.domain.id == dom.id
        assert status.qemu_caps is not None
        caps = QemuCaps.from_json(status.qemu_caps)
        assert caps.version >= (7, 0, 0)
        json.loads(status.qemu_caps)
        assert float(status.start_time or 0) > 0
        # every state change is written
        dom.suspend()
        assert DomainStatus.from_xml(path.read_bytes()).state == DomainState.PAUSED
        dom.resume()
        assert DomainStatus.from_xml(path.read_bytes()).reason == RunningReason.UNPAUSED
    finally:
        dom.destroy()


def test_transient_domain(conn: virt.Connection, qemu_root: Path) -> None:
    dom = conn.create_domain(firmware_xml("fw4"))
    assert dom.is_active() and not dom.is_persistent()
    assert not (qemu_root / "system" / "state" / "domains" / "fw4.xml").exists()
    with pytest.raises(OperationInvalid, match="transient"):
        dom.set_autostart(True)
    dom.destroy()
    with pytest.raises(NotFound):
        conn.lookup_domain_by_name("fw4")
    assert conn.list_domains() == []


def test_undefine_running_becomes_transient(conn: virt.Connection, qemu_root: Path) -> None:
    dom = conn.define_domain(firmware_xml("fw5"))
    dom.set_autostart(True)
    assert dom.autostart
    assert (qemu_root / "system" / "state" / "autostart" / "fw5.xml").is_symlink()
    dom.start()
    dom.undefine()
    assert dom.is_active() and not dom.is_persistent()
    assert not (qemu_root / "system" / "state" / "autostart" / "fw5.xml").exists()
    dom.destroy()
    with pytest.raises(NotFound):
        conn.lookup_domain_by_name("fw5")


def test_list_filters_and_host(conn: virt.Connection) -> None:
    a = conn.define_domain(firmware_xml("fa"))
    b = conn.define_domain(firmware_xml("fb"))
    b.set_autostart(True)
    a.start()
    try:
        assert {d.name for d in conn.list_domains()} == {"fa", "fb"}
        assert [d.name for d in conn.list_domains(states=[DomainState.RUNNING])] == ["fa"]
        assert [d.name for d in conn.list_domains(autostart=True)] == ["fb"]
        assert [d.name for d in conn.list_domains(persistent=False)] == []
        assert a.os_type() == "hvm"
    finally:
        a.destroy()
    assert conn.driver_name == "QEMU"
    assert conn.version() >= 7_000_000
    assert conn.hostname()
    info = conn.node_info()
    assert info.cpus >= 1 and info.memory_kib > 0
    assert "<capabilities>" in conn.capabilities()


def test_errors(conn: virt.Connection) -> None:
    with pytest.raises(VirtError, match="domain type 'xen'") as excinfo:
        conn.define_domain(firmware_xml("bad").replace(f"type='{virt_type()}'", "type='xen'"))
    assert excinfo.value.domain == ErrorDomain.QEMU
    with pytest.raises(VirtError, match="does not support machine type"):
        conn.define_domain(firmware_xml("bad").replace("machine='pc'", "machine='no-such-machine'"))
    with pytest.raises(VirtError, match="cannot contain"):
        conn.define_domain(firmware_xml("a/b"))
    with pytest.raises(NotFound, match="no domain with matching uuid"):
        conn.lookup_domain_by_uuid(uuid.uuid4())
    with pytest.raises(NotFound, match="no domain with matching id 4242"):
        conn.lookup_domain_by_id(4242)
    # a name clash with another UUID
    conn.define_domain(firmware_xml("same"))
    with pytest.raises(VirtError, match="already exists with uuid") as clash:
        conn.define_domain(firmware_xml("same", uuid=str(uuid.uuid4())))
    assert clash.value.code == ErrorNumber.OPERATION_FAILED


def test_unsupported_xml_refused_before_qemu_starts(conn: virt.Connection, qemu_root: Path) -> None:
    hostile = "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='0' slot='1' function='0'/></source></hostdev>"
    dom = conn.define_domain(firmware_xml("hostile", extra_devices=hostile))
    with pytest.raises(VirtError, match="hostdev") as excinfo:
        dom.start()
    assert excinfo.value.code == ErrorNumber.CONFIG_UNSUPPORTED
    assert dom.state().state == DomainState.SHUTOFF
    assert qemu_pids(qemu_root) == []
    with pytest.raises(VirtError, match="hostdev"):
        conn.create_domain(firmware_xml("hostile2", extra_devices=hostile))
    with pytest.raises(NotFound):
        conn.lookup_domain_by_name("hostile2")


def test_qemu_failing_to_start_reports_its_error(conn: virt.Connection, qemu_root: Path) -> None:
    # more memory than a 32-bit guest address space... QEMU itself refuses an absurd amount
    dom = conn.define_domain(firmware_xml("huge", memory_mib=64 * 1024 * 1024 * 1024))
    with pytest.raises(VirtError) as excinfo:
        dom.start()
    assert "qemu" in excinfo.value.message.lower()
    assert dom.state().state == DomainState.SHUTOFF and dom.id == -1
    assert qemu_pids(qemu_root) == []
    assert not (qemu_root / "system" / "run" / "status" / "huge.xml").exists()


def test_second_connection_shares_the_instance(conn: virt.Connection) -> None:
    dom = conn.define_domain(firmware_xml("shared"))
    with virt.open("qemu:///system") as other:
        assert other.lookup_domain_by_name("shared").uuid == dom.uuid
    # closing the second connection leaves the first working
    assert conn.lookup_domain_by_name("shared").uuid == dom.uuid


def test_qemu_dying_is_a_crash(conn: virt.Connection, qemu_root: Path) -> None:
    import signal

    from virt_qemu.events import EventType

    persistent = conn.define_domain(firmware_xml("crash1"))
    persistent.start()
    transient = conn.create_domain(firmware_xml("crash2"))
    for name in ("crash1", "crash2"):
        os.kill(pid_of(qemu_root, name), signal.SIGKILL)
    wait_until(lambda: persistent.state().state == DomainState.SHUTOFF, 10, "the crash to be noticed")
    assert persistent.state() == (DomainState.SHUTOFF, ShutoffReason.CRASHED)
    wait_until(lambda: not conn.list_domains(persistent=False), 10, "the transient domain to disappear")
    with pytest.raises(NotFound):
        transient.state()
    assert not list((qemu_root / "system" / "run" / "status").iterdir())
    events = conn.driver.qemu.events.recent  # type: ignore[attr-defined]
    stopped = [e for e in events if e.type == EventType.STOPPED]
    # libvirt: shut off "crashed", but the event of a monitor end without SHUTDOWN is STOPPED "failed"
    assert {(e.name, e.detail) for e in stopped} == {("crash1", 5), ("crash2", 5)}
