"""test:///path/node.xml: a private host read from a node description in libvirt's format."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import virt
from virt.driver import AuthCallback, Credential, CredentialType
from virt.drivers.test.connection import TestConnection
from virt.errors import AuthError, ErrorDomain, ErrorNumber, InvalidArgument, VirtError, XMLError
from virt.info import DomainFilter, NodeInfo, ObjectFilter
from virt.states import DomainState

Connect = Callable[[str], TestConnection]
Write = Callable[..., str]

NODE = """\
<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
  <domain type='test'><name>a</name><memory>1024</memory><os><type>hvm</type></os></domain>
  <domain type='test'><name>b</name><memory>1024</memory><os><type>hvm</type></os>
    <test:runstate>5</test:runstate></domain>
  <domain type='test'><name>c</name><memory>2048</memory><os><type>hvm</type></os>
    <test:runstate>3</test:runstate></domain>
  <domain file='d.xml'/>
  <network><name>net</name><bridge name='br9'/></network>
  <pool type='dir'><name>p</name><target><path>/p</path></target>
    <volume><name>v</name><capacity>1000</capacity><allocation>100</allocation></volume>
    <volume file='w.xml'/>
  </pool>
  <cpu><mhz>6000</mhz><model>i986</model><active>50</active><nodes>4</nodes>
    <sockets>4</sockets><cores>4</cores><threads>2</threads></cpu>
  <memory>8192000</memory>
</node>
"""


def test_loads_objects_states_and_node_info(connect: Connect, node_file: Write) -> None:
    node_file("<domain type='test'><name>d</name><memory>512</memory><os><type>hvm</type></os></domain>", "d.xml")
    node_file("<volume><name>w</name><key>wkey</key><capacity>10</capacity></volume>", "w.xml")
    conn = connect(f"test://{node_file(NODE)}")
    refs = {r.name: r for r in conn.list_domains(DomainFilter())}
    assert {n: (r.id, conn.get_domain_state(r)) for n, r in refs.items()} == {
        "a": (1, (DomainState.RUNNING, 0)),
        "b": (-1, (DomainState.SHUTOFF, 0)),
        "c": (2, (DomainState.PAUSED, 0)),
        "d": (3, (DomainState.RUNNING, 0)),
    }
    # the test: elements belong to the loader, not to the domain's XML
    assert "runstate" not in conn.get_domain_definition(refs["c"]).to_xml()
    assert conn.get_node_info() == NodeInfo("i986", 8192000, 50, 6000, 4, 4, 4, 2)
    (net,) = conn.list_networks(ObjectFilter())
    assert conn.is_network_active(net) and conn.is_network_persistent(net)
    (pool,) = conn.list_storage_pools(ObjectFilter())
    info = conn.get_storage_pool_info(pool)
    assert (info.capacity, info.allocation, info.available) == (100 * 2**30, 110, 100 * 2**30 - 110)
    volumes = {r.name: r for r in conn.list_storage_volumes(pool)}
    assert (volumes["v"].key, conn.get_storage_volume_path(volumes["v"])) == ("/p/v", "/p/v")
    assert volumes["w"].key == "wkey"  # a key given in the file is kept
    assert "<cells num='0'" in conn.get_capabilities().to_xml()


def test_state_is_private_to_each_connection(connect: Connect, node_file: Write) -> None:
    path = node_file(
        "<node><domain type='test'><name>a</name><memory>1</memory><os><type>hvm</type></os></domain></node>"
    )
    first, second = connect(f"test://{path}"), connect(f"test://{path}")
    first.destroy_domain(first.lookup_domain_by_name("a"))
    assert second.get_domain_state(second.lookup_domain_by_name("a"))[0] == DomainState.RUNNING


def test_empty_node_keeps_libvirts_defaults(connect: Connect, node_file: Write) -> None:
    conn = connect(f"test://{node_file('<node/>')}")
    assert conn.get_node_info() == NodeInfo("i686", 3145728, 16, 1400, 2, 2, 2, 2)
    assert conn.list_domains(DomainFilter()) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<nodes/>", "expecting root element of 'node', not 'nodes'"),
        ("<node", "malformed XML"),
        ("<node><cpu><mhz>abc</mhz></cpu></node>", "invalid node cpu mhz value 'abc'"),
        ("<node><memory>12x</memory></node>", "invalid node memory value"),
        ("<node><domain file='missing.xml'/></node>", "failed to parse xml document"),
        ("<node><domain type='test'><memory>1</memory></domain></node>", "missing name information"),
        (
            "<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><domain type='test'><name>x</name>"
            "<test:runstate>9</test:runstate></domain></node>",
            "runstate '9' out of range",
        ),
        (
            "<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><domain type='test'><name>x</name>"
            "<test:transient/><test:runstate>5</test:runstate></domain></node>",
            "transient domain cannot have runstate 'shutoff'",
        ),
        ("<node><auth><user/></auth></node>", "missing username in /node/auth/user field"),
        (
            "<node><domain type='test'><name>x</name></domain><domain type='test'><name>x</name></domain></node>",
            "domain 'x' already exists with uuid",
        ),
    ],
)
def test_bad_files_name_the_file_and_element(connect: Connect, node_file: Write, text: str, expected: str) -> None:
    path = node_file(text)
    with pytest.raises(VirtError) as caught:
        connect(f"test://{path}")
    assert expected in caught.value.message
    assert path in caught.value.message or "missing.xml" in caught.value.message


def test_error_locates_the_element(connect: Connect, node_file: Write) -> None:
    path = node_file("<node>\n<domain type='test'><name>a</name></domain>\n<domain type='test'/>\n</node>")
    with pytest.raises(XMLError) as caught:
        connect(f"test://{path}")
    assert caught.value.code == ErrorNumber.NO_NAME
    assert f"{path}:3: /node/domain[2]" in caught.value.message


def test_missing_file(connect: Connect, tmp_path: Path) -> None:
    with pytest.raises(XMLError, match="failed to parse xml document"):
        connect(f"test://{tmp_path / 'nope.xml'}")


@pytest.mark.parametrize("uri", ["test:///", "test://"])
def test_uri_without_path(connect: Connect, uri: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        connect(uri)
    assert caught.value.message == "invalid argument: testOpen: supply a path or use test:///default"
    assert caught.value.domain == ErrorDomain.TEST


def test_auth_users(node_file: Write) -> None:
    path = node_file("<node><auth><user password='pw'>alice</user><user>bob</user></auth></node>")

    def answer(user: str, password: str | None) -> AuthCallback:
        def fill(credentials: list[Credential]) -> None:
            for credential in credentials:
                credential.result = user if credential.type == CredentialType.AUTHNAME else password

        return fill

    virt.open(f"test://{path}", auth=answer("alice", "pw")).close()
    virt.open(f"test://{path}", auth=answer("bob", None)).close()
    for user, password in (("alice", "nope"), ("eve", "pw")):
        with pytest.raises(AuthError, match="see test XML for the correct username/password"):
            virt.open(f"test://{path}", auth=answer(user, password))
    with pytest.raises(VirtError, match=r"^invalid argument: Missing authentication credentials$") as missing:
        virt.open(f"test://{path}")  # libvirt's words (and error domain AUTH) with no callback to ask
    assert missing.value.domain == ErrorDomain.AUTH
