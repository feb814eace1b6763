"""LocalNetworkOperations: the network calls of a local driver's connection (QEMU, LXC), served by
the process's one host network service (``virt.networks``) for the URI's mode.

The service is acquired on the connection's first network call, not at open: a connection that
never asks about networks never takes the network folders' owner lock nor autostarts networks.
Every connection of the process shares the one instance; the last to close lets go of it, never
of the running networks.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from virt.driver import NetworkPortRef, NetworkRef
from virt.localstate.instances import Instances

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable, Sequence

    from virt.domainchanges import DomainInterface
    from virt.domainstats import TypedParameter
    from virt.info import NetworkDHCPLease, ObjectFilter
    from virt.networkevents import NetworkEvent
    from virt.networks.paths import NetworkPaths
    from virt.networks.service import NetworkObj, NetworkService
    from virt.uri import URI
    from virt.xml import Domain, Network
    from virt.xml.devices import Interface
    from virt.xml.networkport import NetworkPort


def _make(paths: NetworkPaths) -> NetworkService:
    from virt.networks.service import NetworkService

    return NetworkService(paths)


def _key(service: NetworkService) -> NetworkPaths:
    return service.paths


_services: Instances[NetworkPaths, NetworkService] = Instances(_make, _key)
_acquiring = threading.Lock()


def _ref(obj: NetworkObj) -> NetworkRef:
    return NetworkRef(name=obj.name, uuid=obj.uuid)


def bridge_of_network(mode: str, name: str) -> str:
    """The bridge of the running network ``name`` of ``mode``'s network service, for a guest's
    interface (the service is made for the call when no connection holds it)."""
    from virt.networks.paths import NetworkPaths

    service = _services.acquire(NetworkPaths.for_mode(mode))
    try:
        return service.bridge_of(name)
    finally:
        _services.release(service)


# == network ports of running guests (virNetworkPort*) ===========================================
def _port_of(definition: Domain, iface: Interface) -> NetworkPort:
    """The port libvirt's domain code asks the network for (virDomainNetDefToNetworkPort)."""
    import copy
    import uuid as uuid_module

    from virt.xml.networkport import NetworkPort

    assert iface.mac is not None and iface.mac.address and definition.name and definition.uuid
    port = NetworkPort(uuid_module.uuid4(), definition.name, definition.uuid, iface.mac.address.lower())
    if iface.source is not None and iface.source.portgroup:
        port.group = iface.source.portgroup
    if iface.bandwidth is not None:
        from virt.xml.networkport import bandwidth_of

        port.bandwidth = bandwidth_of(iface.bandwidth)
    port.vlan = copy.deepcopy(iface.vlan)
    port.trust_guest_rx_filters = iface.trust_guest_rx_filters
    return port


def allocate_ports(mode: str, definition: Domain) -> None:
    """A port on its network for every network interface of the ``definition`` about to run, as
    libvirt's drivers allocate them at start (net-port-list shows them); all or none."""
    from virt.networks.paths import NetworkPaths

    service = _services.acquire(NetworkPaths.for_mode(mode))
    made: list[tuple[str, uuid.UUID]] = []
    try:
        for iface in _network_interfaces(definition):
            assert iface.source is not None and iface.source.network
            port = service.port_create(iface.source.network, _port_of(definition, iface))
            made.append((iface.source.network, port.uuid))
    except BaseException:
        for network, key in made:
            service.port_delete(network, key)
        raise
    finally:
        _services.release(service)


def release_ports(mode: str, definition: Domain | None) -> None:
    """Give back the ports of the stopped guest ``definition`` (its owner UUID and MACs); a network
    stopped meanwhile took its ports with it."""
    from virt.errors import VirtError
    from virt.networks.paths import NetworkPaths

    if definition is None or definition.uuid is None:
        return
    service = _services.acquire(NetworkPaths.for_mode(mode))
    try:
        for iface in _network_interfaces(definition):
            assert iface.source is not None and iface.mac is not None and iface.mac.address
            network = iface.source.network or ""
            try:
                ports = service.port_list(network)
            except VirtError:
                continue  # the network is gone or stopped: no ports left there
            for port in ports:
                if port.owner_uuid == definition.uuid and port.mac == iface.mac.address.lower():
                    service.port_delete(network, port.uuid)
    finally:
        _services.release(service)


