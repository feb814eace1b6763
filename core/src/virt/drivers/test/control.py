"""libvirt 9.0's test driver's control interface: always ok, for a running domain only
(what its testDomainGetControlInfo does)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.domaincontrol import ControlInfo, ControlState
from virt.drivers.test import errors
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.drivers.test.host import Host
    from virt.drivers.test.objects import DomainObj


class ControlOperations:
    """The control-interface method of TestConnection."""

    host: Host

    if TYPE_CHECKING:  # DomainOperations', beside this mixin in TestConnection

        def _domain(self, ref: DomainRef) -> DomainObj: ...

    def get_domain_control_info(self, ref: DomainRef, flags: int) -> ControlInfo:
        if flags:
            raise InvalidArgument(
                f"unsupported flags (0x{flags:x}) in function testDomainGetControlInfo",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.TEST,
            )
        with self.host.lock:
            if not self._domain(ref).active:
                raise errors.not_running()
        return ControlInfo(ControlState.OK, 0, 0)
