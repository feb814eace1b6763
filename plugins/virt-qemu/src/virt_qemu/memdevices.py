"""The guest's memory layout for memory hotplug (``<maxMemory>``, ``<cpu><numa>`` cells, ``<memory
model='dimm'>`` devices), with libvirt 9.0's QEMU driver's rules and words.

At define (``check_definition``): with ``<maxMemory>`` the guest must have NUMA cells (QEMU would
silently make one), each DIMM names its cell, fits its slot and the hotplug space; DIMMs without an
address get the lowest free slot. At start (``for_start``): the cells are rounded up to 1 MiB and
the DIMMs to 2 MiB (what QEMU's pc-dimm needs), ``<memory>`` is their sum, each DIMM is
``dimm<slot>`` (its backend ``memdimm<slot>``); after QEMU started, ``record_bases`` writes the
guest-physical base QEMU gave each DIMM into its address, as libvirt's live XML shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from lxml import etree
from virt.errors import ErrorDomain, ErrorNumber
from virt.xml import Domain
from virt.xml.convert import scale
from virt.xml.devices import Address, Alias, MemoryDevice

from virt_qemu import errors

CELL_ALIGN = 1024
"""KiB: NUMA cells and the initial memory are rounded up to 1 MiB (qemuDomainGetMemorySizeAlignment)."""
DIMM_ALIGN = 2048
"""KiB: pc-dimm backends at start are rounded up to 2 MiB (libvirt's module alignment on x86)."""


@attrs.frozen
class Cell:
    id: int
    cpus: str
    memory: int
    """KiB."""


def kib(value: str | None, unit: str | None, where: str) -> int:
    try:
        return scale((value or "").strip(), unit or "KiB", 1024)
    except ValueError as e:
        raise errors.error(ErrorNumber.XML_ERROR, f"invalid memory size at {where}: {e}") from None


def round_up(value: int, align: int) -> int:
    return -(-value // align) * align


def max_memory(domain: Domain) -> tuple[int, int] | None:
    """(size in KiB, slots) of ``<maxMemory>``, or None without it."""
    el = domain.max_memory
    if el is None:
        return None
    slots = el.get("slots", "0")
    if not slots.isdigit():
        raise errors.error(ErrorNumber.XML_ERROR, f"invalid value '{slots}' of <maxMemory slots>")
    return kib(el.text, el.get("unit"), "/domain/maxMemory"), int(slots)


def cells(domain: Domain) -> list[Cell]:
    numa = domain.cpu.numa if domain.cpu is not None else None
    found = []
    for n, cell in enumerate(numa.iterfind("cell") if numa is not None else []):
        where = f"/domain/cpu/numa/cell[{n + 1}]"
        ident = cell.get("id", str(n))
        if not ident.isdigit():
            raise errors.error(ErrorNumber.XML_ERROR, f"invalid NUMA cell id '{ident}' at {where}")
        found.append(Cell(int(ident), cell.get("cpus", ""), kib(cell.get("memory"), cell.get("unit"), where)))
    return found


def dimms(domain: Domain) -> list[MemoryDevice]:
    return [m for m in (domain.devices.memories if domain.devices is not None else []) if m.model == "dimm"]


def size_of(memory: MemoryDevice) -> int:
    """A memory device's ``<target><size>`` in KiB (0 without one)."""
    size = memory.target.find("size") if memory.target is not None else None
    return 0 if size is None else kib(size.text, size.get("unit"), "/domain/devices/memory/target/size")


def set_size(memory: MemoryDevice, value: int) -> None:
    size = memory.target.find("size") if memory.target is not None else None
    if size is not None:
        size.text, size.attrib["unit"] = str(value), "KiB"


def node_of(memory: MemoryDevice) -> int | None:
    node = memory.target.find("node") if memory.target is not None else None
    text = (node.text or "").strip() if node is not None else ""
    if node is not None and not text.isdigit():
        raise errors.error(ErrorNumber.XML_ERROR, f"invalid value '{text}' of <memory><target><node>")
    return int(text) if text else None


def slot_of(memory: MemoryDevice) -> int | None:
    address = memory.address
    if address is None or address.type != "dimm":
        return None
    slot = _address_attr(address, "slot")
    return int(slot, 0) if slot else None


def base_of(memory: MemoryDevice) -> int | None:
    """A DIMM's guest-physical base address, when its address says one."""
    base = _address_attr(memory.address, "base") if memory.address is not None else None
    return int(base, 0) if base else None


def _address_attr(address: Address, name: str) -> str | None:
    value = getattr(address, name, None)
    if value is None and address._unknown is not None:
        value = address._unknown.attrs.get(name)
    return str(value) if value is not None else None


def _set_address(memory: MemoryDevice, slot: int, base: int | None = None) -> None:
    """``<address type='dimm' slot= [base=]>`` (the Address model knows no dimm fields: built from XML)."""
    text = f"<address type='dimm' slot='{slot}'" + (f" base='{base:#x}'" if base is not None else "") + "/>"
    memory.address = Address.from_element(etree.fromstring(text))


def check_definition(domain: Domain) -> None:
    """libvirt's define-time rules (post-parse totals aside, ``postparse.memory``): slots for the
    DIMMs, then the hotplug validation (qemuDomainDefValidateMemoryHotplug)."""
    limits = max_memory(domain)
    devices = domain.devices.memories if domain.devices is not None else []
    if limits is not None and limits[0] and domain.memory is not None and domain.memory > limits[0]:
        raise errors.error(
            ErrorNumber.XML_ERROR, "maximum memory size must be equal or greater than the actual memory size",
            ErrorDomain.DOMAIN,
        )  # fmt: skip
    hotplug = limits is not None and limits[0] > 0
    if hotplug:
        assign_slots(domain)
    validate(domain, None)
    if not hotplug and devices:
        raise errors.unsupported("cannot use/hotplug a memory device when domain 'maxMemory' is not defined")


def assign_slots(domain: Domain) -> None:
    """Each DIMM without an address gets the lowest slot no other one holds (qemuDomainAssignMemorySlots)."""
    limits = max_memory(domain)
    slots = limits[1] if limits is not None else 0
    taken = {slot for m in dimms(domain) if (slot := slot_of(m)) is not None}
    for memory in dimms(domain):
        if memory.address is not None and memory.address.type not in (None, "dimm"):
            continue
        if slot_of(memory) is None:
            free = next((n for n in range(slots) if n not in taken), None)
            if free is None:
                raise errors.internal("failed to find an empty memory slot")
            taken.add(free)
            _set_address(memory, free)


def validate(domain: Domain, new: MemoryDevice | None) -> None:
    """qemuDomainDefValidateMemoryHotplug: ``new`` is a DIMM being added (else the definition's own)."""
    limits = max_memory(domain)
    present = dimms(domain)
    if new is not None:
        _check_device(domain, new, present)
    if limits is None or not limits[0]:
        if present or new is not None:
            raise errors.unsupported("cannot use/hotplug a memory device when domain 'maxMemory' is not defined")
        return
    if not cells(domain):
        raise errors.unsupported("At least one numa node has to be configured when enabling memory hotplug")
    if new is None:
        for memory in present:
            _check_device(domain, memory, present)
    count = len(present) + (new is not None)
    if count > limits[1]:
        raise errors.unsupported(f"memory device count '{count}' exceeds slots count '{limits[1]}'")
    initial = sum(cell.memory for cell in cells(domain))
    plugged = sum(size_of(m) for m in present) + (size_of(new) if new is not None else 0)
    if plugged > limits[0] - initial:
        raise errors.unsupported("memory device total size exceeds hotplug space")


def _check_device(domain: Domain, memory: MemoryDevice, present: list[MemoryDevice]) -> None:
    node = node_of(memory)
    count = len(cells(domain))
    if node is not None and node >= count:
        raise errors.error(
            ErrorNumber.XML_DETAIL,
            f"can't add memory backend for guest node '{node}' as the guest has only '{count}' NUMA nodes configured",
            ErrorDomain.DOMAIN,
        )
    if memory.address is not None and memory.address.type not in (None, "dimm"):
        raise errors.unsupported("only 'dimm' addresses are supported for the pc-dimm device")
    if count and node is None:
        raise errors.unsupported("target NUMA node needs to be specified for memory device")
    slot = slot_of(memory)
    limits = max_memory(domain)
    if slot is None or limits is None:
        return
    if slot >= limits[1]:
        raise errors.unsupported(f"memory device slot '{slot}' exceeds slots count '{limits[1]}'")
    if any(other is not memory and slot_of(other) == slot for other in present):
        raise errors.unsupported(f"memory device slot '{slot}' is already being used by another memory device")


def alias_of(memory: MemoryDevice) -> str:
    """The QEMU id of a DIMM: ``dimm<slot>`` (libvirt's alias; its backend is ``mem`` + that)."""
    slot = slot_of(memory)
    return f"dimm{slot if slot is not None else 0}"


def for_start(domain: Domain) -> None:
    """The running definition's sizes (qemuDomainAlignMemorySizes) and the DIMMs' aliases."""
    found = cells(domain)
    numa = domain.cpu.numa if domain.cpu is not None else None
    if numa is not None:
        for el, cell in zip(numa.iterfind("cell"), found, strict=True):
            el.set("memory", str(round_up(cell.memory, CELL_ALIGN)))
            el.set("unit", "KiB")
    limits = max_memory(domain)
    if limits is None or not limits[0]:
        return
    assert domain.max_memory is not None
    domain.max_memory.text, domain.max_memory.attrib["unit"] = str(round_up(limits[0], CELL_ALIGN)), "KiB"
    initial = sum(round_up(cell.memory, CELL_ALIGN) for cell in found)
    plugged = 0
    for memory in dimms(domain):
        set_size(memory, round_up(size_of(memory), DIMM_ALIGN))
        plugged += size_of(memory)
        memory.alias = named(alias_of(memory))
    if initial:
        domain.memory = initial + plugged


def named(name: str) -> Alias:
    alias = Alias()
    alias.name = name
    return alias


def record_bases(domain: Domain, execute: Callable[[str], Any]) -> None:
    """Each DIMM's guest-physical base as QEMU placed it (``query-memory-devices``), into its address."""
    if not dimms(domain):
        return
    bases = {}
    for entry in execute("query-memory-devices") or []:
        data = entry.get("data") if isinstance(entry, dict) else None
        if isinstance(data, dict) and data.get("id") and isinstance(data.get("addr"), int):
            bases[str(data["id"])] = (int(data.get("slot", 0)), int(data["addr"]))
    for memory in dimms(domain):
        alias = memory.alias.name if memory.alias is not None else None
        if alias in bases:
            _set_address(memory, *bases[alias])
