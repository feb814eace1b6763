"""Host interfaces (libvirt's virInterface API): the typed handle, and the connection's calls.

``Connection.list_interfaces``, ``lookup_interface_by_name`` and the rest (see connection.py) give
``Interface`` handles; the functions here do the work so that connection.py only forwards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.driver import InterfaceRef
from virt.errors import InvalidArgument

if TYPE_CHECKING:
    from virt.connection import Connection
    from virt.xml.hostinterface import HostInterface


class Interface:
    """A handle on one host interface (virInterfacePtr): its name and MAC address."""

    def __init__(self, connection: Connection, ref: InterfaceRef) -> None:
        self.connection = connection
        self.ref = ref

    def __repr__(self) -> str:
        return f"<virt.Interface {self.ref.name}>"

    @property
    def name(self) -> str:
        """virInterfaceGetName."""
        return self.ref.name

    @property
    def mac(self) -> str:
        """virInterfaceGetMACString ("" for an interface without one)."""
        return self.ref.mac

    def model(self, *, inactive: bool = False) -> HostInterface:
        """The parsed description (virInterfaceGetXMLDesc)."""
        return self.connection.driver.get_interface_definition(self.ref, inactive=inactive)

    def xml(self, *, inactive: bool = False) -> str:
        """virInterfaceGetXMLDesc (``inactive``: VIR_INTERFACE_XML_INACTIVE)."""
        return self.model(inactive=inactive).to_xml()

    def is_active(self) -> bool:
        """virInterfaceIsActive."""
        return self.connection.driver.is_interface_active(self.ref)

    def create(self) -> None:
        """virInterfaceCreate: bring the interface up."""
        self.connection._writable("virInterfaceCreate").start_interface(self.ref)

    def destroy(self) -> None:
        """virInterfaceDestroy: bring the interface down."""
        self.connection._writable("virInterfaceDestroy").destroy_interface(self.ref)

    def undefine(self) -> None:
        """virInterfaceUndefine: forget the definition."""
        self.connection._writable("virInterfaceUndefine").undefine_interface(self.ref)


def list_interfaces(conn: Connection, active: bool | None = None) -> list[Interface]:
    """virConnectListAllInterfaces: all of them, or the active (True) or inactive (False) ones."""
    return [Interface(conn, ref) for ref in conn.driver.list_interfaces(active)]


def lookup_by_name(conn: Connection, name: str) -> Interface:
    """virInterfaceLookupByName."""
    return Interface(conn, conn.driver.lookup_interface_by_name(name))


def lookup_by_mac(conn: Connection, mac: str) -> Interface:
    """virInterfaceLookupByMACString."""
    return Interface(conn, conn.driver.lookup_interface_by_mac(mac))


def define(conn: Connection, xml: str | bytes | HostInterface, *, validate: bool = False) -> Interface:
    """virInterfaceDefineXML, from text or a model (copied: the caller keeps theirs); ``validate``
    (VIR_INTERFACE_DEFINE_VALIDATE) checks the text against libvirt's interface.rng first."""
    from virt.xml.hostinterface import HostInterface

    driver = conn._writable("virInterfaceDefineXML")
    if isinstance(xml, HostInterface):
        definition = xml.clone()
    elif isinstance(xml, str | bytes):
        if validate:
            # the schema check virtd runs for the VALIDATE flags, in libvirt's words
            from virt.xml.schema import refuse_invalid

            refuse_invalid(xml)
        definition = HostInterface.from_xml(xml)
    else:
        raise InvalidArgument(
            f"xml must be XML text or a virt.xml.hostinterface.HostInterface, not {type(xml).__name__}"
        )
    return Interface(conn, driver.define_interface(definition))


def change_begin(conn: Connection) -> None:
    """virInterfaceChangeBegin."""
    conn._writable("virInterfaceChangeBegin").begin_interface_change()


def change_commit(conn: Connection) -> None:
    """virInterfaceChangeCommit."""
    conn._writable("virInterfaceChangeCommit").commit_interface_change()


def change_rollback(conn: Connection) -> None:
    """virInterfaceChangeRollback."""
    conn._writable("virInterfaceChangeRollback").rollback_interface_change()
