"""libvirt 9.0's test driver's assorted domain calls (virt.domaincalls): made-up CPU statistics, lifecycle
actions written into the definitions, fstrim, disk errors, process signals, memory peek, user password,
launch security, core dump and creation with files.

What its testDomainGetCPUStats, SetLifecycleAction, FSTrim, GetDiskErrors, SendProcessSignal,
MemoryPeek, SetUserPassword, GetLaunchSecurityInfo, CoreDumpWithFormat and Create(XML)WithFiles do,
checked against python3-libvirt on test:///default: the guest's answers are invented (its CPU times
are constants, its memory counts bytes up from the address asked), the files a creation is handed
are not used.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from virt import domaincalls as calls
from virt.domaincalls import CPUStats, DiskError, DiskErrorInfo, DiskErrors, DumpFlags, DumpFormat, MemoryFlags
from virt.domainchanges import Impact
from virt.domainsave import StartFlags
from virt.domainstats import ParamType, TypedParameter
from virt.drivers.test import errors
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError
from virt.events import StoppedDetail
from virt.states import DomainState, ShutoffReason

if TYPE_CHECKING:
    from contextlib import _GeneratorContextManager

    from virt.driver import DomainRef
    from virt.drivers.test.host import Host
    from virt.drivers.test.objects import DomainObj
    from virt.xml import Domain

TOTAL_CPU_TIME = 48772617035
"""The domain's processor time (ns) the test driver reports, split evenly over the host's cores."""
_USER_TIME = 5540000000
_SYSTEM_TIME = 6460000000
_VCPU_LAG = 1234567890
"""How much less a core's vcpu_time is than its cpu_time."""
_TYPED_PARAM_STRING_OKAY = 4
_START_VALIDATE = 16
"""VIR_DOMAIN_START_VALIDATE, the one flag testDomainCreateXML takes."""
_MOUNTS = ("/", "/boot")
_DUMP_MAGIC = b"TestGuestMagic\0"
"""What the test driver's core dump holds: its save file's magic, nothing else."""
_PEEK_PATTERN = bytes(range(256))


def _check_flags(flags: int, accepted: int, function: str) -> None:
    unknown = int(flags) & ~int(accepted)  # plain ints: an IntFlag's ~ keeps only its own members
    if unknown:
        raise InvalidArgument(
            f"unsupported flags (0x{unknown:x}) in function {function}",
            ErrorNumber.INVALID_ARG,
            ErrorDomain.TEST,
        )


def _ullong(field: str, value: int) -> TypedParameter:
    return TypedParameter(field, ParamType.ULLONG, value)


