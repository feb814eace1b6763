"""libvirt 9.0's test driver's domain rename (testDomainRename): a persistent domain that is shut
off, has no managed save, takes a name no other domain has; its events are UNDEFINED then DEFINED,
both RENAMED."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from virt.drivers.test import errors
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError
from virt.events import DefinedDetail, DomainEventType, UndefinedDetail
from virt.states import DomainState

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from virt.driver import DomainRef
    from virt.drivers.test.host import Host
    from virt.drivers.test.objects import DomainObj


def _invalid(message: str, domain: ErrorDomain = ErrorDomain.TEST) -> VirtError:
    return errors.error(ErrorNumber.OPERATION_INVALID, message, domain)


class RenameOperations:
    """The rename method of TestConnection."""

    host: Host

    if TYPE_CHECKING:  # DomainOperations', beside this mixin in TestConnection

        def _domain(self, ref: DomainRef) -> DomainObj: ...
        def _changing(self) -> AbstractContextManager[None]: ...
        def _event(self, obj: DomainObj, type_: DomainEventType, detail: int) -> None: ...

    def rename_domain(self, ref: DomainRef, new_name: str, flags: int) -> None:
        if flags:
            raise InvalidArgument(
                f"unsupported flags (0x{flags:x}) in function testDomainRename",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.TEST,
            )
        with self._changing():
            obj = self._domain(ref)
            if obj.active:
                raise _invalid("cannot rename active domain")
            if not obj.persistent:
                raise _invalid("cannot rename a transient domain")
            if obj.managed_save:
                raise _invalid("domain with a managed saved state can't be renamed")
            if obj.state != DomainState.SHUTOFF:
                raise _invalid("domain has to be shutoff before renaming")
            # virDomainObjListRename's checks, which libvirt attributes to the domain config code
            if new_name == obj.name:
                raise _invalid("Can't rename domain to itself", ErrorDomain.DOMAIN)
            if self.host.domain_by_name(new_name) is not None:
                raise _invalid(f"domain with name '{new_name}' already exists", ErrorDomain.DOMAIN)
            if "/" in new_name:
                raise errors.error(ErrorNumber.XML_ERROR, f"name {new_name} cannot contain '/'", ErrorDomain.TEST)
            assert obj.config is not None  # persistent
            self._event(obj, DomainEventType.UNDEFINED, UndefinedDetail.RENAMED)
            self.host.remove_domain(obj)
            renamed = copy.copy(obj.config)  # stored definitions are replaced, never changed in place
            renamed.name = new_name
            obj.config = renamed
            self.host.add_domain(obj)
            self._event(obj, DomainEventType.DEFINED, DefinedDetail.RENAMED)
