"""Assorted domain calls: virDomainGetCPUStats, SetLifecycleAction, FSTrim, GetDiskErrors,
SendProcessSignal, MemoryPeek, SetUserPassword, GetLaunchSecurityInfo, CoreDump(WithFormat) and
Create(XML)WithFiles.

The enumerations and records they exchange, and the checks libvirt's public API makes before any
driver sees a call (so every driver, and virtd on behalf of remote clients, refuses alike). The
words of the errors are libvirt 9.0's.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from virt.domainstats import TypedParameter
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError, libvirt_error

__all__ = [
    "CPUStats",
    "DiskError",
    "DiskErrorInfo",
    "DiskErrors",
    "DumpFlags",
    "DumpFormat",
    "LifecycleAction",
    "LifecycleType",
    "MemoryFlags",
    "PasswordFlags",
    "signal_number",
]

TOTAL_CPU = -1
"""virDomainGetCPUStats's start_cpu asking for the domain's totals (with ncpus 1)."""
CPU_TIME = "cpu_time"
USER_TIME = "user_time"
SYSTEM_TIME = "system_time"
VCPU_TIME = "vcpu_time"
"""VIR_DOMAIN_CPU_STATS_*: the fields of the statistics, in nanoseconds."""


class LifecycleType(enum.IntEnum):
    """virDomainLifecycle: the event whose action changes, and its element in the domain XML."""

    POWEROFF = 0
    REBOOT = 1
    CRASH = 2

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def element(self) -> str:
        return f"on_{self.label}"


class LifecycleAction(enum.IntEnum):
    """virDomainLifecycleAction, named as the domain XML writes them."""

    DESTROY = 0
    RESTART = 1
    RESTART_RENAME = 2
    PRESERVE = 3
    COREDUMP_DESTROY = 4
    COREDUMP_RESTART = 5

    @property
    def label(self) -> str:
        return "rename-restart" if self is LifecycleAction.RESTART_RENAME else self.name.lower().replace("_", "-")

    @classmethod
    def from_label(cls, label: str) -> LifecycleAction | None:
        return next((action for action in cls if action.label == label), None)


class MemoryFlags(enum.IntFlag):
    """virDomainMemoryFlags: how virDomainMemoryPeek's start is read."""

    VIRTUAL = 1
    PHYSICAL = 2


class DiskError(enum.IntEnum):
    """virDomainDiskErrorCode, with the words virsh domblkerror prints."""

    NONE = 0
    UNSPEC = 1
    NO_SPACE = 2

    @property
    def label(self) -> str:
        return ("no error", "unspecified error", "no space")[self.value]


class DiskErrorInfo(NamedTuple):
    """virDomainDiskError: a disk (its target) and the error it stopped on (a DiskError when known)."""

    disk: str
    error: int

    @property
    def label(self) -> str:
        """The error as virsh domblkerror words it."""
        known = DiskError._value2member_map_.get(self.error)
        return known.label if isinstance(known, DiskError) else "unknown error"


class DiskErrors(NamedTuple):
    """What virDomainGetDiskErrors answers: ``result`` (without room given: how many disks could
    report) and the errors of up to that room."""

    result: int
    errors: tuple[DiskErrorInfo, ...] = ()


class CPUStats(NamedTuple):
    """What virDomainGetCPUStats answers: ``result`` is the driver's return value (the parameters
    per CPU; asked with no parameters, how many there are, or with no CPUs how many CPUs), ``rows``
    the parameters of each CPU filled in (of the total, one row), CPUs the driver skipped left out."""

    result: int
    rows: tuple[tuple[int, tuple[TypedParameter, ...]], ...] = ()
    """(CPU number, its parameters); the totals are CPU -1."""


class PasswordFlags(enum.IntFlag):
    """virDomainSetUserPasswordFlags."""

    NONE = 0
    ENCRYPTED = 1


class DumpFlags(enum.IntFlag):
    """virDomainCoreDumpFlags."""

    NONE = 0
    CRASH = 1
    LIVE = 2
    BYPASS_CACHE = 4
    RESET = 8
    MEMORY_ONLY = 16


class DumpFormat(enum.IntEnum):
    """virDomainCoreDumpFormat, with virsh dump's --format names."""

    RAW = 0
    KDUMP_ZLIB = 1
    KDUMP_LZO = 2
    KDUMP_SNAPPY = 3
    WIN_DMP = 4

    @property
    def label(self) -> str:
        return "elf" if self is DumpFormat.RAW else self.name.lower().replace("_", "-")


