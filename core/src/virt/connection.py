"""The public API: ``virt.open(uri)`` and thin typed handles over a driver connection.

The CLI, the daemon and users' scripts all go through these classes; they add read-only
enforcement and the XML-text edge, and leave everything else to the driver.
"""

from __future__ import annotations

import itertools
import threading
import uuid as uuid_module
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from virt import config as config_module
from virt import domainsave, migration
from virt import uri as uri_module
from virt.blockjobs import DomainBlockJobs
from virt.domainchanges import (
    AddressSource,
    DomainInterface,
    FilesystemInfo,
    HostnameSource,
    Impact,
    MetadataType,
    SaveFlags,
    UndefineFlags,
)
from virt.domainsave import SaveImageXMLFlags, StartFlags
from virt.driver import (
    AuthCallback,
    DomainRef,
    DriverConnection,
    NetworkRef,
    SecurityLabel,
    StoragePoolInfo,
    StoragePoolRef,
    StorageVolumeInfo,
    StorageVolumeRef,
)
from virt.errors import ConnectionError, ErrorDomain, ErrorNumber, InvalidArgument, OperationDenied, VirtError
from virt.eventcallbacks import EventCallbacks
from virt.info import DomainFilter, DomainInfo, NetworkDHCPLease, NodeInfo, ObjectFilter, Screenshot
from virt.migration import JobListener, MigrateFlags, MigrationParams, StallPolicy
from virt.networkevents import NetworkCallbacks
from virt.states import DomainState, ShutdownMode

if TYPE_CHECKING:
    import logging
    import socket

    from virt.checkpoints import DomainCheckpoint
    from virt.domaincalls import CPUStats, DiskErrorInfo, DiskErrors
    from virt.domaincontrol import ControlInfo
    from virt.domainevents import AnyDomainEvent, DomainEventCallbacks, OtherDomainEvent
    from virt.domainstats import (
        BlockInfo,
        BlockStats,
        DomainStatsRecord,
        GuestTime,
        InterfaceStats,
        JobInfo,
        MemoryStats,
        NodeCPUMap,
        StatsGroup,
        TypedParameter,
        VcpuInfo,
    )
    from virt.events import DomainEvent
    from virt.hostcalls import CPUCompareResult
    from virt.hostfacts import FreePages
    from virt.interfaces import Interface
    from virt.iothreads import IOThreadInfo
    from virt.networkevents import NetworkEvent
    from virt.networkports import NetworkPort  # network ports section
    from virt.nodedevevents import NodeDeviceEvent
    from virt.nodedevices import NodeDevice
    from virt.nwfilters.handles import NetworkFilter, NetworkFilterBinding
    from virt.plugins import Plugins
    from virt.poolevents import StoragePoolEvent
    from virt.progress import ProgressCallback
    from virt.scheduler import SchedulerType
    from virt.secrets import Secret, SecretEvent, SecretEventCallback
    from virt.snapshots import DomainSnapshot
    from virt.storage.transfer import VolumeTransfer
    from virt.xml import Domain as DomainModel
    from virt.xml import Network as NetworkModel
    from virt.xml import StoragePool as StoragePoolModel
    from virt.xml import StorageVolume as StorageVolumeModel
    from virt.xml.base import XmlModel
    from virt.xml.hostinterface import HostInterface as HostInterfaceModel

T = TypeVar("T")


def _log() -> logging.Logger:
    # logging is imported only when a callback fails: it costs every CLI start several milliseconds
    import logging

    return logging.getLogger(__name__)


DomainEventCallback = Callable[["Domain", "DomainEvent"], None]
AnyDomainEventCallback = Callable[["Domain", "AnyDomainEvent"], None]
"""What ``Connection.register_domain_event`` calls: the domain's handle and the event of that id."""
NetworkEventCallback = Callable[["Network", "NetworkEvent"], None]
"""What ``Connection.add_network_event_callback`` calls: the network's handle and the event."""
"""What ``Connection.add_domain_event_callback`` calls: the domain's handle and the event."""
StoragePoolEventCallback = Callable[["StoragePool", "StoragePoolEvent"], None]
"""What ``Connection.add_storage_pool_event_callback`` calls: the pool's handle and the event."""
NodeDeviceEventCallback = Callable[["NodeDevice", "NodeDeviceEvent"], None]
"""What ``Connection.add_node_device_event_callback`` calls: the device's handle and the event."""


class StateInfo(NamedTuple):
    """A domain's state and the reason number for it (see ``virt.states``)."""

    state: DomainState
    reason: int


def _as_model(value: str | bytes | T, kind: type[T], argument: str) -> T:
    """A model the driver may keep: parsed from text, or a copy of the caller's (who may change theirs)."""
    if isinstance(value, kind):
        return kind.from_element(value.to_element())  # type: ignore[attr-defined, no-any-return]
    if isinstance(value, str | bytes):
        return kind.from_xml(value)  # type: ignore[attr-defined, no-any-return]
    raise InvalidArgument(f"{argument} must be XML text or a virt.xml.{kind.__name__}, not {type(value).__name__}")


def _parse_uuid(value: str | uuid_module.UUID) -> uuid_module.UUID:
    if isinstance(value, uuid_module.UUID):
        return value
    try:
        return uuid_module.UUID(value)
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidArgument(f"uuid {value!r} is not a valid UUID") from exc


def _validate_network_text(xml: object, validate: bool) -> None:
    """The VALIDATE flags of network define/create: text checked against libvirt's schema first, in
    the words virtd uses (a model is already parsed: nothing to check)."""
    if validate and isinstance(xml, str | bytes):
        from virt.xml.schema import refuse_invalid

        refuse_invalid(xml, located=False)


