"""The errors every local driver raises with libvirt's words, in the driver's error domain.

``DriverErrors(ErrorDomain.X)`` makes them; a plugin binds its instance's methods as module functions
(``error = _errors.error``...) and adds the words its hypervisor alone has.
"""

from __future__ import annotations

from virt.errors import ErrorDomain, ErrorNumber, VirtError, libvirt_error


class DriverErrors:
    """libvirt's errors of one driver's domain (``domain``), each raised by the caller."""

    def __init__(self, domain: ErrorDomain) -> None:
        self.domain = domain

    def error(self, code: ErrorNumber, detail: str | None = None, domain: ErrorDomain | None = None) -> VirtError:
        """The exception libvirt would raise for ``code`` with ``detail``."""
        return libvirt_error(code, detail, self.domain if domain is None else domain)

    def internal(self, detail: str) -> VirtError:
        return self.error(ErrorNumber.INTERNAL_ERROR, detail)

    def operation_failed(self, detail: str) -> VirtError:
        return self.error(ErrorNumber.OPERATION_FAILED, detail)

    def invalid(self, detail: str) -> VirtError:
        """A request the domain's state does not allow (OPERATION_INVALID)."""
        return self.error(ErrorNumber.OPERATION_INVALID, detail)

    def invalid_arg(self, detail: str) -> VirtError:
        return self.error(ErrorNumber.INVALID_ARG, detail)

    def unsupported(self, detail: str) -> VirtError:
        """A configuration the driver cannot honour (CONFIG_UNSUPPORTED)."""
        return self.error(ErrorNumber.CONFIG_UNSUPPORTED, detail)

    def not_running(self) -> VirtError:
        """virDomainObjCheckActive's error, which libvirt attributes to the domain config code."""
        return self.error(ErrorNumber.OPERATION_INVALID, "domain is not running", ErrorDomain.DOMAIN)

    def unsupported_flags(self, flags: int, function: str) -> VirtError:
        """virCheckFlags' error: ``flags`` the function ``function`` does not take."""
        return self.error(ErrorNumber.INVALID_ARG, f"unsupported flags (0x{int(flags):x}) in function {function}")