_SIGNAL_NAMES = [
    *("nop", "hup", "int", "quit", "ill", "trap", "abrt", "bus", "fpe", "kill", "usr1", "segv", "usr2", "pipe"),
    *("alrm", "term", "stkflt", "chld", "cont", "stop", "tstp", "ttin", "ttou", "urg", "xcpu", "xfsz"),
    *("vtalrm", "prof", "winch", "poll", "pwr", "sys"),
    *(f"rt{n}" for n in range(33)),
]
"""virDomainProcessSignal's members by number, as virsh names them: nop (0), hup, ... sys (31), rt0 (32) ... rt32."""
SIGNAL_LAST = len(_SIGNAL_NAMES)
"""VIR_DOMAIN_PROCESS_SIGNAL_LAST: signal numbers are below it."""


def signal_number(text: str) -> int | None:
    """virsh's reading of a signal: a number, or a name with or without ``sig``/``sig_`` (any case)."""
    lowered = text.lower()
    try:
        return int(lowered, 10)
    except ValueError:
        pass
    for prefix in ("sig_", "sig"):
        if lowered.startswith(prefix):
            lowered = lowered[len(prefix) :]
            break
    return _SIGNAL_NAMES.index(lowered) if lowered in _SIGNAL_NAMES else None


# -- the public API's own checks ------------------------------------------------------------------
def _invalid(message: str) -> VirtError:
    """virReportInvalidArg: its message is the whole text, in the public API's error domain."""
    return InvalidArgument(message, ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN)


def exclusive(flags: int, first: enum.IntFlag, second: enum.IntFlag) -> None:
    """VIR_EXCLUSIVE_FLAGS_GOTO: refuse ``first`` and ``second`` together."""
    if flags & first and flags & second:
        raise _invalid(f"Flags 'VIR_{_flag_name(first)}' and 'VIR_{_flag_name(second)}' are mutually exclusive")


def _flag_name(flag: enum.IntFlag) -> str:
    prefix = {DumpFlags: "DUMP_", MemoryFlags: "MEMORY_"}[type(flag)]
    return f"{prefix}{flag.name}"


def check_cpu_stats(nparams: int, start_cpu: int, ncpus: int) -> None:
    """virDomainGetCPUStats's checks (parameters are asked for when ``nparams`` is not 0)."""
    function = "virDomainGetCPUStats"
    if start_cpu == TOTAL_CPU:
        if ncpus != 1:
            raise _invalid("ncpus must be 1 when start_cpu is -1")
    elif start_cpu < 0:
        raise _invalid(f"start_cpu in {function} must be zero or greater")
    if nparams and ncpus == 0:
        raise _invalid(f"params in {function} must be NULL")
    if nparams and ncpus > 0xFFFFFFFF // nparams:
        raise libvirt_error(ErrorNumber.OVERFLOW, f"input too large: {nparams} * {ncpus}", ErrorDomain.DOMAIN)


def check_lifecycle(type_: int, action: int) -> tuple[LifecycleType, LifecycleAction]:
    """virDomainSetLifecycleAction's checks: a known event and a known action."""
    if type_ not in LifecycleType._value2member_map_:
        raise libvirt_error(ErrorNumber.INVALID_ARG, f"invalid lifecycle type '{type_}'", ErrorDomain.DOMAIN)
    if action not in LifecycleAction._value2member_map_:
        raise libvirt_error(ErrorNumber.INVALID_ARG, f"invalid lifecycle action '{action}'", ErrorDomain.DOMAIN)
    return LifecycleType(type_), LifecycleAction(action)


def check_lifecycle_allowed(type_: LifecycleType, action: LifecycleAction) -> None:
    """virDomainDefLifecycleActionAllowed: only a crash may dump core."""
    dumping = action in (LifecycleAction.COREDUMP_DESTROY, LifecycleAction.COREDUMP_RESTART)
    if dumping and type_ is not LifecycleType.CRASH:
        raise libvirt_error(
            ErrorNumber.CONFIG_UNSUPPORTED,
            f"Lifecycle event '{type_.label}' doesn't support '{action.label}' action",
            ErrorDomain.DOMAIN,
        )


def check_memory_peek(flags: int) -> None:
    """virDomainMemoryPeek's check: not virtual and physical at once."""
    exclusive(flags, MemoryFlags.VIRTUAL, MemoryFlags.PHYSICAL)


def check_process_signal(pid: int) -> None:
    if pid == 0:
        raise _invalid("pid_value in virDomainSendProcessSignal must not be zero")


def check_core_dump(flags: int, dumpformat: int | None) -> None:
    """virDomainCoreDump(WithFormat)'s checks: a known format, no contradicting flags."""
    if dumpformat is not None and dumpformat not in DumpFormat._value2member_map_:
        raise _invalid(f"dumpformat '{dumpformat}' is not supported")
    exclusive(flags, DumpFlags.CRASH, DumpFlags.LIVE)
    exclusive(flags, DumpFlags.CRASH, DumpFlags.RESET)
    exclusive(flags, DumpFlags.LIVE, DumpFlags.RESET)
