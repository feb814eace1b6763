"""The order libvirt's parser gives disks and controllers (virDomainDiskInsert,
virDomainControllerInsert): grouped by bus (type) in order of first appearance, by index within
a group. It decides which device comes first in PCI address assignment, so it is applied before."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from virt.xml import implicit
from virt.xml.devices import Controller, Devices, Disk

T = TypeVar("T")


def _grouped(items: Sequence[T], group: Callable[[T], object], key: Callable[[T], tuple[int, ...]]) -> list[T]:
    firsts: dict[object, int] = {}
    for n, item in enumerate(items):
        firsts.setdefault(group(item), n)
    ranked = sorted(enumerate(items), key=lambda p: (firsts[group(p[1])], key(p[1]), p[0]))
    return [item for _, item in ranked]


def _disk_key(disk: Disk) -> tuple[int, ...]:
    index = implicit.disk_index((disk.target.dev if disk.target is not None else None) or "")
    return (index if index is not None else -1,)


def _controller_key(c: Controller) -> tuple[int, ...]:
    companion = c.type == "usb" and c.master is not None  # a USB2 companion follows its master
    return (c.index or 0, int(companion))


def apply(devs: Devices) -> None:
    devs.disks[:] = _grouped(devs.disks, lambda d: d.target.bus if d.target is not None else None, _disk_key)
    implicit.assign_controller_indexes(devs)
    devs.controllers[:] = _grouped(devs.controllers, lambda c: c.type, _controller_key)
