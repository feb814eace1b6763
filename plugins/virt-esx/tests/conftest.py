"""Fixtures of virt-esx's tests: VMware's vSphere simulator, built once and started per test module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from virt.testing import missing_dependency

sys.path.insert(0, str(Path(__file__).parent))

from vcsim import PASSWORD, USER, Simulator, SimulatorError, build, running


@pytest.fixture(scope="session")
def vcsim_binary() -> Path:
    """The simulator's binary (a skip, or a failure under CI, when Go or govmomi's sources are missing)."""
    try:
        return build()
    except SimulatorError as exc:
        missing_dependency(str(exc))


@pytest.fixture(scope="module", params=["esx", "vpx"])
def simulator(request: pytest.FixtureRequest, vcsim_binary: Path) -> Iterator[Simulator]:
    """A simulator for the module's tests, once as an ESX host and once as a vCenter (two VMs per host)."""
    with running(vcsim_binary, request.param) as started:
        yield started


@pytest.fixture
def auth_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """libvirt's auth.conf giving the simulator's credentials for every esx service host (for the CLI)."""
    path = tmp_path / "auth.conf"
    path.write_text(f"[credentials-sim]\nusername={USER}\npassword={PASSWORD}\n\n[auth-esx-default]\ncredentials=sim\n")
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(path))
    return path