class Connection:
    """An open connection to one hypervisor. Use it as a context manager, or call ``close()``."""

    def __init__(self, driver: DriverConnection, uri: uri_module.URI, *, readonly: bool) -> None:
        self._driver: DriverConnection | None = driver
        self.uri = uri
        self.readonly = readonly
        # Lifecycle event callbacks by handle, with the UUID of the domain each wants (None: all).
        # One driver subscription serves them all, made with the first and dropped with the last.
        self._event_lock = threading.Lock()
        self._event_callbacks: dict[int, tuple[DomainEventCallback, uuid_module.UUID | None]] = {}
        self._event_handles = itertools.count(1)
        self._event_unsubscribe: Callable[[], None] | None = None
        self._network_callbacks = NetworkCallbacks()
        self._pool_event_callbacks: EventCallbacks[StoragePoolEvent] = EventCallbacks()
        self._node_device_event_callbacks: EventCallbacks[NodeDeviceEvent] = EventCallbacks()
        # callbacks of the other domain event ids (virt.domainevents), made with the first one
        self._other_event_callbacks: DomainEventCallbacks | None = None

    # -- plumbing ------------------------------------------------------------------------------
    @property
    def driver(self) -> DriverConnection:
        """The driver connection; ConnectionError once closed."""
        if self._driver is None:
            raise ConnectionError("the connection is closed", ErrorNumber.INVALID_CONN)
        return self._driver

    def _writable(self, operation: str) -> DriverConnection:
        if self.readonly:
            raise OperationDenied(f"operation forbidden: read only access prevents {operation}")
        return self.driver

    def close(self) -> None:
        """Close the connection (its event callbacks are removed); later calls raise ConnectionError."""
        if self._driver is not None:
            with self._event_lock:
                self._event_callbacks.clear()
                unsubscribe, self._event_unsubscribe = self._event_unsubscribe, None
            if unsubscribe is not None:
                unsubscribe()
            self._network_callbacks.clear()
            self._pool_event_callbacks.clear()
            self._node_device_event_callbacks.clear()
            secret_callbacks = self.__dict__.pop("_secret_callbacks", None)  # secrets: virt.secrets
            if secret_callbacks is not None:
                secret_callbacks.clear()
            if self._other_event_callbacks is not None:
                self._other_event_callbacks.clear()
            driver, self._driver = self._driver, None
            driver.close()

    def is_alive(self) -> bool:
        """virConnectIsAlive: False once a remote peer went away (then ``reconnect``)."""
        return self._driver is not None and self._driver.is_alive()

    def reconnect(self) -> None:
        """Reach the same daemon again after the connection broke; event callbacks keep working."""
        self.driver.reconnect()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<virt.Connection {self.uri}{' read-only' if self.readonly else ''}>"

    def set_progress_callback(self, callback: ProgressCallback | None) -> None:
        """Call ``callback`` with the steps of long operations the driver waits for (None: stop).

        Only drivers that wait for work on a server (ESX tasks) report progress; the callback runs in
        the thread that made the call.
        """
        self.driver.progress_callback = callback

    # -- host ----------------------------------------------------------------------------------
    @property
    def driver_name(self) -> str:
        """The driver's name as virsh prints it (``Test``, ``QEMU``)."""
        return self.driver.driver_name

    def hostname(self) -> str:
        return self.driver.get_hostname()

    def version(self) -> int:
        """The hypervisor's version, major * 1,000,000 + minor * 1,000 + release."""
        return self.driver.get_version()

    def capabilities(self) -> str:
        """The host's capabilities XML."""
        return self.driver.get_capabilities().to_xml()

    def node_info(self) -> NodeInfo:
        return self.driver.get_node_info()

    def domain_capabilities(
        self,
        *,
        emulator: str | None = None,
        arch: str | None = None,
        machine: str | None = None,
        virt_type: str | None = None,
    ) -> str:
        """The domain capabilities XML for that emulator, architecture, machine and domain type."""
        return self.driver.get_domain_capabilities(
            emulator=emulator, arch=arch, machine=machine, virt_type=virt_type
        ).to_xml()

    # -- host facts: processors, free memory, sysinfo (virt.hostfacts) ------------------------------
    def max_vcpus(self, virt_type: str | None = None) -> int:
        """virConnectGetMaxVcpus: the most virtual processors a guest of ``virt_type`` may have."""
        return self.driver.get_max_vcpus(virt_type)

    def free_memory(self) -> int:
        """virNodeGetFreeMemory: the host's free memory, as the driver counts it."""
        return self.driver.get_node_free_memory()

    def cells_free_memory(self, start_cell: int, max_cells: int) -> list[int]:
        """virNodeGetCellsFreeMemory: the free memory of at most ``max_cells`` NUMA cells from ``start_cell``."""
        from virt.hostfacts import check_cells

        check_cells(start_cell, max_cells)
        return self.driver.get_node_cells_free_memory(start_cell, max_cells)

    def sysinfo(self, flags: int = 0) -> str:
        """virConnectGetSysinfo: the host's SMBIOS facts as a <sysinfo> document."""
        return self.driver.get_sysinfo(flags)

    def node_cpu_stats(self, cpu: int = -1, flags: int = 0) -> list[tuple[str, int]]:
        """virNodeGetCPUStats: (field, nanoseconds) pairs of processor ``cpu``, -1 for all of them."""
        from virt.hostfacts import check_cpu

        check_cpu(cpu)
        return self.driver.get_node_cpu_stats(cpu, flags)

    def node_memory_stats(self, cell: int = -1, flags: int = 0) -> list[tuple[str, int]]:
        """virNodeGetMemoryStats: (field, KiB) pairs of NUMA cell ``cell``, -1 for the whole host."""
        from virt.hostfacts import check_memory_cell

        check_memory_cell(cell)
        return self.driver.get_node_memory_stats(cell, flags)

    def node_memory_parameters(self, flags: int = 0) -> list[TypedParameter]:
        """virNodeGetMemoryParameters: the host's shared memory (KSM) settings and counters, ``shm_*``."""
        return self.driver.get_node_memory_parameters(flags | _TYPED_PARAM_STRING_OKAY)

    def set_node_memory_parameters(self, params: Sequence[TypedParameter], flags: int = 0) -> None:
        """virNodeSetMemoryParameters: change ``shm_pages_to_scan``, ``shm_sleep_millisecs`` or
        ``shm_merge_across_nodes`` (virt.hostfacts.SETTABLE_MEMORY_PARAMETERS)."""
        from virt.tunables import check_set

        driver = self._writable("virNodeSetMemoryParameters")
        check_set(params, "virNodeSetMemoryParameters")
        driver.set_node_memory_parameters(list(params), flags)

    def free_pages(self, pages: list[int], start_cell: int, cell_count: int, flags: int = 0) -> FreePages:
        """virNodeGetFreePages: free pages of each size in ``pages`` (KiB), cell after cell, from ``start_cell``."""
        from virt.hostfacts import check_free_pages

        check_free_pages(pages, cell_count)
        return self.driver.get_node_free_pages(pages, start_cell, cell_count, flags)

    def find_storage_pool_sources(self, pool_type: str, spec: str | None = None, flags: int = 0) -> str:
        """virConnectFindStoragePoolSources: a <sources> document of the pools of ``pool_type`` found."""
        return self._writable("virConnectFindStoragePoolSources").find_storage_pool_sources(pool_type, spec, flags)

    def cpu_model_names(self, arch: str, flags: int = 0) -> list[str]:
        """virConnectGetCPUModelNames: the CPU models guests of ``arch`` may use (none: any)."""
        return self.driver.get_cpu_model_names(arch, flags)

    # -- domains -------------------------------------------------------------------------------
    def list_domains(
        self,
        *,
        active: bool | None = None,
        persistent: bool | None = None,
        states: Collection[DomainState] | None = None,
        autostart: bool | None = None,
        managed_save: bool | None = None,
        has_snapshot: bool | None = None,
        has_checkpoint: bool | None = None,
    ) -> list[Domain]:
        """The domains passing every filter given (virConnectListAllDomains); None means either."""
        filter = DomainFilter(active, persistent, states, autostart, managed_save, has_snapshot, has_checkpoint)
        return [Domain(self, ref) for ref in self.driver.list_domains(filter)]

    def lookup_domain(self, key: str | int | uuid_module.UUID) -> Domain:
        """A domain by id (int or digits), UUID, or name, tried in virsh's order."""
        if isinstance(key, int):
            return self.lookup_domain_by_id(key)
        if isinstance(key, uuid_module.UUID):
            return self.lookup_domain_by_uuid(key)
        from virt.errors import NotFound

        if key.isdigit():
            try:
                return self.lookup_domain_by_id(int(key))
            except NotFound:
                pass
        try:
            parsed = uuid_module.UUID(key)
        except ValueError:
            pass
        else:
            try:
                return self.lookup_domain_by_uuid(parsed)
            except NotFound:
                pass
        return self.lookup_domain_by_name(key)

    def lookup_domain_by_name(self, name: str) -> Domain:
        return Domain(self, self.driver.lookup_domain_by_name(name))

    def lookup_domain_by_uuid(self, uuid: str | uuid_module.UUID) -> Domain:
        return Domain(self, self.driver.lookup_domain_by_uuid(_parse_uuid(uuid)))

    def lookup_domain_by_id(self, id: int) -> Domain:
        return Domain(self, self.driver.lookup_domain_by_id(id))

    def define_domain(self, xml: str | bytes | DomainModel) -> Domain:
        """Define (or redefine) a persistent domain from XML text or a model."""
        from virt.xml import Domain as DomainModel

        driver = self._writable("virDomainDefineXML")
        return Domain(self, driver.define_domain(_as_model(xml, DomainModel, "xml")))

    def create_domain(self, xml: str | bytes | DomainModel) -> Domain:
        """Start a transient domain from XML text or a model."""
        from virt.xml import Domain as DomainModel

        driver = self._writable("virDomainCreateXML")
        return Domain(self, driver.create_domain(_as_model(xml, DomainModel, "xml")))

    # -- domaincalls: creation with files (virt.domaincalls) ----------------------------------------
    def create_domain_with_files(
        self, xml: str | bytes | DomainModel, files: Sequence[int] = (), flags: int = 0
    ) -> Domain:
        """Start a transient domain, handing it the open file descriptors ``files``
        (virDomainCreateXMLWithFiles); flags 16 (VIR_DOMAIN_START_VALIDATE) checks text against the schema."""
        from virt.xml import Domain as DomainModel

        driver = self._writable("virDomainCreateXMLWithFiles")
        if flags & _START_VALIDATE and isinstance(xml, str | bytes):
            from virt.xml.schema import refuse_invalid

            refuse_invalid(xml)
        model = _as_model(xml, DomainModel, "xml")
        return Domain(self, driver.create_domain_with_files(model, list(files), flags))

    # -- saved state (virt.domainsave) ---------------------------------------------------------
    def save(self, domain: Domain, path: str, xml: str | None = None, flags: SaveFlags = SaveFlags.NONE) -> None:
        """``domain.save``: its state into ``path``, then it stops (virDomainSaveFlags)."""
        domain.save(path, xml, flags)

    def restore(self, path: str, xml: str | None = None, flags: SaveFlags = SaveFlags.NONE) -> None:
        """Start the domain saved in ``path`` where it was (virDomainRestoreFlags); ``xml`` replaces
        its definition (the same guest); RUNNING/PAUSED override the state it was saved in."""
        domainsave.check_running_paused(flags)
        driver = self._writable("virDomainRestoreFlags" if xml is not None or flags else "virDomainRestore")
        driver.restore_domain(domainsave.absolute(path), xml, SaveFlags(flags))

    def save_image_xml(self, path: str, flags: SaveImageXMLFlags = SaveImageXMLFlags.NONE) -> str:
        """The definition kept in the save image ``path`` (virDomainSaveImageGetXMLDesc); refused to
        read-only connections as libvirt 9.0 does (it reads any file the driver can)."""
        driver = self._writable("virDomainSaveImageGetXMLDesc")
        return driver.get_save_image_xml(domainsave.absolute(path), bool(flags & SaveImageXMLFlags.SECURE))

    def define_save_image_xml(self, path: str, xml: str, flags: SaveFlags = SaveFlags.NONE) -> None:
        """Replace the definition kept in the save image ``path`` (virDomainSaveImageDefineXML)."""
        domainsave.check_running_paused(flags)
        driver = self._writable("virDomainSaveImageDefineXML")
        driver.define_save_image_xml(domainsave.absolute(path), xml, SaveFlags(flags))

    # -- events --------------------------------------------------------------------------------
    def add_domain_event_callback(self, callback: DomainEventCallback, domain: Domain | None = None) -> int:
        """Call ``callback(domain, event)`` for every later lifecycle event (of ``domain`` only, if given).

        virConnectDomainEventRegisterAny with VIR_DOMAIN_EVENT_ID_LIFECYCLE: events of changes
        made through other connections to the same host come too. The callback runs in a thread
        the driver chooses (see ``DriverConnection.subscribe_domain_events``) and may use this
        connection; what it raises is logged. Returns the handle for ``remove_domain_event_callback``.
        """
        if domain is not None and domain.connection is not self:
            raise InvalidArgument("the domain of an event callback must come from the same connection")
        driver = self.driver
        with self._event_lock:
            if self._event_unsubscribe is None:
                # Under the lock, so that two first registrations do not both subscribe; a driver
                # never calls back from inside subscribe, so this cannot deadlock.
                self._event_unsubscribe = driver.subscribe_domain_events(self._deliver_domain_event)
            handle = next(self._event_handles)
            self._event_callbacks[handle] = (callback, domain.uuid if domain is not None else None)
        return handle

    # -- domain events of any id (virt.domainevents) ---------------------------------------------
    def register_domain_event(
        self, event_id: int, callback: AnyDomainEventCallback, domain: Domain | None = None
    ) -> int:
        """Call ``callback(domain, event)`` for every later event of ``event_id`` (a
        ``virt.domainevents.DomainEventID``; of ``domain`` only, if given): virConnectDomainEventRegisterAny.

        The event is the id's class (``RebootEvent``, ``MetadataChangeEvent``...; lifecycle:
        ``virt.events.DomainEvent``), delivered as ``add_domain_event_callback`` delivers. Returns the
        handle for ``remove_domain_event_callback``; handles of every id are numbered together.
        """
        from virt.domainevents import DomainEventCallbacks, DomainEventID, check_event_id

        kind = check_event_id(event_id)
        if kind == DomainEventID.LIFECYCLE:
            return self.add_domain_event_callback(callback, domain)
        if domain is not None and domain.connection is not self:
            raise InvalidArgument("the domain of an event callback must come from the same connection")
        driver = self.driver

        def relay(event: OtherDomainEvent) -> None:
            if self._driver is not None:
                callback(Domain(self, event.domain), event)

        with self._event_lock:
            if self._other_event_callbacks is None:
                self._other_event_callbacks = DomainEventCallbacks()
            handle = next(self._event_handles)
            others = self._other_event_callbacks
        others.add(handle, kind, relay, domain.uuid if domain is not None else None, driver.subscribe_domain_event_id)
        return handle

    def add_network_event_callback(self, callback: NetworkEventCallback, network: Network | None = None) -> int:
        """Call ``callback(network, event)`` for every later network lifecycle event (of ``network``
        only, if given): virConnectNetworkEventRegisterAny with VIR_NETWORK_EVENT_ID_LIFECYCLE.
        Returns the handle for ``remove_network_event_callback``."""
        if network is not None and network.connection is not self:
            raise InvalidArgument("the network of an event callback must come from the same connection")

        def relay(event: NetworkEvent) -> None:
            callback(Network(self, event.network), event)

        key = network.uuid if network is not None else None
        return self._network_callbacks.add(relay, key, self.driver.subscribe_network_events)

    def remove_network_event_callback(self, handle: int) -> None:
        """Stop calling the callback ``add_network_event_callback`` returned ``handle`` for."""
        self._network_callbacks.remove(handle)

    # -- storage pool and node device events (virt.poolevents, virt.nodedevevents) -------------------
    def add_storage_pool_event_callback(
        self,
        callback: StoragePoolEventCallback,
        pool: StoragePool | None = None,
        event_id: int = 0,
    ) -> int:
        """Call ``callback(pool, event)`` for every later storage pool event of ``event_id``
        (``virt.poolevents.StoragePoolEventID``: lifecycle or refresh) of ``pool`` only, if given:
        virConnectStoragePoolEventRegisterAny. Returns the handle for ``remove_storage_pool_event_callback``."""
        from virt.poolevents import StoragePoolEventID

        if event_id not in tuple(StoragePoolEventID):
            raise InvalidArgument(
                f"eventID in virConnectStoragePoolEventRegisterAny must be less than {len(StoragePoolEventID)}"
            )
        if pool is not None and pool.connection is not self:
            raise InvalidArgument("the storage pool of an event callback must come from the same connection")
        key = pool.uuid if pool is not None else None

        def relay(event: StoragePoolEvent) -> None:
            callback(StoragePool(self, event.pool), event)

        return self._pool_event_callbacks.add(
            event_id, relay, lambda event: key is None or event.pool.uuid == key,
            self.driver.subscribe_storage_pool_events,
        )  # fmt: skip

    def remove_storage_pool_event_callback(self, handle: int) -> None:
        """virConnectStoragePoolEventDeregisterAny: stop calling the callback ``handle`` names."""
        self._pool_event_callbacks.remove(handle)

    def add_node_device_event_callback(
        self,
        callback: NodeDeviceEventCallback,
        device: NodeDevice | None = None,
        event_id: int = 0,
    ) -> int:
        """Call ``callback(device, event)`` for every later node device event of ``event_id``
        (``virt.nodedevevents.NodeDeviceEventID``: lifecycle or update) of ``device`` only, if given:
        virConnectNodeDeviceEventRegisterAny. Returns the handle for ``remove_node_device_event_callback``."""
        from virt.nodedevevents import NodeDeviceEventID
        from virt.nodedevices import NodeDevice

        if event_id not in tuple(NodeDeviceEventID):
            raise InvalidArgument(
                f"eventID in virConnectNodeDeviceEventRegisterAny must be less than {len(NodeDeviceEventID)}"
            )
        if device is not None and device.connection is not self:
            raise InvalidArgument("the node device of an event callback must come from the same connection")
        name = device.name if device is not None else None

        def relay(event: NodeDeviceEvent) -> None:
            callback(NodeDevice(self, event.device), event)

        return self._node_device_event_callbacks.add(
            event_id, relay, lambda event: name is None or event.device == name,
            self.driver.subscribe_node_device_events,
        )  # fmt: skip

    def remove_node_device_event_callback(self, handle: int) -> None:
        """virConnectNodeDeviceEventDeregisterAny: stop calling the callback ``handle`` names."""
        self._node_device_event_callbacks.remove(handle)

    # -- host calls (virt.hostcalls) ----------------------------------------------------------------
    def domain_xml_from_native(self, native_format: str, native_config: str, flags: int = 0) -> str:
        """virConnectDomainXMLFromNative: the domain XML of ``native_config`` (the driver's formats)."""
        driver = self._writable("virConnectDomainXMLFromNative")
        return _words(
            "virConnectDomainXMLFromNative", lambda: driver.domain_xml_from_native(native_format, native_config, flags)
        )

    def domain_xml_to_native(self, native_format: str, domain_xml: str, flags: int = 0) -> str:
        """virConnectDomainXMLToNative: ``domain_xml`` in the driver's ``native_format``."""
        driver = self._writable("virConnectDomainXMLToNative")
        return _words(
            "virConnectDomainXMLToNative", lambda: driver.domain_xml_to_native(native_format, domain_xml, flags)
        )

    def compare_cpu(self, xml: str, flags: int = 0) -> CPUCompareResult:
        """virConnectCompareCPU: whether the host CPU runs the <cpu> ``xml`` (identical, a superset, incompatible)."""
        from virt.hostcalls import CPUCompareResult

        return CPUCompareResult(_words("virConnectCompareCPU", lambda: self.driver.compare_cpu(xml, flags)))

    def suspend_for_duration(self, target: int, duration: int, flags: int = 0) -> None:
        """virNodeSuspendForDuration: suspend the host (virt.hostcalls.SuspendTarget) for ``duration`` seconds."""
        driver = self._writable("virNodeSuspendForDuration")
        _words("virNodeSuspendForDuration", lambda: driver.node_suspend_for_duration(target, duration, flags))

    def lookup_scsi_host_by_wwn(self, wwnn: str, wwpn: str, flags: int = 0) -> NodeDevice:
        """virNodeDeviceLookupSCSIHostByWWN: the SCSI host (a Fibre Channel HBA) with these WWNs."""
        from virt.nodedevices import NodeDevice

        name = _words(
            "virNodeDeviceLookupSCSIHostByWWN",
            lambda: self.driver.lookup_scsi_host_by_wwn(wwnn, wwpn, flags),
            ErrorDomain.NODEDEV,
        )
        return NodeDevice(self, name)

    # -- CPU baseline (virt.cpubaseline) ------------------------------------------------------------
    def baseline_cpu(self, xml_cpus: Sequence[str], flags: int = 0) -> str:
        """virConnectBaselineCPU: the guest <cpu> that every one of the host CPUs ``xml_cpus``
        (<cpu> elements, as in the capabilities) can run; ``flags``: ``virt.cpubaseline``'s
        EXPAND_FEATURES (list the model's own features too) and MIGRATABLE."""
        return self.driver.baseline_cpu(list(xml_cpus), flags)

    def baseline_hypervisor_cpu(
        self,
        xml_cpus: Sequence[str],
        flags: int = 0,
        *,
        emulator: str | None = None,
        arch: str | None = None,
        machine: str | None = None,
        virt_type: str | None = None,
    ) -> str:
        """virConnectBaselineHypervisorCPU: ``baseline_cpu`` tailored to one hypervisor (its emulator,
        architecture, machine type and virtualization type; None: the driver's default)."""
        from virt.errors import NotSupported

        # libvirt refuses it on a read-only connection, unlike virConnectBaselineCPU
        driver = self._writable("virConnectBaselineHypervisorCPU")
        try:
            return driver.baseline_hypervisor_cpu(emulator, arch, machine, virt_type, list(xml_cpus), flags)
        except NotSupported as exc:
            if not exc.message.startswith("this function is not supported by the connection driver '"):
                raise
            # a driver without it: libvirt's own words, as its library gives them
            raise NotSupported(
                "this function is not supported by the connection driver: virConnectBaselineHypervisorCPU",
                ErrorNumber.NO_SUPPORT,
                ErrorDomain.DOMAIN,
            ) from None

    # -- end of storage pool / node device events and CPU baseline ------------------------------------

    def remove_domain_event_callback(self, handle: int) -> None:
        """Stop calling the callback ``add_domain_event_callback`` returned ``handle`` for."""
        others = self._other_event_callbacks  # another id's: unsubscribed outside our lock
        if others is not None and others.remove(handle):
            return
        with self._event_lock:
            if self._event_callbacks.pop(handle, None) is None:
                raise InvalidArgument(f"could not find event callback {handle} for deletion")
            unsubscribe = None
            if not self._event_callbacks:
                unsubscribe, self._event_unsubscribe = self._event_unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()

    def _deliver_domain_event(self, event: DomainEvent) -> None:
        """The driver's callback: hand ``event`` to each registered callback that wants it."""
        with self._event_lock:
            wanted = [cb for cb, key in self._event_callbacks.values() if key is None or key == event.domain.uuid]
        if not wanted or self._driver is None:
            return
        # A handle made from the event's ref: the domain may be gone already (undefined, a
        # transient one stopped), and the event names it as it was.
        domain = Domain(self, event.domain)
        for callback in wanted:
            try:
                callback(domain, event)
            except Exception:  # noqa: BLE001 - one broken callback must not keep the event from the others
                _log().exception("domain event callback %r failed on %s", callback, event)

    # -- networks ------------------------------------------------------------------------------
    def list_networks(
        self, *, active: bool | None = None, persistent: bool | None = None, autostart: bool | None = None
    ) -> list[Network]:
        refs = self.driver.list_networks(ObjectFilter(active, persistent, autostart))
        return [Network(self, ref) for ref in refs]

    def lookup_network_by_name(self, name: str) -> Network:
        return Network(self, self.driver.lookup_network_by_name(name))

    def lookup_network_by_uuid(self, uuid: str | uuid_module.UUID) -> Network:
        return Network(self, self.driver.lookup_network_by_uuid(_parse_uuid(uuid)))

    def lookup_network(self, key: str) -> Network:
        """A network by name or UUID."""
        return _by_name_or_uuid(key, self.lookup_network_by_name, self.lookup_network_by_uuid)

    def define_network(self, xml: str | bytes | NetworkModel, *, validate: bool = False) -> Network:
        """virNetworkDefineXML(Flags); ``validate`` (VIR_NETWORK_DEFINE_VALIDATE) checks text against network.rng."""
        from virt.xml import Network as NetworkModel

        driver = self._writable("virNetworkDefineXMLFlags" if validate else "virNetworkDefineXML")
        _validate_network_text(xml, validate)
        return Network(self, driver.define_network(_as_model(xml, NetworkModel, "xml")))

    def create_network(self, xml: str | bytes | NetworkModel, *, validate: bool = False) -> Network:
        """virNetworkCreateXML(Flags); ``validate`` (VIR_NETWORK_CREATE_VALIDATE) checks text against network.rng."""
        from virt.xml import Network as NetworkModel

        driver = self._writable("virNetworkCreateXMLFlags" if validate else "virNetworkCreateXML")
        _validate_network_text(xml, validate)
        return Network(self, driver.create_network(_as_model(xml, NetworkModel, "xml")))

    # -- host interfaces (virt.interfaces) ------------------------------------------------------
    def list_interfaces(self, *, active: bool | None = None) -> list[Interface]:
        """virConnectListAllInterfaces: every host interface, or the active/inactive ones."""
        from virt import interfaces

        return interfaces.list_interfaces(self, active)

    def lookup_interface_by_name(self, name: str) -> Interface:
        """virInterfaceLookupByName."""
        from virt import interfaces

        return interfaces.lookup_by_name(self, name)

    def lookup_interface_by_mac(self, mac: str) -> Interface:
        """virInterfaceLookupByMACString."""
        from virt import interfaces

        return interfaces.lookup_by_mac(self, mac)

    def define_interface(self, xml: str | bytes | HostInterfaceModel, *, validate: bool = False) -> Interface:
        """virInterfaceDefineXML (``validate``: against libvirt's schema first)."""
        from virt import interfaces

        return interfaces.define(self, xml, validate=validate)

    def interface_change_begin(self) -> None:
        """virInterfaceChangeBegin: snapshot the host interfaces for a later rollback."""
        from virt import interfaces

        interfaces.change_begin(self)

    def interface_change_commit(self) -> None:
        """virInterfaceChangeCommit."""
        from virt import interfaces

        interfaces.change_commit(self)

    def interface_change_rollback(self) -> None:
        """virInterfaceChangeRollback."""
        from virt import interfaces

        interfaces.change_rollback(self)

    # -- host devices (virt.nodedevices) --------------------------------------------------------
    def list_node_devices(self, capability: str | None = None, flags: int = 0) -> list[NodeDevice]:
        """The host's devices (virConnectListAllNodeDevices); ``capability`` keeps those that have it
        (virNodeListDevices' ``cap``), ``flags`` are virConnectListAllNodeDevices' own."""
        from virt.nodedevices import CAPABILITY_FLAGS, NodeDevice

        if capability is not None:
            if capability not in CAPABILITY_FLAGS:
                raise InvalidArgument(f"unknown node device capability '{capability}'")
            flags |= CAPABILITY_FLAGS[capability]
        return [NodeDevice(self, name) for name in self.driver.list_node_devices(flags)]

    def lookup_node_device_by_name(self, name: str) -> NodeDevice:
        """virNodeDeviceLookupByName."""
        from virt.nodedevices import NodeDevice

        return NodeDevice(self, self.driver.lookup_node_device(name))

    def create_node_device(self, xml: str, flags: int = 0) -> NodeDevice:
        """virNodeDeviceCreateXML: a new (transient) device from ``xml``, e.g. a vHBA."""
        from virt.nodedevices import NodeDevice

        return NodeDevice(self, self._writable("virNodeDeviceCreateXML").create_node_device(xml, flags))

    # == secrets (virt.secrets) ===================================================================
    def list_secrets(self, flags: int = 0) -> list[Secret]:
        """virConnectListAllSecrets: the secrets passing ``flags`` (virt.secrets.ListFlags), by UUID."""
        from virt.secrets import Secret

        return [Secret(self, ref) for ref in self.driver.list_secrets(int(flags))]

    def lookup_secret_by_uuid(self, uuid: str | uuid_module.UUID) -> Secret:
        """virSecretLookupByUUID(String)."""
        from virt.secrets import Secret

        if not isinstance(uuid, uuid_module.UUID):
            try:
                uuid = uuid_module.UUID(str(uuid))
            except ValueError:
                raise InvalidArgument("uuidstr in virSecretLookupByUUIDString must be a valid UUID") from None
        return Secret(self, self.driver.lookup_secret_by_uuid(uuid))

    def lookup_secret_by_usage(self, usage_type: int, usage_id: str) -> Secret:
        """virSecretLookupByUsage: the secret for ``usage_id`` of ``usage_type`` (virt.secrets.UsageType)."""
        from virt.secrets import Secret

        return Secret(self, self.driver.lookup_secret_by_usage(int(usage_type), usage_id))

    def define_secret(self, xml: str, flags: int = 0) -> Secret:
        """virSecretDefineXML (``flags``: virt.secrets.DefineFlags)."""
        from virt.secrets import Secret

        return Secret(self, self._writable("virSecretDefineXML").define_secret(xml, int(flags)))

    def add_secret_event_callback(
        self, callback: SecretEventCallback, event_id: int = 0, secret: Secret | None = None
    ) -> int:
        """Call ``callback(secret, event)`` for every later secret event of ``event_id``
        (virt.secrets.SECRET_EVENT_ID_*), of ``secret`` only if given: virConnectSecretEventRegisterAny.
        Returns the handle for ``remove_secret_event_callback``."""
        from virt.secrets import EVENT_NAMES, Secret, SecretCallbacks

        if event_id not in EVENT_NAMES:
            raise InvalidArgument(f"unsupported secret event ID {event_id}")
        if secret is not None and secret.connection is not self:
            raise InvalidArgument("the secret of an event callback must come from the same connection")
        callbacks = self.__dict__.setdefault("_secret_callbacks", SecretCallbacks())

        def relay(event: SecretEvent) -> None:
            callback(Secret(self, event.secret), event)

        key = secret.uuid if secret is not None else None
        return int(callbacks.add(relay, event_id, key, self.driver.subscribe_secret_events))

    def remove_secret_event_callback(self, handle: int) -> None:
        """Stop calling the callback ``add_secret_event_callback`` returned ``handle`` for."""
        from virt.secrets import SecretCallbacks

        callbacks: SecretCallbacks | None = self.__dict__.get("_secret_callbacks")
        if callbacks is None:
            raise InvalidArgument(f"could not find event callback {handle} for deletion")
        callbacks.remove(handle)

    # == end of secrets ============================================================================

    # == network filters (virt.nwfilters) ===========================================================
    def list_nwfilters(self, flags: int = 0) -> list[NetworkFilter]:
        """virConnectListAllNWFilters: every defined network filter, by name."""
        from virt.nwfilters.handles import NetworkFilter

        return [NetworkFilter(self, ref) for ref in self.driver.list_nwfilters(int(flags))]

    def lookup_nwfilter_by_name(self, name: str) -> NetworkFilter:
        """virNWFilterLookupByName."""
        from virt.nwfilters.handles import NetworkFilter

        return NetworkFilter(self, self.driver.lookup_nwfilter_by_name(name))

    def lookup_nwfilter_by_uuid(self, uuid: str | uuid_module.UUID) -> NetworkFilter:
        """virNWFilterLookupByUUID(String)."""
        from virt.nwfilters.handles import NetworkFilter

        if isinstance(uuid, str):
            try:
                uuid = uuid_module.UUID(uuid)
            except ValueError:
                raise InvalidArgument("uuidstr in virNWFilterLookupByUUIDString must be a valid UUID") from None
        return NetworkFilter(self, self.driver.lookup_nwfilter_by_uuid(uuid))

    def define_nwfilter(self, xml: str, flags: int = 0) -> NetworkFilter:
        """virNWFilterDefineXMLFlags (``flags``: 1 = VALIDATE against libvirt's schema)."""
        from virt.nwfilters.handles import NetworkFilter

        return NetworkFilter(self, self._writable("virNWFilterDefineXML").define_nwfilter(xml, int(flags)))

    def list_nwfilter_bindings(self, flags: int = 0) -> list[NetworkFilterBinding]:
        """virConnectListAllNWFilterBindings: every binding of a filter to a port device."""
        from virt.nwfilters.handles import NetworkFilterBinding

        return [NetworkFilterBinding(self, ref) for ref in self.driver.list_nwfilter_bindings(int(flags))]

    def lookup_nwfilter_binding(self, portdev: str) -> NetworkFilterBinding:
        """virNWFilterBindingLookupByPortDev."""
        from virt.nwfilters.handles import NetworkFilterBinding

        return NetworkFilterBinding(self, self.driver.lookup_nwfilter_binding(portdev))

    def create_nwfilter_binding(self, xml: str, flags: int = 0) -> NetworkFilterBinding:
        """virNWFilterBindingCreateXML (``flags``: 1 = VALIDATE against libvirt's schema)."""
        from virt.nwfilters.handles import NetworkFilterBinding

        driver = self._writable("virNWFilterBindingCreateXML")
        return NetworkFilterBinding(self, driver.create_nwfilter_binding(xml, int(flags)))

    # == end of network filters ====================================================================

    # -- storage -------------------------------------------------------------------------------
    def list_storage_pools(
        self, *, active: bool | None = None, persistent: bool | None = None, autostart: bool | None = None
    ) -> list[StoragePool]:
        refs = self.driver.list_storage_pools(ObjectFilter(active, persistent, autostart))
        return [StoragePool(self, ref) for ref in refs]

    def lookup_storage_pool_by_name(self, name: str) -> StoragePool:
        return StoragePool(self, self.driver.lookup_storage_pool_by_name(name))

    def lookup_storage_pool_by_uuid(self, uuid: str | uuid_module.UUID) -> StoragePool:
        return StoragePool(self, self.driver.lookup_storage_pool_by_uuid(_parse_uuid(uuid)))

    def lookup_storage_pool(self, key: str) -> StoragePool:
        """A storage pool by name or UUID."""
        return _by_name_or_uuid(key, self.lookup_storage_pool_by_name, self.lookup_storage_pool_by_uuid)

    def define_storage_pool(self, xml: str | bytes | StoragePoolModel) -> StoragePool:
        from virt.xml import StoragePool as StoragePoolModel

        driver = self._writable("virStoragePoolDefineXML")
        return StoragePool(self, driver.define_storage_pool(_as_model(xml, StoragePoolModel, "xml")))

    def create_storage_pool(
        self,
        xml: str | bytes | StoragePoolModel,
        *,
        build: bool = False,
        overwrite: bool = False,
        no_overwrite: bool = False,
    ) -> StoragePool:
        """Start a transient pool (``build``: build it first, ``overwrite``/``no_overwrite`` as for a build)."""
        from virt.storage.backend import BuildFlags
        from virt.xml import StoragePool as StoragePoolModel

        driver = self._writable("virStoragePoolCreateXML")
        # as libvirt: either build flag asks for a build too (storagePoolCreate)
        flags = (
            BuildFlags(overwrite=overwrite, no_overwrite=no_overwrite) if build or overwrite or no_overwrite else None
        )
        return StoragePool(self, driver.create_storage_pool(_as_model(xml, StoragePoolModel, "xml"), build=flags))

    def lookup_storage_volume_by_key(self, key: str) -> StorageVolume:
        return StorageVolume(self, self.driver.lookup_storage_volume_by_key(key))

    def lookup_storage_volume_by_path(self, path: str) -> StorageVolume:
        return StorageVolume(self, self.driver.lookup_storage_volume_by_path(path))

    # -- statistics (virt.domainstats) ----------------------------------------------------------
    def node_cpu_map(self) -> NodeCPUMap:
        """The host's CPU count and its online CPUs (virNodeGetCPUMap)."""
        return self.driver.get_node_cpu_map()

    def get_all_domain_stats(
        self,
        groups: StatsGroup | int = 0,
        *,
        active: bool | None = None,
        persistent: bool | None = None,
        states: Collection[DomainState] | None = None,
        enforce: bool = False,
        backing: bool = False,
        nowait: bool = False,
    ) -> list[DomainStatsRecord]:
        """Statistics of every domain passing the filters, in one call (virConnectGetAllDomainStats);
        ``groups`` 0 asks for every group the driver has, ``enforce`` refuses groups it lacks."""
        from virt.domainstats import StatsGroup

        filter = DomainFilter(active, persistent, states)
        return self.driver.get_domain_stats(
            None, StatsGroup(groups), filter, enforce=enforce, backing=backing, nowait=nowait
        )

    def domain_list_stats(
        self,
        domains: Collection[Domain],
        groups: StatsGroup | int = 0,
        *,
        enforce: bool = False,
        backing: bool = False,
        nowait: bool = False,
    ) -> list[DomainStatsRecord]:
        """Statistics of the given domains, in their order (virDomainListGetStats)."""
        from virt.domainstats import StatsGroup
        from virt.errors import ErrorDomain

        if not domains:
            raise InvalidArgument(
                "doms array in virDomainListGetStats must contain at least one domain",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.DOMAIN,
            )
        if any(domain.connection is not self for domain in domains):
            raise InvalidArgument("domains from different connections", ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN)
        refs = [domain.ref for domain in domains]
        return self.driver.get_domain_stats(
            refs, StatsGroup(groups), DomainFilter(), enforce=enforce, backing=backing, nowait=nowait
        )


