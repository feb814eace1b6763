"""virDomainGetControlInfo (virsh domcontrol) on virt's test driver against libvirt 9.0's: through
python3-libvirt over each daemon, virt's own API, and virt's CLI against stock virsh."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import virt
from binding_sides import need_binding, session
from virt.daemon.testing import Virtd
from virt.domaincontrol import ControlInfo, ControlState
from virt.errors import VirtError
from virt.testing import VIRSH, Libvirtd, missing_dependency

SESSION = r"""
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
uri, readonly = sys.argv[1], sys.argv[2] == "ro"
conn = (libvirt.openReadOnly if readonly else libvirt.open)(uri)
dom = conn.lookupByName("test")
calls = [
    ("info", lambda: dom.controlInfo()),
    ("info flags", lambda: dom.controlInfo(1)),
    ("destroy", lambda: dom.destroy()),
    ("info inactive", lambda: dom.controlInfo()),
    ("start", lambda: dom.create()),
]
for name, call in calls:
    try:
        print(json.dumps([name, "ok", call()]))
    except libvirt.libvirtError as exc:
        print(json.dumps([name, "error", exc.get_error_code(), exc.get_error_domain(), exc.get_error_message()]))
"""


def _session(uri: str, readonly: bool = False) -> list[list[object]]:
    return session(SESSION, uri, "ro" if readonly else "rw")


@pytest.mark.parametrize("readonly", [False, True], ids=["read-write", "read-only"])
def test_python3_libvirt_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd], readonly: bool) -> None:
    ours, reference = daemons
    expected = _session(reference.uri(readonly=readonly), readonly)
    assert _session(ours.uri(readonly=readonly), readonly) == expected
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
    if shutil.which(VIRSH) is None:
        missing_dependency("virsh is not installed (apt-get install libvirt-clients)")
    virt_cli = str(Path(sys.executable).parent / "virt")

    def run(program: str) -> tuple[int, str, str]:
        done = subprocess.run([program, "-c", "test:///default", command], capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout, done.stderr

    assert run(virt_cli) == run(VIRSH)
