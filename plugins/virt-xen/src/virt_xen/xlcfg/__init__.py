"""Xen's xl.cfg(5) and xm configuration formats and domain XML, mapped as libvirt 9.0's libxl
driver maps them (``virt domxml-from-native`` / ``domxml-to-native xen-xl``, ``xen-xm``).

``to_native(domain)`` gives the xl.cfg text of a ``virt.xml.Domain``: the Xen driver starts a
guest with it (``xl create``). ``from_native(text)`` reads an xl.cfg into a Domain,
``xm_from_native(text)`` an xm config; both complete it as libvirt's libxl driver does.
``xm_to_native(domain)`` writes an xm config.
"""

from __future__ import annotations

from virt_xen.xlcfg.reader import from_native
from virt_xen.xlcfg.writer import to_native
from virt_xen.xlcfg.xm import from_native as xm_from_native
from virt_xen.xlcfg.xm import to_native as xm_to_native

__all__ = ["from_native", "to_native", "xm_from_native", "xm_to_native"]