def _by_name_or_uuid(key: str, by_name: Callable[[str], T], by_uuid: Callable[[str], T]) -> T:
    from virt.errors import NotFound

    try:
        uuid_module.UUID(key)
    except ValueError:
        return by_name(key)
    try:
        return by_uuid(key)
    except NotFound:
        return by_name(key)


class Domain(DomainBlockJobs):
    """A handle on one domain; cheap to make, it holds the domain's name and UUID."""

    def __init__(self, connection: Connection, ref: DomainRef) -> None:
        self.connection = connection
        self._ref = ref

    def __repr__(self) -> str:
        return f"<virt.Domain {self._ref.name} {self._ref.uuid}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Domain) and other.connection is self.connection and other.uuid == self.uuid

    def __hash__(self) -> int:
        return hash(self._ref.uuid)

    @property
    def ref(self) -> DomainRef:
        return self._ref

    @property
    def name(self) -> str:
        return self._ref.name

    @property
    def uuid(self) -> uuid_module.UUID:
        return self._ref.uuid

    @property
    def id(self) -> int:
        """The running domain's id, -1 when it is not running."""
        self._ref = self.connection.driver.lookup_domain_by_uuid(self._ref.uuid)
        return self._ref.id

    def _refuse_secure_if_read_only(self, secure: bool) -> None:
        if secure and self.connection.readonly:
            raise OperationDenied("operation forbidden: virDomainGetXMLDesc with secure flag")

    def _change(self, operation: str) -> DriverConnection:
        return self.connection._writable(operation)

    def state(self) -> StateInfo:
        state, reason = self.connection.driver.get_domain_state(self._ref)
        return StateInfo(DomainState(state), reason)

    def info(self) -> DomainInfo:
        return self.connection.driver.get_domain_info(self._ref)

    def model(self, *, inactive: bool = False, secure: bool = False) -> DomainModel:
        """The domain's description as a model."""
        self._refuse_secure_if_read_only(secure)
        return self.connection.driver.get_domain_definition(self._ref, inactive=inactive, secure=secure)

    def xml(self, *, inactive: bool = False, secure: bool = False) -> str:
        """The domain's description as XML text (what ``virt dumpxml`` prints)."""
        self._refuse_secure_if_read_only(secure)
        return self.connection.driver.get_domain_xml(self._ref, inactive=inactive, secure=secure)

    def os_type(self) -> str:
        """The guest's operating system type as the hypervisor reports it (``hvm``, ``linux``, ``exe``)."""
        return self.connection.driver.get_domain_os_type(self._ref)

    def is_active(self) -> bool:
        return self.connection.driver.is_domain_active(self._ref)

    def is_persistent(self) -> bool:
        return self.connection.driver.is_domain_persistent(self._ref)

    def has_managed_save(self) -> bool:
        return self.connection.driver.has_managed_save(self._ref)

    def security_label(self) -> SecurityLabel | None:
        return self.connection.driver.get_domain_security_label(self._ref)

    def security_labels(self) -> list[SecurityLabel]:
        """virDomainGetSecurityLabelList: the label under each of the host's security models (none while shut off)."""
        driver = self.connection.driver
        return _words("virDomainGetSecurityLabelList", lambda: driver.get_domain_security_labels(self._ref))

    def pm_suspend_for_duration(self, target: int, duration: int = 0, flags: int = 0) -> None:
        """virDomainPMSuspendForDuration: ask the guest (its agent) to suspend itself to ``target``
        (virt.hostcalls.SuspendTarget: memory, disk or hybrid)."""
        driver = self.connection._writable("virDomainPMSuspendForDuration")
        _words(
            "virDomainPMSuspendForDuration",
            lambda: driver.domain_pm_suspend_for_duration(self._ref, target, duration, flags),
        )

    def pm_wakeup(self, flags: int = 0) -> None:
        """virDomainPMWakeup: wake the guest from a suspend to memory."""
        driver = self.connection._writable("virDomainPMWakeup")
        _words("virDomainPMWakeup", lambda: driver.domain_pm_wakeup(self._ref, flags))

    def open_console(self, device: str | None = None, *, force: bool = False) -> socket.socket:
        """The console ``device`` (None: the first) as a connected socket carrying its bytes (virDomainOpenConsole)."""
        return self._change("virDomainOpenConsole").open_console(self._ref, device, force=force)

    def screenshot(self, screen: int = 0) -> Screenshot:
        """What the running domain shows on display ``screen`` (0: the first head of the first video card)."""
        if screen < 0:
            raise InvalidArgument(f"screen must be 0 or more, not {screen}")
        return self._change("virDomainScreenshot").screenshot(self._ref, screen)

    @property
    def autostart(self) -> bool:
        return self.connection.driver.get_domain_autostart(self._ref)

    def set_autostart(self, autostart: bool) -> None:
        self._change("virDomainSetAutostart").set_domain_autostart(self._ref, autostart)

    def start(self, flags: StartFlags = StartFlags.NONE) -> None:
        """Start the defined domain: from its managed save image when it has one, unless FORCE_BOOT
        (virDomainCreate, with ``flags`` virDomainCreateWithFlags)."""
        if flags:
            self._change("virDomainCreateWithFlags").start_domain_flags(self._ref, StartFlags(flags))
        else:
            self._change("virDomainCreate").start_domain(self._ref)

    def shutdown(self, mode: ShutdownMode = ShutdownMode.DEFAULT) -> None:
        """Ask the guest to power off: ACPI button, guest agent, ... as ``mode`` allows."""
        self._change("virDomainShutdown").shutdown_domain(self._ref, ShutdownMode(mode))

    def reboot(self, mode: ShutdownMode = ShutdownMode.DEFAULT) -> None:
        """Ask the guest to reboot: ACPI button, guest agent, ... as ``mode`` allows."""
        self._change("virDomainReboot").reboot_domain(self._ref, ShutdownMode(mode))

    def reset(self) -> None:
        self._change("virDomainReset").reset_domain(self._ref)

    def destroy(self) -> None:
        self._change("virDomainDestroy").destroy_domain(self._ref)

    def suspend(self) -> None:
        self._change("virDomainSuspend").suspend_domain(self._ref)

    def resume(self) -> None:
        self._change("virDomainResume").resume_domain(self._ref)

    def undefine(self, flags: UndefineFlags = UndefineFlags.NONE) -> None:
        """Forget the persistent definition; ``flags`` says what becomes of its files (virDomainUndefineFlags)."""
        driver = self._change("virDomainUndefineFlags" if flags else "virDomainUndefine")
        implemented = not getattr(type(driver).undefine_domain_flags, "__virt_optional__", False)
        # A driver without the flags keeps no managed save, snapshot or checkpoint metadata:
        # removing what it does not keep is nothing to do (a managed save it would refuse itself).
        nothing_kept = (
            UndefineFlags.MANAGED_SAVE | UndefineFlags.SNAPSHOTS_METADATA | UndefineFlags.CHECKPOINTS_METADATA
        )
        if implemented or flags & ~nothing_kept:
            driver.undefine_domain_flags(self._ref, UndefineFlags(flags))
        else:
            driver.undefine_domain(self._ref)

    # -- changes: memory, processors, pinning, keys, metadata, managed save, guest agent ---------------
    def set_memory(self, kib: int, impact: Impact = Impact.CURRENT) -> None:
        """The memory the guest may use now (the balloon's target), in KiB (virDomainSetMemoryFlags)."""
        _nonzero(kib, "memory", "virDomainSetMemoryFlags")
        self._change("virDomainSetMemoryFlags").set_domain_memory(self._ref, kib, Impact(impact))

    def set_max_memory(self, kib: int, impact: Impact = Impact.CURRENT) -> None:
        """The most memory the guest may ever be given, in KiB (virDomainSetMaxMemory / MEM_MAXIMUM)."""
        _nonzero(kib, "memory", "virDomainSetMaxMemory" if impact == Impact.CURRENT else "virDomainSetMemoryFlags")
        driver = self._change("virDomainSetMaxMemory")
        driver.set_domain_memory(self._ref, kib, Impact(impact), maximum=True)

    def set_memory_stats_period(self, period: int, impact: Impact = Impact.CURRENT) -> None:
        """How often, in seconds, the guest reports its memory statistics (what ``memory_stats`` adds from
        its balloon: unused, available, ...); 0 stops the reports (virDomainSetMemoryStatsPeriod)."""
        driver = self._change("virDomainSetMemoryStatsPeriod")
        check_memory_stats_period(period)
        driver.set_domain_memory_stats_period(self._ref, period, Impact(impact))

    def set_vcpus(
        self, count: int, impact: Impact = Impact.CURRENT, *, maximum: bool = False, hotpluggable: bool = False
    ) -> None:
        """The vCPUs in use, or with ``maximum`` the most the next boot may have (virDomainSetVcpusFlags)."""
        _nonzero(count, "nvcpus", "virDomainSetVcpusFlags")
        if maximum and not Impact(impact) & Impact.CONFIG:
            raise InvalidArgument(
                "Flag 'VIR_DOMAIN_AFFECT_CONFIG' is required by flag 'VIR_DOMAIN_VCPU_MAXIMUM'",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.DOMAIN,
            )
        driver = self._change("virDomainSetVcpusFlags")
        driver.set_domain_vcpus(self._ref, count, Impact(impact), maximum=maximum, hotpluggable=hotpluggable)

    def pin_vcpu(self, vcpu: int, cpus: Iterable[int], impact: Impact = Impact.CURRENT) -> None:
        """Let vCPU ``vcpu`` run on the host CPUs ``cpus`` only (virDomainPinVcpuFlags)."""
        driver = self._change("virDomainPinVcpuFlags")
        driver.pin_domain_vcpu(self._ref, vcpu, frozenset(cpus), Impact(impact))

    def pin_emulator(self, cpus: Iterable[int], impact: Impact = Impact.CURRENT) -> None:
        """Let the emulator's own threads run on the host CPUs ``cpus`` only (virDomainPinEmulator)."""
        self._change("virDomainPinEmulator").pin_domain_emulator(self._ref, frozenset(cpus), Impact(impact))

    def iothread_info(self, flags: int = 0) -> list[IOThreadInfo]:
        """Each IOThread of the domain and the host CPUs it may run on (virDomainGetIOThreadInfo;
        ``flags``: Impact.LIVE or Impact.CONFIG to pick a definition)."""
        return self.connection.driver.get_domain_iothread_info(self._ref, flags)

    def pin_iothread(self, iothread_id: int, cpus: Iterable[int], flags: int = 0) -> None:
        """Let IOThread ``iothread_id`` run on the host CPUs ``cpus`` only (virDomainPinIOThread)."""
        driver = self._change("virDomainPinIOThread")
        driver.pin_domain_iothread(self._ref, iothread_id, frozenset(cpus), flags)

    def add_iothread(self, iothread_id: int, flags: int = 0) -> None:
        """A new IOThread numbered ``iothread_id`` (virDomainAddIOThread)."""
        self._change("virDomainAddIOThread").add_domain_iothread(self._ref, iothread_id, flags)

    def del_iothread(self, iothread_id: int, flags: int = 0) -> None:
        """Remove IOThread ``iothread_id``, which no disk may use (virDomainDelIOThread)."""
        self._change("virDomainDelIOThread").del_domain_iothread(self._ref, iothread_id, flags)

    def set_iothread_params(self, iothread_id: int, params: Sequence[TypedParameter], flags: int = 0) -> None:
        """Change a running IOThread's polling or thread pool settings (virDomainSetIOThreadParams;
        virt.iothreads.PARAMETERS names them)."""
        from virt.tunables import check_set

        driver = self._change("virDomainSetIOThreadParams")
        check_set(params, "virDomainSetIOThreadParams")
        driver.set_domain_iothread_params(self._ref, iothread_id, list(params), flags)

    def send_key(self, keycodes: Sequence[int], codeset: int = 0, holdtime_ms: int = 0) -> None:
        """Press ``keycodes`` (of ``codeset``, virKeycodeSet; 0 is Linux's) together (virDomainSendKey)."""
        from virt.keycodes import CODESETS

        if codeset not in CODESETS.values():
            raise InvalidArgument(f"Unsupported codeset '{codeset}'", ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN)
        self._change("virDomainSendKey").send_domain_key(self._ref, codeset, holdtime_ms, list(keycodes))

    def metadata(self, kind: MetadataType, uri: str | None = None, impact: Impact = Impact.CURRENT) -> str:
        """The description, title, or the metadata element of namespace ``uri`` (virDomainGetMetadata)."""
        _exclusive_impact(impact)
        _metadata_arguments(kind, None, uri, "virDomainGetMetadata", key_needed=False)
        return self.connection.driver.get_domain_metadata(self._ref, MetadataType(kind), uri, Impact(impact))

    def set_metadata(
        self,
        kind: MetadataType,
        value: str | None,
        *,
        key: str | None = None,
        uri: str | None = None,
        impact: Impact = Impact.CURRENT,
    ) -> None:
        """Set (None: remove) the description, title, or the element ``key:tag`` of namespace ``uri``."""
        _metadata_arguments(kind, key, uri, "virDomainSetMetadata", key_needed=bool(value))
        if kind == MetadataType.TITLE and value and "\n" in value:
            raise InvalidArgument("metadata title can't contain newlines", ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN)
        driver = self._change("virDomainSetMetadata")
        driver.set_domain_metadata(self._ref, MetadataType(kind), value, key, uri, Impact(impact))

    def managed_save(self, flags: SaveFlags = SaveFlags.NONE) -> None:
        """Save the running domain's state and stop it; the next start resumes from it (virDomainManagedSave)."""
        domainsave.check_running_paused(flags)
        self._change("virDomainManagedSave").managed_save_domain(self._ref, SaveFlags(flags))

    def remove_managed_save(self) -> None:
        self._change("virDomainManagedSaveRemove").remove_managed_save(self._ref)

    def managed_save_xml(self, flags: SaveImageXMLFlags = SaveImageXMLFlags.NONE) -> str:
        """The definition kept in the managed save image (virDomainManagedSaveGetXMLDesc)."""
        secure = bool(flags & SaveImageXMLFlags.SECURE)
        if secure and self.connection.readonly:
            raise OperationDenied("operation forbidden: virDomainManagedSaveGetXMLDesc with secure flag")
        return self.connection.driver.get_managed_save_xml(self._ref, secure)

    def define_managed_save_xml(self, xml: str | None, flags: SaveFlags = SaveFlags.NONE) -> None:
        """Replace the definition kept in the managed save image, or with RUNNING/PAUSED only the state
        the domain is restored in (virDomainManagedSaveDefineXML)."""
        domainsave.check_running_paused(flags)
        driver = self._change("virDomainManagedSaveDefineXML")
        driver.define_managed_save_xml(self._ref, xml, SaveFlags(flags))

    def save(self, path: str, xml: str | None = None, flags: SaveFlags = SaveFlags.NONE) -> None:
        """Save the running domain's state into the file ``path`` and stop it (virDomainSaveFlags);
        ``xml`` replaces the definition kept in the image (the same guest)."""
        domainsave.check_running_paused(flags)
        driver = self._change("virDomainSaveFlags" if xml is not None or flags else "virDomainSave")
        driver.save_domain(self._ref, domainsave.absolute(path), xml, SaveFlags(flags))

    def interface_addresses(self, source: AddressSource = AddressSource.LEASE) -> list[DomainInterface]:
        """The guest's interfaces and their addresses (virDomainInterfaceAddresses); the agent's needs write access."""
        agent = source == AddressSource.AGENT
        driver = self._change("virDomainInterfaceAddresses") if agent else self.connection.driver
        return driver.get_domain_interface_addresses(self._ref, source)

    def filesystems(self) -> list[FilesystemInfo]:
        """The guest's mounted filesystems, through its agent (virDomainGetFSInfo)."""
        return self._change("virDomainGetFSInfo").get_domain_filesystems(self._ref)

    def freeze_filesystems(self, mountpoints: Sequence[str] = ()) -> int:
        """Freeze the guest's filesystems at ``mountpoints`` (none: all); how many (virDomainFSFreeze)."""
        return self._change("virDomainFSFreeze").freeze_domain_filesystems(self._ref, list(mountpoints))

    def thaw_filesystems(self, mountpoints: Sequence[str] = ()) -> int:
        """Thaw the guest's filesystems at ``mountpoints`` (none: all); how many (virDomainFSThaw)."""
        return self._change("virDomainFSThaw").thaw_domain_filesystems(self._ref, list(mountpoints))

    def hostname(self, source: HostnameSource = HostnameSource.DEFAULT) -> str:
        """The guest's own host name (virDomainGetHostname)."""
        return self._change("virDomainGetHostname").get_domain_hostname(self._ref, HostnameSource(source))

    # -- device hotplug and unplug (virt.devicechanges) -----------------------------------------
    def attach_device(self, device: str | XmlModel, flags: int = 0) -> None:
        """Add a device (its XML or model) to the running guest and/or the persistent definition, as
        ``flags`` (virt.devicechanges.DeviceModifyFlags) say (virDomainAttachDeviceFlags)."""
        self._change("virDomainAttachDeviceFlags").attach_device(self._ref, _device_xml(device), int(flags))

    def detach_device(self, device: str | XmlModel, flags: int = 0) -> None:
        """Remove the device the XML names (virDomainDetachDeviceFlags). Live, the guest is asked to
        let it go; it may still be present when this returns (a DEVICE_REMOVED event follows)."""
        self._change("virDomainDetachDeviceFlags").detach_device(self._ref, _device_xml(device), int(flags))

    def update_device(self, device: str | XmlModel, flags: int = 0) -> None:
        """Change a device in place, e.g. a CD-ROM's medium (virDomainUpdateDeviceFlags)."""
        self._change("virDomainUpdateDeviceFlags").update_device(self._ref, _device_xml(device), int(flags))

    def detach_device_alias(self, alias: str, flags: int = 0) -> None:
        """Remove the device whose alias is ``alias`` (virDomainDetachDeviceAlias)."""
        self._change("virDomainDetachDeviceAlias").detach_device_alias(self._ref, alias, int(flags))

    # -- statistics and information (virt.domainstats) -------------------------------------------
    def vcpus(self) -> list[VcpuInfo]:
        """The running domain's vCPUs: state, processor time, host CPU and affinity (virDomainGetVcpus)."""
        return self.connection.driver.get_domain_vcpus(self._ref)

    def vcpu_pin_info(self, *, live: bool = False, config: bool = False) -> list[frozenset[int]]:
        """Each vCPU's affinity in the live or persistent definition; neither: the current one."""
        return self.connection.driver.get_domain_vcpu_pin_info(self._ref, live=live, config=config)

    def emulator_pin_info(self, *, live: bool = False, config: bool = False) -> frozenset[int]:
        """The host CPUs the emulator's threads may run on (virDomainGetEmulatorPinInfo)."""
        return self.connection.driver.get_domain_emulator_pin_info(self._ref, live=live, config=config)

    def memory_stats(self) -> MemoryStats:
        """The running domain's memory statistics, (tag, value) in the driver's order (virDomainMemoryStats)."""
        return self.connection.driver.get_domain_memory_stats(self._ref)

    def block_stats(self, disk: str) -> BlockStats:
        """A disk's I/O counters, by target (``vda``) or source path; "" for every disk together."""
        return self.connection.driver.get_domain_block_stats(self._ref, disk)

    def block_stats_parameters(self, disk: str) -> list[TypedParameter]:
        """A disk's I/O counters as virDomainBlockStatsFlags gives them (with times and flushes)."""
        return self.connection.driver.get_domain_block_stats_flags(self._ref, disk)

    def interface_stats(self, device: str) -> InterfaceStats:
        """An interface's traffic, by host device name (``vnet0``) or MAC address (virDomainInterfaceStats)."""
        return self.connection.driver.get_domain_interface_stats(self._ref, device)

    def block_info(self, disk: str) -> BlockInfo:
        """A disk's capacity, allocation and physical size, by target or source path (virDomainGetBlockInfo)."""
        if not disk:
            from virt.errors import ErrorDomain

            raise InvalidArgument(
                "string disk in virDomainGetBlockInfo must not be empty", ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN
            )
        return self.connection.driver.get_domain_block_info(self._ref, disk)

    def stats(
        self, groups: StatsGroup | int = 0, *, enforce: bool = False, backing: bool = False
    ) -> DomainStatsRecord | None:
        """This domain's record of ``Connection.domain_list_stats`` (None when the driver left it out)."""
        records = self.connection.domain_list_stats([self], groups, enforce=enforce, backing=backing)
        return records[0] if records else None

    def job_info(self, *, completed: bool = False) -> JobInfo:
        """The running job (type NONE when there is none), or with ``completed`` the last one that ended."""
        return self.connection.driver.get_domain_job_info(self._ref, completed=completed)

    def abort_job(self) -> None:
        """Cancel the running job, a migration (virDomainAbortJob)."""
        self._change("virDomainAbortJob").abort_domain_job(self._ref)

    # -- migration (virt.migration) ---------------------------------------------------------------------
    def migrate(
        self,
        dest: Connection | None = None,
        *,
        dest_uri: str | None = None,
        flags: MigrateFlags = MigrateFlags.NONE,
        params: MigrationParams | None = None,
        listener: JobListener | None = None,
        stall: StallPolicy | None = None,
    ) -> Domain | None:
        """Migrate to another host (``virt.migration.migrate``): through ``dest``, or with PEER2PEER
        the source host to ``dest_uri``; ``listener`` is told the progress, ``stall`` gives up on (or
        switches to post-copy) a migration that stopped converging. The domain there (None when peer
        to peer without ``dest``)."""
        return migration.migrate(
            self, dest, dest_uri=dest_uri, flags=flags, params=params, listener=listener, stall=stall
        )

    def migrate_set_max_speed(self, bandwidth: int, *, postcopy: bool = False) -> None:
        """The migration bandwidth limit in MiB/s (virDomainMigrateSetMaxSpeed)."""
        if bandwidth < 0:
            raise InvalidArgument(f"bandwidth must not be negative, not {bandwidth}")
        self._change("virDomainMigrateSetMaxSpeed").migrate_set_max_speed(self._ref, bandwidth, postcopy=postcopy)

    def migrate_get_max_speed(self, *, postcopy: bool = False) -> int:
        """The migration bandwidth limit in MiB/s (virDomainMigrateGetMaxSpeed)."""
        return self.connection.driver.migrate_get_max_speed(self._ref, postcopy=postcopy)

    def migrate_set_max_downtime(self, milliseconds: int) -> None:
        """The longest the guest may be stopped at the end of a migration (virDomainMigrateSetMaxDowntime)."""
        if milliseconds <= 0:
            raise InvalidArgument(f"migrate: Invalid downtime {milliseconds}: it must be more than 0 ms")
        self._change("virDomainMigrateSetMaxDowntime").migrate_set_max_downtime(self._ref, milliseconds)

    def migrate_get_max_downtime(self) -> int:
        """virDomainMigrateGetMaxDowntime, in milliseconds."""
        return self.connection.driver.migrate_get_max_downtime(self._ref)

    def migrate_set_compression_cache(self, size: int) -> None:
        """XBZRLE's cache size in bytes (virDomainMigrateSetCompressionCache)."""
        self._change("virDomainMigrateSetCompressionCache").migrate_set_compression_cache(self._ref, size)

    def migrate_get_compression_cache(self) -> int:
        """virDomainMigrateGetCompressionCache, in bytes."""
        return self.connection.driver.migrate_get_compression_cache(self._ref)

    def migrate_start_post_copy(self) -> None:
        """Switch the running migration to post-copy (virDomainMigrateStartPostCopy)."""
        self._change("virDomainMigrateStartPostCopy").migrate_start_post_copy(self._ref)

    def guest_time(self) -> GuestTime:
        """The guest's clock, read through its agent (virDomainGetTime; refused on read-only connections)."""
        return self._change("virDomainGetTime").get_domain_time(self._ref)

    # -- snapshots (virt.snapshots) -----------------------------------------------------------------
    def create_snapshot(self, xml: str = "<domainsnapshot/>", flags: int = 0) -> DomainSnapshot:
        """virDomainSnapshotCreateXML: a snapshot of the domain as it is now (REDEFINE: one given whole)."""
        from virt.checkpoints import required
        from virt.snapshots import CreateFlags, DomainSnapshot

        driver = self._change("virDomainSnapshotCreateXML")
        prefix = "VIR_DOMAIN_SNAPSHOT_CREATE_"
        required(flags, CreateFlags.REDEFINE, CreateFlags.CURRENT, prefix, ErrorDomain.DOMAIN_SNAPSHOT)
        return DomainSnapshot(self, driver.create_domain_snapshot(self._ref, xml, int(flags)))

    def list_snapshots(self, flags: int = 0) -> list[DomainSnapshot]:
        """virDomainListAllSnapshots, filtered by virt.snapshots.ListFlags."""
        from virt.snapshots import DomainSnapshot

        return [DomainSnapshot(self, n) for n in self.connection.driver.list_domain_snapshots(self._ref, int(flags))]

    def snapshot_children(self, snapshot: DomainSnapshot, flags: int = 0) -> list[DomainSnapshot]:
        """virDomainSnapshotListAllChildren (DESCENDANTS: all of them, not only the direct ones)."""
        from virt.snapshots import DomainSnapshot

        names = self.connection.driver.list_domain_snapshots(self._ref, int(flags), of=snapshot.name)
        return [DomainSnapshot(self, n) for n in names]

    def lookup_snapshot(self, name: str) -> DomainSnapshot:
        """virDomainSnapshotLookupByName."""
        from virt.snapshots import DomainSnapshot

        return DomainSnapshot(self, self.connection.driver.lookup_domain_snapshot(self._ref, name))

    def has_current_snapshot(self) -> bool:
        """virDomainHasCurrentSnapshot."""
        return self.connection.driver.current_domain_snapshot(self._ref) is not None

    def current_snapshot(self) -> DomainSnapshot:
        """virDomainSnapshotCurrent: NO_DOMAIN_SNAPSHOT without one."""
        from virt.snapshots import DomainSnapshot

        name = self.connection.driver.current_domain_snapshot(self._ref)
        if name is None:
            raise VirtError(
                "Domain snapshot not found: the domain does not have a current snapshot",
                ErrorNumber.NO_DOMAIN_SNAPSHOT,
                self.connection.driver.error_domain,
            )
        return DomainSnapshot(self, name)

    # -- checkpoints (virt.checkpoints) ---------------------------------------------------------------
    def create_checkpoint(self, xml: str = "<domaincheckpoint/>", flags: int = 0) -> DomainCheckpoint:
        """virDomainCheckpointCreateXML: a checkpoint of the domain's disks now (REDEFINE: one given whole)."""
        from virt.checkpoints import _DOMAIN, CreateFlags, DomainCheckpoint, exclusive, required

        driver = self._change("virDomainCheckpointCreateXML")
        prefix = "VIR_DOMAIN_CHECKPOINT_CREATE_"
        exclusive(flags, CreateFlags.REDEFINE, CreateFlags.QUIESCE, prefix, _DOMAIN)
        required(flags, CreateFlags.REDEFINE, CreateFlags.REDEFINE_VALIDATE, prefix, _DOMAIN)
        return DomainCheckpoint(self, driver.create_domain_checkpoint(self._ref, xml, int(flags)))

    def list_checkpoints(self, flags: int = 0) -> list[DomainCheckpoint]:
        """virDomainListAllCheckpoints, filtered by virt.checkpoints.ListFlags."""
        from virt.checkpoints import DomainCheckpoint

        names = self.connection.driver.list_domain_checkpoints(self._ref, int(flags))
        return [DomainCheckpoint(self, n) for n in names]

    def lookup_checkpoint(self, name: str) -> DomainCheckpoint:
        """virDomainCheckpointLookupByName."""
        from virt.checkpoints import DomainCheckpoint

        return DomainCheckpoint(self, self.connection.driver.lookup_domain_checkpoint(self._ref, name))

    # -- control interface (virt.domaincontrol) ----------------------------------------------------------
    def control_info(self, flags: int = 0) -> ControlInfo:
        """The state of the control interface to the domain (virDomainGetControlInfo)."""
        return self.connection.driver.get_domain_control_info(self._ref, flags)

    # -- NMI and guest clock setting ---------------------------------------------------------------------
    def inject_nmi(self, flags: int = 0) -> None:
        """Send a non-maskable interrupt to the guest (virDomainInjectNMI)."""
        self._change("virDomainInjectNMI").inject_domain_nmi(self._ref, flags)

    def set_guest_time(self, seconds: int, nseconds: int = 0, flags: int = 0) -> None:
        """Set the guest's clock to ``seconds`` + ``nseconds`` since the Epoch; flags 1
        (VIR_DOMAIN_TIME_SYNC) resyncs it from its RTC instead (virDomainSetTime)."""
        self._change("virDomainSetTime").set_domain_time(self._ref, seconds, nseconds, flags)

    # -- rename -----------------------------------------------------------------------------------------
    def rename(self, new_name: str, flags: int = 0) -> None:
        """Give this inactive persistent domain the name ``new_name`` (virDomainRename)."""
        if not new_name:
            raise InvalidArgument(
                "string new_name in virDomainRename must not be empty", ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN
            )
        self._change("virDomainRename").rename_domain(self._ref, new_name, flags)

    # -- scheduler parameters (virt.scheduler) ----------------------------------------------------------
    def scheduler_type(self) -> SchedulerType:
        """The scheduler's name and how many parameters it has (virDomainGetSchedulerType)."""
        return self.connection.driver.get_domain_scheduler_type(self._ref)

    def scheduler_parameters(self, impact: Impact | None = None) -> list[TypedParameter]:
        """The scheduler's parameters (virDomainGetSchedulerParameters; with ``impact``, of the live or
        persistent definition: virDomainGetSchedulerParametersFlags)."""
        from virt.scheduler import TYPED_PARAM_STRING_OKAY

        if impact is None:
            return self.connection.driver.get_domain_scheduler_parameters(self._ref, 0)
        _exclusive_impact(impact)
        flags = int(impact) | TYPED_PARAM_STRING_OKAY
        return self.connection.driver.get_domain_scheduler_parameters(self._ref, flags)

    def set_scheduler_parameters(self, params: Sequence[TypedParameter], impact: Impact | None = None) -> None:
        """Change the parameters ``params`` names (virDomainSetSchedulerParameters; with ``impact``:
        virDomainSetSchedulerParametersFlags)."""
        from virt.scheduler import check_fields

        api = "virDomainSetSchedulerParameters" if impact is None else "virDomainSetSchedulerParametersFlags"
        driver = self._change(api)
        if impact is not None:
            _exclusive_impact(impact)
        check_fields(params)
        driver.set_domain_scheduler_parameters(self._ref, list(params), 0 if impact is None else int(impact))

    # -- tunables (virt.tunables): memtune, numatune, blkiotune, perf, domiftune, blkdeviotune ---------
    def memory_parameters(self, impact: Impact = Impact.CURRENT) -> list[TypedParameter]:
        """The memory limits in KiB, virt.tunables.MEMORY_PARAM_UNLIMITED when not set
        (virDomainGetMemoryParameters)."""
        from virt.tunables import get_flags

        return self.connection.driver.get_domain_memory_parameters(self._ref, get_flags(impact))

    def set_memory_parameters(self, params: Sequence[TypedParameter], impact: Impact = Impact.CURRENT) -> None:
        """Change the memory limits ``params`` names (virDomainSetMemoryParameters)."""
        from virt.tunables import check_set

        driver = self._change("virDomainSetMemoryParameters")
        check_set(params, "virDomainSetMemoryParameters")
        driver.set_domain_memory_parameters(self._ref, list(params), int(impact))

    def numa_parameters(self, impact: Impact = Impact.CURRENT) -> list[TypedParameter]:
        """The NUMA memory mode (virt.tunables.NumaMode) and nodeset (virDomainGetNumaParameters)."""
        from virt.tunables import get_flags

        return self.connection.driver.get_domain_numa_parameters(self._ref, get_flags(impact))

    def set_numa_parameters(self, params: Sequence[TypedParameter], impact: Impact = Impact.CURRENT) -> None:
        """Change the NUMA memory mode or nodeset (virDomainSetNumaParameters)."""
        from virt.tunables import check_set

        driver = self._change("virDomainSetNumaParameters")
        check_set(params, "virDomainSetNumaParameters")
        driver.set_domain_numa_parameters(self._ref, list(params), int(impact))

    def blkio_parameters(self, impact: Impact = Impact.CURRENT) -> list[TypedParameter]:
        """The block I/O weight and per-device limits (virDomainGetBlkioParameters)."""
        from virt.tunables import get_flags

        return self.connection.driver.get_domain_blkio_parameters(self._ref, get_flags(impact))

    def set_blkio_parameters(self, params: Sequence[TypedParameter], impact: Impact = Impact.CURRENT) -> None:
        """Change the block I/O weight or per-device limits (virDomainSetBlkioParameters)."""
        from virt.tunables import check_set

        driver = self._change("virDomainSetBlkioParameters")
        check_set(params, "virDomainSetBlkioParameters")
        driver.set_domain_blkio_parameters(self._ref, list(params), int(impact))

    def perf_events(self, impact: Impact = Impact.CURRENT) -> list[TypedParameter]:
        """Every perf event, a boolean saying whether it is enabled (virDomainGetPerfEvents)."""
        from virt.tunables import get_flags

        return self.connection.driver.get_domain_perf_events(self._ref, get_flags(impact))

    def set_perf_events(self, params: Sequence[TypedParameter], impact: Impact = Impact.CURRENT) -> None:
        """Enable or disable the perf events ``params`` names (virDomainSetPerfEvents)."""
        from virt.tunables import check_set

        driver = self._change("virDomainSetPerfEvents")
        check_set(params, "virDomainSetPerfEvents", null_first=True)
        driver.set_domain_perf_events(self._ref, list(params), int(impact))

    def interface_parameters(self, device: str, impact: Impact = Impact.CURRENT) -> list[TypedParameter]:
        """The bandwidth of the interface ``device``, named by MAC or host device
        (virDomainGetInterfaceParameters)."""
        from virt.tunables import get_flags

        return self.connection.driver.get_domain_interface_parameters(self._ref, device, get_flags(impact))

    def set_interface_parameters(
        self, device: str, params: Sequence[TypedParameter], impact: Impact = Impact.CURRENT
    ) -> None:
        """Change the bandwidth of the interface ``device`` (virDomainSetInterfaceParameters)."""
        from virt.tunables import check_set

        driver = self._change("virDomainSetInterfaceParameters")
        check_set(params, "virDomainSetInterfaceParameters")
        driver.set_domain_interface_parameters(self._ref, device, list(params), int(impact))

    def block_io_tune(self, disk: str, impact: Impact = Impact.CURRENT) -> list[TypedParameter]:
        """The I/O throttling of the disk ``disk``, named by target or source (virDomainGetBlockIoTune)."""
        from virt.tunables import get_flags

        return self.connection.driver.get_domain_block_io_tune(self._ref, disk, get_flags(impact))

    def set_block_io_tune(self, disk: str, params: Sequence[TypedParameter], impact: Impact = Impact.CURRENT) -> None:
        """Change the I/O throttling of the disk ``disk`` (virDomainSetBlockIoTune)."""
        from virt.tunables import check_set

        driver = self._change("virDomainSetBlockIoTune")
        check_set(params, "virDomainSetBlockIoTune")
        driver.set_domain_block_io_tune(self._ref, disk, list(params), int(impact))

    # -- domaincalls: CPU statistics, lifecycle actions, fstrim, disk errors, process signals, memory
    # peek, user password, launch security, core dump, start with files (virt.domaincalls) ------------
    def get_cpu_stats(self, nparams: int, start_cpu: int = -1, ncpus: int = 1, flags: int = 0) -> CPUStats:
        """virDomainGetCPUStats as called: up to ``nparams`` parameters of ``ncpus`` host CPUs from
        ``start_cpu`` (-1: the domain's totals); nparams 0 asks how many there are, ncpus 0 how many CPUs."""
        from virt import domaincalls

        domaincalls.check_cpu_stats(nparams, start_cpu, ncpus)
        return self.connection.driver.get_domain_cpu_stats(
            self._ref, nparams, start_cpu, ncpus, flags | _TYPED_PARAM_STRING_OKAY
        )

    def cpu_stats(self, total: bool = False, flags: int = 0) -> list[tuple[TypedParameter, ...]]:
        """The domain's processor times: with ``total`` one row of totals, else one row per host CPU
        (empty for a CPU the driver skipped), as python-libvirt's getCPUStats gathers them."""
        if total:
            count = self.get_cpu_stats(0, -1, 1, flags).result
            if count == 0:
                return [()]
            return [params for _, params in self.get_cpu_stats(count, -1, 1, flags).rows]
        cpus = self.get_cpu_stats(0, 0, 0, flags).result
        nparams = self.get_cpu_stats(0, 0, 1, flags).result
        rows: list[tuple[TypedParameter, ...]] = [() for _ in range(cpus)]
        if nparams:
            for start in range(0, cpus, _CPU_STATS_CHUNK):
                found = self.get_cpu_stats(nparams, start, min(_CPU_STATS_CHUNK, cpus - start), flags)
                for cpu, params in found.rows:
                    rows[cpu] = params
        return rows

    def set_lifecycle_action(self, type_: int, action: int, impact: Impact = Impact.CURRENT) -> None:
        """What the domain does on poweroff, reboot or crash (virDomainSetLifecycleAction; values of
        virt.domaincalls.LifecycleType and LifecycleAction)."""
        from virt import domaincalls

        driver = self._change("virDomainSetLifecycleAction")
        domaincalls.check_lifecycle(type_, action)
        driver.set_domain_lifecycle_action(self._ref, type_, action, int(impact))

    def fstrim(self, mountpoint: str | None = None, minimum: int = 0, flags: int = 0) -> None:
        """Discard the unused blocks of the guest's filesystems, or of ``mountpoint`` (virDomainFSTrim)."""
        self._change("virDomainFSTrim").trim_domain_filesystems(self._ref, mountpoint, minimum, flags)

    def get_disk_errors(self, maxerrors: int, flags: int = 0) -> DiskErrors:
        """virDomainGetDiskErrors as called: up to ``maxerrors`` errors (0: only how many there may be)."""
        return self.connection.driver.get_domain_disk_errors(self._ref, maxerrors, flags)

    def disk_errors(self, flags: int = 0) -> list[DiskErrorInfo]:
        """The errors the domain's disks stopped on (virDomainGetDiskErrors, asked as virsh domblkerror does)."""
        count = self.get_disk_errors(0, flags).result
        return list(self.get_disk_errors(count, flags).errors) if count else []

    def send_process_signal(self, pid: int, signum: int, flags: int = 0) -> None:
        """Send signal ``signum`` (virDomainProcessSignal numbering) to the guest's process ``pid``
        (virDomainSendProcessSignal)."""
        from virt import domaincalls

        domaincalls.check_process_signal(pid)
        self._change("virDomainSendProcessSignal").send_domain_process_signal(self._ref, pid, signum, flags)

    def memory_peek(self, start: int, size: int, flags: int) -> bytes:
        """``size`` bytes of the guest's memory from ``start``, an address of the kind ``flags`` says
        (virt.domaincalls.MemoryFlags: VIRTUAL or PHYSICAL) (virDomainMemoryPeek)."""
        from virt import domaincalls

        driver = self._change("virDomainMemoryPeek")
        domaincalls.check_memory_peek(flags)
        return driver.peek_domain_memory(self._ref, start, size, flags)

    def guest_vcpus(self, flags: int = 0) -> list[TypedParameter]:
        """The guest's own view of its vCPUs, through its agent: ``vcpus``, ``online`` and
        ``offlinable``, lists of vCPU numbers as text (``0-3,5``) (virDomainGetGuestVcpus)."""
        driver = self._change("virDomainGetGuestVcpus")
        return driver.get_domain_guest_vcpus(self._ref, flags)

    def set_guest_vcpus(self, cpumap: str, state: bool, flags: int = 0) -> None:
        """Have the guest bring the vCPUs ``cpumap`` lists (``1-2``) online or offline (virDomainSetGuestVcpus)."""
        from virt.guestagent import check_not_null

        driver = self._change("virDomainSetGuestVcpus")
        check_not_null(cpumap, "cpumap", "virDomainSetGuestVcpus")
        driver.set_domain_guest_vcpus(self._ref, cpumap, bool(state), flags)

    def authorized_ssh_keys(self, user: str, flags: int = 0) -> list[str]:
        """The keys in the guest user ``user``'s authorized keys file, through the agent
        (virDomainAuthorizedSSHKeysGet)."""
        from virt.guestagent import check_not_null

        driver = self._change("virDomainAuthorizedSSHKeysGet")
        check_not_null(user, "user", "virDomainAuthorizedSSHKeysGet")
        return driver.get_domain_authorized_ssh_keys(self._ref, user, flags)

    def set_authorized_ssh_keys(self, user: str, keys: Sequence[str], flags: int = 0) -> None:
        """Replace the guest user ``user``'s authorized keys with ``keys``, or add them
        (SSHKeysFlags.APPEND), or take them out (SSHKeysFlags.REMOVE) (virDomainAuthorizedSSHKeysSet)."""
        from virt.guestagent import check_ssh_keys_set

        driver = self._change("virDomainAuthorizedSSHKeysSet")
        check_ssh_keys_set(user, keys, flags)
        driver.set_domain_authorized_ssh_keys(self._ref, user, list(keys), flags)

    def set_agent_response_timeout(self, timeout: int, flags: int = 0) -> None:
        """How many seconds the driver waits for the guest agent (AgentResponseTimeout's BLOCK,
        DEFAULT and NOWAIT are special) (virDomainAgentSetResponseTimeout)."""
        driver = self._change("virDomainAgentSetResponseTimeout")
        driver.set_domain_agent_response_timeout(self._ref, timeout, flags)

    def block_peek(self, disk: str, offset: int, size: int, flags: int = 0) -> bytes:
        """``size`` bytes of the guest's disk ``disk`` (its target, ``vda``, or its source path) from
        byte ``offset``, as the host reads the disk's file (virDomainBlockPeek)."""
        driver = self._change("virDomainBlockPeek")
        if disk is None:
            raise InvalidArgument(
                "disk in virDomainBlockPeek must not be NULL", ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN
            )
        return driver.peek_domain_block(self._ref, disk, offset, size, flags)

    def set_user_password(self, user: str, password: str, flags: int = 0) -> None:
        """Set the password of the guest's ``user`` (PasswordFlags.ENCRYPTED: already crypted)
        (virDomainSetUserPassword)."""
        driver = self._change("virDomainSetUserPassword")
        for name, value in (("user", user), ("password", password)):
            if value is None:
                message = f"{name} in virDomainSetUserPassword must not be NULL"
                raise InvalidArgument(message, ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN)
        driver.set_domain_user_password(self._ref, user, password, flags)

    def launch_security_info(self, flags: int = 0) -> list[TypedParameter]:
        """The guest's launch security measurement and settings (virDomainGetLaunchSecurityInfo)."""
        driver = self._change("virDomainGetLaunchSecurityInfo")
        return driver.get_domain_launch_security_info(self._ref, flags | _TYPED_PARAM_STRING_OKAY)

    def core_dump(self, path: str, flags: int = 0, dumpformat: int | None = None) -> None:
        """Dump the guest's core into ``path`` (virDomainCoreDump; with ``dumpformat``, a
        virt.domaincalls.DumpFormat, virDomainCoreDumpWithFormat). ``flags``: DumpFlags."""
        import os

        from virt import domaincalls

        driver = self._change("virDomainCoreDump" if dumpformat is None else "virDomainCoreDumpWithFormat")
        domaincalls.check_core_dump(flags, dumpformat)
        # made absolute here, as libvirt's client library does: the daemon or driver opens it
        driver.core_dump_domain(self._ref, os.path.abspath(path), dumpformat, flags)  # noqa: PTH100

    def start_with_files(self, files: Sequence[int] = (), flags: int = 0) -> None:
        """Start the defined domain, handing it the open file descriptors ``files`` (virDomainCreateWithFiles)."""
        self._change("virDomainCreateWithFiles").start_domain_with_files(self._ref, list(files), flags)


