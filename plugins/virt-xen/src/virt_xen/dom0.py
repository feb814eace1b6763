"""The one door to the Xen control domain: virt.remote.commandhost's, worded for dom0.

``xen:///system`` runs on dom0 itself (``LocalDom0``: subprocesses); ``xen+ssh://[user@]host[:port]/system``
reaches a remote dom0 with OpenSSH (``SshDom0``), through one shared master connection.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from virt.errors import ErrorDomain
from virt.remote.commandhost import CommandHost, LocalHost, Place, Result, Spawned, SshHost

if TYPE_CHECKING:
    from virt.uri import URI

__all__ = ["DOM0", "Dom0", "LocalDom0", "Result", "Spawned", "SshDom0", "for_uri"]

DOM0 = Place(
    ErrorDomain.LIBXL,
    "dom0",
    "is Xen's toolstack installed?",
    re.compile(r"^(Parsing config from |Saving to |Loading new save file |xc: (info|progress): )"),
)
"""What xl and libxc print on their way (``chatter``) is no part of a complaint."""

Dom0 = CommandHost


class LocalDom0(LocalHost):
    """This host is dom0."""

    def __init__(self) -> None:
        super().__init__(DOM0)


class SshDom0(SshHost):
    """A remote dom0 over OpenSSH."""

    def __init__(self, uri: URI) -> None:
        super().__init__(uri, DOM0)


def for_uri(uri: URI) -> Dom0:
    """The door ``uri`` names: this host for ``xen:///``, ssh for ``xen+ssh://host/``."""
    if uri.transport == "ssh":
        return SshDom0(uri)
    return LocalDom0()
