# mypy: disable-error-code="empty-body"
"""The interface every hypervisor driver implements.

A driver plugin registers a ``DriverConnection`` subclass; ``virt.open`` creates one per
connection. Objects are addressed by small frozen refs (name + UUID), the way libvirt's
virDomainPtr carries them. Every operation has a default that raises NotSupported naming the
driver and the operation, so a driver overrides only what it can do. Drivers receive and
return models from ``virt.xml``, never XML text. A model passed in (define, create) is the
driver's to keep; a model returned is the caller's to change.
"""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar, TypeVar

import attrs

from virt.errors import ErrorDomain, InvalidArgument, NotSupported

if TYPE_CHECKING:
    import socket
    from collections.abc import Sequence

    from virt.blockjobs import BlockJobInfo
    from virt.domaincalls import CPUStats, DiskErrors
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
    from virt.domaincontrol import ControlInfo
    from virt.domainevents import OtherDomainEvent
    from virt.domainsave import StartFlags
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
    from virt.hostfacts import FreePages
    from virt.info import DomainFilter, DomainInfo, NetworkDHCPLease, NodeInfo, ObjectFilter, Screenshot
    from virt.iothreads import IOThreadInfo
    from virt.migration import MigrateFlags, MigrationParams
    from virt.networkevents import NetworkEvent
    from virt.nodedevevents import NodeDeviceEvent
    from virt.poolevents import StoragePoolEvent
    from virt.progress import ProgressCallback
    from virt.scheduler import SchedulerType
    from virt.secrets import SecretEvent
    from virt.states import DomainState, ShutdownMode
    from virt.storage.backend import BuildFlags
    from virt.storage.transfer import VolumeTransfer
    from virt.uri import URI
    from virt.xml import Capabilities, Domain, DomainCapabilities, Network, StoragePool, StorageVolume
    from virt.xml.hostinterface import HostInterface


@attrs.frozen
class DomainRef:
    """A domain as a driver names it; ``id`` is -1 while the domain is not running."""

    name: str
    uuid: uuid.UUID
    id: int = -1


@attrs.frozen
class NetworkRef:
    name: str
    uuid: uuid.UUID


@attrs.frozen
class InterfaceRef:
    """A host interface as libvirt's virInterfacePtr names it: name and MAC ("" when it has none)."""

    name: str
    mac: str


@attrs.frozen
class StoragePoolRef:
    name: str
    uuid: uuid.UUID


@attrs.frozen
class StorageVolumeRef:
    pool: str
    name: str
    key: str


@attrs.frozen
class SecurityLabel:
    """virSecurityLabel plus the host's security model (what ``dominfo`` prints)."""

    model: str
    doi: str
    label: str
    enforcing: bool


@attrs.frozen
class StoragePoolInfo:
    """virStoragePoolInfo; sizes in bytes."""

    active: bool
    capacity: int
    allocation: int
    available: int


@attrs.frozen
class StorageVolumeInfo:
    """virStorageVolInfo; sizes in bytes."""

    type: str
    capacity: int
    allocation: int


class CredentialType(enum.IntEnum):
    """virConnectCredentialType: what a driver asks the user for."""

    USERNAME = 1
    AUTHNAME = 2
    LANGUAGE = 3
    CNONCE = 4
    PASSPHRASE = 5
    ECHOPROMPT = 6
    NOECHOPROMPT = 7
    REALM = 8
    EXTERNAL = 9


@attrs.define
class Credential:
    """One question a driver asks while opening; the auth callback fills in ``result``."""

    type: CredentialType
    prompt: str
    challenge: str | None = None
    default: str | None = None
    result: str | None = None


AuthCallback = Callable[[list[Credential]], None]
"""Answers the credentials asked (sets each ``result``), or raises AuthError to cancel."""

F = TypeVar("F", bound=Callable[..., object])


STORAGE_READ = "storage-read"
"""The family of calls that only read storage pools and volumes (``DriverConnection.quick_calls``)."""


def optional(func: F) -> F:
    """Mark an operation a driver may leave out: the base version raises NotSupported."""

    @functools.wraps(func)
    def unsupported(self: DriverConnection, *args: object, **kwargs: object) -> object:
        raise NotSupported(
            f"this function is not supported by the connection driver '{self.driver_name}': {func.__name__}",
            domain=self.error_domain,
        )

    unsupported.__virt_optional__ = True  # type: ignore[attr-defined]
    return unsupported  # type: ignore[return-value]


