"""Small helpers over the XML model shared by the post-parse steps: attributes the model keeps in
its unknown store, raw child elements, and libvirt's spelling of device addresses."""

from __future__ import annotations

from lxml import etree
from virt.errors import ErrorNumber
from virt.xml.base import build, kept_attribute, set_kept_attribute
from virt.xml.devices import Address

from virt_qemu import errors

# building models and their kept attributes: the core's helpers, under the names the steps use
make = build
get_attr = kept_attribute
set_attr = set_kept_attribute


def element(tag: str, **attributes: str) -> etree._Element:
    el = etree.Element(tag)
    for key, value in attributes.items():
        el.set(key, value)
    return el


def number(value: str | None, what: str, default: int = 0) -> int:
    """An address attribute as libvirt reads it: decimal, or hexadecimal with 0x."""
    if value is None or value == "":
        return default
    known = _NUMBERS.get(value)
    if known is not None:
        return known
    try:
        found = int(value, 0)
    except ValueError:
        raise errors.error(ErrorNumber.XML_ERROR, f"Cannot parse <address> '{what}' attribute") from None
    if len(_NUMBERS) < _NUMBERS_KEPT:
        _NUMBERS[value] = found
    return found


# the few spellings addresses use ('0x00'...'0x1f'), read once: addressing reads them many times
_NUMBERS: dict[str, int] = {}
_NUMBERS_KEPT = 4096


def has_address(address: Address | None) -> bool:
    return address is not None and address.type is not None


def pci_address(domain: int, bus: int, slot: int, function: int, multifunction: str | None = None) -> Address:
    """A PCI address written as libvirt writes it (domain='0x0000' bus='0x00' slot='0x02' function='0x0')."""
    address = Address()
    address.type = "pci"
    address.domain = f"0x{domain:04x}"
    address.bus = f"0x{bus:02x}"
    address.slot = f"0x{slot:02x}"
    address.function = f"0x{function:x}"
    address.multifunction = multifunction
    return address


def pci_string(bus: int, slot: int, function: int, domain: int = 0) -> str:
    """virPCIDeviceAddressAsString's form, used in libvirt's messages: 0000:00:02.0."""
    return f"{domain:04x}:{bus:02x}:{slot:02x}.{function}"
