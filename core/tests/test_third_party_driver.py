"""The third-party author's path, for real: build the example driver distribution, install it
into a fresh virtual environment beside virt-core, and let the core find it by entry point."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1]
EXAMPLE = Path(__file__).resolve().parent / "example_plugin"

PROBE = """
import json, virt, virt.plugins
with virt.open("example:///") as conn:
    names = [d.name for d in conn.list_domains()]
    host = conn.hostname()
plugins = [p.name for p in virt.plugins.get_plugins().describe()]
print(json.dumps({"names": names, "host": host, "plugins": plugins}))
"""


def _uv() -> list[str] | None:
    found = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if found:
        return [found]
    try:
        import uv  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "uv"]


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("third-party") / "venv"
    uv = _uv()
    env = {**os.environ, "VIRTUAL_ENV": str(root)}
    if uv:
        subprocess.run([*uv, "venv", "-q", "--python", sys.executable, str(root)], check=True, env=env)
        install = [*uv, "pip", "install", "-q", "--python", str(root / "bin" / "python")]
    else:
        subprocess.run([sys.executable, "-m", "venv", str(root)], check=True)
        install = [str(root / "bin" / "python"), "-m", "pip", "install", "-q"]
    # Built as wheels (not editable) so the entry point comes from real installed metadata.
    subprocess.run([*install, str(CORE), str(EXAMPLE)], check=True, env=env, timeout=600)
    return root


def _run(venv: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("VIRT_")}
    full_env.update(env)
    return subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, env=full_env, check=False
    )


def test_core_finds_the_driver_by_entry_point(venv: Path) -> None:
    result = _run(venv, PROBE)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found == {"names": ["hello"], "host": "example-host", "plugins": ["example"]}


def test_selective_loading_applies_to_installed_distributions(venv: Path) -> None:
    result = _run(venv, PROBE, VIRT_DISABLED_PLUGINS="virt-example")
    assert result.returncode != 0
    assert "no connection driver available for example:///" in result.stderr
    assert _run(venv, PROBE, VIRT_LOAD_PLUGINS="virt-example").returncode == 0
    assert _run(venv, PROBE, VIRT_LOAD_PLUGINS="").returncode != 0
