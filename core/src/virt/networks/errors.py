"""libvirt's network errors, with libvirt 9.0's words (checked against libvirtd in the tests)."""

from __future__ import annotations

from virt.errors import ErrorDomain, ErrorNumber, VirtError, libvirt_error


def error(code: ErrorNumber, detail: str) -> VirtError:
    return libvirt_error(code, detail, ErrorDomain.NETWORK)


def internal(detail: str) -> VirtError:
    return error(ErrorNumber.INTERNAL_ERROR, detail)


def invalid(detail: str) -> VirtError:
    return error(ErrorNumber.OPERATION_INVALID, detail)


def unsupported(detail: str) -> VirtError:
    return error(ErrorNumber.CONFIG_UNSUPPORTED, detail)


def no_network_named(name: str) -> VirtError:
    return error(ErrorNumber.NO_NETWORK, f"no network with matching name '{name}'")


def system(detail: str) -> VirtError:
    """A failed host operation (libvirt's virReportSystemError: the errno's text ends the message)."""
    return error(ErrorNumber.SYSTEM_ERROR, detail)
