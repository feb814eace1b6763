"""The Xen driver's errors, numbered and worded as libvirt's libxl driver reports them (domain LIBXL)."""

from __future__ import annotations

from virt.errors import ErrorDomain, VirtError
from virt.localstate.errors import DriverErrors

_errors = DriverErrors(ErrorDomain.LIBXL)
error = _errors.error
internal = _errors.internal
operation_failed = _errors.operation_failed
invalid = _errors.invalid
invalid_arg = _errors.invalid_arg
unsupported = _errors.unsupported
not_running = _errors.not_running
unsupported_flags = _errors.unsupported_flags


def dom0() -> VirtError:
    """An operation libvirt's libxl driver refuses on the control domain."""
    return invalid("Domain-0 does not support requested operation")
