"""What a conversion needs from outside the two documents (libvirt's virVMXContext): how file names
in a .vmx map to the paths domain XML holds, and what the host says about the VM.

Without a host the file names are what libvirt's ESX driver gives ``virsh domxml-from-native
vmware-vmx``: ``/vmfs/volumes/DS/PATH`` is the datastore path ``[DS] PATH``, a bare file name lies
in the VM's folder, which a conversion without a VM does not know (``[?] ?/NAME``), an absolute
path outside the datastores stays as it is. The ESX driver passes the folder of the VM it reads.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import attrs
from virt.errors import ErrorNumber, libvirt_error
from virt.xml.devices import Disk

VMFS_VOLUMES = "/vmfs/volumes/"

# (file name in the .vmx, whether a missing file may be dropped) -> the path for the domain XML,
# or None when the file is missing and that is allowed (a CD-ROM's image: the drive stays, empty)
ParseFileName = Callable[[str, bool], "str | None"]
# the path in the domain XML -> the file name for the .vmx
FormatFileName = Callable[[str], str]
# a SCSI disk whose controller has model 'auto' -> the controller model it needs
AutodetectSCSIModel = Callable[[Disk], str]


# The VM's folder when there is no VM: libvirt's ESX driver converts native configs with it.
UNKNOWN_FOLDER = "[?] ?"


def datastore_path(file_name: str, allow_missing: bool = False, *, folder: str = UNKNOWN_FOLDER) -> str | None:
    """The domain XML path of a .vmx file name, by the convention above; a bare file name lies in
    ``folder``, the datastore path of the folder of the VM's .vmx."""
    if file_name.startswith(VMFS_VOLUMES):
        datastore, _, path = file_name[len(VMFS_VOLUMES) :].lstrip("/").partition("/")
        if not datastore or not path:
            raise libvirt_error(
                ErrorNumber.INTERNAL_ERROR,
                f"File name '{file_name}' is not of the form '/vmfs/volumes/<datastore>/<path>'",
            )
        return f"[{datastore}] {path}"
    if file_name.startswith("/"):
        return file_name
    if "/" in file_name:
        raise libvirt_error(
            ErrorNumber.INTERNAL_ERROR, f"File name '{file_name}' is a relative path, which is not supported"
        )
    return f"{folder}/{file_name}"


def in_folder(folder: str) -> ParseFileName:
    """``datastore_path`` for a VM whose .vmx lies in ``folder`` (``[DS] DIR``)."""
    return functools.partial(datastore_path, folder=folder)


def vmfs_path(src: str) -> str:
    """The .vmx file name of a domain XML path: a datastore path ``[DS] PATH`` becomes
    ``/vmfs/volumes/DS/PATH``, an absolute path stays."""
    if src.startswith("["):
        datastore, bracket, path = src[1:].partition("]")
        if not bracket or not datastore:
            raise libvirt_error(
                ErrorNumber.INTERNAL_ERROR, f"Datastore path '{src}' is not of the form '[<datastore>] <path>'"
            )
        return f"{VMFS_VOLUMES}{datastore}/{path.lstrip(' ')}"
    if src.startswith("/"):
        return src
    raise libvirt_error(ErrorNumber.INTERNAL_ERROR, f"Path '{src}' is relative, which is not supported")


@attrs.frozen
class Context:
    """The outside facts of one conversion.

    ``datacenter_path`` and ``moref`` (a vCenter's datacenter, folders included, and the VM's
    managed object id) go into the domain XML's vmware namespace when set."""

    parse_file_name: ParseFileName = datastore_path
    format_file_name: FormatFileName = vmfs_path
    autodetect_scsi_model: AutodetectSCSIModel | None = None
    datacenter_path: str | None = None
    moref: str | None = None


DEFAULT = Context()
