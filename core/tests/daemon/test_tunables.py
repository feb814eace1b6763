"""A domain's tunables (virsh memtune, numatune, blkiotune, domiftune, blkdeviotune, perf;
virDomain{Get,Set}{Memory,Numa,Blkio,Interface}Parameters, BlockIoTune, PerfEvents) on virt's test
driver against libvirt 9.0's: python3-libvirt over each daemon and in process, and virt's own API in
process and through its remote client to either daemon."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import virt
from binding_sides import need_binding, session
from virt.daemon.testing import Virtd
from virt.domainchanges import Impact
from virt.domainstats import ParamType, TypedParameter
from virt.errors import VirtError
from virt.testing import Libvirtd

DOMAIN_XML = """<domain type='test'>
  <name>tune</name>
  <memory>1048576</memory>
  <vcpu>1</vcpu>
  <os><type>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <source file='/tmp/tune.img'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:11:22:33'/>
      <source network='default'/>
      <target dev='tunenet0'/>
    </interface>
  </devices>
</domain>"""

# Every call python3-libvirt makes for these APIs, with its result or its error, as JSON lines. Read-write,
# the scenario runs on a domain of its own, defined, started, then removed (the shared host stays as it was).
SESSION = r"""
import json, re, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
uri, readonly, xml = sys.argv[1], sys.argv[2] == "ro", sys.argv[3]
conn = (libvirt.openReadOnly if readonly else libvirt.open)(uri)
if readonly:
    dom = conn.lookupByName("test")
else:
    dom = conn.defineXML(xml)
    dom.create()