_TYPED_PARAM_STRING_OKAY = 4
"""What libvirt's public API adds to the flags of calls answering typed parameters (the caller takes strings)."""
_CPU_STATS_CHUNK = 128
"""How many CPUs python-libvirt and virsh ask virDomainGetCPUStats about at once (the wire's limit)."""
_START_VALIDATE = 16
"""VIR_DOMAIN_START_VALIDATE."""


def check_memory_stats_period(period: int) -> None:
    """virDomainSetMemoryStatsPeriod's own check, made before any driver's (the daemon makes it too)."""
    if period < 0:
        message = "period in virDomainSetMemoryStatsPeriod must be zero or greater"
        raise InvalidArgument(message, ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN)


def _nonzero(value: int, name: str, function: str) -> None:
    if not value:
        raise InvalidArgument(f"{name} in {function} must not be zero", ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN)


def _exclusive_impact(impact: Impact) -> None:
    if Impact(impact) & Impact.LIVE and Impact(impact) & Impact.CONFIG:
        from virt.domainchanges import exclusive_flags

        raise exclusive_flags()


def _metadata_arguments(kind: int, key: str | None, uri: str | None, function: str, *, key_needed: bool) -> None:
    """libvirt's checks of virDomain{Get,Set}Metadata's arguments, made before any driver sees them."""

    def wrong(detail: str) -> InvalidArgument:
        return InvalidArgument(detail, ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN)

    if kind in (MetadataType.DESCRIPTION, MetadataType.TITLE):
        if key is not None:
            raise wrong(f"key in {function} must be NULL")
        if uri is not None:
            raise wrong(f"uri in {function} must be NULL")
    elif kind == MetadataType.ELEMENT:
        if not uri:
            raise wrong(f"uri in {function} must not be NULL")
        if key_needed and not key:
            raise wrong(f"key in {function} must not be NULL")


