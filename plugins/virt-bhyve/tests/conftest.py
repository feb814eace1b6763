"""Fixtures of virt-bhyve's driver tests: the stand-in bhyve host (see standins/_standin.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bhyve_support import BhyveHost, make_host


@pytest.fixture
def bhyve_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BhyveHost]:
    """A bhyve host of stand-ins in a folder of this test: ``bin`` (the stand-ins, first on PATH),
    ``host`` (their state: ``dev/vmm``, the interfaces, ``calls.jsonl``), ``state`` (the driver's,
    ``VIRT_BHYVE_ROOT``); ``VIRT_BHYVE_DEV`` points the driver at the stand-ins' ``/dev``. The
    environment is this process's too (in-process opens). Every guest still running is ended after."""
    host = make_host(tmp_path)
    for key, value in host.env().items():
        monkeypatch.setenv(key, value)
    try:
        yield host
    finally:
        host.end_guests()