without_uuid = lambda xml: re.sub(r"<uuid>.*</uuid>|id='[0-9]+'", "", xml)
LIVE, CONFIG = libvirt.VIR_DOMAIN_AFFECT_LIVE, libvirt.VIR_DOMAIN_AFFECT_CONFIG
MAC = "52:54:00:11:22:33"
calls = [
    ("mem get", lambda: dom.memoryParameters(0)),
    ("mem set", lambda: dom.setMemoryParameters({"hard_limit": 1024, "soft_limit": 512}, 0)),
    ("mem get after", lambda: dom.memoryParameters(0)),
    ("mem get config", lambda: dom.memoryParameters(CONFIG)),
    ("mem set swap below", lambda: dom.setMemoryParameters({"swap_hard_limit": 100}, 0)),
    ("mem set config", lambda: dom.setMemoryParameters({"swap_hard_limit": 4096, "hard_limit": 0}, CONFIG)),
    ("mem get config after", lambda: dom.memoryParameters(CONFIG)),
    ("mem get both", lambda: dom.memoryParameters(LIVE | CONFIG)),
    ("mem get flag 8", lambda: dom.memoryParameters(8)),
    ("mem beyond unlimited", lambda: dom.setMemoryParameters({"soft_limit": 2**60, "swap_hard_limit": 2**59}, 0)),
    ("mem get beyond", lambda: dom.memoryParameters(0)),
    ("numa get", lambda: dom.numaParameters(0)),
    ("numa mode alone", lambda: dom.setNumaParameters({"numa_mode": 1}, 0)),
    ("numa nodeset", lambda: dom.setNumaParameters({"numa_nodeset": "3,1,5-7"}, 0)),
    ("numa get after", lambda: dom.numaParameters(0)),
    ("numa mode live", lambda: dom.setNumaParameters({"numa_mode": 2}, 0)),
    ("numa same mode live", lambda: dom.setNumaParameters({"numa_mode": 0, "numa_nodeset": "2"}, LIVE)),
    ("numa config", lambda: dom.setNumaParameters({"numa_mode": 3, "numa_nodeset": "0-1,^1"}, CONFIG)),
    ("numa config mode", lambda: dom.setNumaParameters({"numa_mode": 1}, CONFIG)),
    ("numa get config", lambda: dom.numaParameters(CONFIG)),
    ("numa bad nodeset", lambda: dom.setNumaParameters({"numa_nodeset": "x"}, 0)),
    ("numa empty nodeset", lambda: dom.setNumaParameters({"numa_nodeset": "1,^1"}, 0)),
    ("numa bad mode", lambda: dom.setNumaParameters({"numa_mode": 9}, 0)),
    ("blkio get", lambda: dom.blkioParameters(0)),
    ("blkio set", lambda: dom.setBlkioParameters(
        {"weight": 500, "device_weight": "/dev/sda,100", "device_read_iops_sec": "/dev/sda,5,/dev/sdb,7",
         "device_write_bytes_sec": "/dev/sdb,9"}, 0)),
    ("blkio get after", lambda: dom.blkioParameters(0)),
    ("blkio some bad", lambda: dom.setBlkioParameters({"device_weight": "/a,x", "device_write_iops_sec": "/b,4"}, 0)),
    ("blkio unparsable", lambda: dom.setBlkioParameters({"device_weight": "/a,5x,/b,4"}, 0)),
    ("blkio negative", lambda: dom.setBlkioParameters({"device_weight": "/a, -5"}, 0)),
    ("blkio merged", lambda: dom.setBlkioParameters({"device_weight": "/dev/sda, +6,/c,0,/dev/sdb,0"}, 0)),
    ("blkio get merged", lambda: dom.blkioParameters(0)),
    ("blkio get config", lambda: dom.blkioParameters(CONFIG)),
    ("if get mac", lambda: dom.interfaceParameters(MAC, 0)),
    ("if get name", lambda: dom.interfaceParameters("tunenet0", 0)),
    ("if get unknown", lambda: dom.interfaceParameters("vnet9", 0)),
    ("if get unknown mac", lambda: dom.interfaceParameters("52:54:00:00:00:01", 0)),
    ("if set", lambda: dom.setInterfaceParameters(MAC, {"inbound.average": 100, "outbound.average": 50,
                                                       "outbound.peak": 70}, 0)),
    ("if get after", lambda: dom.interfaceParameters(MAC, 0)),
    ("if floor", lambda: dom.setInterfaceParameters(MAC, {"inbound.average": 0, "inbound.floor": 3,
                                                         "inbound.burst": 9}, 0)),
    ("if get floor", lambda: dom.interfaceParameters(MAC, 0)),
    ("if clear", lambda: dom.setInterfaceParameters(MAC, {"outbound.average": 0}, 0)),
    ("if get cleared", lambda: dom.interfaceParameters(MAC, 0)),
    ("if get config", lambda: dom.interfaceParameters(MAC, CONFIG)),
    ("io get", lambda: dom.blockIoTune("vdb", 0)),
    ("io get path", lambda: dom.blockIoTune("/tmp/tune.img", 0)),
    ("io get missing", lambda: dom.blockIoTune("vdz", 0)),
    ("io set missing", lambda: dom.setBlockIoTune("vdz", {"read_bytes_sec": 1}, 0)),
    ("io set unbounded", lambda: dom.setBlockIoTune("vdb", {"total_bytes_sec": 1000}, 0)),
    ("io set", lambda: dom.setBlockIoTune("vdb", {"total_bytes_sec": 1000, "total_bytes_sec_max": 2000,
                                                  "group_name": "g", "size_iops_sec": 5}, 0)),
    ("io get after", lambda: dom.blockIoTune("vdb", 0)),
    ("io total and read", lambda: dom.setBlockIoTune("vdb", {"read_bytes_sec": 10, "read_bytes_sec_max": 20}, 0)),
    ("io iops", lambda: dom.setBlockIoTune("vdb", {"total_iops_sec": 1, "write_iops_sec": 2}, 0)),
    ("io too big", lambda: dom.setBlockIoTune("vdb", {"read_bytes_sec": 10**16}, 0)),
    ("io config", lambda: dom.setBlockIoTune("/tmp/tune.img", {"read_iops_sec": 3, "read_iops_sec_max": 4}, CONFIG)),
    ("io empty group", lambda: dom.setBlockIoTune("vdb", {"group_name": ""}, CONFIG)),
    ("io get config", lambda: dom.blockIoTune("vdb", CONFIG)),
    ("perf get", lambda: dom.perfEvents(0)),
    ("perf set", lambda: dom.setPerfEvents({"cmt": True, "cpu_cycles": False, "emulation_faults": True}, 0)),
    ("perf get after", lambda: dom.perfEvents(0)),
    ("perf get config", lambda: dom.perfEvents(CONFIG)),
    ("perf flag 8", lambda: dom.perfEvents(8)),
    ("xml", lambda: without_uuid(dom.XMLDesc(0))),
    ("xml inactive", lambda: without_uuid(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))),
]
if not readonly:
    calls += [("destroy", lambda: dom.destroy()), ("undefine", lambda: dom.undefine())]
for name, call in calls:
    try:
        print(json.dumps([name, "ok", call()]))
    except libvirt.libvirtError as exc:
        print(json.dumps([name, "error", exc.get_error_code(), exc.get_error_domain(), exc.get_error_message()]))
