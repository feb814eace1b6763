"""virDomainRename (virsh domrename) on virt's test driver against libvirt 9.0's: through
python3-libvirt over each daemon, virt's own API, and virt's CLI against stock virsh."""

from __future__ import annotations

import pytest
import virt
from binding_sides import calls_session, cli_as_virsh, need_binding, same_through_daemons
from virt.daemon.testing import Virtd
from virt.errors import VirtError
from virt.testing import Libvirtd

CALLS = r"""
dom = conn.lookupByName("test")
calls = [
    ("rename active", lambda: dom.rename("x")),
    ("destroy", lambda: dom.destroy()),
    ("rename flags", lambda: dom.rename("x", 1)),
    ("rename itself", lambda: dom.rename("test")),
    ("rename empty", lambda: dom.rename("")),
    ("rename slash", lambda: dom.rename("a/b")),
    ("rename", lambda: dom.rename("renamed")),
    ("old name", lambda: conn.lookupByName("test").name()),
    ("new name", lambda: conn.lookupByName("renamed").name()),
    ("back", lambda: conn.lookupByName("renamed").rename("test")),
    ("start", lambda: conn.lookupByName("test").create()),
]
"""


def _session(uri: str, readonly: bool = False) -> list[list[object]]:
    return calls_session(CALLS, uri, readonly)


@pytest.mark.parametrize("readonly", [False, True], ids=["read-write", "read-only"])
def test_python3_libvirt_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd], readonly: bool) -> None:
    expected = same_through_daemons(daemons, CALLS, readonly)
    assert ["rename", "ok", 0] in expected or readonly


def test_python3_libvirt_in_process() -> None:
    """The binding on libvirt's own test:///default: the answers virt's API gives below."""
    need_binding()
    results = {row[0]: row[1:] for row in _session("test:///default")}
    assert results["rename active"] == [
        "error",
        55,
        12,
        "Requested operation is not valid: cannot rename active domain",
    ]
    assert results["rename itself"] == [
        "error",
        55,
        20,
        "Requested operation is not valid: Can't rename domain to itself",
    ]
    assert results["rename"] == results["back"] == ["ok", 0]
    assert results["new name"] == ["ok", "renamed"]


def test_virt_api() -> None:
    with virt.open("test:///default") as conn:
        dom = conn.lookup_domain_by_name("test")
        with pytest.raises(VirtError, match="cannot rename active domain"):
            dom.rename("x")
        dom.destroy()
        try:
            with pytest.raises(VirtError, match="must not be empty"):
                dom.rename("")
            dom.rename("renamed")
            assert conn.lookup_domain_by_name("renamed").uuid == dom.uuid
            with pytest.raises(VirtError, match="Domain not found"):
                conn.lookup_domain_by_name("test")
        finally:
            conn.lookup_domain_by_name("renamed").rename("test")
            dom.start()


COMMANDS = [
    "domrename test x", "domrename nope y", "domrename test", "domrename test ''",
    "domrename --domain test --new-name q",
    "destroy test; domrename test x; list --all; dumpxml x; domrename x x; domrename x 'a/b'; start x; domrename x y",
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_cli_as_virsh(command: str) -> None:
    ours, reference = cli_as_virsh(command)
    assert ours == reference
