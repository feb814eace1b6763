"""LxcConnection: one open ``lxc:///`` connection.

A thin door onto the process's shared driver instance (``driver.acquire``), which owns the state
folder and talks to the containers' controllers; closing the last connection lets go of the
instance, never of the containers.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs
from virt.driver import DomainRef, DriverConnection
from virt.errors import ErrorDomain, ErrorNumber
from virt.localstate import hostinfo as local_host

from virt_lxc import errors, hostinfo
from virt_lxc.driver import LxcDriver, acquire, release
from virt_lxc.paths import DriverPaths

if TYPE_CHECKING:
    from virt.events import DomainEvent
    from virt.info import DomainFilter, DomainInfo, NodeInfo
    from virt.states import DomainState, ShutdownMode
    from virt.uri import URI
    from virt.xml import Domain

    from virt_lxc.runtime import DomainObj


def _ref(obj: DomainObj) -> DomainRef:
    return DomainRef(name=obj.name, uuid=obj.uuid, id=obj.id)


@attrs.frozen
class Namespaces:
    """What entering a running container needs (``virt lxc-enter-namespace``)."""

    init_pid: int
    cgroups: str
    """``ContainerCgroup.to_text()``: the cgroups to join."""
    user_namespace: bool


class LxcConnection(DriverConnection):
    driver_name = "LXC"
    error_domain = ErrorDomain.LXC

    def __init__(self, uri: URI, *, readonly: bool = False) -> None:
        super().__init__(uri, readonly=readonly)
        self._driver: LxcDriver | None = acquire(DriverPaths.for_uri(uri))
        self._unsubscribes: list[Callable[[], None]] = []

    @property
    def lxc(self) -> LxcDriver:
        assert self._driver is not None, "the connection is closed"
        return self._driver

    def close(self) -> None:
        if self._driver is not None:
            for unsubscribe in self._unsubscribes:
                unsubscribe()
            self._unsubscribes.clear()
            driver, self._driver = self._driver, None
            release(driver)

    # -- events -----------------------------------------------------------------------------------
    def subscribe_domain_events(self, callback: Callable[[DomainEvent], None]) -> Callable[[], None]:
        unsubscribe = self.lxc.events.subscribe(callback)
        self._unsubscribes.append(unsubscribe)
        return unsubscribe

    # -- host -------------------------------------------------------------------------------------
    def get_version(self) -> int:
        return hostinfo.kernel_version()

    def get_hostname(self) -> str:
        return local_host.hostname()

    def get_node_info(self) -> NodeInfo:
        return hostinfo.node_info()

    # -- lookups ----------------------------------------------------------------------------------
    def list_domains(self, filter: DomainFilter) -> list[DomainRef]:
        return [_ref(obj) for obj in self.lxc.listing(filter)]

    def lookup_domain_by_name(self, name: str) -> DomainRef:
        obj = self.lxc.by_name(name)
        if obj is None:
            raise errors.no_domain(f"no domain with matching name '{name}'")
        return _ref(obj)

    def lookup_domain_by_uuid(self, uuid: uuid.UUID) -> DomainRef:
        obj = self.lxc.by_uuid(uuid)
        if obj is None:
            raise errors.no_domain(f"no domain with matching uuid '{uuid}'")
        return _ref(obj)

    def lookup_domain_by_id(self, id: int) -> DomainRef:
        obj = self.lxc.by_id(id)
        if obj is None:
            raise errors.no_domain(f"no domain with matching id {id}")
        return _ref(obj)

    # -- definitions ------------------------------------------------------------------------------
    def define_domain(self, domain: Domain) -> DomainRef:
        return _ref(self.lxc.define(domain))

    def create_domain(self, domain: Domain) -> DomainRef:
        return _ref(self.lxc.create(domain))

    def undefine_domain(self, ref: DomainRef) -> None:
        self.lxc.undefine(ref)

    def get_domain_definition(self, ref: DomainRef, *, inactive: bool = False, secure: bool = False) -> Domain:
        return self.lxc.definition(ref, inactive=inactive)

    # -- lifecycle --------------------------------------------------------------------------------
    def start_domain(self, ref: DomainRef) -> None:
        self.lxc.start(ref)

    def shutdown_domain(self, ref: DomainRef, mode: ShutdownMode) -> None:
        self.lxc.shutdown(ref, mode)

    def reboot_domain(self, ref: DomainRef, mode: ShutdownMode) -> None:
        self.lxc.reboot(ref, mode)

    def destroy_domain(self, ref: DomainRef) -> None:
        self.lxc.destroy(ref)

    def suspend_domain(self, ref: DomainRef) -> None:
        self.lxc.suspend(ref)

    def resume_domain(self, ref: DomainRef) -> None:
        self.lxc.resume(ref)

    # -- state and properties ---------------------------------------------------------------------
    def get_domain_state(self, ref: DomainRef) -> tuple[DomainState, int]:
        obj = self.lxc.find(ref)
        with obj.lock:
            return obj.state, obj.reason

    def get_domain_info(self, ref: DomainRef) -> DomainInfo:
        return self.lxc.info(ref)

    def get_domain_os_type(self, ref: DomainRef) -> str:
        self.lxc.find(ref)
        return "exe"

    def is_domain_active(self, ref: DomainRef) -> bool:
        return self.lxc.find(ref).active

    def is_domain_persistent(self, ref: DomainRef) -> bool:
        return self.lxc.find(ref).persistent

    def get_domain_autostart(self, ref: DomainRef) -> bool:
        return self.lxc.find(ref).autostart

    def set_domain_autostart(self, ref: DomainRef, autostart: bool) -> None:
        self.lxc.set_autostart(ref, bool(autostart))

    def has_managed_save(self, ref: DomainRef) -> bool:
        self.lxc.find(ref)
        return False  # containers have no saved state

    # -- console and namespaces -------------------------------------------------------------------
    def open_console(self, ref: DomainRef, device: str | None = None, *, force: bool = False) -> socket.socket:
        from virt_lxc import protocol

        index = _console_index(device)
        with self.lxc.locked(ref) as obj:
            running = obj.running
            if running is None:
                raise errors.not_running()
            path = running.socket_path
        # not under the domain's lock: a controller still starting may take a moment to answer
        try:
            sock, _, rest = protocol.request(path, {"op": "console", "dev": index, "force": force}, exact=True)
        except protocol.ProtocolError as exc:
            raise errors.operation_failed(str(exc)) from None
        assert not rest
        return sock

    def namespaces(self, ref: DomainRef) -> Namespaces:
        """Where a running container's namespaces and cgroups are (libvirt's virDomainLxcOpenNamespace)."""
        with self.lxc.locked(ref) as obj:
            running = obj.running
            if running is None:
                raise errors.not_running()
            return Namespaces(running.init_pid, running.cgroup.to_text(), bool(obj.current.idmap is not None))


def _console_index(device: str | None) -> int:
    """``console1`` -> 1 (libvirt LXC names its consoles so); None -> the first."""
    if device is None:
        return 0
    number = device.removeprefix("console")
    if device.startswith("console") and number.isdigit():
        return int(number)
    raise errors.error(ErrorNumber.INVALID_ARG, f"cannot find console device '{device}'")
