"""Semantic checks of a parsed model: what libvirt refuses although the XML is well formed.

``problems(model)`` lists every problem found, ``validate(model)`` raises XMLError naming them
all. Each problem names the path of the element or attribute and, when the model was parsed from
text, its line: ``/domain/devices/disk[2]/target/@dev: duplicate target 'vda' (line 31)``.

The checks are the ones that catch real mistakes early: names and targets that must be unique
(disk targets, interface MACs, device aliases, controller indexes), required elements (a domain's
name and memory...), value ranges (current vcpus <= maximum, currentMemory <= memory, ports) and
two devices on one address. Paths follow lxml's ``getpath``: an element's index is written only
when its parent has several of that tag, as in the parse errors.

The models are still growing (raw elements become models), so every lookup here tolerates a field
that is missing or still a kept lxml element.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

import attrs
from lxml import etree

from virt.errors import XMLError
from virt.xml import base
from virt.xml.base import XmlModel, source_line


@attrs.frozen
class Problem:
    """One thing wrong with a model: where (path, and line when parsed from text) and what.

    An ``error`` is what libvirt refuses; a ``warning`` is what it accepts but is most likely a
    mistake (two interfaces with one MAC address)."""

    path: str
    message: str
    line: int | None = None
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" + (f" (line {self.line})" if self.line else "")


def problems(model: XmlModel) -> list[Problem]:
    """Every problem (errors and warnings) the checks for ``model``'s document type find."""
    report = Report(model)
    for check in _CHECKS.get(model._xml_tag, ()):
        check(model, report)
    return report.found


def validate(model: XmlModel) -> None:
    """Raise XMLError listing every error of ``model``, one a line; return when there is none."""
    found = [p for p in problems(model) if p.severity == "error"]
    if found:
        raise XMLError("\n".join(str(p) for p in found))


# -- where things are ---------------------------------------------------------------------------


class Report:
    """Collects problems, naming each object by its path in the tree (found once, up front)."""

    def __init__(self, root: XmlModel) -> None:
        self.found: list[Problem] = []
        self._paths: dict[int, str] = {}
        self._walk(root, "/" + root._xml_tag if root._xml_tag else "")

    def _walk(self, obj: XmlModel, path: str) -> None:
        self._paths[id(obj)] = path
        for _, name, spec in obj._xml.elements:
            if spec.kind == base.CHILD:
                value = getattr(obj, name, None)
                if isinstance(value, XmlModel):
                    self._walk(value, f"{path}/{spec.tag}")
            elif spec.kind == base.CHILDREN:
                items = getattr(obj, name, None) or []
                for n, item in enumerate(items, 1):
                    if isinstance(item, XmlModel):
                        self._walk(item, f"{path}/{spec.tag}[{n}]" if len(items) > 1 else f"{path}/{spec.tag}")

    def path(self, obj: XmlModel) -> str:
        return self._paths.get(id(obj), "")

    def add(self, obj: XmlModel, where: str, message: str, field: str | None = None, *, warning: bool = False) -> None:
        """A problem at ``where`` (``/@dev``, ``/memory``, or "" for the element) inside ``obj``;
        ``field`` is the field holding that child, to find its line."""
        severity: Literal["error", "warning"] = "warning" if warning else "error"
        self.found.append(Problem(self.path(obj) + where, message, source_line(obj, field), severity))

    def duplicates(
        self, items: Iterable[tuple[XmlModel, Any]], where: str, what: str, *, warning: bool = False
    ) -> None:
        """A problem for each object whose value (None: no value) an earlier one already had."""
        seen: set[Any] = set()
        for obj, value in items:
            if value is None:
                continue
            if value in seen:
                shown = value if isinstance(value, str) else " ".join(str(v) for v in value)
                self.add(obj, where, f"duplicate {what} '{shown}'", warning=warning)
            seen.add(value)


def _get(obj: Any, *names: str) -> Any:
    """``obj.a.b...``, None as soon as a step is missing; a kept element's attribute for the last."""
    for name in names:
        if obj is None:
            return None
        obj = obj.get(name) if isinstance(obj, etree._Element) else getattr(obj, name, None)
    return obj


def _models(value: Any) -> list[Any]:
    """The models in a field (one or a list); typed Any as the checks read fields by name."""
    if isinstance(value, XmlModel):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, XmlModel)]
    return []


