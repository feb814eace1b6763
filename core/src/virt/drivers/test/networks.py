"""Virtual networks with the rules and messages of libvirt 9.0's test driver. Callers hold ``host.lock``."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from virt.driver import NetworkRef
from virt.drivers.test import errors
from virt.drivers.test.host import Host
from virt.drivers.test.objects import NetworkObj
from virt.errors import ErrorDomain, ErrorNumber
from virt.info import ObjectFilter

if TYPE_CHECKING:
    from virt.xml import Network


def prepare(definition: Network) -> Network:
    """A private copy of a definition about to be stored, with a UUID."""
    if not definition.name:
        raise errors.missing_name(ErrorDomain.NETWORK)
    stored = definition.clone()
    if stored.uuid is None:
        stored.uuid = uuid.uuid4()
    return stored


def add(host: Host, definition: Network, *, live: bool) -> NetworkObj:
    """Register ``definition`` (prepared) as libvirt's virNetworkObjAssignDef does."""
    key = definition.uuid
    assert key is not None, "prepare() gives every definition a UUID"
    existing = host.networks.get(key)
    if existing is not None:
        if existing.name != definition.name:
            raise errors.error(
                ErrorNumber.OPERATION_FAILED,
                f"network '{existing.name}' is already defined with uuid {existing.uuid}",
                ErrorDomain.NETWORK,
            )
        if live:
            if existing.active:
                raise errors.error(
                    ErrorNumber.OPERATION_INVALID,
                    f"network is already active as '{existing.name}'",
                    ErrorDomain.NETWORK,
                )
            # started with a one-off definition: the persistent one comes back when it stops
            existing.pending, existing.definition = existing.definition, definition
        elif existing.active:
            existing.pending = definition
            existing.persistent = True
        else:
            existing.definition = definition
            existing.persistent = True
        return existing
    for other in host.networks.values():
        if other.name == definition.name:
            raise errors.error(
                ErrorNumber.OPERATION_FAILED,
                f"network '{definition.name}' already exists with uuid {other.uuid}",
                ErrorDomain.NETWORK,
            )
    obj = NetworkObj(definition=definition, persistent=not live)
    host.networks[key] = obj
    return obj


def ref_of(obj: NetworkObj) -> NetworkRef:
    return NetworkRef(name=obj.name, uuid=obj.uuid)


class NetworkOperations:
    """Network methods of TestConnection."""

    host: Host

    def _network_named(self, name: str) -> NetworkObj:
        for obj in self.host.networks.values():
            if obj.name == name:
                return obj
        raise errors.error(ErrorNumber.NO_NETWORK, f"no network with matching name '{name}'")

    def _network_with_uuid(self, uuid: uuid.UUID) -> NetworkObj:
        obj = self.host.networks.get(uuid)
        if obj is None:
            raise errors.error(ErrorNumber.NO_NETWORK, f"no network with matching uuid '{uuid}'")
        return obj

    def list_networks(self, filter: ObjectFilter) -> list[NetworkRef]:
        with self.host.lock:
            return [
                ref_of(obj)
                for obj in self.host.networks.values()
                if filter.matches(active=obj.active, persistent=obj.persistent, autostart=obj.autostart)
            ]

    def lookup_network_by_name(self, name: str) -> NetworkRef:
        with self.host.lock:
            return ref_of(self._network_named(name))

    def lookup_network_by_uuid(self, uuid: uuid.UUID) -> NetworkRef:
        with self.host.lock:
            return ref_of(self._network_with_uuid(uuid))

    def get_network_definition(self, ref: NetworkRef, *, inactive: bool = False) -> Network:
        with self.host.lock:
            obj = self._network_named(ref.name)
            definition = obj.pending if inactive and obj.pending is not None else obj.definition
            return definition.clone()

    def define_network(self, network: Network) -> NetworkRef:
        definition = prepare(network)
        with self.host.lock:
            return ref_of(add(self.host, definition, live=False))

    def create_network(self, network: Network) -> NetworkRef:
        definition = prepare(network)
        with self.host.lock:
            obj = add(self.host, definition, live=True)
            obj.active = True
            return ref_of(obj)

    def undefine_network(self, ref: NetworkRef) -> None:
        with self.host.lock:
            obj = self._network_named(ref.name)
            if obj.active:
                raise errors.error(ErrorNumber.OPERATION_INVALID, f"Network '{ref.name}' is still running")
            del self.host.networks[obj.uuid]

    def start_network(self, ref: NetworkRef) -> None:
        with self.host.lock:
            obj = self._network_named(ref.name)
            if obj.active:
                raise errors.error(ErrorNumber.OPERATION_INVALID, f"Network '{ref.name}' is already running")
            obj.active = True

    def destroy_network(self, ref: NetworkRef) -> None:
        # libvirt 9.0's test driver does not check that the network runs: stopping a stopped
        # network succeeds, so it does here too.
        with self.host.lock:
            obj = self._network_named(ref.name)
            obj.active = False
            if obj.pending is not None:
                obj.definition, obj.pending = obj.pending, None
            if not obj.persistent:
                del self.host.networks[obj.uuid]

    def is_network_active(self, ref: NetworkRef) -> bool:
        with self.host.lock:
            return self._network_with_uuid(ref.uuid).active

    def is_network_persistent(self, ref: NetworkRef) -> bool:
        with self.host.lock:
            return self._network_with_uuid(ref.uuid).persistent

    def get_network_autostart(self, ref: NetworkRef) -> bool:
        with self.host.lock:
            return self._network_named(ref.name).autostart

    def set_network_autostart(self, ref: NetworkRef, autostart: bool) -> None:
        with self.host.lock:
            self._network_named(ref.name).autostart = bool(autostart)
