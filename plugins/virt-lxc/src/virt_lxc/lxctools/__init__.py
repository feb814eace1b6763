"""LXC tools configuration to domain XML: the ``lxc-tools`` native format (``virt domxml-from-native``)."""

from __future__ import annotations

from virt_lxc.lxctools.converter import from_native

__all__ = ["from_native"]
