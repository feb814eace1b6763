"""The driver's readings of ``xl``'s output, on output recorded from the Xen test host (Xen 4.17.7):
quick checks that need no Xen, beside the tests on the booted host."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from virt.errors import VirtError
from virt.states import DomainState
from virt_xen import hostinfo
from virt_xen.dom0 import DOM0, Result
from virt_xen.xl import parse_info, parse_list, parse_vcpus

DATA = Path(__file__).with_name("data")


def test_xl_list_v() -> None:
    dom0, guest = parse_list((DATA / "xl-list-v.txt").read_text())
    assert (dom0.name, dom0.domid, dom0.uuid, dom0.state) == ("Domain-0", 0, uuid.UUID(int=0), DomainState.RUNNING)
    assert (guest.name, guest.domid, guest.memory_mib, guest.vcpus) == ("xpv", 17, 96, 2)
    assert guest.uuid == uuid.UUID("829e51b5-7143-4e08-8468-15d57bd672d7")
    assert guest.state == DomainState.PAUSED and guest.shutdown_code is None and guest.cpu_time == 31.8


@pytest.mark.parametrize(
    ("flags", "reason", "state"),
    [
        ("-b----", "-", DomainState.RUNNING),
        ("---s--", "0", DomainState.SHUTDOWN),
        ("---s--", "2", DomainState.PMSUSPENDED),
        ("---sc-", "3", DomainState.CRASHED),
        ("---s--", "4", DomainState.CRASHED),  # the watchdog's
    ],
)
def test_xl_states(flags: str, reason: str, state: DomainState) -> None:
    line = f"g {'':30} 3   128     1     {flags}       1.0 829e51b5-7143-4e08-8468-15d57bd672d7 {reason:>8} -"
    (found,) = parse_list("header\n" + line)
    assert found.state == state
    assert found.shutdown_code == (None if reason == "-" else int(reason))


def test_xl_list_line_it_cannot_read() -> None:
    with pytest.raises(VirtError, match="cannot read this line of 'xl list -v'"):
        parse_list("header\nnot a domain line\n")


def test_xl_info_and_host_facts() -> None:
    info = parse_info((DATA / "xl-info-n.txt").read_text())
    assert info["xen_caps"] == "xen-3.0-x86_64" and "No device topology" in info["device topology"]
    assert "device" not in info["cpu_topology"]  # each table under its own heading
    node = hostinfo.node_info(info)
    assert (node.model, node.cpus, node.mhz, node.memory_kib, node.nodes) == ("x86_64", 1, 2596, 1023 * 1024, 1)
    assert hostinfo.version(info) == 4_017_007
    caps = hostinfo.capabilities(info)
    assert [g.os_type for g in caps.guests] == ["xen"]  # no HVM under TCG: no hvm or xenpvh guest
    assert caps.host is not None and caps.host.topology is not None and caps.host.topology.cells is not None
    (cell,) = caps.host.topology.cells.cells
    assert cell.memory == 1023 * 1024 and cell.cpus is not None and [c.id for c in cell.cpus.cpus] == [0]


def test_xl_complaint_without_its_chatter() -> None:
    stderr = (
        b"Saving to /x new xl format (info 0x3/0x0/889)\nxc: info: Saving domain 15, type x86 PV\n"
        b"xc: progress: Frames: 2048/24576    8%\nxc: error: Save failed (28 = No space left on device)\n"
    )
    assert Result(1, b"", stderr, DOM0.chatter).error_text == "xc: error: Save failed (28 = No space left on device)"
    assert Result(3, b"", b"").error_text == "exit status 3"


def test_xl_vcpu_list() -> None:
    online, offline = parse_vcpus((DATA / "xl-vcpu-list.txt").read_text())
    assert (online.number, online.cpu, online.state, online.hard_affinity) == (0, 0, "-b-", "all")
    assert (offline.number, offline.cpu, offline.state) == (1, -1, "--p")


def test_local_dom0_runs_spawns_reads_and_writes(tmp_path: Path) -> None:
    """The door ``xen:///system`` uses, on ordinary commands (this host is no dom0)."""
    import os
    import select

    from virt_xen.dom0 import LocalDom0

    door = LocalDom0()
    done = door.run(["sh", "-c", "cat; echo err >&2; exit 3"], input=b"in")
    assert (done.status, done.stdout, done.error_text) == (3, b"in", "err")
    target = tmp_path / "x.cfg"
    door.write_file(str(target), b"name = 'x'\n")
    assert door.read_file(str(target)) == b"name = 'x'\n" and door.read_file(str(target), 4) == b"name"
    spawned = door.spawn(["sh", "-c", "tty; read line; echo got $line"])  # on a terminal of its own
    try:
        os.write(spawned.write_fd, b"hello\n")
        seen = b""
        while b"got hello" not in seen:
            assert select.select([spawned.read_fd], [], [], 10)[0], seen
            seen += os.read(spawned.read_fd, 1024)
        assert b"/dev/pts/" in seen
    finally:
        spawned.stop()
    assert spawned.process.returncode is not None


def test_unreachable_dom0_is_named(tmp_path: Path) -> None:
    from virt.errors import ConnectionError
    from virt.testing.fakessh import write_fake_ssh
    from virt.uri import parse
    from virt_xen.dom0 import SshDom0

    ssh = write_fake_ssh(tmp_path)
    with pytest.raises(ConnectionError, match=r"cannot connect to dom0 root@nosuchhost over ssh: .*Could not resolve"):
        SshDom0(parse(f"xen+ssh://root@nosuchhost/system?command={ssh}"))
