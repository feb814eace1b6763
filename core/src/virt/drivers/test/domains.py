"""Domain lifecycle with the rules and messages of libvirt 9.0's test driver.

The module functions hold the rules shared by the API and the node-file loader; the
``DomainOperations`` mixin is the DriverConnection side. Callers hold ``host.lock``.

Each change queues the lifecycle event libvirt's test driver emits for it (observed with
python3-libvirt on test:///default) on the host's hub, delivered to every connection of the
host once the lock is let go of (``_changing``), before the API call returns.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

from virt.driver import DomainRef, SecurityLabel
from virt.drivers.test import errors, models, refusals, snapshots
from virt.drivers.test.host import SECURITY_DOI, SECURITY_LABEL, SECURITY_MODEL, Host
from virt.drivers.test.objects import DomainObj
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument
from virt.events import (
    DefinedDetail,
    DomainEvent,
    DomainEventType,
    ResumedDetail,
    StartedDetail,
    StoppedDetail,
    SuspendedDetail,
    UndefinedDetail,
)
from virt.info import DomainFilter, DomainInfo, DomainRecord
from virt.states import DomainState, PausedReason, RunningReason, ShutdownMode, ShutoffReason
from virt.xml import inactive as xml_inactive
from virt.xml import liveview

if TYPE_CHECKING:
    from virt.xml import Domain

# What on_poweroff / on_reboot make of a domain asked to stop or reboot.
_RESTARTING_ACTIONS = frozenset({"restart", "rename-restart"})


# -- rules shared with the node loader -------------------------------------------------------------
def prepare(definition: Domain) -> Domain:
    """A definition about to be stored (the driver owns what it is given): named, with a UUID, without an id."""
    if not definition.name:
        raise errors.missing_name(ErrorDomain.DOMAIN)
    refusals.check_domain(definition)
    stored = definition
    if stored.uuid is None:
        stored.uuid = uuid.uuid4()
    stored.id = None
    models.complete_domain(stored)
    return stored


def add(host: Host, definition: Domain, *, live: bool) -> DomainObj:
    """Register ``definition`` (prepared) as libvirt's virDomainObjListAdd does.

    ``live`` is for starting a transient definition (create): it must not meet an active
    domain. Otherwise the definition becomes the persistent one; on a running domain it waits
    for the next boot.
    """
    key = definition.uuid
    assert key is not None, "prepare() gives every definition a UUID"
    existing = host.domains.get(key)
    if existing is not None:
        if existing.name != definition.name:
            raise errors.error(
                ErrorNumber.OPERATION_FAILED,
                f"domain '{existing.name}' is already defined with uuid {existing.uuid}",
                ErrorDomain.DOMAIN,
            )
        if live:
            if existing.active:
                raise errors.error(
                    ErrorNumber.OPERATION_INVALID, f"domain '{existing.name}' is already active", ErrorDomain.DOMAIN
                )
        else:
            existing.config = definition
        return existing
    other = host.domain_by_name(definition.name or "")
    if other is not None:
        raise errors.error(
            ErrorNumber.OPERATION_FAILED,
            f"domain '{definition.name}' already exists with uuid {other.uuid}",
            ErrorDomain.DOMAIN,
        )
    obj = DomainObj(config=None, live=definition) if live else DomainObj(config=definition)
    host.add_domain(obj)
    return obj


def start(host: Host, obj: DomainObj, reason: int, definition: Domain | None = None) -> None:
    """Boot ``obj`` with ``definition`` (default: a copy of its persistent one) and a fresh id."""
    if definition is None:
        # a transient domain left shut off (by a snapshot revert) boots its only definition
        definition = obj.current.clone()
    liveview.add_live_state(definition)
    obj.live = definition
    obj.id = host.allocate_id()
    obj.state, obj.reason = DomainState.RUNNING, reason
    obj.managed_save = False
    obj.frozen.clear()


def stop(host: Host, obj: DomainObj, reason: int) -> None:
    """Shut ``obj`` off; a transient domain disappears, a pending definition takes over."""
    if obj.config is None:
        host.remove_domain(obj)  # while it still has a definition to be named by
    obj.live = None
    obj.id = -1
    obj.state, obj.reason = DomainState.SHUTOFF, reason


def ref_of(obj: DomainObj) -> DomainRef:
    return DomainRef(name=obj.name, uuid=obj.uuid, id=obj.id)


def _memory(definition: Domain) -> tuple[int, int]:
    """(maximum, current) memory in KiB; libvirt's balloon starts at the maximum when unset."""
    maximum = definition.memory or 0
    current = definition.current_memory or maximum
    return maximum, current


