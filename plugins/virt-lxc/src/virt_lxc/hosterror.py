"""The one exception of the host-facing modules (cgroups, network devices).

Those modules are also used by the container's controller, a small long-lived process that
must not import virt's core: they raise ``HostError``, and the driver turns it into a VirtError
(``errors.from_host``).
"""

from __future__ import annotations


class HostError(Exception):
    """A host operation failed, or (``unsupported``) this host cannot do what was asked."""

    def __init__(self, message: str, *, unsupported: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.unsupported = unsupported
