"""The Xen features of a domain (``<features><xen>``: e820_host and PCI passthrough), and the TSC
timer's modes, by their names in domain XML and in xl."""

from __future__ import annotations

from lxml import etree
from virt.xml import Domain


def xen_feature(domain: Domain, name: str) -> etree._Element | None:
    """The element of Xen feature ``name`` when the domain turns it on, else None."""
    features = domain.features
    xen = features.xen if features is not None else None
    found = xen.find(name) if xen is not None else None
    return found if found is not None and found.get("state") == "on" else None


# <timer name='tsc' mode=...> -> xl's tsc_mode (any other mode is xl's default); and back
TSC_MODES = {"native": "native", "paravirt": "native_paravirt", "emulate": "always_emulate"}
XL_TSC_MODES = {xl: mode for mode, xl in TSC_MODES.items()}
