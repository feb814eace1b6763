"""The bhyve driver's errors, numbered and worded as libvirt's bhyve driver reports them (domain BHYVE)."""

from __future__ import annotations

from virt.errors import ErrorDomain
from virt.localstate.errors import DriverErrors

_errors = DriverErrors(ErrorDomain.BHYVE)
error = _errors.error
internal = _errors.internal
operation_failed = _errors.operation_failed
invalid = _errors.invalid
invalid_arg = _errors.invalid_arg
unsupported = _errors.unsupported
not_running = _errors.not_running
unsupported_flags = _errors.unsupported_flags
