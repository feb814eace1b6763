"""RemoteConnection: every driver operation as calls of libvirt's REMOTE program to virtd or libvirtd.

Opening follows what virsh does: AUTH_LIST, CONNECT_SUPPORTS_FEATURE (keepalive), CONNECT_OPEN with
the URI stripped of transport, host and the remote client's own parameters. Replies become the
driver interface's refs and models (built from the returned XML with ``virt.xml``); a remote_error
becomes the VirtError of the same code, domain and message. ``reconnect()`` opens a fresh
connection to the same daemon and registers the event subscriptions again.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from virt.domainsave import SaveImageXMLFlags
from virt.driver import (
    AuthCallback,
    DomainRef,
    DriverConnection,
    InterfaceRef,
    NetworkPortRef,
    NetworkRef,
    NWFilterBindingRef,
    NWFilterRef,
    SecretRef,
    SecurityLabel,
    StoragePoolInfo,
    StoragePoolRef,
    StorageVolumeInfo,
    StorageVolumeRef,
)
from virt.errors import (
    ErrorDomain,
    ErrorNumber,
    InvalidArgument,
    NotSupported,
    VirtError,
    libvirt_error,
)
from virt.remote import client as client_module
from virt.remote import messages, transport
from virt.remote.blockjobs import RemoteBlockJobs
from virt.remote.hostcalls import RemoteHostCalls
from virt.remote.messages import RemoteProcedure as P
from virt.remote.migration import RemoteMigration
from virt.remote.protocol import KEEPALIVE_COUNT, KEEPALIVE_INTERVAL, AuthType, Feature

if TYPE_CHECKING:
    import socket
    from collections.abc import Sequence

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
    from virt.networkevents import NetworkEvent
    from virt.nodedevevents import NodeDeviceEvent
    from virt.poolevents import StoragePoolEvent
    from virt.scheduler import SchedulerType
    from virt.secrets import SecretEvent
    from virt.states import DomainState, ShutdownMode
    from virt.storage.backend import BuildFlags
    from virt.uri import URI
    from virt.xml import Capabilities, Domain, DomainCapabilities, Network, StoragePool, StorageVolume
    from virt.xml.hostinterface import HostInterface

# virConnectListAllDomainsFlags
_LIST_ACTIVE, _LIST_INACTIVE, _LIST_PERSISTENT, _LIST_TRANSIENT = 1, 2, 4, 8
_LIST_RUNNING, _LIST_PAUSED, _LIST_SHUTOFF, _LIST_OTHER = 16, 32, 64, 128
_LIST_MANAGEDSAVE, _LIST_NO_MANAGEDSAVE, _LIST_AUTOSTART, _LIST_NO_AUTOSTART = 256, 512, 1024, 2048
_LIST_HAS_SNAPSHOT, _LIST_NO_SNAPSHOT = 4096, 8192
_LIST_HAS_CHECKPOINT, _LIST_NO_CHECKPOINT = 16384, 32768
# virConnectListAllNetworksFlags and virConnectListAllStoragePoolsFlags share these bits.
_OBJECTS_INACTIVE, _OBJECTS_ACTIVE, _OBJECTS_PERSISTENT, _OBJECTS_TRANSIENT = 1, 2, 4, 8
_OBJECTS_AUTOSTART, _OBJECTS_NO_AUTOSTART = 16, 32
_XML_SECURE, _XML_INACTIVE = 1, 2  # virDomainXMLFlags
_NETWORK_XML_INACTIVE = 1  # virNetworkXMLFlags
_STORAGE_XML_INACTIVE = 1  # virStorageXMLFlags
_BUILD_OVERWRITE, _BUILD_NO_OVERWRITE = 8, 4  # virStoragePoolBuildFlags (REPAIR is 1, RESIZE 2)
_RESIZE_ALLOCATE, _RESIZE_DELTA, _RESIZE_SHRINK = 1, 2, 4  # virStorageVolResizeFlags


def pool_create_flags(build: BuildFlags | None) -> int:
    """virStoragePoolCreateFlags for a start or create that builds the pool first (or not)."""
    if build is None:
        return 0
    return 1 | (2 if build.overwrite else 0) | (4 if build.no_overwrite else 0)


def resize_flags(*, delta: bool, shrink: bool, allocate: bool) -> int:
    """virStorageVolResizeFlags for the options of a resize."""
    return (_RESIZE_DELTA if delta else 0) | (_RESIZE_SHRINK if shrink else 0) | (_RESIZE_ALLOCATE if allocate else 0)


_OPEN_READONLY = 1  # virConnectFlags
_MEM_MAXIMUM = 4  # virDomainMemoryModFlags
_VCPU_MAXIMUM, _VCPU_HOTPLUGGABLE = 4, 16  # virDomainVcpuFlags
_EVENT_ID_LIFECYCLE = 0
_CONSOLE_FORCE = 1  # virDomainConsoleFlags
# virStoragePoolState: INACTIVE, BUILDING, RUNNING, DEGRADED, INACCESSIBLE; the last three are active.
_POOL_ACTIVE_STATES = frozenset({2, 3, 4})
# virStorageVolType by number.
_VOLUME_TYPES = ("file", "block", "dir", "network", "netdir", "ploop")


def _flag_pair(value: bool | None, yes: int, no: int) -> int:
    return 0 if value is None else yes if value else no


def domain_list_flags(filter: DomainFilter) -> tuple[int, bool]:
    """The virConnectListAllDomains flags for ``filter``, and whether the states still need checking
    here (a subset of the "other" states, which libvirt's flags can only take all together)."""
    from virt.states import DomainState

    flags = (
        _flag_pair(filter.active, _LIST_ACTIVE, _LIST_INACTIVE)
        | _flag_pair(filter.persistent, _LIST_PERSISTENT, _LIST_TRANSIENT)
        | _flag_pair(filter.autostart, _LIST_AUTOSTART, _LIST_NO_AUTOSTART)
        | _flag_pair(filter.managed_save, _LIST_MANAGEDSAVE, _LIST_NO_MANAGEDSAVE)
        | _flag_pair(filter.has_snapshot, _LIST_HAS_SNAPSHOT, _LIST_NO_SNAPSHOT)
        | _flag_pair(filter.has_checkpoint, _LIST_HAS_CHECKPOINT, _LIST_NO_CHECKPOINT)
    )
    if filter.states is None:
        return flags, False
    others = set(filter.other_states())
    wanted = set(filter.states)
    for state, bit in ((DomainState.RUNNING, _LIST_RUNNING), (DomainState.PAUSED, _LIST_PAUSED)):
        if state in wanted:
            flags |= bit
    if DomainState.SHUTOFF in wanted:
        flags |= _LIST_SHUTOFF
    if wanted & others:
        flags |= _LIST_OTHER
    if not wanted:
        return flags, True  # no state at all: nothing passes, the server's flags cannot say so
    return flags, bool(wanted & others) and not others <= wanted


def object_list_flags(filter: ObjectFilter) -> int:
    """The flags of virConnectListAllNetworks / virConnectListAllStoragePools for ``filter``."""
    return (
        _flag_pair(filter.active, _OBJECTS_ACTIVE, _OBJECTS_INACTIVE)
        | _flag_pair(filter.persistent, _OBJECTS_PERSISTENT, _OBJECTS_TRANSIENT)
        | _flag_pair(filter.autostart, _OBJECTS_AUTOSTART, _OBJECTS_NO_AUTOSTART)
    )


def _domain_ref(value: dict[str, Any]) -> DomainRef:
    return DomainRef(value["name"], value["uuid"], value["id"])


def _domain_arg(ref: DomainRef) -> dict[str, Any]:
    return {"name": ref.name, "uuid": ref.uuid, "id": ref.id}


def _network_ref(value: dict[str, Any]) -> NetworkRef:
    return NetworkRef(value["name"], value["uuid"])


def _network_arg(ref: NetworkRef) -> dict[str, Any]:
    return {"name": ref.name, "uuid": ref.uuid}


def _network_port_ref(value: dict[str, Any]) -> NetworkPortRef:  # network ports (virt.networkports)
    return NetworkPortRef(_network_ref(value["net"]), value["uuid"])


def _network_port_arg(ref: NetworkPortRef) -> dict[str, Any]:  # network ports (virt.networkports)
    return {"net": _network_arg(ref.network), "uuid": ref.uuid}


def _secret_ref(value: dict[str, Any]) -> SecretRef:  # secrets (virt.secrets)
    return SecretRef(value["uuid"], value["usageType"], value["usageID"])


def _secret_arg(ref: SecretRef) -> dict[str, Any]:  # secrets (virt.secrets)
    return {"uuid": ref.uuid, "usageType": ref.usage_type, "usageID": ref.usage_id}


def _pool_ref(value: dict[str, Any]) -> StoragePoolRef:
    return StoragePoolRef(value["name"], value["uuid"])


# -- storage pool and node device event messages -------------------------------------------------------
_OBJECT_EVENT_MESSAGES = frozenset({
    P.STORAGE_POOL_EVENT_LIFECYCLE, P.STORAGE_POOL_EVENT_REFRESH, P.NODE_DEVICE_EVENT_LIFECYCLE,
    P.NODE_DEVICE_EVENT_UPDATE,
})  # fmt: skip


def _pool_event(number: int, message: dict[str, Any]) -> StoragePoolEvent:
    from virt.poolevents import StoragePoolEvent, StoragePoolEventType

    ref = _pool_ref(message["pool"])
    if number == P.STORAGE_POOL_EVENT_REFRESH:
        return StoragePoolEvent.refresh(ref)
    return StoragePoolEvent.lifecycle(ref, StoragePoolEventType(message["event"]), message["detail"])


def _node_device_event(number: int, message: dict[str, Any]) -> NodeDeviceEvent:
    from virt.nodedevevents import NodeDeviceEvent, NodeDeviceEventType

    name = message["dev"]["name"]
    if number == P.NODE_DEVICE_EVENT_UPDATE:
        return NodeDeviceEvent.update(name)
    return NodeDeviceEvent.lifecycle(name, NodeDeviceEventType(message["event"]), message["detail"])


def _pool_arg(ref: StoragePoolRef) -> dict[str, Any]:
    return {"name": ref.name, "uuid": ref.uuid}


def _volume_ref(value: dict[str, Any]) -> StorageVolumeRef:
    return StorageVolumeRef(value["pool"], value["name"], value["key"])


def _volume_arg(ref: StorageVolumeRef) -> dict[str, Any]:
    return {"pool": ref.pool, "name": ref.name, "key": ref.key}


def _procedure_name(number: int) -> str:
    procedure = messages.REMOTE_PROCEDURES.get(number)
    return procedure.name if procedure is not None else f"procedure {number}"


def _seconds(uri: URI, name: str, default: float | None) -> float | None:
    text = uri.param(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise InvalidArgument(f"URI parameter {name}={text!r} is not a number of seconds") from None
    if value < 0:
        raise InvalidArgument(f"URI parameter {name}={text!r} must not be negative")
    return value


@attrs.frozen
class _ObjectEvents:
    """How to register for one event id of storage pool or node device events, and read its messages."""

    register: int
    deregister: int
    event_id: int
    object_arg: str
    """The register call's argument naming the object to watch (always none: the connection filters)."""
    decode: Callable[[int, dict[str, Any]], Any]
    """The event of a message (its procedure number, its body)."""


class _Subscription:
    """One event subscription, and the id the daemon gave it on the current connection."""

    __slots__ = ("active", "callback", "event_id", "network", "objects", "remote_id", "secret_event")

    def __init__(
        self,
        callback: Callable[[Any], None],
        *,
        network: bool = False,
        event_id: int = 0,
        objects: _ObjectEvents | None = None,
        secret_event: int | None = None,
    ) -> None:
        self.callback = callback
        self.network = network
        """A network lifecycle subscription (else a domain one, or ``objects``'s, or a secret one)."""
        self.event_id = event_id
        """The domain event id of a domain subscription (virt.domainevents.DomainEventID; 0: lifecycle)."""
        self.objects = objects
        """A storage pool or node device subscription: its procedures."""
        self.secret_event = secret_event
        """The event id of a secret event subscription (virt.secrets)."""
        self.remote_id: int | None = None
        self.active = True


class RemoteConnection(RemoteMigration, RemoteHostCalls, RemoteBlockJobs, DriverConnection):
    """A connection to a daemon (virtd or libvirtd) over libvirt's RPC protocol.

    URI parameters of its own besides libvirt's: ``timeout`` (seconds a call waits for its reply,
    0 for ever; default 600), ``keepalive_interval`` (seconds of silence before a PING, 0: none;
    default 5) and ``keepalive_count`` (unanswered PINGs before the daemon counts as dead; 5).
    """

    error_domain = ErrorDomain.REMOTE

    def __init__(self, uri: URI, *, readonly: bool = False) -> None:
        super().__init__(uri, readonly=readonly)
        timeout = _seconds(uri, "timeout", client_module.DEFAULT_TIMEOUT)
        self._timeout = None if timeout == 0 else timeout
        self._keepalive_interval = _seconds(uri, "keepalive_interval", KEEPALIVE_INTERVAL) or 0.0
        count = uri.param("keepalive_count")
        if count is not None and not count.isdigit():
            raise InvalidArgument(f"URI parameter keepalive_count={count!r} is not a number")
        self._keepalive_count = int(count) if count is not None else KEEPALIVE_COUNT
        self.remote_uri = transport.remote_name(uri)
        """The URI the daemon is asked to open ("" lets it choose)."""
        self._lock = threading.Lock()
        self._subscriptions: dict[int, _Subscription] = {}
        self._remote_type: str | None = None
        self._closed = False
        self._client = self._connect()

    # -- connecting ------------------------------------------------------------------------------------
    def _connect(self) -> client_module.Client:
        link = transport.open_transport(self.uri, readonly=self.readonly)
        client = client_module.Client(
            link, timeout=self._timeout, on_event=self._on_event, procedure_name=_procedure_name
        )
        try:
            self._handshake(client)
        except BaseException:
            client.close()
            raise
        return client

    def _handshake(self, client: client_module.Client) -> None:
        auth_types = self._call_on(client, P.AUTH_LIST)["types"]
        if auth_types and AuthType.NONE not in auth_types:
            names = {AuthType.SASL: "SASL", AuthType.POLKIT: "polkit"}
            wanted = ", ".join(names.get(t, f"type {t}") for t in auth_types)
            raise NotSupported(
                f"the daemon at {client.transport.description} requires {wanted} authentication,"
                " which virt's remote client does not support",
                ErrorNumber.AUTH_UNAVAILABLE,
                ErrorDomain.REMOTE,
            )
        keepalive = self._call_on(client, P.CONNECT_SUPPORTS_FEATURE, {"feature": Feature.PROGRAM_KEEPALIVE})
        if keepalive["supported"] and self._keepalive_interval > 0:
            client.start_keepalive(self._keepalive_interval, self._keepalive_count)
        flags = _OPEN_READONLY if self.readonly else 0
        self._call_on(client, P.CONNECT_OPEN, {"name": self.remote_uri, "flags": flags})

    def authenticate(self, auth: AuthCallback | None) -> None:
        """Nothing left to do: the daemon's auth (NONE) was settled while connecting."""

    def reconnect(self) -> None:
        """Open a new connection to the same daemon (after it dropped or restarted) and register
        every event subscription again; the old connection, broken or not, is closed."""
        with self._lock:
            if self._closed:
                raise VirtError("the connection is closed", ErrorNumber.INVALID_CONN, ErrorDomain.REMOTE)
            old = self._client
        old.close()
        fresh = self._connect()
        with self._lock:
            self._client = fresh
            subscriptions = [s for s in self._subscriptions.values() if s.active]
            self._subscriptions = {}
        for subscription in subscriptions:
            self._register(subscription)

    def is_alive(self) -> bool:
        """False once the daemon went away (until ``reconnect``)."""
        return self._client.alive

    @property
    def timeout(self) -> float | None:
        """Seconds a call waits for its reply (None: for ever)."""
        return self._timeout

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        if value is not None and value <= 0:
            raise InvalidArgument(f"a call timeout must be positive, not {value}")
        self._timeout = value
        self._client.timeout = value

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            client = self._client
        if client.alive:
            # Polite, not needed: the daemon drops our state when the socket closes, so a daemon
            # that does not answer at once does not hold the caller up.
            with contextlib.suppress(VirtError):
                client.call(P.CONNECT_CLOSE, timeout=1)
        client.close()

    # -- calls -----------------------------------------------------------------------------------------
    def _call_on(
        self, client: client_module.Client, number: int, args: dict[str, Any] | None = None, files: Sequence[int] = ()
    ) -> Any:
        procedure = messages.REMOTE_PROCEDURES[number]
        payload = procedure.args.encode(args) if args is not None else b""
        try:
            reply = client.call(number, payload, files=files)
        except VirtError as exc:
            raise _client_side(exc) from None
        return procedure.ret.decode(reply)

    def _call(self, number: int, args: dict[str, Any] | None = None) -> Any:
        return self._call_on(self._client, number, args)

    # -- host ------------------------------------------------------------------------------------------
    @property
    def driver_name(self) -> str:  # type: ignore[override]
        """The daemon's driver type (``TEST``, ``QEMU``), asked once."""
        if self._remote_type is None:
            self._remote_type = str(self._call(P.CONNECT_GET_TYPE)["type"])
        return self._remote_type

    def get_version(self) -> int:
        return int(self._call(P.CONNECT_GET_VERSION)["hv_ver"])

    def get_hostname(self) -> str:
        return str(self._call(P.CONNECT_GET_HOSTNAME)["hostname"])

    def get_capabilities(self) -> Capabilities:
        from virt.xml import Capabilities

        return Capabilities.from_xml(self._call(P.CONNECT_GET_CAPABILITIES)["capabilities"])

    def get_node_info(self) -> NodeInfo:
        from virt.info import NodeInfo

        ret = self._call(P.NODE_GET_INFO)
        return NodeInfo(
            model=ret["model"],
            memory_kib=ret["memory"],
            cpus=ret["cpus"],
            mhz=ret["mhz"],
            nodes=ret["nodes"],
            sockets=ret["sockets"],
            cores=ret["cores"],
            threads=ret["threads"],
        )

    # -- host facts: processors, free memory, sysinfo (virt.hostfacts) ------------------------------
    def get_max_vcpus(self, virt_type: str | None) -> int:
        return int(self._call(P.CONNECT_GET_MAX_VCPUS, {"type": virt_type})["max_vcpus"])

    def get_node_free_memory(self) -> int:
        return int(self._call(P.NODE_GET_FREE_MEMORY)["freeMem"])

    def get_node_cells_free_memory(self, start_cell: int, max_cells: int) -> list[int]:
        ret = self._call(P.NODE_GET_CELLS_FREE_MEMORY, {"startCell": start_cell, "maxcells": max_cells})
        return [int(free) for free in ret["cells"]]

    def get_sysinfo(self, flags: int) -> str:
        return str(self._call(P.CONNECT_GET_SYSINFO, {"flags": flags})["sysinfo"])

    def get_node_cpu_stats(self, cpu: int, flags: int) -> list[tuple[str, int]]:
        # as libvirt's client: ask how many there are, then for them all
        count = self._call(P.NODE_GET_CPU_STATS, {"cpuNum": cpu, "nparams": 0, "flags": flags})["nparams"]
        if not count:
            return []
        ret = self._call(P.NODE_GET_CPU_STATS, {"cpuNum": cpu, "nparams": count, "flags": flags})
        return [(str(stat["field"]), int(stat["value"])) for stat in ret["params"]]

    def get_node_memory_parameters(self, flags: int) -> list[TypedParameter]:
        # as libvirt's client: ask how many there are, then for them all
        count = self._call(P.NODE_GET_MEMORY_PARAMETERS, {"nparams": 0, "flags": flags})["nparams"]
        if not count:
            return []
        return _typed_params(self._call(P.NODE_GET_MEMORY_PARAMETERS, {"nparams": count, "flags": flags})["params"])

    def set_node_memory_parameters(self, params: Sequence[TypedParameter], flags: int) -> None:
        from virt.remote.typedparams import to_wire

        self._call(P.NODE_SET_MEMORY_PARAMETERS, {"params": to_wire(params), "flags": flags})

    def get_node_memory_stats(self, cell: int, flags: int) -> list[tuple[str, int]]:
        # as libvirt's client: ask how many there are, then for them all
        count = self._call(P.NODE_GET_MEMORY_STATS, {"cellNum": cell, "nparams": 0, "flags": flags})["nparams"]
        if not count:
            return []
        ret = self._call(P.NODE_GET_MEMORY_STATS, {"cellNum": cell, "nparams": count, "flags": flags})
        return [(str(stat["field"]), int(stat["value"])) for stat in ret["params"]]

    def get_node_free_pages(self, pages: Sequence[int], start_cell: int, cell_count: int, flags: int) -> FreePages:
        from virt.hostfacts import FreePages

        args = {"pages": list(pages), "startCell": start_cell, "cellCount": cell_count, "flags": flags}
        counts = [int(count) for count in self._call(P.NODE_GET_FREE_PAGES, args)["counts"]]
        return FreePages(counts, len(counts))

    def find_storage_pool_sources(self, pool_type: str, spec: str | None, flags: int) -> str:
        args = {"type": pool_type, "srcSpec": spec, "flags": flags}
        return str(self._call(P.CONNECT_FIND_STORAGE_POOL_SOURCES, args)["xml"])

    def get_cpu_model_names(self, arch: str, flags: int) -> list[str]:
        ret = self._call(P.CONNECT_GET_CPU_MODEL_NAMES, {"arch": arch, "need_results": 1, "flags": flags})
        return [str(model) for model in ret["models"]]

    # -- end of host facts ----------------------------------------------------------------------

    def get_domain_capabilities(
        self,
        *,
        emulator: str | None = None,
        arch: str | None = None,
        machine: str | None = None,
        virt_type: str | None = None,
    ) -> DomainCapabilities:
        from virt.xml import DomainCapabilities

        ret = self._call(
            P.CONNECT_GET_DOMAIN_CAPABILITIES,
            {"emulatorbin": emulator, "arch": arch, "machine": machine, "virttype": virt_type, "flags": 0},
        )
        return DomainCapabilities.from_xml(ret["capabilities"])

    # -- domains ---------------------------------------------------------------------------------------
    def list_domains(self, filter: DomainFilter) -> list[DomainRef]:
        flags, check_states = domain_list_flags(filter)
        ret = self._call(P.CONNECT_LIST_ALL_DOMAINS, {"need_results": 1, "flags": flags})
        refs = [_domain_ref(d) for d in ret["domains"]]
        if check_states and filter.states is not None:
            refs = [ref for ref in refs if self.get_domain_state(ref)[0] in filter.states]
        return refs

    def lookup_domain_by_name(self, name: str) -> DomainRef:
        return _domain_ref(self._call(P.DOMAIN_LOOKUP_BY_NAME, {"name": name})["dom"])

    def lookup_domain_by_uuid(self, uuid: uuid.UUID) -> DomainRef:
        return _domain_ref(self._call(P.DOMAIN_LOOKUP_BY_UUID, {"uuid": uuid})["dom"])

    def lookup_domain_by_id(self, id: int) -> DomainRef:
        return _domain_ref(self._call(P.DOMAIN_LOOKUP_BY_ID, {"id": id})["dom"])

    def define_domain(self, domain: Domain) -> DomainRef:
        return _domain_ref(self._call(P.DOMAIN_DEFINE_XML, {"xml": domain.to_xml()})["dom"])

    def create_domain(self, domain: Domain) -> DomainRef:
        return _domain_ref(self._call(P.DOMAIN_CREATE_XML, {"xml_desc": domain.to_xml(), "flags": 0})["dom"])

    def undefine_domain(self, ref: DomainRef) -> None:
        self._call(P.DOMAIN_UNDEFINE, {"dom": _domain_arg(ref)})

    def start_domain(self, ref: DomainRef) -> None:
        self._call(P.DOMAIN_CREATE, {"dom": _domain_arg(ref)})

    def shutdown_domain(self, ref: DomainRef, mode: ShutdownMode) -> None:
        if mode:
            self._call(P.DOMAIN_SHUTDOWN_FLAGS, {"dom": _domain_arg(ref), "flags": int(mode)})
        else:
            self._call(P.DOMAIN_SHUTDOWN, {"dom": _domain_arg(ref)})

    def reboot_domain(self, ref: DomainRef, mode: ShutdownMode) -> None:
        self._call(P.DOMAIN_REBOOT, {"dom": _domain_arg(ref), "flags": int(mode)})

    def reset_domain(self, ref: DomainRef) -> None:
        self._call(P.DOMAIN_RESET, {"dom": _domain_arg(ref), "flags": 0})

    def destroy_domain(self, ref: DomainRef) -> None:
        self._call(P.DOMAIN_DESTROY, {"dom": _domain_arg(ref)})

    def suspend_domain(self, ref: DomainRef) -> None:
        self._call(P.DOMAIN_SUSPEND, {"dom": _domain_arg(ref)})

    def resume_domain(self, ref: DomainRef) -> None:
        self._call(P.DOMAIN_RESUME, {"dom": _domain_arg(ref)})

    def get_domain_state(self, ref: DomainRef) -> tuple[DomainState, int]:
        from virt.states import DomainState

        ret = self._call(P.DOMAIN_GET_STATE, {"dom": _domain_arg(ref), "flags": 0})
        return DomainState(ret["state"]), int(ret["reason"])

    def get_domain_info(self, ref: DomainRef) -> DomainInfo:
        from virt.info import DomainInfo
        from virt.states import DomainState

        ret = self._call(P.DOMAIN_GET_INFO, {"dom": _domain_arg(ref)})
        return DomainInfo(
            state=DomainState(ret["state"]),
            max_memory_kib=ret["maxMem"],
            memory_kib=ret["memory"],
            vcpus=ret["nrVirtCpu"],
            cpu_time_ns=ret["cpuTime"],
        )

    def get_domain_xml(self, ref: DomainRef, *, inactive: bool = False, secure: bool = False) -> str:
        flags = (_XML_INACTIVE if inactive else 0) | (_XML_SECURE if secure else 0)
        return str(self._call(P.DOMAIN_GET_XML_DESC, {"dom": _domain_arg(ref), "flags": flags})["xml"])

    def get_domain_definition(self, ref: DomainRef, *, inactive: bool = False, secure: bool = False) -> Domain:
        from virt.xml import Domain

        return Domain.from_xml(self.get_domain_xml(ref, inactive=inactive, secure=secure))

    def get_domain_os_type(self, ref: DomainRef) -> str:
        return str(self._call(P.DOMAIN_GET_OS_TYPE, {"dom": _domain_arg(ref)})["type"])

    def is_domain_active(self, ref: DomainRef) -> bool:
        return bool(self._call(P.DOMAIN_IS_ACTIVE, {"dom": _domain_arg(ref)})["active"])

    def is_domain_persistent(self, ref: DomainRef) -> bool:
        return bool(self._call(P.DOMAIN_IS_PERSISTENT, {"dom": _domain_arg(ref)})["persistent"])

    def get_domain_autostart(self, ref: DomainRef) -> bool:
        return bool(self._call(P.DOMAIN_GET_AUTOSTART, {"dom": _domain_arg(ref)})["autostart"])

    def set_domain_autostart(self, ref: DomainRef, autostart: bool) -> None:
        self._call(P.DOMAIN_SET_AUTOSTART, {"dom": _domain_arg(ref), "autostart": int(autostart)})

    def has_managed_save(self, ref: DomainRef) -> bool:
        return bool(self._call(P.DOMAIN_HAS_MANAGED_SAVE_IMAGE, {"dom": _domain_arg(ref), "flags": 0})["result"])

    def get_domain_security_label(self, ref: DomainRef) -> SecurityLabel | None:
        model = self._call(P.NODE_GET_SECURITY_MODEL)
        if not model["model"]:
            return None
        label = self._call(P.DOMAIN_GET_SECURITY_LABEL, {"dom": _domain_arg(ref)})
        return SecurityLabel(
            model=model["model"], doi=model["doi"], label=label["label"], enforcing=bool(label["enforcing"])
        )

    # -- streams ---------------------------------------------------------------------------------------
    def open_console(self, ref: DomainRef, device: str | None = None, *, force: bool = False) -> socket.socket:
        """DOMAIN_OPEN_CONSOLE: the console's stream bridged to a local socket (virt.remote.streams)."""
        from virt.remote.streams import ConsoleBridge

        bridge = ConsoleBridge(self._client, P.DOMAIN_OPEN_CONSOLE)
        args = {"dom": _domain_arg(ref), "dev_name": device, "flags": _CONSOLE_FORCE if force else 0}
        try:
            self._open_stream(P.DOMAIN_OPEN_CONSOLE, args, bridge)
        except BaseException:
            bridge.user_end.close()
            raise
        return bridge.start(ref.name)

    def screenshot(self, ref: DomainRef, screen: int = 0) -> Screenshot:
        """DOMAIN_SCREENSHOT: the MIME type in the reply, the image as the stream's data."""
        from virt.info import Screenshot
        from virt.remote.streams import BytesReceiver

        receiver = BytesReceiver(self._client, P.DOMAIN_SCREENSHOT)
        reply = self._open_stream(
            P.DOMAIN_SCREENSHOT, {"dom": _domain_arg(ref), "screen": screen, "flags": 0}, receiver
        )
        data = receiver.collect()
        return Screenshot(reply["mime"] or "", data)

    def _open_stream(self, number: int, args: dict[str, Any], receiver: client_module.StreamReceiver) -> Any:
        procedure = messages.REMOTE_PROCEDURES[number]
        try:
            reply = self._client.call(number, procedure.args.encode(args), stream=receiver)
        except VirtError as exc:
            raise _client_side(exc) from None
        return procedure.ret.decode(reply)

    # -- events ----------------------------------------------------------------------------------------
    def subscribe_domain_events(self, callback: Callable[[DomainEvent], None]) -> Callable[[], None]:
        """Lifecycle events through CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY; the daemon sends
        those of every client's changes. Callbacks run in the connection's event thread."""
        return self._subscribe(_Subscription(callback))

    def subscribe_domain_event_id(
        self, event_id: int, callback: Callable[[OtherDomainEvent], None]
    ) -> Callable[[], None]:
        """Events of ``event_id`` through CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, as lifecycle ones."""
        return self._subscribe(_Subscription(callback, event_id=event_id))

    def subscribe_network_events(self, callback: Callable[[NetworkEvent], None]) -> Callable[[], None]:
        """Network lifecycle events through CONNECT_NETWORK_EVENT_REGISTER_ANY, as domain events."""
        return self._subscribe(_Subscription(callback, network=True))

    def _subscribe(self, subscription: _Subscription) -> Callable[[], None]:
        self._register(subscription)

        def unsubscribe() -> None:
            with self._lock:
                if not subscription.active:
                    return
                subscription.active = False
                remote_id = subscription.remote_id
                if remote_id is not None:
                    self._subscriptions.pop(remote_id, None)
            if remote_id is not None and self._client.alive and not self._closed:
                # the daemon forgets our callbacks with the connection anyway
                with contextlib.suppress(VirtError):
                    procedure = (
                        subscription.objects.deregister
                        if subscription.objects is not None
                        else P.CONNECT_NETWORK_EVENT_DEREGISTER_ANY
                        if subscription.network
                        else P.CONNECT_SECRET_EVENT_DEREGISTER_ANY
                        if subscription.secret_event is not None
                        else P.CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY
                    )
                    self._call(procedure, {"callbackID": remote_id})

        return unsubscribe

    def _register(self, subscription: _Subscription) -> None:
        if subscription.objects is not None:
            objects = subscription.objects
            ret = self._call(objects.register, {"eventID": objects.event_id, objects.object_arg: None})
        elif subscription.secret_event is not None:
            ret = self._call(
                P.CONNECT_SECRET_EVENT_REGISTER_ANY, {"eventID": subscription.secret_event, "secret": None}
            )
        elif subscription.network:
            ret = self._call(P.CONNECT_NETWORK_EVENT_REGISTER_ANY, {"eventID": _EVENT_ID_LIFECYCLE, "net": None})
        else:
            ret = self._call(
                P.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, {"eventID": subscription.event_id, "dom": None}
            )
        with self._lock:
            subscription.remote_id = ret["callbackID"]
            self._subscriptions[ret["callbackID"]] = subscription

    def _on_event(self, number: int, payload: bytes) -> None:
        if number in _OBJECT_EVENT_MESSAGES:
            self._on_object_event(number, payload)
            return
        if number in (P.SECRET_EVENT_LIFECYCLE, P.SECRET_EVENT_VALUE_CHANGED):
            self._on_secret_event(number, payload)
            return
        from virt.remote import domainevents

        if number in domainevents.CALLBACK_MESSAGES:
            self._on_other_domain_event(number, payload)
            return
        if number not in (P.DOMAIN_EVENT_CALLBACK_LIFECYCLE, P.NETWORK_EVENT_LIFECYCLE):
            return  # only these and the other domain event ids are ever registered
        from virt.events import DomainEvent
        from virt.networkevents import NetworkEvent, NetworkEventType

        message = messages.REMOTE_PROCEDURES[number].args.decode(payload)
        with self._lock:
            subscription = self._subscriptions.get(message["callbackID"])
        if subscription is None or not subscription.active:
            return
        event: DomainEvent | NetworkEvent
        try:
            if number == P.NETWORK_EVENT_LIFECYCLE:
                event = NetworkEvent(
                    _network_ref(message["net"]), NetworkEventType(message["event"]), message["detail"]
                )
            else:
                body = message["msg"]
                event = DomainEvent(_domain_ref(body["dom"]), body["event"], body["detail"])
        except ValueError:
            return  # an event type newer than this client knows
        subscription.callback(event)

    # -- storage pool and node device events (virt.poolevents, virt.nodedevevents) -------------------------
    def subscribe_storage_pool_events(
        self, event_id: int, callback: Callable[[StoragePoolEvent], None]
    ) -> Callable[[], None]:
        """CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY for ``event_id``, delivered as domain events are."""
        objects = _ObjectEvents(
            P.CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY, P.CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY, event_id, "pool",
            _pool_event,
        )  # fmt: skip
        return self._subscribe(_Subscription(callback, objects=objects))

    def subscribe_node_device_events(
        self, event_id: int, callback: Callable[[NodeDeviceEvent], None]
    ) -> Callable[[], None]:
        """CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY for ``event_id``, delivered as domain events are."""
        objects = _ObjectEvents(
            P.CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY, P.CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY, event_id, "dev",
            _node_device_event,
        )  # fmt: skip
        return self._subscribe(_Subscription(callback, objects=objects))

    def _on_object_event(self, number: int, payload: bytes) -> None:
        message = messages.REMOTE_PROCEDURES[number].args.decode(payload)
        with self._lock:
            subscription = self._subscriptions.get(message["callbackID"])
        if subscription is None or not subscription.active or subscription.objects is None:
            return
        try:
            event = subscription.objects.decode(number, message)
        except ValueError:
            return  # an event type newer than this client knows
        subscription.callback(event)

    # -- CPU baseline (virt.cpubaseline) ---------------------------------------------------------------
    def baseline_cpu(self, xml_cpus: Sequence[str], flags: int) -> str:
        return str(self._call(P.CONNECT_BASELINE_CPU, {"xmlCPUs": list(xml_cpus), "flags": flags})["cpu"])

    def baseline_hypervisor_cpu(
        self,
        emulator: str | None,
        arch: str | None,
        machine: str | None,
        virt_type: str | None,
        xml_cpus: Sequence[str],
        flags: int,
    ) -> str:
        args = {
            "emulator": emulator, "arch": arch, "machine": machine, "virttype": virt_type,
            "xmlCPUs": list(xml_cpus), "flags": flags,
        }  # fmt: skip
        return str(self._call(P.CONNECT_BASELINE_HYPERVISOR_CPU, args)["cpu"])

    # == network filters (virt.nwfilters; virNWFilter*) =============================================
    def list_nwfilters(self, flags: int) -> list[NWFilterRef]:
        ret = self._call(P.CONNECT_LIST_ALL_NWFILTERS, {"need_results": 1, "flags": flags})
        return [NWFilterRef(f["name"], f["uuid"]) for f in ret["filters"]]

    def lookup_nwfilter_by_name(self, name: str) -> NWFilterRef:
        found = self._call(P.NWFILTER_LOOKUP_BY_NAME, {"name": name})["nwfilter"]
        return NWFilterRef(found["name"], found["uuid"])

    def lookup_nwfilter_by_uuid(self, uuid: uuid.UUID) -> NWFilterRef:
        found = self._call(P.NWFILTER_LOOKUP_BY_UUID, {"uuid": uuid})["nwfilter"]
        return NWFilterRef(found["name"], found["uuid"])

    def define_nwfilter(self, xml: str, flags: int) -> NWFilterRef:
        # without flags, the older call libvirt's client makes for virNWFilterDefineXML
        if flags:
            found = self._call(P.NWFILTER_DEFINE_XML_FLAGS, {"xml": xml, "flags": flags})["nwfilter"]
        else:
            found = self._call(P.NWFILTER_DEFINE_XML, {"xml": xml})["nwfilter"]
        return NWFilterRef(found["name"], found["uuid"])

    def undefine_nwfilter(self, ref: NWFilterRef) -> None:
        self._call(P.NWFILTER_UNDEFINE, {"nwfilter": {"name": ref.name, "uuid": ref.uuid}})

    def get_nwfilter_xml(self, ref: NWFilterRef, flags: int) -> str:
        args = {"nwfilter": {"name": ref.name, "uuid": ref.uuid}, "flags": flags}
        return str(self._call(P.NWFILTER_GET_XML_DESC, args)["xml"])

    def list_nwfilter_bindings(self, flags: int) -> list[NWFilterBindingRef]:
        ret = self._call(P.CONNECT_LIST_ALL_NWFILTER_BINDINGS, {"need_results": 1, "flags": flags})
        return [NWFilterBindingRef(b["portdev"], b["filtername"]) for b in ret["bindings"]]

    def lookup_nwfilter_binding(self, portdev: str) -> NWFilterBindingRef:
        found = self._call(P.NWFILTER_BINDING_LOOKUP_BY_PORT_DEV, {"name": portdev})["nwfilter"]
        return NWFilterBindingRef(found["portdev"], found["filtername"])

    def create_nwfilter_binding(self, xml: str, flags: int) -> NWFilterBindingRef:
        found = self._call(P.NWFILTER_BINDING_CREATE_XML, {"xml": xml, "flags": flags})["nwfilter"]
        return NWFilterBindingRef(found["portdev"], found["filtername"])

    def delete_nwfilter_binding(self, ref: NWFilterBindingRef) -> None:
        self._call(P.NWFILTER_BINDING_DELETE, {"nwfilter": {"portdev": ref.portdev, "filtername": ref.filter}})

    def get_nwfilter_binding_xml(self, ref: NWFilterBindingRef, flags: int) -> str:
        args = {"nwfilter": {"portdev": ref.portdev, "filtername": ref.filter}, "flags": flags}
        return str(self._call(P.NWFILTER_BINDING_GET_XML_DESC, args)["xml"])

    # == end of network filters ======================================================================

    # == secrets (virt.secrets; virSecret*) ===========================================================
    def list_secrets(self, flags: int) -> list[SecretRef]:
        ret = self._call(P.CONNECT_LIST_ALL_SECRETS, {"need_results": 1, "flags": flags})
        return [_secret_ref(s) for s in ret["secrets"]]

    def lookup_secret_by_uuid(self, uuid: uuid.UUID) -> SecretRef:
        return _secret_ref(self._call(P.SECRET_LOOKUP_BY_UUID, {"uuid": uuid})["secret"])

    def lookup_secret_by_usage(self, usage_type: int, usage_id: str) -> SecretRef:
        ret = self._call(P.SECRET_LOOKUP_BY_USAGE, {"usageType": usage_type, "usageID": usage_id})
        return _secret_ref(ret["secret"])

    def define_secret(self, xml: str, flags: int) -> SecretRef:
        return _secret_ref(self._call(P.SECRET_DEFINE_XML, {"xml": xml, "flags": flags})["secret"])

    def get_secret_xml(self, ref: SecretRef, flags: int) -> str:
        return str(self._call(P.SECRET_GET_XML_DESC, {"secret": _secret_arg(ref), "flags": flags})["xml"])

    def set_secret_value(self, ref: SecretRef, value: bytes, flags: int) -> None:
        from virt.remote.message_types import SECRET_VALUE_MAX

        if len(value) > SECRET_VALUE_MAX:  # the client's own check, in libvirt's words
            raise VirtError(
                f"value length greater than maximum: {len(value)} > {SECRET_VALUE_MAX}",
                ErrorNumber.RPC,
                ErrorDomain.REMOTE,
            )
        self._call(P.SECRET_SET_VALUE, {"secret": _secret_arg(ref), "value": value, "flags": flags})

    def get_secret_value(self, ref: SecretRef, flags: int) -> bytes:
        return bytes(self._call(P.SECRET_GET_VALUE, {"secret": _secret_arg(ref), "flags": flags})["value"])

    def undefine_secret(self, ref: SecretRef) -> None:
        self._call(P.SECRET_UNDEFINE, {"secret": _secret_arg(ref)})

    def subscribe_secret_events(self, callback: Callable[[SecretEvent], None]) -> Callable[[], None]:
        """Both kinds of secret events, each through its CONNECT_SECRET_EVENT_REGISTER_ANY."""
        from virt.secrets import SECRET_EVENT_ID_LIFECYCLE, SECRET_EVENT_ID_VALUE_CHANGED

        unsubscribes = [
            self._subscribe(_Subscription(callback, secret_event=event_id))
            for event_id in (SECRET_EVENT_ID_LIFECYCLE, SECRET_EVENT_ID_VALUE_CHANGED)
        ]

        def unsubscribe() -> None:
            for each in unsubscribes:
                each()

        return unsubscribe

    # == network ports (virt.networkports; virNetworkPort*) ===========================================
    def list_network_ports(self, ref: NetworkRef, flags: int) -> list[NetworkPortRef]:
        ret = self._call(P.NETWORK_LIST_ALL_PORTS, {"network": _network_arg(ref), "need_results": 1, "flags": flags})
        return [_network_port_ref(p) for p in ret["ports"]]

    def lookup_network_port(self, ref: NetworkRef, uuid: uuid.UUID) -> NetworkPortRef:
        ret = self._call(P.NETWORK_PORT_LOOKUP_BY_UUID, {"network": _network_arg(ref), "uuid": uuid})
        return _network_port_ref(ret["port"])

    def create_network_port(self, ref: NetworkRef, xml: str, flags: int) -> NetworkPortRef:
        ret = self._call(P.NETWORK_PORT_CREATE_XML, {"network": _network_arg(ref), "xml": xml, "flags": flags})
        return _network_port_ref(ret["port"])

    def get_network_port_xml(self, port: NetworkPortRef, flags: int) -> str:
        return str(self._call(P.NETWORK_PORT_GET_XML_DESC, {"port": _network_port_arg(port), "flags": flags})["xml"])

    def delete_network_port(self, port: NetworkPortRef, flags: int) -> None:
        self._call(P.NETWORK_PORT_DELETE, {"port": _network_port_arg(port), "flags": flags})

    def get_network_port_parameters(self, port: NetworkPortRef, flags: int) -> list[TypedParameter]:
        from virt.remote.typedparams import from_wire

        args = {"port": _network_port_arg(port), "nparams": 0, "flags": flags}
        ret = self._call(P.NETWORK_PORT_GET_PARAMETERS, args)
        return from_wire(ret["params"])

    def set_network_port_parameters(self, port: NetworkPortRef, params: Sequence[TypedParameter], flags: int) -> None:
        from virt.remote.typedparams import to_wire

        args = {"port": _network_port_arg(port), "params": to_wire(params), "flags": flags}
        self._call(P.NETWORK_PORT_SET_PARAMETERS, args)

    # == end of network ports =========================================================================

    def _on_secret_event(self, number: int, payload: bytes) -> None:
        from virt.secrets import SECRET_EVENT_ID_LIFECYCLE, SECRET_EVENT_ID_VALUE_CHANGED, SecretEvent, SecretEventType

        message = messages.REMOTE_PROCEDURES[number].args.decode(payload)
        with self._lock:
            subscription = self._subscriptions.get(message["callbackID"])
        if subscription is None or not subscription.active:
            return
        ref = _secret_ref(message["secret"])
        if number == P.SECRET_EVENT_LIFECYCLE:
            try:
                kind = SecretEventType(message["event"])
            except ValueError:
                return  # an event type newer than this client knows
            event = SecretEvent(ref, SECRET_EVENT_ID_LIFECYCLE, kind, message["detail"])
        else:
            event = SecretEvent(ref, SECRET_EVENT_ID_VALUE_CHANGED)
        subscription.callback(event)

    # == end of secrets ===============================================================================

    def _on_other_domain_event(self, number: int, payload: bytes) -> None:
        """A domain event of an id other than lifecycle (virt.remote.domainevents decodes it)."""
        from virt.remote import domainevents

        callback_id, event = domainevents.decode(number, payload)
        with self._lock:
            subscription = self._subscriptions.get(callback_id)
        if subscription is None or not subscription.active or subscription.event_id != event.event_id:
            return
        subscription.callback(event)

    # -- host interfaces (virInterface*) ---------------------------------------------------------------
    def list_interfaces(self, active: bool | None = None) -> list[InterfaceRef]:
        flags = 0 if active is None else 2 if active else 1  # VIR_CONNECT_LIST_INTERFACES_ACTIVE / _INACTIVE
        ret = self._call(P.CONNECT_LIST_ALL_INTERFACES, {"need_results": 1, "flags": flags})
        return [InterfaceRef(i["name"], i["mac"]) for i in ret["ifaces"]]

    def lookup_interface_by_name(self, name: str) -> InterfaceRef:
        found = self._call(P.INTERFACE_LOOKUP_BY_NAME, {"name": name})["iface"]
        return InterfaceRef(found["name"], found["mac"])

    def lookup_interface_by_mac(self, mac: str) -> InterfaceRef:
        found = self._call(P.INTERFACE_LOOKUP_BY_MAC_STRING, {"mac": mac})["iface"]
        return InterfaceRef(found["name"], found["mac"])

    def get_interface_definition(self, ref: InterfaceRef, *, inactive: bool = False) -> HostInterface:
        from virt.xml.hostinterface import HostInterface

        args = {"iface": {"name": ref.name, "mac": ref.mac}, "flags": 1 if inactive else 0}
        return HostInterface.from_xml(self._call(P.INTERFACE_GET_XML_DESC, args)["xml"])

    def define_interface(self, interface: HostInterface) -> InterfaceRef:
        found = self._call(P.INTERFACE_DEFINE_XML, {"xml": interface.to_xml(), "flags": 0})["iface"]
        return InterfaceRef(found["name"], found["mac"])

    def undefine_interface(self, ref: InterfaceRef) -> None:
        self._call(P.INTERFACE_UNDEFINE, {"iface": {"name": ref.name, "mac": ref.mac}})

    def start_interface(self, ref: InterfaceRef) -> None:
        self._call(P.INTERFACE_CREATE, {"iface": {"name": ref.name, "mac": ref.mac}, "flags": 0})

    def destroy_interface(self, ref: InterfaceRef) -> None:
        self._call(P.INTERFACE_DESTROY, {"iface": {"name": ref.name, "mac": ref.mac}, "flags": 0})

    def is_interface_active(self, ref: InterfaceRef) -> bool:
        return bool(self._call(P.INTERFACE_IS_ACTIVE, {"iface": {"name": ref.name, "mac": ref.mac}})["active"])

    def begin_interface_change(self) -> None:
        self._call(P.INTERFACE_CHANGE_BEGIN, {"flags": 0})

    def commit_interface_change(self) -> None:
        self._call(P.INTERFACE_CHANGE_COMMIT, {"flags": 0})

    def rollback_interface_change(self) -> None:
        self._call(P.INTERFACE_CHANGE_ROLLBACK, {"flags": 0})

    # -- networks --------------------------------------------------------------------------------------
    def list_networks(self, filter: ObjectFilter) -> list[NetworkRef]:
        ret = self._call(P.CONNECT_LIST_ALL_NETWORKS, {"need_results": 1, "flags": object_list_flags(filter)})
        return [_network_ref(n) for n in ret["nets"]]

    def lookup_network_by_name(self, name: str) -> NetworkRef:
        return _network_ref(self._call(P.NETWORK_LOOKUP_BY_NAME, {"name": name})["net"])

    def lookup_network_by_uuid(self, uuid: uuid.UUID) -> NetworkRef:
        return _network_ref(self._call(P.NETWORK_LOOKUP_BY_UUID, {"uuid": uuid})["net"])

    def get_network_definition(self, ref: NetworkRef, *, inactive: bool = False) -> Network:
        from virt.xml import Network

        flags = _NETWORK_XML_INACTIVE if inactive else 0
        return Network.from_xml(self._call(P.NETWORK_GET_XML_DESC, {"net": _network_arg(ref), "flags": flags})["xml"])

    def define_network(self, network: Network) -> NetworkRef:
        return _network_ref(self._call(P.NETWORK_DEFINE_XML, {"xml": network.to_xml()})["net"])

    def create_network(self, network: Network) -> NetworkRef:
        return _network_ref(self._call(P.NETWORK_CREATE_XML, {"xml": network.to_xml()})["net"])

    def undefine_network(self, ref: NetworkRef) -> None:
        self._call(P.NETWORK_UNDEFINE, {"net": _network_arg(ref)})

    def start_network(self, ref: NetworkRef) -> None:
        self._call(P.NETWORK_CREATE, {"net": _network_arg(ref)})

    def destroy_network(self, ref: NetworkRef) -> None:
        self._call(P.NETWORK_DESTROY, {"net": _network_arg(ref)})

    def is_network_active(self, ref: NetworkRef) -> bool:
        return bool(self._call(P.NETWORK_IS_ACTIVE, {"net": _network_arg(ref)})["active"])

    def is_network_persistent(self, ref: NetworkRef) -> bool:
        return bool(self._call(P.NETWORK_IS_PERSISTENT, {"net": _network_arg(ref)})["persistent"])

    def get_network_autostart(self, ref: NetworkRef) -> bool:
        return bool(self._call(P.NETWORK_GET_AUTOSTART, {"net": _network_arg(ref)})["autostart"])

    def set_network_autostart(self, ref: NetworkRef, autostart: bool) -> None:
        self._call(P.NETWORK_SET_AUTOSTART, {"net": _network_arg(ref), "autostart": int(autostart)})

    def update_network(
        self, ref: NetworkRef, command: int, section: int, parent_index: int, xml: str, flags: int
    ) -> None:
        args = {"command": command, "section": section, "parentIndex": parent_index, "xml": xml, "flags": flags}
        self._call(P.NETWORK_UPDATE, {"net": _network_arg(ref), **args})

    def get_network_dhcp_leases(self, ref: NetworkRef, mac: str | None) -> list[NetworkDHCPLease]:
        from virt.remote.calls.networks import lease_from_wire

        args = {"net": _network_arg(ref), "mac": mac, "need_results": 1, "flags": 0}
        return [lease_from_wire(lease) for lease in self._call(P.NETWORK_GET_DHCP_LEASES, args)["leases"]]

    # -- storage pools ---------------------------------------------------------------------------------
    def list_storage_pools(self, filter: ObjectFilter) -> list[StoragePoolRef]:
        ret = self._call(P.CONNECT_LIST_ALL_STORAGE_POOLS, {"need_results": 1, "flags": object_list_flags(filter)})
        return [_pool_ref(p) for p in ret["pools"]]

    def lookup_storage_pool_by_name(self, name: str) -> StoragePoolRef:
        return _pool_ref(self._call(P.STORAGE_POOL_LOOKUP_BY_NAME, {"name": name})["pool"])

    def lookup_storage_pool_by_uuid(self, uuid: uuid.UUID) -> StoragePoolRef:
        return _pool_ref(self._call(P.STORAGE_POOL_LOOKUP_BY_UUID, {"uuid": uuid})["pool"])

    def get_storage_pool_definition(self, ref: StoragePoolRef, *, inactive: bool = False) -> StoragePool:
        from virt.xml import StoragePool

        flags = _STORAGE_XML_INACTIVE if inactive else 0
        ret = self._call(P.STORAGE_POOL_GET_XML_DESC, {"pool": _pool_arg(ref), "flags": flags})
        return StoragePool.from_xml(ret["xml"])

    def get_storage_pool_info(self, ref: StoragePoolRef) -> StoragePoolInfo:
        ret = self._call(P.STORAGE_POOL_GET_INFO, {"pool": _pool_arg(ref)})
        return StoragePoolInfo(
            active=ret["state"] in _POOL_ACTIVE_STATES,
            capacity=ret["capacity"],
            allocation=ret["allocation"],
            available=ret["available"],
        )

    def define_storage_pool(self, pool: StoragePool) -> StoragePoolRef:
        return _pool_ref(self._call(P.STORAGE_POOL_DEFINE_XML, {"xml": pool.to_xml(), "flags": 0})["pool"])

    def create_storage_pool(self, pool: StoragePool, *, build: BuildFlags | None = None) -> StoragePoolRef:
        args = {"xml": pool.to_xml(), "flags": pool_create_flags(build)}
        return _pool_ref(self._call(P.STORAGE_POOL_CREATE_XML, args)["pool"])

    def undefine_storage_pool(self, ref: StoragePoolRef) -> None:
        self._call(P.STORAGE_POOL_UNDEFINE, {"pool": _pool_arg(ref)})

    def start_storage_pool(self, ref: StoragePoolRef, *, build: BuildFlags | None = None) -> None:
        self._call(P.STORAGE_POOL_CREATE, {"pool": _pool_arg(ref), "flags": pool_create_flags(build)})

    def destroy_storage_pool(self, ref: StoragePoolRef) -> None:
        self._call(P.STORAGE_POOL_DESTROY, {"pool": _pool_arg(ref)})

    def is_storage_pool_persistent(self, ref: StoragePoolRef) -> bool:
        return bool(self._call(P.STORAGE_POOL_IS_PERSISTENT, {"pool": _pool_arg(ref)})["persistent"])

    def get_storage_pool_autostart(self, ref: StoragePoolRef) -> bool:
        return bool(self._call(P.STORAGE_POOL_GET_AUTOSTART, {"pool": _pool_arg(ref)})["autostart"])

    def set_storage_pool_autostart(self, ref: StoragePoolRef, autostart: bool) -> None:
        self._call(P.STORAGE_POOL_SET_AUTOSTART, {"pool": _pool_arg(ref), "autostart": int(autostart)})

    def build_storage_pool(self, ref: StoragePoolRef, *, overwrite: bool = False, no_overwrite: bool = False) -> None:
        flags = (_BUILD_OVERWRITE if overwrite else 0) | (_BUILD_NO_OVERWRITE if no_overwrite else 0)
        self._call(P.STORAGE_POOL_BUILD, {"pool": _pool_arg(ref), "flags": flags})

    def delete_storage_pool(self, ref: StoragePoolRef) -> None:
        self._call(P.STORAGE_POOL_DELETE, {"pool": _pool_arg(ref), "flags": 0})

    def refresh_storage_pool(self, ref: StoragePoolRef) -> None:
        self._call(P.STORAGE_POOL_REFRESH, {"pool": _pool_arg(ref), "flags": 0})

    # -- storage volumes -------------------------------------------------------------------------------
    def list_storage_volumes(self, pool: StoragePoolRef) -> list[StorageVolumeRef]:
        ret = self._call(P.STORAGE_POOL_LIST_ALL_VOLUMES, {"pool": _pool_arg(pool), "need_results": 1, "flags": 0})
        return [_volume_ref(v) for v in ret["vols"]]

    def lookup_storage_volume_by_name(self, pool: StoragePoolRef, name: str) -> StorageVolumeRef:
        return _volume_ref(self._call(P.STORAGE_VOL_LOOKUP_BY_NAME, {"pool": _pool_arg(pool), "name": name})["vol"])

    def lookup_storage_volume_by_key(self, key: str) -> StorageVolumeRef:
        return _volume_ref(self._call(P.STORAGE_VOL_LOOKUP_BY_KEY, {"key": key})["vol"])

    def lookup_storage_volume_by_path(self, path: str) -> StorageVolumeRef:
        return _volume_ref(self._call(P.STORAGE_VOL_LOOKUP_BY_PATH, {"path": path})["vol"])

    def get_storage_volume_definition(self, ref: StorageVolumeRef) -> StorageVolume:
        from virt.xml import StorageVolume

        return StorageVolume.from_xml(
            self._call(P.STORAGE_VOL_GET_XML_DESC, {"vol": _volume_arg(ref), "flags": 0})["xml"]
        )

    def get_storage_volume_info(self, ref: StorageVolumeRef) -> StorageVolumeInfo:
        ret = self._call(P.STORAGE_VOL_GET_INFO, {"vol": _volume_arg(ref)})
        kind = ret["type"]
        return StorageVolumeInfo(
            type=_VOLUME_TYPES[kind] if 0 <= kind < len(_VOLUME_TYPES) else str(kind),
            capacity=ret["capacity"],
            allocation=ret["allocation"],
        )

    def get_storage_volume_path(self, ref: StorageVolumeRef) -> str:
        return str(self._call(P.STORAGE_VOL_GET_PATH, {"vol": _volume_arg(ref)})["name"])

    def create_storage_volume(
        self, pool: StoragePoolRef, volume: StorageVolume, *, prealloc_metadata: bool = False
    ) -> StorageVolumeRef:
        args = {"pool": _pool_arg(pool), "xml": volume.to_xml(), "flags": int(prealloc_metadata)}
        return _volume_ref(self._call(P.STORAGE_VOL_CREATE_XML, args)["vol"])

    def create_storage_volume_from(
        self, pool: StoragePoolRef, volume: StorageVolume, source: StorageVolumeRef, *, prealloc_metadata: bool = False
    ) -> StorageVolumeRef:
        args = {
            "pool": _pool_arg(pool),
            "xml": volume.to_xml(),
            "clonevol": _volume_arg(source),
            "flags": int(prealloc_metadata),
        }
        return _volume_ref(self._call(P.STORAGE_VOL_CREATE_XML_FROM, args)["vol"])

    def delete_storage_volume(self, ref: StorageVolumeRef) -> None:
        self._call(P.STORAGE_VOL_DELETE, {"vol": _volume_arg(ref), "flags": 0})

    def wipe_storage_volume(self, ref: StorageVolumeRef, algorithm: int = 0) -> None:
        if algorithm:
            self._call(P.STORAGE_VOL_WIPE_PATTERN, {"vol": _volume_arg(ref), "algorithm": algorithm, "flags": 0})
        else:
            self._call(P.STORAGE_VOL_WIPE, {"vol": _volume_arg(ref), "flags": 0})

    def resize_storage_volume(
        self, ref: StorageVolumeRef, capacity: int, *, delta: bool = False, shrink: bool = False, allocate: bool = False
    ) -> None:
        flags = resize_flags(delta=delta, shrink=shrink, allocate=allocate)
        self._call(P.STORAGE_VOL_RESIZE, {"vol": _volume_arg(ref), "capacity": capacity, "flags": flags})

    # -- statistics and information (virt.domainstats) -------------------------------------------------
    _cpu_count: int | None = None
    """The host's CPU count once asked (it sizes every cpumap)."""

    def get_node_cpu_map(self) -> NodeCPUMap:
        from virt.domainstats import NodeCPUMap, cpus_of_map

        ret = self._call(P.NODE_GET_CPU_MAP, {"need_map": 1, "need_online": 1, "flags": 0})
        return NodeCPUMap(ret["ret"], cpus_of_map(ret["cpumap"]))

    def _host_cpu_count(self) -> int:
        """The host's CPU count, which sizes the cpumaps (virsh's virshNodeGetCPUCount), asked once."""
        count = self._cpu_count
        if count is None:
            try:
                count = int(self._call(P.NODE_GET_CPU_MAP, {"need_map": 0, "need_online": 0, "flags": 0})["ret"])
            except NotSupported:
                info = self.get_node_info()
                count = info.nodes * info.sockets * info.cores * info.threads
            self._cpu_count = count
        return count

    def get_domain_vcpus(self, ref: DomainRef) -> list[VcpuInfo]:
        from virt.domainstats import VcpuInfo, VcpuState, cpumap_length, cpus_of_map

        maxinfo = self.get_domain_info(ref).vcpus
        maplen = cpumap_length(self._host_cpu_count())
        ret = self._call(P.DOMAIN_GET_VCPUS, {"dom": _domain_arg(ref), "maxinfo": maxinfo, "maplen": maplen})
        maps = ret["cpumaps"]
        return [
            VcpuInfo(
                info["number"],
                VcpuState(info["state"]) if 0 <= info["state"] < len(VcpuState) else VcpuState.OFFLINE,
                info["cpu_time"],
                info["cpu"],
                cpus_of_map(maps[n * maplen : (n + 1) * maplen]),
            )
            for n, info in enumerate(ret["info"])
        ]

    def get_domain_vcpu_pin_info(
        self, ref: DomainRef, *, live: bool = False, config: bool = False
    ) -> list[frozenset[int]]:
        from virt.domainstats import cpumap_length, cpus_of_map

        flags = (1 if live else 0) | (2 if config else 0)
        # every vCPU, the offline ones too: the maximum of the definition asked about
        count = int(self._call(P.DOMAIN_GET_VCPUS_FLAGS, {"dom": _domain_arg(ref), "flags": flags | 4})["num"])
        maplen = cpumap_length(self._host_cpu_count())
        ret = self._call(
            P.DOMAIN_GET_VCPU_PIN_INFO, {"dom": _domain_arg(ref), "ncpumaps": count, "maplen": maplen, "flags": flags}
        )
        maps = ret["cpumaps"]
        return [cpus_of_map(maps[n * maplen : (n + 1) * maplen]) for n in range(ret["num"])]

    def get_domain_emulator_pin_info(
        self, ref: DomainRef, *, live: bool = False, config: bool = False
    ) -> frozenset[int]:
        from virt.domainstats import cpumap_length, cpus_of_map

        flags = (1 if live else 0) | (2 if config else 0)
        maplen = cpumap_length(self._host_cpu_count())
        ret = self._call(P.DOMAIN_GET_EMULATOR_PIN_INFO, {"dom": _domain_arg(ref), "maplen": maplen, "flags": flags})
        return cpus_of_map(ret["cpumaps"]) if ret["ret"] else frozenset()

    def get_domain_memory_stats(self, ref: DomainRef) -> MemoryStats:
        from virt.domainstats import MEMORY_STAT_NR, MemoryStat

        ret = self._call(P.DOMAIN_MEMORY_STATS, {"dom": _domain_arg(ref), "maxStats": MEMORY_STAT_NR, "flags": 0})
        known = {int(tag) for tag in MemoryStat}
        return [(MemoryStat(s["tag"]), s["val"]) for s in ret["stats"] if s["tag"] in known]

    def get_domain_block_stats(self, ref: DomainRef, disk: str) -> BlockStats:
        from virt.domainstats import BlockStats

        ret = self._call(P.DOMAIN_BLOCK_STATS, {"dom": _domain_arg(ref), "path": disk})
        return BlockStats(ret["rd_req"], ret["rd_bytes"], ret["wr_req"], ret["wr_bytes"], ret["errs"])

    def get_domain_block_stats_flags(self, ref: DomainRef, disk: str) -> list[TypedParameter]:
        args = {"dom": _domain_arg(ref), "path": disk, "nparams": 0, "flags": _TYPED_PARAM_STRING_OKAY}
        count = self._call(P.DOMAIN_BLOCK_STATS_FLAGS, args)["nparams"]
        if not count:
            return []
        return _typed_params(self._call(P.DOMAIN_BLOCK_STATS_FLAGS, {**args, "nparams": count})["params"])

    def get_domain_interface_stats(self, ref: DomainRef, device: str) -> InterfaceStats:
        from virt.domainstats import InterfaceStats

        ret = self._call(P.DOMAIN_INTERFACE_STATS, {"dom": _domain_arg(ref), "path": device})
        return InterfaceStats(**ret)

    def get_domain_block_info(self, ref: DomainRef, disk: str) -> BlockInfo:
        from virt.domainstats import BlockInfo

        ret = self._call(P.DOMAIN_GET_BLOCK_INFO, {"dom": _domain_arg(ref), "path": disk, "flags": 0})
        return BlockInfo(capacity=ret["capacity"], allocation=ret["allocation"], physical=ret["physical"])

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
        from virt.domainstats import DomainStatsRecord

        listing, check_states = domain_list_flags(filter)
        flags = (
            (listing & _STATS_FILTER_FLAGS)
            | (_STATS_NOWAIT if nowait else 0)
            | (_STATS_BACKING if backing else 0)
            | (_STATS_ENFORCE if enforce else 0)
        )
        doms = [_domain_arg(ref) for ref in refs] if refs else []
        ret = self._call(P.CONNECT_GET_ALL_DOMAIN_STATS, {"doms": doms, "stats": int(groups), "flags": flags})
        records = [DomainStatsRecord(_domain_ref(r["dom"]), tuple(_typed_params(r["params"]))) for r in ret["retStats"]]
        if check_states and filter.states is not None:
            records = [r for r in records if self.get_domain_state(r.domain)[0] in filter.states]
        return records

    def get_domain_job_info(self, ref: DomainRef, *, completed: bool = False) -> JobInfo:
        from virt.domainstats import JobInfo, JobType

        ret = self._call(P.DOMAIN_GET_JOB_STATS, {"dom": _domain_arg(ref), "flags": 1 if completed else 0})
        return JobInfo.from_stats(JobType(ret["type"]), tuple(_typed_params(ret["params"])))

    def get_domain_time(self, ref: DomainRef) -> GuestTime:
        from virt.domainstats import GuestTime

        ret = self._call(P.DOMAIN_GET_TIME, {"dom": _domain_arg(ref), "flags": 0})
        return GuestTime(ret["seconds"], ret["nseconds"])

    # -- host devices (virt.nodedevices) --------------------------------------------------------------
    def list_node_devices(self, flags: int) -> list[str]:
        ret = self._call(P.CONNECT_LIST_ALL_NODE_DEVICES, {"need_results": 1, "flags": flags})
        return [device["name"] for device in ret["devices"]]

    def lookup_node_device(self, name: str) -> str:
        return str(self._call(P.NODE_DEVICE_LOOKUP_BY_NAME, {"name": name})["dev"]["name"])

    def get_node_device_xml(self, name: str) -> str:
        return str(self._call(P.NODE_DEVICE_GET_XML_DESC, {"name": name, "flags": 0})["xml"])

    def get_node_device_parent(self, name: str) -> str | None:
        parent = self._call(P.NODE_DEVICE_GET_PARENT, {"name": name})["parent"]
        return None if parent is None else str(parent)

    def list_node_device_caps(self, name: str) -> list[str]:
        count = self._call(P.NODE_DEVICE_NUM_OF_CAPS, {"name": name})["num"]
        return list(self._call(P.NODE_DEVICE_LIST_CAPS, {"name": name, "maxnames": count})["names"])

    def create_node_device(self, xml: str, flags: int) -> str:
        return str(self._call(P.NODE_DEVICE_CREATE_XML, {"xml_desc": xml, "flags": flags})["dev"]["name"])

    def destroy_node_device(self, name: str) -> None:
        self._call(P.NODE_DEVICE_DESTROY, {"name": name})

    # -- snapshots (virt.snapshots) -------------------------------------------------------------------
    def _snap_arg(self, ref: DomainRef, name: str) -> dict[str, Any]:
        return {"name": name, "dom": _domain_arg(ref)}

    def create_domain_snapshot(self, ref: DomainRef, xml: str, flags: int) -> str:
        args = {"dom": _domain_arg(ref), "xml_desc": xml, "flags": flags}
        return str(self._call(P.DOMAIN_SNAPSHOT_CREATE_XML, args)["snap"]["name"])

    def list_domain_snapshots(self, ref: DomainRef, flags: int, of: str | None = None) -> list[str]:
        if of is not None:
            snap = {"name": of, "dom": _domain_arg(ref)}
            args = {"snapshot": snap, "need_results": 1, "flags": flags}
            ret = self._call(P.DOMAIN_SNAPSHOT_LIST_ALL_CHILDREN, args)
            return [child["name"] for child in ret["snapshots"]]
        ret = self._call(P.DOMAIN_LIST_ALL_SNAPSHOTS, {"dom": _domain_arg(ref), "need_results": 1, "flags": flags})
        return [snap["name"] for snap in ret["snapshots"]]

    def lookup_domain_snapshot(self, ref: DomainRef, name: str) -> str:
        args = {"dom": _domain_arg(ref), "name": name, "flags": 0}
        return str(self._call(P.DOMAIN_SNAPSHOT_LOOKUP_BY_NAME, args)["snap"]["name"])

    def get_domain_snapshot_xml(self, ref: DomainRef, name: str, *, secure: bool = False) -> str:
        args = {"snap": self._snap_arg(ref, name), "flags": 1 if secure else 0}
        return str(self._call(P.DOMAIN_SNAPSHOT_GET_XML_DESC, args)["xml"])

    def get_domain_snapshot_parent(self, ref: DomainRef, name: str) -> str:
        args = {"snap": self._snap_arg(ref, name), "flags": 0}
        return str(self._call(P.DOMAIN_SNAPSHOT_GET_PARENT, args)["snap"]["name"])

    def current_domain_snapshot(self, ref: DomainRef) -> str | None:
        if not self._call(P.DOMAIN_HAS_CURRENT_SNAPSHOT, {"dom": _domain_arg(ref), "flags": 0})["result"]:
            return None
        return str(self._call(P.DOMAIN_SNAPSHOT_CURRENT, {"dom": _domain_arg(ref), "flags": 0})["snap"]["name"])

    def delete_domain_snapshot(self, ref: DomainRef, name: str, flags: int) -> None:
        self._call(P.DOMAIN_SNAPSHOT_DELETE, {"snap": self._snap_arg(ref, name), "flags": flags})

    # -- snapshot revert and checkpoints (virt.snapshots, virt.checkpoints) ---------------------------
    def revert_domain_snapshot(self, ref: DomainRef, name: str, flags: int) -> None:
        self._call(P.DOMAIN_REVERT_TO_SNAPSHOT, {"snap": self._snap_arg(ref, name), "flags": flags})

    def create_domain_checkpoint(self, ref: DomainRef, xml: str, flags: int) -> str:
        args = {"dom": _domain_arg(ref), "xml_desc": xml, "flags": flags}
        return str(self._call(P.DOMAIN_CHECKPOINT_CREATE_XML, args)["checkpoint"]["name"])

    def list_domain_checkpoints(self, ref: DomainRef, flags: int, of: str | None = None) -> list[str]:
        if of is not None:
            args = {"checkpoint": self._snap_arg(ref, of), "need_results": 1, "flags": flags}
            ret = self._call(P.DOMAIN_CHECKPOINT_LIST_ALL_CHILDREN, args)
        else:
            args = {"dom": _domain_arg(ref), "need_results": 1, "flags": flags}
            ret = self._call(P.DOMAIN_LIST_ALL_CHECKPOINTS, args)
        return [chk["name"] for chk in ret["checkpoints"]]

    def lookup_domain_checkpoint(self, ref: DomainRef, name: str) -> str:
        args = {"dom": _domain_arg(ref), "name": name, "flags": 0}
        return str(self._call(P.DOMAIN_CHECKPOINT_LOOKUP_BY_NAME, args)["checkpoint"]["name"])

    def get_domain_checkpoint_xml(self, ref: DomainRef, name: str, flags: int) -> str:
        args = {"checkpoint": self._snap_arg(ref, name), "flags": flags}
        return str(self._call(P.DOMAIN_CHECKPOINT_GET_XML_DESC, args)["xml"])

    def get_domain_checkpoint_parent(self, ref: DomainRef, name: str) -> str:
        args = {"checkpoint": self._snap_arg(ref, name), "flags": 0}
        return str(self._call(P.DOMAIN_CHECKPOINT_GET_PARENT, args)["parent"]["name"])

    def delete_domain_checkpoint(self, ref: DomainRef, name: str, flags: int) -> None:
        self._call(P.DOMAIN_CHECKPOINT_DELETE, {"checkpoint": self._snap_arg(ref, name), "flags": flags})

    # -- control interface (virt.domaincontrol) ------------------------------------------------------
    def get_domain_control_info(self, ref: DomainRef, flags: int) -> ControlInfo:
        from virt.domaincontrol import ControlInfo

        ret = self._call(P.DOMAIN_GET_CONTROL_INFO, {"dom": _domain_arg(ref), "flags": flags})
        return ControlInfo(ret["state"], ret["details"], ret["stateTime"])

    # -- NMI and guest clock setting ----------------------------------------------------------------
    def inject_domain_nmi(self, ref: DomainRef, flags: int) -> None:
        self._call(P.DOMAIN_INJECT_NMI, {"dom": _domain_arg(ref), "flags": flags})

    def set_domain_time(self, ref: DomainRef, seconds: int, nseconds: int, flags: int) -> None:
        args = {"dom": _domain_arg(ref), "seconds": seconds, "nseconds": nseconds, "flags": flags}
        self._call(P.DOMAIN_SET_TIME, args)

    # -- rename -------------------------------------------------------------------------------------
    def rename_domain(self, ref: DomainRef, new_name: str, flags: int) -> None:
        self._call(P.DOMAIN_RENAME, {"dom": _domain_arg(ref), "new_name": new_name, "flags": flags})

    # -- scheduler parameters (virt.scheduler) ------------------------------------------------------
    def get_domain_scheduler_type(self, ref: DomainRef) -> SchedulerType:
        from virt.scheduler import SchedulerType

        ret = self._call(P.DOMAIN_GET_SCHEDULER_TYPE, {"dom": _domain_arg(ref)})
        return SchedulerType(ret["type"], ret["nparams"])

    def get_domain_scheduler_parameters(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        # as libvirt's client: the count comes from the scheduler type, then the call asks for that many
        count = self.get_domain_scheduler_type(ref).nparams
        if not count:
            return []
        dom = _domain_arg(ref)
        if flags:
            ret = self._call(P.DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS, {"dom": dom, "nparams": count, "flags": flags})
        else:
            ret = self._call(P.DOMAIN_GET_SCHEDULER_PARAMETERS, {"dom": dom, "nparams": count})
        return _typed_params(ret["params"])

    def set_domain_scheduler_parameters(self, ref: DomainRef, params: Sequence[TypedParameter], flags: int) -> None:
        from virt.remote.typedparams import to_wire

        args = {"dom": _domain_arg(ref), "params": to_wire(params)}
        if flags:
            self._call(P.DOMAIN_SET_SCHEDULER_PARAMETERS_FLAGS, {**args, "flags": flags})
        else:
            self._call(P.DOMAIN_SET_SCHEDULER_PARAMETERS, args)

    # -- tunables (virt.tunables): memtune, numatune, blkiotune, perf, domiftune, blkdeviotune ------
    def _tunables(self, procedure: P, args: dict[str, Any]) -> list[TypedParameter]:
        # as libvirt's client: the first call asks how many there are, the second for that many
        count = self._call(procedure, {**args, "nparams": 0})["nparams"]
        if not count:
            return []
        return _typed_params(self._call(procedure, {**args, "nparams": count})["params"])

    def get_domain_memory_parameters(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        return self._tunables(P.DOMAIN_GET_MEMORY_PARAMETERS, {"dom": _domain_arg(ref), "flags": flags})

    def set_domain_memory_parameters(self, ref: DomainRef, params: Sequence[TypedParameter], flags: int) -> None:
        from virt.remote.typedparams import to_wire

        self._call(P.DOMAIN_SET_MEMORY_PARAMETERS, {"dom": _domain_arg(ref), "params": to_wire(params), "flags": flags})

    def get_domain_numa_parameters(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        return self._tunables(P.DOMAIN_GET_NUMA_PARAMETERS, {"dom": _domain_arg(ref), "flags": flags})

    def set_domain_numa_parameters(self, ref: DomainRef, params: Sequence[TypedParameter], flags: int) -> None:
        from virt.remote.typedparams import to_wire

        self._call(P.DOMAIN_SET_NUMA_PARAMETERS, {"dom": _domain_arg(ref), "params": to_wire(params), "flags": flags})

    def get_domain_blkio_parameters(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        return self._tunables(P.DOMAIN_GET_BLKIO_PARAMETERS, {"dom": _domain_arg(ref), "flags": flags})

    def set_domain_blkio_parameters(self, ref: DomainRef, params: Sequence[TypedParameter], flags: int) -> None:
        from virt.remote.typedparams import to_wire

        self._call(P.DOMAIN_SET_BLKIO_PARAMETERS, {"dom": _domain_arg(ref), "params": to_wire(params), "flags": flags})

    def get_domain_perf_events(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        return _typed_params(self._call(P.DOMAIN_GET_PERF_EVENTS, {"dom": _domain_arg(ref), "flags": flags})["params"])

    def set_domain_perf_events(self, ref: DomainRef, params: Sequence[TypedParameter], flags: int) -> None:
        from virt.remote.typedparams import to_wire

        self._call(P.DOMAIN_SET_PERF_EVENTS, {"dom": _domain_arg(ref), "params": to_wire(params), "flags": flags})

    def get_domain_interface_parameters(self, ref: DomainRef, device: str, flags: int) -> list[TypedParameter]:
        args = {"dom": _domain_arg(ref), "device": device, "flags": flags}
        return self._tunables(P.DOMAIN_GET_INTERFACE_PARAMETERS, args)

    def set_domain_interface_parameters(
        self, ref: DomainRef, device: str, params: Sequence[TypedParameter], flags: int
    ) -> None:
        from virt.remote.typedparams import to_wire

        args = {"dom": _domain_arg(ref), "device": device, "params": to_wire(params), "flags": flags}
        self._call(P.DOMAIN_SET_INTERFACE_PARAMETERS, args)

    def get_domain_block_io_tune(self, ref: DomainRef, disk: str, flags: int) -> list[TypedParameter]:
        return self._tunables(P.DOMAIN_GET_BLOCK_IO_TUNE, {"dom": _domain_arg(ref), "disk": disk, "flags": flags})

    def set_domain_block_io_tune(self, ref: DomainRef, disk: str, params: Sequence[TypedParameter], flags: int) -> None:
        from virt.remote.typedparams import to_wire

        args = {"dom": _domain_arg(ref), "disk": disk, "params": to_wire(params), "flags": flags}
        self._call(P.DOMAIN_SET_BLOCK_IO_TUNE, args)

    # -- domain changes: memory, processors, pinning, keys, metadata, managed save, guest agent ------
    def set_domain_memory(self, ref: DomainRef, kib: int, impact: Impact, *, maximum: bool = False) -> None:
        dom = _domain_arg(ref)
        if maximum and not impact:
            self._call(P.DOMAIN_SET_MAX_MEMORY, {"dom": dom, "memory": kib})
        else:
            flags = int(impact) | (_MEM_MAXIMUM if maximum else 0)
            self._call(P.DOMAIN_SET_MEMORY_FLAGS, {"dom": dom, "memory": kib, "flags": flags})

    def set_domain_memory_stats_period(self, ref: DomainRef, period: int, impact: Impact) -> None:
        args = {"dom": _domain_arg(ref), "period": period, "flags": int(impact)}
        self._call(P.DOMAIN_SET_MEMORY_STATS_PERIOD, args)

    def set_domain_vcpus(
        self, ref: DomainRef, count: int, impact: Impact, *, maximum: bool = False, hotpluggable: bool = False
    ) -> None:
        flags = int(impact) | (_VCPU_MAXIMUM if maximum else 0) | (_VCPU_HOTPLUGGABLE if hotpluggable else 0)
        self._call(P.DOMAIN_SET_VCPUS_FLAGS, {"dom": _domain_arg(ref), "nvcpus": count, "flags": flags})

    def _cpumap(self, cpus: frozenset[int]) -> bytes:
        """A cpumap as long as the host's, or longer when ``cpus`` names CPUs beyond it (the driver refuses those)."""
        from virt.domainstats import cpumap_bytes, cpumap_length

        return cpumap_bytes(cpus, max(cpumap_length(self._host_cpu_count()), cpumap_length(max(cpus, default=0) + 1)))

    def pin_domain_vcpu(self, ref: DomainRef, vcpu: int, cpus: frozenset[int], impact: Impact) -> None:
        cpumap = self._cpumap(cpus)
        args = {"dom": _domain_arg(ref), "vcpu": vcpu, "cpumap": cpumap, "flags": int(impact)}
        self._call(P.DOMAIN_PIN_VCPU_FLAGS, args)

    def pin_domain_emulator(self, ref: DomainRef, cpus: frozenset[int], impact: Impact) -> None:
        cpumap = self._cpumap(cpus)
        self._call(P.DOMAIN_PIN_EMULATOR, {"dom": _domain_arg(ref), "cpumap": cpumap, "flags": int(impact)})

    # -- device hotplug and unplug -------------------------------------------------------------------
    def attach_device(self, ref: DomainRef, xml: str, flags: int) -> None:
        self._call(P.DOMAIN_ATTACH_DEVICE_FLAGS, {"dom": _domain_arg(ref), "xml": xml, "flags": flags})

    def detach_device(self, ref: DomainRef, xml: str, flags: int) -> None:
        self._call(P.DOMAIN_DETACH_DEVICE_FLAGS, {"dom": _domain_arg(ref), "xml": xml, "flags": flags})

    def update_device(self, ref: DomainRef, xml: str, flags: int) -> None:
        self._call(P.DOMAIN_UPDATE_DEVICE_FLAGS, {"dom": _domain_arg(ref), "xml": xml, "flags": flags})

    def detach_device_alias(self, ref: DomainRef, alias: str, flags: int) -> None:
        self._call(P.DOMAIN_DETACH_DEVICE_ALIAS, {"dom": _domain_arg(ref), "alias": alias, "flags": flags})

    def send_domain_key(self, ref: DomainRef, codeset: int, holdtime_ms: int, keycodes: Sequence[int]) -> None:
        args = {"dom": _domain_arg(ref), "codeset": codeset, "holdtime": holdtime_ms, "keycodes": list(keycodes)}
        self._call(P.DOMAIN_SEND_KEY, {**args, "flags": 0})

    def get_domain_metadata(self, ref: DomainRef, kind: MetadataType, uri: str | None, impact: Impact) -> str:
        args = {"dom": _domain_arg(ref), "type": int(kind), "uri": uri, "flags": int(impact)}
        return str(self._call(P.DOMAIN_GET_METADATA, args)["metadata"])

    def set_domain_metadata(
        self, ref: DomainRef, kind: MetadataType, value: str | None, key: str | None, uri: str | None, impact: Impact
    ) -> None:
        args = {"dom": _domain_arg(ref), "type": int(kind), "metadata": value, "key": key, "uri": uri}
        self._call(P.DOMAIN_SET_METADATA, {**args, "flags": int(impact)})

    def undefine_domain_flags(self, ref: DomainRef, flags: UndefineFlags) -> None:
        self._call(P.DOMAIN_UNDEFINE_FLAGS, {"dom": _domain_arg(ref), "flags": int(flags)})

    def managed_save_domain(self, ref: DomainRef, flags: SaveFlags) -> None:
        self._call(P.DOMAIN_MANAGED_SAVE, {"dom": _domain_arg(ref), "flags": int(flags)})

    def remove_managed_save(self, ref: DomainRef) -> None:
        self._call(P.DOMAIN_MANAGED_SAVE_REMOVE, {"dom": _domain_arg(ref), "flags": 0})

    def get_managed_save_xml(self, ref: DomainRef, secure: bool) -> str:
        args = {"dom": _domain_arg(ref), "flags": int(SaveImageXMLFlags.SECURE if secure else 0)}
        return str(self._call(P.DOMAIN_MANAGED_SAVE_GET_XML_DESC, args)["xml"])

    def define_managed_save_xml(self, ref: DomainRef, xml: str | None, flags: SaveFlags) -> None:
        self._call(P.DOMAIN_MANAGED_SAVE_DEFINE_XML, {"dom": _domain_arg(ref), "dxml": xml, "flags": int(flags)})

    # -- saved state ------------------------------------------------------------------------------
    def start_domain_flags(self, ref: DomainRef, flags: StartFlags) -> None:
        self._call(P.DOMAIN_CREATE_WITH_FLAGS, {"dom": _domain_arg(ref), "flags": int(flags)})

    def save_domain(self, ref: DomainRef, path: str, xml: str | None, flags: SaveFlags) -> None:
        if xml is None and not flags:
            self._call(P.DOMAIN_SAVE, {"dom": _domain_arg(ref), "to": path})
        else:
            self._call(P.DOMAIN_SAVE_FLAGS, {"dom": _domain_arg(ref), "to": path, "dxml": xml, "flags": int(flags)})

    def restore_domain(self, path: str, xml: str | None, flags: SaveFlags) -> None:
        if xml is None and not flags:
            self._call(P.DOMAIN_RESTORE, {"from": path})
        else:
            self._call(P.DOMAIN_RESTORE_FLAGS, {"from": path, "dxml": xml, "flags": int(flags)})

    def get_save_image_xml(self, path: str, secure: bool) -> str:
        args = {"file": path, "flags": int(SaveImageXMLFlags.SECURE if secure else 0)}
        return str(self._call(P.DOMAIN_SAVE_IMAGE_GET_XML_DESC, args)["xml"])

    def define_save_image_xml(self, path: str, xml: str, flags: SaveFlags) -> None:
        self._call(P.DOMAIN_SAVE_IMAGE_DEFINE_XML, {"file": path, "dxml": xml, "flags": int(flags)})

    def get_domain_interface_addresses(self, ref: DomainRef, source: AddressSource) -> list[DomainInterface]:
        from virt.domainchanges import DomainInterface, IPAddress, IPAddressType

        ret = self._call(P.DOMAIN_INTERFACE_ADDRESSES, {"dom": _domain_arg(ref), "source": int(source), "flags": 0})
        return [
            DomainInterface(
                iface["name"],
                iface["hwaddr"],
                tuple(IPAddress(IPAddressType(a["type"]), a["addr"], a["prefix"]) for a in iface["addrs"]),
            )
            for iface in ret["ifaces"]
        ]

    def get_domain_filesystems(self, ref: DomainRef) -> list[FilesystemInfo]:
        from virt.domainchanges import FilesystemInfo

        ret = self._call(P.DOMAIN_GET_FSINFO, {"dom": _domain_arg(ref), "flags": 0})
        return [
            FilesystemInfo(fs["mountpoint"], fs["name"], fs["fstype"], tuple(fs["dev_aliases"])) for fs in ret["info"]
        ]

    def freeze_domain_filesystems(self, ref: DomainRef, mountpoints: Sequence[str]) -> int:
        args = {"dom": _domain_arg(ref), "mountpoints": list(mountpoints), "flags": 0}
        return int(self._call(P.DOMAIN_FSFREEZE, args)["filesystems"])

    def thaw_domain_filesystems(self, ref: DomainRef, mountpoints: Sequence[str]) -> int:
        args = {"dom": _domain_arg(ref), "mountpoints": list(mountpoints), "flags": 0}
        return int(self._call(P.DOMAIN_FSTHAW, args)["filesystems"])

    def get_domain_hostname(self, ref: DomainRef, source: HostnameSource) -> str:
        return str(self._call(P.DOMAIN_GET_HOSTNAME, {"dom": _domain_arg(ref), "flags": int(source)})["hostname"])

    # -- domaincalls: CPU statistics, lifecycle actions, fstrim, disk errors, process signals, memory
    # peek, user password, launch security, core dump, creation with files (virt.domaincalls) -------
    def get_domain_cpu_stats(self, ref: DomainRef, nparams: int, start_cpu: int, ncpus: int, flags: int) -> CPUStats:
        from virt.domaincalls import CPUStats

        if nparams > _NODE_CPU_STATS_MAX or ncpus > _CPU_STATS_NCPUS_MAX or nparams * ncpus > _CPU_STATS_MAX:
            raise _rpc_error("remoteDomainGetCPUStats: too many parameters requested")
        args = {"dom": _domain_arg(ref), "nparams": nparams, "start_cpu": start_cpu, "ncpus": ncpus, "flags": flags}
        ret = self._call(P.DOMAIN_GET_CPU_STATS, args)
        count, params = int(ret["nparams"]), _typed_params(ret["params"])
        if len(params) > nparams * ncpus or (params and (count > nparams or count <= 0 or len(params) % count)):
            raise _rpc_error("remoteDomainGetCPUStats: returned number of stats exceeds limit")
        if not nparams:
            return CPUStats(count)
        # the daemon sends the CPUs' parameters in a row, the first CPUs first
        rows = tuple(
            (start_cpu + n if start_cpu >= 0 else start_cpu, tuple(params[n * count : (n + 1) * count]))
            for n in range(len(params) // count if count else 0)
        )
        return CPUStats(count, rows)

    def set_domain_lifecycle_action(self, ref: DomainRef, type_: int, action: int, flags: int) -> None:
        args = {"dom": _domain_arg(ref), "type": type_, "action": action, "flags": flags}
        self._call(P.DOMAIN_SET_LIFECYCLE_ACTION, args)

    def trim_domain_filesystems(self, ref: DomainRef, mountpoint: str | None, minimum: int, flags: int) -> None:
        args = {"dom": _domain_arg(ref), "mountPoint": mountpoint, "minimum": minimum, "flags": flags}
        self._call(P.DOMAIN_FSTRIM, args)

    def get_domain_disk_errors(self, ref: DomainRef, maxerrors: int, flags: int) -> DiskErrors:
        from virt.domaincalls import DiskErrorInfo, DiskErrors
        from virt.remote.message_types import DOMAIN_DISK_ERRORS_MAX

        if maxerrors > DOMAIN_DISK_ERRORS_MAX:
            raise _rpc_error(f"too many disk errors requested: {maxerrors} > {DOMAIN_DISK_ERRORS_MAX}")
        ret = self._call(P.DOMAIN_GET_DISK_ERRORS, {"dom": _domain_arg(ref), "maxerrors": maxerrors, "flags": flags})
        errors = tuple(DiskErrorInfo(e["disk"], int(e["error"])) for e in ret["errors"])
        return DiskErrors(int(ret["nerrors"]), errors)

    def send_domain_process_signal(self, ref: DomainRef, pid: int, signum: int, flags: int) -> None:
        args = {"dom": _domain_arg(ref), "pid_value": pid, "signum": signum, "flags": flags}
        self._call(P.DOMAIN_SEND_PROCESS_SIGNAL, args)

    def peek_domain_memory(self, ref: DomainRef, start: int, size: int, flags: int) -> bytes:
        from virt.remote.calls.domaincalls import DOMAIN_MEMORY_PEEK_BUFFER_MAX as limit

        if size > limit:
            raise _rpc_error(f"memory peek request too large for remote protocol, {size} > {limit}")
        args = {"dom": _domain_arg(ref), "offset": start, "size": size, "flags": flags}
        buffer = bytes(self._call(P.DOMAIN_MEMORY_PEEK, args)["buffer"])
        if len(buffer) != size:
            raise _rpc_error("returned buffer is not same size as requested")
        return buffer

    def get_domain_iothread_info(self, ref: DomainRef, flags: int) -> list[IOThreadInfo]:
        from virt.domainstats import cpus_of_map
        from virt.iothreads import IOThreadInfo

        ret = self._call(P.DOMAIN_GET_IOTHREAD_INFO, {"dom": _domain_arg(ref), "flags": flags})
        return [
            IOThreadInfo(int(one["iothread_id"]), cpus_of_map(bytes(one["cpumap"])), len(one["cpumap"]) * 8)
            for one in ret["info"]
        ]

    def pin_domain_iothread(self, ref: DomainRef, iothread_id: int, cpus: frozenset[int], flags: int) -> None:
        from virt.domainstats import cpumap_bytes, cpumap_length

        cpumap = cpumap_bytes(cpus, cpumap_length(max(cpus, default=0) + 1))
        args = {"dom": _domain_arg(ref), "iothreads_id": iothread_id, "cpumap": cpumap, "flags": flags}
        self._call(P.DOMAIN_PIN_IOTHREAD, args)

    def add_domain_iothread(self, ref: DomainRef, iothread_id: int, flags: int) -> None:
        self._call(P.DOMAIN_ADD_IOTHREAD, {"dom": _domain_arg(ref), "iothread_id": iothread_id, "flags": flags})

    def del_domain_iothread(self, ref: DomainRef, iothread_id: int, flags: int) -> None:
        self._call(P.DOMAIN_DEL_IOTHREAD, {"dom": _domain_arg(ref), "iothread_id": iothread_id, "flags": flags})

    def set_domain_iothread_params(
        self, ref: DomainRef, iothread_id: int, params: Sequence[TypedParameter], flags: int
    ) -> None:
        from virt.remote.typedparams import to_wire

        args = {"dom": _domain_arg(ref), "iothread_id": iothread_id, "params": to_wire(params), "flags": flags}
        self._call(P.DOMAIN_SET_IOTHREAD_PARAMS, args)

    def get_domain_guest_vcpus(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        return _typed_params(self._call(P.DOMAIN_GET_GUEST_VCPUS, {"dom": _domain_arg(ref), "flags": flags})["params"])

    def set_domain_guest_vcpus(self, ref: DomainRef, cpumap: str, state: bool, flags: int) -> None:
        args = {"dom": _domain_arg(ref), "cpumap": cpumap, "state": int(state), "flags": flags}
        self._call(P.DOMAIN_SET_GUEST_VCPUS, args)

    def get_domain_authorized_ssh_keys(self, ref: DomainRef, user: str, flags: int) -> list[str]:
        ret = self._call(P.DOMAIN_AUTHORIZED_SSH_KEYS_GET, {"dom": _domain_arg(ref), "user": user, "flags": flags})
        return [str(key) for key in ret["keys"]]

    def set_domain_authorized_ssh_keys(self, ref: DomainRef, user: str, keys: Sequence[str], flags: int) -> None:
        from virt.remote.calls.domaincalls import DOMAIN_AUTHORIZED_SSH_KEYS_MAX as limit

        if len(keys) > limit:
            raise _rpc_error(f"Number of keys {len(keys)}, which exceeds max limit: {limit}")
        args = {"dom": _domain_arg(ref), "user": user, "keys": list(keys), "flags": flags}
        self._call(P.DOMAIN_AUTHORIZED_SSH_KEYS_SET, args)

    def set_domain_agent_response_timeout(self, ref: DomainRef, timeout: int, flags: int) -> None:
        self._call(P.DOMAIN_AGENT_SET_RESPONSE_TIMEOUT, {"dom": _domain_arg(ref), "timeout": timeout, "flags": flags})

    def peek_domain_block(self, ref: DomainRef, disk: str, offset: int, size: int, flags: int) -> bytes:
        from virt.remote.calls.domaincalls import DOMAIN_BLOCK_PEEK_BUFFER_MAX as limit

        if size > limit:
            raise _rpc_error(f"block peek request too large for remote protocol, {size} > {limit}")
        args = {"dom": _domain_arg(ref), "path": disk, "offset": offset, "size": size, "flags": flags}
        buffer = bytes(self._call(P.DOMAIN_BLOCK_PEEK, args)["buffer"])
        if len(buffer) != size:
            raise _rpc_error("returned buffer is not same size as requested")
        return buffer

    def set_domain_user_password(self, ref: DomainRef, user: str, password: str, flags: int) -> None:
        args = {"dom": _domain_arg(ref), "user": user, "password": password, "flags": flags}
        self._call(P.DOMAIN_SET_USER_PASSWORD, args)

    def get_domain_launch_security_info(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        ret = self._call(P.DOMAIN_GET_LAUNCH_SECURITY_INFO, {"dom": _domain_arg(ref), "flags": flags})
        return _typed_params(ret["params"])

    def core_dump_domain(self, ref: DomainRef, path: str, dumpformat: int | None, flags: int) -> None:
        args: dict[str, Any] = {"dom": _domain_arg(ref), "to": path, "flags": flags}
        if dumpformat is None:
            self._call(P.DOMAIN_CORE_DUMP, args)
        else:
            self._call(P.DOMAIN_CORE_DUMP_WITH_FORMAT, {**args, "dumpformat": dumpformat})

    def _passing(self, files: Sequence[int]) -> Sequence[int]:
        """``files``, once the daemon said it takes descriptors (libvirt's client asks the same way)."""
        if files and not self._call(P.CONNECT_SUPPORTS_FEATURE, {"feature": Feature.FD_PASSING})["supported"]:
            raise libvirt_error(
                ErrorNumber.ARGUMENT_UNSUPPORTED, "fd passing is not supported by this connection", ErrorDomain.DOMAIN
            )
        return files

    def create_domain_with_files(self, domain: Domain, files: Sequence[int], flags: int) -> DomainRef:
        args = {"xml_desc": domain.to_xml(), "flags": flags}
        ret = self._call_on(self._client, P.DOMAIN_CREATE_XML_WITH_FILES, args, self._passing(files))
        return _domain_ref(ret["dom"])

    def start_domain_with_files(self, ref: DomainRef, files: Sequence[int], flags: int) -> None:
        args = {"dom": _domain_arg(ref), "flags": flags}
        self._call_on(self._client, P.DOMAIN_CREATE_WITH_FILES, args, self._passing(files))


# virConnectGetAllDomainStatsFlags beyond the listing filters (bits 1-128, the same as listing's)
_STATS_FILTER_FLAGS = 0xFF
_STATS_NOWAIT, _STATS_BACKING, _STATS_ENFORCE = 1 << 29, 1 << 30, 1 << 31
_TYPED_PARAM_STRING_OKAY = 4


_NODE_CPU_STATS_MAX = 16
_CPU_STATS_NCPUS_MAX = 128
_CPU_STATS_MAX = 2048
"""REMOTE_NODE_CPU_STATS_MAX, REMOTE_DOMAIN_GET_CPU_STATS_NCPUS_MAX and REMOTE_DOMAIN_GET_CPU_STATS_MAX."""


def _rpc_error(message: str) -> VirtError:
    return VirtError(message, ErrorNumber.RPC, ErrorDomain.RPC)


def _typed_params(wire: list[dict[str, Any]]) -> list[TypedParameter]:
    from virt.remote.typedparams import from_wire

    return from_wire(wire)


def _client_side(error: VirtError) -> VirtError:
    """The error a caller sees: libvirt's client turns the daemon's "unknown procedure" into NO_SUPPORT."""
    if (
        error.code == ErrorNumber.RPC
        and error.domain == ErrorDomain.RPC
        and error.message.startswith("unknown procedure")
    ):
        return NotSupported(error.message, ErrorNumber.NO_SUPPORT, ErrorDomain.RPC)
    return error
