"""The domain-changing calls of ``qemu:///`` connections (a mixin of QemuConnection): memory through the
balloon, vCPUs by hotplug, pinning, keys, metadata and undefine's flags, with the rules and words
of libvirt 9.0's QEMU driver.

A change of the running domain goes to QEMU first and to the live definition (saved in the status
file) once QEMU took it; a change of the persistent definition is saved at once. The domain's lock
is held throughout (libvirt's modify job).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from virt import domainchanges as rules
from virt.domainchanges import Impact, MetadataType, UndefineFlags
from virt.domainevents import MetadataChangeEvent
from virt.driver import DomainRef
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.localstate import stats as statrules

from virt_qemu import affinity, errors
from virt_qemu import stats as qstats

if TYPE_CHECKING:
    from virt.xml import Domain
    from virt.xml.devices import Memballoon

    from virt_qemu.driver import QemuDriver
    from virt_qemu.runtime import DomainObj

UNPLUG_TIMEOUT = 5.0
"""How long a vCPU unplug may take the guest (libvirt's QEMU_UNPLUG_TIMEOUT)."""
_UNDEFINE_TAKEN = (
    UndefineFlags.MANAGED_SAVE
    | UndefineFlags.SNAPSHOTS_METADATA
    | UndefineFlags.CHECKPOINTS_METADATA
    | UndefineFlags.NVRAM
    | UndefineFlags.KEEP_NVRAM
    | UndefineFlags.TPM
    | UndefineFlags.KEEP_TPM
)
_VCPU_ALIAS = "vcpu"
"""Hotplugged vCPUs are QEMU devices named vcpuN, N their vCPU number (libvirt's aliases)."""


def _invalid_arg(detail: str) -> VirtError:
    return errors.error(ErrorNumber.INVALID_ARG, detail)


def _unsupported_flags(flags: int, function: str) -> VirtError:
    return _invalid_arg(f"unsupported flags (0x{flags:x}) in function {function}")


def _stats_balloon(definition: Domain) -> Memballoon:
    devices = definition.devices
    found = devices.memballoon if devices is not None else None
    if found is None or found.model == "none":
        raise errors.internal("No memory balloon device configured, can not set the collection period")
    return found


class QemuTuningOperations:
    """The domain-changing methods of QemuConnection."""

    if TYPE_CHECKING:

        @property
        def qemu(self) -> QemuDriver: ...

    # -- plumbing ---------------------------------------------------------------------------------
    def _targets(self, obj: DomainObj, impact: Impact) -> tuple[Domain | None, Domain | None]:
        """(live, persistent) definitions a change with ``impact`` edits (libvirt's virDomainObjGetDefs)."""
        live, config = rules.resolve_impact(impact, active=obj.active, persistent=obj.persistent)
        if live:
            self.qemu._usable(obj)
        return (obj.live if live else None), (obj.config if config else None)

    def _execute(self, obj: DomainObj) -> qstats.Execute:
        return lambda command, arguments=None: self.qemu.qmp(obj, command, arguments)

    def _save(self, obj: DomainObj, live: Domain | None, config: Domain | None) -> None:
        if live is not None and obj.running is not None:
            self.qemu._save_status(obj)
        if config is not None:
            self.qemu.definitions.save(config)

    # -- memory ---------------------------------------------------------------------------------------
    def set_domain_memory(self, ref: DomainRef, kib: int, impact: Impact, *, maximum: bool = False) -> None:
        with self.qemu.locked(ref) as obj:
            live, config = self._targets(obj, impact)
            if maximum:
                if live is not None:
                    raise errors.error(
                        ErrorNumber.OPERATION_INVALID, "cannot resize the maximum memory on an active domain"
                    )
                assert config is not None
                rules.set_memory(config, kib, maximum=True, error_domain=ErrorDomain.QEMU)
                self._save(obj, None, config)
                return
            ceilings = [d.memory or 0 for d in (live, config) if d is not None]
            if ceilings and kib > min(ceilings):
                raise errors.error(ErrorNumber.INVALID_ARG, "cannot set memory higher than max memory")
            if live is not None:
                if not qstats.has_balloon(live):
                    raise errors.error(
                        ErrorNumber.OPERATION_INVALID,
                        "Unable to change memory of active domain without the balloon device and guest OS "
                        "balloon driver",
                    )
                # the live <currentMemory> follows the guest's BALLOON_CHANGE reports, as in libvirt
                self.qemu.qmp(obj, "balloon", {"value": kib * 1024})
            if config is not None:
                config.current_memory = kib
                self._save(obj, None, config)

    def set_domain_memory_stats_period(self, ref: DomainRef, period: int, impact: Impact) -> None:
        """libvirt's qemuDomainSetMemoryStatsPeriod: the running balloon first (its period kept in the
        live definition), then the persistent definition's <stats period>."""
        from virt_qemu import balloon

        with self.qemu.locked(ref) as obj:
            live, config = self._targets(obj, impact)
            if live is not None:
                live_balloon = _stats_balloon(live)
                running = obj.running
                assert running is not None  # _targets checked it is usable
                if not balloon.set_polling(self._execute(obj), qstats.facts_of(running), live_balloon, period):
                    raise errors.error(ErrorNumber.OPERATION_INVALID, "unable to set balloon driver collection period")
                live_balloon.set_period(period)
                self._save(obj, live, None)
            if config is not None:
                _stats_balloon(config).set_period(period)
                self._save(obj, None, config)

    # -- vCPUs ---------------------------------------------------------------------------------------
    def set_domain_vcpus(
        self, ref: DomainRef, count: int, impact: Impact, *, maximum: bool = False, hotpluggable: bool = False
    ) -> None:
        with self.qemu.locked(ref) as obj:
            live, config = self._targets(obj, impact)
            if maximum:
                if live is not None:
                    raise errors.error(ErrorNumber.INVALID_ARG, "maximum vcpu count of a live domain can't be modified")
                assert config is not None
                self._check_max_vcpus(config, count)
                rules.set_vcpus(config, count, maximum=True)
                self._save(obj, None, config)
                return
            for definition, which in ((live, "live"), (config, "persistent")):
                if definition is not None and count > rules.vcpus_of(definition)[1]:
                    top = rules.vcpus_of(definition)[1]
                    raise errors.error(
                        ErrorNumber.INVALID_ARG,
                        f"requested vcpus is greater than max allowable vcpus for the {which} domain: {count} > {top}",
                    )
            if config is not None and hotpluggable:
                # libvirt marks such vCPUs in <vcpus>, which virt's domain model does not hold yet
                raise _unsupported_flags(16, "qemuDomainSetVcpusFlags")
            if live is not None:
                self._hotplug_vcpus(obj, live, count)
            if config is not None:
                rules.set_vcpus(config, count, maximum=False)
                self._save(obj, None, config)

    @staticmethod
    def _check_max_vcpus(definition: Domain, count: int) -> None:
        """libvirt 9.0's qemuDomainSetVcpusMax check: the CPU topology (the machine type's limit is met at start)."""
        topology = definition.cpu.topology if definition.cpu is not None else None
        if topology is not None:
            product = (topology.sockets or 1) * (topology.dies or 1) * (topology.cores or 1) * (topology.threads or 1)
            if product != count:
                raise errors.error(ErrorNumber.INVALID_ARG, "CPU topology doesn't match the desired vcpu count")

    def _hotplug_vcpus(self, obj: DomainObj, live: Domain, count: int) -> None:
        """Plug (device_add) or unplug (device_del) vCPUs until ``count`` are online (qemuDomainSetVcpusLive)."""
        running = self.qemu._usable(obj)
        execute = self._execute(obj)
        current, _ = rules.vcpus_of(live)
        if count == current:
            return
        slots = _vcpu_slots(execute("query-hotpluggable-cpus"))
        if count > current:
            chosen = [n for n, slot in enumerate(slots) if "qom-path" not in slot][: count - current]
        else:
            plugged = [n for n, slot in enumerate(slots) if slot.get("qom-path") == _peripheral(n)]
            chosen = list(reversed(plugged))[: current - count]
        if len(chosen) != abs(count - current):
            raise errors.operation_failed(
                "failed to find appropriate hotpluggable vcpus to reach the desired target vcpu count"
            )
        try:
            for n in chosen:
                if count > current:
                    slot = slots[n]
                    execute("device_add", {"driver": slot["type"], "id": f"{_VCPU_ALIAS}{n}", **slot["props"]})
                    current += 1
                else:
                    execute("device_del", {"id": f"{_VCPU_ALIAS}{n}"})
                    _wait_unplugged(execute, _peripheral(n))
                    current -= 1
        finally:
            rules.set_vcpus(live, current, maximum=False)
            qstats.facts_of(running).vcpu_threads = []  # the threads are asked again
            self._save(obj, live, None)
        affinity.apply_vcpus(execute, running, live)

    # -- pinning ------------------------------------------------------------------------------------------
    def pin_domain_vcpu(self, ref: DomainRef, vcpu: int, cpus: frozenset[int], impact: Impact) -> None:
        if not cpus:
            raise _invalid_arg("Empty cpu list for pinning")
        with self.qemu.locked(ref) as obj:
            live, config = self._targets(obj, impact)
            if live is not None:
                running = self.qemu._usable(obj)
                tid = affinity.vcpu_thread(self._execute(obj), running, live, vcpu)
                if tid is None:
                    raise _invalid_arg(f"vcpu {vcpu} is out of range of live cpu count {rules.vcpus_of(live)[1]}")
                affinity.set_thread_affinity(tid, cpus)
                rules.set_vcpu_pin(live, vcpu, cpus)
                self._save(obj, live, None)
                self._tunable(obj, f"cputune.vcpupin{vcpu}", cpus)  # qemuDomainPinVcpuLive
            if config is not None:
                current, top = rules.vcpus_of(config)
                if vcpu >= top:
                    raise _invalid_arg(f"vcpu {vcpu} is out of range of persistent cpu count {current}")
                rules.set_vcpu_pin(config, vcpu, cpus)
                self._save(obj, None, config)

    def pin_domain_emulator(self, ref: DomainRef, cpus: frozenset[int], impact: Impact) -> None:
        if not cpus:
            raise _invalid_arg("Empty cpu list for pinning")
        with self.qemu.locked(ref) as obj:
            live, config = self._targets(obj, impact)
            if live is not None:
                running = self.qemu._usable(obj)
                affinity.pin_emulator(self._execute(obj), running, live, cpus)
                rules.set_emulator_pin(live, cpus)
                self._save(obj, live, None)
                self._tunable(obj, "cputune.emulatorpin", cpus)
            if config is not None:
                rules.set_emulator_pin(config, cpus)
                self._save(obj, None, config)

    def _tunable(self, obj: DomainObj, field: str, cpus: frozenset[int]) -> None:
        """libvirt's tunable event of a live pinning: the field and the CPU list in its bitmap words."""
        from virt.domainevents import TunableEvent
        from virt.domainstats import ParamType, TypedParameter
        from virt.xml.convert import CPUSET

        param = TypedParameter(field, ParamType.STRING, CPUSET.format(cpus))
        self.qemu.events.emit_other(TunableEvent(DomainRef(obj.name, obj.uuid, obj.id), (param,)))

    # -- keys --------------------------------------------------------------------------------------------
    def send_domain_key(self, ref: DomainRef, codeset: int, holdtime_ms: int, keycodes: Sequence[int]) -> None:
        from virt.keycodes import QNUM, codeset_name, to_qnum

        keys: list[dict[str, Any]] = []
        for code in keycodes:
            qnum = code if codeset == QNUM else to_qnum(codeset, code)
            if qnum is None:
                name = codeset_name(codeset)
                raise _invalid_arg(f"cannot translate keycode {code} of {name} codeset to qnum keycode")
            keys.append({"type": "number", "data": qnum})
        arguments: dict[str, Any] = {"keys": keys}
        if holdtime_ms:
            arguments["hold-time"] = holdtime_ms
        with self.qemu.locked(ref) as obj:
            if not obj.active:
                raise errors.not_running()
            self.qemu.qmp(obj, "send-key", arguments)

    # -- metadata -----------------------------------------------------------------------------------------
    def get_domain_metadata(self, ref: DomainRef, kind: MetadataType, uri: str | None, impact: Impact) -> str:
        with self.qemu.locked(ref) as obj:
            definition = statrules.one_definition(
                obj, live=bool(impact & Impact.LIVE), config=bool(impact & Impact.CONFIG)
            )
            return rules.get_metadata(definition, kind, uri)

    def set_domain_metadata(
        self, ref: DomainRef, kind: MetadataType, value: str | None, key: str | None, uri: str | None, impact: Impact
    ) -> None:
        with self.qemu.locked(ref) as obj:
            live, config = rules.resolve_impact(impact, active=obj.active, persistent=obj.persistent)
            edited = [d for d in ((obj.live if live else None), (obj.config if config else None)) if d is not None]
            for definition in edited:
                rules.set_metadata(definition, kind, value, key, uri)
            self._save(obj, obj.live if live else None, obj.config if config else None)
            # qemuDomainSetMetadata: one event per successful call
            self.qemu.events.emit_other(MetadataChangeEvent(DomainRef(obj.name, obj.uuid, obj.id), int(kind), uri))

    # -- undefine ---------------------------------------------------------------------------------------------
    def undefine_domain_flags(self, ref: DomainRef, flags: UndefineFlags) -> None:
        """qemuDomainUndefineFlags: a UEFI variable store must be removed (NVRAM) or kept (KEEP_NVRAM);
        a managed save image must be removed (MANAGED_SAVE), snapshot metadata (SNAPSHOTS_METADATA);
        there is no checkpoint or TPM state."""
        from virt_qemu.nvram import store_path

        refused = flags & ~_UNDEFINE_TAKEN
        if refused:
            raise _unsupported_flags(int(refused), "qemuDomainUndefineFlags")
        if flags & UndefineFlags.NVRAM and flags & UndefineFlags.KEEP_NVRAM:
            raise _invalid_arg(
                "Flags 'VIR_DOMAIN_UNDEFINE_KEEP_NVRAM' and 'VIR_DOMAIN_UNDEFINE_NVRAM' are mutually exclusive"
            )
        with self.qemu.locked(ref) as obj:
            if obj.config is None:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "cannot undefine transient domain")
            os_ = obj.current.os
            store = store_path(os_.nvram) if os_ is not None and os_.nvram is not None else None
            if store is not None and Path(store).exists():  # a store never created is no obstacle
                if flags & UndefineFlags.NVRAM:
                    try:
                        Path(store).unlink(missing_ok=True)
                    except OSError as exc:
                        raise errors.error(
                            ErrorNumber.SYSTEM_ERROR, f"failed to remove nvram: {store}: {exc.strerror}"
                        ) from exc
                elif not flags & UndefineFlags.KEEP_NVRAM:
                    raise errors.error(ErrorNumber.OPERATION_INVALID, "cannot undefine domain with nvram")
        self.qemu.undefine(
            ref,
            managed_save=bool(flags & UndefineFlags.MANAGED_SAVE),
            snapshots_metadata=bool(flags & UndefineFlags.SNAPSHOTS_METADATA),
        )


def _vcpu_slots(answer: Any) -> list[dict[str, Any]]:
    """query-hotpluggable-cpus' entries in vCPU order (QEMU lists them from the last one)."""
    if not isinstance(answer, list):
        raise errors.internal("malformed query-hotpluggable-cpus reply")

    def position(slot: dict[str, Any]) -> tuple[int, ...]:
        props = slot.get("props", {})
        return tuple(int(props.get(key, 0)) for key in ("socket-id", "die-id", "core-id", "thread-id"))

    return sorted((s for s in answer if isinstance(s, dict)), key=position)


def _peripheral(n: int) -> str:
    return f"/machine/peripheral/{_VCPU_ALIAS}{n}"


def _wait_unplugged(execute: qstats.Execute, path: str) -> None:
    """The guest lets a vCPU go when it wants (ACPI eject): wait for its slot to be free again."""
    deadline = time.monotonic() + UNPLUG_TIMEOUT
    while time.monotonic() < deadline:
        if all(slot.get("qom-path") != path for slot in _vcpu_slots(execute("query-hotpluggable-cpus"))):
            return
        time.sleep(0.1)
    raise errors.operation_failed(
        "vcpu unplug request timed out. Unplug result must be manually inspected in the domain"
    )
