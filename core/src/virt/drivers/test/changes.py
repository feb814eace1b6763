"""The domain-changing calls of libvirt 9.0's test driver: memory, vCPUs and pinning, keys, metadata,
undefine's flags, managed save, and the made-up guest answers (addresses, filesystems, host name).

Behaviour and words observed with python3-libvirt on test:///default. The ``ChangeOperations``
mixin edits the stored models in place, so each change forgets the domain's cached XML.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from virt import domainchanges as rules
from virt.domainchanges import (
    AddressSource,
    DomainInterface,
    FilesystemInfo,
    HostnameSource,
    Impact,
    IPAddress,
    IPAddressType,
    MetadataType,
    SaveFlags,
    UndefineFlags,
)
from virt.drivers.test import errors, snapshots
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError
from virt.events import DomainEvent, DomainEventType, StoppedDetail, UndefinedDetail
from virt.states import DomainState, ShutoffReason

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.drivers.test.host import Host
    from virt.drivers.test.objects import DomainObj
    from virt.xml import Domain

MAX_VCPUS = 32
"""What libvirt's test driver answers to virConnectGetMaxVcpus."""
_GUEST_FILESYSTEMS = (("/", "1"), ("/boot", "2"))
"""The test guest's mounts: on the first disk's partitions 1 and 2, both ext4."""
_UNDEFINE_TAKEN = (
    UndefineFlags.MANAGED_SAVE
    | UndefineFlags.SNAPSHOTS_METADATA
    | UndefineFlags.KEEP_NVRAM
    | UndefineFlags.CHECKPOINTS_METADATA
)


def _unsupported(flags: int, function: str) -> VirtError:
    return InvalidArgument(
        f"unsupported flags (0x{flags:x}) in function {function}", ErrorNumber.INVALID_ARG, ErrorDomain.TEST
    )


def _one_definition_only(impact: Impact) -> None:
    # libvirt's test driver changes memory and the emulator's pinning through virDomainObjGetOneDef
    if impact & Impact.LIVE and impact & Impact.CONFIG:
        raise rules.exclusive_flags()


