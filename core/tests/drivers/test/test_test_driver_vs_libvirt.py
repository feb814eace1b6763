"""The same operations on libvirt 9.0's test:///default (through python3-libvirt) and on ours.

Compares results, error codes, error domains, messages and state/reason sequences. The
libvirt side runs under /usr/bin/python3, where python3-libvirt lives; the test is skipped
when it is missing, or fails when VIRT_REQUIRE_INTEGRATION=1.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest
from virt.driver import DomainRef, NetworkRef, StoragePoolRef
from virt.drivers.test.connection import TestConnection
from virt.errors import VirtError
from virt.info import ObjectFilter
from virt.states import ShutdownMode
from virt.testing import missing_dependency

SYSTEM_PYTHON = "/usr/bin/python3"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _comparable(results: list[dict[str, Any]]) -> list[Any]:
    """Results with generated UUIDs blanked out: each side draws its own."""
    comparable: list[Any] = json.loads(_UUID.sub("<uuid>", json.dumps(results)))
    return comparable


def _dom(name: str, extra: str = "", memory: int = 1024) -> str:
    return f"<domain type='test'><name>{name}</name>{extra}<memory>{memory}</memory><os><type>hvm</type></os></domain>"


def _net(name: str, extra: str = "", bridge: str = "virbr9") -> str:
    return f"<network><name>{name}</name>{extra}<bridge name='{bridge}'/></network>"


def _pool(name: str, extra: str = "", path: str = "/p") -> str:
    return f"<pool type='dir'><name>{name}</name>{extra}<target><path>{path}</path></target></pool>"


def _vol(name: str, capacity: int, allocation: int | None = None) -> str:
    alloc = "" if allocation is None else f"<allocation>{allocation}</allocation>"
    return f"<volume><name>{name}</name><capacity>{capacity}</capacity>{alloc}</volume>"


TEST_UUID = "<uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>"
OTHER_UUID = "<uuid>11111111-2222-3333-4444-555555555555</uuid>"
NET_UUID = "<uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid>"
POOL_UUID = "<uuid>dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566</uuid>"

DOMAIN_SCENARIO: list[list[Any]] = [
    ["lookup", "test"],
    ["state", "test"],
    ["seclabel", "test"],
    ["info", "test"],
    ["start", "test"],
    ["resume", "test"],
    ["suspend", "test"],
    ["state", "test"],
    ["suspend", "test"],
    ["start", "test"],
    ["resume", "test"],
    ["state", "test"],
    ["reboot", "test"],
    ["state", "test"],
    ["id", "test"],
    ["reset", "test"],
    ["state", "test"],
    ["shutdown", "test"],
    ["state", "test"],
    ["id", "test"],
    ["active", "test"],
    ["seclabel", "test"],
    ["shutdown", "test"],
    ["destroy", "test"],
    ["suspend", "test"],
    ["resume", "test"],
    ["reboot", "test"],
    ["reset", "test"],
    ["start", "test"],
    ["state", "test"],
    ["id", "test"],
    ["destroy", "test"],
    ["state", "test"],
    ["start", "test"],
    ["suspend", "test"],
    ["destroy", "test"],
    ["state", "test"],
    ["lookup", "nope"],
    ["lookup_id", 99],
    ["lookup_id", 1],
    ["define", _dom("test", OTHER_UUID)],
    ["create", _dom("test", OTHER_UUID)],
    ["define", _dom("other", TEST_UUID)],
    ["create", _dom("tr")],
    ["lookup", "tr"],
    ["state", "tr"],
    ["persistent", "tr"],
    ["create", _dom("tr")],
    ["undefine", "tr"],
    ["persistent", "tr"],
    ["active", "tr"],
    ["destroy", "tr"],
    ["lookup", "tr"],
    ["state", "tr"],
    ["destroy", "tr"],
    ["define", _dom("new")],
    ["lookup", "new"],
    ["state", "new"],
    ["active", "new"],
    ["info", "new"],
    ["seclabel", "new"],
    ["autostart", "new"],
    ["set_autostart", "new", True],
    ["autostart", "new"],
    ["managed_save", "new"],
    ["start", "new"],
    ["state", "new"],
    ["id", "new"],
    ["start", "test"],
    ["create", _dom("test", TEST_UUID)],
    ["redefine", "new", 2048],
    ["info", "new"],
    ["xml_memory", "new", False],
    ["xml_memory", "new", True],
    ["undefine", "new"],
    ["persistent", "new"],
    ["state", "new"],
    ["shutdown", "new"],
    ["lookup", "new"],
    ["state", "new"],
    ["define", _dom("back")],
    ["create", _dom("back")],
    ["state", "back"],
    ["persistent", "back"],
    ["destroy", "back"],
    ["state", "back"],
    ["lookup", "back"],
    ["undefine", "back"],
    ["lookup", "back"],
    ["list"],
]

NETWORK_SCENARIO: list[list[Any]] = [
    ["net_lookup", "default"],
    ["net_start", "default"],
    ["net_undefine", "default"],
    ["net_destroy", "default"],
    ["net_active", "default"],
    ["net_destroy", "default"],
    ["net_autostart", "default"],
    ["net_set_autostart", "default", True],
    ["net_autostart", "default"],
    ["net_start", "default"],
    ["net_define", _net("default", OTHER_UUID)],
    ["net_define", _net("other", NET_UUID)],
    ["net_create", _net("default", NET_UUID)],
    ["net_create", _net("tn")],
    ["net_active", "tn"],
    ["net_persistent", "tn"],
    ["net_undefine", "tn"],
    ["net_destroy", "tn"],
    ["net_lookup", "tn"],
    ["net_define", _net("dn")],
    ["net_active", "dn"],
    ["net_persistent", "dn"],
    ["net_start", "dn"],
    ["net_destroy", "dn"],
    ["net_undefine", "dn"],
    ["net_lookup", "dn"],
    ["net_lookup", "nope"],
    ["net_list"],
]

STORAGE_SCENARIO: list[list[Any]] = [
    ["pool_lookup", "default-pool"],
    ["pool_info", "default-pool"],
    ["pool_autostart", "default-pool"],
    ["pool_start", "default-pool"],
    ["pool_undefine", "default-pool"],
    ["vol_create", "default-pool", _vol("v1", 10 * 2**30, 5 * 2**30)],
    ["pool_info", "default-pool"],
    ["vol_info", "default-pool", "v1"],
    ["vol_path", "default-pool", "v1"],
    ["vol_create", "default-pool", _vol("v1", 10, 5)],
    ["vol_create", "default-pool", _vol("v2", 1000 * 2**30, 500 * 2**30)],
    ["vol_create", "default-pool", _vol("v3", 1000)],
    ["vol_info", "default-pool", "v3"],
    ["vol_list", "default-pool"],
    ["vol_by_key", "/default-pool/v1"],
    ["vol_by_path", "/default-pool/v3"],
    ["vol_by_key", "nope"],
    ["vol_by_path", "/nope"],
    ["vol_lookup", "default-pool", "nope"],
    ["pool_destroy", "default-pool"],
    ["pool_info", "default-pool"],
    ["pool_destroy", "default-pool"],
    ["vol_list", "default-pool"],
    ["vol_lookup", "default-pool", "v1"],
    ["vol_by_key", "/default-pool/v1"],
    ["pool_set_autostart", "default-pool", True],
    ["pool_autostart", "default-pool"],
    ["pool_start", "default-pool"],
    ["vol_delete", "default-pool", "v1"],
    ["vol_delete", "default-pool", "v1"],
    ["pool_info", "default-pool"],
    ["pool_define", _pool("default-pool", OTHER_UUID)],
    ["pool_define", _pool("other", POOL_UUID)],
    ["pool_create", _pool("default-pool", POOL_UUID)],
    ["pool_define", _pool("other", "", "/default-pool")],
    ["pool_create", _pool("tp", "", "/tp")],
    ["pool_info", "tp"],
    ["pool_persistent", "tp"],
    ["pool_autostart", "tp"],
    ["pool_set_autostart", "tp", True],
    ["pool_undefine", "tp"],
    ["pool_destroy", "tp"],
    ["pool_lookup", "tp"],
    ["pool_define", _pool("dp", "", "/dp")],
    ["pool_info", "dp"],
    ["pool_persistent", "dp"],
    ["pool_destroy", "dp"],
    ["vol_create", "dp", _vol("x", 1)],
    ["pool_undefine", "dp"],
    ["pool_lookup", "dp"],
    ["pool_lookup", "nope"],
    ["pool_list"],
]

# The libvirt side: reads the scenario on stdin, prints one JSON result per step.
LIBVIRT_RUNNER = r"""
import json, sys
import libvirt
libvirt.registerErrorHandler(lambda ctx, err: None, None)
conn = libvirt.open("test:///default")
doms, nets, pools = {}, {}, {}

