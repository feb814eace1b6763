"""Smartcards at define time: each sits in a slot of a CCID controller (a USB device), which
libvirt adds when the domain has none of that index (virDomainDefMaybeAddSmartcardController).

A smartcard without an address gets the first free slot of CCID controller 0.
"""

from __future__ import annotations

from virt.xml import implicit
from virt.xml.devices import Devices

from virt_qemu.postparse import controllers
from virt_qemu.postparse.xmlutil import number


def assign(devices: Devices) -> None:
    """Give every smartcard a CCID slot, then add the controllers they name."""
    implicit.assign_smartcard_slots(devices)
    for card in devices.smartcards:
        if card.address is not None and card.address.type == "ccid":
            controllers.ensure(devices, "ccid", number(card.address.controller, "controller"))
