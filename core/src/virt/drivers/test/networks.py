"""Virtual networks with the rules and messages of libvirt 9.0's test driver, and the lifecycle events
it queues as its calls succeed (delivered once the host's lock is let go). Callers hold ``host.lock``."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from virt.driver import NetworkRef
from virt.drivers.test import errors
from virt.drivers.test.host import Host
from virt.drivers.test.objects import NetworkObj
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument
from virt.info import ObjectFilter
from virt.networkevents import NetworkEvent, NetworkEventType

UPDATE_LIVE, UPDATE_CONFIG = 1, 2  # virNetworkUpdateFlags (0: the current state)

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

    def _queue(self, obj: NetworkObj, kind: NetworkEventType) -> None:
        self.host.network_events.queue(NetworkEvent(ref_of(obj), kind))

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
        if inactive:  # libvirt's test driver takes no flags here
            raise InvalidArgument(
                "unsupported flags (0x1) in function testNetworkGetXMLDesc", ErrorNumber.INVALID_ARG, ErrorDomain.TEST
            )
        with self.host.lock:
            return self._network_named(ref.name).definition.clone()

    def define_network(self, network: Network) -> NetworkRef:
        definition = prepare(network)
        with self.host.lock:
            obj = add(self.host, definition, live=False)
            self._queue(obj, NetworkEventType.DEFINED)
            ref = ref_of(obj)
        self.host.network_events.flush()
        return ref

    def create_network(self, network: Network) -> NetworkRef:
        definition = prepare(network)
        with self.host.lock:
            obj = add(self.host, definition, live=True)
            obj.active = True
            self._queue(obj, NetworkEventType.STARTED)
            ref = ref_of(obj)
        self.host.network_events.flush()
        return ref

    def undefine_network(self, ref: NetworkRef) -> None:
        with self.host.lock:
            obj = self._network_named(ref.name)
            if obj.active:
                raise errors.error(ErrorNumber.OPERATION_INVALID, f"Network '{ref.name}' is still running")
            del self.host.networks[obj.uuid]
            self._queue(obj, NetworkEventType.UNDEFINED)
        self.host.network_events.flush()

    def start_network(self, ref: NetworkRef) -> None:
        with self.host.lock:
            obj = self._network_named(ref.name)
            if obj.active:
                raise errors.error(ErrorNumber.OPERATION_INVALID, f"Network '{ref.name}' is already running")
            obj.active = True
            self._queue(obj, NetworkEventType.STARTED)
        self.host.network_events.flush()

    def destroy_network(self, ref: NetworkRef) -> None:
        # libvirt 9.0's test driver does not check that the network runs: stopping a stopped
        # network succeeds (and says it stopped), so it does here too. Nor does it put a
        # redefinition made while the network ran in force: the running definition stays shown.
        with self.host.lock:
            obj = self._network_named(ref.name)
            obj.active = False
            if not obj.persistent:
                del self.host.networks[obj.uuid]
            self._queue(obj, NetworkEventType.STOPPED)
        self.host.network_events.flush()

    def update_network(
        self, ref: NetworkRef, command: int, section: int, parent_index: int, xml: str, flags: int
    ) -> None:
        """virNetworkUpdate as libvirt's test driver does it: the shared rules of virNetworkObjUpdate on
        the definitions in memory (no dnsmasq to tell)."""
        from virt.networks import update

        accepted = UPDATE_LIVE | UPDATE_CONFIG
        if flags & ~accepted:
            raise errors.error(
                ErrorNumber.INVALID_ARG, f"unsupported flags (0x{flags & ~accepted:x}) in function testNetworkUpdate"
            )
        with self.host.lock:
            obj = self._network_with_uuid(ref.uuid)
            if not flags & accepted:
                flags |= UPDATE_LIVE if obj.active else UPDATE_CONFIG
            if flags & UPDATE_LIVE and not obj.active:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "network is not running", ErrorDomain.NETWORK)
            if flags & UPDATE_CONFIG and not obj.persistent:
                raise errors.error(
                    ErrorNumber.OPERATION_INVALID,
                    "cannot change persistent config of a transient network",
                    ErrorDomain.NETWORK,
                )
            # changes to copies: a refused change leaves both definitions as they were. As libvirt's
            # virNetworkObjUpdate: the live change edits the running definition; the persistent one is
            # the pending redefinition if there is one, else the running definition
            live = obj.definition.clone() if flags & UPDATE_LIVE else None
            config = (obj.pending or obj.definition).clone() if flags & UPDATE_CONFIG else None
            for changed in (live, config):
                if changed is not None:
                    update.apply(changed, command, section, parent_index, xml)
            if config is not None:
                if obj.active:
                    obj.pending = config
                else:
                    obj.definition = config
            if live is not None:
                obj.definition = live

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
