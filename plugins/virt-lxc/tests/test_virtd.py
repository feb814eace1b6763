"""virtd hosting lxc:///: containers defined, started, listed and destroyed over libvirt's protocol."""

from __future__ import annotations

from pathlib import Path

import virt
from lxc_support import domain_xml, install_init, wait_until
from virt.daemon.testing import start_virtd


def test_virtd_serves_containers(lxc_root: Path, rootfs: Path) -> None:
    install_init(rootfs)
    events: list[str] = []
    with start_virtd(system=True) as daemon, virt.open(daemon.uri(driver="lxc", path="/system")) as conn:
        conn.add_domain_event_callback(lambda dom, event: events.append(f"{dom.name} {event.description}"))
        dom = conn.define_domain(domain_xml("remote", rootfs))
        dom.start()
        assert dom.state().state == virt.DomainState.RUNNING
        assert [d.name for d in conn.list_domains(active=True)] == ["remote"]
        assert dom.os_type() == "exe"
        assert "<target dev" not in dom.xml() and f"<source dir='{rootfs}'/>" in dom.xml()
        info = dom.info()
        assert info.max_memory_kib == 64 * 1024 and info.cpu_time_ns > 0
        dom.suspend()
        assert dom.state().state == virt.DomainState.PAUSED
        dom.resume()
        console = dom.open_console()  # a stream through virtd, bridged to a local socket
        assert console.fileno() >= 0
        console.close()
        dom.destroy()
        dom.undefine()
        wait_until(lambda: len(events) >= 6, what="the events")
    assert events == [
        "remote Defined Added", "remote Started Booted", "remote Suspended Paused", "remote Resumed Unpaused",
        "remote Stopped Destroyed", "remote Undefined Removed",
    ]  # fmt: skip
