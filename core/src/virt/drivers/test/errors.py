"""The test driver's errors, worded, numbered and attributed the way libvirt 9.0 reports them.

libvirt prefixes each message with words chosen by the error number ("internal error: ",
"Requested operation is not valid: "...); virsh prints the whole text, so the message carries it.
"""

from __future__ import annotations

import uuid

from virt.errors import (
    AuthError,
    ErrorDomain,
    ErrorNumber,
    InvalidArgument,
    NotFound,
    OperationInvalid,
    VirtError,
    XMLError,
)

_PREFIXES = {
    ErrorNumber.INTERNAL_ERROR: "internal error",
    ErrorNumber.OPERATION_INVALID: "Requested operation is not valid",
    ErrorNumber.OPERATION_FAILED: "operation failed",
    ErrorNumber.INVALID_ARG: "invalid argument",
    ErrorNumber.XML_ERROR: "XML error",
    ErrorNumber.NO_DOMAIN: "Domain not found",
    ErrorNumber.NO_NETWORK: "Network not found",
    ErrorNumber.NO_STORAGE_POOL: "Storage pool not found",
    ErrorNumber.NO_STORAGE_VOL: "Storage volume not found",
    ErrorNumber.AUTH_FAILED: "authentication failed",
}

_CLASSES: dict[ErrorNumber, type[VirtError]] = {
    ErrorNumber.OPERATION_INVALID: OperationInvalid,
    ErrorNumber.INVALID_ARG: InvalidArgument,
    ErrorNumber.XML_ERROR: XMLError,
    ErrorNumber.NO_NAME: XMLError,
    ErrorNumber.NO_DOMAIN: NotFound,
    ErrorNumber.NO_NETWORK: NotFound,
    ErrorNumber.NO_STORAGE_POOL: NotFound,
    ErrorNumber.NO_STORAGE_VOL: NotFound,
    ErrorNumber.AUTH_FAILED: AuthError,
}


def error(code: ErrorNumber, detail: str | None = None, domain: ErrorDomain = ErrorDomain.TEST) -> VirtError:
    """The exception libvirt would raise for ``code`` with ``detail`` (raise the result)."""
    prefix = _PREFIXES.get(code)
    if prefix is None:
        message = detail or code.name.lower().replace("_", " ")
    else:
        message = f"{prefix}: {detail}" if detail else prefix
    return _CLASSES.get(code, VirtError)(message, code, domain)


def internal(detail: str) -> VirtError:
    return error(ErrorNumber.INTERNAL_ERROR, detail)


def not_running() -> VirtError:
    """virDomainObjCheckActive's error, which libvirt attributes to the domain config code."""
    return error(ErrorNumber.OPERATION_INVALID, "domain is not running", ErrorDomain.DOMAIN)


def domain_gone(uuid_: uuid.UUID, name: str) -> VirtError:
    """A handle whose domain no longer exists."""
    return error(ErrorNumber.NO_DOMAIN, f"no domain with matching uuid '{uuid_}' ({name})")


def missing_name(domain: ErrorDomain) -> VirtError:
    return error(ErrorNumber.NO_NAME, "missing name information", domain)
