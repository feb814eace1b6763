"""virConnectFindStoragePoolSources (virsh find-storage-pool-sources) on virt's test driver against
libvirt 9.0's canned answers: through python3-libvirt in process and over each daemon, virt's own
API, and virt's CLI against stock virsh."""

from __future__ import annotations

from pathlib import Path

import pytest
import virt
from binding_sides import calls_session, cli_as_virsh, need_binding, same_through_daemons
from virt.daemon.testing import Virtd
from virt.drivers.test.poolsources import LOGICAL_SOURCES
from virt.errors import ErrorNumber, VirtError
from virt.testing import Libvirtd

SPEC = "<source><host name='h1'/></source>"
CALLS = r"""
(spec,) = extra
calls = [
    ("logical", lambda: conn.findStoragePoolSources("logical", None, 0)),
    ("logical spec", lambda: conn.findStoragePoolSources("logical", "<source/>", 0)),
    ("netfs", lambda: conn.findStoragePoolSources("netfs", None, 0)),
    ("netfs host", lambda: conn.findStoragePoolSources("netfs", spec, 0)),
    ("dir", lambda: conn.findStoragePoolSources("dir", None, 0)),
    ("iscsi", lambda: conn.findStoragePoolSources("iscsi", None, 0)),
    ("bogus", lambda: conn.findStoragePoolSources("bogus", None, 0)),
    ("flags", lambda: conn.findStoragePoolSources("logical", None, 1)),
]
"""


def _session(uri: str, readonly: bool = False) -> list[list[object]]:
    return calls_session(CALLS, uri, readonly, SPEC)


@pytest.mark.parametrize("readonly", [False, True], ids=["read-write", "read-only"])
def test_python3_libvirt_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd], readonly: bool) -> None:
    expected = same_through_daemons(daemons, CALLS, readonly, SPEC)
    assert len(expected) == 8


def test_python3_libvirt_in_process() -> None:
    need_binding()
    results = {row[0]: row[1:] for row in _session("test:///default")}
    assert results["logical"] == ["ok", LOGICAL_SOURCES]
    assert results["netfs"] == ["error", 8, 12, "invalid argument: hostname must be specified for netfs sources"]
    assert results["dir"] == ["error", 1, 12, "internal error: unknown storage pool type dir"]
    assert results["bogus"][:3] == ["error", 3, 12]


def test_virt_api() -> None:
    with virt.open("test:///default") as conn, virt.open("test:///default", readonly=True) as readonly:
        assert conn.find_storage_pool_sources("logical") == LOGICAL_SOURCES
        assert "<host name='h1'/>" in conn.find_storage_pool_sources("netfs", SPEC)
        with pytest.raises(VirtError) as caught:
            conn.find_storage_pool_sources("iscsi")
        assert caught.value.code == ErrorNumber.NO_SUPPORT
        with pytest.raises(VirtError, match=r"read only access prevents virConnectFindStoragePoolSources$"):
            readonly.find_storage_pool_sources("logical")


COMMANDS = [
    "find-storage-pool-sources logical",
    "find-storage-pool-sources netfs",
    "find-storage-pool-sources netfs --srcSpec {spec}",
    "find-storage-pool-sources dir",
    "find-storage-pool-sources bogus",
    "find-storage-pool-sources",
    "find-storage-pool-sources --type logical",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_cli_as_virsh(command: str, tmp_path: Path) -> None:
    (tmp_path / "spec.xml").write_text(SPEC)
    line = command.format(spec=tmp_path / "spec.xml")
    ours, reference = cli_as_virsh(line)
    assert ours == reference
