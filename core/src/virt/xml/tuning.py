"""The tuning elements of a domain definition, as models: <memtune>, <blkiotune>, a disk's <iotune>,
and helpers for <numatune>'s <memory>, an interface's <bandwidth> and <perf>.

The domain model keeps these elements as lxml trees (``Domain.memtune``...); a caller reads one with
``MemTune.from_element`` and puts back ``to_element()``, or None once nothing is left to write
(libvirt leaves an element out when none of its values is set).
"""

from __future__ import annotations

from lxml import etree

from virt.xml.base import XmlModel, attribute, children, model, scaled, text
from virt.xml.convert import UINT

__all__ = ["BlkioDevice", "BlkioTune", "IoTune", "MemTune"]


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
        sub = etree.SubElement(element, tag)
        for name in ("average", "peak", "floor", "burst"):
            value = getattr(rate, name)
            if value:
                sub.set(name, str(value))
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
