"""Domain snapshots of the test driver through virtd, against libvirtd 9.0's test driver: the same
python3-libvirt session on both (names and creation times drawn from the clock normalised)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import virt
from virt.daemon.testing import Virtd, start_virtd
from virt.errors import VirtError
from virt.snapshots import DeleteFlags, ListFlags
from virt.testing import Libvirtd, missing_dependency, start_libvirtd

PYTHON = "/usr/bin/python3"
SESSION = r"""
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("test")
def run(name, f):
    try:
        out = f()
    except libvirt.libvirtError as e:
        out = ["error", e.get_error_code(), e.get_error_domain(), e.get_error_message()]
    print(json.dumps([name, out]))
names = lambda snaps: sorted(s.getName() for s in snaps)
run("none", lambda: [dom.snapshotNum(), dom.hasCurrentSnapshot(), names(dom.listAllSnapshots())])
run("current none", lambda: dom.snapshotCurrent().getName())
run("s1", lambda: dom.snapshotCreateXML("<domainsnapshot><name>s1</name><description>first</description></domainsnapshot>").getName())
run("s2", lambda: dom.snapshotCreateXML("<domainsnapshot><name>s2</name></domainsnapshot>").getName())
run("dup", lambda: dom.snapshotCreateXML("<domainsnapshot><name>s1</name></domainsnapshot>").getName())
run("timed", lambda: dom.snapshotCreateXML("<domainsnapshot/>").getName().isdigit())
run("current flag", lambda: dom.snapshotCreateXML("<domainsnapshot><name>x</name></domainsnapshot>", libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT))
run("bad flag", lambda: dom.snapshotCreateXML("<domainsnapshot><name>y</name></domainsnapshot>", 1 << 20))
run("no metadata", lambda: dom.snapshotCreateXML("<domainsnapshot><name>nm</name></domainsnapshot>", libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA).getName())
run("halt", lambda: [dom.snapshotCreateXML("<domainsnapshot><name>h</name></domainsnapshot>", libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_HALT).getName(), dom.state()])
dom.create()
run("h state", lambda: dom.snapshotLookupByName("h").getXMLDesc().split("<state>")[1][:8])
run("all", lambda: [dom.snapshotNum(), len(dom.listAllSnapshots())])
for flag in ("ROOTS", "LEAVES", "NO_LEAVES", "METADATA", "NO_METADATA", "ACTIVE", "INACTIVE", "INTERNAL", "EXTERNAL"):
    run("list " + flag, lambda: len(dom.listAllSnapshots(getattr(libvirt, "VIR_DOMAIN_SNAPSHOT_LIST_" + flag))))
