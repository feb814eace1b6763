"""Shared fixtures: throwaway plugins, and skips that become failures in CI."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import virt.plugins


def missing_dependency(reason: str) -> None:
    """Skip for a missing system dependency, or fail when VIRT_REQUIRE_INTEGRATION=1 (as CI sets)."""
    if os.environ.get("VIRT_REQUIRE_INTEGRATION") == "1":
        pytest.fail(f"VIRT_REQUIRE_INTEGRATION=1 but {reason}")
    pytest.skip(reason)


def shared_dir() -> Path | None:
    """The project's ../shared folder (conformance corpus, reference docs), when present."""
    explicit = os.environ.get("VIRT_SHARED_DIR")
    if explicit:
        return Path(explicit)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared"
        if (candidate / "conformance").is_dir():
            return candidate
    return None


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
