"""virNetworkCreateXMLFlags / virNetworkDefineXMLFlags (virsh net-create/net-define --validate) on
virt's test driver against libvirt 9.0's: through python3-libvirt in process and over each daemon,
virt's own API, and virt's CLI against stock virsh."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import virt
from binding_sides import calls_session, cli_as_virsh, need_binding, same_through_daemons
from virt.daemon.testing import Virtd, start_virtd
from virt.errors import ErrorNumber, VirtError
from virt.testing import Libvirtd, start_libvirtd

BAD = "<network><name>n1</name><bogus/></network>"
GOOD = "<network><name>n2</name></network>"
CALLS = r"""
bad, good = extra
calls = [
    ("create validate bad", lambda: conn.networkCreateXMLFlags(bad, 1).name()),
    ("define validate bad", lambda: conn.networkDefineXMLFlags(bad, 1).name()),
    ("create flag 2", lambda: conn.networkCreateXMLFlags(good, 2).name()),
    ("define flag 2", lambda: conn.networkDefineXMLFlags(good, 2).name()),
    ("define bad", lambda: conn.networkDefineXMLFlags(bad, 0).name()),
    ("create validate good", lambda: conn.networkCreateXMLFlags(good, 1).isActive()),
    ("defined persistent", lambda: conn.networkLookupByName("n1").isPersistent()),
]
"""


def _session(uri: str, readonly: bool = False) -> list[list[object]]:
    return calls_session(CALLS, uri, readonly, BAD, GOOD)


@pytest.fixture
def daemons() -> Iterator[tuple[Virtd, Libvirtd]]:
    need_binding()
    with start_virtd() as ours, start_libvirtd() as reference:
        yield ours, reference


@pytest.mark.parametrize("readonly", [False, True], ids=["read-write", "read-only"])
def test_python3_libvirt_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd], readonly: bool) -> None:
    expected = same_through_daemons(daemons, CALLS, readonly, BAD, GOOD)
    assert len(expected) == 7


def test_python3_libvirt_in_process() -> None:
    need_binding()
    results = {row[0]: row[1:] for row in _session("test:///default")}
    assert results["create validate bad"][:3] == ["error", 92, 5]
    assert results["define flag 2"] == ["error", 8, 12, "unsupported flags (0x2) in function testNetworkDefineXMLFlags"]
    assert results["define bad"] == ["ok", "n1"]
    assert results["create validate good"] == ["ok", 1]


def test_virt_api() -> None:
    with virt.open("test:///default") as conn, virt.open("test:///default", readonly=True) as readonly:
        with pytest.raises(VirtError) as caught:
            conn.define_network(BAD, validate=True)
        assert caught.value.code == ErrorNumber.XML_INVALID_SCHEMA
        assert caught.value.message.endswith("network.rng\nElement network has extra content: bogus\n")
        assert conn.create_network(GOOD, validate=True).is_active()
        with pytest.raises(VirtError, match=r"read only access prevents virNetworkDefineXMLFlags$"):
            readonly.define_network(GOOD, validate=True)


COMMANDS = [
    "net-define {bad} --validate",
    "net-create --validate {bad}",
    "net-define {good} --validate",
    "net-create {good} --validate",
    "net-define {bad}",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_cli_as_virsh(command: str, tmp_path: Path) -> None:
    (tmp_path / "bad.xml").write_text(BAD)
    (tmp_path / "good.xml").write_text(GOOD)
    line = command.format(bad=tmp_path / "bad.xml", good=tmp_path / "good.xml")
    ours, reference = cli_as_virsh(line)
    assert ours == reference