class Network:
    """A handle on one virtual network."""

    def __init__(self, connection: Connection, ref: NetworkRef) -> None:
        self.connection = connection
        self.ref = ref

    def __repr__(self) -> str:
        return f"<virt.Network {self.ref.name}>"

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def uuid(self) -> uuid_module.UUID:
        return self.ref.uuid

    def model(self, *, inactive: bool = False) -> NetworkModel:
        return self.connection.driver.get_network_definition(self.ref, inactive=inactive)

    def xml(self, *, inactive: bool = False) -> str:
        return self.model(inactive=inactive).to_xml()

    def is_active(self) -> bool:
        return self.connection.driver.is_network_active(self.ref)

    def is_persistent(self) -> bool:
        return self.connection.driver.is_network_persistent(self.ref)

    @property
    def autostart(self) -> bool:
        return self.connection.driver.get_network_autostart(self.ref)

    def set_autostart(self, autostart: bool) -> None:
        self.connection._writable("virNetworkSetAutostart").set_network_autostart(self.ref, autostart)

    def start(self) -> None:
        self.connection._writable("virNetworkCreate").start_network(self.ref)

    def destroy(self) -> None:
        self.connection._writable("virNetworkDestroy").destroy_network(self.ref)

    def undefine(self) -> None:
        self.connection._writable("virNetworkUndefine").undefine_network(self.ref)

    def update(self, command: int, section: int, xml: str, *, parent_index: int = -1, flags: int = 0) -> None:
        """virNetworkUpdate: ``command`` (1 modify, 2 delete, 3 add last, 4 add first) the entry
        ``xml`` of ``section`` (virNetworkUpdateSection: 4 DHCP host, 5 DHCP range, 10 DNS host, 11 DNS
        TXT, 12 DNS SRV...); ``flags``: 1 live, 2 the persistent definition, 0 whichever applies now."""
        writable = self.connection._writable("virNetworkUpdate")
        writable.update_network(self.ref, command, section, parent_index, xml, flags)

    def dhcp_leases(self, mac: str | None = None) -> list[NetworkDHCPLease]:
        """The network's DHCP leases (only those of ``mac`` when given)."""
        return self.connection.driver.get_network_dhcp_leases(self.ref, mac)

    @property
    def bridge_name(self) -> str:
        """The network's bridge device (virNetworkGetBridgeName)."""
        bridge = self.model().bridge
        if bridge is None or not bridge.name:
            from virt.errors import ErrorDomain, ErrorNumber, libvirt_error

            raise libvirt_error(
                ErrorNumber.INTERNAL_ERROR, f"network '{self.name}' does not have a bridge name.", ErrorDomain.NETWORK
            )
        return bridge.name

    # == network ports (virt.networkports) ==========================================================
    def list_all_ports(self, flags: int = 0) -> list[NetworkPort]:
        """virNetworkListAllPorts."""
        from virt import networkports

        return networkports.ports(self, flags)

    def port_lookup_by_uuid(self, key: uuid_module.UUID | str) -> NetworkPort:
        """virNetworkPortLookupByUUID / ...ByUUIDString."""
        from virt import networkports

        return networkports.lookup(self, key)

    def port_create_xml(self, xml: str, flags: int = 0) -> NetworkPort:
        """virNetworkPortCreateXML."""
        from virt import networkports

        return networkports.create(self, xml, flags)

    # == end of network ports =======================================================================