class DomainCallOperations:
    """The assorted domain calls of TestConnection."""

    host: Host

    if TYPE_CHECKING:  # DomainOperations' and ChangeOperations', beside this mixin in TestConnection

        def _changing(self) -> _GeneratorContextManager[None]: ...
        def _domain(self, ref: DomainRef) -> DomainObj: ...
        def _definitions(self, obj: DomainObj, impact: Impact) -> list[Domain]: ...
        def _stop(self, obj: DomainObj, reason: ShutoffReason, detail: StoppedDetail) -> None: ...
        def create_domain(self, domain: Domain) -> DomainRef: ...
        def start_domain_flags(self, ref: DomainRef, flags: StartFlags) -> None: ...

    def _active(self, ref: DomainRef) -> DomainObj:
        obj = self._domain(ref)
        if not obj.active or obj.state == DomainState.SHUTOFF:
            raise errors.not_running()
        return obj

    # -- CPU statistics -------------------------------------------------------------------------------
    def get_domain_cpu_stats(self, ref: DomainRef, nparams: int, start_cpu: int, ncpus: int, flags: int) -> CPUStats:
        _check_flags(flags, _TYPED_PARAM_STRING_OKAY, "testDomainGetCPUStats")
        with self.host.lock:
            self._active(ref)
            cores = self.host.node_info.cores
        if start_cpu == calls.TOTAL_CPU:
            if nparams == 0:
                return CPUStats(3)
            totals = (
                _ullong(calls.CPU_TIME, TOTAL_CPU_TIME),
                _ullong(calls.USER_TIME, _USER_TIME),
                _ullong(calls.SYSTEM_TIME, _SYSTEM_TIME),
            )[:nparams]
            return CPUStats(len(totals), ((calls.TOTAL_CPU, totals),))
        if nparams == 0 and ncpus != 0:
            return CPUStats(2)
        if ncpus == 0:
            return CPUStats(cores)
        if start_cpu >= cores:
            raise errors.error(ErrorNumber.INVALID_ARG, f"start_cpu {start_cpu} larger than maximum of {cores - 1}")
        share = TOTAL_CPU_TIME // cores
        rows = []
        for cpu in range(start_cpu, min(cores, start_cpu + ncpus)):
            params = [_ullong(calls.CPU_TIME, share + cpu)]
            if nparams > 1:
                params.append(_ullong(calls.VCPU_TIME, share + cpu - _VCPU_LAG))
            rows.append((cpu, tuple(params)))
        return CPUStats(2 if nparams > 1 else 1, tuple(rows))

    # -- lifecycle actions ----------------------------------------------------------------------------
    def set_domain_lifecycle_action(self, ref: DomainRef, type_: int, action: int, flags: int) -> None:
        _check_flags(flags, Impact.LIVE | Impact.CONFIG, "testDomainSetLifecycleAction")
        event, chosen = calls.LifecycleType(type_), calls.LifecycleAction(action)
        calls.check_lifecycle_allowed(event, chosen)
        with self.host.lock:
            obj = self._domain(ref)
            for definition in self._definitions(obj, Impact(flags)):
                setattr(definition, event.element, chosen.label)

    # -- guest agent's answers ------------------------------------------------------------------------
    def trim_domain_filesystems(self, ref: DomainRef, mountpoint: str | None, minimum: int, flags: int) -> None:
        _check_flags(flags, 0, "testDomainFSTrim")
        with self.host.lock:
            self._active(ref)
        if mountpoint is not None and mountpoint not in _MOUNTS:
            raise errors.error(ErrorNumber.OPERATION_INVALID, f"mount point not found: {mountpoint}")

    def send_domain_process_signal(self, ref: DomainRef, pid: int, signum: int, flags: int) -> None:
        _check_flags(flags, 0, "testDomainSendProcessSignal")
        if pid != 1:
            raise errors.error(ErrorNumber.INVALID_ARG, "only sending a signal to pid 1 is supported")
        if signum >= calls.SIGNAL_LAST:
            raise errors.error(ErrorNumber.INVALID_ARG, f"signum value {signum} is out of range")
        with self.host.lock:
            self._domain(ref)  # nothing is sent: the test guest has no processes

    def set_domain_user_password(self, ref: DomainRef, user: str, password: str, flags: int) -> None:
        _check_flags(flags, calls.PasswordFlags.ENCRYPTED, "testDomainSetUserPassword")
        with self.host.lock:
            self._active(ref)

    def get_domain_launch_security_info(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        # no flag is taken, not even the STRING_OKAY libvirt's public API always adds: so it never answers
        _check_flags(flags, 0, "testDomainGetLaunchSecurityInfo")
        return []

    # -- disks and memory -----------------------------------------------------------------------------
    def get_domain_disk_errors(self, ref: DomainRef, maxerrors: int, flags: int) -> DiskErrors:
        _check_flags(flags, 0, "testDomainGetDiskErrors")
        with self.host.lock:
            devices = self._active(ref).current.devices
            disks = [str(disk.target.dev or "") if disk.target else "" for disk in (devices.disks if devices else [])]
        if maxerrors == 0:
            return DiskErrors(len(disks))
        # every disk has an error, the test driver's two kinds in turn
        found = tuple(DiskErrorInfo(disk, DiskError(n % 2 + 1)) for n, disk in enumerate(disks[:maxerrors]))
        return DiskErrors(len(found), found)

    def peek_domain_memory(self, ref: DomainRef, start: int, size: int, flags: int) -> bytes:
        _check_flags(flags, MemoryFlags.VIRTUAL | MemoryFlags.PHYSICAL, "testDomainMemoryPeek")
        if not flags:
            raise errors.error(
                ErrorNumber.INVALID_ARG, "flags parameter must be VIR_MEMORY_VIRTUAL or VIR_MEMORY_PHYSICAL"
            )
        with self.host.lock:
            self._active(ref)
        # each byte holds the low byte of its own address
        offset = start % len(_PEEK_PATTERN)
        repeats = (offset + size) // len(_PEEK_PATTERN) + 1
        return (_PEEK_PATTERN * repeats)[offset : offset + size]

    # -- core dump ------------------------------------------------------------------------------------
    def core_dump_domain(self, ref: DomainRef, path: str, dumpformat: int | None, flags: int) -> None:
        _check_flags(flags, DumpFlags.CRASH, "testDomainCoreDumpWithFormat")
        with self._changing():
            obj = self._active(ref)
            _write_dump(path, obj.name)
            # the file is written before the format is looked at, as libvirt's test driver does
            if (dumpformat or DumpFormat.RAW) != DumpFormat.RAW:
                raise errors.error(ErrorNumber.OPERATION_UNSUPPORTED, "kdump-compressed format is not supported here")
            if flags & DumpFlags.CRASH:
                self._stop(obj, ShutoffReason.CRASHED, StoppedDetail.CRASHED)

    # -- creation with files --------------------------------------------------------------------------
    def create_domain_with_files(self, domain: Domain, files: Sequence[int], flags: int) -> DomainRef:
        _check_flags(flags, _START_VALIDATE, "testDomainCreateXML")
        return self.create_domain(domain)

    def start_domain_with_files(self, ref: DomainRef, files: Sequence[int], flags: int) -> None:
        self.start_domain_flags(ref, StartFlags(flags))


def _write_dump(path: str, name: str) -> None:
    def failed(what: str, exc: OSError) -> VirtError:
        return errors.error(ErrorNumber.SYSTEM_ERROR, f"domain '{name}' coredump: {what}: {exc.strerror or exc}")

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise failed(f"failed to open {path}", exc) from exc
    try:
        os.write(fd, _DUMP_MAGIC)
    except OSError as exc:
        raise failed(f"failed to write header to {path}", exc) from exc
    finally:
        os.close(fd)
