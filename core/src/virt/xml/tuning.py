"""The tuning elements of a domain definition, as models: <memtune>, <blkiotune>, a disk's <iotune>,
and helpers for <numatune>'s <memory>, an interface's <bandwidth> and <perf>.

The domain model keeps these elements as lxml trees (``Domain.memtune``...); a caller reads one with
``MemTune.from_element`` and puts back ``to_element()``, or None once nothing is left to write
(libvirt leaves an element out when none of its values is set).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from virt.xml.base import XmlModel, attribute, children, model, scaled, text
from virt.xml.convert import CPUSET, UINT

if TYPE_CHECKING:
    from virt.xml.domain import Domain

__all__ = ["BlkioDevice", "BlkioTune", "IoTune", "MemTune", "iotune_element", "normalize"]


@model("memtune")
class MemTune(XmlModel):
    """Memory limits in KiB; None is libvirt's "unlimited" (``min_guarantee``: 0)."""

    hard_limit: int | None = scaled("hard_limit", "KiB")
    soft_limit: int | None = scaled("soft_limit", "KiB")
    min_guarantee: int | None = scaled("min_guarantee", "KiB")
    swap_hard_limit: int | None = scaled("swap_hard_limit", "KiB")


@model("device")
class BlkioDevice(XmlModel):
    path: str | None = text("path")
    weight: int | None = text("weight", UINT)
    read_iops_sec: int | None = text("read_iops_sec", UINT)
    write_iops_sec: int | None = text("write_iops_sec", UINT)
    read_bytes_sec: int | None = text("read_bytes_sec", UINT)
    write_bytes_sec: int | None = text("write_bytes_sec", UINT)


@model("blkiotune")
class BlkioTune(XmlModel):
    weight: int | None = text("weight", UINT)
    devices: list[BlkioDevice] = children("device", BlkioDevice)


@model("iotune")
class IoTune(XmlModel):
    """A disk's I/O throttling: each limit is written only when not 0."""

    total_bytes_sec: int | None = text("total_bytes_sec", UINT)
    read_bytes_sec: int | None = text("read_bytes_sec", UINT)
    write_bytes_sec: int | None = text("write_bytes_sec", UINT)
    total_iops_sec: int | None = text("total_iops_sec", UINT)
    read_iops_sec: int | None = text("read_iops_sec", UINT)
    write_iops_sec: int | None = text("write_iops_sec", UINT)
    total_bytes_sec_max: int | None = text("total_bytes_sec_max", UINT)
    read_bytes_sec_max: int | None = text("read_bytes_sec_max", UINT)
    write_bytes_sec_max: int | None = text("write_bytes_sec_max", UINT)
    total_iops_sec_max: int | None = text("total_iops_sec_max", UINT)
    read_iops_sec_max: int | None = text("read_iops_sec_max", UINT)
    write_iops_sec_max: int | None = text("write_iops_sec_max", UINT)
    size_iops_sec: int | None = text("size_iops_sec", UINT)
    group_name: str | None = text("group_name")
    total_bytes_sec_max_length: int | None = text("total_bytes_sec_max_length", UINT)
    read_bytes_sec_max_length: int | None = text("read_bytes_sec_max_length", UINT)
    write_bytes_sec_max_length: int | None = text("write_bytes_sec_max_length", UINT)
    total_iops_sec_max_length: int | None = text("total_iops_sec_max_length", UINT)
    read_iops_sec_max_length: int | None = text("read_iops_sec_max_length", UINT)
    write_iops_sec_max_length: int | None = text("write_iops_sec_max_length", UINT)


@model("rate")
class BandwidthRate(XmlModel):
    """One direction of an interface's <bandwidth> (<inbound> or <outbound>), in KiB/s and KiB."""

    average: int | None = attribute("average", UINT)
    peak: int | None = attribute("peak", UINT)
    floor: int | None = attribute("floor", UINT)
    burst: int | None = attribute("burst", UINT)


def iotune_element(iotune: IoTune) -> etree._Element | None:
    """An <iotune> element (None without any value); an empty group name is written with both tags."""
    if iotune == IoTune():
        return None
    element = iotune.to_element()
    group = element.find("group_name")
    if group is not None and iotune.group_name == "":
        group.text = ""
    return element


def bandwidth_rates(bandwidth: etree._Element | None) -> dict[str, BandwidthRate]:
    """The <inbound> and <outbound> rates a <bandwidth> element gives, by tag."""
    rates: dict[str, BandwidthRate] = {}
    for tag in ("inbound", "outbound"):
        found = bandwidth.find(tag) if bandwidth is not None else None
        if found is not None:
            rates[tag] = BandwidthRate.from_element(found)
    return rates


