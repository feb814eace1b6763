"""The order libvirt's parser gives disks and controllers (virDomainDiskInsert,
virDomainControllerInsert): grouped by bus (type) in order of first appearance, by index within
a group. It decides which device comes first in PCI address assignment, so it is applied before."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from virt.xml.devices import Controller, Devices, Disk

from virt_qemu.postparse.drives import disk_index

T = TypeVar("T")


def _grouped(items: Sequence[T], group: Callable[[T], object], key: Callable[[T], tuple[int, ...]]) -> list[T]:
    firsts: dict[object, int] = {}
    for n, item in enumerate(items):
        firsts.setdefault(group(item), n)
    ranked = sorted(enumerate(items), key=lambda p: (firsts[group(p[1])], key(p[1]), p[0]))
    return [item for _, item in ranked]


def _disk_key(disk: Disk) -> tuple[int, ...]:
    index = disk_index((disk.target.dev if disk.target is not None else None) or "")
    return (index if index is not None else -1,)


def _controller_key(c: Controller) -> tuple[int, ...]:
    companion = c.type == "usb" and c.master is not None  # a USB2 companion follows its master
    return (c.index or 0, int(companion))


_USB2 = ("ich9-ehci1", "ich9-uhci1", "ich9-uhci2", "ich9-uhci3")
"""An EHCI controller and its UHCI companions: one USB 2 bus, so one index for the group."""


def _is_usb2(c: Controller) -> bool:
    return c.type == "usb" and c.model in _USB2


def _companion_index(controllers: Sequence[Controller], position: int) -> int | None:
    """The index a USB2 controller without one shares with the USB2 controller just before it
    (virDomainAssignControllerIndexes): the USB controller before it must be USB2, and that
    index must not yet have a controller of this one's model."""
    c = controllers[position]
    prev = next((o for o in reversed(controllers[:position]) if o.type == "usb"), None)
    if prev is None or not _is_usb2(prev) or prev.index is None:
        return None
    taken = any(o.type == "usb" and o.index == prev.index and o.model == c.model for o in controllers)
    return None if taken else prev.index


def _assign_indexes(controllers: Sequence[Controller]) -> None:
    for position, c in enumerate(controllers):
        if c.index is not None:
            continue
        if _is_usb2(c) and position > 0:
            c.index = _companion_index(controllers, position)
        if c.index is None:  # otherwise the first free index of its type
            used = {o.index for o in controllers if o.type == c.type and o.index is not None}
            c.index = next(n for n in range(len(used) + 1) if n not in used)


def apply(devs: Devices) -> None:
    devs.disks[:] = _grouped(devs.disks, lambda d: d.target.bus if d.target is not None else None, _disk_key)
    _assign_indexes(devs.controllers)
    devs.controllers[:] = _grouped(devs.controllers, lambda c: c.type, _controller_key)