run("roots names", lambda: names(dom.listAllSnapshots(libvirt.VIR_DOMAIN_SNAPSHOT_LIST_ROOTS)))
run("lookup nope", lambda: dom.snapshotLookupByName("nope").getName())
s1, s2 = dom.snapshotLookupByName("s1"), dom.snapshotLookupByName("s2")
run("parents", lambda: [s2.getParent().getName(), s1.getParent().getName()])
run("s1 parent", lambda: s1.getParent().getName())
run("is current", lambda: [s1.isCurrent(), s2.isCurrent(), s1.hasMetadata()])
run("xml s1", lambda: s1.getXMLDesc())
run("xml s2", lambda: s2.getXMLDesc())
run("xml flags", lambda: s1.getXMLDesc(4))
dom.destroy()
run("off", lambda: dom.snapshotCreateXML("<domainsnapshot><name>off</name></domainsnapshot>").getName())
run("xml off", lambda: dom.snapshotLookupByName("off").getXMLDesc())
run("list INACTIVE off", lambda: names(dom.listAllSnapshots(libvirt.VIR_DOMAIN_SNAPSHOT_LIST_INACTIVE)))
dom.create()
run("children", lambda: [s1.numChildren(), s1.listChildrenNames(), names(s1.listAllChildren()), s2.numChildren()])
run("descendants", lambda: [s1.numChildren(libvirt.VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS), names(s1.listAllChildren(libvirt.VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS))])
run("children leaves", lambda: names(s1.listAllChildren(libvirt.VIR_DOMAIN_SNAPSHOT_LIST_LEAVES)))
run("children bad flags", lambda: s1.numChildren(1 << 20))
run("delete s2", lambda: s2.delete())
run("after delete", lambda: [names(dom.listAllSnapshots()), dom.snapshotCurrent().getName().isdigit()])
run("delete children", lambda: s1.delete(libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY))
run("after children", lambda: [names(dom.listAllSnapshots()), dom.snapshotCurrent().getName()])
run("delete s1", lambda: s1.delete())
run("end", lambda: [dom.snapshotNum(), dom.hasCurrentSnapshot()])
run("gone", lambda: s1.getXMLDesc())
"""


def _binding() -> None:
    if not Path(PYTHON).exists() or subprocess.run([PYTHON, "-c", "import libvirt"], capture_output=True).returncode:
        missing_dependency(f"python3-libvirt is not installed for {PYTHON}")


def _session(uri: str) -> list[object]:
    done = subprocess.run([PYTHON, "-c", SESSION, uri], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    # a snapshot named by its creation time, and the times themselves, differ by the second
    text = re.sub(r"\b1[0-9]{9}\b", "TIME", done.stdout)
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def daemons() -> Iterator[tuple[Virtd, Libvirtd]]:
    _binding()
    with start_virtd() as ours, start_libvirtd() as reference:
        yield ours, reference


def test_python3_libvirt_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd]) -> None:
    ours, reference = daemons
    expected = _session(reference.uri())
    found = _session(ours.uri())
    assert dict((k, v) for k, v in found) == dict((k, v) for k, v in expected)  # type: ignore[misc]
    assert ["parents", ["s1", "s1"]] not in expected  # the scenario made a tree


def test_virt_api_in_process() -> None:
    # closed at the end: the shared default host is fresh again for the next test
    with virt.open("test:///default") as conn:
        _check_api(conn.lookup_domain_by_name("test"))


def test_virt_api_through_virtd(daemons: tuple[Virtd, Libvirtd]) -> None:
    # the remote client's snapshot calls, children listed over the wire included
    with virt.open(daemons[0].uri()) as conn:
        _check_api(conn.lookup_domain_by_name("test"))


def _check_api(dom: virt.Domain) -> None:
    first = dom.create_snapshot("<domainsnapshot><name>a</name></domainsnapshot>")
    second = dom.create_snapshot("<domainsnapshot><name>b</name></domainsnapshot>")
    third = dom.create_snapshot("<domainsnapshot><name>c</name></domainsnapshot>")
    assert [s.name for s in dom.snapshot_children(first, ListFlags.DESCENDANTS)] == ["b", "c"]
    assert [s.name for s in dom.snapshot_children(first)] == ["b"]
    assert third.parent() == second and dom.current_snapshot() == third
    second.delete()  # its child moves up
    assert third.parent() == first
    first.delete(DeleteFlags.CHILDREN)
    assert dom.list_snapshots() == [] and not dom.has_current_snapshot()
    with pytest.raises(VirtError, match="no domain snapshot with matching name 'a'"):
        first.xml()


def test_undefine_with_snapshots_as_libvirt() -> None:
    with virt.open("test:///default") as conn:
        _check_undefine(conn)


def _check_undefine(conn: virt.Connection) -> None:
    from virt.domainchanges import UndefineFlags

    dom = conn.define_domain(
        "<domain type='test'><name>snapped</name><memory>1024</memory><os><type>hvm</type></os></domain>"
    )
    dom.create_snapshot("<domainsnapshot><name>one</name></domainsnapshot>")
    with pytest.raises(
        VirtError, match=r"^Requested operation is not valid: cannot delete inactive domain with 1 snapshots$"
    ):
        dom.undefine()
    dom.undefine(UndefineFlags.SNAPSHOTS_METADATA)
    assert "snapped" not in [d.name for d in conn.list_domains()]
