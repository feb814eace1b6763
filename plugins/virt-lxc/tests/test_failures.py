"""Refusals before anything is made, and failed starts that leave nothing behind.

Every refusal says what is wrong (the element, the path, the device); a start that fails half way
(an init that cannot run, a mount that cannot be made) removes what it made: the container's
processes, cgroups, veths, socket and status file, and the domain stays shut off.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import virt
from lxc_support import domain_xml, install_init
from virt.errors import VirtError


def leftovers(conn: virt.Connection, name: str) -> list[str]:
    from virt_lxc.cgroups import ContainerCgroup

    driver = conn.driver.lxc  # type: ignore[attr-defined]
    found = [
        str(d.path) for d in ContainerCgroup.plan(driver.layout, driver.paths.partition, name).dirs if d.path.exists()
    ]
    for path in (driver.paths.socket_path(name), driver.statuses.path(name)):
        if path.exists():
            found.append(str(path))
    return found


ETHERNET = "<interface type='ethernet'><target dev='{dev}'/><ip address='10.215.0.2' prefix='24'/></interface>"


def test_a_missing_root_filesystem_is_refused_before_anything_is_made(conn: virt.Connection, tmp_path: Path) -> None:
    dom = conn.define_domain(domain_xml("noroot", tmp_path / "missing"))
    with pytest.raises(VirtError, match=f"directory {tmp_path / 'missing'} does not exist"):
        dom.start()
    assert dom.state().state == virt.DomainState.SHUTOFF
    assert leftovers(conn, "noroot") == []


def test_an_init_that_cannot_run_leaves_nothing_behind(conn: virt.Connection, rootfs: Path) -> None:
    veth = f"vlf{os.getpid() % 100000}"
    xml = domain_xml("noinit", rootfs, init="/bin/not-there", interfaces=[ETHERNET.format(dev=veth)])
    with pytest.raises(VirtError, match="cannot execute init '/bin/not-there': No such file or directory"):
        conn.create_domain(xml)
    assert leftovers(conn, "noinit") == []
    assert not Path(f"/sys/class/net/{veth}").exists()
    assert conn.list_domains() == []  # the transient domain is gone


def test_a_mount_that_fails_inside_leaves_nothing_behind(conn: virt.Connection, rootfs: Path) -> None:
    install_init(rootfs)
    bind = "<filesystem type='bind'><source dir='/no/such/dir'/><target dir='/mnt/x'/></filesystem>"
    dom = conn.define_domain(domain_xml("badbind", rootfs, filesystems=[bind]))
    with pytest.raises(VirtError, match="cannot bind /no/such/dir on /mnt/x: /no/such/dir does not exist"):
        dom.start()
    assert dom.state().state == virt.DomainState.SHUTOFF
    assert leftovers(conn, "badbind") == []


def test_a_missing_bridge_or_network_is_named(conn: virt.Connection, rootfs: Path) -> None:
    bridge = "<interface type='bridge'><source bridge='nosuchbr0'/></interface>"
    with pytest.raises(VirtError, match="bridge 'nosuchbr0' does not exist on this host"):
        conn.create_domain(domain_xml("nobridge", rootfs, interfaces=[bridge]))
    network = "<interface type='network'><source network='elsewhere'/></interface>"
    with pytest.raises(VirtError, match=r"^Network not found: no network with matching name 'elsewhere'$"):
        conn.create_domain(domain_xml("nonet", rootfs, interfaces=[network]))
    assert leftovers(conn, "nobridge") == leftovers(conn, "nonet") == []


def test_host_resources_that_do_not_exist_are_named(conn: virt.Connection, rootfs: Path) -> None:
    cpus = os.cpu_count() or 1
    with pytest.raises(VirtError, match=f"<vcpu cpuset>: CPU {cpus + 7} is not online here"):
        conn.create_domain(domain_xml("cpus", rootfs, top=f"<vcpu cpuset='{cpus + 7}'>1</vcpu>"))
    missing = "<filesystem type='mount'><source dir='/no/such/host/dir'/><target dir='/mnt'/></filesystem>"
    with pytest.raises(VirtError, match="source /no/such/host/dir does not exist on the host"):
        conn.create_domain(domain_xml("mnt", rootfs, filesystems=[missing]))
    with pytest.raises(VirtError, match="network namespace 'nosuchns' does not exist"):
        conn.create_domain(
            domain_xml(
                "ns",
                rootfs,
                top="<lxc:namespace xmlns:lxc='http://libvirt.org/schemas/domain/lxc/1.0'>"
                "<lxc:sharenet type='netns' value='nosuchns'/></lxc:namespace>",
            )
        )


def test_definitions_the_driver_cannot_honour_are_refused_at_define(conn: virt.Connection, rootfs: Path) -> None:
    disk = domain_xml("d", rootfs, filesystems=["<disk type='file'><source file='/x.img'/><target dev='vda'/></disk>"])
    with pytest.raises(VirtError, match="/domain/devices/disk: this device is not supported by the LXC driver"):
        conn.define_domain(disk)
    kvm = domain_xml("k", rootfs).replace("type='lxc'", "type='kvm'").replace('type="lxc"', 'type="kvm"')
    with pytest.raises(VirtError, match="/domain/@type: domain type 'kvm' is not an LXC container"):
        conn.define_domain(kvm)
    assert conn.list_domains() == []


def test_an_unprivileged_caller_is_refused(lxc_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import virt_lxc.paths

    monkeypatch.setattr(virt_lxc.paths.os, "geteuid", lambda: 1000)
    with pytest.raises(VirtError, match="the LXC driver needs root"):
        virt.open("lxc:///")


def test_starting_twice_and_stopping_a_stopped_container_say_so(conn: virt.Connection, rootfs: Path) -> None:
    install_init(rootfs)
    dom = conn.define_domain(domain_xml("twice", rootfs))
    with pytest.raises(VirtError, match="domain is not running"):
        dom.destroy()
    dom.start()
    with pytest.raises(VirtError, match="domain is already running"):
        dom.start()
    with pytest.raises(VirtError, match="domain is not paused"):
        dom.resume()
    dom.destroy()