class DriverConnection:
    """One open connection of a driver. Subclass it and override the operations you support."""

    driver_name: ClassVar[str] = "unknown"
    """Name shown in messages and by ``virt version`` (``Test``, ``QEMU``)."""
    error_domain: ClassVar[ErrorDomain] = ErrorDomain.NONE
    nonblocking: ClassVar[bool] = False
    """True when no operation ever waits on I/O, a process or a long lock (all state in memory):
    a server may then call it on its event loop instead of handing each call to a worker thread."""

    @property
    def quick_calls(self) -> frozenset[str]:
        """Families of calls (``STORAGE_READ``) this connection answers at once, from memory or local
        files, though other calls of it may block: a server may run those on its event loop."""
        return frozenset()

    watches_guests: ClassVar[bool] = False
    """True when the driver follows running guests itself (their events, on_poweroff actions): a
    daemon then keeps one connection of its own open while it runs, as libvirtd keeps its state
    drivers, so guests stay watched between clients and the daemon does not exit while they run."""
    progress_callback: ProgressCallback | None = None
    """Where ``report_progress`` sends the steps of long operations (``Connection.set_progress_callback``)."""

    def __init__(self, uri: URI, *, readonly: bool = False) -> None:
        self.uri = uri
        self.readonly = readonly

    def report_progress(self, operation: str, percent: int | None = None, *, done: bool = False) -> None:
        """Tell the caller how far a long operation is; a failing callback never fails the operation."""
        callback = self.progress_callback
        if callback is None:
            return
        from virt.progress import Progress

        try:
            callback(Progress(operation, percent, done))
        except Exception:
            import logging

            logging.getLogger(__name__).exception("progress callback %r failed", callback)

    def close(self) -> None:
        """Release what the connection holds; called once."""

    def authenticate(self, auth: AuthCallback | None) -> None:
        """Called once right after opening: a driver that needs credentials asks ``auth`` for them."""

    def is_alive(self) -> bool:
        """False once the connection broke (a remote peer went away); in-process drivers stay alive."""
        return True

    @optional
    def reconnect(self) -> None:
        """Open a broken connection again to the same place, with its event subscriptions restored."""

    # -- host ------------------------------------------------------------------------------
    @optional
    def get_version(self) -> int:
        """The hypervisor's version as major * 1,000,000 + minor * 1,000 + release."""

    @optional
    def get_hostname(self) -> str:
        """The host's name."""

    @optional
    def get_capabilities(self) -> Capabilities:
        """The host's capabilities."""

    @optional
    def get_node_info(self) -> NodeInfo:
        """The host's processors and memory."""

    @optional
    def get_domain_capabilities(
        self,
        *,
        emulator: str | None = None,
        arch: str | None = None,
        machine: str | None = None,
        virt_type: str | None = None,
    ) -> DomainCapabilities:
        """What a domain of this emulator, architecture, machine and type can use (virConnectGetDomainCapabilities)."""

    # -- domains -----------------------------------------------------------------------------
    @optional
    def list_domains(self, filter: DomainFilter) -> list[DomainRef]:
        """Every domain passing ``filter``."""

    @optional
    def lookup_domain_by_name(self, name: str) -> DomainRef:
        """The domain called ``name``; NotFound (NO_DOMAIN) otherwise."""

    @optional
    def lookup_domain_by_uuid(self, uuid: uuid.UUID) -> DomainRef:
        """The domain with ``uuid``; NotFound (NO_DOMAIN) otherwise."""

    @optional
    def lookup_domain_by_id(self, id: int) -> DomainRef:
        """The running domain with ``id``; NotFound (NO_DOMAIN) otherwise."""

    @optional
    def define_domain(self, domain: Domain) -> DomainRef:
        """Make ``domain`` persistent (new, or a new definition of an existing one)."""

    @optional
    def create_domain(self, domain: Domain) -> DomainRef:
        """Start ``domain`` without defining it: it disappears when it stops."""

    @optional
    def undefine_domain(self, ref: DomainRef) -> None:
        """Forget a persistent domain (a running one becomes transient)."""

    @optional
    def start_domain(self, ref: DomainRef) -> None:
        """Start a defined, inactive domain."""

    @optional
    def shutdown_domain(self, ref: DomainRef, mode: ShutdownMode) -> None:
        """Ask the guest to power off, the way ``mode`` names (DEFAULT: the driver's choice)."""

    @optional
    def reboot_domain(self, ref: DomainRef, mode: ShutdownMode) -> None:
        """Ask the guest to reboot, the way ``mode`` names (DEFAULT: the driver's choice)."""

    @optional
    def reset_domain(self, ref: DomainRef) -> None:
        """Reset the virtual hardware at once, like the reset button."""

    @optional
    def destroy_domain(self, ref: DomainRef) -> None:
        """Stop the domain at once, like pulling the plug."""

    @optional
    def suspend_domain(self, ref: DomainRef) -> None:
        """Pause the domain's processors."""

    @optional
    def resume_domain(self, ref: DomainRef) -> None:
        """Let a paused domain run again."""

    @optional
    def get_domain_state(self, ref: DomainRef) -> tuple[DomainState, int]:
        """The domain's state and the reason number for it."""

    @optional
    def get_domain_info(self, ref: DomainRef) -> DomainInfo:
        """State, memory, processors and processor time."""

    @optional
    def get_domain_definition(self, ref: DomainRef, *, inactive: bool = False, secure: bool = False) -> Domain:
        """The domain's description: the live one, or with ``inactive`` the one used at next boot."""

    def get_domain_xml(self, ref: DomainRef, *, inactive: bool = False, secure: bool = False) -> str:
        """The description as XML text; a driver that already holds the text (remote, cached) may override this."""
        return self.get_domain_definition(ref, inactive=inactive, secure=secure).to_xml()

    @optional
    def get_domain_os_type(self, ref: DomainRef) -> str:
        """The guest's operating system type as the hypervisor reports it (virDomainGetOSType)."""

    @optional
    def is_domain_active(self, ref: DomainRef) -> bool:
        """True while the domain runs (or is paused)."""

    @optional
    def is_domain_persistent(self, ref: DomainRef) -> bool:
        """True when the domain is defined, not only running."""

    @optional
    def get_domain_autostart(self, ref: DomainRef) -> bool:
        """True when the domain starts with the host."""

    @optional
    def set_domain_autostart(self, ref: DomainRef, autostart: bool) -> None:
        """Make the domain start, or not, with the host."""

    @optional
    def has_managed_save(self, ref: DomainRef) -> bool:
        """True when a saved image will be used at the next start."""

    @optional
    def get_domain_security_label(self, ref: DomainRef) -> SecurityLabel | None:
        """The domain's security label, None when the host has no security model."""

    @optional
    def open_console(self, ref: DomainRef, device: str | None = None, *, force: bool = False) -> socket.socket:
        """A connected stream socket carrying the bytes of the domain's console both ways (virDomainOpenConsole).

        ``device`` names the console (``console0``, ``console1``...; None: the first); ``force``
        takes it from another session holding it. Closing the socket ends the session.
        """

    @optional
    def screenshot(self, ref: DomainRef, screen: int = 0) -> Screenshot:
        """What the running domain shows on its display ``screen`` (heads numbered across the video
        cards in order), as an image (virDomainScreenshot)."""

    # -- events ------------------------------------------------------------------------------
    @optional
    def subscribe_domain_events(self, callback: Callable[[DomainEvent], None]) -> Callable[[], None]:
        """Call ``callback`` with every later lifecycle event of the driver's domains; returns the
        function that unsubscribes (calling it twice does nothing).

        Events of changes made through *other* connections to the same host are delivered too
        (libvirt's semantics). A driver calls ``callback`` either from a thread of its own or in
        the thread that made the change, right after it; in both cases in the order the changes
        happened and never while holding a lock of its own (a callback may call the driver back).
        ``virt.events.DomainEventHub`` does all this. Closing the connection unsubscribes.
        """

    # -- domain events of the other ids (virt.domainevents) ------------------------------------
    @optional
    def subscribe_domain_event_id(
        self, event_id: int, callback: Callable[[OtherDomainEvent], None]
    ) -> Callable[[], None]:
        """Call ``callback`` with every later event of ``event_id`` (a ``DomainEventID`` other
        than lifecycle) of the driver's domains; returns the function that unsubscribes. Delivered
        as lifecycle events are (``subscribe_domain_events``), in one order with them.
        ``DomainEventHub.subscribe_id`` does this."""

    # -- networks ----------------------------------------------------------------------------
    @optional
    def list_networks(self, filter: ObjectFilter) -> list[NetworkRef]:
        """Every network passing ``filter``."""

    @optional
    def lookup_network_by_name(self, name: str) -> NetworkRef:
        """The network called ``name``; NotFound (NO_NETWORK) otherwise."""

    @optional
    def lookup_network_by_uuid(self, uuid: uuid.UUID) -> NetworkRef:
        """The network with ``uuid``; NotFound (NO_NETWORK) otherwise."""

    @optional
    def get_network_definition(self, ref: NetworkRef, *, inactive: bool = False) -> Network:
        """The network's description."""

    @optional
    def define_network(self, network: Network) -> NetworkRef:
        """Make ``network`` persistent."""

    @optional
    def create_network(self, network: Network) -> NetworkRef:
        """Start ``network`` without defining it."""

    @optional
    def undefine_network(self, ref: NetworkRef) -> None:
        """Forget a persistent network."""

    @optional
    def start_network(self, ref: NetworkRef) -> None:
        """Start a defined, inactive network."""

    @optional
    def destroy_network(self, ref: NetworkRef) -> None:
        """Stop an active network."""

    @optional
    def is_network_active(self, ref: NetworkRef) -> bool:
        """True while the network is started."""

    @optional
    def is_network_persistent(self, ref: NetworkRef) -> bool:
        """True when the network is defined."""

    @optional
    def get_network_autostart(self, ref: NetworkRef) -> bool:
        """True when the network starts with the host."""

    @optional
    def set_network_autostart(self, ref: NetworkRef, autostart: bool) -> None:
        """Make the network start, or not, with the host."""

    @optional
    def update_network(
        self, ref: NetworkRef, command: int, section: int, parent_index: int, xml: str, flags: int
    ) -> None:
        """virNetworkUpdate: ``command`` (virNetworkUpdateCommand) the ``section``
        (virNetworkUpdateSection) entry ``xml`` of the ``parent_index``th parent (-1: the first that
        fits), live and/or in the persistent definition as ``flags`` (virNetworkUpdateFlags) say."""

    @optional
    def subscribe_network_events(self, callback: Callable[[NetworkEvent], None]) -> Callable[[], None]:
        """Call ``callback`` with every later network lifecycle event (every connection's changes);
        returns the function that unsubscribes. Delivered as domain events are (see
        ``subscribe_domain_events``)."""

    @optional
    def get_network_dhcp_leases(self, ref: NetworkRef, mac: str | None) -> list[NetworkDHCPLease]:
        """The network's current DHCP leases (only ``mac``'s when given)."""

    # -- host interfaces (virInterface*) ------------------------------------------------------
    @optional
    def list_interfaces(self, active: bool | None = None) -> list[InterfaceRef]:
        """Every host interface, or the active (True) or inactive (False) ones only."""

    @optional
    def lookup_interface_by_name(self, name: str) -> InterfaceRef:
        """The interface called ``name``; NotFound (NO_INTERFACE) otherwise."""

    @optional
    def lookup_interface_by_mac(self, mac: str) -> InterfaceRef:
        """The one interface with MAC ``mac`` (compared ignoring case); NO_INTERFACE or MULTIPLE_INTERFACES."""

    @optional
    def get_interface_definition(self, ref: InterfaceRef, *, inactive: bool = False) -> HostInterface:
        """The interface's description (``inactive``: VIR_INTERFACE_XML_INACTIVE)."""

    @optional
    def define_interface(self, interface: HostInterface) -> InterfaceRef:
        """Define ``interface`` (replacing the definition of one with its name)."""

    @optional
    def undefine_interface(self, ref: InterfaceRef) -> None:
        """Forget the interface's definition."""

    @optional
    def start_interface(self, ref: InterfaceRef) -> None:
        """Bring the interface up (virInterfaceCreate)."""

    @optional
    def destroy_interface(self, ref: InterfaceRef) -> None:
        """Bring the interface down (virInterfaceDestroy)."""

    @optional
    def is_interface_active(self, ref: InterfaceRef) -> bool:
        """True while the interface is up."""

    @optional
    def begin_interface_change(self) -> None:
        """virInterfaceChangeBegin: snapshot the interfaces so that a rollback restores them."""

    @optional
    def commit_interface_change(self) -> None:
        """virInterfaceChangeCommit: keep the changes made since the snapshot."""

    @optional
    def rollback_interface_change(self) -> None:
        """virInterfaceChangeRollback: go back to the snapshot."""

    # -- storage pools -----------------------------------------------------------------------
    @optional
    def list_storage_pools(self, filter: ObjectFilter) -> list[StoragePoolRef]:
        """Every storage pool passing ``filter``."""

    @optional
    def lookup_storage_pool_by_name(self, name: str) -> StoragePoolRef:
        """The pool called ``name``; NotFound (NO_STORAGE_POOL) otherwise."""

    @optional
    def lookup_storage_pool_by_uuid(self, uuid: uuid.UUID) -> StoragePoolRef:
        """The pool with ``uuid``; NotFound (NO_STORAGE_POOL) otherwise."""

    @optional
    def get_storage_pool_definition(self, ref: StoragePoolRef, *, inactive: bool = False) -> StoragePool:
        """The pool's description."""

    @optional
    def get_storage_pool_info(self, ref: StoragePoolRef) -> StoragePoolInfo:
        """The pool's state and sizes."""

    @optional
    def define_storage_pool(self, pool: StoragePool) -> StoragePoolRef:
        """Make ``pool`` persistent."""

    @optional
    def create_storage_pool(self, pool: StoragePool, *, build: BuildFlags | None = None) -> StoragePoolRef:
        """Start ``pool`` without defining it (``build``: build it first, as VIR_STORAGE_POOL_CREATE_WITH_BUILD)."""

    @optional
    def undefine_storage_pool(self, ref: StoragePoolRef) -> None:
        """Forget a persistent, inactive pool."""

    @optional
    def start_storage_pool(self, ref: StoragePoolRef, *, build: BuildFlags | None = None) -> None:
        """Start a defined, inactive pool (``build``: build it first)."""

    @optional
    def destroy_storage_pool(self, ref: StoragePoolRef) -> None:
        """Stop an active pool."""

    @optional
    def is_storage_pool_persistent(self, ref: StoragePoolRef) -> bool:
        """True when the pool is defined."""

    @optional
    def get_storage_pool_autostart(self, ref: StoragePoolRef) -> bool:
        """True when the pool starts with the host."""

    @optional
    def set_storage_pool_autostart(self, ref: StoragePoolRef, autostart: bool) -> None:
        """Make the pool start, or not, with the host."""

    @optional
    def build_storage_pool(self, ref: StoragePoolRef, *, overwrite: bool = False, no_overwrite: bool = False) -> None:
        """Make what an inactive pool needs on the host (a directory, a file system, a volume group)."""

    @optional
    def delete_storage_pool(self, ref: StoragePoolRef) -> None:
        """Remove what building the inactive pool made."""

    @optional
    def refresh_storage_pool(self, ref: StoragePoolRef) -> None:
        """Look at the active pool's storage again (volumes made outside virt)."""

    # -- storage volumes ---------------------------------------------------------------------
    @optional
    def list_storage_volumes(self, pool: StoragePoolRef) -> list[StorageVolumeRef]:
        """The volumes of an active pool."""

    @optional
    def lookup_storage_volume_by_name(self, pool: StoragePoolRef, name: str) -> StorageVolumeRef:
        """The volume called ``name`` in ``pool``; NotFound (NO_STORAGE_VOL) otherwise."""

    @optional
    def lookup_storage_volume_by_key(self, key: str) -> StorageVolumeRef:
        """The volume with ``key``; NotFound (NO_STORAGE_VOL) otherwise."""

    @optional
    def lookup_storage_volume_by_path(self, path: str) -> StorageVolumeRef:
        """The volume at ``path``; NotFound (NO_STORAGE_VOL) otherwise."""

    @optional
    def get_storage_volume_definition(self, ref: StorageVolumeRef) -> StorageVolume:
        """The volume's description."""

    @optional
    def get_storage_volume_info(self, ref: StorageVolumeRef) -> StorageVolumeInfo:
        """The volume's type and sizes."""

    @optional
    def get_storage_volume_path(self, ref: StorageVolumeRef) -> str:
        """Where the volume lives on the host."""

    @optional
    def create_storage_volume(
        self, pool: StoragePoolRef, volume: StorageVolume, *, prealloc_metadata: bool = False
    ) -> StorageVolumeRef:
        """Create ``volume`` in ``pool`` (``prealloc_metadata``: VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA)."""

    @optional
    def create_storage_volume_from(
        self, pool: StoragePoolRef, volume: StorageVolume, source: StorageVolumeRef, *, prealloc_metadata: bool = False
    ) -> StorageVolumeRef:
        """Create ``volume`` in ``pool`` as a copy of ``source`` (converted to the volume's format)."""

    @optional
    def delete_storage_volume(self, ref: StorageVolumeRef) -> None:
        """Delete the volume and its data."""

    @optional
    def open_storage_volume_download(self, ref: StorageVolumeRef, offset: int = 0, length: int = 0) -> VolumeTransfer:
        """The volume's bytes from ``offset`` (``length`` of them; 0: to the end), to read; the volume is
        in use until it is closed."""

    @optional
    def open_storage_volume_upload(self, ref: StorageVolumeRef, offset: int = 0, length: int = 0) -> VolumeTransfer:
        """The volume's bytes from ``offset`` (at most ``length``; 0: no limit), to write; the volume is
        in use until it is closed."""

    @optional
    def wipe_storage_volume(self, ref: StorageVolumeRef, algorithm: int = 0) -> None:
        """Overwrite the volume's data (virStorageVolWipeAlgorithm; 0: zeros)."""

    @optional
    def resize_storage_volume(
        self, ref: StorageVolumeRef, capacity: int, *, delta: bool = False, shrink: bool = False, allocate: bool = False
    ) -> None:
        """Change the volume's capacity (``delta``: by ``capacity``; a smaller size only with ``shrink``)."""

    # -- statistics and information (virt.domainstats) -----------------------------------------------
    @optional
    def get_node_cpu_map(self) -> NodeCPUMap:
        """The host's CPU count and which CPUs are online (virNodeGetCPUMap)."""

    @optional
    def get_domain_vcpus(self, ref: DomainRef) -> list[VcpuInfo]:
        """The running domain's online vCPUs: state, processor time, host CPU, affinity (virDomainGetVcpus)."""

    @optional
    def get_domain_vcpu_pin_info(
        self, ref: DomainRef, *, live: bool = False, config: bool = False
    ) -> list[frozenset[int]]:
        """Every vCPU's affinity in the live or persistent definition (neither: the current one)."""

    @optional
    def get_domain_emulator_pin_info(
        self, ref: DomainRef, *, live: bool = False, config: bool = False
    ) -> frozenset[int]:
        """The host CPUs the emulator's own threads may run on (virDomainGetEmulatorPinInfo)."""

    @optional
    def get_domain_memory_stats(self, ref: DomainRef) -> MemoryStats:
        """The running domain's memory statistics, in the driver's order (virDomainMemoryStats)."""

    @optional
    def get_domain_block_stats(self, ref: DomainRef, disk: str) -> BlockStats:
        """A disk's I/O counters by target or source path; "" for all disks (virDomainBlockStats)."""

    @optional
    def get_domain_block_stats_flags(self, ref: DomainRef, disk: str) -> list[TypedParameter]:
        """A disk's I/O counters as typed parameters, with times and flushes (virDomainBlockStatsFlags)."""

    @optional
    def get_domain_interface_stats(self, ref: DomainRef, device: str) -> InterfaceStats:
        """An interface's traffic by host device name or MAC address (virDomainInterfaceStats)."""

    @optional
    def get_domain_block_info(self, ref: DomainRef, disk: str) -> BlockInfo:
        """A disk's capacity, allocation and physical size (virDomainGetBlockInfo)."""

    @optional
    def get_domain_stats(
        self,
        refs: Sequence[DomainRef] | None,
        groups: StatsGroup,
        filter: DomainFilter,
        *,
        enforce: bool = False,
        backing: bool = False,
        nowait: bool = False,
    ) -> list[DomainStatsRecord]:
        """Statistics of ``groups`` (0: every group the driver has) for ``refs``, or every domain, passing
        ``filter``, in one call (virConnectGetAllDomainStats / virDomainListGetStats). ``enforce`` makes a
        group the driver lacks an error instead of leaving it out."""

    @optional
    def get_domain_job_info(self, ref: DomainRef, *, completed: bool = False) -> JobInfo:
        """The domain's running (or with ``completed`` its last finished) job (virDomainGetJobStats)."""

    @optional
    def get_domain_time(self, ref: DomainRef) -> GuestTime:
        """The guest's clock as its agent reads it (virDomainGetTime)."""

    # -- domain changes: memory, processors, pinning, keys, metadata, managed save, guest agent ------
    # (virsh setmem/setmaxmem/setvcpus/vcpupin/emulatorpin/send-key/metadata/desc/undefine flags/managedsave/
    # domifaddr/domfsinfo/domfsfreeze/domfsthaw/domhostname; values in virt.domainchanges; the pin queries
    # are in the statistics block above)
    @optional
    def set_domain_memory(self, ref: DomainRef, kib: int, impact: Impact, *, maximum: bool = False) -> None:
        """virDomainSetMemoryFlags: the balloon target in KiB (``maximum``: the maximum memory instead)."""

    @optional
    def set_domain_memory_stats_period(self, ref: DomainRef, period: int, impact: Impact) -> None:
        """virDomainSetMemoryStatsPeriod: every ``period`` seconds (0: never) the balloon asks the guest
        for its memory statistics; ``period`` is 0 or more (the API checked it)."""

    @optional
    def set_domain_vcpus(
        self, ref: DomainRef, count: int, impact: Impact, *, maximum: bool = False, hotpluggable: bool = False
    ) -> None:
        """virDomainSetVcpusFlags: the vCPUs in use (``maximum``: the most the next boot may have)."""

    @optional
    def pin_domain_vcpu(self, ref: DomainRef, vcpu: int, cpus: frozenset[int], impact: Impact) -> None:
        """virDomainPinVcpuFlags: let vCPU ``vcpu`` run on ``cpus`` only."""

    @optional
    def pin_domain_emulator(self, ref: DomainRef, cpus: frozenset[int], impact: Impact) -> None:
        """virDomainPinEmulator: let the emulator's own threads run on ``cpus`` only."""

    @optional
    def get_domain_iothread_info(self, ref: DomainRef, flags: int) -> list[IOThreadInfo]:
        """virDomainGetIOThreadInfo: each IOThread of the live or persistent definition and its host CPUs."""

    @optional
    def pin_domain_iothread(self, ref: DomainRef, iothread_id: int, cpus: frozenset[int], flags: int) -> None:
        """virDomainPinIOThread: let IOThread ``iothread_id`` run on ``cpus`` only."""

    @optional
    def add_domain_iothread(self, ref: DomainRef, iothread_id: int, flags: int) -> None:
        """virDomainAddIOThread: a new IOThread with that id."""

    @optional
    def del_domain_iothread(self, ref: DomainRef, iothread_id: int, flags: int) -> None:
        """virDomainDelIOThread: remove an IOThread no disk uses."""

    @optional
    def set_domain_iothread_params(
        self, ref: DomainRef, iothread_id: int, params: Sequence[TypedParameter], flags: int
    ) -> None:
        """virDomainSetIOThreadParams: polling and thread pool settings of a running IOThread
        (virt.iothreads.PARAMETERS)."""

    @optional
    def send_domain_key(self, ref: DomainRef, codeset: int, holdtime_ms: int, keycodes: Sequence[int]) -> None:
        """virDomainSendKey: press ``keycodes`` together for ``holdtime_ms`` (0: the driver's default)."""

    @optional
    def get_domain_metadata(self, ref: DomainRef, kind: MetadataType, uri: str | None, impact: Impact) -> str:
        """virDomainGetMetadata: the description, the title or the element in namespace ``uri``."""

    @optional
    def set_domain_metadata(
        self, ref: DomainRef, kind: MetadataType, value: str | None, key: str | None, uri: str | None, impact: Impact
    ) -> None:
        """virDomainSetMetadata: None or empty removes it."""

    @optional
    def undefine_domain_flags(self, ref: DomainRef, flags: UndefineFlags) -> None:
        """virDomainUndefineFlags: forget a persistent domain with what ``flags`` says of its files."""

    @optional
    def managed_save_domain(self, ref: DomainRef, flags: SaveFlags) -> None:
        """virDomainManagedSave: save the running domain's state to the driver's file and stop it."""

    @optional
    def remove_managed_save(self, ref: DomainRef) -> None:
        """virDomainManagedSaveRemove: forget the saved state (nothing to do without one)."""

    # -- saved state: save to a file, restore, managed save's XML, start flags (virt.domainsave) -------
    def start_domain_flags(self, ref: DomainRef, flags: StartFlags) -> None:
        """virDomainCreateWithFlags: start with ``flags`` (FORCE_BOOT: discard a managed save image).

        This default takes no flag, refusing each as libvirt's drivers do (INVALID_ARG, which makes
        virsh's ``start --force-boot`` fall back to removing the image itself)."""
        if flags:
            raise InvalidArgument(
                f"unsupported flags (0x{int(flags):x}) in function {self.driver_name.lower()}DomainCreateWithFlags",
                domain=self.error_domain,
            )
        self.start_domain(ref)

    @optional
    def save_domain(self, ref: DomainRef, path: str, xml: str | None, flags: SaveFlags) -> None:
        """virDomainSaveFlags: the running domain's state into the file ``path`` (absolute), then stop it;
        ``xml`` replaces the definition kept in the image (same guest ABI)."""

    @optional
    def restore_domain(self, path: str, xml: str | None, flags: SaveFlags) -> None:
        """virDomainRestoreFlags: start the domain saved in ``path`` where it was saved."""

    @optional
    def get_save_image_xml(self, path: str, secure: bool) -> str:
        """virDomainSaveImageGetXMLDesc: the definition kept in the save image ``path``."""

    @optional
    def define_save_image_xml(self, path: str, xml: str, flags: SaveFlags) -> None:
        """virDomainSaveImageDefineXML: replace the definition in ``path`` (RUNNING/PAUSED: the state at restore)."""

    @optional
    def get_managed_save_xml(self, ref: DomainRef, secure: bool) -> str:
        """virDomainManagedSaveGetXMLDesc: the definition kept in the domain's managed save image."""

    @optional
    def define_managed_save_xml(self, ref: DomainRef, xml: str | None, flags: SaveFlags) -> None:
        """virDomainManagedSaveDefineXML: replace it (None: keep it, change the state at restore only)."""

    # -- migration (virt.migration): protocol v3 with parameters, and the running job's tunables -------------
    @optional
    def migrate_begin(self, ref: DomainRef, params: MigrationParams, flags: MigrateFlags) -> tuple[bytes, str]:
        """virDomainMigrateBegin3Params (source): the cookie for the destination and the domain's XML."""

    @optional
    def migrate_prepare(self, cookie: bytes, params: MigrationParams, flags: MigrateFlags) -> tuple[bytes, str | None]:
        """virDomainMigratePrepare3Params (destination): start the incoming guest; a cookie and where to send it."""

    @optional
    def migrate_perform(
        self, ref: DomainRef, dconnuri: str | None, params: MigrationParams, cookie: bytes, flags: MigrateFlags
    ) -> bytes:
        """virDomainMigratePerform3Params (source): send the guest; with PEER2PEER to ``dconnuri``, the
        whole exchange driven from here."""

    @optional
    def migrate_finish(
        self, params: MigrationParams, cookie: bytes, flags: MigrateFlags, cancelled: bool
    ) -> tuple[DomainRef | None, bytes]:
        """virDomainMigrateFinish3Params (destination): run the arrived guest, or (``cancelled``) discard it."""

    @optional
    def migrate_confirm(
        self, ref: DomainRef, params: MigrationParams, cookie: bytes, flags: MigrateFlags, cancelled: bool
    ) -> None:
        """virDomainMigrateConfirm3Params (source): end the source's guest, or (``cancelled``) resume it."""

    @optional
    def abort_domain_job(self, ref: DomainRef) -> None:
        """virDomainAbortJob: cancel the domain's running job (a migration)."""

    @optional
    def migrate_set_max_speed(self, ref: DomainRef, bandwidth: int, *, postcopy: bool = False) -> None:
        """virDomainMigrateSetMaxSpeed: the migration bandwidth limit in MiB/s."""

    @optional
    def migrate_get_max_speed(self, ref: DomainRef, *, postcopy: bool = False) -> int:
        """virDomainMigrateGetMaxSpeed: the migration bandwidth limit in MiB/s."""

    @optional
    def migrate_set_max_downtime(self, ref: DomainRef, milliseconds: int) -> None:
        """virDomainMigrateSetMaxDowntime: the longest the guest may stop at the end of a migration."""

    @optional
    def migrate_get_max_downtime(self, ref: DomainRef) -> int:
        """virDomainMigrateGetMaxDowntime, in milliseconds."""

    @optional
    def migrate_set_compression_cache(self, ref: DomainRef, size: int) -> None:
        """virDomainMigrateSetCompressionCache: XBZRLE's cache in bytes."""

    @optional
    def migrate_get_compression_cache(self, ref: DomainRef) -> int:
        """virDomainMigrateGetCompressionCache, in bytes."""

    @optional
    def migrate_start_post_copy(self, ref: DomainRef) -> None:
        """virDomainMigrateStartPostCopy: switch the running migration (started with POSTCOPY) to post-copy."""

    @optional
    def get_domain_interface_addresses(self, ref: DomainRef, source: AddressSource) -> list[DomainInterface]:
        """virDomainInterfaceAddresses from DHCP leases, the guest agent or the host's ARP table."""

    @optional
    def get_domain_filesystems(self, ref: DomainRef) -> list[FilesystemInfo]:
        """virDomainGetFSInfo: the guest's mounted filesystems (guest agent)."""

    @optional
    def freeze_domain_filesystems(self, ref: DomainRef, mountpoints: Sequence[str]) -> int:
        """virDomainFSFreeze: freeze ``mountpoints`` (none: all); how many were frozen."""

    @optional
    def thaw_domain_filesystems(self, ref: DomainRef, mountpoints: Sequence[str]) -> int:
        """virDomainFSThaw: thaw ``mountpoints`` (none: all); how many were thawed."""

    @optional
    def get_domain_hostname(self, ref: DomainRef, source: HostnameSource) -> str:
        """virDomainGetHostname: the guest's host name, from the agent or DHCP leases."""

    # -- device hotplug and unplug (virsh attach-device/detach-device/update-device/detach-device-alias;
    # flags and shared rules in virt.devicechanges) --------------------------------------------------
    @optional
    def attach_device(self, ref: DomainRef, xml: str, flags: int) -> None:
        """virDomainAttachDeviceFlags: add the device ``xml`` describes to the definitions ``flags``
        (virDomainDeviceModifyFlags) pick; live: plugged into the running guest."""

    @optional
    def detach_device(self, ref: DomainRef, xml: str, flags: int) -> None:
        """virDomainDetachDeviceFlags: remove the device ``xml`` names; live, the guest is asked to let
        it go (it may still be there when the call returns: DEVICE_REMOVED says when it is gone)."""

    @optional
    def update_device(self, ref: DomainRef, xml: str, flags: int) -> None:
        """virDomainUpdateDeviceFlags: change a device's properties in place (a CD-ROM's medium...)."""

    @optional
    def detach_device_alias(self, ref: DomainRef, alias: str, flags: int) -> None:
        """virDomainDetachDeviceAlias: remove the device whose <alias name> is ``alias``."""

    # -- host devices (virt.nodedevices) -------------------------------------------------------------
    @optional
    def list_node_devices(self, flags: int) -> list[str]:
        """virConnectListAllNodeDevices: the names of the host's devices, those with a capability among
        ``flags``' filters (virt.nodedevices.CAPABILITY_FLAGS) when there are any."""

    @optional
    def lookup_node_device(self, name: str) -> str:
        """virNodeDeviceLookupByName: ``name`` when there is such a device (NO_NODE_DEVICE otherwise)."""

    @optional
    def get_node_device_xml(self, name: str) -> str:
        """virNodeDeviceGetXMLDesc."""

    @optional
    def get_node_device_parent(self, name: str) -> str | None:
        """virNodeDeviceGetParent: the parent's name, None for the root."""

    @optional
    def list_node_device_caps(self, name: str) -> list[str]:
        """virNodeDeviceListCaps: the device's capability types."""

    @optional
    def is_node_device_active(self, name: str) -> bool:
        """virNodeDeviceIsActive."""

    @optional
    def is_node_device_persistent(self, name: str) -> bool:
        """virNodeDeviceIsPersistent."""

    @optional
    def get_node_device_autostart(self, name: str) -> bool:
        """virNodeDeviceGetAutostart."""

    @optional
    def create_node_device(self, xml: str, flags: int) -> str:
        """virNodeDeviceCreateXML: the new device's name."""

    @optional
    def destroy_node_device(self, name: str) -> None:
        """virNodeDeviceDestroy."""

    # -- snapshots (virt.snapshots) -------------------------------------------------------------------
    @optional
    def create_domain_snapshot(self, ref: DomainRef, xml: str, flags: int) -> str:
        """virDomainSnapshotCreateXML: the new (or redefined) snapshot's name."""

    @optional
    def list_domain_snapshots(self, ref: DomainRef, flags: int, of: str | None = None) -> list[str]:
        """virDomainListAllSnapshots (``of``: the children of that snapshot, virDomainSnapshotListAllChildren)."""

    @optional
    def lookup_domain_snapshot(self, ref: DomainRef, name: str) -> str:
        """virDomainSnapshotLookupByName: ``name`` when the domain has it."""

    @optional
    def get_domain_snapshot_xml(self, ref: DomainRef, name: str, *, secure: bool = False) -> str:
        """virDomainSnapshotGetXMLDesc."""

    @optional
    def get_domain_snapshot_parent(self, ref: DomainRef, name: str) -> str:
        """virDomainSnapshotGetParent: the parent's name (NO_DOMAIN_SNAPSHOT for a root)."""

    @optional
    def current_domain_snapshot(self, ref: DomainRef) -> str | None:
        """The current snapshot's name, None without one (virDomainHasCurrentSnapshot)."""

    @optional
    def delete_domain_snapshot(self, ref: DomainRef, name: str, flags: int) -> None:
        """virDomainSnapshotDelete."""

    # -- snapshot revert and checkpoints (virt.snapshots, virt.checkpoints) ---------------------------
    @optional
    def revert_domain_snapshot(self, ref: DomainRef, name: str, flags: int) -> None:
        """virDomainRevertToSnapshot: the domain as snapshot ``name`` kept it (virt.snapshots.RevertFlags)."""

    @optional
    def create_domain_checkpoint(self, ref: DomainRef, xml: str, flags: int) -> str:
        """virDomainCheckpointCreateXML: the new (or redefined) checkpoint's name."""

    @optional
    def list_domain_checkpoints(self, ref: DomainRef, flags: int, of: str | None = None) -> list[str]:
        """virDomainListAllCheckpoints (``of``: the children of that checkpoint, virDomainCheckpointListAllChildren)."""

    @optional
    def lookup_domain_checkpoint(self, ref: DomainRef, name: str) -> str:
        """virDomainCheckpointLookupByName: ``name`` when the domain has it."""

    @optional
    def get_domain_checkpoint_xml(self, ref: DomainRef, name: str, flags: int) -> str:
        """virDomainCheckpointGetXMLDesc (virt.checkpoints.XMLFlags)."""

    @optional
    def get_domain_checkpoint_parent(self, ref: DomainRef, name: str) -> str:
        """virDomainCheckpointGetParent: the parent's name (NO_DOMAIN_CHECKPOINT for a root)."""

    @optional
    def delete_domain_checkpoint(self, ref: DomainRef, name: str, flags: int) -> None:
        """virDomainCheckpointDelete (virt.checkpoints.DeleteFlags)."""

    # -- scheduler parameters (virt.scheduler) -----------------------------------------------------
    @optional
    def get_domain_scheduler_type(self, ref: DomainRef) -> SchedulerType:
        """virDomainGetSchedulerType: the scheduler's name and its number of parameters."""

    @optional
    def get_domain_scheduler_parameters(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        """virDomainGetSchedulerParameters(Flags): ``flags`` as the public API passes them (Impact, and
        virt.scheduler.TYPED_PARAM_STRING_OKAY from the Flags call)."""

    @optional
    def set_domain_scheduler_parameters(self, ref: DomainRef, params: Sequence[TypedParameter], flags: int) -> None:
        """virDomainSetSchedulerParameters(Flags): change the parameters ``params`` names (Impact ``flags``)."""

    # -- tunables (virt.tunables): memtune, numatune, blkiotune, perf, domiftune, blkdeviotune -----
    @optional
    def get_domain_memory_parameters(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        """virDomainGetMemoryParameters: the memory limits of the definition ``flags`` picks (Impact and
        virt.scheduler.TYPED_PARAM_STRING_OKAY, as with every Get call below)."""

    @optional
    def set_domain_memory_parameters(self, ref: DomainRef, params: Sequence[TypedParameter], flags: int) -> None:
        """virDomainSetMemoryParameters: change the parameters ``params`` names (Impact ``flags``)."""

    @optional
    def get_domain_numa_parameters(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        """virDomainGetNumaParameters: the NUMA memory mode and nodeset."""

    @optional
    def set_domain_numa_parameters(self, ref: DomainRef, params: Sequence[TypedParameter], flags: int) -> None:
        """virDomainSetNumaParameters: change the parameters ``params`` names (Impact ``flags``)."""

    @optional
    def get_domain_blkio_parameters(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        """virDomainGetBlkioParameters: the block I/O weight and per-device limits."""

    @optional
    def set_domain_blkio_parameters(self, ref: DomainRef, params: Sequence[TypedParameter], flags: int) -> None:
        """virDomainSetBlkioParameters: change the parameters ``params`` names (Impact ``flags``)."""

    @optional
    def get_domain_perf_events(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        """virDomainGetPerfEvents: each perf event, enabled or not."""

    @optional
    def set_domain_perf_events(self, ref: DomainRef, params: Sequence[TypedParameter], flags: int) -> None:
        """virDomainSetPerfEvents: change the parameters ``params`` names (Impact ``flags``)."""

    @optional
    def get_domain_interface_parameters(self, ref: DomainRef, device: str, flags: int) -> list[TypedParameter]:
        """virDomainGetInterfaceParameters: the bandwidth of the interface ``device`` (MAC or host name)."""

    @optional
    def set_domain_interface_parameters(
        self, ref: DomainRef, device: str, params: Sequence[TypedParameter], flags: int
    ) -> None:
        """virDomainSetInterfaceParameters: change the bandwidth of the interface ``device``."""

    @optional
    def get_domain_block_io_tune(self, ref: DomainRef, disk: str, flags: int) -> list[TypedParameter]:
        """virDomainGetBlockIoTune: the I/O throttling of the disk ``disk`` (target or source)."""

    @optional
    def set_domain_block_io_tune(self, ref: DomainRef, disk: str, params: Sequence[TypedParameter], flags: int) -> None:
        """virDomainSetBlockIoTune: change the I/O throttling of the disk ``disk``."""

    # -- control interface (virt.domaincontrol) -----------------------------------------------------
    @optional
    def get_domain_control_info(self, ref: DomainRef, flags: int) -> ControlInfo:
        """virDomainGetControlInfo: the state of the driver's control interface to the domain."""

    # -- NMI and guest clock setting ----------------------------------------------------------------
    @optional
    def inject_domain_nmi(self, ref: DomainRef, flags: int) -> None:
        """virDomainInjectNMI: send a non-maskable interrupt to the guest."""

    @optional
    def set_domain_time(self, ref: DomainRef, seconds: int, nseconds: int, flags: int) -> None:
        """virDomainSetTime: set the guest's clock (or, with VIR_DOMAIN_TIME_SYNC, resync it from its RTC)."""

    # -- rename -------------------------------------------------------------------------------------
    @optional
    def rename_domain(self, ref: DomainRef, new_name: str, flags: int) -> None:
        """virDomainRename: give an inactive persistent domain the name ``new_name``."""

    # -- host facts: processors, free memory, sysinfo (virt.hostfacts) ------------------------------
    @optional
    def get_max_vcpus(self, virt_type: str | None) -> int:
        """virConnectGetMaxVcpus: the most virtual processors a guest of ``virt_type`` may have."""

    @optional
    def get_node_free_memory(self) -> int:
        """virNodeGetFreeMemory: the host's free memory in bytes."""

    @optional
    def get_node_cells_free_memory(self, start_cell: int, max_cells: int) -> list[int]:
        """virNodeGetCellsFreeMemory: free memory (bytes) of at most ``max_cells`` NUMA cells from ``start_cell``."""

    @optional
    def get_sysinfo(self, flags: int) -> str:
        """virConnectGetSysinfo: the host's SMBIOS facts as a <sysinfo> document."""

    @optional
    def get_node_cpu_stats(self, cpu: int, flags: int) -> list[tuple[str, int]]:
        """virNodeGetCPUStats: every (field, nanoseconds) of processor ``cpu`` (-1: all of them)."""

    @optional
    def get_node_memory_stats(self, cell: int, flags: int) -> list[tuple[str, int]]:
        """virNodeGetMemoryStats: every (field, KiB) of NUMA cell ``cell`` (-1: the whole host)."""

    @optional
    def get_node_memory_parameters(self, flags: int) -> list[TypedParameter]:
        """virNodeGetMemoryParameters: the host's shared memory (KSM) settings and counters."""

    @optional
    def set_node_memory_parameters(self, params: Sequence[TypedParameter], flags: int) -> None:
        """virNodeSetMemoryParameters: change the host's shared memory (KSM) settings ``params`` names."""

    @optional
    def get_node_free_pages(self, pages: Sequence[int], start_cell: int, cell_count: int, flags: int) -> FreePages:
        """virNodeGetFreePages: free pages of each size in ``pages`` (KiB), ``cell_count`` cells from ``start_cell``."""

    @optional
    def find_storage_pool_sources(self, pool_type: str, spec: str | None, flags: int) -> str:
        """virConnectFindStoragePoolSources: a <sources> document of the pools of ``pool_type`` found
        (``spec``: a <source> narrowing the search, such as the host to ask)."""

    @optional
    def get_cpu_model_names(self, arch: str, flags: int) -> list[str]:
        """virConnectGetCPUModelNames: the CPU models guests of ``arch`` may use (none: any)."""

    # -- storage pool and node device events (virt.poolevents, virt.nodedevevents) -------------------
    @optional
    def subscribe_storage_pool_events(
        self, event_id: int, callback: Callable[[StoragePoolEvent], None]
    ) -> Callable[[], None]:
        """Call ``callback`` with every later storage pool event of ``event_id`` (virStoragePoolEventID;
        every connection's changes); returns the function that unsubscribes. Delivered as domain
        events are (see ``subscribe_domain_events``)."""

    @optional
    def subscribe_node_device_events(
        self, event_id: int, callback: Callable[[NodeDeviceEvent], None]
    ) -> Callable[[], None]:
        """Call ``callback`` with every later node device event of ``event_id`` (virNodeDeviceEventID);
        returns the function that unsubscribes."""

    # -- block jobs (virt.blockjobs) ------------------------------------------------------------------
    @optional
    def get_domain_block_job_info(self, ref: DomainRef, disk: str, flags: int) -> BlockJobInfo | None:
        """virDomainGetBlockJobInfo: the job of ``disk`` (target or source path), None without one."""

    @optional
    def abort_domain_block_job(self, ref: DomainRef, disk: str, flags: int) -> None:
        """virDomainBlockJobAbort: cancel the job of ``disk`` (BlockJobAbortFlags: ASYNC, PIVOT)."""

    @optional
    def set_domain_block_job_speed(self, ref: DomainRef, disk: str, bandwidth: int, flags: int) -> None:
        """virDomainBlockJobSetSpeed: the job's bandwidth cap (MiB/s, bytes/s with BANDWIDTH_BYTES)."""

    @optional
    def pull_domain_block(self, ref: DomainRef, disk: str, bandwidth: int, flags: int) -> None:
        """virDomainBlockPull: fill the disk's active image from its whole backing chain."""

    @optional
    def rebase_domain_block(self, ref: DomainRef, disk: str, base: str | None, bandwidth: int, flags: int) -> None:
        """virDomainBlockRebase: a pull down to ``base``, or with BlockRebaseFlags.COPY a copy to ``base``."""

    @optional
    def copy_domain_block(
        self, ref: DomainRef, disk: str, destxml: str, params: Sequence[TypedParameter], flags: int
    ) -> None:
        """virDomainBlockCopy: mirror the disk to the <disk> ``destxml`` describes (BlockCopyFlags)."""

    @optional
    def commit_domain_block(
        self, ref: DomainRef, disk: str, base: str | None, top: str | None, bandwidth: int, flags: int
    ) -> None:
        """virDomainBlockCommit: merge the chain's images from ``top`` down into ``base`` (BlockCommitFlags)."""

    @optional
    def resize_domain_block(self, ref: DomainRef, disk: str, size: int, flags: int) -> None:
        """virDomainBlockResize: the disk's new size (KiB, bytes with BlockResizeFlags.BYTES)."""

    # -- CPU baseline (virt.cpubaseline) ------------------------------------------------------------
    @optional
    def baseline_cpu(self, xml_cpus: Sequence[str], flags: int) -> str:
        """virConnectBaselineCPU: the <cpu> every host CPU of ``xml_cpus`` can run
        (flags: VIR_CONNECT_BASELINE_CPU_EXPAND_FEATURES, _MIGRATABLE)."""

    @optional
    def baseline_hypervisor_cpu(
        self,
        emulator: str | None,
        arch: str | None,
        machine: str | None,
        virt_type: str | None,
        xml_cpus: Sequence[str],
        flags: int,
    ) -> str:
        """virConnectBaselineHypervisorCPU: the baseline of ``xml_cpus`` that this hypervisor (its
        ``emulator``, ``arch``, ``machine`` and ``virt_type``, each None for its default) can run."""

    # -- host calls: native formats, CPU comparison, power management, SCSI hosts (virt.hostcalls) -----
    @optional
    def domain_xml_from_native(self, native_format: str, native_config: str, flags: int) -> str:
        """virConnectDomainXMLFromNative: the domain XML of a configuration in ``native_format``."""

    @optional
    def domain_xml_to_native(self, native_format: str, domain_xml: str, flags: int) -> str:
        """virConnectDomainXMLToNative: ``domain_xml`` in ``native_format`` (qemu-argv, vmware-vmx...)."""

    @optional
    def compare_cpu(self, xml: str, flags: int) -> int:
        """virConnectCompareCPU: how the host CPU compares with the <cpu> ``xml`` (virt.hostcalls.CPUCompareResult;
        flags: VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE, _VALIDATE_XML)."""

    @optional
    def get_domain_security_labels(self, ref: DomainRef) -> list[SecurityLabel]:
        """virDomainGetSecurityLabelList: the running domain's label under each of the host's security
        models (none while it is shut off)."""

    @optional
    def node_suspend_for_duration(self, target: int, duration: int, flags: int) -> None:
        """virNodeSuspendForDuration: suspend the host to ``target`` (virt.hostcalls.SuspendTarget) and
        wake it after ``duration`` seconds."""

    @optional
    def domain_pm_suspend_for_duration(self, ref: DomainRef, target: int, duration: int, flags: int) -> None:
        """virDomainPMSuspendForDuration: the guest suspends itself to ``target`` (memory, disk, hybrid)."""

    @optional
    def domain_pm_wakeup(self, ref: DomainRef, flags: int) -> None:
        """virDomainPMWakeup: wake a guest suspended to memory."""

    @optional
    def lookup_scsi_host_by_wwn(self, wwnn: str, wwpn: str, flags: int) -> str:
        """virNodeDeviceLookupSCSIHostByWWN: the name of the SCSI host (an fc_host) with these WWNs."""

    # -- domaincalls: CPU statistics, lifecycle actions, fstrim, disk errors, process signals, memory
    # peek, user password, launch security, core dump, creation with files (virt.domaincalls) -------
    @optional
    def get_domain_cpu_stats(self, ref: DomainRef, nparams: int, start_cpu: int, ncpus: int, flags: int) -> CPUStats:
        """virDomainGetCPUStats: up to ``nparams`` parameters of ``ncpus`` host CPUs from ``start_cpu``
        (-1 with ncpus 1: the domain's totals); with nparams 0 only the count (CPUStats.result)."""

    @optional
    def set_domain_lifecycle_action(self, ref: DomainRef, type_: int, action: int, flags: int) -> None:
        """virDomainSetLifecycleAction: what the domain does on poweroff, reboot or crash (Impact flags)."""

    @optional
    def trim_domain_filesystems(self, ref: DomainRef, mountpoint: str | None, minimum: int, flags: int) -> None:
        """virDomainFSTrim: discard the unused blocks of the guest's filesystems (or of one mount point)."""

    @optional
    def get_domain_disk_errors(self, ref: DomainRef, maxerrors: int, flags: int) -> DiskErrors:
        """virDomainGetDiskErrors: up to ``maxerrors`` disks' errors (0: only how many there may be)."""

    @optional
    def send_domain_process_signal(self, ref: DomainRef, pid: int, signum: int, flags: int) -> None:
        """virDomainSendProcessSignal: send virDomainProcessSignal ``signum`` to process ``pid`` of the guest."""

    @optional
    def peek_domain_memory(self, ref: DomainRef, start: int, size: int, flags: int) -> bytes:
        """virDomainMemoryPeek: ``size`` bytes of the guest's memory from ``start`` (MemoryFlags)."""

    @optional
    def peek_domain_block(self, ref: DomainRef, disk: str, offset: int, size: int, flags: int) -> bytes:
        """virDomainBlockPeek: ``size`` bytes of disk ``disk`` (target or source path) from ``offset``."""

    @optional
    def get_domain_guest_vcpus(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        """virDomainGetGuestVcpus: the guest's own view of its vCPUs (``vcpus``, ``online``,
        ``offlinable``: lists of vCPU numbers as text)."""

    @optional
    def set_domain_guest_vcpus(self, ref: DomainRef, cpumap: str, state: bool, flags: int) -> None:
        """virDomainSetGuestVcpus: the guest brings the vCPUs ``cpumap`` names online (``state``) or offline."""

    @optional
    def get_domain_authorized_ssh_keys(self, ref: DomainRef, user: str, flags: int) -> list[str]:
        """virDomainAuthorizedSSHKeysGet: the keys in guest user ``user``'s authorized keys file."""

    @optional
    def set_domain_authorized_ssh_keys(self, ref: DomainRef, user: str, keys: Sequence[str], flags: int) -> None:
        """virDomainAuthorizedSSHKeysSet: replace, add to (APPEND) or take from (REMOVE) the user's
        authorized keys (virt.guestagent.SSHKeysFlags)."""

    @optional
    def set_domain_agent_response_timeout(self, ref: DomainRef, timeout: int, flags: int) -> None:
        """virDomainAgentSetResponseTimeout: seconds to wait for the agent (virt.guestagent.AgentResponseTimeout)."""

    @optional
    def set_domain_user_password(self, ref: DomainRef, user: str, password: str, flags: int) -> None:
        """virDomainSetUserPassword: set a guest user's password (PasswordFlags.ENCRYPTED: already crypted)."""

    @optional
    def get_domain_launch_security_info(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        """virDomainGetLaunchSecurityInfo: the guest's launch security measurement and settings."""

    @optional
    def core_dump_domain(self, ref: DomainRef, path: str, dumpformat: int | None, flags: int) -> None:
        """virDomainCoreDump (``dumpformat`` None) or virDomainCoreDumpWithFormat: the guest's core into
        the file ``path`` (absolute)."""

    @optional
    def create_domain_with_files(self, domain: Domain, files: Sequence[int], flags: int) -> DomainRef:
        """virDomainCreateXMLWithFiles: start a transient domain, handing it the open file descriptors ``files``."""

    @optional
    def start_domain_with_files(self, ref: DomainRef, files: Sequence[int], flags: int) -> None:
        """virDomainCreateWithFiles: start the defined domain, handing it the open file descriptors ``files``."""

    # == secrets (virt.secrets; virSecret*) ===========================================================
    @optional
    def list_secrets(self, flags: int) -> list[SecretRef]:
        """virConnectListAllSecrets: every secret passing ``flags`` (virt.secrets.ListFlags), by UUID."""

    @optional
    def lookup_secret_by_uuid(self, uuid: uuid.UUID) -> SecretRef:
        """virSecretLookupByUUID: NotFound (NO_SECRET) when there is no such secret."""

    @optional
    def lookup_secret_by_usage(self, usage_type: int, usage_id: str) -> SecretRef:
        """virSecretLookupByUsage: the secret for ``usage_id`` of ``usage_type`` (virt.secrets.UsageType)."""

    @optional
    def define_secret(self, xml: str, flags: int) -> SecretRef:
        """virSecretDefineXML: a new secret, or a new definition of the one with that UUID
        (``flags``: virt.secrets.DefineFlags)."""

    @optional
    def get_secret_xml(self, ref: SecretRef, flags: int) -> str:
        """virSecretGetXMLDesc."""

    @optional
    def set_secret_value(self, ref: SecretRef, value: bytes, flags: int) -> None:
        """virSecretSetValue."""

    @optional
    def get_secret_value(self, ref: SecretRef, flags: int) -> bytes:
        """virSecretGetValue: refused for a private secret (INVALID_SECRET)."""

    @optional
    def undefine_secret(self, ref: SecretRef) -> None:
        """virSecretUndefine."""

    @optional
    def subscribe_secret_events(self, callback: Callable[[SecretEvent], None]) -> Callable[[], None]:
        """Call ``callback`` with every later secret event (lifecycle and value changes, every
        connection's); returns the function that unsubscribes. Delivered as domain events are."""

    # == end of secrets ===============================================================================

    # == network filters (virt.nwfilters; virNWFilter*, virNWFilterBinding*) =========================
    @optional
    def list_nwfilters(self, flags: int) -> list[NWFilterRef]:
        """virConnectListAllNWFilters: every defined network filter, by name."""

    @optional
    def lookup_nwfilter_by_name(self, name: str) -> NWFilterRef:
        """virNWFilterLookupByName: NotFound (NO_NWFILTER) when there is no such filter."""

    @optional
    def lookup_nwfilter_by_uuid(self, uuid: uuid.UUID) -> NWFilterRef:
        """virNWFilterLookupByUUID: NotFound (NO_NWFILTER) when there is no such filter."""

    @optional
    def define_nwfilter(self, xml: str, flags: int) -> NWFilterRef:
        """virNWFilterDefineXMLFlags: a new filter, or a new definition of the one of that name
        (``flags``: 1 = VALIDATE against the schema)."""

    @optional
    def undefine_nwfilter(self, ref: NWFilterRef) -> None:
        """virNWFilterUndefine: OPERATION_INVALID while a binding uses the filter."""

    @optional
    def get_nwfilter_xml(self, ref: NWFilterRef, flags: int) -> str:
        """virNWFilterGetXMLDesc."""

    @optional
    def list_nwfilter_bindings(self, flags: int) -> list[NWFilterBindingRef]:
        """virConnectListAllNWFilterBindings: every binding of a filter to a port device."""

    @optional
    def lookup_nwfilter_binding(self, portdev: str) -> NWFilterBindingRef:
        """virNWFilterBindingLookupByPortDev: NotFound (NO_NWFILTER_BINDING) when there is none."""

    @optional
    def create_nwfilter_binding(self, xml: str, flags: int) -> NWFilterBindingRef:
        """virNWFilterBindingCreateXML (``flags``: 1 = VALIDATE against the schema)."""

    @optional
    def delete_nwfilter_binding(self, ref: NWFilterBindingRef) -> None:
        """virNWFilterBindingDelete."""

    @optional
    def get_nwfilter_binding_xml(self, ref: NWFilterBindingRef, flags: int) -> str:
        """virNWFilterBindingGetXMLDesc."""

    # == end of network filters ======================================================================

    # == network ports (virt.networkports; virNetworkPort*) ==========================================
    @optional
    def list_network_ports(self, ref: NetworkRef, flags: int) -> list[NetworkPortRef]:
        """virNetworkListAllPorts: the ports of the running network (OPERATION_INVALID when inactive)."""

    @optional
    def lookup_network_port(self, ref: NetworkRef, uuid: uuid.UUID) -> NetworkPortRef:
        """virNetworkPortLookupByUUID: NotFound (NO_NETWORK_PORT) when the network has no such port."""

    @optional
    def create_network_port(self, ref: NetworkRef, xml: str, flags: int) -> NetworkPortRef:
        """virNetworkPortCreateXML: allocate a port on the running network (``flags``:
        virt.networkports.CreateFlags; RECLAIM takes back a port whose plug is given)."""

    @optional
    def get_network_port_xml(self, port: NetworkPortRef, flags: int) -> str:
        """virNetworkPortGetXMLDesc."""

    @optional
    def delete_network_port(self, port: NetworkPortRef, flags: int) -> None:
        """virNetworkPortDelete: release the port."""

    @optional
    def get_network_port_parameters(self, port: NetworkPortRef, flags: int) -> list[TypedParameter]:
        """virNetworkPortGetParameters: the port's bandwidth (inbound.*, outbound.*)."""

    @optional
    def set_network_port_parameters(self, port: NetworkPortRef, params: Sequence[TypedParameter], flags: int) -> None:
        """virNetworkPortSetParameters: change the port's bandwidth."""

    # == end of network ports =========================================================================


def supported_operations(cls: type[DriverConnection]) -> list[str]:
    """The operations ``cls`` implements (those it does not leave to the NotSupported default)."""
    return sorted(
        name
        for name, value in vars(DriverConnection).items()
        if getattr(value, "__virt_optional__", False) and not getattr(getattr(cls, name), "__virt_optional__", False)
    )


# == secrets (virt.secrets) ==========================================================================
@attrs.frozen
class SecretRef:
    """A secret as virSecretPtr names it: UUID, usage type (virt.secrets.UsageType) and usage id."""

    uuid: uuid.UUID
    usage_type: int
    usage_id: str


# == end of secrets ==================================================================================


# == network filters (virt.nwfilters) ================================================================
@attrs.frozen
class NWFilterRef:
    """A network filter as virNWFilterPtr names it."""

    name: str
    uuid: uuid.UUID


@attrs.frozen
class NWFilterBindingRef:
    """A filter binding as virNWFilterBindingPtr names it: its port device and its filter."""

    portdev: str
    filter: str


# == end of network filters ==========================================================================


# == network ports (virt.networkports) ===============================================================
@attrs.frozen
class NetworkPortRef:
    """A network port as virNetworkPortPtr names it: its network and its UUID."""

    network: NetworkRef
    uuid: uuid.UUID


# == end of network ports ============================================================================
