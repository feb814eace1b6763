"""Controllers libvirt's QEMU driver adds or completes at define time, and where they go in <devices>.

The controllers libvirt adds by itself go at the end, in the order it adds them. Defaults follow
libvirt 9.0 with QEMU 7.2: the USB controller is piix3-uhci on i440FX and qemu-xhci on Q35, a SCSI
controller without a model is lsilogic.
"""

from __future__ import annotations

from collections.abc import Iterable

from virt.xml import Domain
from virt.xml.devices import Controller, Devices

from virt_qemu.postparse import machine
from virt_qemu.postparse.xmlutil import make

DEFAULT_SCSI_MODEL = "lsilogic"


def find(devices: Devices, kind: str, index: int) -> Controller | None:
    for controller in devices.controllers:
        if controller.type == kind and (controller.index or 0) == index:
            return controller
    return None


def insert(devices: Devices, controller: Controller) -> Controller:
    """Add a controller libvirt adds by itself: at the end (virDomainDefAddController)."""
    devices.controllers.append(controller)
    return controller


def ensure(devices: Devices, kind: str, index: int, model: str | None = None) -> Controller | None:
    """Add a controller unless one of that type and index exists (virDomainDefMaybeAddController):
    the new one, or None when there was one already."""
    if find(devices, kind, index) is not None:
        return None
    return insert(devices, make(Controller, type=kind, index=index, model=model))


def default_usb_model(domain: Domain) -> str | None:
    if machine.is_q35(domain):
        return "qemu-xhci"
    if machine.is_i440fx(domain):
        return "piix3-uhci"
    return None


def complete_models(domain: Domain, devices: Devices) -> None:
    """Models libvirt fills in for controllers that have none (qemuDomainControllerDefPostParse)."""
    for controller in devices.controllers:
        if controller.model is not None:
            continue
        if controller.type == "usb":
            controller.model = default_usb_model(domain)
        elif controller.type == "scsi":
            controller.model = DEFAULT_SCSI_MODEL


def indexes(controllers: Iterable[Controller], kind: str) -> set[int]:
    return {c.index or 0 for c in controllers if c.type == kind}
