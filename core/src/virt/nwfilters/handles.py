"""Handles on network filters and filter bindings, as virNWFilterPtr and virNWFilterBindingPtr."""

from __future__ import annotations

import uuid as uuid_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from virt.connection import Connection
    from virt.driver import NWFilterBindingRef, NWFilterRef


class NetworkFilter:
    """A handle on one defined network filter: name and UUID."""

    def __init__(self, connection: Connection, ref: NWFilterRef) -> None:
        self.connection = connection
        self.ref = ref

    @property
    def name(self) -> str:
        """virNWFilterGetName."""
        return self.ref.name

    @property
    def uuid(self) -> uuid_module.UUID:
        """virNWFilterGetUUID."""
        return self.ref.uuid

    def __repr__(self) -> str:
        return f"<NetworkFilter {self.name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NetworkFilter) and other.connection is self.connection and other.uuid == self.uuid

    def __hash__(self) -> int:
        return hash(self.uuid)

    def xml(self, flags: int = 0) -> str:
        """virNWFilterGetXMLDesc."""
        return self.connection.driver.get_nwfilter_xml(self.ref, int(flags))

    def undefine(self) -> None:
        """virNWFilterUndefine (refused while a binding uses the filter)."""
        self.connection._writable("virNWFilterUndefine").undefine_nwfilter(self.ref)


class NetworkFilterBinding:
    """A handle on one binding of a filter to a port device: the port device and the filter's name."""

    def __init__(self, connection: Connection, ref: NWFilterBindingRef) -> None:
        self.connection = connection
        self.ref = ref

    @property
    def portdev(self) -> str:
        """virNWFilterBindingGetPortDev."""
        return self.ref.portdev

    @property
    def filter_name(self) -> str:
        """virNWFilterBindingGetFilterName."""
        return self.ref.filter

    def __repr__(self) -> str:
        return f"<NetworkFilterBinding {self.portdev} -> {self.filter_name}>"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, NetworkFilterBinding)
            and other.connection is self.connection
            and other.portdev == self.portdev
        )

    def __hash__(self) -> int:
        return hash(self.portdev)

    def xml(self, flags: int = 0) -> str:
        """virNWFilterBindingGetXMLDesc."""
        return self.connection.driver.get_nwfilter_binding_xml(self.ref, int(flags))

    def delete(self) -> None:
        """virNWFilterBindingDelete."""
        self.connection._writable("virNWFilterBindingDelete").delete_nwfilter_binding(self.ref)
