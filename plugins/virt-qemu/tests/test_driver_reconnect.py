"""A new owner of qemu:///system takes back the guests another process started, killing none."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import virt
from driver_support import alive, firmware_xml, pid_of, qemu_root_fixture, wait_until  # noqa: F401 - fixtures
from virt.errors import VirtError
from virt.states import DomainState, PausedReason, RunningReason, ShutoffReason

# The first owner: defines/creates the guests, says their ids, then waits to be killed.
OWNER = textwrap.dedent(
    """
    import json, signal, sys, time
    import virt
    signal.alarm(120)  # never outlive a broken test
    xmls = json.loads(sys.stdin.readline())
    conn = virt.open("qemu:///system")
    ids = {}
    for name, (xml, persistent) in xmls.items():
        dom = conn.define_domain(xml) if persistent else conn.create_domain(xml)
        if persistent:
            dom.start()
        ids[name] = dom.id
    if "paused" in ids:
        conn.lookup_domain_by_name("paused").suspend()
    print(json.dumps(ids), flush=True)
    time.sleep(300)
    """
)

GUESTS = {
    "keep": True,  # persistent, running
    "temp": False,  # transient, running
    "paused": True,  # persistent, paused by the first owner
    "nocaps": True,  # its status file loses <qemuCaps>
    "died": True,  # persistent, its QEMU killed while nobody owns the driver
    "vanish": False,  # transient, its QEMU killed too
}


def _start_owner(root: Path, guests: dict[str, bool] = GUESTS) -> tuple[subprocess.Popen[str], dict[str, int]]:
    env = dict(os.environ, VIRT_QEMU_ROOT=str(root))
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    assert owner.stdin is not None and owner.stdout is not None
    owner.stdin.write(json.dumps({name: (firmware_xml(name), p) for name, p in guests.items()}) + "\n")
    owner.stdin.flush()
    ready, _, _ = select.select([owner.stdout], [], [], 90)
    if not ready:
        owner.kill()
        raise AssertionError("the first owner did not start its guests in time")
    line = owner.stdout.readline()
    if not line:
        owner.wait(10)
        raise AssertionError(f"the first owner failed (exit status {owner.returncode})")
    return owner, json.loads(line)


def test_reconnect_after_owner_killed(qemu_root: Path) -> None:
    owner, ids = _start_owner(qemu_root)
    try:
        pids = {name: pid_of(qemu_root, name) for name in GUESTS}
        # a second owner is refused while the first lives, and told who holds the driver
        with pytest.raises(VirtError, match=f"pid {owner.pid}"):
            virt.open("qemu:///system")
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)

    for name in ("died", "vanish"):
        os.kill(pids[name], signal.SIGKILL)
        wait_until(lambda pid=pids[name]: not alive(pid), 5, f"QEMU of {name} to die")
    status_dir = qemu_root / "system" / "run" / "status"
    nocaps = status_dir / "nocaps.xml"
    text = nocaps.read_text()
    start, end = text.index("<qemuCaps>"), text.index("</qemuCaps>") + len("</qemuCaps>")
    nocaps.write_text(text[:start] + text[end:])

    with virt.open("qemu:///system") as conn:
        running = {d.name: d for d in conn.list_domains(active=True)}
        assert set(running) == {"keep", "temp", "paused", "nocaps"}
        for name, dom in running.items():
            assert dom.id == ids[name], name
            assert alive(pids[name]), f"{name} was killed"
        assert running["keep"].state() == (DomainState.RUNNING, RunningReason.BOOTED)
        assert running["paused"].state() == (DomainState.PAUSED, PausedReason.USER)
        assert not running["temp"].is_persistent()

        # QMP works on the guests taken back
        running["keep"].suspend()
        assert running["keep"].state() == (DomainState.PAUSED, PausedReason.USER)
        running["keep"].resume()
        running["paused"].resume()
        assert running["paused"].state() == (DomainState.RUNNING, RunningReason.UNPAUSED)

        # the QEMU that died meanwhile: shut off (crashed), its status file gone; a transient one vanished
        died = conn.lookup_domain_by_name("died")
        assert died.state() == (DomainState.SHUTOFF, ShutoffReason.CRASHED)
        assert not (status_dir / "died.xml").exists()
        assert not (status_dir / "vanish.xml").exists()
        assert "vanish" not in {d.name for d in conn.list_domains()}

        # the domain whose status lacks its capabilities: listed, refused clearly, never killed
        broken = running["nocaps"]
        with pytest.raises(VirtError, match="lacks the QEMU capabilities it was started with"):
            broken.suspend()
        assert alive(pids["nocaps"])
        assert nocaps.exists()

        # new ids continue after the kept ones
        died.start()
        assert died.id > max(ids.values())
        broken.destroy()  # destroy is the one way out for it
        assert not alive(pids["nocaps"]) or wait_until(lambda: not alive(pids["nocaps"]), 5, "nocaps to stop") is None
        for dom in conn.list_domains(active=True):
            dom.destroy()


def test_twenty_running_guests_survive_their_owner(qemu_root: Path) -> None:
    guests = {f"g{n:02}": True for n in range(20)}
    owner, ids = _start_owner(qemu_root, guests)
    pids = {name: pid_of(qemu_root, name) for name in guests}
    owner.send_signal(signal.SIGKILL)
    owner.wait(10)

    started = time.monotonic()
    with virt.open("qemu:///system") as conn:
        running = {d.name: d for d in conn.list_domains(active=True)}
        elapsed = time.monotonic() - started
        assert set(running) == set(guests), "none lost"
        for name, dom in running.items():
            assert dom.id == ids[name] and alive(pids[name]), f"{name} was lost or killed"
            assert dom.state() == (DomainState.RUNNING, RunningReason.BOOTED)
        print(f"reattached {len(running)} guests in {elapsed:.3f} s")
        for dom in running.values():
            dom.destroy()


def test_parallel_reattach_keeps_results_and_confines_errors(qemu_root: Path) -> None:
    """Ten guests taken back at once: ids kept, untouched status files not rewritten, one guest's
    trouble (bad caps, no <domain>, a lost id, a pause meanwhile) stays with that guest."""
    from virt_qemu import driver as driver_module
    from virt_qemu.monitor import Monitor

    guests = {f"p{n}": True for n in range(10)}
    owner, ids = _start_owner(qemu_root, guests)
    pids = {name: pid_of(qemu_root, name) for name in guests}
    owner.send_signal(signal.SIGKILL)
    owner.wait(10)

    status_dir = qemu_root / "system" / "run" / "status"
    # p1: its capabilities cannot be read; p2: no <domain> at all; p3: its id lost; p4: paused meanwhile
    text = (status_dir / "p1.xml").read_text()
    start, end = text.index("<qemuCaps>") + len("<qemuCaps>"), text.index("</qemuCaps>")
    (status_dir / "p1.xml").write_text(text[:start] + "{not json" + text[end:])
    text = (status_dir / "p2.xml").read_text()
    (status_dir / "p2.xml").write_text(text[: text.index("<domain")] + "</domstatus>\n")
    text = (status_dir / "p3.xml").read_text()
    (status_dir / "p3.xml").write_text(text.replace(f" id='{ids['p3']}'", "").replace(f' id="{ids["p3"]}"', ""))
    with Monitor.connect(status_dir.parent / "domains" / "p4" / "monitor.sock", timeout=10) as monitor:
        monitor.execute("stop")
    stamps = {path.name: os.stat(path).st_mtime_ns for path in status_dir.glob("*.xml")}
    time.sleep(0.05)

    with virt.open("qemu:///system") as conn:
        driver = next(d for d, _ in driver_module._instances.values() if d.paths.run_dir == status_dir.parent)
        assert list(driver.unreadable_status) == [str(status_dir / "p2.xml")]
        running = {d.name: d for d in conn.list_domains(active=True)}
        assert set(running) == set(guests) - {"p2"}
        for name, dom in running.items():
            assert alive(pids[name]), f"{name} was killed"
            if name != "p3":
                assert dom.id == ids[name], name
        assert running["p3"].id > max(ids.values())  # a new id, never one a running guest keeps
        assert running["p4"].state() == (DomainState.PAUSED, PausedReason.UNKNOWN)
        with pytest.raises(VirtError, match="cannot be read"):
            running["p1"].suspend()
        after = {path.name: os.stat(path).st_mtime_ns for path in status_dir.glob("*.xml")}
        rewritten = {name for name in stamps if after.get(name) != stamps[name]}
        assert rewritten == {"p3.xml", "p4.xml"}  # the others already said everything
        # every monitor taken back works, and events reach the right domain
        running["p0"].suspend()
        assert running["p0"].state() == (DomainState.PAUSED, PausedReason.USER)
        running["p4"].resume()
        assert running["p4"].state() == (DomainState.RUNNING, RunningReason.UNPAUSED)
        for dom in running.values():
            dom.destroy()
    os.kill(pids["p2"], signal.SIGKILL)
