"""Network ports (libvirt's virNetworkPort*): the typed public API.

A port is what a running network hands out for one guest interface: owner (domain name and UUID),
MAC, bandwidth and the plug on the host (the network's bridge). ``ports(network)``,
``lookup(network, uuid)`` and ``create(network, xml)`` give ``NetworkPort`` handles; the network
handles of ``virt.Network`` offer the same as methods (``list_all_ports``, ``port_lookup_by_uuid``,
``port_create_xml``).
"""

from __future__ import annotations

import enum
import uuid as uuid_module
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from virt.driver import NetworkPortRef
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, NotSupported, libvirt_error

if TYPE_CHECKING:
    from virt.connection import Network
    from virt.domainstats import TypedParameter
    from virt.xml.networkport import NetworkPort as NetworkPortModel


class CreateFlags(enum.IntFlag):
    """virNetworkPortCreateFlags."""

    RECLAIM = 1
    """The port's plug is given: take back a port allocated before (a guest reconnected)."""
    VALIDATE = 2
    """Validate the XML against networkport.rng first."""


# virNetworkPortGetParameters' names (VIR_NETWORK_PORT_BANDWIDTH_*), all unsigned ints
BANDWIDTH_PARAMETERS = (
    "inbound.average",
    "inbound.peak",
    "inbound.floor",
    "inbound.burst",
    "outbound.average",
    "outbound.peak",
    "outbound.burst",
)


def check_flags(flags: int, allowed: int, function: str) -> None:
    """libvirt's virCheckFlags in the network driver's words."""
    unknown = int(flags) & ~int(allowed)
    if unknown:
        raise InvalidArgument(
            f"unsupported flags (0x{unknown:x}) in function {function}", ErrorNumber.INVALID_ARG, ErrorDomain.NETWORK
        )


def checked_parameters(params: Sequence[TypedParameter]) -> dict[str, int]:
    """virTypedParamsValidate for virNetworkPortSetParameters: known names, unsigned ints."""
    from virt.domainstats import ParamType

    values: dict[str, int] = {}
    for param in params:
        if param.field not in BANDWIDTH_PARAMETERS:
            raise libvirt_error(
                ErrorNumber.ARGUMENT_UNSUPPORTED, f"parameter '{param.field}' not supported", ErrorDomain.NONE
            )
        if param.type is not ParamType.UINT:
            raise libvirt_error(
                ErrorNumber.INVALID_ARG,
                f"invalid type '{param.type.name.lower()}' for parameter '{param.field}', expected 'uint'",
                ErrorDomain.NONE,
            )
        values[param.field] = int(param.value)
    return values


_T = TypeVar("_T")


def _libvirt_words(api: str, call: Callable[[], _T]) -> _T:
    """``call()``, a driver without network ports refusing in libvirt's library words (libvirt 9.0's
    test driver has none: "this function is not supported by the connection driver: <api>")."""
    try:
        return call()
    except NotSupported as exc:
        if not exc.message.startswith("this function is not supported by the connection driver '"):
            raise
        raise NotSupported(
            f"this function is not supported by the connection driver: {api}",
            ErrorNumber.NO_SUPPORT,
            ErrorDomain.NETWORK,
        ) from None


class NetworkPort:
    """A handle on one network port (virNetworkPortPtr)."""

    def __init__(self, network: Network, ref: NetworkPortRef) -> None:
        self.network = network
        self.ref = ref

    def __repr__(self) -> str:
        return f"<virt.NetworkPort {self.ref.uuid} of {self.network.name}>"

    @property
    def uuid(self) -> uuid_module.UUID:
        """virNetworkPortGetUUID."""
        return self.ref.uuid

    def xml(self, flags: int = 0) -> str:
        """virNetworkPortGetXMLDesc."""
        driver = self.network.connection.driver
        return _libvirt_words("virNetworkPortGetXMLDesc", lambda: driver.get_network_port_xml(self.ref, flags))

    def model(self) -> NetworkPortModel:
        from virt.xml.networkport import NetworkPort as NetworkPortModel

        return NetworkPortModel.from_xml(self.xml())

    def delete(self, flags: int = 0) -> None:
        """virNetworkPortDelete."""
        writable = self.network.connection._writable("virNetworkPortDelete")
        _libvirt_words("virNetworkPortDelete", lambda: writable.delete_network_port(self.ref, flags))

    def parameters(self, flags: int = 0) -> dict[str, int]:
        """virNetworkPortGetParameters: the bandwidth settings by name (``inbound.average`` ...)."""
        driver = self.network.connection.driver
        found = _libvirt_words(
            "virNetworkPortGetParameters", lambda: driver.get_network_port_parameters(self.ref, flags)
        )
        return {param.field: int(param.value) for param in found}

    def set_parameters(self, values: Mapping[str, int], flags: int = 0) -> None:
        """virNetworkPortSetParameters: change bandwidth settings (unsigned ints by name)."""
        from virt.domainstats import ParamType, TypedParameter

        params = [TypedParameter(name, ParamType.UINT, int(value)) for name, value in values.items()]
        writable = self.network.connection._writable("virNetworkPortSetParameters")
        _libvirt_words(
            "virNetworkPortSetParameters", lambda: writable.set_network_port_parameters(self.ref, params, flags)
        )


def ports(network: Network, flags: int = 0) -> list[NetworkPort]:
    """virNetworkListAllPorts: the ports of the running ``network``."""
    driver = network.connection.driver
    found = _libvirt_words("virNetworkListAllPorts", lambda: driver.list_network_ports(network.ref, flags))
    return [NetworkPort(network, ref) for ref in found]


def lookup(network: Network, key: uuid_module.UUID | str) -> NetworkPort:
    """virNetworkPortLookupByUUID(String): a malformed UUID string is refused as libvirt's client does."""
    if isinstance(key, str):
        try:
            key = uuid_module.UUID(key)
        except ValueError:
            raise InvalidArgument(
                f"invalid argument: uuid string '{key}' is malformed", ErrorNumber.INVALID_ARG, ErrorDomain.NETWORK
            ) from None
    driver, found_key = network.connection.driver, key
    ref = _libvirt_words("virNetworkPortLookupByUUID", lambda: driver.lookup_network_port(network.ref, found_key))
    return NetworkPort(network, ref)


def create(network: Network, xml: str, flags: int = 0) -> NetworkPort:
    """virNetworkPortCreateXML: allocate a port on the running ``network`` (``flags``: CreateFlags)."""
    writable = network.connection._writable("virNetworkPortCreateXML")
    ref = _libvirt_words("virNetworkPortCreateXML", lambda: writable.create_network_port(network.ref, xml, flags))
    return NetworkPort(network, ref)
