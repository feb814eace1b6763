"""Memory sizes of a domain written as libvirt's formatter writes them: in KiB, whatever unit the
document used (virDomainParseMemory then virDomainDefFormat): ``<maxMemory>``, the NUMA cells'
``memory``, and a memory device's sizes (target size, block, requested, label, source page size).
A value that does not parse is left as written: validation names it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from virt.xml.convert import scale

if TYPE_CHECKING:
    from virt.xml.domain import Domain

_DEVICE_SIZES = ("target/size", "target/block", "target/requested", "target/label/size", "source/pagesize")


def normalize(domain: Domain) -> None:
    if domain.max_memory is not None:
        _in_kib(domain.max_memory, "unit")
    numa = domain.cpu.numa if domain.cpu is not None else None
    for cell in numa.iterfind("cell") if numa is not None else []:
        if cell.get("memory") is not None:
            try:
                value = scale(cell.get("memory", "").strip(), cell.get("unit") or "KiB", 1024)
            except ValueError:
                continue
            cell.set("memory", str(value))
            cell.set("unit", "KiB")
    for memory in domain.devices.memories if domain.devices is not None else []:
        for part in (memory.target, memory.source):
            if part is None:
                continue
            for path in _DEVICE_SIZES:
                head, _, rest = path.partition("/")
                if head == part.tag:
                    for el in part.iterfind(rest):
                        _in_kib(el, "unit")


def _in_kib(el: etree._Element, unit_attribute: str) -> None:
    try:
        value = scale((el.text or "").strip(), el.get(unit_attribute) or "KiB", 1024)
    except ValueError:
        return
    el.text = str(value)
    el.set(unit_attribute, "KiB")
