"""Records which XML fields the session parses and formats, for test_field_coverage.py.

The recorder is installed when this conftest is loaded, before any test runs, so that tests
elsewhere in the suite (drivers, CLI) count too when the whole suite runs; the final check is
moved to the very end of the run and only judges a run of every test in this directory.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import field_coverage as fc
import pytest

HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    # called for this conftest as soon as pytest imports it, even when it is not an initial one
    recorder = fc.Recorder()
    recorder.install()
    config.stash[fc.RECORDER] = recorder
    config.stash[fc.DESELECTED] = []


def pytest_unconfigure(config: pytest.Config) -> None:
    recorder = config.stash.get(fc.RECORDER, None)
    if recorder is not None:
        recorder.uninstall()


def _here(path: Path) -> bool:
    return path.resolve().parent == HERE


def pytest_deselected(items: list[pytest.Item]) -> None:
    # -k, -m, --lf and --deselect all report what they drop here
    for item in items:
        if _here(item.path):
            item.config.stash.setdefault(fc.DESELECTED, []).append(item.nodeid)


def _partial(config: pytest.Config, items: list[pytest.Item]) -> str:
    """Why the run leaves out tests of this directory, or "" when it runs them all."""
    for arg in config.args:
        path, sep, _ = arg.partition("::")
        if sep and _here(config.invocation_params.dir / path):
            return f"only some tests of {Path(path).name} were selected ({arg})"
    collected = {item.path.resolve() for item in items}
    left_out = sorted(p.name for p in HERE.glob("test_*.py") if p not in collected)
    if left_out:
        return f"{', '.join(left_out)} not collected"
    deselected = config.stash.get(fc.DESELECTED, [])
    if deselected:
        return f"{len(deselected)} tests deselected, e.g. {deselected[0]}"
    return ""


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: its code after the yield runs last
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> Generator[None, None, None]:
    # after every other plugin's reordering and deselection, so that the final check stays last
    yield
    final = [i for i in items if _here(i.path) and i.name == fc.FINAL_TEST]
    if final:
        items[:] = [i for i in items if i not in final] + final
    config.stash[fc.PARTIAL] = _partial(config, items)