def _vcpus(definition: Domain) -> int:
    """The vcpus the domain has now: ``current`` when set, else the maximum (libvirt's virDomainDefGetVcpus)."""
    vcpu = definition.vcpu
    if vcpu is None:
        return 1
    return vcpu.current or vcpu.count or 1


def _lifecycle_action(definition: Domain, event: str, default: str) -> str:
    action = getattr(definition, event, None)
    return str(getattr(action, "value", action) or default)


class DomainOperations:
    """Domain methods of TestConnection."""

    host: Host

    # -- events -------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _changing(self) -> Iterator[None]:
        """Hold the host's lock for a change, then deliver the events it queued (outside the lock)."""
        try:
            with self.host.lock:
                yield
        finally:
            self.host.events.flush()

    def _event(self, obj: DomainObj, type_: DomainEventType, detail: int) -> None:
        """Queue an event naming ``obj`` as it is now (after the change, as libvirt does)."""
        self.host.events.queue(DomainEvent(ref_of(obj), type_, detail))

    def _stop(self, obj: DomainObj, reason: ShutoffReason, detail: StoppedDetail) -> None:
        """``stop`` and its STOPPED event; named first: a stopped transient domain has no definition left."""
        named = ref_of(obj)
        stop(self.host, obj, reason)
        self.host.events.queue(DomainEvent(DomainRef(named.name, named.uuid, obj.id), DomainEventType.STOPPED, detail))

    def _domain(self, ref: DomainRef) -> DomainObj:
        """The domain behind a handle (libvirt finds it by UUID, naming both in the error)."""
        obj = self.host.domains.get(ref.uuid)
        if obj is None:
            raise errors.domain_gone(ref.uuid, ref.name)
        return obj

    def _domain_ref_matching(self, predicate: object) -> DomainRef:
        for obj in self.host.domains.values():
            if predicate(obj):  # type: ignore[operator]
                return ref_of(obj)
        # libvirt's test driver reports lookups that find nothing without any detail
        raise errors.error(ErrorNumber.NO_DOMAIN)

    # -- listing and lookup ---------------------------------------------------------------------
    def list_domains(self, filter: DomainFilter) -> list[DomainRef]:
        with self.host.lock:
            return [
                ref_of(obj)
                for obj in self.host.domains.values()
                if filter.matches(
                    DomainRecord(
                        active=obj.active,
                        persistent=obj.persistent,
                        state=obj.state,
                        autostart=obj.autostart,
                        has_managed_save=obj.managed_save,
                        has_snapshot=bool(obj.snapshots),
                        has_checkpoint=bool(obj.checkpoints),
                    )
                )
            ]

    def lookup_domain_by_name(self, name: str) -> DomainRef:
        with self.host.lock:
            obj = self.host.domain_by_name(name)
            if obj is None:
                raise errors.error(ErrorNumber.NO_DOMAIN)
            return ref_of(obj)

    def lookup_domain_by_uuid(self, uuid: uuid.UUID) -> DomainRef:
        with self.host.lock:
            obj = self.host.domains.get(uuid)
            if obj is None:
                raise errors.error(ErrorNumber.NO_DOMAIN)
            return ref_of(obj)

    def lookup_domain_by_id(self, id: int) -> DomainRef:
        with self.host.lock:
            return self._domain_ref_matching(lambda obj: obj.active and obj.id == id)

    # -- definitions ------------------------------------------------------------------------------
    def define_domain(self, domain: Domain) -> DomainRef:
        definition = prepare(domain)
        with self._changing():
            # "updated" whenever the domain existed, even a running transient one becoming
            # persistent (what libvirt's test driver reports)
            updated = definition.uuid in self.host.domains
            obj = add(self.host, definition, live=False)
            self._event(obj, DomainEventType.DEFINED, DefinedDetail.UPDATED if updated else DefinedDetail.ADDED)
            return ref_of(obj)

    def create_domain(self, domain: Domain) -> DomainRef:
        definition = prepare(domain)
        with self._changing():
            obj = add(self.host, definition, live=True)
            start(self.host, obj, RunningReason.BOOTED, definition)
            self._event(obj, DomainEventType.STARTED, StartedDetail.BOOTED)
            return ref_of(obj)

    def undefine_domain(self, ref: DomainRef) -> None:
        with self._changing():
            obj = self._domain(ref)
            if obj.managed_save:
                raise errors.error(
                    ErrorNumber.OPERATION_INVALID, "Refusing to undefine while domain managed save image exists"
                )
            snapshots.before_undefine(obj, forget=False)
            if obj.active:
                obj.config = None  # keeps running as a transient domain
            else:
                self.host.remove_domain(obj)
            self._event(obj, DomainEventType.UNDEFINED, UndefinedDetail.REMOVED)

    def get_domain_definition(self, ref: DomainRef, *, inactive: bool = False, secure: bool = False) -> Domain:
        from virt.xml import Domain

        # A fresh model from the cached text: cheaper than a deep copy, and the caller may change it.
        return Domain.from_xml(self.get_domain_xml(ref, inactive=inactive, secure=secure))

    def get_domain_xml(self, ref: DomainRef, *, inactive: bool = False, secure: bool = False) -> str:
        # Without ``secure`` the graphics passwords are left out, as libvirt leaves them out; the
        # inactive view leaves out device labels without a label.
        with self.host.lock:
            obj = self._domain(ref)
            if inactive and obj.config is not None:
                definition, id_ = obj.config, None
            else:
                definition, id_ = obj.current, (obj.id if obj.active and not inactive else None)
            key = (inactive, id_, secure)
            text = obj.xml_cache.get(key)
            if text is None:
                hide_secrets = not secure and _has_secrets(definition)
                hide_labels = inactive and xml_inactive.has_unwritten_labels(definition)
                shown = definition.clone() if hide_secrets or hide_labels else definition
                if hide_secrets:
                    shown.hide_secrets()
                if hide_labels:
                    xml_inactive.hide_unset_labels(shown)
                # Stored definitions carry no id; the live view shows it only while formatting.
                shown.id = id_
                try:
                    text = obj.xml_cache[key] = shown.to_xml()
                finally:
                    shown.id = None
            return text

    # -- lifecycle ----------------------------------------------------------------------------------
    def start_domain(self, ref: DomainRef) -> None:
        with self._changing():
            obj = self._domain(ref)
            if obj.state != DomainState.SHUTOFF:
                raise errors.internal(f"Domain '{ref.name}' is already running")
            start(self.host, obj, RunningReason.BOOTED)
            self._event(obj, DomainEventType.STARTED, StartedDetail.BOOTED)

    def shutdown_domain(self, ref: DomainRef, mode: ShutdownMode) -> None:
        _no_mode(mode, "testDomainShutdownFlags")
        with self._changing():
            obj = self._domain(ref)
            if obj.state == DomainState.SHUTOFF:
                raise errors.internal(f"domain '{ref.name}' not running")
            self._lifecycle_event(obj, _lifecycle_action(obj.current, "on_poweroff", "destroy"))

    def reboot_domain(self, ref: DomainRef, mode: ShutdownMode) -> None:
        # libvirt's test driver takes every reboot mode (and does the same whichever is asked)
        with self._changing():
            obj = self._domain(ref)
            if not obj.active:
                raise errors.not_running()
            self._lifecycle_event(obj, _lifecycle_action(obj.current, "on_reboot", "restart"))

    def _lifecycle_event(self, obj: DomainObj, action: str) -> None:
        # The test guest reacts at once: restarting actions leave it running (freshly booted,
        # and libvirt emits no event for that), every other action powers it off.
        if action in _RESTARTING_ACTIONS:
            obj.state, obj.reason = DomainState.RUNNING, RunningReason.BOOTED
        else:
            self._stop(obj, ShutoffReason.SHUTDOWN, StoppedDetail.SHUTDOWN)

    def reset_domain(self, ref: DomainRef) -> None:
        with self.host.lock:
            if not self._domain(ref).active:
                raise errors.not_running()

    def destroy_domain(self, ref: DomainRef) -> None:
        with self._changing():
            obj = self._domain(ref)
            if not obj.active:
                raise errors.not_running()
            self._stop(obj, ShutoffReason.DESTROYED, StoppedDetail.DESTROYED)

    def suspend_domain(self, ref: DomainRef) -> None:
        with self._changing():
            obj = self._domain(ref)
            if obj.state in (DomainState.SHUTOFF, DomainState.PAUSED):
                raise errors.internal(f"domain '{ref.name}' not running")
            obj.state, obj.reason = DomainState.PAUSED, PausedReason.USER
            self._event(obj, DomainEventType.SUSPENDED, SuspendedDetail.PAUSED)

    def resume_domain(self, ref: DomainRef) -> None:
        with self._changing():
            obj = self._domain(ref)
            if obj.state != DomainState.PAUSED:
                raise errors.internal(f"domain '{ref.name}' not paused")
            obj.state, obj.reason = DomainState.RUNNING, RunningReason.UNPAUSED
            self._event(obj, DomainEventType.RESUMED, ResumedDetail.UNPAUSED)

    # -- state and properties -------------------------------------------------------------------
    def get_domain_state(self, ref: DomainRef) -> tuple[DomainState, int]:
        with self.host.lock:
            obj = self._domain(ref)
            return obj.state, obj.reason

    def get_domain_info(self, ref: DomainRef) -> DomainInfo:
        with self.host.lock:
            obj = self._domain(ref)
            maximum, current = _memory(obj.current)
            return DomainInfo(
                state=obj.state,
                max_memory_kib=maximum,
                memory_kib=current,
                vcpus=_vcpus(obj.current),
                # libvirt's test driver reports the wall clock as CPU time; it only has to grow
                cpu_time_ns=time.time_ns(),
            )

    def get_domain_os_type(self, ref: DomainRef) -> str:
        with self.host.lock:
            self._domain(ref)
        # libvirt's test driver answers "linux" whatever the definition says.
        return "linux"

    def is_domain_active(self, ref: DomainRef) -> bool:
        with self.host.lock:
            return self._domain(ref).active

    def is_domain_persistent(self, ref: DomainRef) -> bool:
        with self.host.lock:
            return self._domain(ref).persistent

    def get_domain_autostart(self, ref: DomainRef) -> bool:
        with self.host.lock:
            return self._domain(ref).autostart

    def set_domain_autostart(self, ref: DomainRef, autostart: bool) -> None:
        with self.host.lock:
            self._domain(ref).autostart = bool(autostart)

    def has_managed_save(self, ref: DomainRef) -> bool:
        with self.host.lock:
            return self._domain(ref).managed_save

    def get_domain_security_label(self, ref: DomainRef) -> SecurityLabel | None:
        with self.host.lock:
            active = self._domain(ref).active
        # Only a running domain carries the label; the model is the host's either way.
        return SecurityLabel(
            model=SECURITY_MODEL,
            doi=SECURITY_DOI,
            label=SECURITY_LABEL if active else "",
            enforcing=active,
        )


def _has_secrets(definition: Domain) -> bool:
    return definition.devices is not None and any(g.passwd is not None for g in definition.devices.graphics)


def _no_mode(mode: ShutdownMode, function: str) -> None:
    # libvirt's test driver takes no shutdown mode and says so in these words (libvirt's
    # flag check words it without the usual "invalid argument: " in front).
    if mode:
        raise InvalidArgument(
            f"unsupported flags (0x{int(mode):x}) in function {function}", ErrorNumber.INVALID_ARG, ErrorDomain.TEST
        )
