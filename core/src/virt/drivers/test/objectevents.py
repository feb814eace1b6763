"""Storage pool, node device and network event subscriptions of a test connection: the host's hubs,
whose events libvirt's test driver queues as its storage, node device and network calls succeed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from virt.drivers.test.host import Host
    from virt.networkevents import NetworkEvent
    from virt.nodedevevents import NodeDeviceEvent
    from virt.poolevents import StoragePoolEvent


class ObjectEventOperations:
    """Mixed into TestConnection."""

    host: Host
    _unsubscribes: list[Callable[[], None]]

    def subscribe_storage_pool_events(
        self, event_id: int, callback: Callable[[StoragePoolEvent], None]
    ) -> Callable[[], None]:
        """With test:///default, the events of every connection of the process."""

        def relay(event: StoragePoolEvent) -> None:
            if event.id == event_id:
                callback(event)

        unsubscribe = self.host.pool_events.subscribe(relay)
        self._unsubscribes.append(unsubscribe)
        return unsubscribe

    def subscribe_node_device_events(
        self, event_id: int, callback: Callable[[NodeDeviceEvent], None]
    ) -> Callable[[], None]:
        def relay(event: NodeDeviceEvent) -> None:
            if event.id == event_id:
                callback(event)

        unsubscribe = self.host.node_device_events.subscribe(relay)
        self._unsubscribes.append(unsubscribe)
        return unsubscribe

    def subscribe_network_events(self, callback: Callable[[NetworkEvent], None]) -> Callable[[], None]:
        unsubscribe = self.host.network_events.subscribe(callback)
        self._unsubscribes.append(unsubscribe)
        return unsubscribe
