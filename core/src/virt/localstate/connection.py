"""LocalConnection: the DriverConnection of a local driver, a thin door onto its driver instance.

The instance (one per process and folders, shared by the connections) owns
the state folder, the domain table and the hypervisor's processes; the connection's domain
operations delegate to it, as the same calls with the same words in every local driver. A
plugin subclasses it with its driver class, acquires the instance in ``__init__``
(``self._driver = ...``), lets it go in ``_release``, sets ``os_type``, and adds what its
hypervisor alone has (capabilities, reset, consoles...). Closing the last connection lets go of
the instance, never of the running domains.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from virt.driver import DomainRef, DriverConnection, SecurityLabel
from virt.errors import ErrorNumber, libvirt_error
from virt.localstate.hostfacts import LocalHostFacts
from virt.localstate.nwfilters import LocalNWFilterOperations
from virt.localstate.secrets import LocalSecretOperations
from virt.localstate.storage import LocalStorageOperations

if TYPE_CHECKING:
    from virt.domainevents import OtherDomainEvent
    from virt.events import DomainEvent
    from virt.info import DomainFilter, DomainInfo, NodeInfo
    from virt.localstate.domains import LocalDomain
    from virt.states import DomainState, ShutdownMode
    from virt.uri import URI
    from virt.xml import Domain


class _Events(Protocol):
    def subscribe_lifecycle(self, callback: Callable[[DomainEvent], None]) -> Callable[[], None]: ...
    def subscribe_id(self, event_id: int, callback: Callable[[OtherDomainEvent], None]) -> Callable[[], None]: ...


class LocalDriver(Protocol):
    """What a connection asks of the driver instance (``DomainTable`` gives the lookups)."""

    @property
    def events(self) -> _Events: ...
    def find(self, ref: DomainRef) -> LocalDomain: ...
    def has_managed_save(self, obj: Any) -> bool: ...
    def listing(self, filter: DomainFilter) -> Sequence[LocalDomain]: ...
    def by_name(self, name: str) -> LocalDomain | None: ...
    def by_uuid(self, key: uuid.UUID) -> LocalDomain | None: ...
    def by_id(self, id_: int) -> LocalDomain | None: ...
    def define(self, definition: Domain) -> LocalDomain: ...
    def create(self, definition: Domain) -> LocalDomain: ...
    def undefine(self, ref: DomainRef) -> None: ...
    def definition(self, ref: DomainRef, *, inactive: bool) -> Domain: ...
    def start(self, ref: DomainRef) -> None: ...
    def shutdown(self, ref: DomainRef, mode: ShutdownMode) -> None: ...
    def reboot(self, ref: DomainRef, mode: ShutdownMode) -> None: ...
    def destroy(self, ref: DomainRef) -> None: ...
    def suspend(self, ref: DomainRef) -> None: ...
    def resume(self, ref: DomainRef) -> None: ...
    def info(self, ref: DomainRef) -> DomainInfo: ...
    def set_autostart(self, ref: DomainRef, autostart: bool) -> None: ...


D = TypeVar("D", bound=LocalDriver)


def ref_of(obj: LocalDomain) -> DomainRef:
    """The handle of a domain, as the API hands it out."""
    return DomainRef(name=obj.name, uuid=obj.uuid, id=obj.id)


class LocalConnection(
    LocalSecretOperations, LocalNWFilterOperations, LocalStorageOperations, LocalHostFacts, DriverConnection, Generic[D]
):
    """A connection to a local driver instance ``D``; its storage pools (``LocalStorageOperations``), secrets
    (``LocalSecretOperations``), network filters (``LocalNWFilterOperations``) and facts
    (``LocalHostFacts``) are the host's."""

    watches_guests = True
    os_type: ClassVar[str] = "hvm"
    """``get_domain_os_type``'s answer (``hvm`` for machines, ``exe`` for containers)."""

    def __init__(self, uri: URI, *, readonly: bool = False) -> None:
        super().__init__(uri, readonly=readonly)
        self._driver: D | None = None
        self._unsubscribes: list[Callable[[], None]] = []

    @property
    def local(self) -> D:
        """The driver instance; AssertionError once the connection is closed."""
        assert self._driver is not None, "the connection is closed"
        return self._driver

    def _release(self, driver: D) -> None:
        """Let go of the driver instance (the plugin's ``release``)."""
        raise NotImplementedError

    def close(self) -> None:
        if self._driver is not None:
            # the instance outlives this connection when others share it: stop its events reaching us
            for unsubscribe in self._unsubscribes:
                unsubscribe()
            self._unsubscribes.clear()
            driver, self._driver = self._driver, None
            self._release(driver)

    def _no_domain(self, detail: str) -> Exception:
        return libvirt_error(ErrorNumber.NO_DOMAIN, detail, self.error_domain)

    # -- events -----------------------------------------------------------------------------------
    def subscribe_domain_events(self, callback: Callable[[DomainEvent], None]) -> Callable[[], None]:
        """Events of the process's driver instance (every connection's changes, and the hypervisor's
        own), delivered by the instance's event hub thread."""
        unsubscribe = self.local.events.subscribe_lifecycle(callback)
        self._unsubscribes.append(unsubscribe)
        return unsubscribe

    def subscribe_domain_event_id(
        self, event_id: int, callback: Callable[[OtherDomainEvent], None]
    ) -> Callable[[], None]:
        """The instance's events of ``event_id`` (virt.domainevents): those its hypervisor makes
        (a driver that makes none of an id takes the registration, as libvirt's do)."""
        unsubscribe = self.local.events.subscribe_id(event_id, callback)
        self._unsubscribes.append(unsubscribe)
        return unsubscribe

    # -- host -------------------------------------------------------------------------------------
    def get_hostname(self) -> str:
        from virt.localstate import hostinfo

        return hostinfo.hostname()

    def get_node_info(self) -> NodeInfo:
        from virt.localstate import hostinfo

        return hostinfo.node_info()

    # -- lookups ----------------------------------------------------------------------------------
    def list_domains(self, filter: DomainFilter) -> list[DomainRef]:
        return [ref_of(obj) for obj in self.local.listing(filter)]

    def lookup_domain_by_name(self, name: str) -> DomainRef:
        obj = self.local.by_name(name)
        if obj is None:
            raise self._no_domain(f"no domain with matching name '{name}'")
        return ref_of(obj)

    def lookup_domain_by_uuid(self, uuid: uuid.UUID) -> DomainRef:
        obj = self.local.by_uuid(uuid)
        if obj is None:
            raise self._no_domain(f"no domain with matching uuid '{uuid}'")
        return ref_of(obj)

    def lookup_domain_by_id(self, id: int) -> DomainRef:
        obj = self.local.by_id(id)
        if obj is None:
            raise self._no_domain(f"no domain with matching id {id}")
        return ref_of(obj)

    # -- definitions ------------------------------------------------------------------------------
    def define_domain(self, domain: Domain) -> DomainRef:
        return ref_of(self.local.define(domain))

    def create_domain(self, domain: Domain) -> DomainRef:
        return ref_of(self.local.create(domain))

    def undefine_domain(self, ref: DomainRef) -> None:
        self.local.undefine(ref)

    def get_domain_definition(self, ref: DomainRef, *, inactive: bool = False, secure: bool = False) -> Domain:
        definition = self.local.definition(ref, inactive=inactive)  # a copy: safe to change
        if not secure:
            definition.hide_secrets()
        return definition

    # -- lifecycle --------------------------------------------------------------------------------
    def start_domain(self, ref: DomainRef) -> None:
        self.local.start(ref)

    def shutdown_domain(self, ref: DomainRef, mode: ShutdownMode) -> None:
        self.local.shutdown(ref, mode)

    def reboot_domain(self, ref: DomainRef, mode: ShutdownMode) -> None:
        self.local.reboot(ref, mode)

    def destroy_domain(self, ref: DomainRef) -> None:
        self.local.destroy(ref)

    def suspend_domain(self, ref: DomainRef) -> None:
        self.local.suspend(ref)

    def resume_domain(self, ref: DomainRef) -> None:
        self.local.resume(ref)

    # -- state and properties ---------------------------------------------------------------------
    def get_domain_state(self, ref: DomainRef) -> tuple[DomainState, int]:
        obj = self.local.find(ref)
        with obj.lock:
            return obj.state, obj.reason

    def get_domain_info(self, ref: DomainRef) -> DomainInfo:
        return self.local.info(ref)

    def get_domain_os_type(self, ref: DomainRef) -> str:
        self.local.find(ref)
        return self.os_type

    def get_domain_security_label(self, ref: DomainRef) -> SecurityLabel | None:
        # the host's one security model is "none" (virt.localstate.hostcaps): no label, never enforced
        self.local.find(ref)
        return SecurityLabel(model="none", doi="0", label="", enforcing=False)

    def is_domain_active(self, ref: DomainRef) -> bool:
        return self.local.find(ref).active

    def is_domain_persistent(self, ref: DomainRef) -> bool:
        return self.local.find(ref).persistent

    def get_domain_autostart(self, ref: DomainRef) -> bool:
        return self.local.find(ref).autostart

    def set_domain_autostart(self, ref: DomainRef, autostart: bool) -> None:
        self.local.set_autostart(ref, bool(autostart))

    def has_managed_save(self, ref: DomainRef) -> bool:
        return self.local.has_managed_save(self.local.find(ref))