def dom(name):
    if name not in doms:
        doms[name] = conn.lookupByName(name)
    return doms[name]

def net(name):
    if name not in nets:
        nets[name] = conn.networkLookupByName(name)
    return nets[name]

def pool(name):
    if name not in pools:
        pools[name] = conn.storagePoolLookupByName(name)
    return pools[name]

def remember(cache, obj):
    cache[obj.name()] = obj
    return obj.name()

def run(step):
    op, args = step[0], step[1:]
    if op == "lookup":
        d = conn.lookupByName(args[0]); doms[args[0]] = d; return [d.name(), d.ID()]
    if op == "lookup_id":
        return conn.lookupByID(args[0]).name()
    if op == "state": return dom(args[0]).state()
    if op == "id": return conn.lookupByUUID(dom(args[0]).UUID()).ID()
    if op == "active": return bool(dom(args[0]).isActive())
    if op == "persistent": return bool(dom(args[0]).isPersistent())
    if op == "seclabel": return dom(args[0]).securityLabel()
    if op == "info": return dom(args[0]).info()[:4]
    if op == "autostart": return bool(dom(args[0]).autostart())
    if op == "set_autostart": return dom(args[0]).setAutostart(args[1])
    if op == "managed_save": return bool(dom(args[0]).hasManagedSaveImage())
    if op == "start": return dom(args[0]).create()
    if op in ("shutdown", "destroy", "suspend", "resume", "reset", "undefine"):
        return getattr(dom(args[0]), op)()
    if op == "reboot": return dom(args[0]).reboot(0)
    if op == "define": return remember(doms, conn.defineXML(args[0]))
    if op == "create": return remember(doms, conn.createXML(args[0], 0))
    if op == "redefine":
        d = dom(args[0])
        xml = ("<domain type='test'><name>%s</name><uuid>%s</uuid><memory>%d</memory>"
               "<os><type>hvm</type></os></domain>" % (args[0], d.UUIDString(), args[1]))
        return remember(doms, conn.defineXML(xml))
    if op == "xml_memory":
        import re
        xml = dom(args[0]).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE if args[1] else 0)
        return [int(re.search(r"<memory unit='KiB'>(\d+)<", xml).group(1)), " id='" in xml]
    if op == "list":
        return sorted([d.name(), d.ID(), d.state()[0]] for d in conn.listAllDomains())
    if op == "net_lookup":
        n = conn.networkLookupByName(args[0]); nets[args[0]] = n; return n.name()
    if op == "net_start": return net(args[0]).create()
    if op == "net_destroy": return net(args[0]).destroy()
    if op == "net_undefine": return net(args[0]).undefine()
    if op == "net_active": return bool(net(args[0]).isActive())
    if op == "net_persistent": return bool(net(args[0]).isPersistent())
    if op == "net_autostart": return bool(net(args[0]).autostart())
    if op == "net_set_autostart": return net(args[0]).setAutostart(args[1])
    if op == "net_define": return remember(nets, conn.networkDefineXML(args[0]))
    if op == "net_create": return remember(nets, conn.networkCreateXML(args[0]))
    if op == "net_list":
        return sorted([n.name(), bool(n.isActive()), bool(n.isPersistent())] for n in conn.listAllNetworks())
    if op == "pool_lookup":
        p = conn.storagePoolLookupByName(args[0]); pools[args[0]] = p; return p.name()
    if op == "pool_info": return pool(args[0]).info()
    if op == "pool_start": return pool(args[0]).create()
    if op == "pool_destroy": return pool(args[0]).destroy()
    if op == "pool_undefine": return pool(args[0]).undefine()
    if op == "pool_persistent": return bool(pool(args[0]).isPersistent())
    if op == "pool_autostart": return bool(pool(args[0]).autostart())
    if op == "pool_set_autostart": return pool(args[0]).setAutostart(args[1])
    if op == "pool_define": return remember(pools, conn.storagePoolDefineXML(args[0], 0))
    if op == "pool_create": return remember(pools, conn.storagePoolCreateXML(args[0], 0))
    if op == "pool_list":
        return sorted([p.name(), bool(p.isActive()), bool(p.isPersistent())] for p in conn.listAllStoragePools())
    if op == "vol_create":
        v = pool(args[0]).createXML(args[1], 0); return [v.name(), v.key(), v.path()]
    if op == "vol_lookup": return pool(args[0]).storageVolLookupByName(args[1]).name()
    if op == "vol_info": return pool(args[0]).storageVolLookupByName(args[1]).info()
    if op == "vol_path": return pool(args[0]).storageVolLookupByName(args[1]).path()
    if op == "vol_delete": return pool(args[0]).storageVolLookupByName(args[1]).delete(0)
    if op == "vol_list": return sorted(v.name() for v in pool(args[0]).listAllVolumes())
    if op == "vol_by_key": return conn.storageVolLookupByKey(args[0]).name()
    if op == "vol_by_path": return conn.storageVolLookupByPath(args[0]).name()
    raise ValueError(op)

