"""XenConnection: one open ``xen:///system`` or ``xen+ssh://[user@]host[:port]/system`` connection.

A thin door onto the process's driver instance for that dom0 (``driver.acquire``), which owns the
definitions and status files and runs ``xl`` there; closing the last connection lets go of the
instance, never of the domains.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from virt.errors import ErrorDomain
from virt.localstate.connection import LocalConnection
from virt.localstate.consoles import ConsoleSessions
from virt.localstate.metadata import LocalMetadata

from virt_xen import errors, hostinfo
from virt_xen.driver import XenDriver, acquire, release
from virt_xen.paths import XenPaths
from virt_xen.xl import parse_vcpus

if TYPE_CHECKING:
    import socket
    from collections.abc import Callable, Sequence

    from virt.domainchanges import Impact, SaveFlags, UndefineFlags
    from virt.domainsave import StartFlags
    from virt.domainstats import TypedParameter, VcpuInfo
    from virt.driver import DomainRef
    from virt.events import DomainEvent
    from virt.info import DomainFilter, DomainInfo, NodeInfo
    from virt.scheduler import SchedulerType
    from virt.states import DomainState
    from virt.uri import URI
    from virt.xml import Capabilities

NATIVE_FORMATS = ("xen-xl", "xen-xm")
"""libvirt's libxl driver's native formats (XEN_CONFIG_FORMAT_XL and _XM)."""

_consoles = ConsoleSessions(ErrorDomain.LIBXL)
"""The open console sessions of this process, by (dom0, domain UUID, console)."""


class XenConnection(LocalMetadata, LocalConnection[XenDriver]):
    """The lookups, definitions, lifecycle and properties of domains are ``LocalConnection``'s;
    the host's facts are the hypervisor's (``xl info``)."""

    driver_name = "Xen"
    error_domain = ErrorDomain.LIBXL
    os_type = "xen"

    def __init__(self, uri: URI, *, readonly: bool = False) -> None:
        super().__init__(uri, readonly=readonly)
        self._driver = acquire(XenPaths.for_uri(uri), uri)
        self._info: dict[str, str] | None = None
        self._info_lock = threading.Lock()

    @property
    def xen(self) -> XenDriver:
        return self.local

    def _release(self, driver: XenDriver) -> None:
        release(driver)

    # -- host -------------------------------------------------------------------------------------
    def _xl_info(self, *, numa: bool = False) -> dict[str, str]:
        if numa:
            return self.xen.xl.info(numa=True)
        with self._info_lock:
            if self._info is None:
                self._info = self.xen.xl.info()
            return self._info

    def get_version(self) -> int:
        return hostinfo.version(self._xl_info())

    def get_hostname(self) -> str:
        if not self.xen.paths.remote:
            return super().get_hostname()
        return self._xl_info().get("host") or self.uri.host or ""

    def get_node_info(self) -> NodeInfo:
        return hostinfo.node_info(self._xl_info())

    def get_capabilities(self) -> Capabilities:
        return hostinfo.capabilities(self._xl_info(numa=True))

    def get_node_free_memory(self) -> int:
        """Bytes free for new domains (``xl info``'s free_memory, MiB)."""
        info = self.xen.xl.info()
        return int(info.get("free_memory", "0").split()[0]) * 1024 * 1024

    # -- states are the hypervisor's: current before each answer --------------------------------------
    def list_domains(self, filter: DomainFilter) -> list[DomainRef]:
        self.xen.fresh()
        return super().list_domains(filter)

    def get_domain_state(self, ref: DomainRef) -> tuple[DomainState, int]:
        self.xen.fresh()
        return super().get_domain_state(ref)

    def is_domain_active(self, ref: DomainRef) -> bool:
        self.xen.fresh()
        return super().is_domain_active(ref)

    def get_domain_info(self, ref: DomainRef) -> DomainInfo:
        return self.xen.info(ref)

    def get_domain_os_type(self, ref: DomainRef) -> str:
        definition = self.xen.find(ref).current
        os_type = definition.os.type.name if definition.os is not None and definition.os.type is not None else None
        # libvirt calls a PV guest's type "linux" in XML and "xen" everywhere else
        return "xen" if os_type in (None, "linux") else os_type

    def subscribe_domain_events(self, callback: Callable[[DomainEvent], None]) -> Callable[[], None]:
        self.xen.follow()  # someone listens: follow dom0 as it changes
        return super().subscribe_domain_events(callback)

    # -- lifecycle with flags ------------------------------------------------------------------------
    def start_domain_flags(self, ref: DomainRef, flags: StartFlags) -> None:
        from virt.domainsave import StartFlags

        taken = StartFlags.PAUSED | StartFlags.FORCE_BOOT
        if flags & ~taken:
            raise errors.unsupported_flags(int(flags & ~taken), "libxlDomainCreateWithFlags")
        self.xen.start_flags(
            ref, paused=bool(flags & StartFlags.PAUSED), force_boot=bool(flags & StartFlags.FORCE_BOOT)
        )

    def save_domain(self, ref: DomainRef, path: str, xml: str | None, flags: SaveFlags) -> None:
        if flags:
            raise errors.unsupported_flags(int(flags), "libxlDomainSaveFlags")
        self.xen.save(ref, path, xml)

    def restore_domain(self, path: str, xml: str | None, flags: SaveFlags) -> None:
        from virt.domainchanges import SaveFlags

        if flags & ~SaveFlags.PAUSED:
            raise errors.unsupported_flags(int(flags & ~SaveFlags.PAUSED), "libxlDomainRestoreFlags")
        self.xen.restore(path, xml, paused=bool(flags & SaveFlags.PAUSED))

    def set_domain_vcpus(
        self, ref: DomainRef, count: int, impact: Impact, *, maximum: bool = False, hotpluggable: bool = False
    ) -> None:
        if hotpluggable:
            raise errors.unsupported_flags(0x10, "libxlDomainSetVcpusFlags")
        self.xen.set_vcpus(ref, count, impact, maximum=maximum)

    def set_domain_memory(self, ref: DomainRef, kib: int, impact: Impact, *, maximum: bool = False) -> None:
        self.xen.set_memory(ref, kib, impact, maximum=maximum)

    def get_max_vcpus(self, virt_type: str | None) -> int:
        """libxlConnectGetMaxVcpus: the hypervisor's CPU count (``max_cpu_id`` + 1) for type Xen."""
        if virt_type is not None and virt_type.lower() != "xen":
            raise errors.invalid_arg(f"unknown type '{virt_type}'")
        return int(self._xl_info().get("max_cpu_id", "0").split()[0]) + 1

    # -- vCPUs ------------------------------------------------------------------------------------------
    def _host_cpus(self) -> frozenset[int]:
        return frozenset(range(int(self._xl_info().get("nr_cpus", "1").split()[0])))

    def get_domain_vcpus(self, ref: DomainRef) -> list[VcpuInfo]:
        """libxlDomainGetVcpus: ``xl vcpu-list`` of the running domain."""
        from virt.domainstats import VcpuInfo, VcpuState
        from virt.xml.convert import CPUSET

        with self.xen.locked(ref) as obj:
            if not obj.active:
                raise errors.invalid("cannot list vcpus for an inactive domain")
            text = self.xen.xl.text(["vcpu-list", str(obj.id)], f"Failed to list vcpus for domain '{obj.id}'")
        host = self._host_cpus()
        found: list[VcpuInfo] = []
        for vcpu in parse_vcpus(text):
            state = VcpuState.OFFLINE
            if "r" in vcpu.state:
                state = VcpuState.RUNNING
            elif "b" in vcpu.state:
                state = VcpuState.BLOCKED
            affinity = host if vcpu.hard_affinity == "all" else frozenset(CPUSET.parse(vcpu.hard_affinity))
            found.append(VcpuInfo(vcpu.number, state, int(vcpu.cpu_time * 1_000_000_000), vcpu.cpu, affinity))
        return found

    def get_domain_vcpu_pin_info(
        self, ref: DomainRef, *, live: bool = False, config: bool = False
    ) -> list[frozenset[int]]:
        from virt.localstate import stats

        with self.xen.locked(ref) as obj:
            return stats.vcpu_affinities(stats.one_definition(obj, live=live, config=config), self._host_cpus())

    def pin_domain_vcpu(self, ref: DomainRef, vcpu: int, cpus: frozenset[int], impact: Impact) -> None:
        """libxlDomainPinVcpuFlags: ``xl vcpu-pin`` live, ``<cputune><vcpupin>`` in the definitions."""
        from virt import domainchanges as rules
        from virt.localstate import stats
        from virt.xml.convert import CPUSET

        host = self._host_cpus()
        if not cpus or not cpus <= host:
            raise errors.invalid_arg(f"cpumap {CPUSET.format(cpus) if cpus else '(empty)'} names no CPU of the host")
        with self.xen.locked(ref) as obj:
            if obj.control:
                raise errors.dom0()
            live, config = rules.resolve_impact(impact, active=obj.active, persistent=obj.persistent)
            edited = [d for d, wanted in ((obj.live, live), (obj.config, config)) if wanted and d is not None]
            for definition in edited:
                count = stats.max_vcpus(definition)
                if vcpu >= count:
                    raise errors.invalid_arg(f"vcpu {vcpu} is out of range of live cpu count {count}")
            # every host CPU: the pin goes, as libvirt drops a pin to all CPUs
            pin = None if cpus == host else cpus
            if live and obj.live is not None:
                self.xen.xl.act("vcpu-pin", obj.id, str(vcpu), CPUSET.format(cpus), what="Failed to pin vcpu")
                rules.set_vcpu_pin(obj.live, vcpu, pin)
                self.xen.save_status(obj)
            if config and obj.config is not None:
                rules.set_vcpu_pin(obj.config, vcpu, pin)
                self.xen.definitions.save(obj.config)

    # -- scheduler (libxl's credit scheduler's weight and cap) -------------------------------------------
    def _scheduler(self, ref: DomainRef) -> tuple[str, int]:
        """The hypervisor's scheduler and the running domain's id (libvirt asks for a running domain)."""
        with self.xen.locked(ref) as obj:
            if not obj.active:
                raise errors.not_running()
            domid = obj.id
        return self._xl_info().get("xen_scheduler", ""), domid

    def get_domain_scheduler_type(self, ref: DomainRef) -> SchedulerType:
        """libxlDomainGetSchedulerType: credit has two parameters (weight, cap), the others none here."""
        from virt.scheduler import SchedulerType

        name, _ = self._scheduler(ref)
        if name not in ("credit", "credit2", "sedf", "arinc653"):
            raise errors.internal(f"Failed to get scheduler id for domain '{ref.id}' with libxenlight")
        return SchedulerType(name, 2 if name == "credit" else 0)

    def _credit(self, ref: DomainRef) -> int:
        name, domid = self._scheduler(ref)
        if name != "credit":
            raise errors.internal("Only 'credit' scheduler is supported")
        return domid

    def get_domain_scheduler_parameters(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        """``xl sched-credit -d DOMID``: weight and cap."""
        from virt.domainstats import ParamType, TypedParameter
        from virt.scheduler import TYPED_PARAM_STRING_OKAY

        if flags & ~TYPED_PARAM_STRING_OKAY:
            raise errors.unsupported_flags(flags & ~TYPED_PARAM_STRING_OKAY, "libxlDomainGetSchedulerParametersFlags")
        domid = self._credit(ref)
        what = f"Failed to get scheduler parameters for domain '{domid}' with libxenlight"
        lines = self.xen.xl.text(["sched-credit", "-d", str(domid)], what).split("\n")
        fields = lines[1].split() if len(lines) > 1 else []
        if len(fields) < 4 or not fields[-2].isdigit() or not fields[-1].isdigit():
            raise errors.internal(f"{what}: 'xl sched-credit' said {lines!r}")
        return [
            TypedParameter("weight", ParamType.UINT, int(fields[-2])),
            TypedParameter("cap", ParamType.UINT, int(fields[-1])),
        ]

    def set_domain_scheduler_parameters(self, ref: DomainRef, params: Sequence[TypedParameter], flags: int) -> None:
        """``xl sched-credit -d DOMID -w WEIGHT -c CAP``."""
        from virt.domainstats import ParamType
        from virt.scheduler import validate

        if flags:
            raise errors.unsupported_flags(flags, "libxlDomainSetSchedulerParametersFlags")
        validate(params, {"weight": ParamType.UINT, "cap": ParamType.UINT}, ErrorDomain.LIBXL)
        domid = self._credit(ref)
        args = ["sched-credit", "-d", str(domid)]
        for param in params:
            args += ["-w" if param.field == "weight" else "-c", str(int(param.value))]
        self.xen.xl.text(args, f"Failed to set scheduler parameters for domain '{domid}' with libxenlight")

    # -- native formats (virt_xen.xlcfg through virt.native) ---------------------------------------------
    def domain_xml_from_native(self, native_format: str, native_config: str, flags: int) -> str:
        from virt.native import from_native

        if flags:
            raise errors.unsupported_flags(flags, "libxlConnectDomainXMLFromNative")
        if native_format not in NATIVE_FORMATS:
            raise errors.invalid_arg(f"unsupported config type {native_format}")
        return from_native(native_format, native_config)

    def domain_xml_to_native(self, native_format: str, domain_xml: str, flags: int) -> str:
        from virt.native import to_native

        if flags:
            raise errors.unsupported_flags(flags, "libxlConnectDomainXMLToNative")
        if native_format not in NATIVE_FORMATS:
            raise errors.invalid_arg(f"unsupported config type {native_format}")
        return to_native(native_format, domain_xml)

    # -- metadata (virt.localstate.metadata) ----------------------------------------------------------
    def _metadata_refused(self, obj: Any) -> None:
        if obj.control:
            raise errors.dom0()

    # -- dumps and managed save -----------------------------------------------------------------------------
    def core_dump_domain(self, ref: DomainRef, path: str, dumpformat: int | None, flags: int) -> None:
        """virDomainCoreDump: ``xl dump-core`` to ``path`` on dom0 (the guest keeps running, paused
        meanwhile by xl; CRASH: destroyed after)."""
        self.xen.core_dump(ref, path, dumpformat, flags)

    def managed_save_domain(self, ref: DomainRef, flags: SaveFlags) -> None:
        if flags:
            raise errors.unsupported_flags(int(flags), "libxlDomainManagedSave")
        self.xen.managed_save(ref)

    def remove_managed_save(self, ref: DomainRef) -> None:
        self.xen.remove_managed_save(ref)

    def undefine_domain(self, ref: DomainRef) -> None:
        self.undefine_domain_flags(ref, _no_undefine_flags())

    def undefine_domain_flags(self, ref: DomainRef, flags: UndefineFlags) -> None:
        from virt.domainchanges import UndefineFlags

        taken = UndefineFlags.MANAGED_SAVE
        if flags & ~taken:
            raise errors.unsupported_flags(int(flags & ~taken), "libxlDomainUndefineFlags")
        self.xen.undefine_with(ref, managed_save=bool(flags & UndefineFlags.MANAGED_SAVE))

    # -- console ------------------------------------------------------------------------------------
    def open_console(self, ref: DomainRef, device: str | None = None, *, force: bool = False) -> socket.socket:
        """The guest's console through ``xl console`` on dom0 (a PV console, or an HVM guest's
        serial port), as a stream: one session per console, as libvirt's chrdev table allows."""
        kind, number = _console(device)
        with self.xen.locked(ref) as obj:
            if obj.control:
                raise errors.dom0()
            if not obj.active:
                raise errors.not_running()
            domid = obj.id
            key = (self.xen.paths.host, obj.uuid, kind, number)
            _consoles.check(key, force=force)
            argv = ["xl", "console", "-t", kind, "-n", str(number), str(domid)]
            spawned = self.xen.dom0.spawn(argv) if self.xen.dom0 is not None else None
            assert spawned is not None
            return _consoles.open(key, spawned.read_fd, spawned.write_fd, spawned.stop)


def _no_undefine_flags() -> UndefineFlags:
    from virt.domainchanges import UndefineFlags

    return UndefineFlags.NONE


def _console(device: str | None) -> tuple[str, int]:
    """``console0`` / ``serial1`` (libvirt's aliases) -> (xl's console type, number); None: the first PV console."""
    if device is None:
        return "pv", 0
    match = re.fullmatch(r"(console|serial)(\d+)", device)
    if match is None:
        raise errors.internal(f"cannot find character device {device}")
    return ("pv" if match[1] == "console" else "serial"), int(match[2])
