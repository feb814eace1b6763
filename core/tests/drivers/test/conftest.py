"""Fixtures for the test driver: connections made directly on the driver, closed afterwards.

Closing every test:///default connection drops the shared default host, so each test starts
from the pristine default host, as a fresh libvirt process would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import virt.uri
from virt.drivers.test.connection import TestConnection


@pytest.fixture(name="connect")
def connect_fixture() -> Iterator[Callable[[str], TestConnection]]:
    """Open test-driver connections by URI; all of them are closed after the test."""
    opened: list[TestConnection] = []

    def open_(uri: str) -> TestConnection:
        conn = TestConnection(virt.uri.parse(uri))
        opened.append(conn)
        return conn

    yield open_
    for conn in opened:
        conn.close()


@pytest.fixture(name="conn")
def conn_fixture(connect: Callable[[str], TestConnection]) -> TestConnection:
    """A connection to test:///default."""
    return connect("test:///default")


@pytest.fixture(name="node_file")
def node_file_fixture(tmp_path: Path) -> Callable[[str, str], str]:
    """Write a node description (or any file it refers to) into tmp_path; returns its path."""

    def write(text: str, name: str = "node.xml") -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write
