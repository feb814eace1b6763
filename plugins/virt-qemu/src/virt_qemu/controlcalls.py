"""The control calls of ``qemu:///`` connections (a mixin of QemuConnection), with the rules and words
of libvirt 9.0's QEMU driver: the state of the monitor (virDomainGetControlInfo), a non-maskable
interrupt (QMP ``inject-nmi``), the guest's clock set through its agent (``guest-set-time``, then
``rtc-reset-reinjection`` on x86 so that the RTC does not catch up on ticks it missed meanwhile),
the disks' I/O errors (``query-block``'s ``io-status``), the guest's memory read
(``memsave`` / ``pmemsave`` into a file of the run folder, read and removed) and a raw disk read
by the host from the disk's file or block device (virDomainBlockPeek, running or not).
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from virt.domaincalls import DiskError, DiskErrorInfo, DiskErrors, MemoryFlags
from virt.domaincontrol import ControlInfo, ControlState
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument

from virt_qemu import errors

if TYPE_CHECKING:
    from virt.driver import DomainRef

    from virt_qemu.driver import QemuDriver

TIME_SYNC = 1
"""VIR_DOMAIN_TIME_SYNC: the guest reads its clock from its RTC instead of being told a time."""
MONITOR_ERROR = 1
"""VIR_DOMAIN_CONTROL_ERROR_REASON_MONITOR: the monitor connection failed."""
_NANOSECONDS = 1_000_000_000
_X86 = ("x86_64", "i686")
_IO_STATUS = {"ok": DiskError.NONE, "failed": DiskError.UNSPEC, "nospace": DiskError.NO_SPACE}


def _flags(flags: int, accepted: int, function: str) -> None:
    if flags & ~accepted:
        unknown = flags & ~accepted
        raise InvalidArgument(
            f"unsupported flags (0x{unknown:x}) in function {function}", ErrorNumber.INVALID_ARG, ErrorDomain.QEMU
        )


class QemuControlOperations:
    """The control methods of QemuConnection."""

    if TYPE_CHECKING:

        @property
        def qemu(self) -> QemuDriver: ...

    def get_domain_control_info(self, ref: DomainRef, flags: int) -> ControlInfo:
        _flags(flags, 0, "qemuDomainGetControlInfo")
        with self.qemu.locked(ref) as obj:
            if not obj.active:
                raise errors.not_running()
            if obj.broken is not None:
                return ControlInfo(ControlState.ERROR, MONITOR_ERROR, 0)
        # a call holds the domain while it runs, so a job is never seen in progress from here
        return ControlInfo(ControlState.OK, 0, 0)

    def inject_domain_nmi(self, ref: DomainRef, flags: int) -> None:
        _flags(flags, 0, "qemuDomainInjectNMI")
        with self.qemu.locked(ref) as obj:
            if not obj.active:
                raise errors.not_running()
            self.qemu.qmp(obj, "inject-nmi")

    def set_domain_time(self, ref: DomainRef, seconds: int, nseconds: int, flags: int) -> None:
        from virt_qemu.guestcalls import agent_execute

        _flags(flags, TIME_SYNC, "qemuDomainSetTime")
        with self.qemu.locked(ref) as obj:
            arch = obj.current.os.type.arch if obj.current.os is not None and obj.current.os.type else None
            if not obj.active:
                # libvirt asks the QEMU of the domain about the command before it checks that there is
                # one: an inactive x86 domain gets this refusal
                if arch in _X86:
                    raise errors.error(
                        ErrorNumber.OPERATION_UNSUPPORTED,
                        "cannot set time: qemu doesn't support rtc-reset-reinjection command",
                    )
                raise errors.not_running()
        if flags & TIME_SYNC:
            agent_execute(self.qemu, ref, "guest-set-time")
        else:
            if seconds > (2**63 - 1) // _NANOSECONDS:
                raise errors.error(ErrorNumber.INVALID_ARG, f"Time '{seconds}' is too big for guest agent")
            agent_execute(self.qemu, ref, "guest-set-time", {"time": seconds * _NANOSECONDS + nseconds})
        if arch in _X86:
            with self.qemu.locked(ref) as obj:
                self.qemu.qmp(obj, "rtc-reset-reinjection")

    def get_domain_disk_errors(self, ref: DomainRef, maxerrors: int, flags: int) -> DiskErrors:
        from virt_qemu.stats import disk_index_of_node

        _flags(flags, 0, "qemuDomainGetDiskErrors")
        with self.qemu.locked(ref) as obj:
            if not obj.active:
                raise errors.not_running()
            devices = obj.current.devices
            disks = devices.disks if devices is not None else []
            if maxerrors == 0:
                return DiskErrors(len(disks))
            entries = self.qemu.qmp(obj, "query-block")
        # a drive without a medium has no node, and no error either
        status = {}
        for entry in entries:
            index = disk_index_of_node(entry.get("inserted") or {})
            if index is not None:
                status[index] = _IO_STATUS.get(str(entry.get("io-status", "ok")), DiskError.UNSPEC)
        found: list[DiskErrorInfo] = []
        for index, disk in enumerate(disks):
            code = status.get(index, DiskError.NONE)
            if code != DiskError.NONE:
                if len(found) == maxerrors:
                    break
                found.append(DiskErrorInfo(str(disk.target.dev if disk.target else ""), code))
        return DiskErrors(len(found), tuple(found))

    def peek_domain_memory(self, ref: DomainRef, start: int, size: int, flags: int) -> bytes:
        _flags(flags, MemoryFlags.VIRTUAL | MemoryFlags.PHYSICAL, "qemuDomainMemoryPeek")
        if flags not in (MemoryFlags.VIRTUAL, MemoryFlags.PHYSICAL):
            raise errors.error(
                ErrorNumber.INVALID_ARG, "flags parameter must be VIR_MEMORY_VIRTUAL or VIR_MEMORY_PHYSICAL"
            )
        command = "memsave" if flags == MemoryFlags.VIRTUAL else "pmemsave"
        with self.qemu.locked(ref) as obj:
            if not obj.active or obj.running is None:
                raise errors.not_running()
            fd, path = tempfile.mkstemp(prefix="qemu.mem.", dir=obj.running.run_dir)
            try:
                self.qemu.qmp(obj, command, {"val": start, "size": size, "filename": path})
                with os.fdopen(fd, "rb") as saved:
                    fd = -1
                    return saved.read(size)
            finally:
                if fd >= 0:
                    os.close(fd)
                Path(path).unlink(missing_ok=True)

    def peek_domain_block(self, ref: DomainRef, disk: str, offset: int, size: int, flags: int) -> bytes:
        from virt.localstate.stats import disk_source, find_disk

        _flags(flags, 0, "qemuDomainBlockPeek")
        with self.qemu.locked(ref) as obj:
            found = find_disk(obj.current, disk)
            if found is None:
                raise errors.error(ErrorNumber.INVALID_ARG, f"disk '{disk}' not found in domain")
            disk_format = found.driver.type if found.driver is not None and found.driver.type else "none"
            if disk_format != "raw":
                raise errors.error(
                    ErrorNumber.OPERATION_UNSUPPORTED,
                    f"peeking is only supported for disk with 'raw' format not '{disk_format}'",
                )
            kind = found.type or "file"
            path = disk_source(found)
        if kind not in ("file", "block"):
            protocol = found.source.protocol if found.source is not None else None
            raise errors.error(
                ErrorNumber.OPERATION_UNSUPPORTED,
                f"storage file reading is not supported for storage type {kind} (protocol: {protocol or '<null>'})",
            )
        return _read_disk(disk, path, offset, size)


def _read_disk(disk: str, path: str | None, offset: int, size: int) -> bytes:
    """``size`` bytes of a disk's file from ``offset``, read outside the domain's lock (as libvirt
    reads them: a slow disk holds up no other call), with libvirt's storage file errors."""
    if path is None:  # an empty CD-ROM drive: libvirt opens no file, in its own words
        raise errors.error(ErrorNumber.SYSTEM_ERROR, "Failed to open file '(null)': Bad address", ErrorDomain.STORAGE)
    try:
        source = open(path, "rb")  # noqa: SIM115 - a file or a block device, read as it is
    except OSError as exc:
        message = f"Failed to open file '{path}': {exc.strerror}"
        raise errors.error(ErrorNumber.SYSTEM_ERROR, message, ErrorDomain.STORAGE) from None
    with source:
        try:
            if size == 0:  # libvirt's bounded read takes no empty buffer
                raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
            source.seek(offset)
            data = source.read(size)
        except OSError as exc:
            message = f"cannot read header '{path}': {exc.strerror}"
            raise errors.error(ErrorNumber.SYSTEM_ERROR, message, ErrorDomain.STORAGE) from None
    if len(data) < size:
        raise errors.error(
            ErrorNumber.INVALID_ARG, f"'{disk}' starting from {offset} has only {len(data)} bytes available"
        )
    return data
