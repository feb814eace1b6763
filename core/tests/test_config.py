"""Which URI opens when none is given, and aliases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import virt
from virt.config import config_path, load_config, resolve_alias
from virt.errors import ErrorNumber, VirtError


def _write_config(text: str) -> Path:
    path = Path(os.environ["VIRT_CONFIG"])
    path.write_text(text)
    return path


def test_no_uri_probes_the_embedded_default() -> None:
    with virt.open() as conn:
        assert str(conn.uri) == "test:///default"


def test_environment_default_wins_over_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    node = tmp_path / "node.xml"
    node.write_text("<node/>")
    _write_config('uri_default = "test:///default"\n')
    monkeypatch.setenv("VIRT_DEFAULT_URI", "nosuch:///x")
    with pytest.raises(VirtError) as info:
        virt.open()
    assert "nosuch" in info.value.message


def test_config_default_and_aliases() -> None:
    _write_config('uri_default = "here"\n[uri_aliases]\nhere = "test:///default"\n')
    config = load_config()
    assert resolve_alias("here", config) == "test:///default"
    assert resolve_alias("qemu:///system", config) == "qemu:///system"
    with virt.open() as conn:
        assert str(conn.uri) == "test:///default"
    with virt.open("here") as conn:
        assert str(conn.uri) == "test:///default"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("uri_default = [1]\n", "uri_default must be a string"),
        ("uri_aliases = 3\n", "uri_aliases must be a table"),
        ("this is not toml\n", "virt.toml"),
    ],
)
def test_bad_config_is_a_clear_error(text: str, reason: str) -> None:
    _write_config(text)
    with pytest.raises(VirtError) as info:
        load_config()
    assert reason in info.value.message
    assert info.value.code == ErrorNumber.CONF_SYNTAX


def test_config_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("VIRT_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_path() == tmp_path / "virt" / "virt.toml"
