"""Fixtures for the CLI tests: run ``virt`` in-process and capture what it prints."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import NEW_DOMAIN_XML, TEST_URI, Result, Run
from virt.cli.main import main


@pytest.fixture(autouse=True)
def _not_completing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("_ARGCOMPLETE", raising=False)


@pytest.fixture
def virt(capsys: pytest.CaptureFixture[str]) -> Run:
    """``virt(*argv)`` runs ``virt -c test:///default *argv``; ``uri=None`` leaves out ``-c``."""

    def run(*argv: str, uri: str | None = TEST_URI) -> Result:
        status = main([*(["-c", uri] if uri else []), *argv])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return Result(status, out, err)

    return run


@pytest.fixture
def new_domain_xml(tmp_path: Path) -> Path:
    path = tmp_path / "newvm.xml"
    path.write_text(NEW_DOMAIN_XML)
    return path
