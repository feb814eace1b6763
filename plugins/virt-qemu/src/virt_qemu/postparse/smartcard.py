"""Smartcards at define time: each sits in a slot of a CCID controller (a USB device), which
libvirt adds when the domain has none of that index (virDomainDefMaybeAddSmartcardController).

A smartcard without an address gets the first free slot of CCID controller 0.
"""

from __future__ import annotations

from virt.xml.devices import Address, Devices

from virt_qemu.postparse import controllers
from virt_qemu.postparse.xmlutil import make, number


def assign(devices: Devices) -> None:
    """Give every smartcard a CCID slot, then add the controllers they name."""
    used = {
        (number(c.address.controller, "controller"), number(c.address.slot, "slot"))
        for c in devices.smartcards
        if c.address is not None and c.address.type == "ccid"
    }
    for card in devices.smartcards:
        if card.address is not None and card.address.type is not None:
            continue
        slot = next(n for n in range(len(used) + 1) if (0, n) not in used)
        used.add((0, slot))
        card.address = make(Address, type="ccid", controller="0", slot=str(slot))
    for card in devices.smartcards:
        if card.address is not None and card.address.type == "ccid":
            controllers.ensure(devices, "ccid", number(card.address.controller, "controller"))
