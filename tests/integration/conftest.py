"""Cross-driver tests: QEMU guests and LXC containers together, in one virtualenv with both plugins.

The plugins' own test folders go on sys.path so that their support modules (guest, driver_support,
guest_fixtures, lxc_support, lxc_fixtures: no name is in both) are imported, not copied; their
conftest.py files are not imported (both are named ``conftest``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for folder in (ROOT / "plugins" / "virt-qemu" / "tests", ROOT / "plugins" / "virt-lxc" / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from driver_support import qemu_root_fixture  # noqa: E402 - the folders above are on sys.path now
from guest_fixtures import tiny_guest  # noqa: E402
from lxc_fixtures import busybox, lxc_root, rootfs  # noqa: E402

__all__ = ["busybox", "lxc_root", "network_root", "qemu_root_fixture", "rootfs", "tiny_guest"]


@pytest.fixture
def network_root(qemu_root: Path, lxc_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One host network service for both drivers: qemu_root and lxc_root each point
    ``VIRT_NETWORK_ROOT`` at a private folder of their own; the test's networks live in the QEMU one's."""
    root = qemu_root / "network"
    monkeypatch.setenv("VIRT_NETWORK_ROOT", str(root))
    return root
