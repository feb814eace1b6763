"""libvirt's names for the calls, and the error domain libvirt reports each family's errors in.

virsh and the bindings show these in messages ("read only access prevents virDomainDestroy",
"this function is not supported by the connection driver: virConnectGetSysinfo"), so virtd words
its errors with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.errors import ErrorDomain

if TYPE_CHECKING:
    from virt.remote.message_types import Procedure

# Words libvirt's API names spell in capitals (virDomainGetXMLDesc, virDomainLookupByUUID...).
_CAPITALS = {
    "XML": "XML",
    "UUID": "UUID",
    "OS": "OS",
    "ID": "ID",
    "CPU": "CPU",
    "NWFILTER": "NWFilter",
    "NWFILTERS": "NWFilters",
}

# libvirt's public API files each report in their own error domain; the domain file's is the default.
_FAMILY_DOMAINS = (
    ("virNetwork", ErrorDomain.NETWORK),
    ("virStorage", ErrorDomain.STORAGE),
    ("virInterface", ErrorDomain.INTERFACE),
    ("virNWFilter", ErrorDomain.NWFILTER),
    ("virSecret", ErrorDomain.SECRET),
    ("virNodeDevice", ErrorDomain.NODEDEV),
)


def api_name(procedure: Procedure) -> str:
    """libvirt's API behind a procedure (``DOMAIN_GET_XML_DESC`` -> ``virDomainGetXMLDesc``)."""
    if procedure.api:
        return procedure.api
    return "vir" + "".join(_CAPITALS.get(word, word.capitalize()) for word in procedure.name.split("_"))


def family_domain(api: str) -> ErrorDomain:
    """The error domain libvirt reports ``api``'s own checks in (read-only refusals, missing support)."""
    return next((domain for prefix, domain in _FAMILY_DOMAINS if api.startswith(prefix)), ErrorDomain.DOMAIN)
