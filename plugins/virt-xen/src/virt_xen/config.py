"""From a definition to the xl.cfg that ``xl create`` starts: the driver's checks, then the
``xen-xl`` converter (``virt_xen.xlcfg``), so that define refuses what start could not run."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from virt.errors import ErrorNumber

from virt_xen import errors

if TYPE_CHECKING:
    from virt.xml import Domain


def random_mac() -> str:
    """A MAC address in Xen's range 00:16:3e, as libvirt's libxl driver makes them."""
    return "00:16:3e:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))


def check(domain: Domain) -> str:
    """Fill in what define fills in (a UUID, MAC addresses), refuse what is not a Xen domain,
    and convert: the xl.cfg text, or a VirtError naming what cannot be converted."""
    from virt.localstate.domains import fill_in

    if domain.type != "xen":
        raise errors.error(
            ErrorNumber.INVALID_ARG, f"could not find capabilities for domaintype={domain.type or '(none)'}"
        )
    if domain.name == "Domain-0":
        raise errors.invalid("Domain-0 does not support requested operation")
    fill_in(domain, random_mac)
    return to_xl(domain)


def to_xl(domain: Domain) -> str:
    """The xl.cfg of ``domain`` (the ``xen-xl`` native format)."""
    from virt_xen.xlcfg import to_native

    text: str = to_native(domain)
    return text