def bandwidth_element(rates: dict[str, BandwidthRate]) -> etree._Element | None:
    """A <bandwidth> element with ``rates`` (None with neither)."""
    if not rates:
        return None
    element = etree.Element("bandwidth")
    for tag in ("inbound", "outbound"):
        rate = rates.get(tag)
        if rate is None:
            continue
        written = rate.clone()
        for name in ("average", "peak", "floor", "burst"):
            setattr(written, name, getattr(rate, name) or None)
        sub = written.to_element()
        sub.tag = tag
        element.append(sub)
    return element


def perf_events(perf: etree._Element | None) -> dict[str, bool]:
    """The perf events a <perf> element names, enabled or not."""
    if perf is None:
        return {}
    return {event.get("name", ""): event.get("enabled") == "yes" for event in perf.iterfind("event")}


def perf_element(events: dict[str, bool], order: tuple[str, ...]) -> etree._Element | None:
    """A <perf> element naming ``events`` in ``order`` (None without any)."""
    if not events:
        return None
    element = etree.Element("perf")
    for name in order:
        if name in events:
            etree.SubElement(element, "event", name=name, enabled="yes" if events[name] else "no")
    return element


def normalize(domain: Domain) -> None:
    """The tuning elements as libvirt writes them back after parsing: memory limits in KiB, children
    and attributes in libvirt's order, values that mean "not set" left out, nodesets as ranges."""
    from virt.tunables import MEMORY_PARAM_UNLIMITED, PERF_EVENTS

    if domain.memtune is not None:
        memtune = MemTune.from_element(domain.memtune)
        for name in ("hard_limit", "soft_limit", "swap_hard_limit"):
            if (getattr(memtune, name) or 0) >= MEMORY_PARAM_UNLIMITED:
                setattr(memtune, name, None)
        memtune.min_guarantee = memtune.min_guarantee or None
        domain.memtune = None if memtune == MemTune() else memtune.to_element()
    if domain.blkiotune is not None:
        blkio = BlkioTune.from_element(domain.blkiotune)
        blkio.weight = blkio.weight or None
        children = ("weight", "read_iops_sec", "write_iops_sec", "read_bytes_sec", "write_bytes_sec")
        for device in blkio.devices:
            for child in children:
                setattr(device, child, getattr(device, child) or None)
        blkio.devices = [d for d in blkio.devices if any(getattr(d, child) for child in children)]
        domain.blkiotune = None if blkio == BlkioTune() else blkio.to_element()
    _normalize_numatune(domain)
    if domain.perf is not None and all(e.get("name") in PERF_EVENTS for e in domain.perf.iterfind("event")):
        domain.perf = perf_element(perf_events(domain.perf), PERF_EVENTS)
    devices = domain.devices
    for disk in devices.disks if devices is not None else []:
        if disk.iotune is not None:
            iotune = IoTune.from_element(disk.iotune)
            for name in _IOTUNE_LIMITS:
                setattr(iotune, name, getattr(iotune, name) or None)
            disk.iotune = iotune_element(iotune)
    for interface in devices.interfaces if devices is not None else []:
        bandwidth = interface.bandwidth
        if bandwidth is not None and all(child.tag in ("inbound", "outbound") for child in bandwidth):
            interface.bandwidth = bandwidth_element(bandwidth_rates(bandwidth))


def _normalize_numatune(domain: Domain) -> None:
    """<numatune>'s <memory> first, its mode said, its nodeset as ranges; a domain whose vCPUs are
    placed automatically without a <memory> has its memory placed so too (virDomainNumatuneParseXML)."""
    numatune = domain.numatune
    memory = numatune.find("memory") if numatune is not None else None
    if memory is None:
        if domain.vcpu is None or domain.vcpu.placement != "auto":
            return
        if numatune is None:
            numatune = domain.numatune = etree.Element("numatune")
        memory = etree.Element("memory", placement="auto")
    assert numatune is not None
    attributes = {"mode": memory.get("mode", "strict")}
    placement = memory.get("placement")
    nodeset = memory.get("nodeset")
    if nodeset is not None and placement in (None, "static"):
        try:
            attributes["nodeset"] = CPUSET.format(CPUSET.parse(nodeset))
        except ValueError:
            return  # left as written, for the validation to name
    elif placement == "auto" and nodeset is None:
        attributes["placement"] = "auto"
    else:
        return
    memory.attrib.clear()
    memory.attrib.update(attributes)
    if memory.getparent() is not numatune or numatune.index(memory) != 0:
        numatune.insert(0, memory)


_IOTUNE_LIMITS = tuple(name for name in IoTune.__annotations__ if name != "group_name")
