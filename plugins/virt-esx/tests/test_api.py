"""The Python API against VMware's vSphere simulator, as an ESX host and as a vCenter.

Each test module gets its own simulator (two VMs per host, running, as the simulator creates them);
tests that create things remove them again so that the order of tests does not matter.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import virt
from vcsim import Simulator, answer
from virt.errors import ErrorNumber, NotFound, OperationInvalid, VirtError
from virt.progress import Progress
from virt.states import DomainState, ShutdownMode
from virt.xml import Domain as DomainModel

# the simulator's VMs on the URI's host: ESX names them after its host, vCenter after DC0_H0
FIRST_VM = {"esx": "ha-host_VM0", "vpx": "DC0_H0_VM0"}
BRIDGE = {"esx": "VM Network", "vpx": "DC0_DVPG0"}  # vCenter's VMs use its distributed port group

NEW_DOMAIN = """<domain type='vmware'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <description>made by "virt" | tests</description>
  <memory unit='MiB'>512</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <source file='[LocalDS_0] {name}/{name}.vmdk'/>
      <target dev='sda' bus='scsi'/>
    </disk>
    <controller type='scsi' index='0' model='lsilogic'/>
    <interface type='bridge'>
      <mac address='00:50:56:25:48:c7'/>
      <source bridge='{bridge}'/>
      <model type='vmxnet3'/>
    </interface>
  </devices>
