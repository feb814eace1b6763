"""virNetworkUpdate and network lifecycle events on virt's test driver against libvirt 9.0's, through
python3-libvirt over each daemon (virtd serving virt's test:///default, libvirtd libvirt's), and
virt's CLI (`net-update`, `net-event`) against stock virsh. libvirt's test driver edits the running
definition for a live change, keeps a change of the persistent one aside while the network runs (and
does not put it in force when the network stops), and queues an event for each lifecycle call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import virt
from binding_sides import cli_as_virsh, need_binding, same_through_daemons, session
from virt.daemon.testing import Virtd, start_virtd
from virt.testing import Libvirtd, start_libvirtd

HOST = "<host mac='00:16:3e:77:e2:ed' name='foo.example.com' ip='192.168.122.10'/>"
OTHER = "<host mac='00:16:3e:77:e2:ee' name='bar.example.com' ip='192.168.122.11'/>"
UPDATES = r"""
host, other = extra
net = lambda: conn.networkLookupByName("default")
hosts = lambda: net().XMLDesc(0).count("<host ")
LIVE, CONFIG = libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE, libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG
calls = [
    ("add current", lambda: net().update(3, 4, -1, host, 0)),
    ("hosts", hosts),
    ("add again", lambda: net().update(3, 4, -1, host, 0)),
    ("add config", lambda: net().update(3, 4, -1, other, CONFIG)),
    ("live after config", lambda: net().XMLDesc(0)),
    ("inactive xml", lambda: net().XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE)),
    ("bad command", lambda: net().update(9, 4, -1, host, 0)),
    ("bad section", lambda: net().update(1, 99, -1, host, 0)),
    ("bad flags", lambda: net().update(1, 4, -1, host, 64)),
    ("delete", lambda: net().update(2, 4, -1, host, 0)),
    ("delete again", lambda: net().update(2, 4, -1, host, 0)),
    ("wrong element", lambda: net().update(3, 4, -1, "<bogus/>", 0)),
    ("malformed", lambda: net().update(3, 4, -1, "<host", 0)),
    ("dns host", lambda: net().update(3, 10, -1, "<host ip='192.168.122.50'><hostname>web</hostname></host>", LIVE)),
    ("range", lambda: net().update(4, 5, -1, "<range start='192.168.122.100' end='192.168.122.110'/>", 0)),
    ("live xml", lambda: net().XMLDesc(0)),
    ("destroy", lambda: net().destroy()),
    ("stopped xml", lambda: net().XMLDesc(0)),
    ("live on stopped", lambda: net().update(3, 4, -1, host, LIVE)),
    ("config on stopped", lambda: net().update(3, 4, -1, host, 0)),
    ("start", lambda: net().create()),
    ("transient", lambda: conn.networkCreateXML("<network><name>t1</name></network>").name()),
    ("config of transient", lambda: conn.networkLookupByName("t1").update(3, 4, -1, host, CONFIG)),
    ("drop transient", lambda: conn.networkLookupByName("t1").destroy()),
]
"""
EVENTS = r"""
import json, sys, threading, time, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
libvirt.virEventRegisterDefaultImpl()
conn = libvirt.open(sys.argv[1])
seen = []
def lifecycle(c, net, event, detail, opaque):
    seen.append([opaque, net.name(), event, detail])
threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)], daemon=True).start()
every = conn.networkEventRegisterAny(None, libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE, lifecycle, "all")
xml = "<network><name>ev1</name><bridge name='virbr7'/></network>"
net = conn.networkDefineXML(xml)
one = conn.networkEventRegisterAny(net, libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE, lifecycle, "ev1")
net.create()
net.destroy()
net.undefine()
conn.networkCreateXML("<network><name>ev2</name></network>").destroy()
# a callback's events still queued when it is deregistered are dropped (by libvirt too): wait for them
deadline = time.monotonic() + 20
while len(seen) < 11 and time.monotonic() < deadline:
    time.sleep(0.05)
conn.networkEventDeregisterAny(one)
try:
    conn.networkEventDeregisterAny(one)
except libvirt.libvirtError as exc:
    seen.append(["deregister twice", exc.get_error_code(), exc.get_error_message()])
conn.networkEventDeregisterAny(every)
print(json.dumps(sorted(seen, key=str)))
"""


@pytest.fixture
def daemons() -> Iterator[tuple[Virtd, Libvirtd]]:
    need_binding()
    with start_virtd() as ours, start_libvirtd() as reference:
        yield ours, reference


@pytest.mark.parametrize("readonly", [False, True], ids=["read-write", "read-only"])
def test_network_update_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd], readonly: bool) -> None:
    rows = {row[0]: row[1:] for row in same_through_daemons(daemons, UPDATES, readonly, HOST, OTHER)}
    if readonly:
        assert rows["add current"][0] == "error" and "read only" in str(rows["add current"][-1])
        return
    assert rows["add current"] == ["ok", 0] and rows["hosts"] == ["ok", 1]
    assert rows["config on stopped"][0] == "error"  # the change kept aside while it ran has that host


def test_network_events_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd]) -> None:
    ours, reference = daemons
    expected = session(EVENTS, reference.uri())
    assert session(EVENTS, ours.uri()) == expected
    # every callback: defined, started, stopped, undefined for ev1, started and stopped for ev2; ev1's
    # own callback, registered once it was defined: started, stopped, undefined
    assert len([row for row in expected[0] if row[0] in ("all", "ev1")]) == 9


def test_virt_api_network_events() -> None:
    from virt.networkevents import NetworkEventType

    seen: list[tuple[str, NetworkEventType]] = []
    with virt.open("test:///default") as conn:
        handle = conn.add_network_event_callback(lambda net, event: seen.append((net.name, event.type)))
        net = conn.define_network("<network><name>ev3</name></network>")
        net.start()
        net.destroy()
        net.undefine()
        conn.remove_network_event_callback(handle)
    assert seen == [
        ("ev3", NetworkEventType.DEFINED),
        ("ev3", NetworkEventType.STARTED),
        ("ev3", NetworkEventType.STOPPED),
        ("ev3", NetworkEventType.UNDEFINED),
    ]


@pytest.mark.parametrize(
    "command",
    [
        f'net-update default add ip-dhcp-host "{HOST}"',
        f'net-update default add-first ip-dhcp-host "{HOST}" --config',
        f'net-update default delete ip-dhcp-host "{OTHER}" --live',
        "net-update default add ip-dhcp-range \"<range start='192.168.122.100' end='192.168.122.110'/>\"",
        'net-update default add bogus-section "<x/>"',
        'net-update default add ip-dhcp-host "<bogus/>"',
        "net-update default add ip-dhcp-host --xml /nonexistent",
    ],
)
def test_cli_net_update_as_virsh(command: str) -> None:
    mine, theirs = cli_as_virsh(command)
    assert mine == theirs
