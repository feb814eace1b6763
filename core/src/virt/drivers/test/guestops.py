"""libvirt 9.0's test driver's NMI injection and guest clock setting: accepted for a running
domain, with no effect on the mock guest (what its testDomainInjectNMI and testDomainSetTime do)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.drivers.test import errors
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.drivers.test.host import Host
    from virt.drivers.test.objects import DomainObj

TIME_SYNC = 1
"""VIR_DOMAIN_TIME_SYNC, the one flag testDomainSetTime takes."""


def _check_flags(flags: int, accepted: int, function: str) -> None:
    if flags & ~accepted:
        raise InvalidArgument(
            f"unsupported flags (0x{flags & ~accepted:x}) in function {function}",
            ErrorNumber.INVALID_ARG,
            ErrorDomain.TEST,
        )


class GuestOperations:
    """The NMI and clock-setting methods of TestConnection."""

    host: Host

    if TYPE_CHECKING:  # DomainOperations', beside this mixin in TestConnection

        def _domain(self, ref: DomainRef) -> DomainObj: ...

    def _require_running(self, ref: DomainRef) -> None:
        with self.host.lock:
            if not self._domain(ref).active:
                raise errors.not_running()

    def inject_domain_nmi(self, ref: DomainRef, flags: int) -> None:
        _check_flags(flags, 0, "testDomainInjectNMI")
        self._require_running(ref)

    def set_domain_time(self, ref: DomainRef, seconds: int, nseconds: int, flags: int) -> None:
        _check_flags(flags, TIME_SYNC, "testDomainSetTime")
        self._require_running(ref)
