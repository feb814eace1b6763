"""Our remote client through ``virt.open`` against a real daemon serving ``test:///default``.

Each answer is checked against what python3-libvirt (libvirt's own client, C library) gets from
the same daemon, so the client is right when it agrees with libvirt, not with a hard-coded copy.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
import virt
from remote_daemons import DAEMONS, Daemon, libvirt_python, start_daemon
from virt.errors import NotFound, OperationDenied, OperationInvalid, VirtError
from virt.events import DomainEvent, DomainEventType
from virt.xml import Capabilities

DOMAIN_XML = """\
<domain type='test'>
  <name>remote-vm</name>
  <uuid>11111111-2222-3333-4444-555555555555</uuid>
  <memory unit='KiB'>1048576</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
</domain>
"""

NETWORK_XML = """\
<network>
  <name>remote-net</name>
  <bridge name='virbr9'/>
  <ip address='192.168.150.1' netmask='255.255.255.0'/>
</network>
"""

VOLUME_XML = """\
<volume>
  <name>remote-vol.img</name>
  <capacity unit='MiB'>8</capacity>
</volume>
"""


@pytest.fixture(params=DAEMONS)
def daemon(request: pytest.FixtureRequest) -> Iterator[Daemon]:
    with start_daemon(request.param) as running:
        yield running


@pytest.fixture
def conn(daemon: Daemon) -> Iterator[virt.Connection]:
    with virt.open(daemon.uri()) as connection:
        yield connection


def test_host_facts_are_libvirts(daemon: Daemon, conn: virt.Connection) -> None:
    theirs = libvirt_python(
        "c = libvirt.open(args[0])\n"
        "print(json.dumps([c.getType(), c.getVersion(), c.getHostname(), c.getInfo(), c.getCapabilities()]))",
        daemon.uri(),
    )
    kind, version, hostname, info, capabilities = theirs
    assert conn.driver_name == kind
    assert conn.version() == version
    assert conn.hostname() == hostname
    node = conn.node_info()
    assert [node.model, node.memory_kib // 1024, node.cpus, node.mhz, node.nodes, node.sockets, node.cores,
            node.threads] == info  # fmt: skip
    assert Capabilities.from_xml(conn.capabilities()) == Capabilities.from_xml(capabilities)


def test_listing_and_lookups(daemon: Daemon, conn: virt.Connection) -> None:
    domains = conn.list_domains()
    assert [d.name for d in domains] == ["test"]
    test = domains[0]
    assert conn.lookup_domain_by_name("test") == test
    assert conn.lookup_domain_by_uuid(test.uuid) == test
    assert conn.lookup_domain_by_uuid(str(test.uuid)) == test
    assert conn.lookup_domain_by_id(test.id) == test
    assert conn.lookup_domain(str(test.id)) == test
    theirs = libvirt_python(
        "d = libvirt.open(args[0]).lookupByName('test')\n"
        "print(json.dumps([d.UUIDString(), d.ID(), d.info(), d.state(), d.OSType(), d.XMLDesc(0), d.XMLDesc(2),"
        " d.isActive(), d.isPersistent(), d.autostart(), d.hasManagedSaveImage(0)]))",
        daemon.uri(),
    )
    uuid_text, id, info, state, os_type, xml, inactive_xml, active, persistent, autostart, managed = theirs
    assert (str(test.uuid), test.id) == (uuid_text, id)
    ours = test.info()
    assert [int(ours.state), ours.max_memory_kib, ours.memory_kib, ours.vcpus] == info[:4]
    assert list(test.state()) == state
    assert test.os_type() == os_type
    assert test.xml() == xml  # the daemon's text, untouched
    assert test.xml(inactive=True) == inactive_xml
    assert [test.is_active(), test.is_persistent(), test.autostart, test.has_managed_save()] == [
        bool(active), bool(persistent), bool(autostart), bool(managed),
    ]  # fmt: skip
    assert test.model().name == "test"


def test_list_filters_are_libvirts_flags(conn: virt.Connection) -> None:
    defined = conn.define_domain(DOMAIN_XML)
    transient = conn.create_domain(DOMAIN_XML.replace("remote-vm", "transient-vm").replace("1111", "9999"))
    names = lambda **kw: sorted(d.name for d in conn.list_domains(**kw))  # noqa: E731
    assert names() == ["remote-vm", "test", "transient-vm"]
    assert names(active=True) == ["test", "transient-vm"]
    assert names(active=False) == ["remote-vm"]
    assert names(persistent=False) == ["transient-vm"]
    assert names(persistent=True, active=True) == ["test"]
    assert names(states=[virt.DomainState.SHUTOFF]) == ["remote-vm"]
    conn.lookup_domain_by_name("test").suspend()
    assert names(states=[virt.DomainState.PAUSED]) == ["test"]
    assert names(states=[virt.DomainState.RUNNING, virt.DomainState.PAUSED]) == ["test", "transient-vm"]
    assert names(states=[virt.DomainState.CRASHED]) == []
    assert names(states=[]) == []
    assert names(autostart=True) == []
    defined.set_autostart(True)
    assert names(autostart=True) == ["remote-vm"]
    assert transient.is_persistent() is False


def test_a_domains_whole_life(daemon: Daemon, conn: virt.Connection) -> None:
    dom = conn.define_domain(DOMAIN_XML)
    assert dom.name == "remote-vm" and dom.uuid == uuid.UUID("11111111-2222-3333-4444-555555555555")
    assert dom.state().state == virt.DomainState.SHUTOFF
    dom.start()
    assert dom.state().state == virt.DomainState.RUNNING and dom.id > 0
    dom.suspend()
    assert dom.state().state == virt.DomainState.PAUSED
    dom.resume()
    assert dom.state().state == virt.DomainState.RUNNING
    dom.shutdown()
    assert dom.state().state == virt.DomainState.SHUTOFF
    dom.start()
    dom.reboot()
    dom.reset()
    dom.destroy()
    assert dom.state() == (virt.DomainState.SHUTOFF, 2)  # destroyed
    assert libvirt_python(
        "print(json.dumps(libvirt.open(args[0]).lookupByName('remote-vm').state()))", daemon.uri()
    ) == list(dom.state())
    dom.undefine()
    with pytest.raises(NotFound):
        conn.lookup_domain_by_name("remote-vm")


def test_errors_carry_the_daemons_code_domain_and_message(daemon: Daemon, conn: virt.Connection) -> None:
    theirs = libvirt_python(
        "c = libvirt.open(args[0])\n"
        "out = []\n"
        "for f in (lambda: c.lookupByName('nope'), lambda: c.lookupByName('test').create(),"
        " lambda: c.networkLookupByName('default').create(), lambda: c.networkLookupByName('nonet'),"
        " lambda: c.storagePoolLookupByName('nopool')):\n"
        "    try:\n        f()\n"
        "    except libvirt.libvirtError as e:\n"
        "        out.append([e.get_error_code(), e.get_error_domain(), e.get_error_message()])\n"
        "print(json.dumps(out))",
        daemon.uri(),
    )
    calls = [
        lambda: conn.lookup_domain_by_name("nope"),
        lambda: conn.lookup_domain_by_name("test").start(),
        lambda: conn.lookup_network_by_name("default").start(),
        lambda: conn.lookup_network_by_name("nonet"),
        lambda: conn.lookup_storage_pool_by_name("nopool"),
    ]
    ours = []
    for call in calls:
        with pytest.raises(VirtError) as caught:
            call()
        ours.append([int(caught.value.code), int(caught.value.domain), caught.value.message])
    assert ours == theirs
    with pytest.raises(NotFound):
        conn.lookup_domain_by_name("nope")
    with pytest.raises(OperationInvalid):
        conn.lookup_network_by_name("default").start()


def test_the_read_only_socket_refuses_changes_with_libvirts_error(daemon: Daemon) -> None:
    # readonly=False on our side: the refusal comes from the daemon itself.
    with virt.open(daemon.uri(readonly=True)) as conn:
        test = conn.lookup_domain_by_name("test")
        assert test.state().state == virt.DomainState.RUNNING
        with pytest.raises(OperationDenied) as caught:
            test.destroy()
    theirs = libvirt_python(
        "c = libvirt.openReadOnly(args[0])\n"
        "try:\n    c.lookupByName('test').destroy()\n"
        "except libvirt.libvirtError as e:\n"
        "    print(json.dumps([e.get_error_code(), e.get_error_domain(), e.get_error_message()]))",
        daemon.uri(),
    )
    assert [int(caught.value.code), int(caught.value.domain), caught.value.message] == theirs


def test_read_only_connections_are_read_only_on_the_wire(daemon: Daemon) -> None:
    with virt.open(daemon.uri(), readonly=True) as conn:
        test = conn.lookup_domain_by_name("test")
        with pytest.raises(OperationDenied, match="read only access prevents virDomainDestroy"):
            conn.driver.destroy_domain(test.ref)  # past our own check: the daemon refuses
        assert test.state().state == virt.DomainState.RUNNING


def test_networks(daemon: Daemon, conn: virt.Connection) -> None:
    theirs = libvirt_python(
        "n = libvirt.open(args[0]).networkLookupByName('default')\n"
        "print(json.dumps([n.UUIDString(), n.isActive(), n.isPersistent(), n.autostart(), n.XMLDesc(0)]))",
        daemon.uri(),
    )
    assert [n.name for n in conn.list_networks()] == ["default"]
    default = conn.lookup_network("default")
    assert [str(default.uuid), default.is_active(), default.is_persistent(), default.autostart] == [
        theirs[0], bool(theirs[1]), bool(theirs[2]), bool(theirs[3]),
    ]  # fmt: skip
    assert default.model() == virt.xml.Network.from_xml(theirs[4])
    assert conn.lookup_network(str(default.uuid)).name == "default"
    net = conn.define_network(NETWORK_XML)
    assert [n.name for n in conn.list_networks(active=False)] == ["remote-net"]
    net.start()
    assert net.is_active()
    net.set_autostart(True)
    assert net.autostart
    assert sorted(n.name for n in conn.list_networks(autostart=True)) == sorted(
        ["remote-net", *(["default"] if theirs[3] else [])]
    )
    net.destroy()
    net.undefine()
    with pytest.raises(NotFound):
        conn.lookup_network_by_name("remote-net")


def test_pools_and_volumes(daemon: Daemon, conn: virt.Connection) -> None:
    theirs = libvirt_python(
        "p = libvirt.open(args[0]).storagePoolLookupByName('default-pool')\n"
        "print(json.dumps([p.UUIDString(), p.info(), p.isPersistent(), p.autostart(), p.XMLDesc(0)]))",
        daemon.uri(),
    )
    assert [p.name for p in conn.list_storage_pools()] == ["default-pool"]
    pool = conn.lookup_storage_pool("default-pool")
    info = pool.info()
    assert str(pool.uuid) == theirs[0]
    assert [info.capacity, info.allocation, info.available] == theirs[1][1:]
    assert info.active and pool.is_persistent() == bool(theirs[2]) and pool.autostart == bool(theirs[3])
    assert pool.model() == virt.xml.StoragePool.from_xml(theirs[4])
    assert pool.list_volumes() == []
    volume = pool.create_volume(VOLUME_XML)
    assert [v.name for v in pool.list_volumes()] == ["remote-vol.img"]
    path = volume.path()
    assert conn.lookup_storage_volume_by_path(path).name == "remote-vol.img"
    assert conn.lookup_storage_volume_by_key(volume.key).name == "remote-vol.img"
    assert pool.lookup_volume("remote-vol.img").key == volume.key
    assert volume.info().capacity == 8 * 1024 * 1024
    assert volume.model().name == "remote-vol.img"
    volume.delete()
    assert pool.list_volumes() == []


def collect_events(conn: virt.Connection) -> tuple[list[DomainEvent], threading.Event, list[int]]:
    """Register a lifecycle callback; returns the events list, an Event set on each arrival, the handle."""
    events: list[DomainEvent] = []
    arrived = threading.Event()

    def callback(domain: virt.Domain, event: DomainEvent) -> None:
        events.append(event)
        arrived.set()

    handle = conn.add_domain_event_callback(callback)
    return events, arrived, [handle]


def wait_for(events: list[DomainEvent], count: int, timeout: float = 10) -> list[DomainEvent]:
    import time

    deadline = time.monotonic() + timeout
    while len(events) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return events


LIFECYCLE_BY_LIBVIRT = (
    "c = libvirt.open(args[0])\n"
    "d = c.defineXML(args[1])\n"
    "d.create(); d.suspend(); d.resume(); d.destroy(); d.undefine()\n"
    "print(json.dumps('done'))"
)


def test_events_of_changes_made_by_another_client_arrive(daemon: Daemon, conn: virt.Connection) -> None:
    events, _, _ = collect_events(conn)
    libvirt_python(LIFECYCLE_BY_LIBVIRT, daemon.uri(), DOMAIN_XML)
    wait_for(events, 6)
    assert [(e.domain.name, e.type, int(e.detail)) for e in events] == [
        ("remote-vm", DomainEventType.DEFINED, 0),
        ("remote-vm", DomainEventType.STARTED, 0),
        ("remote-vm", DomainEventType.SUSPENDED, 0),
        ("remote-vm", DomainEventType.RESUMED, 0),
        ("remote-vm", DomainEventType.STOPPED, 1),
        ("remote-vm", DomainEventType.UNDEFINED, 0),
    ]
    assert events[0].domain.uuid == uuid.UUID("11111111-2222-3333-4444-555555555555")


def test_events_between_two_of_our_connections_and_unsubscribing(daemon: Daemon, conn: virt.Connection) -> None:
    events, _, handles = collect_events(conn)
    only_test: list[str] = []
    test = conn.lookup_domain_by_name("test")
    conn.add_domain_event_callback(lambda d, e: only_test.append(d.name), test)
    with virt.open(daemon.uri()) as other:
        other.define_domain(DOMAIN_XML)
        other.lookup_domain_by_name("test").suspend()
        wait_for(events, 2)
        assert [(e.domain.name, e.type) for e in events] == [
            ("remote-vm", DomainEventType.DEFINED),
            ("test", DomainEventType.SUSPENDED),
        ]
        assert only_test == ["test"]
        conn.remove_domain_event_callback(handles[0])
        other.lookup_domain_by_name("test").resume()
        wait_for(events, 3, timeout=0.5)
    assert len(events) == 2  # unsubscribed: the resume did not arrive
    assert only_test == ["test", "test"]


def test_a_callback_may_call_the_connection_back(conn: virt.Connection) -> None:
    states: list[virt.DomainState] = []
    done = threading.Event()

    def callback(domain: virt.Domain, event: DomainEvent) -> None:
        states.append(domain.state().state)
        done.set()

    conn.add_domain_event_callback(callback)
    conn.lookup_domain_by_name("test").suspend()
    assert done.wait(10)
    assert states == [virt.DomainState.PAUSED]


def test_closing_twice_and_using_a_closed_connection(daemon: Daemon) -> None:
    conn = virt.open(daemon.uri())
    driver = conn.driver
    conn.close()
    conn.close()
    with pytest.raises(VirtError):
        driver.get_hostname()


POOL_XML = """\
<pool type='dir'>
  <name>remote-pool</name>
  <target><path>/remote-pool</path></target>
