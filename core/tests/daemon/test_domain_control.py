"""virDomainGetControlInfo (virsh domcontrol) on virt's test driver against libvirt 9.0's: through
python3-libvirt over each daemon, virt's own API, and virt's CLI against stock virsh."""

from __future__ import annotations

import pytest
import virt
from binding_sides import calls_session, cli_as_virsh, need_binding, same_through_daemons
from virt.daemon.testing import Virtd
from virt.domaincontrol import ControlInfo, ControlState
from virt.errors import VirtError
from virt.testing import Libvirtd

CALLS = r"""
dom = conn.lookupByName("test")
calls = [
    ("info", lambda: dom.controlInfo()),
    ("info flags", lambda: dom.controlInfo(1)),
    ("destroy", lambda: dom.destroy()),
    ("info inactive", lambda: dom.controlInfo()),
    ("start", lambda: dom.create()),
]
"""


def _session(uri: str, readonly: bool = False) -> list[list[object]]:
    return calls_session(CALLS, uri, readonly)


@pytest.mark.parametrize("readonly", [False, True], ids=["read-write", "read-only"])
def test_python3_libvirt_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd], readonly: bool) -> None:
    expected = same_through_daemons(daemons, CALLS, readonly)
    assert ["info", "ok", [0, 0, 0]] in expected  # read-only clients may ask too


def test_python3_libvirt_in_process() -> None:
    """The binding on libvirt's own test:///default: the answers virt's API gives below."""
    need_binding()
    results = {row[0]: row[1:] for row in _session("test:///default")}
    assert results["info"] == ["ok", [0, 0, 0]]
    assert results["info flags"] == ["error", 8, 12, "unsupported flags (0x1) in function testDomainGetControlInfo"]
    assert results["info inactive"] == ["error", 55, 20, "Requested operation is not valid: domain is not running"]


def test_virt_api() -> None:
    with virt.open("test:///default") as conn:
        dom = conn.lookup_domain_by_name("test")
        assert dom.control_info() == ControlInfo(ControlState.OK, 0, 0)
        with pytest.raises(VirtError, match=r"^unsupported flags \(0x1\) in function testDomainGetControlInfo$"):
            dom.control_info(1)
        dom.destroy()
        try:
            with pytest.raises(VirtError, match="domain is not running"):
                dom.control_info()
        finally:
            dom.start()


@pytest.mark.parametrize("command", ["domcontrol test", "domcontrol --domain test", "domcontrol nope", "domcontrol"])
def test_cli_as_virsh(command: str) -> None:
    ours, reference = cli_as_virsh(command)
    assert ours == reference
