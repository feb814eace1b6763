"""Host interface procedures in the dispatcher: the ACL by API name, the read-only socket's refusals,
flags refused in the test driver's words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dispatch_helpers import ROOT, FakeClient, Remote, remote
from virt.daemon.acl import ACL
from virt.daemon.auth import Identity
from virt.errors import ErrorDomain, ErrorNumber
from virt.remote.procedure_numbers import RemoteProcedure as P

ALICE = Identity("unix", uid=1001, gid=1001, pid=2, user="alice", groups=("alice",))
ETH1 = {"name": "eth1", "mac": "aa:bb:cc:dd:ee:ff"}


@pytest.fixture
def front(tmp_path: Path) -> Iterator[Remote]:
    acl = ACL.parse(
        {
            "rule": [
                {"users": ["root"], "allow": ["*"]},
                {"users": ["alice"], "allow": ["virConnect*", "virInterfaceLookup*", "virInterfaceGetXMLDesc"]},
            ]
        }
    )
    with remote(tmp_path, acl) as made:
        yield made


def test_the_acl_grants_interface_calls_by_their_api_names(front: Remote) -> None:
    alice = front.open(FakeClient(identity=ALICE))
    assert front.call(alice, P.INTERFACE_LOOKUP_BY_NAME, {"name": "eth1"}) == {"iface": ETH1}
    assert (
        "<mac address='aa:bb:cc:dd:ee:ff'/>"
        in front.call(alice, P.INTERFACE_GET_XML_DESC, {"iface": ETH1, "flags": 0})["xml"]
    )
    listed = front.call(alice, P.CONNECT_LIST_ALL_INTERFACES, {"need_results": 1, "flags": 0})
    assert listed == {"ifaces": [ETH1], "ret": 1}
    error = front.error(alice, P.INTERFACE_DESTROY, {"iface": ETH1, "flags": 0})
    assert (error["code"], error["domain"]) == (ErrorNumber.ACCESS_DENIED, ErrorDomain.ACCESS)
    assert "virInterfaceDestroy" in error["message"]
    root = front.open(FakeClient(identity=ROOT))
    assert front.call(root, P.INTERFACE_DESTROY, {"iface": ETH1, "flags": 0}) is None
    assert front.call(root, P.INTERFACE_IS_ACTIVE, {"iface": ETH1}) == {"active": 0}


def test_old_listing_calls_and_their_limits(front: Remote) -> None:
    root = front.open(FakeClient(identity=ROOT))
    assert front.call(root, P.CONNECT_NUM_OF_INTERFACES) == {"num": 1}
    assert front.call(root, P.CONNECT_LIST_INTERFACES, {"maxnames": 0}) == {"names": []}
    assert front.call(root, P.CONNECT_LIST_INTERFACES, {"maxnames": 5}) == {"names": ["eth1"]}
    assert front.call(root, P.CONNECT_NUM_OF_DEFINED_INTERFACES) == {"num": 0}
    error = front.error(root, P.CONNECT_LIST_DEFINED_INTERFACES, {"maxnames": 16385})
    assert error["message"] == "maxnames > REMOTE_INTERFACE_LIST_MAX"


def test_unknown_flags_are_refused_in_the_test_drivers_words(front: Remote) -> None:
    root = front.open(FakeClient(identity=ROOT))
    error = front.error(root, P.INTERFACE_CHANGE_BEGIN, {"flags": 4})
    assert (error["code"], error["domain"]) == (ErrorNumber.INVALID_ARG, ErrorDomain.TEST)
    assert error["message"] == "unsupported flags (0x4) in function testInterfaceChangeBegin"


def test_a_read_only_client_reads_but_does_not_change(front: Remote) -> None:
    reader = front.open(FakeClient(identity=ROOT, readonly=True))
    assert front.call(reader, P.INTERFACE_LOOKUP_BY_MAC_STRING, {"mac": "AA:BB:CC:DD:EE:FF"})["iface"]["name"] == "eth1"
    error = front.error(reader, P.INTERFACE_CHANGE_BEGIN, {"flags": 0})
    assert (error["code"], error["domain"]) == (ErrorNumber.OPERATION_DENIED, ErrorDomain.INTERFACE)
    assert error["message"] == "operation forbidden: read only access prevents virInterfaceChangeBegin"
