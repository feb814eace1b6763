"""The dispatcher's domain procedures on test:///default, with stand-in clients.

Expected answers and errors are those Debian's libvirtd 9.0 gives on the wire for the same calls.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from dispatch_helpers import FakeClient, Remote
from virt.errors import ErrorDomain, ErrorNumber
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.testing import missing_dependency

DOMAIN_XML = """<domain type='test'>
  <name>dx1</name>
  <uuid>11111111-2222-3333-4444-555555555555</uuid>
  <memory unit='KiB'>262144</memory>
  <vcpu current='1'>3</vcpu>
  <os><type arch='i686'>hvm</type></os>
</domain>
"""
TEST_UUID = uuid.UUID("6695eb01-f6a4-8304-79aa-97f2502e193f")  # the default host's running domain "test"


def _dom(front: Remote, client: FakeClient, name: str) -> dict[str, Any]:
    dom: dict[str, Any] = front.call(client, P.DOMAIN_LOOKUP_BY_NAME, {"name": name})["dom"]
    return dom


def _defined(front: Remote, client: FakeClient) -> dict[str, Any]:
    dom: dict[str, Any] = front.call(client, P.DOMAIN_DEFINE_XML, {"xml": DOMAIN_XML})["dom"]
    return dom


def _error(front: Remote, client: FakeClient, procedure: P, args: Any) -> tuple[int, int, str]:
    error = front.error(client, procedure, args)
    return error["code"], error["domain"], error["message"]


def test_list_all_domains_with_filters(front: Remote, client: FakeClient) -> None:
    _defined(front, client)

    def names(flags: int, need_results: int = 1) -> tuple[list[str], int]:
        reply = front.call(client, P.CONNECT_LIST_ALL_DOMAINS, {"need_results": need_results, "flags": flags})
        return sorted(d["name"] for d in reply["domains"]), reply["ret"]

    assert names(0) == (["dx1", "test"], 2)
    assert names(1) == (["test"], 1)  # active
    assert names(2) == (["dx1"], 1)  # inactive
    assert names(1 | 2) == (["dx1", "test"], 2)  # both: no filter
    assert names(16) == (["test"], 1)  # running
    assert names(64) == (["dx1"], 1)  # shut off
    assert names(8) == ([], 0)  # transient
    assert names(16384) == ([], 0)  # with a checkpoint: none has one yet
    assert names(32768) == (["dx1", "test"], 2)  # without one
    assert names(0, need_results=0) == ([], 2)
    dom = _dom(front, client, "test")
    assert dom == {"name": "test", "uuid": TEST_UUID, "id": 1}
    assert _error(front, client, P.CONNECT_LIST_ALL_DOMAINS, {"need_results": 1, "flags": 1 << 30}) == (
        ErrorNumber.INVALID_ARG,
        ErrorDomain.TEST,
        "unsupported flags (0x40000000) in function testConnectListAllDomains",
    )


def test_old_listing_calls(front: Remote, client: FakeClient) -> None:
    _defined(front, client)
    assert front.call(client, P.CONNECT_NUM_OF_DOMAINS) == {"num": 1}
    assert front.call(client, P.CONNECT_LIST_DOMAINS, {"maxids": 10}) == {"ids": [1]}
    assert front.call(client, P.CONNECT_LIST_DOMAINS, {"maxids": 0}) == {"ids": []}
    assert front.call(client, P.CONNECT_NUM_OF_DEFINED_DOMAINS) == {"num": 1}
    assert front.call(client, P.CONNECT_LIST_DEFINED_DOMAINS, {"maxnames": 5}) == {"names": ["dx1"]}
    assert _error(front, client, P.CONNECT_LIST_DOMAINS, {"maxids": 100000}) == (
        ErrorNumber.RPC,
        ErrorDomain.RPC,
        "maxids > REMOTE_DOMAIN_LIST_MAX",
    )
    assert _error(front, client, P.CONNECT_LIST_DOMAINS, {"maxids": -1})[2] == "maxids must be non-negative"


def test_lookups(front: Remote, client: FakeClient) -> None:
    expected = {"dom": {"name": "test", "uuid": TEST_UUID, "id": 1}}
    assert front.call(client, P.DOMAIN_LOOKUP_BY_ID, {"id": 1}) == expected
    assert front.call(client, P.DOMAIN_LOOKUP_BY_UUID, {"uuid": TEST_UUID}) == expected
    assert _error(front, client, P.DOMAIN_LOOKUP_BY_NAME, {"name": "nope"}) == (
        ErrorNumber.NO_DOMAIN,
        ErrorDomain.TEST,
        "Domain not found",
    )


def test_the_domain_is_found_by_uuid_whatever_name_the_reference_carries(front: Remote, client: FakeClient) -> None:
    dom = _dom(front, client, "test")
    info = front.call(client, P.DOMAIN_GET_INFO, {"dom": {**dom, "name": "other"}})
    assert info["nrVirtCpu"] == 2
    missing = {**dom, "uuid": uuid.UUID("f108c80f-537c-47c3-8312-78b62af49127")}
    code, domain, message = _error(front, client, P.DOMAIN_GET_INFO, {"dom": missing})
    assert (code, domain) == (ErrorNumber.NO_DOMAIN, ErrorDomain.TEST)
    assert message == "Domain not found: no domain with matching uuid 'f108c80f-537c-47c3-8312-78b62af49127' (test)"


def test_define_start_lifecycle_and_undefine(front: Remote, client: FakeClient) -> None:
    dom = _defined(front, client)
    assert dom == {"name": "dx1", "uuid": uuid.UUID("11111111-2222-3333-4444-555555555555"), "id": -1}
    assert front.call(client, P.DOMAIN_GET_STATE, {"dom": dom, "flags": 0}) == {"state": 5, "reason": 0}
    assert front.call(client, P.DOMAIN_IS_ACTIVE, {"dom": dom}) == {"active": 0}
    assert front.call(client, P.DOMAIN_IS_PERSISTENT, {"dom": dom}) == {"persistent": 1}
    started = front.call(client, P.DOMAIN_CREATE_WITH_FLAGS, {"dom": dom, "flags": 0})["dom"]
    assert started["id"] > 0
    assert front.call(client, P.DOMAIN_GET_STATE, {"dom": dom, "flags": 0}) == {"state": 1, "reason": 1}
    front.call(client, P.DOMAIN_SUSPEND, {"dom": dom})
    assert front.call(client, P.DOMAIN_GET_STATE, {"dom": dom, "flags": 0}) == {"state": 3, "reason": 1}
    front.call(client, P.DOMAIN_RESUME, {"dom": dom})
    assert front.call(client, P.DOMAIN_GET_STATE, {"dom": dom, "flags": 0}) == {"state": 1, "reason": 5}
    front.call(client, P.DOMAIN_SHUTDOWN, {"dom": dom})
    assert front.call(client, P.DOMAIN_GET_STATE, {"dom": dom, "flags": 0}) == {"state": 5, "reason": 1}
    front.call(client, P.DOMAIN_CREATE, {"dom": dom})
    front.call(client, P.DOMAIN_DESTROY, {"dom": dom})
    assert front.call(client, P.DOMAIN_GET_STATE, {"dom": dom, "flags": 0}) == {"state": 5, "reason": 2}
    assert front.call(client, P.DOMAIN_SNAPSHOT_NUM, {"dom": dom, "flags": 0}) == {"num": 0}
    assert front.call(client, P.DOMAIN_HAS_MANAGED_SAVE_IMAGE, {"dom": dom, "flags": 0}) == {"result": 0}
    front.call(client, P.DOMAIN_UNDEFINE_FLAGS, {"dom": dom, "flags": 0})
    assert _error(front, client, P.DOMAIN_LOOKUP_BY_NAME, {"name": "dx1"})[0] == ErrorNumber.NO_DOMAIN


def test_driver_errors_come_back_unchanged(front: Remote, client: FakeClient) -> None:
    dom = _defined(front, client)
    assert _error(front, client, P.DOMAIN_DESTROY, {"dom": dom}) == (
        ErrorNumber.OPERATION_INVALID,
        ErrorDomain.DOMAIN,
        "Requested operation is not valid: domain is not running",
    )
    front.call(client, P.DOMAIN_UNDEFINE, {"dom": dom})


def test_create_xml_makes_a_transient_running_domain(front: Remote, client: FakeClient) -> None:
    xml = DOMAIN_XML.replace("dx1", "dx2").replace("11111111", "21111111")
    dom = front.call(client, P.DOMAIN_CREATE_XML, {"xml_desc": xml, "flags": 0})["dom"]
    assert dom["id"] > 0
    assert front.call(client, P.DOMAIN_IS_PERSISTENT, {"dom": dom}) == {"persistent": 0}
    front.call(client, P.DOMAIN_DESTROY_FLAGS, {"dom": dom, "flags": 0})
    assert _error(front, client, P.DOMAIN_LOOKUP_BY_NAME, {"name": "dx2"})[0] == ErrorNumber.NO_DOMAIN


@pytest.mark.parametrize(
    ("procedure", "flags", "function"),
    [
        (P.DOMAIN_CREATE_WITH_FLAGS, 1, "testDomainCreateWithFlags"),
        (P.DOMAIN_DESTROY_FLAGS, 2, "testDomainDestroyFlags"),
        (P.DOMAIN_UNDEFINE_FLAGS, 4, "testDomainUndefineFlags"),
        (P.DOMAIN_GET_XML_DESC, 4, "testDomainGetXMLDesc"),
        (P.DOMAIN_GET_STATE, 1, "testDomainGetState"),
        (P.DOMAIN_HAS_MANAGED_SAVE_IMAGE, 1, "testDomainHasManagedSaveImage"),
        (P.DOMAIN_GET_MESSAGES, 4, "testDomainGetMessages"),
        (P.DOMAIN_SNAPSHOT_NUM, 0xFFFF, "testDomainSnapshotNum"),
        (P.DOMAIN_SHUTDOWN_FLAGS, 64, "testDomainShutdownFlags"),
        (P.DOMAIN_GET_VCPUS_FLAGS, 16, "testDomainGetVcpusFlags"),
    ],
)
def test_unknown_flags_are_refused_in_the_drivers_words(
    front: Remote, client: FakeClient, procedure: P, flags: int, function: str
) -> None:
    dom = _dom(front, client, "test")
    code, domain, message = _error(front, client, procedure, {"dom": dom, "flags": flags})
    unknown = 0xF800 if procedure == P.DOMAIN_SNAPSHOT_NUM else flags
    assert (code, domain, message) == (
        ErrorNumber.INVALID_ARG,
        ErrorDomain.TEST,
        f"unsupported flags (0x{unknown:x}) in function {function}",
    )


def test_shutdown_modes_reach_the_driver(front: Remote, client: FakeClient) -> None:
    dom = _dom(front, client, "test")
    # the test driver takes no shutdown mode and says so, naming the mode asked for
    assert _error(front, client, P.DOMAIN_SHUTDOWN_FLAGS, {"dom": dom, "flags": 2}) == (
        ErrorNumber.INVALID_ARG,
        ErrorDomain.TEST,
        "unsupported flags (0x2) in function testDomainShutdownFlags",
    )
    # while it takes every reboot mode
    front.call(client, P.DOMAIN_REBOOT, {"dom": dom, "flags": 1})
    assert front.call(client, P.DOMAIN_GET_STATE, {"dom": dom, "flags": 0})["state"] == 1


def test_facts(front: Remote, client: FakeClient) -> None:
    dom = _dom(front, client, "test")
    info = front.call(client, P.DOMAIN_GET_INFO, {"dom": dom})
    assert (info["state"], info["maxMem"], info["memory"], info["nrVirtCpu"]) == (1, 8388608, 2097152, 2)
    assert info["cpuTime"] > 0
    assert front.call(client, P.DOMAIN_GET_OS_TYPE, {"dom": dom}) == {"type": "linux"}
    assert front.call(client, P.DOMAIN_GET_MAX_MEMORY, {"dom": dom}) == {"memory": 8388608}
    assert front.call(client, P.DOMAIN_GET_MAX_VCPUS, {"dom": dom}) == {"num": 2}
    assert front.call(client, P.DOMAIN_IS_UPDATED, {"dom": dom}) == {"updated": 0}
    assert front.call(client, P.DOMAIN_GET_MESSAGES, {"dom": dom, "flags": 0}) == {"msgs": []}
    assert front.call(client, P.DOMAIN_GET_SECURITY_LABEL, {"dom": dom}) == {"label": "libvirt-test", "enforcing": 1}
    assert front.call(client, P.DOMAIN_GET_AUTOSTART, {"dom": dom}) == {"autostart": 0}
    front.call(client, P.DOMAIN_SET_AUTOSTART, {"dom": dom, "autostart": 5})
    assert front.call(client, P.DOMAIN_GET_AUTOSTART, {"dom": dom}) == {"autostart": 1}
    xml = front.call(client, P.DOMAIN_GET_XML_DESC, {"dom": dom, "flags": 0})["xml"]
    assert xml.startswith("<domain type='test' id='1'>")
    inactive = front.call(client, P.DOMAIN_GET_XML_DESC, {"dom": dom, "flags": 2})["xml"]
    assert inactive.startswith("<domain type='test'>")


def test_vcpus_by_flags(front: Remote, client: FakeClient) -> None:
    dom = _defined(front, client)

    def vcpus(flags: int) -> int:
        answer: int = front.call(client, P.DOMAIN_GET_VCPUS_FLAGS, {"dom": dom, "flags": flags})["num"]
        return answer

    assert (vcpus(0), vcpus(2), vcpus(4), vcpus(6)) == (1, 1, 3, 3)
    assert _error(front, client, P.DOMAIN_GET_VCPUS_FLAGS, {"dom": dom, "flags": 1}) == (
        ErrorNumber.OPERATION_INVALID,
        ErrorDomain.DOMAIN,
        "Requested operation is not valid: domain is not running",
    )
    assert _error(front, client, P.DOMAIN_GET_VCPUS_FLAGS, {"dom": dom, "flags": 3}) == (
        ErrorNumber.INVALID_ARG,
        ErrorDomain.DOMAIN,
        "Flags 'VIR_DOMAIN_AFFECT_LIVE' and 'VIR_DOMAIN_AFFECT_CONFIG' are mutually exclusive",
    )
    assert _error(front, client, P.DOMAIN_GET_MAX_VCPUS, {"dom": dom})[0] == ErrorNumber.OPERATION_INVALID
    front.call(client, P.DOMAIN_CREATE, {"dom": dom})
    assert (vcpus(0), vcpus(1), vcpus(5)) == (1, 1, 3)
    assert front.call(client, P.DOMAIN_GET_MAX_VCPUS, {"dom": dom}) == {"num": 3}
    front.call(client, P.DOMAIN_DESTROY, {"dom": dom})
    front.call(client, P.DOMAIN_UNDEFINE, {"dom": dom})


def test_define_with_validation(front: Remote, client: FakeClient) -> None:
    from virt.xml.schema import schema_dir

    if schema_dir() is None:
        missing_dependency("libvirt's RelaxNG schemas are not installed (Debian package libvirt0)")
    bad = "<domain type='test'><name>x</name><bogus/><memory>1</memory></domain>"
    code, domain, message = _error(front, client, P.DOMAIN_DEFINE_XML_FLAGS, {"xml": bad, "flags": 1})
    assert (code, domain) == (ErrorNumber.XML_INVALID_SCHEMA, ErrorDomain.XML)
    assert message.startswith("XML document failed to validate against schema: Unable to validate doc against ")
    assert "bogus" in message
    dom = front.call(client, P.DOMAIN_DEFINE_XML_FLAGS, {"xml": DOMAIN_XML, "flags": 1})["dom"]
    front.call(client, P.DOMAIN_UNDEFINE, {"dom": dom})


def test_define_with_validation_and_no_schema_is_refused(
    front: Remote, client: FakeClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIRT_SCHEMA_DIR", str(tmp_path))
    assert _error(front, client, P.DOMAIN_DEFINE_XML_FLAGS, {"xml": DOMAIN_XML, "flags": 1}) == (
        ErrorNumber.XML_INVALID_SCHEMA,
        ErrorDomain.XML,
        "XML document failed to validate against schema: cannot validate <domain>: "
        f"RelaxNG schema domain.rng not found in VIRT_SCHEMA_DIR={tmp_path}",
    )


def test_read_only_clients_read_but_change_nothing(front: Remote) -> None:
    reader = front.open(FakeClient(readonly=True))
    dom = _dom(front, reader, "test")
    assert front.call(reader, P.DOMAIN_GET_STATE, {"dom": dom, "flags": 0})["state"] == 1
    assert _error(front, reader, P.DOMAIN_DESTROY, {"dom": dom}) == (
        ErrorNumber.OPERATION_DENIED,
        ErrorDomain.DOMAIN,
        "operation forbidden: read only access prevents virDomainDestroy",
    )
    assert _error(front, reader, P.DOMAIN_DEFINE_XML, {"xml": DOMAIN_XML})[2] == (
        "operation forbidden: read only access prevents virDomainDefineXML"
    )
    assert _error(front, reader, P.DOMAIN_GET_XML_DESC, {"dom": dom, "flags": 1}) == (
        ErrorNumber.OPERATION_DENIED,
        ErrorDomain.DOMAIN,
        "operation forbidden: virDomainGetXMLDesc with secure flag",
    )
    assert front.call(reader, P.DOMAIN_GET_STATE, {"dom": dom, "flags": 0})["state"] == 1


def test_open_flag_makes_a_read_only_connection(front: Remote) -> None:
    reader = front.open(FakeClient(), flags=1)
    dom = _dom(front, reader, "test")
    assert _error(front, reader, P.DOMAIN_SUSPEND, {"dom": dom})[2] == (
        "operation forbidden: read only access prevents virDomainSuspend"
    )


def test_the_memory_statistics_period_on_the_wire(front: Remote, client: FakeClient) -> None:
    """libvirtd hands the call to virDomainSetMemoryStatsPeriod, which refuses a negative period
    before the driver looks at the flags (clients check it too, so only a raw call shows it)."""
    dom = _dom(front, client, "test")
    args = {"dom": dom, "period": -1, "flags": 4}
    assert _error(front, client, P.DOMAIN_SET_MEMORY_STATS_PERIOD, args) == (
        ErrorNumber.INVALID_ARG,
        ErrorDomain.DOMAIN,
        "period in virDomainSetMemoryStatsPeriod must be zero or greater",
    )
    args = {"dom": dom, "period": 4, "flags": 4}
    assert _error(front, client, P.DOMAIN_SET_MEMORY_STATS_PERIOD, args)[2] == (
        "unsupported flags (0x4) in function testDomainSetMemoryStatsPeriod"
    )
    front.call(client, P.DOMAIN_SET_MEMORY_STATS_PERIOD, {"dom": dom, "period": 4, "flags": 0})
    xml = front.call(client, P.DOMAIN_GET_XML_DESC, {"dom": dom, "flags": 0})["xml"]
    assert "<stats period='4'/>" in xml
    reader = front.open(FakeClient(readonly=True))
    refused = _error(front, reader, P.DOMAIN_SET_MEMORY_STATS_PERIOD, {"dom": dom, "period": 1, "flags": 0})
    assert refused[0] == ErrorNumber.OPERATION_DENIED
