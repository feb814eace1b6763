"""Fixtures of virt-lxc's tests (importable: the conftest here and tests/integration use them): a busybox root, a private driver state, an open lxc:/// connection.

Real containers need root (CI runs as root): without it those tests skip, and fail under
``VIRT_REQUIRE_INTEGRATION=1``. Every test gets its own ``VIRT_LXC_ROOT`` (so its own cgroup
partition), and whatever it leaves running is killed and removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import virt
from virt.testing import missing_dependency
from virt.testing.netns import private_network_root


@pytest.fixture(scope="session")
def busybox() -> Path:
    """Debian's static busybox, fetched once per machine (see ``virt_lxc.testing``)."""
    from virt_lxc.testing import RootBuildError
    from virt_lxc.testing import busybox as fetch

    for tool in ("apt-get", "apt-cache", "dpkg-deb"):
        if shutil.which(tool) is None:
            missing_dependency(f"{tool} is not installed: the test containers' root is built from busybox-static")
    try:
        return fetch()
    except RootBuildError as exc:
        missing_dependency(f"cannot fetch busybox-static: {exc}")


@pytest.fixture
def rootfs(busybox: Path) -> Iterator[Path]:
    """A fresh busybox root filesystem (its own, since containers write into it)."""
    from virt_lxc.testing import make_root

    folder = Path(tempfile.mkdtemp(prefix="vlroot", dir="/tmp"))
    try:
        yield make_root(folder, busybox)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _controllers_under(root: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            words = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"virt_lxc.controller" in words and any(str(root).encode() in w for w in words):
            found.append(int(entry.name))
    return found


@pytest.fixture
def lxc_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private ``VIRT_LXC_ROOT`` (short: unix socket paths); leftovers killed and removed afterwards."""
    if os.geteuid() != 0:
        missing_dependency("containers need root (namespaces, cgroups, mounts): run the tests as root")
    from virt_lxc.cglayout import detect
    from virt_lxc.paths import DriverPaths

    root = Path(tempfile.mkdtemp(prefix="vl", dir="/tmp"))
    monkeypatch.setenv("VIRT_LXC_ROOT", str(root))
    # networks a test's containers join are the test's own, never the host's 'default' network
    monkeypatch.setenv("VIRT_NETWORK_ROOT", str(private_network_root(root)))
    from virt.uri import parse

    partition = DriverPaths.for_uri(parse("lxc:///")).partition
    try:
        yield root
    finally:
        for pid in _controllers_under(root):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for hierarchy in detect().hierarchies:
            folder = hierarchy.mount / partition
            if not folder.is_dir():
                continue
            for cgroup in folder.iterdir():
                if cgroup.is_dir():
                    _empty(cgroup)
            with contextlib.suppress(OSError):
                folder.rmdir()
        shutil.rmtree(root, ignore_errors=True)


def _empty(cgroup: Path) -> None:
    import time

    for _ in range(200):
        try:
            pids = [int(p) for p in (cgroup / "cgroup.procs").read_text().split()]
        except OSError:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        try:
            cgroup.rmdir()
            return
        except OSError:
            time.sleep(0.01)


@pytest.fixture
def conn(lxc_root: Path) -> Iterator[virt.Connection]:
    """``lxc:///`` under the test's own root; every container still running is destroyed afterwards."""
    from virt.errors import VirtError

    connection = virt.open("lxc:///")
    try:
        yield connection
    finally:
        for domain in connection.list_domains(active=True):
            with contextlib.suppress(VirtError):
                domain.destroy()
        connection.close()
