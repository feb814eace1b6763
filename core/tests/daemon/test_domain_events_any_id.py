"""Domain events of every id through virtd as through libvirtd 9.0: python3-libvirt registers for
each id (virConnectDomainEventRegisterAny), makes the changes libvirt's test driver announces, and
prints what each callback received."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from binding_sides import session
from virt.daemon.testing import Virtd
from virt.testing import VIRSH, Libvirtd

_SESSION = r"""
import json, sys, threading, time, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
libvirt.virEventRegisterDefaultImpl()
threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)], daemon=True).start()
conn = libvirt.open(sys.argv[1])
test = conn.lookupByName("test")
got = []

def recorder(event_id):
    def record(c, dom, *args):
        got.append([event_id, dom.name(), [a for a in args[:-1] if not isinstance(a, (dict, list))]])
    return record

def outcome(function):
    try:
        return ["ok", function()]
    except libvirt.libvirtError as exc:
        return ["error", exc.get_error_code(), exc.get_error_domain(), exc.get_error_message()]

ids = sorted(getattr(libvirt, name) for name in dir(libvirt) if name.startswith("VIR_DOMAIN_EVENT_ID_"))
handles = [conn.domainEventRegisterAny(None, i, recorder(i), None) for i in ids]
one = conn.domainEventRegisterAny(test, libvirt.VIR_DOMAIN_EVENT_ID_METADATA_CHANGE, recorder("test only"), None)
print(json.dumps(["registered", len(handles), len(set(handles + [one]))]))
print(json.dumps(["again", outcome(lambda: conn.domainEventRegisterAny(
    test, libvirt.VIR_DOMAIN_EVENT_ID_METADATA_CHANGE, recorder("again"), None))]))

M = libvirt
steps = [
    ("description", lambda: test.setMetadata(M.VIR_DOMAIN_METADATA_DESCRIPTION, "about", None, None, 0)),
    ("title config", lambda: test.setMetadata(M.VIR_DOMAIN_METADATA_TITLE, "T", None, None, M.VIR_DOMAIN_AFFECT_CONFIG)),
    ("element", lambda: test.setMetadata(M.VIR_DOMAIN_METADATA_ELEMENT, "<a/>", "k", "http://e/", M.VIR_DOMAIN_AFFECT_LIVE)),
    ("bad element", lambda: test.setMetadata(M.VIR_DOMAIN_METADATA_ELEMENT, "<a/>", None, "http://e/", 0)),
    ("element removed", lambda: test.setMetadata(M.VIR_DOMAIN_METADATA_ELEMENT, None, None, "http://e/", M.VIR_DOMAIN_AFFECT_LIVE)),
    ("title removed", lambda: test.setMetadata(M.VIR_DOMAIN_METADATA_TITLE, None, None, None, M.VIR_DOMAIN_AFFECT_CONFIG)),
    ("description removed", lambda: test.setMetadata(M.VIR_DOMAIN_METADATA_DESCRIPTION, None, None, None, 0)),
    ("suspend", test.suspend),
    ("resume", test.resume),
    ("reboot", lambda: test.reboot(0)),
    ("memory", lambda: test.setMemory(2097152)),
]
for name, step in steps:
    got.clear()
    result = outcome(step)
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        time.sleep(0.05)
    print(json.dumps([name, result, sorted(got, key=str)]))

for handle in handles + [one]:
    conn.domainEventDeregisterAny(handle)
print(json.dumps(["deregistered twice", outcome(lambda: conn.domainEventDeregisterAny(one))]))
"""


def test_every_event_id_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd]) -> None:
    ours, reference = daemons
    expected: list[Any] = session(_SESSION, reference.uri())
    assert session(_SESSION, ours.uri()) == expected
    rows = {row[0]: row for row in expected}
    assert rows["registered"] == ["registered", 27, 28]
    # every metadata change comes to both the all-domains and the one-domain registration
    assert rows["element"][2] == [["test only", "test", [2, "http://e/"]], [23, "test", [2, "http://e/"]]]
    assert rows["bad element"][2] == []
    assert rows["suspend"][2] == [[0, "test", [3, 0]]]


_TOUCH = r"""
import sys, libvirt
conn = libvirt.open(sys.argv[1])
conn.lookupByName("test").setMetadata(libvirt.VIR_DOMAIN_METADATA_TITLE, sys.argv[2] or None, None, None, 0)
"""


def _listen_while_touching(program: str, uri: str) -> tuple[int, str, str]:
    """``event --event metadata-change`` of ``program`` on ``uri``, the title set until it heard it."""
    listener = subprocess.Popen(
        [program, "-c", uri, "event --domain test --event metadata-change --timestamp --timeout 30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # the listener's registration cannot be watched from here: change until it has heard one
        while listener.poll() is None:
            session(_TOUCH, uri, "T")
            time.sleep(0.2)
        out, err = listener.communicate(timeout=30)
    finally:
        if listener.poll() is None:
            listener.kill()
        session(_TOUCH, uri, "")
    return listener.returncode, re.sub(r"^\S+ \S+: ", "TIME: ", out), err


def test_virt_event_over_virtd_prints_as_virsh_over_libvirtd(daemons: tuple[Virtd, Libvirtd]) -> None:
    ours, reference = daemons
    virt = str(Path(sys.executable).parent / "virt")
    expected = _listen_while_touching(VIRSH, reference.uri())
    assert expected == (
        0,
        "TIME: event 'metadata-change' for domain 'test': type title, uri <null>\nevents received: 1\n\n",
        "",
    )
    assert _listen_while_touching(virt, ours.uri()) == expected


def test_the_remote_client_receives_the_typed_events(daemons: tuple[Virtd, Libvirtd]) -> None:
    import threading

    import virt
    from virt.domainchanges import MetadataType
    from virt.domainevents import DomainEventID, MetadataChangeEvent

    ours, _ = daemons
    got: list[MetadataChangeEvent] = []
    arrived = threading.Event()

    def record(dom: virt.Domain, event: object) -> None:
        assert isinstance(event, MetadataChangeEvent)
        got.append(event)
        arrived.set()

    with virt.open(ours.uri()) as conn:
        dom = conn.lookup_domain_by_name("test")
        handle = conn.register_domain_event(DomainEventID.METADATA_CHANGE, record, dom)
        dom.set_metadata(MetadataType.ELEMENT, "<a/>", key="k", uri="http://r/")
        try:
            assert arrived.wait(10)
        finally:
            dom.set_metadata(MetadataType.ELEMENT, None, uri="http://r/")
            conn.remove_domain_event_callback(handle)
    assert (got[0].domain.name, got[0].type, got[0].nsuri) == ("test", MetadataType.ELEMENT, "http://r/")
