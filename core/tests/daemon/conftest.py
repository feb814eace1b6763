"""Fixtures of the dispatcher's tests: a dispatcher on test:///default and a client of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dispatch_helpers import FakeClient, Remote, remote


@pytest.fixture
def front(tmp_path: Path) -> Iterator[Remote]:
    """A dispatcher without ACL (a test module may define its own ``front``)."""
    with remote(tmp_path) as made:
        yield made


@pytest.fixture
def client(front: Remote) -> FakeClient:
    """A client of ``front`` that opened test:///default."""
    return front.open(FakeClient())
