"""VMware's .vmx format and domain XML (``virt domxml-from-native`` / ``domxml-to-native vmware-vmx``),
mapped as libvirt's VMX converter maps them.

``from_native(text)`` reads a .vmx file into a ``virt.xml.Domain``; ``to_native(domain)`` writes one.
Both take a ``Context`` (how file names map to datastore paths, the vCenter datacenter) and
``to_native`` the VMware virtual hardware version; without a context a bare file name lies in the
unknown folder ``[?] ?``, as libvirt's ESX driver converts a .vmx that belongs to no VM.
"""

from __future__ import annotations

from virt_esx.vmx.context import Context, datastore_path, in_folder, vmfs_path
from virt_esx.vmx.reader import from_native
from virt_esx.vmx.writer import DEFAULT_VIRTUAL_HW_VERSION, to_native

__all__ = [
    "DEFAULT_VIRTUAL_HW_VERSION",
    "Context",
    "datastore_path",
    "from_native",
    "in_folder",
    "to_native",
    "vmfs_path",
]
