"""virDomainRevertToSnapshot on the test driver through virtd against libvirtd 9.0's test driver:
the same python3-libvirt session on both (states, errors and lifecycle events after each revert),
on domains of its own (defined, then undefined)."""

from __future__ import annotations

from collections.abc import Callable

import virt
from binding_sides import need_binding, session
from virt.daemon.testing import Virtd
from virt.errors import VirtError
from virt.snapshots import DeleteFlags, RevertFlags
from virt.states import DomainState
from virt.testing import Libvirtd

SESSION = r"""
import json, sys, time, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
libvirt.virEventRegisterDefaultImpl()
uri = sys.argv[1]
conn = libvirt.open(uri)
seen = []
conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, lambda c, d, e, det, o: seen.append([d.name(), e, det]), None)
XML = "<domain type='test'><name>%s</name><memory>1024</memory><os><type>hvm</type></os><devices><disk type='file' device='disk'><source file='/guest/%s.img'/><target dev='vda' bus='virtio'/></disk></devices></domain>"

def pump():
    end = time.time() + 0.3
    timer = libvirt.virEventAddTimeout(20, lambda *a: None, None)
    while time.time() < end:
        libvirt.virEventRunDefaultImpl()
    libvirt.virEventRemoveTimeout(timer)

def run(name, f):
    try:
        out = ["ok", f()]
    except libvirt.libvirtError as e:
        out = ["error", e.get_error_code(), e.get_error_domain(), e.get_error_message()]
    pump()
    try:
        state = conn.lookupByName("rv").state()
    except libvirt.libvirtError:
        state = None
    print(json.dumps([name, out, state, list(seen)]))
    seen.clear()

dom = conn.defineXML(XML % ("rv", "rv"))
dom.create()
run("snap run", lambda: dom.snapshotCreateXML("<domainsnapshot><name>run</name></domainsnapshot>").getName())
dom.suspend()
run("snap paused", lambda: dom.snapshotCreateXML("<domainsnapshot><name>paused</name></domainsnapshot>").getName())
dom.destroy()
run("snap off", lambda: dom.snapshotCreateXML("<domainsnapshot><name>off</name></domainsnapshot>").getName())
snap = dom.snapshotLookupByName
ro = libvirt.openReadOnly(uri).lookupByName("rv")
run("read-only", lambda: ro.revertToSnapshot(ro.snapshotLookupByName("run")))
run("off->run", lambda: dom.revertToSnapshot(snap("run")))
run("current", lambda: dom.snapshotCurrent().getName())
run("run->paused", lambda: dom.revertToSnapshot(snap("paused")))
run("paused->run", lambda: dom.revertToSnapshot(snap("run")))
run("run->run", lambda: dom.revertToSnapshot(snap("run")))
run("run->off running", lambda: dom.revertToSnapshot(snap("off"), libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING))
run("off->run again", lambda: dom.revertToSnapshot(snap("run")))
run("run->off paused", lambda: dom.revertToSnapshot(snap("off"), libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED))
run("current after refusal", lambda: dom.hasCurrentSnapshot())
run("run->off", lambda: dom.revertToSnapshot(snap("off")))
run("off->off", lambda: dom.revertToSnapshot(snap("off")))
run("off->off paused", lambda: dom.revertToSnapshot(snap("off"), libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED))
run("off->off running", lambda: dom.revertToSnapshot(snap("off"), libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING))
run("off->paused running", lambda: dom.revertToSnapshot(snap("paused"), libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING))
run("run->run paused", lambda: dom.revertToSnapshot(snap("run"), libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED))
run("paused->off force running", lambda: dom.revertToSnapshot(snap("off"), libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING | libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_FORCE))
run("both", lambda: dom.revertToSnapshot(snap("run"), 3))
run("bad flags", lambda: dom.revertToSnapshot(snap("run"), 64))
run("nvram", lambda: dom.revertToSnapshot(snap("run"), 8))
run("bare", lambda: dom.snapshotCreateXML("<domainsnapshot><name>bare</name><state>running</state><creationTime>5</creationTime></domainsnapshot>", libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE).getName())
run("revert bare", lambda: dom.revertToSnapshot(snap("bare")))
run("current after bare", lambda: dom.hasCurrentSnapshot())
run("revert bare force", lambda: dom.revertToSnapshot(snap("bare"), libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_FORCE))
run("config", lambda: "<memory unit='KiB'>1024</memory>" in dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
run("revert gone", lambda: dom.revertToSnapshot(snap("nope")))
tr = conn.createXML(XML % ("tr", "tr"))
trsnap = tr.snapshotCreateXML("<domainsnapshot><name>t1</name></domainsnapshot>")
run("transient off", lambda: tr.snapshotCreateXML("<domainsnapshot><name>toff</name><state>shutoff</state><creationTime>5</creationTime>" + tr.XMLDesc() + "</domainsnapshot>", libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE).getName())
run("transient revert off", lambda: tr.revertToSnapshot(tr.snapshotLookupByName("toff")))
run("transient revert run", lambda: [tr.revertToSnapshot(trsnap), tr.state(), conn.lookupByName("tr").state()])
toff = tr.snapshotLookupByName("toff")
run("transient off running", lambda: [tr.revertToSnapshot(toff, libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING), tr.state()])
run("transient left", lambda: [sorted(d.name() for d in conn.listAllDomains()), tr.isPersistent(), tr.isActive()])
run("transient start", lambda: [tr.create(), tr.state()])
run("transient off paused", lambda: [tr.revertToSnapshot(toff, libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED), tr.state()])
run("transient undefine", lambda: tr.undefine())
run("transient back", lambda: [tr.revertToSnapshot(trsnap), tr.state()])
try:
    tr.destroy()
except libvirt.libvirtError:
    pass
for name in ("off", "paused", "run"):
    dom.snapshotLookupByName(name).delete()
if dom.isActive():
    dom.destroy()
dom.undefine()
run("end", lambda: None)
"""


