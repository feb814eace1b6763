"""Host interfaces through virtd: stock python3-libvirt and virt's remote client, against libvirtd
(Debian's, serving libvirt's own test:///default) on the same steps."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import virt
from iface_steps import FLAG_STEPS, SCENARIO, libvirt_results, virt_results
from virt.daemon.testing import Virtd, start_virtd
from virt.testing import VIRSH, Libvirtd, missing_dependency, start_libvirtd

READ_ONLY_STEPS: list[list[Any]] = [
    ["list_all"],
    ["num_active"],
    ["list_defined"],
    ["lookup_name", "eth1"],
    ["lookup_mac", "aa:bb:cc:dd:ee:ff"],
    ["xml", "eth1"],
    ["active", "eth1"],
    ["destroy", "eth1"],
    ["create", "eth1"],
    ["undefine", "eth1"],
    ["define", "<interface type='ethernet' name='eth5'/>"],
    ["begin"],
    ["commit"],
    ["rollback"],
    ["list_all"],
]


def _schema_headline(result: list[Any]) -> list[Any]:
    """virt's schema check words each problem with its path and line (shared with the domain calls):
    only the code, the domain and the first line are libvirt's."""
    if result[:2] == ["error", 92]:
        return [*result[:3], result[3].splitlines()[0]]
    return result


@pytest.fixture
def virtd() -> Iterator[Virtd]:
    with start_virtd() as daemon:
        yield daemon


@pytest.fixture
def libvirtd() -> Iterator[Libvirtd]:
    libvirt_results("test:///default", [])  # skips without python3-libvirt
    with start_libvirtd() as daemon:
        yield daemon


def test_libvirt_pythons_own_check_passes_through_virtd(virtd: Virtd) -> None:
    assert libvirt_results(virtd.uri(), [["lookup_name", "eth1"]]) == [["ok", ["eth1", "aa:bb:cc:dd:ee:ff"]]]


def test_python3_libvirt_through_virtd_answers_as_through_libvirtd(virtd: Virtd, libvirtd: Libvirtd) -> None:
    steps = SCENARIO + FLAG_STEPS
    ours, theirs = libvirt_results(virtd.uri(), steps), libvirt_results(libvirtd.uri(), steps)
    for step, mine, reference in zip(steps, ours, theirs, strict=True):
        assert _schema_headline(mine) == _schema_headline(reference), step


def test_read_only_clients_list_look_up_and_read_only(virtd: Virtd, libvirtd: Libvirtd) -> None:
    ours = libvirt_results(virtd.uri(readonly=True), READ_ONLY_STEPS)
    theirs = libvirt_results(libvirtd.uri(readonly=True), READ_ONLY_STEPS)
    for step, mine, reference in zip(READ_ONLY_STEPS, ours, theirs, strict=True):
        assert mine == reference, step
    assert ours[7] == ["error", 29, 26, "operation forbidden: read only access prevents virInterfaceDestroy"]


def test_virts_remote_client_answers_as_libvirts_test_driver(virtd: Virtd) -> None:
    theirs = libvirt_results("test:///default", SCENARIO)
    with virt.open(virtd.uri()) as conn:
        ours = virt_results(conn, SCENARIO)
    for step, mine, reference in zip(SCENARIO, ours, theirs, strict=True):
        assert mine == reference, step


VIRSH_SESSION = (
    "iface-list --all; iface-dumpxml eth1; iface-mac eth1; iface-name AA:BB:CC:DD:EE:FF; iface-begin; "
    "iface-destroy eth1; iface-list --inactive; iface-rollback; iface-list --all; iface-start eth1; "
    "iface-dumpxml eth1 --inactive; iface-undefine eth1; iface-commit; iface-list --all"
)


def _virsh(uri: str) -> tuple[int, str, str]:
    done = subprocess.run([VIRSH, "-c", uri, VIRSH_SESSION], capture_output=True, text=True, timeout=60, check=False)
    return done.returncode, done.stdout, done.stderr.replace(uri, "URI")


def test_stock_virsh_through_virtd_prints_what_it_prints_through_libvirtd(virtd: Virtd, libvirtd: Libvirtd) -> None:
    if shutil.which(VIRSH) is None:
        missing_dependency("virsh (libvirt-clients) is not installed")
    ours, theirs = _virsh(virtd.uri()), _virsh(libvirtd.uri())
    assert ours == theirs
    assert "Network config change transaction rolled back" in ours[1]
