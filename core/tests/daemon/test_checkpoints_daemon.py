"""Domain checkpoints (virDomainCheckpoint*) of the test driver through virtd against libvirtd 9.0's
test driver: the same python3-libvirt session on both, on a domain of its own (created, then undefined);
names and creation times drawn from the clock, and the random UUID, are normalised."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import virt
from binding_sides import need_binding, session
from virt.checkpoints import DeleteFlags, ListFlags, XMLFlags
from virt.daemon.testing import Virtd
from virt.errors import ErrorNumber, VirtError
from virt.testing import Libvirtd

SESSION = r"""
import json, re, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
uri = sys.argv[1]
conn = libvirt.open(uri)
XML = ("<domain type='test'><name>ck</name><memory>1024</memory><os><type>hvm</type></os><devices>"
       "<disk type='file' device='disk'><source file='/guest/ck.img'/><target dev='vda' bus='virtio'/></disk>"
       "<disk type='file' device='cdrom'><source file='/guest/ck.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>"
       "<disk type='file' device='disk'><source file='/guest/ck2.img'/><target dev='vdb' bus='virtio'/></disk>"
       "</devices></domain>")
NODISK = "<domain type='test'><name>nodisk</name><memory>1024</memory><os><type>hvm</type></os></domain>"

def run(name, f):
    try:
        out = ["ok", f()]
    except libvirt.libvirtError as e:
        out = ["error", e.get_error_code(), e.get_error_domain(), e.get_error_message()]
    # creation times and names drawn from the clock differ between the two sides
    text = re.sub(r"<uuid>[0-9a-f-]+</uuid>", "<uuid/>", json.dumps([name, out]))
    print(re.sub(r"\b1[0-9]{9}\b", "<time>", text))

names = lambda found: sorted(c.getName() for c in found)
dom = conn.defineXML(XML)
run("inactive", lambda: dom.checkpointCreateXML("<domaincheckpoint/>").getName())
dom.create()
ro = libvirt.openReadOnly(uri).lookupByName("ck")
run("read-only create", lambda: ro.checkpointCreateXML("<domaincheckpoint/>").getName())
run("none", lambda: names(dom.listAllCheckpoints()))
run("c1", lambda: dom.checkpointCreateXML("<domaincheckpoint><name>c1</name><description>first</description></domaincheckpoint>").getName())
run("timed", lambda: dom.checkpointCreateXML("<domaincheckpoint/>").getName())
c1 = dom.checkpointLookupByName("c1")
run("xml c1", lambda: c1.getXMLDesc())
run("xml c1 no domain", lambda: c1.getXMLDesc(libvirt.VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN))
run("xml c1 size", lambda: c1.getXMLDesc(libvirt.VIR_DOMAIN_CHECKPOINT_XML_SIZE | libvirt.VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN))
run("xml c1 secure", lambda: c1.getXMLDesc(libvirt.VIR_DOMAIN_CHECKPOINT_XML_SECURE | libvirt.VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN))
run("xml bad flags", lambda: c1.getXMLDesc(64))
run("read-only secure", lambda: ro.checkpointLookupByName("c1").getXMLDesc(libvirt.VIR_DOMAIN_CHECKPOINT_XML_SECURE))
run("read-only list", lambda: names(ro.listAllCheckpoints()))
run("c2", lambda: dom.checkpointCreateXML("<domaincheckpoint><name>c2</name><disks><disk name='vdb' checkpoint='bitmap' bitmap='b2'/></disks></domaincheckpoint>").getXMLDesc(2))
run("c3", lambda: dom.checkpointCreateXML("<domaincheckpoint><name>c3</name><disks><disk name='/guest/ck.img' checkpoint='no'/></disks></domaincheckpoint>").getXMLDesc(2))
for label, xml in [
    ("dup", "<domaincheckpoint><name>c1</name></domaincheckpoint>"),
    ("no such disk", "<domaincheckpoint><name>x</name><disks><disk name='vdz'/></disks></domaincheckpoint>"),
    ("twice", "<domaincheckpoint><name>x</name><disks><disk name='vda'/><disk name='/guest/ck.img'/></disks></domaincheckpoint>"),
    ("readonly disk", "<domaincheckpoint><name>x</name><disks><disk name='hdc'/></disks></domaincheckpoint>"),
    ("too many", "<domaincheckpoint><name>x</name><disks><disk name='vda'/><disk name='vdb'/><disk name='hdc' checkpoint='no'/><disk name='vdc'/></disks></domaincheckpoint>"),
    ("root", "<domainsnapshot/>"),
    ("schema", "<domaincheckpoint><name>x</name><bogus/></domaincheckpoint>"),
    ("unfinished", "<domaincheckpoint>"),
    ("no xml", "not xml"),
    ("empty", ""),
    ("mismatch", "<domaincheckpoint>\n  <name>a</name>\n  <oops>\n</domaincheckpoint>"),
]:
    run(label, lambda: dom.checkpointCreateXML(xml).getName())