results = []
for step in json.load(sys.stdin):
    try:
        results.append({"ok": run(step)})
    except libvirt.libvirtError as e:
        results.append({"error": [e.get_error_code(), e.get_error_domain(), e.get_error_message()]})
print(json.dumps(results))
"""


class OurRunner:
    """Runs scenario steps on our driver, caching handles the way the libvirt side does."""

    def __init__(self, conn: TestConnection) -> None:
        self.conn = conn
        self.doms: dict[str, DomainRef] = {}
        self.nets: dict[str, NetworkRef] = {}
        self.pools: dict[str, StoragePoolRef] = {}

    def dom(self, name: str) -> DomainRef:
        if name not in self.doms:
            self.doms[name] = self.conn.lookup_domain_by_name(name)
        return self.doms[name]

    def net(self, name: str) -> NetworkRef:
        if name not in self.nets:
            self.nets[name] = self.conn.lookup_network_by_name(name)
        return self.nets[name]

    def pool(self, name: str) -> StoragePoolRef:
        if name not in self.pools:
            self.pools[name] = self.conn.lookup_storage_pool_by_name(name)
        return self.pools[name]

    def run(self, step: list[Any]) -> Any:
        from virt.xml import Domain, Network, StoragePool, StorageVolume

        c, op, args = self.conn, step[0], step[1:]
        if op == "lookup":
            ref = c.lookup_domain_by_name(args[0])
            self.doms[args[0]] = ref
            return [ref.name, ref.id]
        if op == "lookup_id":
            return c.lookup_domain_by_id(args[0]).name
        if op == "state":
            state, reason = c.get_domain_state(self.dom(args[0]))
            return [int(state), reason]
        if op == "id":
            return c.lookup_domain_by_uuid(self.dom(args[0]).uuid).id
        if op == "active":
            return c.is_domain_active(self.dom(args[0]))
        if op == "persistent":
            return c.is_domain_persistent(self.dom(args[0]))
        if op == "seclabel":
            label = c.get_domain_security_label(self.dom(args[0]))
            assert label is not None
            return [label.label, label.enforcing]
        if op == "info":
            info = c.get_domain_info(self.dom(args[0]))
            return [int(info.state), info.max_memory_kib, info.memory_kib, info.vcpus]
        if op == "autostart":
            return c.get_domain_autostart(self.dom(args[0]))
        if op == "set_autostart":
            c.set_domain_autostart(self.dom(args[0]), args[1])
            return 0
        if op == "managed_save":
            return c.has_managed_save(self.dom(args[0]))
        simple = {
            "start": c.start_domain,
            "shutdown": lambda ref: c.shutdown_domain(ref, ShutdownMode.DEFAULT),
            "destroy": c.destroy_domain,
            "suspend": c.suspend_domain,
            "resume": c.resume_domain,
            "reset": c.reset_domain,
            "undefine": c.undefine_domain,
            "reboot": lambda ref: c.reboot_domain(ref, ShutdownMode.DEFAULT),
        }
        if op in simple:
            return simple[op](self.dom(args[0])) or 0
        if op in ("define", "create"):
            model = Domain.from_xml(args[0])
            ref = c.define_domain(model) if op == "define" else c.create_domain(model)
            self.doms[ref.name] = ref
            return ref.name
        if op == "redefine":
            ref = self.dom(args[0])
            model = Domain.from_xml(_dom(args[0], f"<uuid>{ref.uuid}</uuid>", args[1]))
            self.doms[args[0]] = c.define_domain(model)
            return args[0]
        if op == "xml_memory":
            model = c.get_domain_definition(self.dom(args[0]), inactive=args[1])
            return [model.memory, model.id is not None]
        if op == "list":
            from virt.info import DomainFilter

            return sorted([r.name, r.id, int(c.get_domain_state(r)[0])] for r in c.list_domains(DomainFilter()))
        if op.startswith("net_"):
            return self.run_network(op[4:], args, Network)
        if op.startswith("pool_"):
            return self.run_pool(op[5:], args, StoragePool)
        return self.run_volume(op[4:], args, StorageVolume)

    def run_network(self, op: str, args: list[Any], model: Any) -> Any:
        c = self.conn
        if op == "lookup":
            ref = c.lookup_network_by_name(args[0])
            self.nets[args[0]] = ref
            return ref.name
        if op in ("define", "create"):
            parsed = model.from_xml(args[0])
            ref = c.define_network(parsed) if op == "define" else c.create_network(parsed)
            self.nets[ref.name] = ref
            return ref.name
        if op == "list":
            return sorted(
                [r.name, c.is_network_active(r), c.is_network_persistent(r)] for r in c.list_networks(ObjectFilter())
            )
        if op == "set_autostart":
            c.set_network_autostart(self.net(args[0]), args[1])
            return 0
        call = {
            "start": c.start_network,
            "destroy": c.destroy_network,
            "undefine": c.undefine_network,
            "active": c.is_network_active,
            "persistent": c.is_network_persistent,
            "autostart": c.get_network_autostart,
        }[op]
        result = call(self.net(args[0]))
        return 0 if result is None else result

    def run_pool(self, op: str, args: list[Any], model: Any) -> Any:
        c = self.conn
        if op == "lookup":
            ref = c.lookup_storage_pool_by_name(args[0])
            self.pools[args[0]] = ref
            return ref.name
        if op in ("define", "create"):
            parsed = model.from_xml(args[0])
            ref = c.define_storage_pool(parsed) if op == "define" else c.create_storage_pool(parsed)
            self.pools[ref.name] = ref
            return ref.name
        if op == "info":
            info = c.get_storage_pool_info(self.pool(args[0]))
            return [2 if info.active else 0, info.capacity, info.allocation, info.available]
        if op == "list":
            return sorted(
                [r.name, c.get_storage_pool_info(r).active, c.is_storage_pool_persistent(r)]
                for r in c.list_storage_pools(ObjectFilter())
            )
        if op == "set_autostart":
            c.set_storage_pool_autostart(self.pool(args[0]), args[1])
            return 0
        call = {
            "start": c.start_storage_pool,
            "destroy": c.destroy_storage_pool,
            "undefine": c.undefine_storage_pool,
            "persistent": c.is_storage_pool_persistent,
            "autostart": c.get_storage_pool_autostart,
        }[op]
        result = call(self.pool(args[0]))
        return 0 if result is None else result

    def run_volume(self, op: str, args: list[Any], model: Any) -> Any:
        c = self.conn
        if op == "create":
            ref = c.create_storage_volume(self.pool(args[0]), model.from_xml(args[1]))
            return [ref.name, ref.key, c.get_storage_volume_path(ref)]
        if op == "list":
            return sorted(r.name for r in c.list_storage_volumes(self.pool(args[0])))
        if op == "by_key":
            return c.lookup_storage_volume_by_key(args[0]).name
        if op == "by_path":
            return c.lookup_storage_volume_by_path(args[0]).name
        ref = c.lookup_storage_volume_by_name(self.pool(args[0]), args[1])
        if op == "lookup":
            return ref.name
        if op == "info":
            info = c.get_storage_volume_info(ref)
            return [{"file": 0, "block": 1, "network": 3}[info.type], info.capacity, info.allocation]
        if op == "path":
            return c.get_storage_volume_path(ref)
        c.delete_storage_volume(ref)
        return 0


def run_ours(conn: TestConnection, scenario: list[list[Any]]) -> list[dict[str, Any]]:
    runner = OurRunner(conn)
    results: list[dict[str, Any]] = []
    for step in scenario:
        try:
            results.append({"ok": json.loads(json.dumps(runner.run(step)))})
        except VirtError as exc:
            results.append({"error": [int(exc.code), int(exc.domain), exc.message]})
    return results


def run_libvirt(scenario: list[list[Any]]) -> list[dict[str, Any]]:
    if (
        shutil.which(SYSTEM_PYTHON) is None
        or subprocess.run([SYSTEM_PYTHON, "-c", "import libvirt"], capture_output=True).returncode
    ):
        missing_dependency(f"python3-libvirt is not importable by {SYSTEM_PYTHON}")
    done = subprocess.run(
        [SYSTEM_PYTHON, "-c", LIBVIRT_RUNNER], input=json.dumps(scenario), capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "scenario", [DOMAIN_SCENARIO, NETWORK_SCENARIO, STORAGE_SCENARIO], ids=["domains", "networks", "storage"]
)
def test_same_results_as_libvirt(scenario: list[list[Any]], conn: TestConnection) -> None:
    theirs = _comparable(run_libvirt(scenario))
    ours = _comparable(run_ours(conn, scenario))
    mismatches = [
        f"step {i} {step[:2]!r}: libvirt {t} / ours {o}"
        for i, (step, t, o) in enumerate(zip(scenario, theirs, ours, strict=True))
        if t != o
    ]
    assert not mismatches, "\n".join(mismatches)