# == end of network ports of running guests =======================================================


def _network_interfaces(definition: Domain) -> list[Interface]:
    devices = definition.devices
    return [
        iface
        for iface in (devices.interfaces if devices is not None else [])
        if iface.type == "network" and iface.source is not None and iface.source.network
        and iface.mac is not None and iface.mac.address
    ]  # fmt: skip


def interfaces_from_leases(mode: str, definition: Domain) -> list[DomainInterface]:
    """``domifaddr --source lease``: each network interface of the running ``definition`` with the
    addresses its network's DHCP leases give its MAC (interfaces without a lease are left out, as
    libvirt's virDomainNetDHCPInterfaces does)."""
    from virt.domainchanges import DomainInterface, IPAddress, IPAddressType
    from virt.networks.paths import NetworkPaths

    found: list[DomainInterface] = []
    service = _services.acquire(NetworkPaths.for_mode(mode))
    try:
        for iface in _network_interfaces(definition):
            assert iface.source is not None and iface.mac is not None
            leases = service.dhcp_leases(iface.source.network or "", iface.mac.address)
            if leases:
                addresses = tuple(IPAddress(IPAddressType(lease.type), lease.ipaddr, lease.prefix) for lease in leases)
                name = iface.target.dev if iface.target is not None and iface.target.dev else ""
                found.append(DomainInterface(name, iface.mac.address, addresses))
    finally:
        _services.release(service)
    return found


def hostname_from_leases(mode: str, definition: Domain) -> str | None:
    """``domhostname --source lease``: the host name the guest gave with the first lease of its
    network interfaces that has one."""
    from virt.networks.paths import NetworkPaths

    service = _services.acquire(NetworkPaths.for_mode(mode))
    try:
        for iface in _network_interfaces(definition):
            assert iface.source is not None and iface.mac is not None
            for lease in service.dhcp_leases(iface.source.network or "", iface.mac.address):
                if lease.hostname:
                    return lease.hostname
    finally:
        _services.release(service)
    return None


