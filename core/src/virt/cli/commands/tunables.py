"""The tunables commands, with virsh's options, words and layout: memtune, numatune, blkiotune,
domiftune, blkdeviotune and perf. Without a value to set each one prints the parameters, one
``name: value`` line each; with values it changes them and prints nothing (perf prints what it set).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import TypeVar

from virt.cli.commands.domain import domain_argument
from virt.cli.context import CommandError, Context, failing_as
from virt.cli.registry import Argument, CommandRegistry
from virt.cli.sizes import SUFFIXES
from virt.domainchanges import Impact
from virt.domainstats import ParamType, TypedParameter
from virt.tunables import MEMORY_PARAM_UNLIMITED, NumaMode

GROUP = "Domain Management"
T = TypeVar("T")

_STRTOL = re.compile(r"[ \t\n\v\f\r]*([+-]?)([0-9]+)")
"""What strtol/strtoull read in base 10 at the start of a value."""
_LLONG_MAX = 2**63 - 1
_ULLONG_MAX = 2**64 - 1
_UINT_MAX = 2**32 - 1
_INT_RANGE = range(-(2**31), 2**31)


def _impact(args: argparse.Namespace) -> Impact:
    """--current, --live and --config as virsh reads them (--current excludes the others)."""
    for other in ("live", "config"):
        if args.current and getattr(args, other):
            raise CommandError(f"Options --current and --{other} are mutually exclusive")
    return (Impact.LIVE if args.live else Impact.CURRENT) | (Impact.CONFIG if args.config else Impact.CURRENT)


def _both(impact: Impact) -> bool:
    return bool(impact & Impact.LIVE and impact & Impact.CONFIG)


def _given(args: argparse.Namespace, option: str) -> str | None:
    """A string option's value (vshCommandOptStringReq): an empty one is refused."""
    value: str | None = getattr(args, option.replace("-", "_"))
    if value == "":
        raise CommandError(f"Failed to get option '{option}': Option argument is empty")
    return value


def _print(ctx: Context, params: list[TypedParameter], text: Callable[[TypedParameter], str] | None = None) -> None:
    for param in params:
        ctx.print(f"{param.field:<15}: {text(param) if text else param.text()}")


def _scale(value: int, suffix: str, scale: int, limit: int) -> int:
    """virScaleInteger: ``value`` times the suffix's multiplier (``scale`` without one), within ``limit``;
    the returned error is libvirt's, which virsh prints last."""
    if suffix:
        multiplier = SUFFIXES.get(suffix.lower())
        if multiplier is None:
            raise ValueError(f"invalid argument: unknown suffix '{suffix}'")
        scale = multiplier
    if value and value > limit // scale:
        raise ValueError(f"numerical overflow: value too large: {value}{suffix}")
    return value * scale


def _scaled(args: argparse.Namespace, option: str, parse_error: str) -> int | None:
    """vshCommandOptScaledInt in bytes (a bare number is bytes), up to ULLONG_MAX."""
    text: str | None = getattr(args, option.replace("-", "_"))
    if text is None:
        return None
    malformed = f"Scaled numeric value '{text}' for <{option}> option is malformed or out of range"
    match = _STRTOL.match(text)
    if match is None or match.group(1) == "-" or int(match.group(2)) > _ULLONG_MAX:
        raise CommandError(malformed, parse_error)
    try:
        return _scale(int(match.group(2)), text[match.end() :], 1, _ULLONG_MAX)
    except ValueError as exc:
        raise CommandError(malformed, parse_error, str(exc)) from None


def _unsigned(args: argparse.Namespace, option: str, *failure: str) -> int | None:
    """vshCommandOptULongLong: a whole number, not negative."""
    text: str | None = getattr(args, option.replace("-", "_"))
    if text is None:
        return None
    match = _STRTOL.fullmatch(text)
    if match is None or match.group(1) == "-" or int(match.group(2)) > _ULLONG_MAX:
        raise CommandError(f"Numeric value '{text}' for <{option}> option is malformed or out of range", *failure)
    return int(match.group(2))


