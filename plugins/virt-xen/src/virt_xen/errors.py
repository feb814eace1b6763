"""The Xen driver's errors, numbered and worded as libvirt's libxl driver reports them (domain LIBXL)."""

from __future__ import annotations

from virt.errors import ErrorDomain, ErrorNumber, VirtError, libvirt_error


def error(code: ErrorNumber, detail: str | None = None, domain: ErrorDomain = ErrorDomain.LIBXL) -> VirtError:
    """The exception libvirt would raise for ``code`` with ``detail`` (raise the result)."""
    return libvirt_error(code, detail, domain)


def internal(detail: str) -> VirtError:
    return error(ErrorNumber.INTERNAL_ERROR, detail)


def operation_failed(detail: str) -> VirtError:
    return error(ErrorNumber.OPERATION_FAILED, detail)


def invalid(detail: str) -> VirtError:
    """A request the domain's state does not allow (libvirt's OPERATION_INVALID)."""
    return error(ErrorNumber.OPERATION_INVALID, detail)


def invalid_arg(detail: str) -> VirtError:
    return error(ErrorNumber.INVALID_ARG, detail)


def unsupported(detail: str) -> VirtError:
    """A configuration this driver cannot honour."""
    return error(ErrorNumber.CONFIG_UNSUPPORTED, detail)


def not_running() -> VirtError:
    """virDomainObjCheckActive's error, which libvirt attributes to the domain config code."""
    return error(ErrorNumber.OPERATION_INVALID, "domain is not running", ErrorDomain.DOMAIN)


def dom0() -> VirtError:
    """An operation libvirt's libxl driver refuses on the control domain."""
    return invalid("Domain-0 does not support requested operation")


def unsupported_flags(flags: int, function: str) -> VirtError:
    return error(ErrorNumber.INVALID_ARG, f"unsupported flags (0x{int(flags):x}) in function {function}")
