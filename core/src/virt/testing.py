"""Helpers for the test suites of virt-core and of driver plugins (imported by tests only)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn


def missing_dependency(reason: str) -> NoReturn:
    """Skip for a missing system dependency, or fail when VIRT_REQUIRE_INTEGRATION=1 (as CI sets)."""
    import pytest

    if os.environ.get("VIRT_REQUIRE_INTEGRATION") == "1":
        pytest.fail(f"VIRT_REQUIRE_INTEGRATION=1 but {reason}")
    pytest.skip(reason)


def shared_dir(start: Path | None = None) -> Path | None:
    """The project's ``shared`` folder (conformance corpus, reference docs): ``$VIRT_SHARED_DIR``, or
    the first ``shared/`` beside a parent of ``start`` (this file by default), or None."""
    explicit = os.environ.get("VIRT_SHARED_DIR")
    if explicit:
        return Path(explicit)
    for parent in (start or Path(__file__)).resolve().parents:
        candidate = parent / "shared"
        if (candidate / "conformance").is_dir():
            return candidate
    return None


def conformance_dir() -> Path | None:
    """libvirt 9.0's test data (``shared/conformance``): ``$VIRT_CONFORMANCE_DIR`` or beside the project."""
    explicit = os.environ.get("VIRT_CONFORMANCE_DIR")
    shared = shared_dir()
    found = Path(explicit) if explicit else (shared / "conformance" if shared else None)
    return found if found is not None and found.is_dir() else None
