"""``schedinfo``: show and set a domain's scheduler parameters, with virsh's words and layout."""

from __future__ import annotations

import argparse
import re

from virt.cli.commands.domain import domain_argument
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry
from virt.domainchanges import Impact
from virt.domainstats import ParamType, TypedParameter
from virt.errors import VirtError

GROUP = "Domain Management"
_LEGACY = ("weight", "cap")
"""The Xen credit scheduler's parameters, which virsh also takes as options of their own."""
_TYPE_WORDS = {ParamType.INT: "int", ParamType.UINT: "unsigned int", ParamType.LLONG: "long long",
               ParamType.ULLONG: "unsigned long long", ParamType.DOUBLE: "double"}  # fmt: skip


_INTEGER = re.compile(r"[ \t\n\v\f\r]*([+-]?)([0-9]+)")
"""What strtol reads in base 10: leading white space, a sign, digits (and nothing may follow here)."""
_DOUBLE = re.compile(
    r"[ \t\n\v\f\r]*[+-]?(?:[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|inf(?:inity)?|nan)",
    re.IGNORECASE,
)
"""What strtod reads (decimal forms): nothing may follow."""
_SIGNED = {ParamType.INT: 32, ParamType.LLONG: 64}
_UNSIGNED = {ParamType.UINT: 32, ParamType.ULLONG: 64}


def _integer(text: str, type_: ParamType) -> int | None:
    """libvirt's virStrToLong_{i,ui,ll,ull}: None when out of range or not a whole number; an
    unsigned type takes a negative number as C does ("-1" is its largest value)."""
    match = _INTEGER.fullmatch(text)
    if match is None:
        return None
    magnitude = int(match.group(2))
    negative = match.group(1) == "-"
    if type_ in _SIGNED:
        value = -magnitude if negative else magnitude
        bits = _SIGNED[type_]
        return value if -(2 ** (bits - 1)) <= value < 2 ** (bits - 1) else None
    bits = _UNSIGNED[type_]
    if magnitude >= 2**bits:
        return None
    return (2**bits - magnitude) % 2**bits if negative else magnitude


def typed_value(field: str, type_: ParamType, text: str) -> TypedParameter:
    """virTypedParamsAddFromString: ``text`` read as ``type_``, refused in libvirt's words."""

    def invalid() -> CommandError:
        words = "boolean" if type_ is ParamType.BOOLEAN else _TYPE_WORDS.get(type_, "string")
        return CommandError(f"invalid argument: Invalid value for field '{field}': expected {words}")

    value: int | float | bool | str | None
    if type_ in _SIGNED or type_ in _UNSIGNED:
        value = _integer(text, type_)
    elif type_ is ParamType.DOUBLE:
        value = float(text) if _DOUBLE.fullmatch(text) else None
    elif type_ is ParamType.BOOLEAN:
        lowered = text.lower()
        value = True if lowered in ("true", "1") else False if lowered in ("false", "0") else None
    else:
        value = text
    if value is None:
        raise invalid()
    return TypedParameter(field, type_, value)


def _updates(args: argparse.Namespace, current: list[TypedParameter]) -> list[TypedParameter]:
    """cmdSchedInfoUpdate: each ``--set name=value`` (then ``--weight``/``--cap``) typed as the
    parameter it changes; a name the scheduler lacks is refused."""
    types = {p.field: p.type for p in current}
    updates = []
    for word in args.set or []:
        field, equals, value = word.partition("=")
        if not equals:
            raise CommandError("Invalid syntax for --set, expecting name=value")
        if field not in types:
            raise CommandError(f"invalid scheduler option: {field}")
        updates.append(typed_value(field, types[field], value))
    for param in current:
        given = getattr(args, param.field, None) if param.field in _LEGACY else None
        if param.type is ParamType.UINT and given is not None:
            updates.append(typed_value(param.field, param.type, given))
    return updates


def run_schedinfo(ctx: Context, args: argparse.Namespace) -> int:
    for other in ("live", "config"):
        if args.current and getattr(args, other):
            raise CommandError(f"Options --current and --{other} are mutually exclusive")
    impact = (Impact.LIVE if args.live else Impact.CURRENT) | (Impact.CONFIG if args.config else Impact.CURRENT)
    with_flags = bool(impact) or args.current
    # both --live and --config cannot be read at once: virsh reads the current definition then
    query = (Impact.CURRENT if impact == Impact.LIVE | Impact.CONFIG else impact) if with_flags else None
    domain = ctx.domain(args.domain)
    try:
        scheduler = domain.scheduler_type()
    except VirtError:
        ctx.print(f"{'Scheduler':<15}: Unknown")
        raise
    ctx.print(f"{'Scheduler':<15}: {scheduler.name}")
    if not scheduler.nparams:
        return 1  # virsh fails, saying nothing more, for a scheduler without parameters
    params = domain.scheduler_parameters(query)
    updates = _updates(args, params)
    if updates:
        domain.set_scheduler_parameters(updates, impact if with_flags else None)
        params = domain.scheduler_parameters(query)
    elif impact == Impact.LIVE | Impact.CONFIG:
        raise CommandError("cannot query both live and config at once")
    for param in params:
        ctx.print(f"{param.field:<15}: {param.text()}")
    return 0


def register(commands: CommandRegistry) -> None:
    commands.add(
        "schedinfo",
        run_schedinfo,
        group=GROUP,
        help="show/set scheduler parameters",
        description="Show/Set scheduler parameters.",
        arguments=[
            domain_argument(),
            Argument("--weight", metavar="number", help="weight for XEN_CREDIT"),
            Argument("--cap", metavar="number", help="cap for XEN_CREDIT"),
            Argument("--current", flag=True, help="get/set current scheduler info"),
            Argument("--config", flag=True, help="get/set value to be used on next boot"),
            Argument("--live", flag=True, help="get/set value from running domain"),
            Argument("--set", rest=True, help="parameter=value"),
        ],
    )
