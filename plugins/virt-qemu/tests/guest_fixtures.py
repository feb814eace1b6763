"""The tiny guest and QEMU binary fixtures (importable: the conftest here and tests/integration use them)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from guest import GuestImage, build_guest
from virt.testing import missing_dependency
from virt.testing.debimage import built_or_missing


@pytest.fixture(scope="session")
def qemu_binary() -> Path:
    """``qemu-system-x86_64`` (``$VIRT_QEMU_BINARY`` overrides), or a skip (a failure under CI)."""
    explicit = os.environ.get("VIRT_QEMU_BINARY")
    found = explicit if explicit and os.access(explicit, os.X_OK) else shutil.which("qemu-system-x86_64")
    if found is None:
        missing_dependency("qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)")
    return Path(found)


@pytest.fixture(scope="session")
def tiny_guest() -> GuestImage:
    """A tiny Linux guest that prints ``guest.marker`` once booted and powers off on the ACPI power button.

    Built once per machine from Debian's packages (cached in ``$VIRT_TEST_CACHE/guest`` or
    ``/var/tmp/virt-test-guest``); a skip (a failure under CI) when apt, dpkg or the network are missing.
    """
    return built_or_missing(build_guest, "the tiny test guest")
