"""Debian's stock virsh against virtd serving test:///default, side by side with Debian's libvirtd
serving the same: every command prints the same thing (sockets and the test driver's CPU time aside).

One virtd and one private libvirtd serve the whole module.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from virsh_compare import Outcome, event_watcher, virsh
from virt.daemon.testing import Virtd
from virt.testing import Libvirtd

DOMAIN_XML = """<domain type='test'>
  <name>vx1</name>
  <uuid>71111111-2222-3333-4444-555555555555</uuid>
  <memory unit='KiB'>262144</memory>
  <vcpu current='1'>3</vcpu>
  <os><type arch='i686'>hvm</type></os>
</domain>
"""

READS = [
    ["list", "--all"],
    ["list", "--all", "--name"],
    ["list", "--inactive"],
    ["list", "--state-running"],
    ["dominfo", "test"],
    ["domstate", "test", "--reason"],
    ["domid", "test"],
    ["domuuid", "test"],
    ["dumpxml", "test"],
    ["dumpxml", "test", "--inactive"],
    ["vcpucount", "test"],
    ["snapshot-list", "test"],
    ["undefine", "nope"],
    ["version"],
    ["hostname"],
    ["nodeinfo"],
    ["capabilities"],
    ["net-list", "--all"],
    ["net-info", "default"],
    ["net-dumpxml", "default"],
    ["pool-list", "--all"],
    ["pool-info", "default-pool"],
    ["pool-dumpxml", "default-pool"],
    ["vol-list", "default-pool"],
    ["dominfo", "nope"],
    ["start", "test"],
]


def _same(ours: Outcome, theirs: Outcome, command: list[str]) -> None:
    assert ours == theirs, f"virsh {' '.join(command)}:\n virtd:   {ours}\n libvirtd: {theirs}"


@pytest.mark.parametrize("command", READS, ids=[" ".join(c) for c in READS])
def test_reads_print_what_libvirtd_prints(virtd: Virtd, libvirtd: Libvirtd, command: list[str]) -> None:
    _same(virsh(virtd.uri(), *command), virsh(libvirtd.uri(), *command), command)


def test_a_domains_life_and_its_events(virtd: Virtd, libvirtd: Libvirtd, tmp_path: Path) -> None:
    xml = tmp_path / "vx1.xml"
    xml.write_text(DOMAIN_XML)
    steps = [
        ["define", str(xml)],
        ["list", "--all"],
        ["start", "vx1"],
        ["dominfo", "vx1"],
        ["suspend", "vx1"],
        ["domstate", "vx1", "--reason"],
        ["resume", "vx1"],
        ["shutdown", "vx1"],
        ["domstate", "vx1", "--reason"],
        ["start", "vx1"],
        ["destroy", "vx1"],
        ["destroy", "vx1"],
        ["dumpxml", "vx1"],
        ["undefine", "vx1"],
        ["list", "--all"],
    ]
    records: dict[str, tuple[list[Outcome], list[str]]] = {}
    for name, uri in (("virtd", virtd.uri()), ("libvirtd", libvirtd.uri())):
        folder = tmp_path / name
        folder.mkdir()
        watcher = event_watcher(uri, folder)
        try:
            outcomes = [virsh(uri, *step) for step in steps]
            events = watcher.wait_for(8)
        finally:
            watcher.stop()
        records[name] = (outcomes, events)
    for step, ours, theirs in zip(steps, records["virtd"][0], records["libvirtd"][0], strict=True):
        _same(ours, theirs, step)
    assert records["virtd"][1] == records["libvirtd"][1]
    assert records["virtd"][1] == [
        "event 'lifecycle' for domain 'vx1': Defined Added",
        "event 'lifecycle' for domain 'vx1': Started Booted",
        "event 'lifecycle' for domain 'vx1': Suspended Paused",
        "event 'lifecycle' for domain 'vx1': Resumed Unpaused",
        "event 'lifecycle' for domain 'vx1': Stopped Shutdown",
        "event 'lifecycle' for domain 'vx1': Started Booted",
        "event 'lifecycle' for domain 'vx1': Stopped Destroyed",
        "event 'lifecycle' for domain 'vx1': Undefined Removed",
    ]


@pytest.mark.parametrize(
    "command",
    [["destroy", "test"], ["suspend", "test"], ["undefine", "test"], ["net-destroy", "default"], ["list", "--all"]],
    ids=lambda c: " ".join(c),
)
def test_the_read_only_socket_refuses_changes_as_libvirtd_does(
    virtd: Virtd, libvirtd: Libvirtd, command: list[str]
) -> None:
    ours = virsh(virtd.uri(readonly=True), *command)
    _same(ours, virsh(libvirtd.uri(readonly=True), *command), command)
    if command[0] != "list":
        assert ours.code == 1 and "read only access prevents" in ours.stderr


def test_define_on_the_read_only_socket(virtd: Virtd, libvirtd: Libvirtd, tmp_path: Path) -> None:
    xml = tmp_path / "vx1.xml"
    xml.write_text(DOMAIN_XML)
    command = ["define", str(xml)]
    _same(virsh(virtd.uri(readonly=True), *command), virsh(libvirtd.uri(readonly=True), *command), command)


def test_a_procedure_virtd_lacks_is_reported_as_unsupported(virtd: Virtd) -> None:
    # virNodeAllocPages has no handler in virtd (reserving the host's huge pages is not served): the client
    # turns "unknown procedure" into VIR_ERR_NO_SUPPORT (python3-libvirt's test checks the code), and virsh
    # reports it
    outcome = virsh(virtd.uri(), "allocpages", "2M", "1")
    assert outcome.code == 1
    assert outcome.stderr.strip().endswith("error: unknown procedure: 347"), outcome.stderr
