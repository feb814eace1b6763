"""LocalNWFilterOperations: the network filter calls of a local driver's connection.

Filters are the host's, not one hypervisor's: ``qemu:///system``, ``lxc:///`` and
``nwfilter:///system`` all reach the one ``virt.nwfilters`` service, so a filter defined through
one is seen through the others. As libvirt's nwfilter driver, it serves the system only: a
session connection (``qemu:///session``) does not support the calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from virt.errors import NotSupported
from virt.localstate.storage import storage_mode

if TYPE_CHECKING:
    import uuid

    from virt.driver import NWFilterBindingRef, NWFilterRef
    from virt.errors import ErrorDomain
    from virt.nwfilters.store import NWFilterService
    from virt.uri import URI


class LocalNWFilterOperations:
    """Mixed into a local driver's connection: every filter call goes to the host's filter service."""

    uri: URI
    driver_name: ClassVar[str]
    error_domain: ClassVar[ErrorDomain]
    _nwfilters: NWFilterService | None = None

    def nwfilter_service(self, call: str) -> NWFilterService:
        """The host's filter service, made on first use; NotSupported (naming ``call``) in session mode."""
        if storage_mode(self.uri) == "session":
            detail = f"this function is not supported by the connection driver '{self.driver_name}': {call}"
            raise NotSupported(detail, domain=self.error_domain)
        if self._nwfilters is None:
            from virt.nwfilters.store import service_for_host

            self._nwfilters = service_for_host()
        return self._nwfilters

    def list_nwfilters(self, flags: int) -> list[NWFilterRef]:
        from virt.nwfilters.store import check_flags, ref_of

        service = self.nwfilter_service("list_nwfilters")
        check_flags(flags, 0, "nwfilterConnectListAllNWFilters")
        return [ref_of(f) for f in service.filters().values()]

    def lookup_nwfilter_by_name(self, name: str) -> NWFilterRef:
        from virt.nwfilters.store import ref_of

        return ref_of(self.nwfilter_service("lookup_nwfilter_by_name").by_name(name))

    def lookup_nwfilter_by_uuid(self, uuid: uuid.UUID) -> NWFilterRef:
        from virt.nwfilters.store import ref_of

        return ref_of(self.nwfilter_service("lookup_nwfilter_by_uuid").by_uuid(uuid))

    def define_nwfilter(self, xml: str, flags: int) -> NWFilterRef:
        from virt.nwfilters.store import ref_of

        return ref_of(self.nwfilter_service("define_nwfilter").define(xml, flags))

    def undefine_nwfilter(self, ref: NWFilterRef) -> None:
        self.nwfilter_service("undefine_nwfilter").undefine(ref.uuid)

    def get_nwfilter_xml(self, ref: NWFilterRef, flags: int) -> str:
        from virt.nwfilters.store import check_flags

        service = self.nwfilter_service("get_nwfilter_xml")
        check_flags(flags, 0, "nwfilterGetXMLDesc")
        return service.by_uuid(ref.uuid).to_xml()

    def list_nwfilter_bindings(self, flags: int) -> list[NWFilterBindingRef]:
        from virt.nwfilters.store import binding_ref_of, check_flags

        service = self.nwfilter_service("list_nwfilter_bindings")
        check_flags(flags, 0, "nwfilterConnectListAllNWFilterBindings")
        return [binding_ref_of(b) for b in service.bindings()]

    def lookup_nwfilter_binding(self, portdev: str) -> NWFilterBindingRef:
        from virt.nwfilters.store import binding_ref_of

        return binding_ref_of(self.nwfilter_service("lookup_nwfilter_binding").binding(portdev))

    def create_nwfilter_binding(self, xml: str, flags: int) -> NWFilterBindingRef:
        from virt.nwfilters.store import binding_ref_of

        return binding_ref_of(self.nwfilter_service("create_nwfilter_binding").create_binding(xml, flags))

    def delete_nwfilter_binding(self, ref: NWFilterBindingRef) -> None:
        self.nwfilter_service("delete_nwfilter_binding").delete_binding(ref.portdev)

    def get_nwfilter_binding_xml(self, ref: NWFilterBindingRef, flags: int) -> str:
        from virt.nwfilters.store import check_flags

        service = self.nwfilter_service("get_nwfilter_binding_xml")
        check_flags(flags, 0, "nwfilterBindingGetXMLDesc")
        return service.binding(ref.portdev).to_xml()