def _int(value: Any) -> int | None:
    """An integer however it is held (addresses keep text: '0x1f', '3')."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value), 0)
    except ValueError:
        try:
            return int(str(value), 10)  # '010': decimal with a leading zero
        except ValueError:
            return None


# -- domains --------------------------------------------------------------------------------------


def _devices(domain: XmlModel) -> Iterator[tuple[str, Any]]:
    """Every device of the domain with its tag, in document order of the device lists."""
    devices = getattr(domain, "devices", None)
    if not isinstance(devices, XmlModel):
        return
    for _, name, spec in devices._xml.elements:
        if spec.kind in (base.CHILD, base.CHILDREN):
            assert spec.tag is not None
            for device in _models(getattr(devices, name, None)):
                yield spec.tag, device


def _domain_required(domain: Any, report: Report) -> None:
    if domain.type is None:
        report.add(domain, "/@type", "missing domain type")
    if not domain.name:
        report.add(domain, "/name", "missing domain name", "name")
    if domain.memory is None and not _numa_memory(domain):
        report.add(domain, "/memory", "missing memory size: give <memory> or memory in the <numa> cells")
    os = getattr(domain, "os", None)
    if os is None or _get(os, "type") is None:
        report.add(domain if os is None else os, "" if os is None else "/type", "missing os <type>")


def _numa_memory(domain: Any) -> bool:
    numa = _get(domain, "cpu", "numa")
    if isinstance(numa, etree._Element):
        return any(cell.get("memory") for cell in numa.iter("cell"))
    return bool(_models(_get(numa, "cells")))


def _domain_ranges(domain: Any, report: Report) -> None:
    vcpu = getattr(domain, "vcpu", None)
    count = _get(vcpu, "count")
    current = _get(vcpu, "current")
    if vcpu is not None and count is not None and count < 1:
        report.add(vcpu, "", f"maximum vcpus must be at least 1, not {count}")
    if vcpu is not None and count is not None and current is not None and current > count:
        report.add(vcpu, "/@current", f"current vcpus {current} greater than the maximum {count}")
    memory, current_memory = domain.memory, domain.current_memory
    if memory is not None and current_memory is not None and current_memory > memory:
        report.add(
            domain,
            "/currentMemory",
            f"current memory {current_memory} KiB greater than the memory {memory} KiB",
            "current_memory",
        )
    topology = _get(domain, "cpu", "topology")
    parts = [_get(topology, n) for n in ("sockets", "dies", "cores", "threads")]
    if topology is not None and count is not None and all(p is not None for p in (parts[0], parts[2], parts[3])):
        total = 1
        for p in parts:
            total *= p if p is not None else 1
        if total != count:
            # libvirt's generic parser lets this through; QEMU refuses it when starting
            report.add(topology, "", f"CPU topology gives {total} vcpus, not the maximum {count}", warning=True)
    for graphics in _models(_get(domain, "devices", "graphics")):
        port = _get(graphics, "port")
        if port is not None and port != -1 and not 0 <= port <= 65535:
            report.add(graphics, "/@port", f"port {port} out of range 0-65535 (or -1)")


def _domain_unique(domain: Any, report: Report) -> None:
    disks = _models(_get(domain, "devices", "disks"))
    for disk in disks:
        if _get(disk, "target", "dev") is None:
            report.add(disk, "/target" if disk.target is None else "/target/@dev", "missing disk target", "target")
    report.duplicates(((d.target, _get(d, "target", "dev")) for d in disks if d.target), "/@dev", "target")
    interfaces = _models(_get(domain, "devices", "interfaces"))
    macs = ((i.mac, (_get(i, "mac", "address") or "").lower() or None) for i in interfaces if i.mac)
    # libvirt accepts this (the interfaces may be on separate networks), but it is rarely meant
    report.duplicates(macs, "/@address", "MAC address", warning=True)
    controllers = _models(_get(domain, "devices", "controllers"))
    # USB companion controllers (<master>) share the index of the controller they accompany
    report.duplicates(
        (
            (c, (c.type, c.index) if c.type and c.index is not None and _get(c, "master") is None else None)
            for c in controllers
        ),
        "/@index",
        "controller type and index",
    )
    aliases = (
        (d.alias, _get(d, "alias", "name")) for _, d in _devices(domain) if isinstance(_get(d, "alias"), XmlModel)
    )
    report.duplicates(aliases, "/@name", "device alias")


# Attributes an address may leave out, and what they then are (libvirt fills them in the same).
_ADDRESS_DEFAULTS: dict[str, dict[str, int]] = {
    "pci": {"domain": 0, "bus": 0, "slot": 0, "function": 0},
    "drive": {"controller": 0, "bus": 0, "target": 0, "unit": 0},
    "virtio-serial": {"controller": 0, "bus": 0},
    "ccid": {"controller": 0, "slot": 0},
}
_NOT_AN_ADDRESS = frozenset({"multifunction", "type"})


def _address_key(tag: str, device: XmlModel, address: XmlModel) -> tuple[Any, ...] | None:
    """Where an address puts a device, comparable across devices; None for no definite place."""
    kind = _get(address, "type")
    if kind is None or kind in ("none", "unassigned"):
        return None
    given: dict[str, Any] = {}
    for name, xml_name, _ in address._xml.attrs:
        if xml_name not in _NOT_AN_ADDRESS and getattr(address, name, None) is not None:
            given[xml_name] = getattr(address, name)
    for xml_name, value in (address._unknown.attrs if address._unknown else {}).items():
        if xml_name not in _NOT_AN_ADDRESS:
            given[xml_name] = value
    if not given:
        return None  # only a type: libvirt picks the place
    values: dict[str, Any] = {**_ADDRESS_DEFAULTS.get(kind, {}), **given}
    if kind == "drive":
        # drive addresses count per kind of controller: an IDE disk and a floppy may both be 0:0:0:0
        values["bus-type"] = _get(device, "target", "bus") if tag == "disk" else tag
    normal = {k: (n if (n := _int(v)) is not None else v) for k, v in values.items()}
    if kind == "pci" and not any(normal.get(k) for k in ("domain", "bus", "slot", "function")):
        return None  # 0000:00:00.0 means "pick one" to libvirt
    if kind == "usb" and normal.get("port") is None:
        return None  # a bus without a port: placed by libvirt
    return (kind, *sorted(normal.items()))


def _domain_addresses(domain: Any, report: Report) -> None:
    taken: dict[tuple[Any, ...], tuple[str, XmlModel]] = {}
    for tag, device in _devices(domain):
        address = _get(device, "address")
        if not isinstance(address, XmlModel):
            continue
        key = _address_key(tag, device, address)
        if key is None:
            continue
        first_tag, first = taken.setdefault(key, (tag, device))
        if tag == "console" and first_tag == "serial":
            continue  # a serial console is the serial device itself, written twice
        if first is not device:
            where = ", ".join(f"{k}={v}" for k, v in key[1:])
            report.add(address, "", f"{key[0]} address {where} already used by {report.path(first)}")


# -- networks, storage ----------------------------------------------------------------------------


def _network(network: Any, report: Report) -> None:
    if not network.name:
        report.add(network, "/name", "missing network name", "name")
    nat = _get(network, "forward", "nat")
    ports = nat.findall("port") if isinstance(nat, etree._Element) else _models(_get(nat, "port"))
    for port in ports:
        start, end = _int(_get(port, "start")), _int(_get(port, "end"))
        if start is None or end is None:
            continue
        if not (0 <= start <= end <= 65535):
            path = report.path(network.forward) + "/nat/port"
            report.found.append(
                Problem(path, f"port range {start}-{end} invalid: need 0 <= start <= end <= 65535", _line_of(port))
            )
    for ip in _models(getattr(network, "ips", None)):
        _network_ip(ip, report)


def _line_of(value: Any) -> int | None:
    if isinstance(value, etree._Element):
        return int(value.sourceline) if value.sourceline else None
    return source_line(value) if isinstance(value, XmlModel) else None


def _network_ip(ip: Any, report: Report) -> None:
    family = _get(ip, "family") or "ipv4"
    limit = 128 if family == "ipv6" else 32
    prefix = _get(ip, "prefix")
    if prefix is not None and not 0 <= prefix <= limit:
        report.add(ip, "/@prefix", f"prefix {prefix} out of range 0-{limit} for {family}")
    dhcp = _get(ip, "dhcp")
    for rng in _models(_get(dhcp, "ranges")):
        try:
            start, end = ipaddress.ip_address(rng.start or ""), ipaddress.ip_address(rng.end or "")
        except ValueError:
            report.add(rng, "", f"dhcp range '{rng.start}' - '{rng.end}' is not two IP addresses")
            continue
        if start.version != end.version or int(start) > int(end):
            report.add(rng, "/@end", f"dhcp range end {end} before its start {start}")
    hosts = _models(_get(dhcp, "hosts"))
    report.duplicates(((h, (h.mac or "").lower() or None) for h in hosts), "/@mac", "dhcp host MAC")
    report.duplicates(((h, h.ip) for h in hosts), "/@ip", "dhcp host IP address")


def _pool(pool: Any, report: Report) -> None:
    if not pool.name:
        report.add(pool, "/name", "missing storage pool name", "name")
    if pool.type is None:
        report.add(pool, "/@type", "missing storage pool type")
    port_hosts = _models(_get(pool, "source", "hosts"))
    for host in port_hosts:
        port = _get(host, "port")
        if port is not None and not 0 < port <= 65535:
            report.add(host, "/@port", f"port {port} out of range 1-65535")


def _volume(volume: Any, report: Report) -> None:
    if not volume.name:
        report.add(volume, "/name", "missing storage volume name", "name")
    capacity, allocation = volume.capacity, volume.allocation
    if capacity is not None and capacity < 0:
        report.add(volume, "/capacity", f"negative capacity {capacity}", "capacity")
    if allocation is not None and allocation < 0:
        report.add(volume, "/allocation", f"negative allocation {allocation}", "allocation")


Check = Callable[[Any, Report], None]

# The checks of each document type, by root element.
_CHECKS: dict[str, tuple[Check, ...]] = {
    "domain": (_domain_required, _domain_ranges, _domain_unique, _domain_addresses),
    "network": (_network,),
    "pool": (_pool,),
    "volume": (_volume,),
}
