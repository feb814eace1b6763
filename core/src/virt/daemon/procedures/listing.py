"""What the listing procedures share: filters from flag pairs, and the limits of the old list calls."""

from __future__ import annotations

from virt.remote.protocol import rpc_error

from .registry import Call


def either(flags: int, yes: int, no: int) -> bool | None:
    """A filter from a pair of flags: True or False when one of them is set, None for neither or both."""
    wants_yes, wants_no = bool(flags & yes), bool(flags & no)
    return wants_yes if wants_yes != wants_no else None


def limit(call: Call, field: str, maximum: int, constant: str) -> int:
    """The ``maxids`` / ``maxnames`` of an old listing call, refused in libvirtd's words when out of range."""
    value = int(call.args[field])
    if value < 0:
        raise rpc_error(f"{field} must be non-negative")
    if value > maximum:
        raise rpc_error(f"{field} > {constant}")
    return value
