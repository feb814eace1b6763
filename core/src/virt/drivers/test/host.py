"""One mock host's state, and the process-wide host that every ``test:///default`` shares."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import attrs

from virt.drivers.test.nodedevices import NodeDeviceObj
from virt.drivers.test.objects import DomainObj, InterfaceObj, NetworkObj, PoolObj
from virt.events import DomainEventHub
from virt.info import NodeInfo
from virt.networkevents import NetworkEventHub
from virt.nodedevevents import NodeDeviceEventHub
from virt.poolevents import StoragePoolEventHub

# libvirt's defaultNodeInfo: what a host has unless its node file says otherwise.
DEFAULT_NODE_INFO = NodeInfo(
    model="i686", memory_kib=3 * 1024 * 1024, cpus=16, mhz=1400, nodes=2, sockets=2, cores=2, threads=2
)
HYPERVISOR_VERSION = 2
"""libvirt's test driver reports hypervisor version 2, printed as "TEST 0.0.2"."""
SECURITY_MODEL = "testSecurity"
SECURITY_DOI = ""
SECURITY_LABEL = "libvirt-test"


@attrs.define(eq=False)
class Host:
    """Everything a test host knows. Hold ``lock`` while reading or changing any of it."""

    node_info: NodeInfo = DEFAULT_NODE_INFO
    numa: bool = False
    """True for the default host, whose capabilities describe two NUMA cells."""
    domains: dict[uuid.UUID, DomainObj] = attrs.Factory(dict)
    domain_names: dict[str, uuid.UUID] = attrs.Factory(dict)
    """Name -> UUID of every domain, so that lookups by name need no scan; see add/remove_domain."""
    networks: dict[uuid.UUID, NetworkObj] = attrs.Factory(dict)
    pools: dict[uuid.UUID, PoolObj] = attrs.Factory(dict)
    interfaces: dict[str, InterfaceObj] = attrs.Factory(dict)
    """Host interfaces by name, in definition order."""
    interface_backup: dict[str, InterfaceObj] | None = None
    """The interfaces as virInterfaceChangeBegin found them, while a transaction runs."""
    node_devices: dict[str, NodeDeviceObj] = attrs.Factory(dict)
    """Host devices by name, in the node file's order."""
    users: dict[str, str | None] = attrs.Factory(dict)
    """``<auth>`` users and their passwords (None: no password asked)."""
    next_id: int = 1
    lock: threading.RLock = attrs.field(factory=threading.RLock, repr=False)
    events: DomainEventHub = attrs.field(factory=DomainEventHub, repr=False)
    """Lifecycle events for every connection to this host: queued under ``lock``, delivered after it."""
    pool_events: StoragePoolEventHub = attrs.field(factory=StoragePoolEventHub, repr=False)
    """Storage pool events, queued and delivered as ``events`` are."""
    node_device_events: NodeDeviceEventHub = attrs.field(factory=NodeDeviceEventHub, repr=False)
    """Node device events, queued and delivered as ``events`` are."""
    network_events: NetworkEventHub = attrs.field(factory=NetworkEventHub, repr=False)
    """Network lifecycle events, queued and delivered as ``events`` are."""

    def add_domain(self, obj: DomainObj) -> None:
        self.domains[obj.uuid] = obj
        self.domain_names[obj.name] = obj.uuid

    def remove_domain(self, obj: DomainObj) -> None:
        del self.domains[obj.uuid]
        del self.domain_names[obj.name]

    def domain_by_name(self, name: str) -> DomainObj | None:
        key = self.domain_names.get(name)
        return None if key is None else self.domains.get(key)

    def allocate_id(self) -> int:
        """The next domain id: they only grow, like libvirt's nextDomID."""
        value = self.next_id
        self.next_id += 1
        return value


class SharedHost:
    """The ``test:///default`` host: made on first open, dropped when its last connection closes.

    libvirt does the same with its reference-counted default driver, so a process that closes
    every connection and opens again starts from the pristine default host.
    """

    def __init__(self, factory: Callable[[], Host]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._host: Host | None = None
        self._users = 0

    def acquire(self) -> Host:
        with self._lock:
            if self._host is None:
                self._host = self._factory()
            self._users += 1
            return self._host

    def release(self, host: Host) -> None:
        with self._lock:
            if host is not self._host:
                return
            self._users -= 1
            if self._users <= 0:
                self._host, self._users = None, 0
