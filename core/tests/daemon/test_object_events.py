"""Storage pool and node device events (virConnectStoragePoolEventRegisterAny,
virConnectNodeDeviceEventRegisterAny) on virt's test driver against libvirt 9.0's: the events
python3-libvirt receives for the same steps, in process and over each daemon, with the errors of
a bad registration; and virt's own API in process."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest
import virt
from binding_sides import need_binding, session
from virt.daemon.testing import Virtd
from virt.errors import InvalidArgument
from virt.nodedevevents import NodeDeviceEvent, NodeDeviceEventID
from virt.nodedevices import NodeDevice
from virt.poolevents import StoragePoolEvent, StoragePoolEventID
from virt.testing import VIRSH, Libvirtd

POOL = "<pool type='dir'><name>evpool</name><target><path>/tmp/evpool</path></target></pool>"
VHBA = (
    "<device><parent>scsi_host1</parent><capability type='scsi_host'><capability type='fc_host'>"
    "<wwnn>2000000012341234</wwnn><wwpn>1000000012341234</wwpn></capability></capability></device>"
)
SESSION = r"""
import json, sys, threading, time, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
libvirt.virEventRegisterDefaultImpl()
uri, pool_xml, vhba = sys.argv[1:4]
conn = libvirt.open(uri)
seen = []
def pool_life(c, pool, event, detail, tag): seen.append([tag, pool.name(), event, detail])
def pool_refresh(c, pool, tag): seen.append([tag, pool.name(), "refresh"])
def dev_life(c, dev, event, detail, tag): seen.append([tag, dev.name(), event, detail])
def dev_update(c, dev, tag): seen.append([tag, dev.name(), "update"])
def loop():
    while True:
        libvirt.virEventRunDefaultImpl()
threading.Thread(target=loop, daemon=True).start()
default = conn.storagePoolLookupByName("default-pool")
ids = [
    conn.storagePoolEventRegisterAny(None, libvirt.VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE, pool_life, "pools"),
    conn.storagePoolEventRegisterAny(None, libvirt.VIR_STORAGE_POOL_EVENT_ID_REFRESH, pool_refresh, "refreshes"),
    conn.storagePoolEventRegisterAny(default, libvirt.VIR_STORAGE_POOL_EVENT_ID_REFRESH, pool_refresh, "default"),
    conn.nodeDeviceEventRegisterAny(None, libvirt.VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE, dev_life, "devices"),
    conn.nodeDeviceEventRegisterAny(
        conn.nodeDeviceLookupByName("scsi_host11"), libvirt.VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE, dev_life, "host11"),
    conn.nodeDeviceEventRegisterAny(None, libvirt.VIR_NODE_DEVICE_EVENT_ID_UPDATE, dev_update, "updates"),
]
print(json.dumps(["ids", len(set(ids))]))
pool = conn.storagePoolDefineXML(pool_xml)
pool.build(); pool.create(); pool.refresh(); default.refresh(); pool.destroy(); pool.delete(); pool.undefine()
transient = conn.storagePoolCreateXML(pool_xml.replace("evpool", "evtransient"))
transient.destroy()
device = conn.nodeDeviceCreateXML(vhba)
device.destroy()
conn.nodeDeviceLookupByName("computer").destroy()  # quietly nothing, and no event
deadline = time.time() + 10
while len(seen) < 13 and time.time() < deadline:
    time.sleep(0.05)
time.sleep(0.3)  # nothing more comes
print(json.dumps(["events", seen]))
for handle in ids[:3]:
    conn.storagePoolEventDeregisterAny(handle)
for handle in ids[3:]:
    conn.nodeDeviceEventDeregisterAny(handle)
for name, call in [
    ("pool twice", lambda: conn.storagePoolEventDeregisterAny(ids[0])),
    ("device twice", lambda: conn.nodeDeviceEventDeregisterAny(ids[3])),
    ("pool unknown", lambda: conn.storagePoolEventDeregisterAny(4242)),
]:
    try:
        print(json.dumps([name, "ok", call()]))
    except libvirt.libvirtError as exc:
        print(json.dumps([name, "error", exc.get_error_code(), exc.get_error_domain(), exc.get_error_message()]))
