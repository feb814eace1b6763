"""The QEMU driver's errors, worded and numbered the way libvirt's QEMU driver reports them.

libvirt prefixes each message with words chosen by the error number ("internal error: ",
"Requested operation is not valid: "...); virsh prints the whole text, so the message carries it.
"""

from __future__ import annotations

from virt.errors import (
    ErrorDomain,
    ErrorNumber,
    VirtError,
    libvirt_error,
)


def error(code: ErrorNumber, detail: str | None = None, domain: ErrorDomain = ErrorDomain.QEMU) -> VirtError:
    """The exception libvirt would raise for ``code`` with ``detail`` (raise the result)."""
    return libvirt_error(code, detail, domain)


def internal(detail: str) -> VirtError:
    return error(ErrorNumber.INTERNAL_ERROR, detail)


def operation_failed(detail: str) -> VirtError:
    return error(ErrorNumber.OPERATION_FAILED, detail)


def not_running() -> VirtError:
    """virDomainObjCheckActive's error, which libvirt attributes to the domain config code."""
    return error(ErrorNumber.OPERATION_INVALID, "domain is not running", ErrorDomain.DOMAIN)


def already_running() -> VirtError:
    return error(ErrorNumber.OPERATION_INVALID, "domain is already running")


def unsupported(detail: str) -> VirtError:
    return error(ErrorNumber.CONFIG_UNSUPPORTED, detail)


def no_domain(detail: str) -> VirtError:
    return error(ErrorNumber.NO_DOMAIN, detail)
