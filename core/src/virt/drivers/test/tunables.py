"""libvirt 9.0's test driver's tunables: memory limits, NUMA memory, block I/O weights, interface
bandwidth, disk I/O throttling and perf events, each kept in the domain definition a call picks
(virDomainObjGetOneDef: the live one of a running domain unless the flags say otherwise) as libvirt
writes it there (<memtune>, <numatune>, <blkiotune>, <bandwidth>, <iotune>, <perf>).

Words, numbers and the order of the checks as libvirt's testDomain{Get,Set}*Parameters,
testDomain{Get,Set}BlockIoTune and testDomain{Get,Set}PerfEvents (observed with python3-libvirt).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs
from lxml import etree

from virt import domainchanges as rules
from virt import scheduler, tunables
from virt.domainchanges import Impact
from virt.domainstats import ParamType, TypedParameter
from virt.drivers.test import errors
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError, libvirt_error
from virt.localstate.stats import find_disk, find_interface
from virt.tunables import MEMORY_PARAM_UNLIMITED, NumaMode
from virt.xml.convert import CPUSET
from virt.xml.tuning import (
    BandwidthRate,
    BlkioDevice,
    BlkioTune,
    IoTune,
    MemTune,
    bandwidth_element,
    bandwidth_rates,
    iotune_element,
    perf_element,
    perf_events,
)

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.drivers.test.host import Host
    from virt.drivers.test.objects import DomainObj
    from virt.xml import Disk, Domain

_IMPACT = int(Impact.LIVE | Impact.CONFIG)
_READ = _IMPACT | scheduler.TYPED_PARAM_STRING_OKAY
_VALIDATE = ErrorDomain.NONE
"""Where libvirt's virTypedParamsValidate reports a refused parameter from (util code, no driver's)."""
_IOTUNE_MAX = 1000000000000000
"""TEST_BLOCK_IOTUNE_MAX: the highest I/O throttling limit libvirt's test driver takes."""
_IOTUNE_PAIRS = ("bytes_sec", "iops_sec", "bytes_sec_max", "iops_sec_max")
_IOTUNE_BOUNDED = ("total_bytes_sec", "read_bytes_sec", "write_bytes_sec", "total_iops_sec", "read_iops_sec",
                   "write_iops_sec")  # fmt: skip
_STRTOUL = re.compile(r"[ \t\n\v\f\r]*([+-]?)([0-9]+)")
"""What strtoul reads in base 10 (white space, a sign, digits), at the start of a value."""


def _check_flags(flags: int, allowed: int, function: str) -> None:
    if flags & ~allowed:
        raise InvalidArgument(
            f"unsupported flags (0x{flags & ~allowed:x}) in function {function}",
            ErrorNumber.INVALID_ARG,
            ErrorDomain.TEST,
        )


def _ull(field: str, value: int) -> TypedParameter:
    return TypedParameter(field, ParamType.ULLONG, value)


def _uint(field: str, value: int) -> TypedParameter:
    return TypedParameter(field, ParamType.UINT, value)


