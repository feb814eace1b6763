"""virNetworkCreateXMLFlags / virNetworkDefineXMLFlags (virsh net-create/net-define --validate) on
virt's test driver against libvirt 9.0's: through python3-libvirt in process and over each daemon,
virt's own API, and virt's CLI against stock virsh."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import virt
from binding_sides import need_binding, session
from virt.daemon.testing import Virtd, start_virtd
from virt.errors import ErrorNumber, VirtError
from virt.testing import VIRSH, Libvirtd, missing_dependency, start_libvirtd

BAD = "<network><name>n1</name><bogus/></network>"
GOOD = "<network><name>n2</name></network>"
SESSION = r"""
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
uri, readonly, bad, good = sys.argv[1], sys.argv[2] == "ro", sys.argv[3], sys.argv[4]
conn = (libvirt.openReadOnly if readonly else libvirt.open)(uri)
calls = [
    ("create validate bad", lambda: conn.networkCreateXMLFlags(bad, 1).name()),
    ("define validate bad", lambda: conn.networkDefineXMLFlags(bad, 1).name()),
    ("create flag 2", lambda: conn.networkCreateXMLFlags(good, 2).name()),
    ("define flag 2", lambda: conn.networkDefineXMLFlags(good, 2).name()),
    ("define bad", lambda: conn.networkDefineXMLFlags(bad, 0).name()),
    ("create validate good", lambda: conn.networkCreateXMLFlags(good, 1).isActive()),
    ("defined persistent", lambda: conn.networkLookupByName("n1").isPersistent()),
]
for name, call in calls:
    try:
        print(json.dumps([name, "ok", call()]))
    except libvirt.libvirtError as exc:
        print(json.dumps([name, "error", exc.get_error_code(), exc.get_error_domain(), exc.get_error_message()]))
"""


def _session(uri: str, readonly: bool = False) -> list[list[object]]:
    return session(SESSION, uri, "ro" if readonly else "rw", BAD, GOOD)


@pytest.fixture
def daemons() -> Iterator[tuple[Virtd, Libvirtd]]:
    need_binding()
    with start_virtd() as ours, start_libvirtd() as reference:
        yield ours, reference


@pytest.mark.parametrize("readonly", [False, True], ids=["read-write", "read-only"])
def test_python3_libvirt_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd], readonly: bool) -> None:
    ours, reference = daemons
    expected = _session(reference.uri(readonly=readonly), readonly)
    assert _session(ours.uri(readonly=readonly), readonly) == expected
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
    if shutil.which(VIRSH) is None:
        missing_dependency("virsh is not installed (apt-get install libvirt-clients)")
    (tmp_path / "bad.xml").write_text(BAD)
    (tmp_path / "good.xml").write_text(GOOD)
    line = command.format(bad=tmp_path / "bad.xml", good=tmp_path / "good.xml")
    virt_cli = str(Path(sys.executable).parent / "virt")

    def run(program: str) -> tuple[int, str, str]:
        done = subprocess.run([program, "-c", "test:///default", line], capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout, done.stderr

    assert run(virt_cli) == run(VIRSH)