"""


def _session(uri: str, readonly: bool = False) -> list[list[object]]:
    return session(SESSION, uri, "ro" if readonly else "rw", DOMAIN_XML)


@pytest.mark.parametrize("readonly", [False, True], ids=["read-write", "read-only"])
def test_python3_libvirt_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd], readonly: bool) -> None:
    ours, reference = daemons
    expected = _session(reference.uri(readonly=readonly), readonly)
    got = _session(ours.uri(readonly=readonly), readonly)
    for want, have in zip(expected, got, strict=True):
        assert have == want
    assert ["mem set", "ok", 0] in expected or readonly
    assert readonly == any(row[:2] == ["mem set", "error"] for row in expected)


def test_python3_libvirt_in_process() -> None:
    """The binding on libvirt's own test:///default: the answers virt's test driver gives."""
    need_binding()
    results = {row[0]: row[1:] for row in _session("test:///default")}
    assert results["mem get after"] == [
        "ok",
        {"hard_limit": 1024, "soft_limit": 512, "swap_hard_limit": 9007199254740991},
    ]
    assert results["io set unbounded"] == [
        "error",
        8,
        12,
        "invalid argument: total_bytes_sec cannot be set higher than total_bytes_sec_max ",
    ]
    with virt.open("test:///default") as conn:
        ours = _virt_session(conn)
    # the binding asks the disk's parameters (for their types) before it changes them, and fails there
    assert results.pop("io set missing")[-1] == "invalid argument: disk 'vdz' was not found in the domain config"
    assert ours.pop("io set missing")[-1] == "invalid argument: missing persistent configuration for disk 'vdz'"
    assert ours == results


def _virt_session(conn: virt.Connection) -> dict[str, list[Any]]:
    """The binding's scenario through virt's API, its answers written as the binding's."""
    dom = conn.define_domain(DOMAIN_XML)
    dom.start()
    mac = "52:54:00:11:22:33"
    u, ull, s, i = ParamType.UINT, ParamType.ULLONG, ParamType.STRING, ParamType.INT

    def params(type_: ParamType | dict[str, ParamType], **values: Any) -> list[TypedParameter]:
        return [
            TypedParameter(k.replace("__", "."), type_ if isinstance(type_, ParamType) else type_[k], v)
            for k, v in values.items()
        ]

    live, config, current = Impact.LIVE, Impact.CONFIG, Impact.CURRENT
    numa = {"numa_mode": i, "numa_nodeset": s}
    calls: list[tuple[str, Callable[[], Any]]] = [
        ("mem get", lambda: dom.memory_parameters()),
        ("mem set", lambda: dom.set_memory_parameters(params(ull, hard_limit=1024, soft_limit=512))),
        ("mem get after", lambda: dom.memory_parameters()),
        ("mem get config", lambda: dom.memory_parameters(config)),
        ("mem set swap below", lambda: dom.set_memory_parameters(params(ull, swap_hard_limit=100))),
        ("mem set config", lambda: dom.set_memory_parameters(params(ull, swap_hard_limit=4096, hard_limit=0), config)),
        ("mem get config after", lambda: dom.memory_parameters(config)),
        ("mem get both", lambda: dom.memory_parameters(live | config)),
        ("mem get flag 8", lambda: dom.memory_parameters(Impact(8))),
        (
            "mem beyond unlimited",
            lambda: dom.set_memory_parameters(params(ull, soft_limit=2**60, swap_hard_limit=2**59)),
        ),
        ("mem get beyond", lambda: dom.memory_parameters()),
        ("numa get", lambda: dom.numa_parameters()),
        ("numa mode alone", lambda: dom.set_numa_parameters(params(numa, numa_mode=1))),
        ("numa nodeset", lambda: dom.set_numa_parameters(params(numa, numa_nodeset="3,1,5-7"))),
        ("numa get after", lambda: dom.numa_parameters()),
        ("numa mode live", lambda: dom.set_numa_parameters(params(numa, numa_mode=2))),
        ("numa same mode live", lambda: dom.set_numa_parameters(params(numa, numa_mode=0, numa_nodeset="2"), live)),
        ("numa config", lambda: dom.set_numa_parameters(params(numa, numa_mode=3, numa_nodeset="0-1,^1"), config)),
        ("numa config mode", lambda: dom.set_numa_parameters(params(numa, numa_mode=1), config)),
        ("numa get config", lambda: dom.numa_parameters(config)),
        ("numa bad nodeset", lambda: dom.set_numa_parameters(params(numa, numa_nodeset="x"))),
        ("numa empty nodeset", lambda: dom.set_numa_parameters(params(numa, numa_nodeset="1,^1"))),
        ("numa bad mode", lambda: dom.set_numa_parameters(params(numa, numa_mode=9))),
        ("blkio get", lambda: dom.blkio_parameters()),
        (
            "blkio set",
            lambda: dom.set_blkio_parameters(
                params(u, weight=500)
                + params(
                    s,
                    device_weight="/dev/sda,100",
                    device_read_iops_sec="/dev/sda,5,/dev/sdb,7",
                    device_write_bytes_sec="/dev/sdb,9",
                )
            ),
        ),
        ("blkio get after", lambda: dom.blkio_parameters()),
        (
            "blkio some bad",
            lambda: dom.set_blkio_parameters(params(s, device_weight="/a,x", device_write_iops_sec="/b,4")),
        ),
        ("blkio unparsable", lambda: dom.set_blkio_parameters(params(s, device_weight="/a,5x,/b,4"))),
        ("blkio negative", lambda: dom.set_blkio_parameters(params(s, device_weight="/a, -5"))),
        ("blkio merged", lambda: dom.set_blkio_parameters(params(s, device_weight="/dev/sda, +6,/c,0,/dev/sdb,0"))),
        ("blkio get merged", lambda: dom.blkio_parameters()),
        ("blkio get config", lambda: dom.blkio_parameters(config)),
        ("if get mac", lambda: dom.interface_parameters(mac)),
        ("if get name", lambda: dom.interface_parameters("tunenet0")),
        ("if get unknown", lambda: dom.interface_parameters("vnet9")),
        ("if get unknown mac", lambda: dom.interface_parameters("52:54:00:00:00:01")),
        (
            "if set",
            lambda: dom.set_interface_parameters(
                mac, params(u, inbound__average=100, outbound__average=50, outbound__peak=70)
            ),
        ),
        ("if get after", lambda: dom.interface_parameters(mac)),
        (
            "if floor",
            lambda: dom.set_interface_parameters(
                mac, params(u, inbound__average=0, inbound__floor=3, inbound__burst=9)
            ),
        ),
        ("if get floor", lambda: dom.interface_parameters(mac)),
        ("if clear", lambda: dom.set_interface_parameters(mac, params(u, outbound__average=0))),
        ("if get cleared", lambda: dom.interface_parameters(mac)),
        ("if get config", lambda: dom.interface_parameters(mac, config)),
        ("io get", lambda: dom.block_io_tune("vdb")),
        ("io get path", lambda: dom.block_io_tune("/tmp/tune.img")),
        ("io get missing", lambda: dom.block_io_tune("vdz")),
        ("io set missing", lambda: dom.set_block_io_tune("vdz", params(ull, read_bytes_sec=1))),
        ("io set unbounded", lambda: dom.set_block_io_tune("vdb", params(ull, total_bytes_sec=1000))),
        (
            "io set",
            lambda: dom.set_block_io_tune(
                "vdb",
                params(ull, total_bytes_sec=1000, total_bytes_sec_max=2000)
                + params(s, group_name="g")
                + params(ull, size_iops_sec=5),
            ),
        ),
        ("io get after", lambda: dom.block_io_tune("vdb")),
        (
            "io total and read",
            lambda: dom.set_block_io_tune("vdb", params(ull, read_bytes_sec=10, read_bytes_sec_max=20)),
        ),
        ("io iops", lambda: dom.set_block_io_tune("vdb", params(ull, total_iops_sec=1, write_iops_sec=2))),
        ("io too big", lambda: dom.set_block_io_tune("vdb", params(ull, read_bytes_sec=10**16))),
        (
            "io config",
            lambda: dom.set_block_io_tune("/tmp/tune.img", params(ull, read_iops_sec=3, read_iops_sec_max=4), config),
        ),
        ("io empty group", lambda: dom.set_block_io_tune("vdb", params(s, group_name=""), config)),
        ("io get config", lambda: dom.block_io_tune("vdb", config)),
        ("perf get", lambda: dom.perf_events()),
        (
            "perf set",
            lambda: dom.set_perf_events(
                params(ParamType.BOOLEAN, cmt=True, cpu_cycles=False, emulation_faults=True), current
            ),
        ),
        ("perf get after", lambda: dom.perf_events()),
        ("perf get config", lambda: dom.perf_events(config)),
        ("perf flag 8", lambda: dom.perf_events(Impact(8))),
        ("xml", lambda: _without_uuid(dom.xml())),
        ("xml inactive", lambda: _without_uuid(dom.xml(inactive=True))),
        ("destroy", lambda: dom.destroy()),
        ("undefine", lambda: dom.undefine()),
    ]
    results: dict[str, list[Any]] = {}
    for name, call in calls:
        try:
            value = call()
        except VirtError as exc:
            results[name] = ["error", int(exc.code), int(exc.domain), exc.message]
            continue
        if isinstance(value, list):
            value = {p.field: p.value for p in value}
        results[name] = ["ok", 0 if value is None else value]
    return json.loads(json.dumps(results))