def _lines(uri: str) -> list[list[object]]:
    return session(SESSION, uri)


def test_python3_libvirt_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd]) -> None:
    ours, reference = daemons
    expected = _lines(reference.uri())
    assert _lines(ours.uri()) == expected
    results = {row[0]: row[1:] for row in expected}
    # running to paused: libvirt 9.0's test driver stops the guest and boots it again, paused
    assert results["run->paused"] == [["ok", 0], [3, 7], [["rv", 5, 6], ["rv", 2, 3], ["rv", 3, 5]]]


def test_python3_libvirt_in_process_as_through_virtd(daemons: tuple[Virtd, Libvirtd]) -> None:
    need_binding()
    assert _lines(daemons[0].uri()) == _lines("test:///default")


RV_XML = """<domain type='test'><name>rvapi</name><memory>1024</memory><os><type>hvm</type></os><devices>
<disk type='file' device='disk'><source file='/guest/rvapi.img'/><target dev='vda' bus='virtio'/></disk>
</devices></domain>"""


def test_virt_api() -> None:
    with virt.open("test:///default") as conn:
        dom = conn.define_domain(RV_XML)
        try:
            dom.start()
            running = dom.create_snapshot("<domainsnapshot><name>running</name></domainsnapshot>")
            dom.destroy()
            off = dom.create_snapshot("<domainsnapshot><name>off</name></domainsnapshot>")
            running.revert()
            assert dom.state().state == DomainState.RUNNING
            assert dom.current_snapshot() == running
            running.revert(RevertFlags.PAUSED)
            assert dom.state().state == DomainState.PAUSED
            off.revert()
            assert dom.state().state == DomainState.SHUTOFF
            assert dom.current_snapshot() == off
        finally:
            for snapshot in dom.list_snapshots():
                snapshot.delete()
            if dom.is_active():
                dom.destroy()
            dom.undefine()


def _through_virt_client(uri: str) -> list[object]:
    """virt's own remote client reverting on ``uri``: states after each revert, or the errors."""
    answers: list[object] = []

    def run(call: Callable[[], object]) -> None:
        try:
            answers.append(call())
        except VirtError as exc:
            answers.append([int(exc.code), int(exc.domain), exc.message])
        answers.append([int(x) for x in dom.state()])

    with virt.open(uri) as conn:
        dom = conn.define_domain(RV_XML)
        try:
            dom.start()
            running = dom.create_snapshot("<domainsnapshot><name>running</name></domainsnapshot>")
            dom.destroy()
            off = dom.create_snapshot("<domainsnapshot><name>off</name></domainsnapshot>")
            run(lambda: running.revert())
            run(lambda: running.revert(RevertFlags.PAUSED))
            run(lambda: off.revert(RevertFlags.RUNNING))
            run(lambda: off.revert())
            run(lambda: running.revert(RevertFlags.RUNNING | RevertFlags.PAUSED))
            run(lambda: running.revert(RevertFlags.RESET_NVRAM))
            run(lambda: dom.current_snapshot().name)
            run(lambda: dom.lookup_snapshot("running").delete(DeleteFlags.METADATA_ONLY))
        finally:
            for snapshot in dom.list_snapshots():
                snapshot.delete()
            if dom.is_active():
                dom.destroy()
            dom.undefine()
    return answers


def test_virt_remote_client_on_virtd_as_on_libvirtd(daemons: tuple[Virtd, Libvirtd]) -> None:
    ours, reference = daemons
    expected = _through_virt_client(reference.uri())
    assert _through_virt_client(ours.uri()) == expected
    assert expected[1] == [DomainState.RUNNING, 4]  # running, from a snapshot