class LocalNetworkOperations:
    """A mixin placed before ``LocalConnection`` in a local driver connection's bases."""

    uri: URI
    _network_service: NetworkService | None = None

    @property
    def networks(self) -> NetworkService:
        """The host network service, acquired on first use."""
        with _acquiring:
            if self._network_service is None:
                from virt.networks.paths import NetworkPaths

                mode = "system" if self.uri.path.strip("/") == "system" else "session"
                self._network_service = _services.acquire(NetworkPaths.for_mode(mode))
            return self._network_service

    _network_unsubscribes: list[Callable[[], None]] | None = None

    def subscribe_network_events(self, callback: Callable[[NetworkEvent], None]) -> Callable[[], None]:
        """The service's events (every connection's changes), delivered by its hub's thread."""
        unsubscribe = self.networks.events.subscribe(callback)
        if self._network_unsubscribes is None:
            self._network_unsubscribes = []
        self._network_unsubscribes.append(unsubscribe)
        return unsubscribe

    def close(self) -> None:
        for unsubscribe in self._network_unsubscribes or []:
            unsubscribe()  # the service outlives this connection when others share it
        self._network_unsubscribes = None
        with _acquiring:
            service, self._network_service = self._network_service, None
        if service is not None:
            _services.release(service)
        parent: Any = super()
        parent.close()

    def list_networks(self, filter: ObjectFilter) -> list[NetworkRef]:
        return [_ref(obj) for obj in self.networks.listing(filter)]

    def lookup_network_by_name(self, name: str) -> NetworkRef:
        with self.networks.lock:
            return _ref(self.networks.find(name))

    def lookup_network_by_uuid(self, uuid: uuid.UUID) -> NetworkRef:
        with self.networks.lock:
            return _ref(self.networks.by_uuid(uuid))

    def get_network_definition(self, ref: NetworkRef, *, inactive: bool = False) -> Network:
        return self.networks.definition(ref.name, inactive=inactive)

    def define_network(self, network: Network) -> NetworkRef:
        return _ref(self.networks.define(network))

    def create_network(self, network: Network) -> NetworkRef:
        return _ref(self.networks.create(network))

    def undefine_network(self, ref: NetworkRef) -> None:
        self.networks.undefine(ref.name)

    def start_network(self, ref: NetworkRef) -> None:
        self.networks.start(ref.name)

    def destroy_network(self, ref: NetworkRef) -> None:
        self.networks.destroy(ref.name)

    def is_network_active(self, ref: NetworkRef) -> bool:
        with self.networks.lock:
            return self.networks.by_uuid(ref.uuid).active

    def is_network_persistent(self, ref: NetworkRef) -> bool:
        with self.networks.lock:
            return self.networks.by_uuid(ref.uuid).persistent

    def get_network_autostart(self, ref: NetworkRef) -> bool:
        with self.networks.lock:
            return self.networks.find(ref.name).autostart

    def set_network_autostart(self, ref: NetworkRef, autostart: bool) -> None:
        self.networks.set_autostart(ref.name, bool(autostart))

    def update_network(
        self, ref: NetworkRef, command: int, section: int, parent_index: int, xml: str, flags: int
    ) -> None:
        self.networks.update(ref.name, command, section, parent_index, xml, flags)

    def get_network_dhcp_leases(self, ref: NetworkRef, mac: str | None) -> list[NetworkDHCPLease]:
        return self.networks.dhcp_leases(ref.name, mac)

    # == network ports (virNetworkPort*): served by the host network service ========================
    def list_network_ports(self, ref: NetworkRef, flags: int) -> list[NetworkPortRef]:
        from virt.networkports import check_flags

        check_flags(flags, 0, "networkListAllPorts")
        return [NetworkPortRef(ref, port.uuid) for port in self.networks.port_list(ref.name)]

    def lookup_network_port(self, ref: NetworkRef, uuid: uuid.UUID) -> NetworkPortRef:
        return NetworkPortRef(ref, self.networks.port_lookup(ref.name, uuid).uuid)

    def create_network_port(self, ref: NetworkRef, xml: str, flags: int) -> NetworkPortRef:
        from virt.networkports import CreateFlags, check_flags
        from virt.xml.networkport import NetworkPort

        check_flags(flags, CreateFlags.RECLAIM | CreateFlags.VALIDATE, "networkPortCreateXML")
        if flags & CreateFlags.VALIDATE:
            from virt.xml.schema import refuse_invalid

            refuse_invalid(xml, located=False)
        port = self.networks.port_create(ref.name, NetworkPort.from_xml(xml), flags)
        return NetworkPortRef(ref, port.uuid)

    def get_network_port_xml(self, port: NetworkPortRef, flags: int) -> str:
        from virt.networkports import check_flags

        check_flags(flags, 0, "networkPortGetXMLDesc")
        return self.networks.port_lookup(port.network.name, port.uuid).to_xml()

    def delete_network_port(self, port: NetworkPortRef, flags: int) -> None:
        from virt.networkports import check_flags

        check_flags(flags, 0, "networkPortDelete")
        self.networks.port_delete(port.network.name, port.uuid)

    def get_network_port_parameters(self, port: NetworkPortRef, flags: int) -> list[TypedParameter]:
        from virt.domainstats import ParamType, TypedParameter
        from virt.networkports import check_flags

        check_flags(flags, 0, "networkPortGetParameters")
        values = self.networks.port_parameters(port.network.name, port.uuid)
        return [TypedParameter(name, ParamType.UINT, value) for name, value in values.items()]

    def set_network_port_parameters(self, port: NetworkPortRef, params: Sequence[TypedParameter], flags: int) -> None:
        from virt.networkports import check_flags, checked_parameters

        check_flags(flags, 0, "networkPortSetParameters")
        self.networks.port_set_parameters(port.network.name, port.uuid, checked_parameters(params))

    # == end of network ports ========================================================================
