"""Shared fixtures: throwaway plugins, and skips that become failures in CI."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
import virt.plugins


def pytest_configure(config: pytest.Config) -> None:
    # The core's tests see the built-in plugins only, whatever else the environment has installed
    # (tests about entry points lay their own distributions and lift this).
    os.environ["VIRT_LOAD_PLUGINS"] = ""
    virt.plugins.reset()


@pytest.fixture
def register_plugin() -> Iterator[Callable[..., virt.plugins.Plugins]]:
    """Reload the plugins with throwaway plugin objects added; the normal set comes back afterwards."""

    def register(*plugins: object) -> virt.plugins.Plugins:
        return virt.plugins.reset(extra=plugins)

    yield register
    virt.plugins.reset()


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the user's or the host's virt.toml, nor inherits a default URI."""
    monkeypatch.setenv("VIRT_CONFIG", str(tmp_path_factory.mktemp("config") / "virt.toml"))
    monkeypatch.delenv("VIRT_DEFAULT_URI", raising=False)
