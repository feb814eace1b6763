"""The test driver's errors, worded, numbered and attributed the way libvirt 9.0 reports them.

libvirt prefixes each message with words chosen by the error number ("internal error: ",
"Requested operation is not valid: "...); virsh prints the whole text, so the message carries it.
"""

from __future__ import annotations

import uuid

from virt.errors import (
    ErrorDomain,
    ErrorNumber,
    VirtError,
    libvirt_error,
)


def error(code: ErrorNumber, detail: str | None = None, domain: ErrorDomain = ErrorDomain.TEST) -> VirtError:
    """The exception libvirt would raise for ``code`` with ``detail`` (raise the result)."""
    return libvirt_error(code, detail, domain)


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
