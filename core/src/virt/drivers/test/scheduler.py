"""libvirt 9.0's test driver's scheduler: 'fair', with one parameter, a weight of 50 that a change
is checked against and then leaves as it was (what its testDomain*SchedulerParameters* do)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from virt import scheduler
from virt.domainstats import ParamType, TypedParameter
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument
from virt.scheduler import SchedulerType

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.drivers.test.host import Host
    from virt.drivers.test.objects import DomainObj

WEIGHT = 50
"""The weight libvirt's test driver reports for every domain, whatever was set."""
_ACCEPTED = {scheduler.WEIGHT: ParamType.UINT}


def _no_flags(flags: int, function: str) -> None:
    if flags:
        raise InvalidArgument(
            f"unsupported flags (0x{flags:x}) in function {function}", ErrorNumber.INVALID_ARG, ErrorDomain.TEST
        )


class SchedulerOperations:
    """The scheduler methods of TestConnection."""

    host: Host

    if TYPE_CHECKING:  # DomainOperations', beside this mixin in TestConnection

        def _domain(self, ref: DomainRef) -> DomainObj: ...

    def get_domain_scheduler_type(self, ref: DomainRef) -> SchedulerType:
        # libvirt's test driver answers without looking the domain up
        return SchedulerType("fair", len(_ACCEPTED))

    def get_domain_scheduler_parameters(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        _no_flags(flags, "testDomainGetSchedulerParametersFlags")
        with self.host.lock:
            self._domain(ref)
        return [TypedParameter(scheduler.WEIGHT, ParamType.UINT, WEIGHT)]

    def set_domain_scheduler_parameters(self, ref: DomainRef, params: Sequence[TypedParameter], flags: int) -> None:
        _no_flags(flags, "testDomainSetSchedulerParametersFlags")
        scheduler.validate(params, _ACCEPTED, ErrorDomain.NONE)  # virTypedParamsValidate: util code
        with self.host.lock:
            self._domain(ref)
