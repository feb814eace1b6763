"""The guest's memory totals as libvirt's QEMU driver writes them at define time.

A definition is parsed there with ABI updates allowed (define and create), so libvirt's memory
post-parse step recomputes ``<memory>`` from the parts when the guest has NUMA cells: the sum of
the cells plus every memory device (dimm, nvdimm, virtio-pmem, virtio-mem...). Without NUMA cells
the given total stays, and the memory devices must fit in it. ``<currentMemory>`` is the total
when it is missing, zero or above it.
"""

from __future__ import annotations

from virt.errors import ErrorNumber
from virt.xml import Domain
from virt.xml.convert import scale

from virt_qemu import errors, memdevices


def fill_totals(domain: Domain) -> None:
    cells = _numa_total(domain)
    devices = _devices_total(domain)
    if cells:
        # libvirt fills a missing <currentMemory> after this sum (the XML model filled it with the
        # given <memory> already)
        if domain.current_memory_implicit:
            domain.current_memory = None
        domain.memory = cells + devices
    elif domain.memory is not None and devices > domain.memory:
        raise errors.error(ErrorNumber.XML_ERROR, "Total size of memory devices exceeds the total memory size")
    total = domain.memory
    if total is not None and (not domain.current_memory or domain.current_memory > total):
        domain.current_memory = total
    # <maxMemory>, NUMA cells and DIMM slots (memory hotplug)
    memdevices.check_definition(domain)


def _numa_total(domain: Domain) -> int:
    """The NUMA cells' memory in KiB (0 without cells)."""
    numa = domain.cpu.numa if domain.cpu is not None else None
    if numa is None:
        return 0
    cells = numa.iterfind("cell")
    return sum(_kib(cell.get("memory"), cell.get("unit"), "/domain/cpu/numa/cell/@memory") for cell in cells)


def _devices_total(domain: Domain) -> int:
    """The memory devices' sizes in KiB."""
    total = 0
    for memory in domain.devices.memories if domain.devices is not None else []:
        size = memory.target.find("size") if memory.target is not None else None
        if size is not None:
            total += _kib(size.text, size.get("unit"), "/domain/devices/memory/target/size")
    return total


def _kib(value: str | None, unit: str | None, where: str) -> int:
    try:
        return scale((value or "").strip(), unit or "KiB", 1024)
    except ValueError as e:
        raise errors.error(ErrorNumber.XML_ERROR, f"invalid memory size at {where}: {e}") from None
