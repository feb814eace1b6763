"""Domain IOThreads (virDomainGetIOThreadInfo, PinIOThread, AddIOThread, DelIOThread,
SetIOThreadParams): the record a query returns, the parameters a change takes, and the rules on a
definition's ``<iothreads>``, ``<iothreadids>`` and ``<cputune><iothreadpin>`` that every driver
applies the same way (libvirt's domain conf code, whose errors carry the domain's error domain)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs
from lxml import etree

from virt.domainstats import ParamType
from virt.errors import ErrorDomain, ErrorNumber, VirtError, libvirt_error

if TYPE_CHECKING:
    from virt.xml import Domain

__all__ = ["PARAMETERS", "IOThreadInfo", "add", "ids_of", "pin", "pins_of", "remove", "used_by_disk"]

PARAMETERS = {
    "poll_max_ns": ParamType.ULLONG,
    "poll_grow": ParamType.UINT,
    "poll_shrink": ParamType.UINT,
    "aio_max_batch": ParamType.ULLONG,
    "thread_pool_min": ParamType.INT,
    "thread_pool_max": ParamType.INT,
}
"""virDomainSetIOThreadParams' parameters (VIR_DOMAIN_IOTHREAD_*) and their types."""


@attrs.frozen
class IOThreadInfo:
    """One IOThread: its id, the host CPUs it may run on, and how many CPUs the host has (the size of
    the CPU map libvirt sends for it)."""

    iothread_id: int
    cpus: frozenset[int]
    host_cpus: int


def _invalid(message: str) -> VirtError:
    return libvirt_error(ErrorNumber.INVALID_ARG, message, ErrorDomain.DOMAIN)


def ids_of(definition: Domain) -> list[int]:
    """The IOThread ids of a definition: those ``<iothreadids>`` lists, else 1 to ``<iothreads>``."""
    if definition.iothreadids is not None:
        return [int(el.get("id") or 0) for el in definition.iothreadids.iterfind("iothread")]
    count = definition.iothreads
    text = count.text if count is not None else None
    return list(range(1, int(text) + 1)) if text and text.strip().isdigit() else []


def _write(definition: Domain, ids: Iterable[int]) -> None:
    """``<iothreads>`` and, once the ids are no longer 1 to N as the count made them, ``<iothreadids>``."""
    listed = definition.iothreadids
    kept = {int(el.get("id") or 0): el for el in listed.iterfind("iothread")} if listed is not None else {}
    ids = list(ids)
    if not ids:
        definition.iothreads = definition.iothreadids = None
        return
    count = etree.Element("iothreads")
    count.text = str(len(ids))
    definition.iothreads = count
    listing = etree.Element("iothreadids")
    for n in ids:
        listing.append(kept.get(n, etree.Element("iothread", id=str(n))))
    definition.iothreadids = listing


def pins_of(definition: Domain) -> dict[int, str]:
    """``<iothreadpin>`` cpusets by IOThread id."""
    tune = definition.cputune
    if tune is None:
        return {}
    return {int(el.get("iothread") or 0): el.get("cpuset") or "" for el in tune.iothreadpins}  # type: ignore[attr-defined]


def add(definition: Domain, iothread_id: int) -> None:
    """virDomainDriverAddIOThreadCheck, then the id added after the others."""
    ids = ids_of(definition)
    if iothread_id in ids:
        raise _invalid(f"an IOThread is already using iothread_id '{iothread_id}'")
    _write(definition, [*ids, iothread_id])


def used_by_disk(definition: Domain, iothread_id: int) -> str | None:
    """The target of a disk that runs its I/O in IOThread ``iothread_id`` (None: no disk does)."""
    devices = definition.devices
    for disk in devices.disks if devices is not None else []:
        driver = disk.driver
        unknown = driver._unknown if driver is not None else None
        if unknown is not None and unknown.attrs.get("iothread") == str(iothread_id):
            return disk.target.dev if disk.target is not None else ""
    return None


def remove(definition: Domain, iothread_id: int) -> None:
    """virDomainDriverDelIOThreadCheck, then the id and its pinning taken out."""
    ids = ids_of(definition)
    if iothread_id not in ids:
        raise _invalid(f"cannot find IOThread '{iothread_id}' in iothreadids list")
    disk = used_by_disk(definition, iothread_id)
    if disk is not None:
        raise _invalid(f"cannot remove IOThread {iothread_id} since it is being used by disk '{disk}'")
    _write(definition, [n for n in ids if n != iothread_id])
    _set_pin(definition, iothread_id, None)


def pin(definition: Domain, iothread_id: int, cpus: frozenset[int]) -> None:
    """Record IOThread ``iothread_id``'s host CPUs in ``<cputune>``."""
    _set_pin(definition, iothread_id, cpus)


def _set_pin(definition: Domain, iothread_id: int, cpus: frozenset[int] | None) -> None:
    from virt.xml.convert import CPUSET
    from virt.xml.domain import CPUTune

    if definition.cputune is None:
        if cpus is None:
            return
        definition.cputune = CPUTune()
    tune = definition.cputune
    pins: list[etree._Element] = [
        el
        for el in tune.iothreadpins  # type: ignore[attr-defined]
        if el.get("iothread") != str(iothread_id)
    ]
    if cpus is not None:
        pins.append(etree.Element("iothreadpin", iothread=str(iothread_id), cpuset=CPUSET.format(cpus)))
    pins.sort(key=lambda el: int(el.get("iothread") or 0))
    tune.iothreadpins = pins  # type: ignore[attr-defined]
    if tune == CPUTune():
        definition.cputune = None