"""


def _session(uri: str) -> list[list[object]]:
    return session(SESSION, uri, POOL, VHBA)


def _expected_events() -> list[list[object]]:
    return [
        ["pools", "evpool", 0, 0], ["pools", "evpool", 4, 0], ["pools", "evpool", 2, 0],
        ["refreshes", "evpool", "refresh"],
        ["refreshes", "default-pool", "refresh"], ["default", "default-pool", "refresh"],
        ["pools", "evpool", 3, 0], ["pools", "evpool", 5, 0], ["pools", "evpool", 1, 0],
        ["pools", "evtransient", 2, 0], ["pools", "evtransient", 3, 0],
        ["devices", "scsi_host12", 0, 0], ["devices", "scsi_host12", 1, 0],
    ]  # fmt: skip


def test_python3_libvirt_in_process() -> None:
    need_binding()
    results = {row[0]: row[1:] for row in _session("test:///default")}
    assert results["events"] == [_expected_events()]


def test_python3_libvirt_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd]) -> None:
    ours, reference = daemons
    expected = _session(reference.uri())
    assert {row[0]: row[1:] for row in expected}["events"] == [_expected_events()]
    assert _session(ours.uri()) == expected


def test_virt_api_in_process() -> None:
    seen: list[tuple[str, str, object]] = []
    done = threading.Event()

    def on_pool(pool: virt.connection.StoragePool, event: StoragePoolEvent) -> None:
        seen.append(("pool", pool.name, event.type if event.id == StoragePoolEventID.LIFECYCLE else "refresh"))

    def on_device(device: NodeDevice, event: NodeDeviceEvent) -> None:
        seen.append(("device", device.name, event.type))
        done.set()

    with virt.open("test:///default") as conn:
        conn.add_storage_pool_event_callback(on_pool)
        refreshes = conn.add_storage_pool_event_callback(on_pool, event_id=StoragePoolEventID.REFRESH)
        conn.add_node_device_event_callback(on_device, conn.lookup_node_device_by_name("scsi_host11"))
        conn.add_node_device_event_callback(on_device, event_id=NodeDeviceEventID.LIFECYCLE)
        pool = conn.define_storage_pool(POOL)
        pool.start()
        pool.refresh()
        conn.remove_storage_pool_event_callback(refreshes)
        pool.refresh()
        pool.destroy()
        pool.undefine()
        conn.create_node_device(VHBA).destroy()
        with pytest.raises(InvalidArgument, match="could not find event callback 4242 for deletion"):
            conn.remove_storage_pool_event_callback(4242)
        with pytest.raises(InvalidArgument, match="must be less than 2"):
            conn.add_node_device_event_callback(on_device, event_id=2)
    assert [(kind, name, int(type_) if type_ != "refresh" else type_) for kind, name, type_ in seen] == [
        ("pool", "evpool", 0), ("pool", "evpool", 2), ("pool", "evpool", "refresh"), ("pool", "evpool", 3),
        ("pool", "evpool", 1), ("device", "scsi_host12", 0), ("device", "scsi_host12", 1),
    ]  # fmt: skip


def _virt_api_events(uri: str) -> list[tuple[str, str, object]]:
    """What virt's remote client receives for the steps, registered on one connection and made on another."""
    seen: list[tuple[str, str, object]] = []
    ended = threading.Event()

    def on_pool(pool: virt.connection.StoragePool, event: StoragePoolEvent) -> None:
        seen.append(("pool", pool.name, int(event.type) if event.type is not None else "refresh"))

    def on_device(device: NodeDevice, event: NodeDeviceEvent) -> None:
        seen.append(("device", device.name, int(event.type) if event.type is not None else "update"))
        if event.type == 1:
            ended.set()

    with virt.open(uri) as listener, virt.open(uri) as actor:
        listener.add_storage_pool_event_callback(on_pool)
        listener.add_storage_pool_event_callback(
            on_pool, listener.lookup_storage_pool_by_name("default-pool"), StoragePoolEventID.REFRESH
        )
        listener.add_node_device_event_callback(on_device)
        pool = actor.define_storage_pool(POOL)
        pool.start()
        pool.refresh()
        actor.lookup_storage_pool_by_name("default-pool").refresh()
        pool.destroy()
        pool.undefine()
        actor.create_node_device(VHBA).destroy()
        assert ended.wait(10)
    return seen