class StoragePool:
    """A handle on one storage pool."""

    def __init__(self, connection: Connection, ref: StoragePoolRef) -> None:
        self.connection = connection
        self.ref = ref

    def __repr__(self) -> str:
        return f"<virt.StoragePool {self.ref.name}>"

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def uuid(self) -> uuid_module.UUID:
        return self.ref.uuid

    def model(self, *, inactive: bool = False) -> StoragePoolModel:
        return self.connection.driver.get_storage_pool_definition(self.ref, inactive=inactive)

    def xml(self, *, inactive: bool = False) -> str:
        return self.model(inactive=inactive).to_xml()

    def info(self) -> StoragePoolInfo:
        return self.connection.driver.get_storage_pool_info(self.ref)

    def is_active(self) -> bool:
        return self.info().active

    def is_persistent(self) -> bool:
        return self.connection.driver.is_storage_pool_persistent(self.ref)

    @property
    def autostart(self) -> bool:
        return self.connection.driver.get_storage_pool_autostart(self.ref)

    def set_autostart(self, autostart: bool) -> None:
        self.connection._writable("virStoragePoolSetAutostart").set_storage_pool_autostart(self.ref, autostart)

    def start(self, *, build: bool = False, overwrite: bool = False, no_overwrite: bool = False) -> None:
        """Start the defined pool (``build``: build it first)."""
        from virt.storage.backend import BuildFlags

        # as libvirt: either build flag asks for a build too (storagePoolCreate)
        flags = (
            BuildFlags(overwrite=overwrite, no_overwrite=no_overwrite) if build or overwrite or no_overwrite else None
        )
        self.connection._writable("virStoragePoolCreate").start_storage_pool(self.ref, build=flags)

    def destroy(self) -> None:
        self.connection._writable("virStoragePoolDestroy").destroy_storage_pool(self.ref)

    def undefine(self) -> None:
        self.connection._writable("virStoragePoolUndefine").undefine_storage_pool(self.ref)

    def build(self, *, overwrite: bool = False, no_overwrite: bool = False) -> None:
        """Make what the inactive pool needs on the host (``overwrite``: even over an existing file system)."""
        driver = self.connection._writable("virStoragePoolBuild")
        driver.build_storage_pool(self.ref, overwrite=overwrite, no_overwrite=no_overwrite)

    def delete(self) -> None:
        """Remove what building the inactive pool made (its directory, its volume group)."""
        self.connection._writable("virStoragePoolDelete").delete_storage_pool(self.ref)

    def refresh(self) -> None:
        """Look at the active pool's storage again: volumes made outside virt appear."""
        self.connection._writable("virStoragePoolRefresh").refresh_storage_pool(self.ref)

    def list_volumes(self) -> list[StorageVolume]:
        return [StorageVolume(self.connection, ref) for ref in self.connection.driver.list_storage_volumes(self.ref)]

    def lookup_volume(self, name: str) -> StorageVolume:
        return StorageVolume(self.connection, self.connection.driver.lookup_storage_volume_by_name(self.ref, name))

    def create_volume(self, xml: str | bytes | StorageVolumeModel, *, prealloc_metadata: bool = False) -> StorageVolume:
        from virt.xml import StorageVolume as StorageVolumeModel

        driver = self.connection._writable("virStorageVolCreateXML")
        model = _as_model(xml, StorageVolumeModel, "xml")
        ref = driver.create_storage_volume(self.ref, model, prealloc_metadata=prealloc_metadata)
        return StorageVolume(self.connection, ref)

    def create_volume_from(
        self, xml: str | bytes | StorageVolumeModel, source: StorageVolume, *, prealloc_metadata: bool = False
    ) -> StorageVolume:
        """A new volume holding a copy of ``source``'s data, in the format ``xml`` asks for."""
        from virt.xml import StorageVolume as StorageVolumeModel

        driver = self.connection._writable("virStorageVolCreateXMLFrom")
        model = _as_model(xml, StorageVolumeModel, "xml")
        ref = driver.create_storage_volume_from(self.ref, model, source.ref, prealloc_metadata=prealloc_metadata)
        return StorageVolume(self.connection, ref)