class TunableOperations:
    """The tunables methods of TestConnection (callers of ``_domain`` hold ``host.lock``)."""

    host: Host

    if TYPE_CHECKING:  # DomainOperations', beside this mixin in TestConnection

        def _domain(self, ref: DomainRef) -> DomainObj: ...

    def _tuned(self, ref: DomainRef, flags: int, *, change: bool = False) -> tuple[DomainObj, Domain, bool]:
        """The domain, the definition ``flags`` picks (its XML forgotten when a ``change`` follows) and
        whether it is the live one (virDomainObjGetOneDefState)."""
        obj = self._domain(ref)
        live = rules.one_definition(Impact(flags & _IMPACT), active=obj.active, persistent=obj.persistent)
        definition = obj.live if live else obj.config
        assert definition is not None
        if change:
            obj.xml_cache.clear()
        return obj, definition, live

    # -- memory (virsh memtune) -----------------------------------------------------------------
    def get_domain_memory_parameters(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        _check_flags(flags, _READ, "testDomainGetMemoryParameters")
        with self.host.lock:
            _, definition, _ = self._tuned(ref, flags)
            limits = _limits(definition)
        return [_ull(name, limits[name]) for name in tunables.MEMORY_PARAMETERS]

    def set_domain_memory_parameters(self, ref: DomainRef, params: Sequence[TypedParameter], flags: int) -> None:
        _check_flags(flags, _IMPACT, "testDomainSetMemoryParameters")
        scheduler.validate(params, dict.fromkeys(tunables.MEMORY_PARAMETERS, ParamType.ULLONG), _VALIDATE)
        given = {p.field: int(p.value) for p in params}
        with self.host.lock:
            obj, definition, _ = self._tuned(ref, flags, change=True)
            if "hard_limit" in given or "swap_hard_limit" in given:
                # checked against the running definition's limits, whichever definition changes
                current = _limits(obj.live if obj.active and obj.live is not None else definition)
                hard = given.get("hard_limit", current["hard_limit"])
                swap = given.get("swap_hard_limit", current["swap_hard_limit"])
                if hard > swap:
                    raise errors.error(
                        ErrorNumber.INVALID_ARG,
                        "memory hard_limit tunable value must be lower than or equal to swap_hard_limit",
                    )
            memtune = _memtune(definition)
            beyond = _unwritten(definition).limits
            for name, value in given.items():
                setattr(memtune, name, value if value < MEMORY_PARAM_UNLIMITED else None)
                if value > MEMORY_PARAM_UNLIMITED:
                    beyond[name] = value
                else:
                    beyond.pop(name, None)
            definition.memtune = memtune.to_element() if memtune != MemTune() else None

    # -- NUMA memory (virsh numatune) -----------------------------------------------------------
    def get_domain_numa_parameters(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        _check_flags(flags, _READ, "testDomainGetNumaParameters")
        with self.host.lock:
            _, definition, _ = self._tuned(ref, flags)
            memory = _numa_memory(definition)
        mode = NumaMode.STRICT if memory is None else _numa_mode(memory)
        nodeset = "" if memory is None else memory.get("nodeset", "")
        return [
            TypedParameter(tunables.NUMA_MODE, ParamType.INT, int(mode)),
            TypedParameter(tunables.NUMA_NODESET, ParamType.STRING, nodeset),
        ]

    def set_domain_numa_parameters(self, ref: DomainRef, params: Sequence[TypedParameter], flags: int) -> None:
        _check_flags(flags, _IMPACT, "testDomainSetNumaParameters")
        scheduler.validate(
            params, {tunables.NUMA_MODE: ParamType.INT, tunables.NUMA_NODESET: ParamType.STRING}, _VALIDATE
        )
        with self.host.lock:
            _, definition, live = self._tuned(ref, flags, change=True)
            mode: int | None = None
            nodes: tuple[int, ...] | None = None
            for param in params:
                if param.field == tunables.NUMA_MODE:
                    mode = int(param.value)
                    if mode not in NumaMode.__members__.values():
                        raise errors.error(ErrorNumber.INVALID_ARG, f"unsupported numatune mode: '{mode}'")
                else:
                    nodes = _nodeset(str(param.value))
            memory = _numa_memory(definition)
            if live and mode is not None and memory is not None and _numa_mode(memory) != mode:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "can't change numatune mode for running domain")
            _set_numatune(definition, mode, nodes)

    # -- block I/O weights (virsh blkiotune) ----------------------------------------------------
    def get_domain_blkio_parameters(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        _check_flags(flags, _READ, "testDomainGetBlkioParameters")
        with self.host.lock:
            _, definition, _ = self._tuned(ref, flags)
            blkio = _blkiotune(definition)
        params = [_uint(tunables.BLKIO_WEIGHT, blkio.weight or 0)]
        for field, child in tunables.BLKIO_DEVICE_PARAMETERS:
            text = ",".join(f"{d.path},{getattr(d, child)}" for d in blkio.devices if getattr(d, child))
            params.append(TypedParameter(field, ParamType.STRING, text))
        return params

    def set_domain_blkio_parameters(self, ref: DomainRef, params: Sequence[TypedParameter], flags: int) -> None:
        _check_flags(flags, _IMPACT, "testDomainSetBlkioParameters")
        accepted = {tunables.BLKIO_WEIGHT: ParamType.UINT}
        accepted.update({field: ParamType.STRING for field, _ in tunables.BLKIO_DEVICE_PARAMETERS})
        scheduler.validate(params, accepted, _VALIDATE)
        children = dict(tunables.BLKIO_DEVICE_PARAMETERS)
        failure: VirtError | None = None
        with self.host.lock:
            _, definition, _ = self._tuned(ref, flags, change=True)
            blkio = _blkiotune(definition)
            unwritten = _unwritten(definition)
            blkio.devices = _in_order(blkio.devices, unwritten.blkio_paths)
            for param in params:
                if param.field == tunables.BLKIO_WEIGHT:
                    blkio.weight = int(param.value)
                    continue
                # libvirt goes on with the other parameters after a bad one, and reports the last failure
                try:
                    devices = _blkio_devices(str(param.value), param.field)
                except VirtError as exc:
                    failure = exc
                    continue
                _merge_devices(blkio, devices, children[param.field])
            unwritten.blkio_paths = [d.path or "" for d in blkio.devices]
            definition.blkiotune = _blkiotune_element(blkio)
        if failure is not None:
            raise failure

    # -- perf events (virsh perf) ---------------------------------------------------------------
    def get_domain_perf_events(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        _check_flags(flags, _READ, "testDomainGetPerfEvents")
        with self.host.lock:
            _, definition, _ = self._tuned(ref, flags)
            events = perf_events(definition.perf)
        return [TypedParameter(name, ParamType.BOOLEAN, events.get(name, False)) for name in tunables.PERF_EVENTS]

    def set_domain_perf_events(self, ref: DomainRef, params: Sequence[TypedParameter], flags: int) -> None:
        _check_flags(flags, _IMPACT, "testDomainSetPerfEvents")
        scheduler.validate(params, dict.fromkeys(tunables.PERF_EVENTS, ParamType.BOOLEAN), _VALIDATE)
        with self.host.lock:
            _, definition, _ = self._tuned(ref, flags, change=True)
            events = perf_events(definition.perf)
            events.update({p.field: bool(p.value) for p in params})
            definition.perf = perf_element(events, tunables.PERF_EVENTS)

    # -- interface bandwidth (virsh domiftune) --------------------------------------------------
    def get_domain_interface_parameters(self, ref: DomainRef, device: str, flags: int) -> list[TypedParameter]:
        _check_flags(flags, _READ, "testDomainGetInterfaceParameters")
        with self.host.lock:
            _, definition, _ = self._tuned(ref, flags)
            rates = bandwidth_rates(find_interface(definition, device).bandwidth)
        return [
            _uint(field, getattr(rates.get(direction), name, None) or 0)
            for field, direction, name in tunables.BANDWIDTH_PARAMETERS
        ]

    def set_domain_interface_parameters(
        self, ref: DomainRef, device: str, params: Sequence[TypedParameter], flags: int
    ) -> None:
        _check_flags(flags, _IMPACT, "testDomainSetInterfaceParameters")
        scheduler.validate(params, {field: ParamType.UINT for field, _, _ in tunables.BANDWIDTH_PARAMETERS}, _VALIDATE)
        where = {field: (direction, name) for field, direction, name in tunables.BANDWIDTH_PARAMETERS}
        new = {"inbound": BandwidthRate(), "outbound": BandwidthRate()}
        specified: set[str] = set()
        for param in params:
            direction, name = where[param.field]
            setattr(new[direction], name, int(param.value))
            if name == "average" or (direction, name) == ("inbound", "floor"):
                specified.add(direction)
        # an average (or an inbound floor) is what makes a direction: without one it is dropped
        given = {
            direction: rate
            for direction, rate in new.items()
            if rate.average or (direction == "inbound" and rate.floor)
        }
        with self.host.lock:
            _, definition, _ = self._tuned(ref, flags, change=True)
            interface = find_interface(definition, device)
            if interface.bandwidth is None:
                rates = given
            else:
                rates = bandwidth_rates(interface.bandwidth)
                for direction in ("inbound", "outbound"):
                    if direction in given:
                        rates[direction] = given[direction]
                    elif direction in specified:
                        rates.pop(direction, None)
            interface.bandwidth = bandwidth_element(rates)

    # -- disk I/O throttling (virsh blkdeviotune) -----------------------------------------------
    def get_domain_block_io_tune(self, ref: DomainRef, disk: str, flags: int) -> list[TypedParameter]:
        _check_flags(flags, _READ, "testDomainGetBlockIoTune")
        with self.host.lock:
            _, definition, _ = self._tuned(ref, flags & ~scheduler.TYPED_PARAM_STRING_OKAY)
            iotune = _iotune(_disk(definition, disk).iotune)
        params = []
        for name in tunables.BLOCK_IOTUNE_PARAMETERS:
            value = getattr(iotune, name)
            if name == "group_name":
                params.append(TypedParameter(name, ParamType.STRING, value or ""))
            else:
                params.append(_ull(name, value or 0))
        return params

    def set_domain_block_io_tune(self, ref: DomainRef, disk: str, params: Sequence[TypedParameter], flags: int) -> None:
        _check_flags(flags, _IMPACT, "testDomainSetBlockIoTune")
        accepted = dict.fromkeys(tunables.BLOCK_IOTUNE_PARAMETERS, ParamType.ULLONG)
        accepted["group_name"] = ParamType.STRING
        scheduler.validate(params, accepted, _VALIDATE)
        with self.host.lock:
            _, definition, _ = self._tuned(ref, flags, change=True)
            found = find_disk(definition, disk)
            if found is None:
                raise errors.error(ErrorNumber.INVALID_ARG, f"missing persistent configuration for disk '{disk}'")
            iotune = _iotune(found.iotune)
            for param in params:
                if param.type is ParamType.STRING:
                    iotune.group_name = str(param.value)
                    continue
                if int(param.value) > _IOTUNE_MAX:
                    raise errors.error(
                        ErrorNumber.ARGUMENT_UNSUPPORTED,
                        f"block I/O throttle limit value must be no more than {_IOTUNE_MAX}",
                    )
                setattr(iotune, param.field, int(param.value) or None)
            _check_iotune(iotune)
            found.iotune = iotune_element(iotune)


@attrs.define
class _Unwritten:
    """What libvirt keeps of a definition's tunables but leaves out of its XML, so that a copy of the
    definition (a start, a redefinition) goes without it."""

    limits: dict[str, int] = attrs.Factory(dict)
    """Memory limits set above VIR_DOMAIN_MEMORY_PARAM_UNLIMITED: libvirt reads the number back."""
    blkio_paths: list[str] = attrs.Factory(list)
    """Every <blkiotune> device path in libvirt's order, those with nothing set included: a value set
    for one again takes its old place."""


_UNWRITTEN: dict[int, _Unwritten] = {}
"""By definition (its id while it lives)."""


def _unwritten(definition: Domain) -> _Unwritten:
    key = id(definition)
    found = _UNWRITTEN.get(key)
    if found is None:
        found = _UNWRITTEN[key] = _Unwritten()
        weakref.finalize(definition, _UNWRITTEN.pop, key, None)
    return found


def _limits(definition: Domain) -> dict[str, int]:
    """The memory limits of a definition in KiB, VIR_DOMAIN_MEMORY_PARAM_UNLIMITED when not set."""
    memtune = _memtune(definition)
    unwritten = _UNWRITTEN.get(id(definition))
    beyond = unwritten.limits if unwritten is not None else {}
    limits = {}
    for name in tunables.MEMORY_PARAMETERS:
        value = getattr(memtune, name)
        limits[name] = beyond.get(name, MEMORY_PARAM_UNLIMITED) if value is None else value
    return limits


def _memtune(definition: Domain) -> MemTune:
    return MemTune() if definition.memtune is None else MemTune.from_element(definition.memtune)


def _numa_memory(definition: Domain) -> etree._Element | None:
    numatune = definition.numatune
    return None if numatune is None else numatune.find("memory")


def _numa_mode(memory: etree._Element) -> int:
    mode = memory.get("mode", "strict")
    return next((m for m in NumaMode if m.label == mode), NumaMode.STRICT)


def _nodeset(text: str) -> tuple[int, ...]:
    """virBitmapParse's reading of a nodeset, refused when it names no node."""
    try:
        nodes = CPUSET.parse(text)
    except ValueError:
        raise libvirt_error(ErrorNumber.INVALID_ARG, f"Failed to parse bitmap '{text}'", ErrorDomain.NONE) from None
    if not nodes:
        raise errors.error(ErrorNumber.OPERATION_INVALID, f"Invalid nodeset of 'numatune': {text}")
    return nodes


def _set_numatune(definition: Domain, mode: int | None, nodes: tuple[int, ...] | None) -> None:
    """virDomainNumatuneSet with no placement asked for: the mode and nodeset of <numatune><memory>."""
    if mode is None and nodes is None:
        return
    memory = _numa_memory(definition)
    nodeset = None if memory is None else memory.get("nodeset")
    placement = None if memory is None else ("static" if nodeset is not None else "auto")
    if memory is None and mode is None:
        mode = NumaMode.STRICT
    if nodes is not None:
        nodeset = CPUSET.format(nodes)
        placement = "static"  # a nodeset given makes the placement static, whatever it was
    if placement is None:
        static = definition.vcpu is None or definition.vcpu.placement != "auto"
        placement = "static" if nodeset is not None or static else "auto"
    if placement == "static" and nodeset is None:
        raise libvirt_error(
            ErrorNumber.CONFIG_UNSUPPORTED,
            "nodeset for NUMA memory tuning must be set if 'placement' is 'static'",
            ErrorDomain.DOMAIN,
        )
    numatune = definition.numatune
    if numatune is None:
        numatune = etree.Element("numatune")
    new = etree.Element("memory")
    new.set("mode", NumaMode(_numa_mode(memory) if mode is None else mode).label)
    if placement == "static":
        new.set("nodeset", nodeset or "")
    else:
        new.set("placement", placement)
    old = numatune.find("memory")
    if old is not None:
        numatune.replace(old, new)
    else:
        numatune.insert(0, new)
    definition.numatune = numatune


def _blkiotune(definition: Domain) -> BlkioTune:
    return BlkioTune() if definition.blkiotune is None else BlkioTune.from_element(definition.blkiotune)


def _in_order(devices: list[BlkioDevice], paths: list[str]) -> list[BlkioDevice]:
    """The devices in the order libvirt keeps them (``paths``), those left out of the XML back."""
    written = {d.path: d for d in devices}
    ordered = []
    for path in paths:
        device = written.pop(path, None)
        if device is None:
            device = BlkioDevice()
            device.path = path
        ordered.append(device)
    return ordered + [d for d in devices if d.path in written]


def _blkiotune_element(blkio: BlkioTune) -> etree._Element | None:
    blkio.weight = blkio.weight or None
    blkio.devices = [
        d for d in blkio.devices if any(getattr(d, child) for _, child in tunables.BLKIO_DEVICE_PARAMETERS)
    ]
    return None if blkio == BlkioTune() else blkio.to_element()


def _strtoul(text: str, bits: int) -> tuple[int, str] | None:
    """virStrToLong_uip/ullp with an end pointer: the number and what follows it; None when there is no
    number, it is negative or too big."""
    match = _STRTOUL.match(text)
    if match is None or match.group(1) == "-" or int(match.group(2)) >= 2**bits:
        return None
    return int(match.group(2)), text[match.end() :]


def _blkio_devices(text: str, field: str) -> list[tuple[str, int]]:
    """virDomainDriverParseBlkioDeviceStr: ``/path,value,...`` as (path, value) pairs."""

    def unparsable() -> VirtError:
        return libvirt_error(
            ErrorNumber.INVALID_ARG, f"unable to parse blkio device '{field}' '{text}'", ErrorDomain.DOMAIN
        )

    if text == "":
        return []
    if not text.count(",") % 2:
        raise unparsable()
    bits = 64 if field.endswith("bytes_sec") else 32
    devices = []
    rest = text
    while True:
        path, comma, rest = rest.partition(",")
        if not comma:
            raise unparsable()
        read = _strtoul(rest, bits)
        if read is None:
            raise libvirt_error(
                ErrorNumber.INVALID_ARG,
                f"invalid value '{rest}' for parameter '{field}' of device '{path}'",
                ErrorDomain.DOMAIN,
            )
        value, rest = read
        devices.append((path, value))
        if rest == "":
            return devices
        if not rest.startswith(","):
            raise unparsable()
        rest = rest[1:]


def _merge_devices(blkio: BlkioTune, devices: list[tuple[str, int]], child: str) -> None:
    """virDomainDriverMergeBlkioDevice: a device listed takes the value; a new one only when not 0."""
    for path, value in devices:
        known = next((d for d in blkio.devices if d.path == path), None)
        if known is None:
            if not value:
                continue
            known = BlkioDevice()
            known.path = path
            blkio.devices.append(known)
        setattr(known, child, value or None)


def _disk(definition: Domain, name: str) -> Disk:
    found = find_disk(definition, name)
    if found is None:
        raise errors.error(ErrorNumber.INVALID_ARG, f"disk '{name}' was not found in the domain config")
    return found


def _iotune(element: etree._Element | None) -> IoTune:
    return IoTune() if element is None else IoTune.from_element(element)


def _check_iotune(iotune: IoTune) -> None:
    def value(name: str) -> int:
        return getattr(iotune, name) or 0

    for suffix in _IOTUNE_PAIRS:
        if value(f"total_{suffix}") and (value(f"read_{suffix}") or value(f"write_{suffix}")):
            raise errors.error(
                ErrorNumber.INVALID_ARG, f"total and read/write of {suffix} cannot be set at the same time"
            )
    for name in _IOTUNE_BOUNDED:
        if value(name) > value(f"{name}_max"):
            # libvirt 9.0's words end with a space
            raise errors.error(ErrorNumber.INVALID_ARG, f"{name} cannot be set higher than {name}_max ")