</domain>"""


@pytest.fixture
def conn(simulator: Simulator) -> Iterator[virt.Connection]:
    with virt.open(simulator.uri(), auth=answer()) as opened:
        yield opened


@pytest.fixture
def new_domain(conn: virt.Connection, simulator: Simulator) -> Iterator[virt.Domain]:
    """A defined, powered-off VM with a fresh 1 GiB disk, gone (VM and disk) after the test."""
    name = f"virt-{uuid.uuid4().hex[:8]}"
    pool = conn.lookup_storage_pool_by_name("LocalDS_0")
    volume = pool.create_volume(
        f"<volume><name>{name}/{name}.vmdk</name><capacity unit='GiB'>1</capacity><allocation>0</allocation></volume>"
    )
    domain = conn.define_domain(NEW_DOMAIN.format(name=name, uuid=uuid.uuid4(), bridge=BRIDGE[simulator.mode]))
    yield domain
    if domain.is_active():
        domain.destroy()
    domain.undefine()
    volume.delete()


def test_host_facts(conn: virt.Connection, simulator: Simulator) -> None:
    assert conn.driver_name == "ESX"
    assert conn.version() == 6_005_000  # the simulator plays vSphere 6.5
    assert conn.hostname()
    node = conn.node_info()
    assert node.cpus >= 1 and node.memory_kib > 0 and node.mhz > 0 and node.model
    assert node.sockets * node.cores * node.threads == node.cpus
    caps = conn.capabilities()
    assert "<domain type='vmware'/>" in caps and "<arch name='x86_64'>" in caps


def test_list_lookup_and_info(conn: virt.Connection, simulator: Simulator) -> None:
    domains = conn.list_domains()
    names = [d.name for d in domains]
    assert FIRST_VM[simulator.mode] in names
    assert len(names) == (2 if simulator.mode == "esx" else 4)  # a vCenter lists its whole datacenter
    first = conn.lookup_domain_by_name(FIRST_VM[simulator.mode])
    assert first.state().state == DomainState.RUNNING and first.id > 0 and first.is_active() and first.is_persistent()
    assert conn.lookup_domain_by_uuid(first.uuid) == first
    assert conn.lookup_domain_by_id(first.id) == first
    assert conn.lookup_domain(str(first.uuid)) == first
    info = first.info()
    assert (info.state, info.max_memory_kib, info.memory_kib, info.vcpus) == (DomainState.RUNNING, 32768, 32768, 1)
    assert first.os_type() == "hvm" and not first.has_managed_save()
    assert [d.name for d in conn.list_domains(active=False)] == []
    assert set(names) == {d.name for d in conn.list_domains(states=[DomainState.RUNNING])}


def test_unknown_domains_are_not_found(conn: virt.Connection) -> None:
    for lookup in (
        lambda: conn.lookup_domain_by_name("no-such-vm"),
        lambda: conn.lookup_domain_by_uuid(uuid.UUID(int=7)),
        lambda: conn.lookup_domain_by_id(999999),
    ):
        with pytest.raises(NotFound) as info:
            lookup()
        assert info.value.code == ErrorNumber.NO_DOMAIN


def test_dumpxml_is_the_vmx_mapping(conn: virt.Connection, simulator: Simulator) -> None:
    domain = conn.lookup_domain_by_name(FIRST_VM[simulator.mode])
    model = domain.model()
    assert model.type == "vmware" and model.name == domain.name and model.uuid == domain.uuid
    assert model.id == domain.id  # running: the live definition carries the id
    assert domain.model(inactive=True).id is None
    assert model.memory == 32768 and model.vcpu is not None and model.vcpu.count == 1
    assert model.devices is not None
    disk = model.devices.disks[0]
    assert disk.source is not None and disk.source.file == f"[LocalDS_0] {domain.name}/disk1.vmdk"
    assert disk.target is not None and disk.target.bus == "scsi"
    interface = model.devices.interfaces[0]
    assert (
        interface.type == "bridge"
        and interface.source is not None
        and interface.source.bridge == BRIDGE[simulator.mode]
    )
    text = domain.xml()
    assert "<vmware:moref" in text and "<vmware:datacenterpath" in text


def test_define_and_the_whole_life_of_a_domain(conn: virt.Connection, new_domain: virt.Domain) -> None:
    seen: list[Progress] = []
    conn.set_progress_callback(seen.append)
    domain = new_domain
    assert domain.state().state == DomainState.SHUTOFF and domain.id == -1
    info = domain.info()
    assert (info.max_memory_kib, info.vcpus) == (512 * 1024, 2)
    model = domain.model()
    assert model.description == 'made by "virt" | tests'
    assert model.os is not None and model.os.type is not None and model.os.type.arch == "x86_64"
    assert model.devices is not None and model.devices.interfaces[0].model is not None
    assert model.devices.interfaces[0].model.type == "vmxnet3"
    assert (
        model.devices.interfaces[0].mac is not None and model.devices.interfaces[0].mac.address == "00:50:56:25:48:c7"
    )
    assert domain.name in [d.name for d in conn.list_domains(active=False)]

    domain.start()
    assert domain.state().state == DomainState.RUNNING and domain.id > 0
    domain.suspend()
    assert domain.state().state == DomainState.PAUSED and domain.is_active()
    domain.resume()
    assert domain.state().state == DomainState.RUNNING
    domain.destroy()
    assert domain.state().state == DomainState.SHUTOFF and domain.id == -1
    words = [p.operation for p in seen if p.done]
    for verb in ("powering on", "suspending", "resuming", "powering off"):
        assert f"{verb} domain '{domain.name}'" in words


def test_power_operations_in_the_wrong_state_say_why(new_domain: virt.Domain) -> None:
    domain = new_domain
    for operation, words in (
        (domain.destroy, "domain is not running"),
        (domain.suspend, "domain is not running"),
        (domain.resume, "domain is not paused"),
        (domain.shutdown, "domain is not running"),
    ):
        with pytest.raises(OperationInvalid, match=words):
            operation()
    domain.start()
    with pytest.raises(OperationInvalid, match="domain is already running"):
        domain.start()
    with pytest.raises(OperationInvalid, match="destroy it first"):
        domain.undefine()
    with pytest.raises(VirtError, match="only through VMware Tools"):
        domain.shutdown(ShutdownMode.ACPI_POWER_BTN)


def test_shutdown_asks_vmware_tools(new_domain: virt.Domain) -> None:
    new_domain.start()
    new_domain.shutdown()  # the simulator's guest powers off at once
    assert new_domain.state().state == DomainState.SHUTOFF


def test_reboot_without_server_support_fails_clearly(conn: virt.Connection, simulator: Simulator) -> None:
    domain = conn.lookup_domain_by_name(FIRST_VM[simulator.mode])
    with pytest.raises(VirtError) as info:
        domain.reboot()
    # the simulator does not implement RebootGuest: the error says which call, and that it is unsupported
    assert info.value.code == ErrorNumber.NO_SUPPORT
    assert f"cannot reboot domain '{domain.name}'" in info.value.message and "RebootGuest" in info.value.message


def test_define_refuses_an_existing_name(conn: virt.Connection, simulator: Simulator) -> None:
    taken = FIRST_VM[simulator.mode]
    with pytest.raises(VirtError) as info:
        conn.define_domain(NEW_DOMAIN.format(name=taken, uuid=uuid.uuid4(), bridge=BRIDGE[simulator.mode]))
    assert info.value.code == ErrorNumber.DOM_EXIST and taken in info.value.message


def test_define_with_a_missing_disk_or_network_names_it(conn: virt.Connection, simulator: Simulator) -> None:
    xml = NEW_DOMAIN.format(name="virt-nodisk", uuid=uuid.uuid4(), bridge=BRIDGE[simulator.mode])
    with pytest.raises(VirtError, match=r"cannot define domain 'virt-nodisk': FileNotFound: .*virt-nodisk.*\.vmdk"):
        conn.define_domain(xml)
    with pytest.raises(NotFound, match="no network \\(port group\\) named 'nowhere'"):
        conn.define_domain(xml.replace(BRIDGE[simulator.mode], "nowhere"))
    assert "virt-nodisk" not in [d.name for d in conn.list_domains()]


def test_define_without_disks_uses_the_first_datastore(conn: virt.Connection) -> None:
    domain = conn.define_domain(
        "<domain type='vmware'><name>virt-diskless</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
        "<os><type arch='i686'>hvm</type></os></domain>"
    )
    try:
        assert domain.model().devices is not None
        assert domain.info().max_memory_kib == 64 * 1024
    finally:
        domain.undefine()


def test_changes_through_the_connection_are_seen_at_once(conn: virt.Connection, new_domain: virt.Domain) -> None:
    conn.list_domains()  # a listing whose snapshot would otherwise answer the next reads
    new_domain.start()
    assert new_domain.state().state == DomainState.RUNNING
    assert new_domain.name in [d.name for d in conn.list_domains(active=True)]


def test_changes_through_another_connection_show_after_the_snapshot(
    simulator: Simulator, conn: virt.Connection, new_domain: virt.Domain
) -> None:
    import time

    from virt_esx.server import SNAPSHOT_MAX_AGE

    conn.list_domains()
    with virt.open(simulator.uri(), auth=answer()) as other:
        other.lookup_domain_by_uuid(new_domain.uuid).start()
    time.sleep(SNAPSHOT_MAX_AGE + 0.1)
    assert new_domain.state().state == DomainState.RUNNING


def test_autostart_without_the_hosts_manager_fails_clearly(conn: virt.Connection, simulator: Simulator) -> None:
    domain = conn.lookup_domain_by_name(FIRST_VM[simulator.mode])
    with pytest.raises(VirtError) as info:
        _ = domain.autostart
    # the simulator has no HostAutoStartManager object: the error says what could not be read
    assert "cannot read the host's autostart configuration: the server has no object" in info.value.message
    assert info.value.code == ErrorNumber.NO_SUPPORT
    with pytest.raises(VirtError, match="autostart configuration"):
        conn.list_domains(autostart=True)


def test_storage_pools_are_datastores(conn: virt.Connection, simulator: Simulator) -> None:
    pools = conn.list_storage_pools()
    assert [p.name for p in pools] == ["LocalDS_0"]
    pool = pools[0]
    assert conn.lookup_storage_pool_by_uuid(pool.uuid).name == "LocalDS_0"
    info = pool.info()
    assert info.active and info.capacity > 0 and info.available <= info.capacity
    assert info.allocation == info.capacity - info.available
    assert pool.is_persistent() and pool.autostart
    model = pool.model()
    assert model.type == "dir" and model.target is not None and model.target.path
    volumes = {v.name: v for v in pool.list_volumes()}
    disk = f"{FIRST_VM[simulator.mode]}/disk1.vmdk"
    assert disk in volumes
    assert volumes[disk].path() == f"[LocalDS_0] {disk}"
    assert conn.lookup_storage_volume_by_path(f"[LocalDS_0] {disk}").name == disk
    assert volumes[disk].info().type == "file"
    assert "<format type='vmdk'/>" in volumes[disk].xml()
    with pytest.raises(NotFound) as missing:
        conn.lookup_storage_pool_by_name("nope")
    assert missing.value.code == ErrorNumber.NO_STORAGE_POOL


def test_volumes_are_created_and_deleted(conn: virt.Connection) -> None:
    pool = conn.lookup_storage_pool_by_name("LocalDS_0")
    volume = pool.create_volume("<volume><name>virt-vol/data.vmdk</name><capacity unit='MiB'>8</capacity></volume>")
    assert volume.path() == "[LocalDS_0] virt-vol/data.vmdk"
    assert "virt-vol/data.vmdk" in [v.name for v in pool.list_volumes()]
    volume.delete()
    assert "virt-vol/data.vmdk" not in [v.name for v in pool.list_volumes()]
    with pytest.raises(VirtError, match=r"only \.vmdk disks can be created"):
        pool.create_volume("<volume><name>image.iso</name><capacity>1024</capacity></volume>")


def test_networks_are_port_groups(conn: virt.Connection, simulator: Simulator) -> None:
    names = [n.name for n in conn.list_networks()]
    assert "VM Network" in names
    if simulator.mode == "vpx":
        assert "DC0_DVPG0" in names
    network = conn.lookup_network_by_name("VM Network")
    assert network.is_active() and network.is_persistent() and network.autostart
    assert conn.lookup_network_by_uuid(network.uuid).name == "VM Network"
    model = network.model()
    assert model.bridge is not None and model.bridge.name == "VM Network"
    assert model.forward is not None and model.forward.mode == "bridge"
    with pytest.raises(VirtError) as info:
        conn.define_network("<network><name>new</name></network>")
    assert info.value.code == ErrorNumber.NO_SUPPORT


def test_read_only_connections_refuse_changes(simulator: Simulator) -> None:
    with virt.open(simulator.uri(), readonly=True, auth=answer()) as conn:
        domain = conn.list_domains()[0]
        with pytest.raises(VirtError) as info:
            domain.destroy()
        assert info.value.code == ErrorNumber.OPERATION_DENIED


def test_models_handed_to_define_are_copied(conn: virt.Connection) -> None:
    model = DomainModel.from_xml(
        "<domain type='vmware'><name>virt-model</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>"
        "<os><type arch='i686'>hvm</type></os></domain>"
    )
    domain = conn.define_domain(model)
    try:
        assert domain.name == "virt-model" and model.name == "virt-model"
    finally:
        domain.undefine()


def test_an_ended_session_is_renewed(simulator: Simulator) -> None:
    from pyVmomi import vim

    with virt.open(simulator.uri(), auth=answer()) as first:
        known = first.lookup_domain_by_name(FIRST_VM[simulator.mode]).uuid
    with virt.open(simulator.uri(), auth=answer()) as conn:
        session = conn.driver.server.session  # type: ignore[attr-defined]
        # what the server does to a session idle for 30 minutes: it is gone, and calls are refused
        vim.SessionManager(session.sessions._moId, session.stub.soap).Logout()
        assert conn.lookup_domain_by_uuid(known).name == FIRST_VM[simulator.mode]
