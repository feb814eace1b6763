"""test:///default serves libvirt 9.0's default test host, shared by every connection."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Callable

from virt.driver import SecurityLabel
from virt.drivers.test.connection import TestConnection
from virt.info import DomainFilter, NodeInfo, ObjectFilter
from virt.states import DomainState

TEST_UUID = uuid.UUID("6695eb01-f6a4-8304-79aa-97f2502e193f")

# `virsh -c test:///default dumpxml test` with libvirt 9.0
LIVE_XML = """\
<domain type='test' id='1'>
  <name>test</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <memory unit='KiB'>8388608</memory>
  <currentMemory unit='KiB'>2097152</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='i686'>hvm</type>
    <boot dev='hd'/>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <source file='/guest/diskimage1'/>
      <target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </disk>
    <interface type='network'>
      <mac address='aa:bb:cc:dd:ee:ff'/>
      <source network='default'/>
      <target dev='testnet0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>
    </interface>
    <memballoon model='virtio'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
    </memballoon>
  </devices>
</domain>
"""

NETWORK_XML = """\
<network>
  <name>default</name>
  <uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid>
  <forward mode='nat'/>
  <bridge name='virbr0' stp='on' delay='0'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>
"""


def test_the_running_domain_test(conn: TestConnection) -> None:
    refs = conn.list_domains(DomainFilter())
    assert [(r.name, r.uuid, r.id) for r in refs] == [("test", TEST_UUID, 1)]
    ref = refs[0]
    assert conn.get_domain_state(ref) == (DomainState.RUNNING, 0)  # "running (unknown)"
    info = conn.get_domain_info(ref)
    assert (info.state, info.max_memory_kib, info.memory_kib, info.vcpus) == (DomainState.RUNNING, 8388608, 2097152, 2)
    assert info.cpu_time_ns > 0
    assert conn.is_domain_active(ref) and conn.is_domain_persistent(ref)
    assert not conn.get_domain_autostart(ref) and not conn.has_managed_save(ref)
    assert conn.get_domain_security_label(ref) == SecurityLabel("testSecurity", "", "libvirt-test", True)


def test_dumpxml_is_libvirts(conn: TestConnection) -> None:
    ref = conn.lookup_domain_by_name("test")
    assert conn.get_domain_definition(ref).to_xml() == LIVE_XML
    inactive = LIVE_XML.replace(" id='1'", "")
    assert conn.get_domain_definition(ref, inactive=True).to_xml() == inactive


def test_network_and_pool(conn: TestConnection) -> None:
    (net,) = conn.list_networks(ObjectFilter())
    assert net.name == "default"
    assert conn.get_network_definition(net).to_xml() == NETWORK_XML
    assert conn.is_network_active(net) and conn.is_network_persistent(net)
    assert not conn.get_network_autostart(net)
    (pool,) = conn.list_storage_pools(ObjectFilter())
    assert (pool.name, str(pool.uuid)) == ("default-pool", "dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566")
    info = conn.get_storage_pool_info(pool)
    assert (info.active, info.capacity, info.allocation, info.available) == (True, 100 * 2**30, 0, 100 * 2**30)
    definition = conn.get_storage_pool_definition(pool)
    assert definition.target is not None and definition.target.path == "/default-pool"
    assert conn.list_storage_volumes(pool) == []


def test_host_facts(conn: TestConnection) -> None:
    assert conn.get_node_info() == NodeInfo("i686", 3145728, 16, 1400, 2, 2, 2, 2)
    assert conn.get_version() == 2
    assert conn.get_hostname() == socket.gethostname()
    caps = conn.get_capabilities()
    text = caps.to_xml()
    assert "<model>testSecurity</model>" in text
    assert "<cells num='2'>" in text
    assert text.count("<emulator>/usr/bin/test-hv</emulator>") == 2


def test_state_is_shared_between_connections(connect: Callable[[str], TestConnection]) -> None:
    first, second = connect("test:///default"), connect("test:///default")
    ref = first.lookup_domain_by_name("test")
    first.destroy_domain(ref)
    assert second.get_domain_state(second.lookup_domain_by_name("test"))[0] == DomainState.SHUTOFF
    assert first.host is second.host


def test_default_host_is_fresh_after_every_connection_closed(connect: Callable[[str], TestConnection]) -> None:
    first = connect("test:///default")
    first.destroy_domain(first.lookup_domain_by_name("test"))
    first.close()
    again = connect("test:///default")
    ref = again.lookup_domain_by_name("test")
    assert again.get_domain_state(ref)[0] == DomainState.RUNNING and ref.id == 1


def test_concurrent_changes_are_safe(conn: TestConnection) -> None:
    from virt.xml import Domain

    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(20):
                domain = Domain.from_xml(
                    f"<domain type='test'><name>t{n}-{i}</name><memory>1024</memory><os><type>hvm</type></os></domain>"
                )
                ref = conn.create_domain(domain)
                conn.suspend_domain(ref)
                conn.resume_domain(ref)
                conn.destroy_domain(ref)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [r.name for r in conn.list_domains(DomainFilter())] == ["test"]
    # 160 domains booted after `test` (id 1): ids were handed out once each
    assert conn.host.next_id == 2 + 8 * 20
