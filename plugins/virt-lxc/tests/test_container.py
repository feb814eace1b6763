"""A real busybox container from start to destroy: what runs inside it, its limits, and what is left after.

The acceptance path of the driver: define and start a container whose root is a busybox directory,
run commands in it (``virt lxc-enter-namespace``), talk to its console, see its hostname, its PID 1,
its private network (a veth on a bridge, addressed, reaching the host), its memory limit enforced
by the kernel (a process over it is OOM-killed inside, the host and the container live on), its
processes frozen by suspend and running again after resume, shutdown and destroy; then no cgroup,
mount, veth, socket or status file is left.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import virt
from lxc_support import Console, domain_xml, enter, install_init, state, wait_ready, wait_until
from virt.events import DomainEventType

BRIDGE = "vltbr0"


@pytest.fixture
def bridge() -> Iterator[str]:
    """A host bridge at 10.213.0.1/24 for the containers' veths."""
    name = f"{BRIDGE}{uuid.uuid4().hex[:4]}"
    subprocess.run(["ip", "link", "add", name, "type", "bridge"], check=True)
    try:
        subprocess.run(["ip", "addr", "add", "10.213.0.1/24", "dev", name], check=True)
        subprocess.run(["ip", "link", "set", name, "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "link", "del", name], check=False)


def cgroup_dirs(conn: virt.Connection, name: str) -> list[Path]:
    """Where the container's cgroups are (or were), in every hierarchy."""
    from virt_lxc.cgroups import ContainerCgroup

    driver = conn.driver.lxc  # type: ignore[attr-defined]
    return [d.path for d in ContainerCgroup.plan(driver.layout, driver.paths.partition, name).dirs]


def mounted_under(path: Path) -> list[str]:
    return [line for line in Path("/proc/self/mountinfo").read_text().splitlines() if str(path) in line]


def test_a_busybox_container_lives_and_leaves_nothing_behind(
    conn: virt.Connection, rootfs: Path, bridge: str, capfd: pytest.CaptureFixture[str]
) -> None:
    install_init(rootfs)
    interface = (
        f"<interface type='bridge'><source bridge='{bridge}'/><mac address='52:54:00:aa:bb:01'/>"
        "<ip address='10.213.0.2' prefix='24'/><route address='10.214.0.0' prefix='16' gateway='10.213.0.1'/>"
        "</interface>"
    )
    events: list[tuple[str, int]] = []
    conn.add_domain_event_callback(lambda dom, event: events.append((dom.name, event.type)))
    dom = conn.define_domain(domain_xml("box", rootfs, memory_mib=64, interfaces=[interface]))
    dom.start()
    assert state(dom) == "running"
    assert dom.id > 0

    live = dom.model()
    assert live.devices is not None
    veth = live.devices.interfaces[0].target.dev  # type: ignore[union-attr]
    assert veth and Path(f"/sys/class/net/{veth}/master").resolve().name == bridge

    # inside: its hostname, its own PID 1 (the init), its network
    capfd.readouterr()
    assert enter("box", "hostname") == 0
    assert capfd.readouterr().out.strip() == "box"
    assert enter("box", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $$") == 0
    first, second = capfd.readouterr().out.splitlines()
    assert first.strip() == "/bin/sh /sbin/testinit"
    assert int(second) > 1  # the entered shell is another process of the container's PID namespace
    assert enter("box", "ip", "-o", "addr", "show", "eth0") == 0
    shown = capfd.readouterr().out
    assert "inet 10.213.0.2/24" in shown
    assert enter("box", "ip", "link", "show", "eth0") == 0
    assert "link/ether 52:54:00:aa:bb:01" in capfd.readouterr().out
    assert enter("box", "ip", "route") == 0
    assert "10.214.0.0/16 via 10.213.0.1 dev eth0" in capfd.readouterr().out
    assert enter("box", "ping", "-c", "1", "-W", "5", "10.213.0.1") == 0  # through the veth and the bridge
    assert "1 packets received" in capfd.readouterr().out
    assert enter("box", "sh", "-c", "ls /sys/class/net | sort | tr '\\n' ' '") == 0
    assert capfd.readouterr().out.split() == ["eth0", "lo"]

    # its console: the init reads what is typed there and answers on it
    console = Console(dom)
    try:
        console.send("echo console-says-$((40+2))\n")
        console.expect("console-says-42")
    finally:
        console.close()

    # the memory limit: a process taking more is killed inside, the container and the host go on
    assert enter("box", "dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1") == 137
    driver = conn.driver.lxc  # type: ignore[attr-defined]
    running = driver.by_name("box").running
    assert running.cgroup.oom_kills() >= 1
    assert state(dom) == "running"
    assert enter("box", "true") == 0
    assert dom.info().memory_kib < 64 * 1024

    # suspend freezes every process of the container, resume lets them go on
    assert enter("box", "sh", "-c", "(i=0; while true; do i=$((i+1)); echo $i > /tmp/counter; sleep 0.05; done) &") == 0
    counter = rootfs / "tmp" / "counter"
    wait_until(lambda: counter.exists() and counter.read_text().strip().isdigit(), what="the counter to count")
    dom.suspend()
    assert state(dom) == "paused"
    frozen = counter.read_text()
    time.sleep(0.5)
    assert counter.read_text() == frozen
    dom.resume()
    assert state(dom) == "running"
    wait_until(lambda: counter.read_text() != frozen, what="the counter to count again")

    # shutdown: init gets SIGTERM and ends; every process, cgroup, veth and mount goes with it
    wait_ready(conn, "box")
    dom.shutdown()
    wait_until(lambda: not dom.is_active(), what="the container to shut down")
    assert dom.state() == (virt.DomainState.SHUTOFF, 1)  # reason: shutdown
    assert_nothing_left(conn, "box", veth, rootfs)

    # destroy: everything killed at once, nothing left either
    dom.start()
    veth = dom.model().devices.interfaces[0].target.dev  # type: ignore[union-attr]
    dom.destroy()
    assert dom.state() == (virt.DomainState.SHUTOFF, 2)  # reason: destroyed
    assert_nothing_left(conn, "box", veth, rootfs)
    dom.undefine()
    wait_until(lambda: events and events[-1] == ("box", DomainEventType.UNDEFINED), what="the undefined event")
    assert [t for _, t in events] == [
        DomainEventType.DEFINED,
        DomainEventType.STARTED,
        DomainEventType.SUSPENDED,
        DomainEventType.RESUMED,
        DomainEventType.STOPPED,
        DomainEventType.STARTED,
        DomainEventType.STOPPED,
        DomainEventType.UNDEFINED,
    ]


def assert_nothing_left(conn: virt.Connection, name: str, veth: str | None, rootfs: Path) -> None:
    driver = conn.driver.lxc  # type: ignore[attr-defined]
    assert [d for d in cgroup_dirs(conn, name) if d.exists()] == []
    if veth:
        assert not Path(f"/sys/class/net/{veth}").exists()
    assert mounted_under(rootfs) == []
    assert not driver.paths.socket_path(name).exists()
    assert not driver.statuses.path(name).exists()
    with contextlib.suppress(FileNotFoundError):
        assert not driver.paths.exit_file(name).exists()
