"""Fixtures of virt-lxc's tests: see lxc_fixtures (importable, so tests/integration shares them)."""

from lxc_fixtures import busybox, conn, lxc_root, rootfs

__all__ = ["busybox", "conn", "lxc_root", "rootfs"]