class ChangeOperations:
    """The domain-changing methods of TestConnection (callers of ``_domain`` hold ``host.lock``)."""

    host: Host

    if TYPE_CHECKING:  # DomainOperations' and HostOperations', beside this mixin in TestConnection

        def _domain(self, ref: DomainRef) -> DomainObj: ...
        def _event(self, obj: DomainObj, type_: DomainEventType, detail: int) -> None: ...

    def _definitions(self, obj: DomainObj, impact: Impact) -> list[Domain]:
        """The definitions a change with ``impact`` edits (the cached XML forgotten)."""
        live, config = rules.resolve_impact(impact, active=obj.active, persistent=obj.persistent)
        found = []
        if live and obj.live is not None:
            found.append(obj.live)
        if config and obj.config is not None:
            found.append(obj.config)
        obj.xml_cache.clear()
        return found

    def _read(self, obj: DomainObj, impact: Impact) -> Domain:
        live = rules.one_definition(impact, active=obj.active, persistent=obj.persistent)
        definition = obj.live if live else obj.config
        assert definition is not None
        return definition

    # -- memory and processors ------------------------------------------------------------------
    def set_domain_memory(self, ref: DomainRef, kib: int, impact: Impact, *, maximum: bool = False) -> None:
        _one_definition_only(impact)
        with self.host.lock:
            obj = self._domain(ref)
            live, _ = rules.resolve_impact(impact, active=obj.active, persistent=obj.persistent)
            if maximum and live:
                raise errors.error(
                    ErrorNumber.OPERATION_INVALID, "cannot resize the maximum memory on an active domain"
                )
            definitions = self._definitions(obj, impact)
            if not maximum:
                for definition in definitions:
                    if kib > (definition.memory or 0):
                        raise errors.error(ErrorNumber.INVALID_ARG, "cannot set memory higher than max memory")
            for definition in definitions:
                rules.set_memory(definition, kib, maximum=maximum, error_domain=ErrorDomain.TEST)

    def set_domain_memory_stats_period(self, ref: DomainRef, period: int, impact: Impact) -> None:
        with self.host.lock:
            obj = self._domain(ref)
            definition = self._read(obj, impact)  # one definition only, as virDomainObjGetOneDef picks it
            balloon = definition.devices.memballoon if definition.devices is not None else None
            if balloon is None or balloon.model == "none":
                raise errors.error(
                    ErrorNumber.INTERNAL_ERROR, "No memory balloon device configured, can not set the collection period"
                )
            obj.xml_cache.clear()
            balloon.set_period(period)

    def set_domain_vcpus(
        self, ref: DomainRef, count: int, impact: Impact, *, maximum: bool = False, hotpluggable: bool = False
    ) -> None:
        if hotpluggable:
            raise _unsupported(16, "testDomainSetVcpusFlags")
        if count > MAX_VCPUS:
            raise errors.error(
                ErrorNumber.INVALID_ARG,
                f"requested cpu amount exceeds maximum supported amount ({count} > {MAX_VCPUS})",
            )
        with self.host.lock:
            obj = self._domain(ref)
            live, config = rules.resolve_impact(impact, active=obj.active, persistent=obj.persistent)
            checks = ([obj.live] if live else []) + ([obj.config] if config and not maximum else [])
            for definition in checks:
                assert definition is not None
                top = rules.vcpus_of(definition)[1]
                if top < count:
                    raise errors.error(
                        ErrorNumber.INVALID_ARG, f"requested cpu amount exceeds maximum ({count} > {top})"
                    )
            obj.xml_cache.clear()
            if live and obj.live is not None:
                rules.set_vcpus(obj.live, count, maximum=False)
            if config and obj.config is not None:
                rules.set_vcpus(obj.config, count, maximum=maximum)

    def pin_domain_vcpu(self, ref: DomainRef, vcpu: int, cpus: frozenset[int], impact: Impact) -> None:
        if impact:
            raise _unsupported(int(impact), "testDomainPinVcpuFlags")
        with self.host.lock:
            obj = self._domain(ref)
            if not obj.active or obj.live is None:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "cannot pin vcpus on an inactive domain")
            if vcpu >= rules.vcpus_of(obj.live)[0]:
                raise errors.error(ErrorNumber.INVALID_ARG, f"requested vcpu '{vcpu}' is not present in the domain")
            obj.xml_cache.clear()
            # the test driver keeps the mask as given, even one naming every host CPU
            rules.set_vcpu_pin(obj.live, vcpu, cpus)

    def pin_domain_emulator(self, ref: DomainRef, cpus: frozenset[int], impact: Impact) -> None:
        _one_definition_only(impact)
        with self.host.lock:
            for definition in self._definitions(self._domain(ref), impact):
                rules.set_emulator_pin(definition, cpus)

    # -- keys and metadata ----------------------------------------------------------------------
    def send_domain_key(self, ref: DomainRef, codeset: int, holdtime_ms: int, keycodes: Sequence[int]) -> None:
        from virt.keycodes import codeset_name, known

        with self.host.lock:
            if not self._domain(ref).active:
                raise rules.not_running()
        for code in keycodes:
            if not known(codeset, code):
                raise errors.internal(f"invalid keycode {code} of {codeset_name(codeset)} codeset")

    def get_domain_metadata(self, ref: DomainRef, kind: MetadataType, uri: str | None, impact: Impact) -> str:
        with self.host.lock:
            return rules.get_metadata(self._read(self._domain(ref), impact), kind, uri)

    def set_domain_metadata(
        self, ref: DomainRef, kind: MetadataType, value: str | None, key: str | None, uri: str | None, impact: Impact
    ) -> None:
        from virt.domainevents import MetadataChangeEvent
        from virt.drivers.test.domains import ref_of

        with self.host.lock:
            obj = self._domain(ref)
            for definition in self._definitions(obj, impact):
                rules.set_metadata(definition, kind, value, key, uri)
            # testDomainSetMetadata: one event per successful call, whichever definitions it edited
            self.host.events.queue(MetadataChangeEvent(ref_of(obj), int(kind), uri))
        self.host.events.flush()

    # -- undefine and managed save --------------------------------------------------------------
    def undefine_domain_flags(self, ref: DomainRef, flags: UndefineFlags) -> None:
        refused = flags & ~_UNDEFINE_TAKEN
        if refused:
            raise _unsupported(int(refused), "testDomainUndefineFlags")
        try:
            with self.host.lock:
                obj = self._domain(ref)
                if obj.managed_save:
                    if not flags & UndefineFlags.MANAGED_SAVE:
                        raise errors.error(
                            ErrorNumber.OPERATION_INVALID, "Refusing to undefine while domain managed save image exists"
                        )
                    obj.managed_save = False
                snapshots.before_undefine(obj, forget=bool(flags & UndefineFlags.SNAPSHOTS_METADATA))
                if obj.active:
                    obj.config = None  # keeps running as a transient domain
                else:
                    self.host.remove_domain(obj)
                self._event(obj, DomainEventType.UNDEFINED, UndefinedDetail.REMOVED)
        finally:
            self.host.events.flush()

    def managed_save_domain(self, ref: DomainRef, flags: SaveFlags) -> None:
        from virt.drivers.test.domains import ref_of, stop

        try:
            with self.host.lock:
                obj = self._domain(ref)
                if not obj.active:
                    raise rules.not_running()
                if not obj.persistent:
                    raise errors.error(ErrorNumber.OPERATION_INVALID, "cannot do managed save for transient domain")
                stop(self.host, obj, ShutoffReason.SAVED)
                obj.managed_save = True
                self.host.events.queue(DomainEvent(ref_of(obj), DomainEventType.STOPPED, StoppedDetail.SAVED))
        finally:
            self.host.events.flush()

    def remove_managed_save(self, ref: DomainRef) -> None:
        with self.host.lock:
            self._domain(ref).managed_save = False

    # -- made-up guest answers ------------------------------------------------------------------
    def _running(self, ref: DomainRef) -> DomainObj:
        obj = self._domain(ref)
        if not obj.active or obj.state == DomainState.SHUTOFF:
            raise rules.not_running()
        return obj

    def get_domain_interface_addresses(self, ref: DomainRef, source: AddressSource) -> list[DomainInterface]:
        with self.host.lock:
            obj = self._running(ref)
            devices = obj.current.devices
            found = []
            for n, nic in enumerate(devices.interfaces if devices is not None else []):
                # a NIC on a libvirt network gets an address in the default network's range, 20 per
                # domain id; any other NIC one in 192.168.0.0/24 (what libvirt's test driver makes up)
                on_network = nic.type == "network"
                address = f"192.168.122.{20 * (obj.id - 1) + 3 + n}" if on_network else f"192.168.0.{1 + n}"
                name = nic.target.dev if nic.target is not None and nic.target.dev else f"testnet{n}"
                mac = nic.mac.address if nic.mac is not None else None
                found.append(DomainInterface(name, mac, (IPAddress(IPAddressType.IPV4, address, 24),)))
            return found

    def get_domain_filesystems(self, ref: DomainRef) -> list[FilesystemInfo]:
        with self.host.lock:
            disk = self._first_disk(self._running(ref))
        if disk is None:
            return []
        return [FilesystemInfo(mount, f"{disk}{part}", "ext4", (disk,)) for mount, part in _GUEST_FILESYSTEMS]

    @staticmethod
    def _first_disk(obj: DomainObj) -> str | None:
        devices = obj.current.devices
        for disk in devices.disks if devices is not None else []:
            if disk.target is not None and disk.target.dev:
                return str(disk.target.dev)
        return None

    def _mounts(self, mountpoints: Sequence[str]) -> list[str]:
        known = [mount for mount, _ in _GUEST_FILESYSTEMS]
        for mount in mountpoints:
            if mount not in known:
                raise errors.error(ErrorNumber.OPERATION_INVALID, f"mount point not found: {mount}")
        return list(mountpoints) or known

    def freeze_domain_filesystems(self, ref: DomainRef, mountpoints: Sequence[str]) -> int:
        with self.host.lock:
            obj = self._running(ref)
            wanted = [m for m in self._mounts(mountpoints) if m not in obj.frozen]
            obj.frozen.update(wanted)
            return len(wanted)

    def thaw_domain_filesystems(self, ref: DomainRef, mountpoints: Sequence[str]) -> int:
        with self.host.lock:
            obj = self._running(ref)
            wanted = [m for m in self._mounts(mountpoints) if m in obj.frozen]
            obj.frozen.difference_update(wanted)
            return len(wanted)

    def get_domain_hostname(self, ref: DomainRef, source: HostnameSource) -> str:
        if source:
            raise _unsupported(int(source), "testDomainGetHostname")
        with self.host.lock:
            return f"{self._running(ref).name}host"
