"""The bhyve host: where bhyve, its loaders, bhyvectl and ifconfig run (virt.remote.commandhost's
door: this host for ``bhyve:///system``, ssh for ``bhyve+ssh://host/system``), and what stands
for its ``/dev`` (``VIRT_BHYVE_DEV``, ``/dev`` unless tests put the stand-ins' folder there)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from virt.errors import ErrorDomain
from virt.remote.commandhost import CommandHost, Place, for_uri

if TYPE_CHECKING:
    from virt.uri import URI

BHYVE_HOST = Place(ErrorDomain.BHYVE, "bhyve host", "is this a FreeBSD host with bhyve?")


def door(uri: URI) -> CommandHost:
    return for_uri(uri, BHYVE_HOST)


def dev_path(path: str) -> str:
    """Where ``path`` (under ``/dev``) is on the bhyve host: itself, unless ``VIRT_BHYVE_DEV`` names
    the folder that stands for ``/dev`` there."""
    base = os.environ.get("VIRT_BHYVE_DEV")
    if not base or not path.startswith("/dev/"):
        return path
    return f"{base.rstrip('/')}/{path[len('/dev/') :]}"


def vmm_path(name: str) -> str:
    """``/dev/vmm/NAME``: there while the kernel holds the virtual machine."""
    return dev_path(f"/dev/vmm/{name}")