def _without_uuid(xml: str) -> str:
    return re.sub(r"<uuid>.*</uuid>|id='[0-9]+'", "", xml)


def test_virt_remote_client_against_each_daemon(daemons: tuple[Virtd, Libvirtd]) -> None:
    """virt's API through its remote client answers as in process, from libvirtd and from virtd alike."""
    ours, reference = daemons
    with virt.open(reference.uri()) as conn:
        expected = _virt_session(conn)
    with virt.open(ours.uri()) as conn:
        assert _virt_session(conn) == expected
    with virt.open("test:///default") as conn:
        assert _virt_session(conn) == expected
    assert expected["io get after"][1]["group_name"] == "g"
    assert expected["mem get beyond"][1]["soft_limit"] == 2**60


def test_public_api_checks() -> None:
    with virt.open("test:///default") as conn, virt.open("test:///default", readonly=True) as readonly_conn:
        dom = conn.lookup_domain_by_name("test")
        with pytest.raises(VirtError, match=r"^nparams in virDomainSetMemoryParameters must be greater than zero$"):
            dom.set_memory_parameters([])
        with pytest.raises(VirtError, match=r"string parameter name .x+. too long"):
            dom.set_numa_parameters([TypedParameter("x" * 80, ParamType.INT, 1)])
        with pytest.raises(VirtError, match=r"^argument unsupported: parameter 'min_guarantee' not supported$"):
            dom.set_memory_parameters([TypedParameter("min_guarantee", ParamType.ULLONG, 1)])
        with pytest.raises(VirtError, match=r"invalid type 'uint' for parameter 'cmt', expected 'boolean'"):
            dom.set_perf_events([TypedParameter("cmt", ParamType.UINT, 1)])
        ro = readonly_conn.lookup_domain_by_name("test")
        assert ro.perf_events()[0] == TypedParameter("cmt", ParamType.BOOLEAN, False)
        with pytest.raises(VirtError, match=r"read only access prevents virDomainSetBlockIoTune$"):
            ro.set_block_io_tune("vda", [TypedParameter("read_bytes_sec", ParamType.ULLONG, 1)])


