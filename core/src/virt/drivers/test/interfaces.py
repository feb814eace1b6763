"""Host interfaces with the rules and messages of libvirt 9.0's test driver (testInterface*).

Interfaces are found by name for every call, as libvirt's test driver finds them. A transaction
(virInterfaceChangeBegin) keeps a copy of the interfaces; like libvirt's virInterfaceObjListClone,
the copy holds the definitions only, so a rollback leaves every interface inactive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.driver import InterfaceRef
from virt.drivers.test import errors
from virt.drivers.test.host import Host
from virt.drivers.test.objects import InterfaceObj
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument

if TYPE_CHECKING:
    from virt.xml.hostinterface import HostInterface

_XML_INACTIVE = 1  # VIR_INTERFACE_XML_INACTIVE, which the test driver refuses


def add(host: Host, definition: HostInterface) -> InterfaceObj:
    """virInterfaceObjListAssignDef: a new inactive interface, or a new definition for an existing one."""
    obj = host.interfaces.get(definition.name)
    if obj is None:
        obj = InterfaceObj(definition)
        host.interfaces[definition.name] = obj
    else:
        obj.definition = definition
    return obj


def ref_of(obj: InterfaceObj) -> InterfaceRef:
    return InterfaceRef(name=obj.name, mac=obj.definition.mac or "")


class InterfaceOperations:
    """Host interface methods of TestConnection."""

    host: Host

    def _interface_named(self, name: str) -> InterfaceObj:
        obj = self.host.interfaces.get(name)
        if obj is None:
            raise errors.error(ErrorNumber.NO_INTERFACE, f"no interface with matching name '{name}'")
        return obj

    def list_interfaces(self, active: bool | None = None) -> list[InterfaceRef]:
        with self.host.lock:
            return [ref_of(obj) for obj in self.host.interfaces.values() if active is None or obj.active == active]

    def lookup_interface_by_name(self, name: str) -> InterfaceRef:
        with self.host.lock:
            return ref_of(self._interface_named(name))

    def lookup_interface_by_mac(self, mac: str) -> InterfaceRef:
        with self.host.lock:
            # libvirt compares with g_ascii_strcasecmp, which calls a missing MAC equal to any: an
            # interface without one matches every lookup
            found = [
                obj
                for obj in self.host.interfaces.values()
                if obj.definition.mac is None or obj.definition.mac.lower() == mac.lower()
            ]
        if not found:
            raise errors.error(ErrorNumber.NO_INTERFACE, f"no interface with matching mac '{mac}'")
        if len(found) > 1:
            raise errors.error(ErrorNumber.MULTIPLE_INTERFACES)
        # libvirt names the handle with the MAC as asked, in the case the caller wrote it
        return InterfaceRef(name=found[0].name, mac=mac)

    def get_interface_definition(self, ref: InterfaceRef, *, inactive: bool = False) -> HostInterface:
        if inactive:
            raise InvalidArgument(
                f"unsupported flags (0x{_XML_INACTIVE:x}) in function testInterfaceGetXMLDesc",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.TEST,
            )
        with self.host.lock:
            return self._interface_named(ref.name).definition.clone()

    def define_interface(self, interface: HostInterface) -> InterfaceRef:
        with self.host.lock:
            return ref_of(add(self.host, interface))

    def undefine_interface(self, ref: InterfaceRef) -> None:
        with self.host.lock:
            del self.host.interfaces[self._interface_named(ref.name).name]

    def start_interface(self, ref: InterfaceRef) -> None:
        with self.host.lock:
            obj = self._interface_named(ref.name)
            if obj.active:
                raise errors.error(ErrorNumber.OPERATION_INVALID)
            obj.active = True

    def destroy_interface(self, ref: InterfaceRef) -> None:
        with self.host.lock:
            obj = self._interface_named(ref.name)
            if not obj.active:
                raise errors.error(ErrorNumber.OPERATION_INVALID)
            obj.active = False

    def is_interface_active(self, ref: InterfaceRef) -> bool:
        with self.host.lock:
            return self._interface_named(ref.name).active

    def begin_interface_change(self) -> None:
        with self.host.lock:
            if self.host.interface_backup is not None:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "there is another transaction running.")
            self.host.interface_backup = {
                name: InterfaceObj(obj.definition.clone()) for name, obj in self.host.interfaces.items()
            }

    def commit_interface_change(self) -> None:
        with self.host.lock:
            if self.host.interface_backup is None:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "no transaction running, nothing to be committed.")
            self.host.interface_backup = None

    def rollback_interface_change(self) -> None:
        with self.host.lock:
            backup = self.host.interface_backup
            if backup is None:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "no transaction running, nothing to rollback.")
            self.host.interfaces, self.host.interface_backup = backup, None