class StorageVolume:
    """A handle on one storage volume."""

    def __init__(self, connection: Connection, ref: StorageVolumeRef) -> None:
        self.connection = connection
        self.ref = ref

    def __repr__(self) -> str:
        return f"<virt.StorageVolume {self.ref.pool}/{self.ref.name}>"

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def key(self) -> str:
        return self.ref.key

    @property
    def pool_name(self) -> str:
        return self.ref.pool

    def path(self) -> str:
        return self.connection.driver.get_storage_volume_path(self.ref)

    def model(self) -> StorageVolumeModel:
        return self.connection.driver.get_storage_volume_definition(self.ref)

    def xml(self) -> str:
        return self.model().to_xml()

    def info(self) -> StorageVolumeInfo:
        return self.connection.driver.get_storage_volume_info(self.ref)

    def delete(self) -> None:
        self.connection._writable("virStorageVolDelete").delete_storage_volume(self.ref)

    def download(self, offset: int = 0, length: int = 0) -> VolumeTransfer:
        """The volume's bytes from ``offset`` (``length`` of them, 0: to the end) as a file to read
        (``take(n)``, or ``read``); close it when done (the volume is in use until then)."""
        driver = self.connection._writable("virStorageVolDownload")
        return driver.open_storage_volume_download(self.ref, offset, length)

    def upload(self, offset: int = 0, length: int = 0) -> VolumeTransfer:
        """The volume's bytes from ``offset`` as a file to write (``put(data)``; ``complete()`` once all
        is written, then close); the volume is in use until it is closed."""
        driver = self.connection._writable("virStorageVolUpload")
        return driver.open_storage_volume_upload(self.ref, offset, length)

    def wipe(self, algorithm: int = 0) -> None:
        """Overwrite the volume's data (virStorageVolWipeAlgorithm; 0: zeros)."""
        self.connection._writable("virStorageVolWipe").wipe_storage_volume(self.ref, algorithm)

    def resize(self, capacity: int, *, delta: bool = False, shrink: bool = False, allocate: bool = False) -> None:
        """Set the capacity to ``capacity`` bytes (``delta``: change it by that); shrinking needs ``shrink``."""
        driver = self.connection._writable("virStorageVolResize")
        driver.resize_storage_volume(self.ref, capacity, delta=delta, shrink=shrink, allocate=allocate)


