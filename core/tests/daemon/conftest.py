"""Fixtures of the daemon tests: a dispatcher on test:///default and a client of it; virtd and libvirtd for virsh."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dispatch_helpers import FakeClient, Remote, remote
from virt.daemon.testing import Virtd, start_virtd
from virt.testing import Libvirtd, need_virsh, start_libvirtd


@pytest.fixture
def front(tmp_path: Path) -> Iterator[Remote]:
    """A dispatcher without ACL (a test module may define its own ``front``)."""
    with remote(tmp_path) as made:
        yield made


@pytest.fixture
def client(front: Remote) -> FakeClient:
    """A client of ``front`` that opened test:///default."""
    return front.open(FakeClient())


@pytest.fixture(scope="module")
def virtd() -> Iterator[Virtd]:
    """virtd on its default test:///default, for stock virsh (a module may define its own)."""
    need_virsh()
    with start_virtd() as daemon:
        yield daemon


@pytest.fixture(scope="module")
def libvirtd() -> Iterator[Libvirtd]:
    """A private libvirtd 9.0 on test:///default: the reference virsh compares ``virtd`` with."""
    need_virsh()
    with start_libvirtd() as daemon:
        yield daemon


@pytest.fixture(scope="module")
def daemons() -> Iterator[tuple[Virtd, Libvirtd]]:
    """virtd and libvirtd 9.0 side by side, both on test:///default, for python3-libvirt sessions."""
    from binding_sides import need_binding

    need_binding()
    with start_virtd() as ours, start_libvirtd() as reference:
        yield ours, reference
