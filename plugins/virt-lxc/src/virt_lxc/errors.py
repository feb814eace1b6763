"""The LXC driver's errors, numbered and worded the way libvirt's LXC driver reports them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.errors import ErrorDomain, ErrorNumber, VirtError, libvirt_error

if TYPE_CHECKING:
    from virt_lxc.hosterror import HostError


def error(code: ErrorNumber, detail: str | None = None, domain: ErrorDomain = ErrorDomain.LXC) -> VirtError:
    """The exception libvirt would raise for ``code`` with ``detail`` (raise the result)."""
    return libvirt_error(code, detail, domain)


def internal(detail: str) -> VirtError:
    return error(ErrorNumber.INTERNAL_ERROR, detail)


def operation_failed(detail: str) -> VirtError:
    return error(ErrorNumber.OPERATION_FAILED, detail)


def invalid(detail: str) -> VirtError:
    """A request the domain's state does not allow (libvirt's OPERATION_INVALID)."""
    return error(ErrorNumber.OPERATION_INVALID, detail)


def unsupported(detail: str) -> VirtError:
    """A configuration this driver (or this host) cannot honour."""
    return error(ErrorNumber.CONFIG_UNSUPPORTED, detail)


def xml_error(detail: str) -> VirtError:
    return error(ErrorNumber.XML_ERROR, detail)


def not_running() -> VirtError:
    """virDomainObjCheckActive's error, which libvirt attributes to the domain config code."""
    return error(ErrorNumber.OPERATION_INVALID, "domain is not running", ErrorDomain.DOMAIN)


def already_running() -> VirtError:
    return error(ErrorNumber.OPERATION_INVALID, "domain is already running")


def no_domain(detail: str) -> VirtError:
    return error(ErrorNumber.NO_DOMAIN, detail)


def system(exc: OSError, what: str) -> VirtError:
    """An operating-system failure while doing ``what``, with the system's words (virReportSystemError)."""
    return error(ErrorNumber.SYSTEM_ERROR, f"{what}: {exc.strerror or exc}")


def from_host(exc: HostError) -> VirtError:
    """The VirtError for a failure of the host-facing modules."""
    return unsupported(exc.message) if exc.unsupported else operation_failed(exc.message)
