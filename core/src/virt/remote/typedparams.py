"""virTypedParameter lists on the wire (``remote_typed_param``), both ways: the daemon and the
client each send and read them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from virt.domainstats import ParamType, TypedParameter


def to_wire(params: Iterable[TypedParameter]) -> list[dict[str, Any]]:
    """Typed parameters as remote_typed_param values (a boolean travels as an int)."""
    return [
        {"field": p.field, "value": (int(p.type), int(p.value) if p.type is ParamType.BOOLEAN else p.value)}
        for p in params
    ]


def from_wire(wire: Iterable[dict[str, Any]]) -> list[TypedParameter]:
    """remote_typed_param values as typed parameters."""
    params = []
    for item in wire:
        kind, value = item["value"]
        type_ = ParamType(kind)
        params.append(TypedParameter(item["field"], type_, bool(value) if type_ is ParamType.BOOLEAN else value))
    return params
