"""Xen's xl.cfg(5) and xm configuration formats and domain XML, mapped as libvirt 9.0's libxl
driver maps them (``virt domxml-from-native`` / ``domxml-to-native xen-xl``, ``xen-xm``).

``to_native(domain)`` gives the xl.cfg text of a ``virt.xml.Domain``: the Xen driver starts a
guest with it (``xl create``).
"""

from __future__ import annotations

from virt_xen.xlcfg.writer import to_native

__all__ = ["to_native"]