def _integer(args: argparse.Namespace, option: str) -> int | None:
    """vshCommandOptInt: a whole number within an int."""
    text: str | None = getattr(args, option.replace("-", "_"))
    if text is None:
        return None
    match = _STRTOL.fullmatch(text)
    value = None if match is None else int(match.group(1) + match.group(2))
    if value is None or value not in _INT_RANGE:
        raise CommandError(f"Numeric value '{text}' for <{option}> option is malformed or out of range")
    return value


# -- memtune ------------------------------------------------------------------------------------------
def _memtune_size(text: str, option: str) -> int:
    """virshMemtuneGetSize: KiB from a scaled integer (KiB without a suffix); a negative one is unlimited."""
    failure = f"Unable to parse integer parameter {option}"
    match = _STRTOL.match(text)
    value = None if match is None else int(match.group(1) + match.group(2))
    if match is None or value is None or not -(2**63) <= value <= _LLONG_MAX:
        raise CommandError(failure)
    if value < 0:
        return MEMORY_PARAM_UNLIMITED
    try:
        scaled = _scale(value, text[match.end() :], 1024, _LLONG_MAX)
    except ValueError as exc:
        raise CommandError(failure, str(exc)) from None
    return -(-scaled // 1024)


def run_memtune(ctx: Context, args: argparse.Namespace) -> None:
    impact = _impact(args)
    domain = ctx.domain(args.domain)
    params = []
    for option, field in (
        ("hard-limit", "hard_limit"),
        ("soft-limit", "soft_limit"),
        ("swap-hard-limit", "swap_hard_limit"),
        ("min-guarantee", "min_guarantee"),
    ):
        text = getattr(args, option.replace("-", "_"))
        if text is not None:
            params.append(TypedParameter(field, ParamType.ULLONG, _memtune_size(text, option)))
    if params:
        failing_as(lambda: domain.set_memory_parameters(params, impact), "Unable to change memory parameters")
        return
    failure = "Unable to get number of memory parameters" if _both(impact) else "Unable to get memory parameters"
    found = failing_as(lambda: domain.memory_parameters(impact), failure)
    _print(ctx, found, lambda p: "unlimited" if p.value == MEMORY_PARAM_UNLIMITED else p.text())


# -- numatune -----------------------------------------------------------------------------------------
def _numa_mode(text: str) -> int:
    """A mode's name, or a number in C's notations (virStrToLong_i with base 0)."""
    for mode in NumaMode:
        if mode.label == text:
            return int(mode)
    match = re.fullmatch(r"[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)", text)
    value = None
    if match is not None:
        digits = match.group(2)
        base = 16 if digits[:2].lower() == "0x" else 8 if digits.startswith("0") and len(digits) > 1 else 10
        value = int(match.group(1) + digits, base)
    if value is None or value not in _INT_RANGE:
        raise CommandError(f"Invalid mode: {text}")
    return value


def run_numatune(ctx: Context, args: argparse.Namespace) -> None:
    impact = _impact(args)
    domain = ctx.domain(args.domain)
    params = []
    nodeset = _given(args, "nodeset")
    if nodeset is not None:
        params.append(TypedParameter("numa_nodeset", ParamType.STRING, nodeset))
    mode = _given(args, "mode")
    if mode is not None:
        params.append(TypedParameter("numa_mode", ParamType.INT, _numa_mode(mode)))
    if params:
        failing_as(lambda: domain.set_numa_parameters(params, impact), "Unable to change numa parameters")
        return
    found = failing_as(lambda: domain.numa_parameters(impact), "Unable to get numa parameters")

    def text(param: TypedParameter) -> str:
        if param.field == "numa_mode" and param.type is ParamType.INT:
            known = int(param.value) in NumaMode.__members__.values()
            return NumaMode(int(param.value)).label if known else "(null)"
        return param.text()

    _print(ctx, found, text)


# -- blkiotune ----------------------------------------------------------------------------------------
_BLKIO_OPTIONS = (
    ("device-weights", "device_weight"),
    ("device-read-iops-sec", "device_read_iops_sec"),
    ("device-write-iops-sec", "device_write_iops_sec"),
    ("device-read-bytes-sec", "device_read_bytes_sec"),
    ("device-write-bytes-sec", "device_write_bytes_sec"),
)


def run_blkiotune(ctx: Context, args: argparse.Namespace) -> None:
    impact = _impact(args)
    domain = ctx.domain(args.domain)
    params = []
    weight = _integer(args, "weight")
    if weight is not None:
        if weight <= 0:
            raise CommandError(f"Invalid value of {weight} for I/O weight")
        params.append(TypedParameter("weight", ParamType.UINT, weight))
    for option, field in _BLKIO_OPTIONS:
        value = getattr(args, option.replace("-", "_"))
        if value == "":
            raise CommandError("Unable to parse string parameter")
        if value is not None:
            params.append(TypedParameter(field, ParamType.STRING, value))
    if params:
        failing_as(lambda: domain.set_blkio_parameters(params, impact), "Unable to change blkio parameters")
        return
    failure = "Unable to get number of blkio parameters" if _both(impact) else "Unable to get blkio parameters"
    _print(ctx, failing_as(lambda: domain.blkio_parameters(impact), failure))


# -- domiftune ----------------------------------------------------------------------------------------
def _rate(text: str) -> tuple[int, int, int, int]:
    """virshParseRateStr: ``average,peak,burst,floor``, each field optional."""
    fields = text.split(",")
    if len(fields) > 4:
        raise CommandError(f"Rate string '{text}' has too many fields")
    values = []
    for name, field in zip(("average", "peak", "burst", "floor"), fields + [""] * (4 - len(fields)), strict=True):
        match = _STRTOL.fullmatch(field)
        if field and (match is None or match.group(1) == "-" or int(match.group(2)) > _ULLONG_MAX):
            raise CommandError(f"field '{name}' is malformed")
        values.append(int(match.group(2)) if field and match is not None else 0)
    average, peak, burst, floor = values
    return average, peak, burst, floor


def _bandwidth(text: str, direction: str) -> list[TypedParameter]:
    average, peak, burst, floor = _rate(text)
    if max(average, peak, burst) > _UINT_MAX:
        raise CommandError(f"{direction} rate larger than maximum {_UINT_MAX}")
    if direction == "inbound" and not average and (burst or peak) and not floor:
        raise CommandError("either inbound average or floor is mandatory")
    if direction == "outbound":
        if not average and (burst or peak):
            raise CommandError("outbound average is mandatory")
        if floor:
            raise CommandError("outbound floor is unsupported yet")
    params = [TypedParameter(f"{direction}.average", ParamType.UINT, average)]
    # the floor is cast to an unsigned int as virsh does, unchecked
    for name, value in (("peak", peak), ("burst", burst), ("floor", floor & _UINT_MAX)):
        if value:
            params.append(TypedParameter(f"{direction}.{name}", ParamType.UINT, value))
    return params


def run_domiftune(ctx: Context, args: argparse.Namespace) -> None:
    impact = _impact(args)
    domain = ctx.domain(args.domain)
    device = args.interface
    inbound = _given(args, "inbound")
    outbound = _given(args, "outbound")
    params = []
    if inbound is not None:
        params += _bandwidth(inbound, "inbound")
    if outbound is not None:
        params += _bandwidth(outbound, "outbound")
    if params:
        failing_as(
            lambda: domain.set_interface_parameters(device, params, impact), "Unable to set interface parameters"
        )
        return
    _print(ctx, failing_as(lambda: domain.interface_parameters(device, impact), "Unable to get interface parameters"))


# -- blkdeviotune -------------------------------------------------------------------------------------
_IOTUNE_SCALED = ("total-bytes-sec", "read-bytes-sec", "write-bytes-sec", "total-bytes-sec-max",
                  "read-bytes-sec-max", "write-bytes-sec-max")  # fmt: skip
_IOTUNE_COUNTS = ("total-iops-sec", "read-iops-sec", "write-iops-sec", "total-iops-sec-max", "read-iops-sec-max",
                  "write-iops-sec-max", "size-iops-sec", "total-bytes-sec-max-length", "read-bytes-sec-max-length",
                  "write-bytes-sec-max-length", "total-iops-sec-max-length", "read-iops-sec-max-length",
                  "write-iops-sec-max-length")  # fmt: skip
_IOTUNE_HELP = {
    "total-bytes-sec": "total throughput limit, as scaled integer (default bytes)",
    "read-bytes-sec": "read throughput limit, as scaled integer (default bytes)",
    "write-bytes-sec": "write throughput limit, as scaled integer (default bytes)",
    "total-iops-sec": "total I/O operations limit per second",
    "read-iops-sec": "read I/O operations limit per second",
    "write-iops-sec": "write I/O operations limit per second",
    "total-bytes-sec-max": "total max, as scaled integer (default bytes)",
    "read-bytes-sec-max": "read max, as scaled integer (default bytes)",
    "write-bytes-sec-max": "write max, as scaled integer (default bytes)",
    "total-iops-sec-max": "total I/O operations max",
    "read-iops-sec-max": "read I/O operations max",
    "write-iops-sec-max": "write I/O operations max",
    "size-iops-sec": "I/O size in bytes",
    "group-name": "group name to share I/O quota between multiple drives",
    "total-bytes-sec-max-length": "duration in seconds to allow total max bytes",
    "read-bytes-sec-max-length": "duration in seconds to allow read max bytes",
    "write-bytes-sec-max-length": "duration in seconds to allow write max bytes",
    "total-iops-sec-max-length": "duration in seconds to allow total I/O operations max",
    "read-iops-sec-max-length": "duration in seconds to allow read I/O operations max",
    "write-iops-sec-max-length": "duration in seconds to allow write I/O operations max",
}
"""virsh's options in its order, with their help."""


def run_blkdeviotune(ctx: Context, args: argparse.Namespace) -> None:
    impact = _impact(args)
    domain = ctx.domain(args.domain)
    disk = args.device
    parse_error = "Unable to parse integer parameter"
    params = []
    for option in _IOTUNE_SCALED:
        value = _scaled(args, option, parse_error)
        if value is not None:
            params.append(TypedParameter(option.replace("-", "_"), ParamType.ULLONG, value))
    for option in _IOTUNE_COUNTS:
        value = _unsigned(args, option, parse_error)
        if value is not None:
            params.append(TypedParameter(option.replace("-", "_"), ParamType.ULLONG, value))
    if args.group_name == "":
        raise CommandError(
            "Failed to get option 'group-name': Option argument is empty", "Unable to parse group-name parameter"
        )
    if args.group_name is not None:
        params.append(TypedParameter("group_name", ParamType.STRING, args.group_name))
    if params:
        failing_as(lambda: domain.set_block_io_tune(disk, params, impact), "Unable to change block I/O throttle")
        return
    failure = "Unable to get block I/O throttle parameters"
    if _both(impact):
        failure = "Unable to get number of block I/O throttle parameters"
    _print(ctx, failing_as(lambda: domain.block_io_tune(disk, impact), failure))


# -- perf ---------------------------------------------------------------------------------------------
def _events(text: str, enabled: bool) -> list[TypedParameter]:
    return [TypedParameter(name, ParamType.BOOLEAN, enabled) for name in text.split(",") if name]


def _print_perf(ctx: Context, params: list[TypedParameter]) -> None:
    for param in params:
        state = "enabled" if param.type is ParamType.BOOLEAN and param.value else "disabled"
        ctx.print_extra(f"{param.field:<15}: {state}")


def run_perf(ctx: Context, args: argparse.Namespace) -> None:
    impact = _impact(args)
    enable = _given(args, "enable")
    disable = _given(args, "disable")
    domain = ctx.domain(args.domain)
    params = _events(enable or "", True) + _events(disable or "", False)
    if params:
        failing_as(lambda: domain.set_perf_events(params, impact), "Unable to enable/disable perf events")
    else:
        params = failing_as(lambda: domain.perf_events(impact), "Unable to get perf events")
    _print_perf(ctx, params)


_AFFECT = [
    Argument("--config", flag=True, help="affect next boot"),
    Argument("--live", flag=True, help="affect running domain"),
    Argument("--current", flag=True, help="affect current domain"),
]


def _description(what: str, command: str) -> str:
    return (
        f"Get or set the current {what} for a guest domain.\n"
        f"    To get the {what} use following command: \n\n"
        f"    virsh # {command} <domain>"
    )


def register(commands: CommandRegistry) -> None:
    add = commands.add
    number = "number"
    add(
        "memtune",
        run_memtune,
        group=GROUP,
        help="Get or set memory parameters",
        description=_description("memory parameters", "memtune"),
        arguments=[
            domain_argument(),
            Argument("--hard-limit", metavar=number, help="Max memory, as scaled integer (default KiB)"),
            Argument("--soft-limit", metavar=number, help="Memory during contention, as scaled integer (default KiB)"),
            Argument("--swap-hard-limit", metavar=number, help="Max memory plus swap, as scaled integer (default KiB)"),
            Argument("--min-guarantee", metavar=number, help="Min guaranteed memory, as scaled integer (default KiB)"),
            *_AFFECT,
        ],
    )
    add(
        "numatune",
        run_numatune,
        group=GROUP,
        help="Get or set numa parameters",
        description=_description("numa parameters", "numatune"),
        arguments=[
            domain_argument(),
            Argument(
                "--mode",
                help="NUMA mode, one of strict, preferred and interleave \n"
                "or a number from the virDomainNumatuneMemMode enum",
            ),
            Argument("--nodeset", help="NUMA node selections to set"),
            *_AFFECT,
        ],
    )
    add(
        "blkiotune",
        run_blkiotune,
        group=GROUP,
        help="Get or set blkio parameters",
        description=_description("blkio parameters", "blkiotune"),
        arguments=[
            domain_argument(),
            Argument("--weight", metavar=number, help="IO Weight"),
            Argument("--device-weights", help="per-device IO Weights, in the form of /path/to/device,weight,..."),
            Argument(
                "--device-read-iops-sec",
                help="per-device read I/O limit per second, in the form of /path/to/device,read_iops_sec,...",
            ),
            Argument(
                "--device-write-iops-sec",
                help="per-device write I/O limit per second, in the form of /path/to/device,write_iops_sec,...",
            ),
            Argument(
                "--device-read-bytes-sec",
                help="per-device bytes read per second, in the form of /path/to/device,read_bytes_sec,...",
            ),
            Argument(
                "--device-write-bytes-sec",
                help="per-device bytes wrote per second, in the form of /path/to/device,write_bytes_sec,...",
            ),
            *_AFFECT,
        ],
    )
    add(
        "domiftune",
        run_domiftune,
        group=GROUP,
        help="get/set parameters of a virtual interface",
        description="Get/set parameters of a domain's virtual interface.",
        arguments=[
            domain_argument(),
            Argument("interface", positional=True, required=True, help="interface device (MAC Address)"),
            Argument("--inbound", help="control domain's incoming traffics"),
            Argument("--outbound", help="control domain's outgoing traffics"),
            *_AFFECT,
        ],
    )
    add(
        "blkdeviotune",
        run_blkdeviotune,
        group=GROUP,
        help="Set or query a block device I/O tuning parameters.",
        description="Set or query disk I/O parameters such as block throttling.",
        arguments=[
            domain_argument(),
            Argument("device", positional=True, required=True, help="block device"),
            *(
                Argument(f"--{option}", metavar="string" if option == "group-name" else number, help=text)
                for option, text in _IOTUNE_HELP.items()
            ),
            *_AFFECT,
        ],
    )
    add(
        "perf",
        run_perf,
        group=GROUP,
        help="Get or set perf event",
        description=(
            "Get or set the current perf events for a guest domain.\n"
            "    To get the perf events list use following command: \n\n"
            "    virsh # perf <domain>"
        ),
        arguments=[
            domain_argument(),
            Argument("--enable", help="perf events which will be enabled"),
            Argument("--disable", help="perf events which will be disabled"),
            *_AFFECT,
        ],
    )
