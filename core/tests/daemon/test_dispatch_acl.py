"""The ACL applied by the dispatcher: operations, the domains they touch, listings and events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dispatch_helpers import ROOT, FakeClient, Remote, remote
from virt.daemon.acl import ACL
from virt.daemon.auth import Identity
from virt.errors import ErrorDomain, ErrorNumber
from virt.remote.procedure_numbers import RemoteProcedure as P

ALICE = Identity("unix", uid=1001, gid=1001, pid=2, user="alice", groups=("alice",))
MALLORY = Identity("unix", uid=1002, gid=1002, pid=3, user="mallory", groups=("mallory",))
OTHER_XML = """<domain type='test'>
  <name>hidden</name>
  <memory>65536</memory>
  <os><type>hvm</type></os>
</domain>"""


@pytest.fixture
def front(tmp_path: Path) -> Iterator[Remote]:
    acl = ACL.parse(
        {
            "rule": [
                {"users": ["root"], "allow": ["*"]},
                {
                    "users": ["alice"],
                    "allow": ["virConnect*", "DOMAIN_LOOKUP_*", "DOMAIN_GET_*", "virDomainSuspend"],
                    "domains": ["test"],
                },
            ]
        }
    )
    with remote(tmp_path, acl) as made:
        yield made


def _denied(front: Remote, client: FakeClient, procedure: P, args: Any = None) -> str:
    error = front.error(client, procedure, args)
    assert (error["code"], error["domain"]) == (ErrorNumber.ACCESS_DENIED, ErrorDomain.ACCESS), error
    message: str = error["message"]
    return message


def test_a_peer_without_rules_cannot_open(front: Remote) -> None:
    mallory = FakeClient(identity=MALLORY)
    assert front.call(mallory, P.AUTH_LIST) == {"types": [0]}
    assert front.call(mallory, P.CONNECT_SUPPORTS_FEATURE, {"feature": 10}) == {"supported": 1}
    assert "virConnectOpen" in _denied(front, mallory, P.CONNECT_OPEN, {"name": "test:///default", "flags": 0})


def test_allowed_operations_on_allowed_domains_only(front: Remote) -> None:
    root = front.open(FakeClient(identity=ROOT))
    hidden = front.call(root, P.DOMAIN_DEFINE_XML, {"xml": OTHER_XML})["dom"]
    alice = front.open(FakeClient(identity=ALICE))
    listed = front.call(alice, P.CONNECT_LIST_ALL_DOMAINS, {"need_results": 1, "flags": 0})
    assert [d["name"] for d in listed["domains"]] == ["test"] and listed["ret"] == 1
    assert front.call(alice, P.CONNECT_NUM_OF_DEFINED_DOMAINS) == {"num": 0}
    test = front.call(alice, P.DOMAIN_LOOKUP_BY_NAME, {"name": "test"})["dom"]
    assert front.call(alice, P.DOMAIN_GET_STATE, {"dom": test, "flags": 0})["state"] == 1
    _denied(front, alice, P.DOMAIN_LOOKUP_BY_NAME, {"name": "hidden"})
    _denied(front, alice, P.DOMAIN_GET_INFO, {"dom": hidden})
    assert "virDomainDestroy" in _denied(front, alice, P.DOMAIN_DESTROY, {"dom": test})
    # a reference naming an allowed domain does not open the door to another UUID
    _denied(front, alice, P.DOMAIN_SUSPEND, {"dom": {**hidden, "name": "test"}})
    _denied(front, alice, P.DOMAIN_DEFINE_XML, {"xml": OTHER_XML})
    front.call(alice, P.DOMAIN_SUSPEND, {"dom": test})
    front.call(root, P.DOMAIN_UNDEFINE, {"dom": hidden})


def test_a_save_image_is_checked_against_the_domain_it_holds(tmp_path: Path) -> None:
    acl = ACL.parse(
        {"rule": [{"users": ["root"], "allow": ["*"]}, {"users": ["alice"], "allow": ["*"], "domains": ["test"]}]}
    )
    with remote(tmp_path / "daemon", acl) as front:
        root = front.open(FakeClient(identity=ROOT))
        hidden = front.call(root, P.DOMAIN_CREATE_XML, {"xml_desc": OTHER_XML, "flags": 0})["dom"]
        test = front.call(root, P.DOMAIN_LOOKUP_BY_NAME, {"name": "test"})["dom"]
        hidden_image, test_image = str(tmp_path / "hidden.save"), str(tmp_path / "test.save")
        front.call(root, P.DOMAIN_SAVE, {"dom": hidden, "to": hidden_image})
        front.call(root, P.DOMAIN_SAVE, {"dom": test, "to": test_image})
        alice = front.open(FakeClient(identity=ALICE))
        assert "virDomainRestore" in _denied(front, alice, P.DOMAIN_RESTORE, {"from": hidden_image})
        _denied(front, alice, P.DOMAIN_RESTORE_FLAGS, {"from": hidden_image, "dxml": None, "flags": 0})
        _denied(front, alice, P.DOMAIN_SAVE_IMAGE_GET_XML_DESC, {"file": hidden_image, "flags": 0})
        _denied(front, alice, P.DOMAIN_SAVE_IMAGE_DEFINE_XML, {"file": hidden_image, "dxml": OTHER_XML, "flags": 0})
        assert (
            "<name>test</name>"
            in front.call(alice, P.DOMAIN_SAVE_IMAGE_GET_XML_DESC, {"file": test_image, "flags": 0})["xml"]
        )
        front.call(alice, P.DOMAIN_RESTORE, {"from": test_image})
        assert front.call(alice, P.DOMAIN_GET_STATE, {"dom": test, "flags": 0})["state"] == 1


def test_events_of_hidden_domains_are_not_sent(front: Remote) -> None:
    root = front.open(FakeClient(identity=ROOT))
    alice = front.open(FakeClient(identity=ALICE))
    front.call(alice, P.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, {"eventID": 0, "dom": None})
    hidden = front.call(root, P.DOMAIN_CREATE_XML, {"xml_desc": OTHER_XML, "flags": 0})["dom"]
    front.call(root, P.DOMAIN_DESTROY, {"dom": hidden})
    test = front.call(root, P.DOMAIN_LOOKUP_BY_NAME, {"name": "test"})["dom"]
    front.call(root, P.DOMAIN_SUSPEND, {"dom": test})
    events = alice.wait_events(1)
    assert [e["msg"]["dom"]["name"] for _, e in events] == ["test"]
    assert len(root.events) == 0


def test_creating_with_files_is_checked_against_the_domain_it_makes(tmp_path: Path) -> None:
    acl = ACL.parse(
        {"rule": [{"users": ["root"], "allow": ["*"]}, {"users": ["alice"], "allow": ["*"], "domains": ["test"]}]}
    )
    with remote(tmp_path / "daemon", acl) as front:
        alice = front.open(FakeClient(identity=ALICE))
        message = _denied(front, alice, P.DOMAIN_CREATE_XML_WITH_FILES, {"xml_desc": OTHER_XML, "flags": 0})
        assert "virDomainCreateXMLWithFiles" in message
        test = front.call(alice, P.DOMAIN_LOOKUP_BY_NAME, {"name": "test"})["dom"]
        assert front.call(alice, P.DOMAIN_GET_DISK_ERRORS, {"dom": test, "maxerrors": 0, "flags": 0}) == {
            "errors": [],
            "nerrors": 1,
        }


def test_snapshots_and_checkpoints_are_checked_against_their_domain(tmp_path: Path) -> None:
    """Their calls name the domain inside the snapshot's or checkpoint's reference."""
    acl = ACL.parse(
        {"rule": [{"users": ["root"], "allow": ["*"]}, {"users": ["alice"], "allow": ["*"], "domains": ["other"]}]}
    )
    with remote(tmp_path, acl) as front:
        root = front.open(FakeClient(identity=ROOT))
        test = front.call(root, P.DOMAIN_LOOKUP_BY_NAME, {"name": "test"})["dom"]
        snapshot = {"dom": test, "xml_desc": "<domainsnapshot><name>s</name></domainsnapshot>", "flags": 0}
        snap = front.call(root, P.DOMAIN_SNAPSHOT_CREATE_XML, snapshot)["snap"]
        alice = front.open(FakeClient(identity=ALICE))
        _denied(front, alice, P.DOMAIN_SNAPSHOT_GET_XML_DESC, {"snap": snap, "flags": 0})
        _denied(front, alice, P.DOMAIN_REVERT_TO_SNAPSHOT, {"snap": snap, "flags": 0})
        _denied(front, alice, P.DOMAIN_SNAPSHOT_LIST_ALL_CHILDREN, {"snapshot": snap, "need_results": 1, "flags": 0})
        front.call(root, P.DOMAIN_SNAPSHOT_DELETE, {"snap": snap, "flags": 0})
        made = {"dom": test, "xml_desc": "<domaincheckpoint><name>c</name></domaincheckpoint>", "flags": 0}
        checkpoint = front.call(root, P.DOMAIN_CHECKPOINT_CREATE_XML, made)["checkpoint"]
        _denied(front, alice, P.DOMAIN_CHECKPOINT_GET_XML_DESC, {"checkpoint": checkpoint, "flags": 0})
        _denied(front, alice, P.DOMAIN_CHECKPOINT_DELETE, {"checkpoint": checkpoint, "flags": 0})
        front.call(root, P.DOMAIN_CHECKPOINT_DELETE, {"checkpoint": checkpoint, "flags": 0})
