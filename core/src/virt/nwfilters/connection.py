"""The ``nwfilter:///system`` driver: a connection serving the host's network filters only, as
libvirt's nwfilter driver (``virtnwfilterd``) does under that URI."""

from __future__ import annotations

from typing import ClassVar

from virt.driver import DriverConnection
from virt.errors import ErrorDomain, ErrorNumber, libvirt_error
from virt.localstate.nwfilters import LocalNWFilterOperations
from virt.uri import URI


class NWFilterConnection(LocalNWFilterOperations, DriverConnection):
    """Filters and bindings through ``virt.nwfilters``; every other call is not supported."""

    driver_name: ClassVar[str] = "nwfilter"
    error_domain: ClassVar[ErrorDomain] = ErrorDomain.NWFILTER

    def __init__(self, uri: URI, *, readonly: bool = False) -> None:
        if uri.path != "/system":
            detail = f"unexpected nwfilter URI path '{uri.path}', try nwfilter:///system"
            raise libvirt_error(ErrorNumber.INTERNAL_ERROR, detail)
        super().__init__(uri, readonly=readonly)
