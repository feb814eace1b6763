"""The domains of a local driver: libvirt's virDomainObj (``LocalDomain``) and virDomainObjList
(``DomainTable``), with the lookups and listing filters every driver answers the same way.

A domain keeps libvirt's two definitions: ``config``, the persistent one (what the next boot
uses, so a redefinition of a running domain waits there), and ``live``, the copy it was started
with; a transient domain has no ``config``. Its ``lock`` serialises operations on it (libvirt's
job). The table's ``lock`` guards the table itself; the order is domain lock first, then table lock.
The driver subclasses ``LocalDomain`` to add what it knows of a running domain (its processes).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

import attrs

from virt.errors import ErrorDomain, ErrorNumber, VirtError, libvirt_error
from virt.events import DefinedDetail, DomainEventType, UndefinedDetail, event_for_state
from virt.info import DomainFilter, DomainRecord
from virt.localstate.ports import carry_display_ports
from virt.states import DomainState

if TYPE_CHECKING:
    from collections.abc import Callable

    from virt.driver import DomainRef
    from virt.events import DomainEventHub
    from virt.localstate.definitions import DefinitionStore
    from virt.xml import Domain


def copy_definition(domain: Domain) -> Domain:
    """An independent copy of a stored definition (the caller of the API may change it)."""
    return type(domain).from_element(domain.to_element())


class TwoDefinitions:
    """libvirt's two definitions of a domain and what follows from them: a mixin for the attrs
    class that declares ``config``, ``live`` and ``id`` (``LocalDomain``, the test driver's domains)."""

    __slots__ = ()

    config: Domain | None
    live: Domain | None
    id: int

    @property
    def current(self) -> Domain:
        """The definition in force: the live one while running, else the persistent one."""
        definition = self.live if self.live is not None else self.config
        assert definition is not None, "a domain has at least one definition"
        return definition

    @property
    def name(self) -> str:
        assert self.current.name is not None, "stored definitions have a name and a UUID"
        return self.current.name

    @property
    def uuid(self) -> uuid.UUID:
        assert self.current.uuid is not None, "stored definitions have a name and a UUID"
        return self.current.uuid

    @property
    def active(self) -> bool:
        # libvirt's virDomainObjIsActive: a domain is active exactly while it holds an id.
        return self.id != -1

    @property
    def persistent(self) -> bool:
        return self.config is not None


@attrs.define(eq=False)
class LocalDomain(TwoDefinitions):
    """What a driver knows of one domain: its definitions, its state, whether it starts with the host."""

    config: Domain | None
    live: Domain | None = None
    state: DomainState = DomainState.SHUTOFF
    reason: int = 0
    id: int = -1
    autostart: bool = False
    lock: threading.RLock = attrs.field(factory=threading.RLock, repr=False)


D = TypeVar("D", bound=LocalDomain)


class DomainTable(Generic[D]):
    """The domains of one driver instance, by UUID and by name.

    ``domain_class`` makes a new domain; ``error_domain`` is the driver's, for the error naming a
    domain gone meanwhile.
    """

    def __init__(self, domain_class: type[D], error_domain: ErrorDomain) -> None:
        self.lock = threading.RLock()
        self.domains: dict[uuid.UUID, D] = {}
        self.names: dict[str, uuid.UUID] = {}
        self._domain_class = domain_class
        self._error_domain = error_domain

    def _add(self, obj: D) -> None:
        with self.lock:
            self.domains[obj.uuid] = obj
            self.names[obj.name] = obj.uuid

    def _remove(self, obj: D) -> None:
        with self.lock:
            if self.domains.get(obj.uuid) is obj:
                del self.domains[obj.uuid]
            if self.names.get(obj.name) == obj.uuid:
                del self.names[obj.name]

    def _gone(self, ref: DomainRef) -> VirtError:
        """A handle whose domain no longer exists (qemuDomainObjFromDomain's words)."""
        return libvirt_error(
            ErrorNumber.NO_DOMAIN, f"no domain with matching uuid '{ref.uuid}' ({ref.name})", self._error_domain
        )

    def find(self, ref: DomainRef) -> D:
        """The domain behind a handle (by UUID, naming both in the error)."""
        with self.lock:
            obj = self.domains.get(ref.uuid)
        if obj is None:
            raise self._gone(ref)
        return obj

    @contextlib.contextmanager
    def locked(self, ref: DomainRef) -> Iterator[D]:
        """The domain, locked for one operation; NotFound when it went away meanwhile."""
        obj = self.find(ref)
        with obj.lock:
            with self.lock:
                if self.domains.get(ref.uuid) is not obj:
                    raise self._gone(ref)
            yield obj

    def by_name(self, name: str) -> D | None:
        with self.lock:
            key = self.names.get(name)
            return None if key is None else self.domains.get(key)

    def by_uuid(self, key: uuid.UUID) -> D | None:
        with self.lock:
            return self.domains.get(key)

    def by_id(self, id_: int) -> D | None:
        with self.lock:
            return next((o for o in self.domains.values() if o.active and o.id == id_), None)

    def listing(self, filter: DomainFilter) -> list[D]:
        """The domains ``filter`` keeps (virConnectListAllDomains' flags)."""
        with self.lock:
            objs = list(self.domains.values())
        return [
            obj
            for obj in objs
            if filter.matches(
                DomainRecord(
                    active=obj.active,
                    persistent=obj.persistent,
                    state=obj.state,
                    autostart=obj.autostart,
                    has_managed_save=filter.managed_save is not None and self.has_managed_save(obj),
                )
            )
        ]

    def has_managed_save(self, obj: D) -> bool:
        """Whether ``obj`` has a managed save image (a driver that can save says; others have none)."""
        return False

    def add_definition(self, definition: Domain, *, live: bool) -> tuple[D, bool]:
        """virDomainObjListAdd: the domain to hold ``definition`` and whether it is new.

        ``live`` is for starting a transient definition (create): it must not meet an active
        domain. Otherwise the definition becomes the persistent one (waiting for the next boot
        of a running domain); the caller stores it. Holds the table lock; the caller holds nothing.
        """
        assert definition.uuid is not None and definition.name is not None
        with self.lock:
            existing = self.domains.get(definition.uuid)
            if existing is not None:
                if existing.name != definition.name:
                    raise libvirt_error(
                        ErrorNumber.OPERATION_FAILED,
                        f"domain '{existing.name}' is already defined with uuid {existing.uuid}",
                        ErrorDomain.DOMAIN,
                    )
                if live and existing.active:
                    raise libvirt_error(
                        ErrorNumber.OPERATION_INVALID, f"domain '{existing.name}' is already active", ErrorDomain.DOMAIN
                    )
                return existing, False
            other = self.by_name(definition.name)
            if other is not None:
                raise libvirt_error(
                    ErrorNumber.OPERATION_FAILED,
                    f"domain '{definition.name}' already exists with uuid {other.uuid}",
                    ErrorDomain.DOMAIN,
                )
            obj = self._domain_class(config=None, live=definition) if live else self._domain_class(config=definition)
            self._add(obj)
            return obj, True

    def definition(self, ref: DomainRef, *, inactive: bool) -> Domain:
        """A copy of the live definition (with the id) of a running domain, else of the persistent one."""
        with self.locked(ref) as obj:
            if obj.active and obj.live is not None and not (inactive and obj.config is not None):
                copy = copy_definition(obj.live)
                carry_display_ports(obj.live, copy)
                copy.id = obj.id
                return copy
            assert obj.config is not None
            return copy_definition(obj.config)


class DomainLifecycle(DomainTable[D]):
    """The driver-independent half of a local driver's domain operations, over its hooks.

    define, undefine, create, start, set_autostart and the once-per-boot autostart, with
    libvirt's rules and words. The driver provides ``definitions`` (a ``DefinitionStore``), and
    the hooks ``complete`` (check and fill in a definition it now owns), ``_start`` (boot a
    definition as a domain held locked) and ``_emit`` (record a lifecycle event).
    """

    definitions: DefinitionStore
    noun: ClassVar[str] = "domain"
    """What the driver calls its domains in its log (``container``)."""

    def complete(self, definition: Domain) -> object:
        raise NotImplementedError

    def _start(self, obj: D, definition: Domain) -> None:
        raise NotImplementedError

    def _emit(self, obj: D, type_: DomainEventType, detail: int) -> None:
        raise NotImplementedError

    def _invalid(self, detail: str) -> VirtError:
        return libvirt_error(ErrorNumber.OPERATION_INVALID, detail, self._error_domain)

    def load_definitions(self) -> None:
        """Every kept definition as a shut-off domain, with its autostart mark (a new owner's first step)."""
        for definition in self.definitions.load_all():
            self._add(
                self._domain_class(config=definition, autostart=self.definitions.autostart(definition.name or ""))
            )

    def define(self, definition: Domain) -> D:
        self.complete(definition)
        obj, new = self.add_definition(definition, live=False)
        with obj.lock:
            self.definitions.save(definition)
            obj.config = definition
        # "updated" whenever the domain existed, even a running transient one becoming persistent
        # (what libvirt reports: virDomainObjListAdd hands back the definition it had)
        self._emit(obj, DomainEventType.DEFINED, DefinedDetail.ADDED if new else DefinedDetail.UPDATED)
        return obj

    def undefine(self, ref: DomainRef) -> None:
        with self.locked(ref) as obj:
            if obj.config is None:
                raise self._invalid("cannot undefine transient domain")
            self.definitions.delete(obj.name)
            obj.autostart = False
            self._emit(obj, DomainEventType.UNDEFINED, UndefinedDetail.REMOVED)
            if obj.active:
                obj.config = None  # keeps running as a transient domain
            else:
                self._remove(obj)

    def rename(self, ref: DomainRef, new_name: str) -> None:
        """virDomainRename: a persistent domain that is shut off and has no managed save image takes
        ``new_name``; its definition file (and autostart link) follow; events UNDEFINED then DEFINED,
        both RENAMED (libvirt's order)."""
        with self.locked(ref) as obj:
            if obj.active:
                raise self._invalid("cannot rename active domain")
            if obj.config is None:
                raise self._invalid("cannot rename a transient domain")
            if self.has_managed_save(obj):
                raise self._invalid("domain with a managed saved state can't be renamed")
            # virDomainObjListRename's checks, in the domain config code's domain
            if new_name == obj.name:
                raise libvirt_error(ErrorNumber.OPERATION_INVALID, "Can't rename domain to itself", ErrorDomain.DOMAIN)
            old_name = obj.name
            with self.lock:
                if self.by_name(new_name) is not None:
                    raise libvirt_error(
                        ErrorNumber.OPERATION_INVALID,
                        f"domain with name '{new_name}' already exists",
                        ErrorDomain.DOMAIN,
                    )
                self.names[new_name] = obj.uuid  # taken now: a define of that name meanwhile is refused
            try:
                renamed = copy_definition(obj.config)
                renamed.name = new_name
                self.definitions.save(renamed)
                if obj.autostart:
                    self.definitions.set_autostart(new_name, True)
            except BaseException:
                with self.lock:
                    self.names.pop(new_name, None)
                raise
            self._emit(obj, DomainEventType.UNDEFINED, UndefinedDetail.RENAMED)
            if obj.autostart:
                self.definitions.set_autostart(old_name, False)
            self.definitions.delete(old_name)
            obj.config = renamed
            with self.lock:
                if self.names.get(old_name) == obj.uuid:
                    del self.names[old_name]
            self._emit(obj, DomainEventType.DEFINED, DefinedDetail.RENAMED)

    def create(self, definition: Domain) -> D:
        self.complete(definition)
        obj, _ = self.add_definition(definition, live=True)
        with obj.lock:
            try:
                self._start(obj, definition)
            except BaseException:
                if obj.config is None:
                    self._remove(obj)
                raise
        return obj

    def set_autostart(self, ref: DomainRef, autostart: bool) -> None:
        with self.locked(ref) as obj:
            if obj.config is None:
                raise self._invalid("cannot set autostart for transient domain")
            self.definitions.set_autostart(obj.name, autostart)
            obj.autostart = autostart

    def start(self, ref: DomainRef) -> None:
        with self.locked(ref) as obj:
            if obj.active:
                raise self._invalid("domain is already running")
            self._start_defined(obj)

    def _start_defined(self, obj: D) -> None:
        """Start a defined domain (held locked) as ``start`` and autostart do: a driver with saved
        states resumes one here instead of booting."""
        assert obj.config is not None
        self._start(obj, copy_definition(obj.config))

    def _autostart_once(self, marker: Path) -> None:
        """Start the autostart domains once per host boot (``marker`` lives in the run folder, a tmpfs)."""
        if marker.exists():
            return
        marker.touch()
        with self.lock:
            objs = [o for o in self.domains.values() if o.autostart and not o.active and o.config is not None]
        for obj in objs:
            try:
                with obj.lock:
                    if not obj.active and obj.config is not None:
                        self._start_defined(obj)
            except Exception as exc:  # noqa: BLE001 - one failed autostart must not keep the driver from opening
                logging.getLogger(type(self).__module__).error(
                    "autostart of %s %s failed: %s", self.noun, obj.name, exc
                )


class HubStateChanges(Generic[D]):
    """``set_state`` and ``_emit`` over the driver's ``events`` hub (a mixin of the driver class):
    one door for every state change, the driver persisting what it keeps in ``_state_changed``."""

    events: DomainEventHub

    def _state_changed(self, obj: D) -> None:
        """After ``obj``'s state changed (held locked): write what the driver keeps of a running domain."""

    def set_state(self, obj: D, state: DomainState, reason: int, *, emit: bool = True) -> None:
        """Change the state, let the driver persist it, queue libvirt's lifecycle event for it."""
        obj.state, obj.reason = state, int(reason)
        self._state_changed(obj)
        if emit:
            found = event_for_state(state, int(reason))
            if found is not None:
                self._emit(obj, *found)

    def _emit(self, obj: D, type_: DomainEventType, detail: int) -> None:
        from virt.driver import DomainRef
        from virt.events import DomainEvent

        self.events.queue(DomainEvent(DomainRef(obj.name, obj.uuid, obj.id), type_, detail))


def fill_in(domain: Domain, random_mac: Callable[[], str]) -> None:
    """What define fills in of a new definition: a UUID, and a MAC address (``random_mac()``, in the
    hypervisor's range) for each network interface without one."""
    from virt.xml.devices import Mac

    if domain.uuid is None:
        domain.uuid = uuid.uuid4()
    if domain.devices is None:
        return
    for interface in domain.devices.interfaces:
        if interface.mac is None:
            interface.mac = Mac()
        if not interface.mac.address:
            interface.mac.address = random_mac()
