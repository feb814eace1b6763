"""virDomainInjectNMI and virDomainSetTime (virsh inject-nmi, domtime --now/--sync/--time) on virt's test driver against libvirt 9.0's: through
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
    ("nmi", lambda: dom.injectNMI()),
    ("nmi flags", lambda: dom.injectNMI(1)),
    ("set time", lambda: dom.setTime({"seconds": 5, "nseconds": 3})),
    ("sync time", lambda: dom.setTime(None, libvirt.VIR_DOMAIN_TIME_SYNC)),
    ("set time flags", lambda: dom.setTime({"seconds": 5}, 2)),
    ("set time past", lambda: dom.setTime({"seconds": -5})),
    ("destroy", lambda: dom.destroy()),
    ("nmi inactive", lambda: dom.injectNMI()),
    ("set time inactive", lambda: dom.setTime({"seconds": 5})),
    ("start", lambda: dom.create()),
]
"""


def _session(uri: str, readonly: bool = False) -> list[list[object]]:
    return calls_session(CALLS, uri, readonly)


@pytest.mark.parametrize("readonly", [False, True], ids=["read-write", "read-only"])
def test_python3_libvirt_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd], readonly: bool) -> None:
    expected = same_through_daemons(daemons, CALLS, readonly)
    assert ["nmi", "ok", 0] in expected or readonly


def test_python3_libvirt_in_process() -> None:
    """The binding on libvirt's own test:///default: the answers virt's API gives below."""
    need_binding()
    results = {row[0]: row[1:] for row in _session("test:///default")}
    assert results["nmi"] == results["set time"] == results["sync time"] == ["ok", 0]
    assert results["nmi flags"] == ["error", 8, 12, "unsupported flags (0x1) in function testDomainInjectNMI"]
    assert results["set time flags"] == ["error", 8, 12, "unsupported flags (0x2) in function testDomainSetTime"]
    assert results["nmi inactive"] == ["error", 55, 20, "Requested operation is not valid: domain is not running"]


def test_virt_api() -> None:
    with virt.open("test:///default") as conn, virt.open("test:///default", readonly=True) as readonly_conn:
        dom = conn.lookup_domain_by_name("test")
        dom.inject_nmi()
        dom.set_guest_time(5, 3)
        dom.set_guest_time(0, 0, 1)
        with pytest.raises(VirtError, match=r"^unsupported flags \(0x1\) in function testDomainInjectNMI$"):
            dom.inject_nmi(1)
        with pytest.raises(VirtError, match=r"^unsupported flags \(0x2\) in function testDomainSetTime$"):
            dom.set_guest_time(5, 0, 2)
        readonly = readonly_conn.lookup_domain_by_name("test")
        with pytest.raises(VirtError, match=r"read only access prevents virDomainInjectNMI$"):
            readonly.inject_nmi()
        with pytest.raises(VirtError, match=r"read only access prevents virDomainSetTime$"):
            readonly.set_guest_time(5)
        dom.destroy()
        try:
            with pytest.raises(VirtError, match="domain is not running"):
                dom.inject_nmi()
            with pytest.raises(VirtError, match="domain is not running"):
                dom.set_guest_time(5)
        finally:
            dom.start()


COMMANDS = [
    "inject-nmi test", "inject-nmi --domain test", "inject-nmi nope", "inject-nmi",
    "domtime test --now", "domtime test --sync", "domtime test --time 5", "domtime test --time -5 --pretty",
    "domtime test --now --sync", "domtime test --time 5 --now", "domtime test --time 5 --sync",
    "domtime test --time x", "domtime test --time 99999999999999999999", "domtime nope --now",
    "destroy test; inject-nmi test; domtime test --now; start test",
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_cli_as_virsh(command: str) -> None:
    ours, reference = cli_as_virsh(command)
    assert ours == reference