for flags in (1 | 2, 4, 8):
    run("create flags %d" % flags, lambda: dom.checkpointCreateXML("<domaincheckpoint/>", flags).getName())
run("redefine no name", lambda: dom.checkpointCreateXML("<domaincheckpoint><creationTime>5</creationTime></domaincheckpoint>", 1).getName())
run("redefine no time", lambda: dom.checkpointCreateXML("<domaincheckpoint><name>r</name></domaincheckpoint>", 1).getName())
run("redefine lost parent", lambda: dom.checkpointCreateXML("<domaincheckpoint><name>r</name><creationTime>5</creationTime><parent><name>zz</name></parent></domaincheckpoint>", 1).getName())
run("redefine self parent", lambda: dom.checkpointCreateXML("<domaincheckpoint><name>r</name><creationTime>5</creationTime><parent><name>r</name></parent></domaincheckpoint>", 1).getName())
run("redefine cycle", lambda: dom.checkpointCreateXML("<domaincheckpoint><name>c1</name><creationTime>5</creationTime><parent><name>c3</name></parent></domaincheckpoint>", 1).getName())
run("redefine", lambda: dom.checkpointCreateXML("<domaincheckpoint><name>r</name><creationTime>5</creationTime><parent><name>c1</name></parent><disks><disk name='vda'/></disks></domaincheckpoint>", 1).getXMLDesc())
run("redefine whole", lambda: dom.checkpointCreateXML(c1.getXMLDesc(), 1).getName())
run("after redefine", lambda: dom.checkpointCreateXML("<domaincheckpoint><name>c4</name></domaincheckpoint>").getParent().getName())
run("all", lambda: names(dom.listAllCheckpoints()))
for flag in ("ROOTS", "LEAVES", "NO_LEAVES", "TOPOLOGICAL"):
    run("list " + flag, lambda: names(dom.listAllCheckpoints(getattr(libvirt, "VIR_DOMAIN_CHECKPOINT_LIST_" + flag))))
run("list both", lambda: names(dom.listAllCheckpoints(12)))
run("list bad", lambda: names(dom.listAllCheckpoints(16)))
run("topological order", lambda: [c.getName() for c in dom.listAllCheckpoints(2)].index("c1") < [c.getName() for c in dom.listAllCheckpoints(2)].index("c4"))
run("children", lambda: names(c1.listAllChildren()))
run("descendants", lambda: names(c1.listAllChildren(libvirt.VIR_DOMAIN_CHECKPOINT_LIST_DESCENDANTS)))
run("descendant leaves", lambda: names(c1.listAllChildren(libvirt.VIR_DOMAIN_CHECKPOINT_LIST_DESCENDANTS | libvirt.VIR_DOMAIN_CHECKPOINT_LIST_LEAVES)))
run("children bad", lambda: names(c1.listAllChildren(16)))
run("parent", lambda: dom.checkpointLookupByName("c2").getParent().getName())
run("root parent", lambda: c1.getParent().getName())
run("lookup nope", lambda: dom.checkpointLookupByName("nope").getName())
run("snapshot", lambda: dom.snapshotCreateXML("<domainsnapshot/>").getName())
run("read-only delete", lambda: ro.checkpointLookupByName("c2").delete())
run("delete both", lambda: dom.checkpointLookupByName("c2").delete(5))
run("delete bad", lambda: dom.checkpointLookupByName("c2").delete(8))
run("delete c2", lambda: dom.checkpointLookupByName("c2").delete())
run("after c2", lambda: [names(dom.listAllCheckpoints()), dom.checkpointLookupByName("c3").getParent().getName()])
run("delete children only", lambda: dom.checkpointLookupByName("c3").delete(libvirt.VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY))
run("after children only", lambda: names(dom.listAllCheckpoints()))
run("next parent", lambda: dom.checkpointCreateXML("<domaincheckpoint><name>c5</name></domaincheckpoint>").getParent().getName())
run("delete metadata", lambda: dom.checkpointLookupByName("c5").delete(libvirt.VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY))
run("delete children", lambda: c1.delete(libvirt.VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN))
run("left", lambda: names(dom.listAllCheckpoints()))
run("gone", lambda: c1.getXMLDesc())
for c in dom.listAllCheckpoints():
    c.delete(libvirt.VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN)