def _refusals(conn: virt.Connection) -> list[list[Any]]:
    """Changes libvirt refuses before or in its test driver, whatever their domain's state."""
    dom = conn.lookup_domain_by_name("test")
    ull = ParamType.ULLONG
    calls: list[Callable[[], None]] = [
        lambda: dom.set_perf_events([]),
        lambda: dom.set_block_io_tune("vda", []),
        lambda: dom.set_memory_parameters([]),
        lambda: dom.set_interface_parameters("testnet0", []),
        lambda: dom.set_numa_parameters([]),
        lambda: dom.set_blkio_parameters([]),
        lambda: dom.set_memory_parameters([TypedParameter("hard_limit", ParamType.UINT, 1)]),
        lambda: dom.set_memory_parameters([TypedParameter("min_guarantee", ull, 1)]),
        lambda: dom.set_memory_parameters([TypedParameter("soft_limit", ull, 1)] * 2),
        lambda: dom.set_perf_events([TypedParameter("nope", ParamType.BOOLEAN, True)]),
        lambda: dom.set_block_io_tune("vda", [TypedParameter("group_name", ull, 1)]),
        lambda: dom.set_interface_parameters("testnet0", [TypedParameter("inbound.average", ull, 1)]),
        lambda: dom.set_memory_parameters([TypedParameter("soft_limit", ull, 1)], Impact(8)),
        lambda: dom.set_memory_parameters([TypedParameter("soft_limit", ull, 1)], Impact.LIVE | Impact.CONFIG),
    ]
    results = []
    for call in calls:
        with pytest.raises(VirtError) as caught:
            call()
        results.append([int(caught.value.code), int(caught.value.domain), caught.value.message])
    return results


def test_refusals_as_libvirt_refuses_them(daemons: tuple[Virtd, Libvirtd]) -> None:
    ours, reference = daemons
    with virt.open(reference.uri()) as conn:
        expected = _refusals(conn)
    with virt.open(ours.uri()) as conn:
        assert _refusals(conn) == expected
    with virt.open("test:///default") as conn:
        assert _refusals(conn) == expected
    assert expected[0][2] == "params in virDomainSetPerfEvents must not be NULL"
