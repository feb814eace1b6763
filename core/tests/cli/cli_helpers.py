"""Types and data shared by the CLI tests (importable: pytest puts this folder on sys.path)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

TEST_URI = "test:///default"

NEW_DOMAIN_XML = """\
<domain type='test'>
  <name>newvm</name>
  <uuid>11111111-2222-3333-4444-555555555555</uuid>
  <memory unit='KiB'>1048576</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
</domain>
"""


class Result(NamedTuple):
    status: int
    out: str
    err: str


Run = Callable[..., Result]

RegisterPlugin = Callable[..., object]
"""The type of the ``register_plugin`` fixture (tests/conftest.py)."""