def open(
    uri: str | None = None,
    readonly: bool = False,
    *,
    auth: AuthCallback | None = None,
    plugins: Plugins | None = None,
) -> Connection:
    """Open ``uri`` (or an alias); without one, the configured default, else the first driver whose probe answers.

    ``auth`` answers the credentials a driver asks for (virConnectOpenAuth's callback).
    """
    from virt.plugins import get_plugins

    plugins = plugins or get_plugins()
    config = config_module.load_config()
    text = uri or config_module.configured_default_uri(config)
    text = config_module.resolve_alias(text, config) if text else _probe_default(plugins)
    parsed = uri_module.parse(text)
    spec = plugins.drivers.for_uri(parsed)
    if spec is None:
        raise ConnectionError(_no_driver_message(parsed, plugins), ErrorNumber.NO_CONNECT)
    driver: DriverConnection | None = None
    if spec.session_daemon:
        from virt.remote.session import open_session_daemon

        driver = open_session_daemon(parsed, readonly=readonly, config=config)
    if driver is None:
        driver = spec.connection_class()(parsed, readonly=readonly)
    try:
        driver.authenticate(auth)
    except BaseException:
        driver.close()
        raise
    return Connection(driver, parsed, readonly=readonly)


def _probe_default(plugins: Plugins) -> str:
    # Built-in drivers (the test driver's embedded default) answer only when no plugin does.
    specs = sorted(plugins.drivers, key=lambda s: s.plugin.startswith("virt."))
    for spec in specs:
        if spec.probe is not None:
            try:
                found = spec.probe()
            except Exception:  # noqa: BLE001 - a failing probe just means "not here"
                continue
            if found:
                return found
    raise ConnectionError("no connection driver available: no URI given and no driver answered the probe")


def _no_driver_message(uri: uri_module.URI, plugins: Plugins) -> str:
    what = "remote URI" if uri.is_remote else f"URI scheme '{uri.scheme}'"
    message = f"no connection driver available for {uri}: no installed plugin serves the {what}"
    broken = plugins.broken_for(uri.scheme) or list(plugins.broken.values())
    if broken:
        message += "; " + "; ".join(f"plugin '{p.name}' failed to load: {p.error}" for p in broken)
    return message


__all__ = [
    "Connection",
    "Domain",
    "Network",
    "StateInfo",
    "StoragePool",
    "StorageVolume",
    "VirtError",
    "open",
]


def _device_xml(device: str | XmlModel) -> str:
    """A device's XML, given as text or as a model of virt.xml.devices."""
    if isinstance(device, str):
        return device
    from virt.devicechanges import device_xml, kind_of

    return device_xml(kind_of(device), device)


_W = TypeVar("_W")


def _words(api: str, call: Callable[[], _W], error_domain: ErrorDomain = ErrorDomain.DOMAIN) -> _W:
    """virt.hostcalls.libvirt_words: a driver lacking a host call refuses in libvirt's words."""
    from virt.hostcalls import libvirt_words

    return libvirt_words(api, error_domain, call)
