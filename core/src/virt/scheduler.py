"""Domain scheduler parameters: virDomainGetSchedulerType, virDomainGetSchedulerParameters(Flags)
and virDomainSetSchedulerParameters(Flags), with the rules every driver applies the same way.

Parameters are typed (``virt.domainstats.TypedParameter``): a driver names the fields it takes and
their types, and ``validate`` refuses anything else in libvirt's words (virTypedParamsValidate).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from virt.domainstats import ParamType, TypedParameter
from virt.errors import ErrorDomain, ErrorNumber, libvirt_error

__all__ = ["WEIGHT", "SchedulerType", "validate"]

WEIGHT = "weight"
"""VIR_DOMAIN_SCHEDULER_WEIGHT: the share of a 'fair' (or Xen credit) scheduler."""
TYPED_PARAM_STRING_OKAY = 4
"""VIR_TYPED_PARAM_STRING_OKAY: what libvirt's public Get*ParametersFlags calls add to the caller's flags,
saying that the caller takes string values (so a driver that takes no flags refuses it too)."""
FIELD_LENGTH = 80
"""VIR_TYPED_PARAM_FIELD_LENGTH: a field name is shorter than this."""

_TYPE_NAMES = {
    ParamType.INT: "int",
    ParamType.UINT: "uint",
    ParamType.LLONG: "llong",
    ParamType.ULLONG: "ullong",
    ParamType.DOUBLE: "double",
    ParamType.BOOLEAN: "boolean",
    ParamType.STRING: "string",
}


class SchedulerType(NamedTuple):
    """virDomainGetSchedulerType: the scheduler's name and how many parameters it has."""

    name: str
    nparams: int


def check_fields(params: Sequence[TypedParameter]) -> None:
    """virTypedParameterValidateSet, in the public API: every field name fits the wire's limit."""
    for param in params:
        if len(param.field) >= FIELD_LENGTH:
            raise libvirt_error(ErrorNumber.INVALID_ARG, f"string parameter name '{param.field}' too long")


def validate(params: Sequence[TypedParameter], accepted: Mapping[str, ParamType], error_domain: ErrorDomain) -> None:
    """virTypedParamsValidate: each field once, known, of its type; libvirt's errors otherwise."""
    seen: set[str] = set()
    for param in sorted(params, key=lambda p: p.field):
        wanted = accepted.get(param.field)
        if wanted is None:
            raise libvirt_error(
                ErrorNumber.ARGUMENT_UNSUPPORTED, f"parameter '{param.field}' not supported", error_domain
            )
        if param.field in seen:
            raise libvirt_error(
                ErrorNumber.INVALID_ARG, f"parameter '{param.field}' occurs multiple times", error_domain
            )
        seen.add(param.field)
        if param.type is not wanted:
            raise libvirt_error(
                ErrorNumber.INVALID_ARG,
                f"invalid type '{_TYPE_NAMES[param.type]}' for parameter '{param.field}', "
                f"expected '{_TYPE_NAMES[wanted]}'",
                error_domain,
            )
