"""Fixtures of virt-qemu's tests that stand on their own (no import from ``virt_qemu``): see guest_fixtures."""

from guest_fixtures import qemu_binary, tiny_guest

__all__ = ["qemu_binary", "tiny_guest"]