def test_virt_remote_client_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd]) -> None:
    ours, reference = daemons
    expected = _virt_api_events(reference.uri())
    assert expected == [
        ("pool", "evpool", 0), ("pool", "evpool", 2), ("pool", "default-pool", "refresh"), ("pool", "evpool", 3),
        ("pool", "evpool", 1), ("device", "scsi_host12", 0), ("device", "scsi_host12", 1),
    ]  # fmt: skip
    assert _virt_api_events(ours.uri()) == expected


READONLY_SESSION = r"""
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
libvirt.virEventRegisterDefaultImpl()
conn = libvirt.openReadOnly(sys.argv[1])
cb = lambda *args: None
for name, call in [
    ("pool", lambda: conn.storagePoolEventRegisterAny(None, libvirt.VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE, cb, None)),
    ("device", lambda: conn.nodeDeviceEventRegisterAny(None, libvirt.VIR_NODE_DEVICE_EVENT_ID_UPDATE, cb, None)),
    ("pool off", lambda: conn.storagePoolEventDeregisterAny(0)),
    ("device off", lambda: conn.nodeDeviceEventDeregisterAny(1)),
]:
    try:
        print(json.dumps([name, "ok", call()]))
    except libvirt.libvirtError as exc:
        print(json.dumps([name, "error", exc.get_error_code(), exc.get_error_domain(), exc.get_error_message()]))
"""


def test_read_only_clients_may_listen(daemons: tuple[Virtd, Libvirtd]) -> None:
    ours, reference = daemons
    expected = session(READONLY_SESSION, reference.uri(readonly=True))
    assert [row[:2] for row in expected] == [["pool", "ok"], ["device", "ok"], ["pool off", "ok"], ["device off", "ok"]]
    assert session(READONLY_SESSION, ours.uri(readonly=True)) == expected


def _virsh_listeners(uri: str, tmp_path: Path) -> tuple[str, str]:
    """What stock virsh's pool-event and nodedev-event print on ``uri`` while another virsh changes pools and devices."""
    (tmp_path / "vhba.xml").write_text(VHBA)
    listeners = [
        subprocess.Popen(
            [VIRSH, "-c", uri, f"{kind}-event", "--event", "lifecycle", "--loop", "--timeout", "6"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for kind in ("pool", "nodedev")
    ]
    time.sleep(2)  # virsh registers its callback
    steps = (
        "pool-define-as vpool dir --target /tmp/vpool; pool-start vpool; pool-refresh vpool; pool-destroy vpool; "
        f"pool-undefine vpool; nodedev-create {tmp_path / 'vhba.xml'}; nodedev-destroy scsi_host12"
    )
    subprocess.run([VIRSH, "-c", uri, steps], capture_output=True, check=True, timeout=60)
    pools, devices = (listener.communicate(timeout=30)[0] for listener in listeners)
    return pools, devices


def test_stock_virsh_listens_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd], tmp_path: Path) -> None:
    ours, reference = daemons
    expected = _virsh_listeners(reference.uri(), tmp_path)
    assert expected == (
        "event 'lifecycle' for storage pool vpool: Defined\n"
        "event 'lifecycle' for storage pool vpool: Started\n"
        "event 'lifecycle' for storage pool vpool: Stopped\n"
        "event 'lifecycle' for storage pool vpool: Undefined\n"
        "event loop timed out\nevents received: 4\n\n",
        "event 'lifecycle' for node device scsi_host12: Created\n"
        "event 'lifecycle' for node device scsi_host12: Deleted\n"
        "event loop timed out\nevents received: 2\n\n",
    )
    assert _virsh_listeners(ours.uri(), tmp_path) == expected