</pool>
"""


def test_a_pools_whole_life_and_transient_objects(conn: virt.Connection) -> None:
    pool = conn.define_storage_pool(POOL_XML)
    assert not pool.is_active() and pool.is_persistent()
    assert conn.lookup_storage_pool(str(pool.uuid)).name == "remote-pool"
    pool.start()
    assert pool.is_active()
    pool.set_autostart(True)
    assert pool.autostart
    assert [p.name for p in conn.list_storage_pools(autostart=True)] == ["remote-pool"]
    pool.destroy()
    pool.undefine()
    with pytest.raises(NotFound):
        conn.lookup_storage_pool_by_name("remote-pool")
    transient_pool = conn.create_storage_pool(POOL_XML.replace("remote-pool", "transient-pool"))
    assert transient_pool.is_active() and not transient_pool.is_persistent()
    transient_net = conn.create_network(NETWORK_XML.replace("remote-net", "transient-net"))
    assert transient_net.is_active() and not transient_net.is_persistent()
    assert [n.name for n in conn.list_networks(persistent=False)] == ["transient-net"]


def test_domain_capabilities_answer_as_libvirt_answers(daemon: Daemon, conn: virt.Connection) -> None:
    theirs = libvirt_python(
        "c = libvirt.open(args[0])\n"
        "try:\n    print(json.dumps(['ok', c.getDomainCapabilities(None, None, None, None, 0)]))\n"
        "except libvirt.libvirtError as e:\n"
        "    print(json.dumps(['error', e.get_error_code(), e.get_error_message()]))",
        daemon.uri(),
    )
    if theirs[0] == "ok":
        assert virt.xml.DomainCapabilities.from_xml(conn.domain_capabilities()) == virt.xml.DomainCapabilities.from_xml(
            theirs[1]
        )
    else:
        with pytest.raises(VirtError) as caught:
            conn.domain_capabilities()
        assert [int(caught.value.code), caught.value.message] == theirs[1:]


def test_threads_share_one_connection(conn: virt.Connection) -> None:
    from concurrent.futures import ThreadPoolExecutor

    names = [f"vm{i}" for i in range(8)]
    for index, name in enumerate(names):
        conn.define_domain(DOMAIN_XML.replace("remote-vm", name).replace("555555555555", f"{index:012d}"))

    def work(name: str) -> list[str]:
        # each thread's replies must be its own: names and UUIDs stay paired across 50 round trips
        seen = []
        for _ in range(25):
            dom = conn.lookup_domain_by_name(name)
            seen.append(conn.lookup_domain_by_uuid(dom.uuid).name)
        return seen

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, names))
    assert results == [[name] * 25 for name in names]


def test_the_memory_statistics_period_as_libvirt_sets_it(daemon: Daemon, conn: virt.Connection) -> None:
    """virDomainSetMemoryStatsPeriod: the same outcomes (and <stats period> in the XML) as python3-libvirt's."""
    theirs = libvirt_python(
        "c = libvirt.open(args[0])\n"
        "d = c.lookupByName('test')\n"
        "out = []\n"
        "for period, flags in ((4, 0), (-2, 0), (3, 3), (6, 2)):\n"
        "    try:\n        out.append(d.setMemoryStatsPeriod(period, flags))\n"
        "    except libvirt.libvirtError as e:\n"
        "        out.append([e.get_error_code(), e.get_error_domain(), e.get_error_message()])\n"
        "out.append([d.XMLDesc(0).count(\"<stats period='4'/>\"), d.XMLDesc(2).count(\"<stats period='6'/>\")])\n"
        "print(json.dumps(out))",
        daemon.uri(),
    )
    from virt.domainchanges import Impact

    test = conn.lookup_domain_by_name("test")
    ours: list[object] = []
    both = Impact.LIVE | Impact.CONFIG
    for period, impact in ((4, Impact.CURRENT), (-2, Impact.CURRENT), (3, both), (6, Impact.CONFIG)):
        try:
            test.set_memory_stats_period(period, impact)
            ours.append(0)
        except VirtError as exc:
            ours.append([int(exc.code), int(exc.domain), exc.message])
    ours.append([test.xml().count("<stats period='4'/>"), test.xml(inactive=True).count("<stats period='6'/>")])
    assert ours == theirs
    assert ours[0] == 0 and ours[-1] == [1, 1]
