"""ACL decisions: users, groups and certificate names against operations (either spelling, globs)
and domain-name globs; bad rules refused with the rule's position and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from virt.daemon.acl import ACL, load_acl, operation_key
from virt.daemon.auth import Identity
from virt.daemon.config import parse_daemon_config
from virt.errors import ErrorDomain, ErrorNumber, VirtError

ALICE = Identity("unix", uid=1001, gid=1001, user="alice", groups=("alice", "virt-operators"))
BOB = Identity("unix", uid=1002, gid=1002, user="bob", groups=("bob",))
ROOT = Identity("unix", uid=0, gid=0, user="root", groups=("root",))
OPS_CERT = Identity("tls", x509_dname="O=Example,CN=ops-1")
OTHER_CERT = Identity("tls", x509_dname="O=Elsewhere,CN=ops-1")
TCP_PEER = Identity("tcp", address="127.0.0.1:40000")

RULES = {
    "rule": [
        {"users": ["root"], "allow": ["*"]},
        {
            "groups": ["virt-operators"],
            "allow": ["virDomainGet*", "DOMAIN_LOOKUP_*", "virConnect*"],
            "domains": ["web-*"],
        },
        {"users": ["alice"], "allow": ["virDomainCreate", "virDomainDestroy"], "domains": ["web-1"]},
        {"users": [1002], "allow": ["virConnectListAllDomains"]},
        {"dnames": ["O=Example,CN=ops-*"], "allow": ["vir*"], "domains": ["db-*"]},
    ]
}


@pytest.fixture
def acl() -> ACL:
    return ACL.parse(RULES, "acl.toml")


def test_both_spellings_of_an_operation_are_one() -> None:
    assert operation_key("virDomainGetXMLDesc") == operation_key("DOMAIN_GET_XML_DESC") == "domaingetxmldesc"
    assert operation_key("virDomainGet*") == operation_key("DOMAIN_GET_*")


def test_users_groups_operations_and_domains(acl: ACL) -> None:
    assert acl.allows(ROOT, "virDomainDestroy", "anything")
    assert acl.allows(ALICE, "virDomainGetInfo", "web-2")  # through her group
    assert acl.allows(ALICE, "DOMAIN_GET_XML_DESC", "web-2")
    assert acl.allows(ALICE, "DOMAIN_LOOKUP_BY_NAME", "web-9")
    assert not acl.allows(ALICE, "virDomainGetInfo", "db-1")  # outside the group's domains
    assert acl.allows(ALICE, "virDomainDestroy", "web-1")
    assert not acl.allows(ALICE, "virDomainDestroy", "web-2")
    assert not acl.allows(ALICE, "virDomainUndefine", "web-1")
    assert acl.allows(ALICE, "virConnectGetCapabilities")  # not about a domain: no domain check
    assert acl.allows(BOB, "CONNECT_LIST_ALL_DOMAINS")  # a rule may name a uid
    assert not acl.allows(BOB, "virDomainGetInfo", "web-1")


def test_certificate_names(acl: ACL) -> None:
    assert acl.allows(OPS_CERT, "virDomainDestroy", "db-3")
    assert not acl.allows(OPS_CERT, "virDomainDestroy", "web-1")
    assert not acl.allows(OTHER_CERT, "virConnectGetVersion")


def test_plain_tcp_peers_match_no_rule(acl: ACL) -> None:
    assert not acl.allows(TCP_PEER, "virConnectGetVersion")


def test_listing_filter_and_denial_error(acl: ACL) -> None:
    assert acl.sees_domain(ALICE, "web-5") and not acl.sees_domain(ALICE, "db-1")
    acl.check(ROOT, "virDomainDestroy", "x")
    with pytest.raises(VirtError) as raised:
        acl.check(BOB, "virDomainDestroy", "web-1")
    assert (raised.value.code, raised.value.domain) == (ErrorNumber.ACCESS_DENIED, ErrorDomain.ACCESS)
    assert raised.value.message == "access denied: user 'bob' may not call virDomainDestroy on domain 'web-1'"


@pytest.mark.parametrize(
    ("rules", "named"),
    [
        ({"rules": []}, "'rules'"),
        ({"rule": {"users": ["a"]}}, "[[rule]]"),
        ({"rule": [{"users": ["a"], "allow": ["*"], "domain": ["x"]}]}, "ACL rule 1: unknown key 'domain'"),
        ({"rule": [{"allow": ["*"]}]}, "ACL rule 1: names nobody"),
        ({"rule": [{"users": ["a"], "allow": ["*"]}, {"users": ["b"]}]}, "ACL rule 2: allow"),
        ({"rule": [{"users": ["a"], "allow": [""]}]}, "ACL rule 1: allow"),
        ({"rule": [{"groups": [3], "allow": ["*"]}]}, "ACL rule 1: groups"),
    ],
)
def test_bad_rules_are_named(rules: dict[str, object], named: str) -> None:
    with pytest.raises(VirtError) as raised:
        ACL.parse(rules, "acl.toml")
    assert raised.value.code == ErrorNumber.CONF_SYNTAX
    assert named in raised.value.message and "acl.toml" in raised.value.message


def test_acl_from_a_file_or_inline(tmp_path: Path) -> None:
    path = tmp_path / "acl.toml"
    path.write_text('[[rule]]\nusers = ["alice"]\nallow = ["virConnect*"]\n')
    from_file = load_acl(parse_daemon_config({"acl_file": str(path)}, session=True))
    inline = load_acl(
        parse_daemon_config({"acl": {"rule": [{"users": ["alice"], "allow": ["virConnect*"]}]}}, session=True)
    )
    assert from_file is not None and inline is not None
    assert from_file.rules == inline.rules
    assert from_file.allows(ALICE, "virConnectOpen") and not from_file.allows(BOB, "virConnectOpen")
    assert load_acl(parse_daemon_config({}, session=True)) is None
    path.write_text("[[rule]\n")
    with pytest.raises(VirtError, match=r"acl\.toml"):
        ACL.load(path)
    with pytest.raises(VirtError, match="cannot read ACL file"):
        ACL.load(tmp_path / "missing.toml")
