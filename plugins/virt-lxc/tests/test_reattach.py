"""Containers outlive the process that manages them, and the next owner takes them all back.

A child process starts ten containers (persistent and transient) and is killed with SIGKILL; while
it lives a second owner is refused, naming it. Afterwards a new owner finds all ten running, with
their ids, and operates them; a container that ended while nobody watched is shut off, with the
reason its controller recorded; one whose controller was killed is shut off (crashed), its
leftovers cleaned.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import virt
from lxc_support import domain_xml, enter, install_init, wait_ready, wait_until
from virt.errors import VirtError

COUNT = 10

OWNER = textwrap.dedent(
    """
    import sys, time, virt
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from lxc_support import domain_xml
    conn = virt.open("lxc:///")
    for n in range({count}):
        xml = domain_xml(f"r{{n}}", Path({root!r}), memory_mib=32)
        dom = conn.define_domain(xml) if n % 2 == 0 else None
        if dom is None:
            conn.create_domain(xml)
        else:
            dom.start()
    print(" ".join(f"{{d.name}}={{d.id}}" for d in conn.list_domains()), flush=True)
    time.sleep(3600)
    """
)


def test_a_new_owner_takes_back_every_container_after_sigkill(
    lxc_root: Path, rootfs: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    install_init(rootfs)
    script = OWNER.format(tests=str(Path(__file__).parent), count=COUNT, root=str(rootfs))
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None
        line = owner.stdout.readline()
        ids = dict(item.split("=") for item in line.split())
        assert len(ids) == COUNT, line
        with pytest.raises(VirtError, match=f"owned by another process \\(pid {owner.pid}\\)"):
            virt.open("lxc:///")
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait()

    with virt.open("lxc:///") as conn:
        domains = {d.name: d for d in conn.list_domains()}
        assert sorted(domains) == sorted(ids)
        for name, dom in domains.items():
            assert dom.state().state == virt.DomainState.RUNNING, name
            assert str(dom.id) == ids[name]
            assert dom.is_persistent() == (int(name[1:]) % 2 == 0)
        capfd.readouterr()
        assert enter("r3", "hostname") == 0
        assert capfd.readouterr().out.strip() == "r3"
        # the new owner watches them: a container that ends now is seen to end
        wait_ready(conn, "r4")
        init = conn.driver.lxc.by_name("r4").running.init_pid  # type: ignore[attr-defined]
        os.kill(init, signal.SIGTERM)
        wait_until(lambda: not domains["r4"].is_active(), what="r4 to be seen stopping")
        assert domains["r4"].state() == (virt.DomainState.SHUTOFF, 1)
        for dom in domains.values():
            if dom.is_active():
                dom.destroy()
        assert sorted(d.name for d in conn.list_domains()) == ["r0", "r2", "r4", "r6", "r8"]  # transients gone


def test_what_happened_while_nobody_watched(lxc_root: Path, rootfs: Path) -> None:
    install_init(rootfs)
    conn = virt.open("lxc:///")
    try:
        ended = conn.define_domain(domain_xml("ended", rootfs))
        ended.start()
        conn.create_domain(domain_xml("orphaned", rootfs))
        kept = conn.create_domain(domain_xml("kept", rootfs))
        driver = conn.driver.lxc  # type: ignore[attr-defined]
        wait_ready(conn, "ended")
        ended_init = driver.by_name("ended").running.init_pid
        orphan = driver.by_name("orphaned").running
    finally:
        conn.close()  # the owner goes away; the containers stay

    os.kill(ended_init, signal.SIGTERM)  # init ends: its controller records how, cleans up and exits
    wait_until(lambda: not Path(f"/proc/{ended_init}").exists(), what="the init to end")
    os.kill(orphan.controller_pid, signal.SIGKILL)  # the controller dies: its init dies with it
    wait_until(lambda: not Path(f"/proc/{orphan.init_pid}").exists(), what="the orphan's init to die")

    with virt.open("lxc:///") as conn:
        assert conn.lookup_domain_by_name("ended").state() == (virt.DomainState.SHUTOFF, 1)  # shutdown
        assert [d.name for d in conn.list_domains(active=True)] == ["kept"]
        with pytest.raises(VirtError, match="no domain with matching name 'orphaned'"):
            conn.lookup_domain_by_name("orphaned")  # transient: gone
        assert not orphan.cgroup.exists()  # its leftovers were cleaned by the new owner
        assert kept.uuid == conn.lookup_domain_by_name("kept").uuid
        conn.lookup_domain_by_name("kept").destroy()


def test_a_container_is_taken_back_right_after_its_start(lxc_root: Path, rootfs: Path) -> None:
    """Its controller may not have executed itself yet: it is recognised as init's parent, not taken for dead."""
    install_init(rootfs)
    for n in range(5):
        with virt.open("lxc:///") as conn:
            conn.create_domain(domain_xml(f"quick{n}", rootfs))
        with virt.open("lxc:///") as conn:
            dom = conn.lookup_domain_by_name(f"quick{n}")
            assert dom.state().state == virt.DomainState.RUNNING
            dom.destroy()