run("empty", lambda: names(dom.listAllCheckpoints()))
dom.destroy()
dom.undefine()
nodisk = conn.createXML(NODISK)
run("no disk", lambda: nodisk.checkpointCreateXML("<domaincheckpoint/>").getName())
nodisk.destroy()
"""


def _lines(uri: str) -> list[list[object]]:
    return session(SESSION, uri)


def test_python3_libvirt_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd]) -> None:
    ours, reference = daemons
    expected = _lines(reference.uri())
    assert _lines(ours.uri()) == expected
    results = {row[0]: row[1] for row in expected}
    assert results["c1"] == ["ok", "c1"]
    assert results["snapshot"][1] == ErrorNumber.OPERATION_UNSUPPORTED


def test_python3_libvirt_in_process_as_through_virtd(daemons: tuple[Virtd, Libvirtd]) -> None:
    """libvirt's own test driver in the client process answers as virtd does."""
    need_binding()
    assert _lines(daemons[0].uri()) == _lines("test:///default")


CK_XML = """<domain type='test'><name>ckapi</name><memory>1024</memory><os><type>hvm</type></os><devices>
<disk type='file' device='disk'><source file='/guest/ckapi.img'/><target dev='vda' bus='virtio'/></disk>
</devices></domain>"""


def test_virt_api() -> None:
    with virt.open("test:///default") as conn:
        dom = conn.create_domain(CK_XML)
        try:
            first = dom.create_checkpoint("<domaincheckpoint><name>a</name></domaincheckpoint>")
            second = dom.create_checkpoint("<domaincheckpoint><name>b</name></domaincheckpoint>")
            assert second.parent() == first
            assert [c.name for c in dom.list_checkpoints(ListFlags.ROOTS)] == ["a"]
            assert [c.name for c in first.children()] == ["b"]
            assert dom.lookup_checkpoint("b") == second
            assert conn.list_domains(has_checkpoint=True) == [dom]
            assert dom not in conn.list_domains(has_checkpoint=False)
            xml = second.xml(XMLFlags.NO_DOMAIN)
            assert "<disk name='vda' checkpoint='bitmap' bitmap='b'/>" in xml and "<domain " not in xml
            with pytest.raises(VirtError, match="does not have a parent") as parentless:
                first.parent()
            assert parentless.value.code == ErrorNumber.NO_DOMAIN_CHECKPOINT
            with pytest.raises(VirtError, match="mutually exclusive"):
                first.delete(DeleteFlags.CHILDREN | DeleteFlags.CHILDREN_ONLY)
            first.delete(DeleteFlags.CHILDREN)
            assert dom.list_checkpoints() == []
        finally:
            dom.destroy()


def _through_virt_client(uri: str) -> list[object]:
    """virt's own remote client on ``uri``: each call's answer, or its error's number and words."""
    answers: list[object] = []

    def run(call: Callable[[], object]) -> None:
        try:
            answers.append(call())
        except VirtError as exc:
            answers.append([int(exc.code), exc.message])

    with virt.open(uri) as conn:
        dom = conn.create_domain(CK_XML)
        try:
            run(lambda: dom.create_checkpoint("<domaincheckpoint><name>a</name></domaincheckpoint>").name)
            run(lambda: dom.create_checkpoint("<domaincheckpoint><name>b</name></domaincheckpoint>").name)
            run(lambda: dom.create_checkpoint("<domaincheckpoint><name>a</name></domaincheckpoint>").name)
            run(lambda: sorted(c.name for c in dom.list_checkpoints()))
            run(lambda: [c.name for c in dom.list_checkpoints(ListFlags.ROOTS)])
            run(lambda: [c.name for c in dom.lookup_checkpoint("a").children(ListFlags.DESCENDANTS)])
            run(lambda: dom.lookup_checkpoint("b").parent().name)
            run(lambda: dom.lookup_checkpoint("a").parent().name)
            run(lambda: dom.lookup_checkpoint("nope").name)
            run(lambda: dom.lookup_checkpoint("b").xml(XMLFlags.NO_DOMAIN).split("<creationTime>")[0])
            run(lambda: [c.name for c in conn.list_domains(has_checkpoint=True)])
            run(lambda: dom.lookup_checkpoint("a").delete(DeleteFlags.CHILDREN_ONLY))
            run(lambda: sorted(c.name for c in dom.list_checkpoints()))
            run(lambda: dom.lookup_checkpoint("a").delete())
            run(lambda: dom.list_checkpoints())
        finally:
            dom.destroy()
    return answers


def test_virt_remote_client_on_virtd_as_on_libvirtd(daemons: tuple[Virtd, Libvirtd]) -> None:
    ours, reference = daemons
    expected = _through_virt_client(reference.uri())
    assert _through_virt_client(ours.uri()) == expected
    assert expected[:2] == ["a", "b"]
