"""The block job calls of ``qemu:///`` connections (a mixin of QemuConnection), with libvirt 9.0's
flags, units and words; the work on QEMU is ``virt_qemu.blockjobs``'.

Bandwidths arrive in MiB/s unless a call's BANDWIDTH_BYTES flag says bytes/s (virDomainBlockCopy's
parameter is always bytes/s); QEMU takes bytes/s. An abort without ASYNC returns once the job's end
was acted on: the domain's lock is let go meanwhile, since QEMU's events about the job are handled
under it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from virt import devicechanges as dc
from virt.blockjobs import (
    COPY_BANDWIDTH,
    COPY_BUF_SIZE,
    COPY_GRANULARITY,
    MIB,
    BlockCommitFlags,
    BlockCopyFlags,
    BlockJobAbortFlags,
    BlockJobInfo,
    BlockJobInfoFlags,
    BlockJobSetSpeedFlags,
    BlockPullFlags,
    BlockRebaseFlags,
    BlockResizeFlags,
    param_value,
)
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument

from virt_qemu import blockjobs, errors

if TYPE_CHECKING:
    from virt.domainstats import TypedParameter
    from virt.driver import DomainRef
    from virt.xml.devices import Disk

    from virt_qemu.driver import QemuDriver
    from virt_qemu.runtime import DomainObj

_LLONG_MAX = (1 << 63) - 1
_ULLONG_MAX = (1 << 64) - 1
_REBASE_TAKEN = int(sum(BlockRebaseFlags))
_COMMIT_TAKEN = int(sum(BlockCommitFlags))
_COPY_TAKEN = int(sum(BlockCopyFlags))
ABORT_WAIT = 0.2
"""How often a synchronous abort looks whether the domain is still there while it waits."""


def _check(flags: int, taken: int, function: str) -> None:
    """virCheckFlags: its words have no "invalid argument" before them."""
    refused = flags & ~taken
    if refused:
        message = f"unsupported flags (0x{int(refused):x}) in function {function}"
        raise InvalidArgument(message, ErrorNumber.INVALID_ARG, ErrorDomain.QEMU)


def _bytes_per_second(bandwidth: int, in_bytes: bool) -> int:
    """A bandwidth in bytes/s for QEMU (libvirt refuses what overflows QEMU's signed 64 bits)."""
    if in_bytes:
        if bandwidth > _LLONG_MAX:
            raise errors.error(ErrorNumber.OVERFLOW, f"bandwidth must be less than {_LLONG_MAX}")
        return bandwidth
    limit = _LLONG_MAX >> 20
    if bandwidth > limit:
        raise errors.error(ErrorNumber.OVERFLOW, f"bandwidth must be less than {limit}")
    return bandwidth * MIB


def _copy_destination(path: str, *, raw: bool, block: bool) -> Disk:
    """The <disk> virDomainBlockRebase's COPY makes of its ``base`` (libvirt builds the same)."""
    from virt.xml.devices import Disk, DiskDriver, DiskSource

    disk = Disk()
    disk.type = "block" if block else "file"
    disk.source = DiskSource()
    if block:
        disk.source.dev = path
    else:
        disk.source.file = path
    if raw:
        disk.driver = DiskDriver()
        disk.driver.type = "raw"
    return disk


class QemuBlockJobOperations:
    """virDomainBlock* of QemuConnection."""

    if TYPE_CHECKING:

        @property
        def qemu(self) -> QemuDriver: ...

    def get_domain_block_job_info(self, ref: DomainRef, disk: str, flags: int) -> BlockJobInfo | None:
        _check(flags, int(BlockJobInfoFlags.BANDWIDTH_BYTES), "qemuDomainGetBlockJobInfo")
        with self.qemu.locked(ref) as obj:
            running = self.qemu._usable(obj)
            assert obj.live is not None
            target = dc.disk_target(blockjobs.find_disk(obj.live, disk))
            job = blockjobs.job_of(self.qemu, obj, running, target)
            if job is None:
                return None
            speed, cur, end, _ = blockjobs.info(self.qemu, obj, job)
        if not flags & BlockJobInfoFlags.BANDWIDTH_BYTES:
            speed = -(-speed // MIB)  # MiB/s, rounded up as libvirt does
        return BlockJobInfo(int(job.type), speed, cur, end)

    def set_domain_block_job_speed(self, ref: DomainRef, disk: str, bandwidth: int, flags: int) -> None:
        _check(flags, int(BlockJobSetSpeedFlags.BANDWIDTH_BYTES), "qemuDomainBlockJobSetSpeed")
        speed = _bytes_per_second(bandwidth, bool(flags & BlockJobSetSpeedFlags.BANDWIDTH_BYTES))
        with self.qemu.locked(ref) as obj:
            job = self._job(obj, disk)
            blockjobs.set_speed(self.qemu, obj, job, speed)

    def abort_domain_block_job(self, ref: DomainRef, disk: str, flags: int) -> None:
        _check(flags, int(BlockJobAbortFlags.ASYNC | BlockJobAbortFlags.PIVOT), "qemuDomainBlockJobAbort")
        with self.qemu.locked(ref) as obj:
            job = self._job(obj, disk)
            running = obj.running
            blockjobs.request_abort(self.qemu, obj, job, pivot=bool(flags & BlockJobAbortFlags.PIVOT))
        if flags & BlockJobAbortFlags.ASYNC:
            return
        # libvirt returns once the job is gone; the domain may go away meanwhile (destroyed, crashed)
        while not job.ended.wait(ABORT_WAIT):
            if obj.running is not running:
                return
        if flags & BlockJobAbortFlags.PIVOT and job.outcome is not None and job.error:
            raise errors.operation_failed(f"pivot of disk '{job.target}' failed: {job.error}")

    def _job(self, obj: DomainObj, disk: str) -> blockjobs.BlockJob:
        running = self.qemu._usable(obj)
        assert obj.live is not None
        target = dc.disk_target(blockjobs.find_disk(obj.live, disk))
        job = blockjobs.job_of(self.qemu, obj, running, target)
        if job is None:
            raise errors.error(ErrorNumber.INVALID_ARG, f"disk {target} does not have an active block job")
        return job

    def pull_domain_block(self, ref: DomainRef, disk: str, bandwidth: int, flags: int) -> None:
        _check(flags, int(BlockPullFlags.BANDWIDTH_BYTES), "qemuDomainBlockPull")
        speed = _bytes_per_second(bandwidth, bool(flags & BlockPullFlags.BANDWIDTH_BYTES))
        with self.qemu.locked(ref) as obj:
            self.qemu._usable(obj)
            assert obj.live is not None
            blockjobs.start_pull(self.qemu, obj, blockjobs.find_disk(obj.live, disk), None, speed=speed)

    def rebase_domain_block(self, ref: DomainRef, disk: str, base: str | None, bandwidth: int, flags: int) -> None:
        _check(flags, _REBASE_TAKEN, "qemuDomainBlockRebase")
        speed = _bytes_per_second(bandwidth, bool(flags & BlockRebaseFlags.BANDWIDTH_BYTES))
        if flags & BlockRebaseFlags.COPY:
            assert base is not None  # the public API's check
            dest = _copy_destination(
                base, raw=bool(flags & BlockRebaseFlags.COPY_RAW), block=bool(flags & BlockRebaseFlags.COPY_DEV)
            )
            copy_flags = BlockCopyFlags.NONE
            if flags & BlockRebaseFlags.SHALLOW:
                copy_flags |= BlockCopyFlags.SHALLOW
            if flags & BlockRebaseFlags.REUSE_EXT:
                copy_flags |= BlockCopyFlags.REUSE_EXT
            self._copy(ref, disk, dest, speed, 0, 0, int(copy_flags))
            return
        with self.qemu.locked(ref) as obj:
            self.qemu._usable(obj)
            assert obj.live is not None
            blockjobs.start_pull(self.qemu, obj, blockjobs.find_disk(obj.live, disk), base, speed=speed)

    def copy_domain_block(
        self, ref: DomainRef, disk: str, destxml: str, params: Sequence[TypedParameter], flags: int
    ) -> None:
        _check(flags, _COPY_TAKEN, "qemuDomainBlockCopy")
        parsed = dc.parse_device(destxml)
        if parsed.kind != "disk":
            raise errors.error(
                ErrorNumber.XML_ERROR, f"the block copy destination must be a <disk>, not <{parsed.kind}>"
            )
        speed = param_value(params, COPY_BANDWIDTH)
        if speed > _LLONG_MAX:
            raise errors.error(ErrorNumber.OVERFLOW, f"bandwidth must be less than {_LLONG_MAX}")
        granularity = param_value(params, COPY_GRANULARITY)
        if granularity and (granularity & (granularity - 1) or not 512 <= granularity <= 64 * MIB):
            raise errors.error(ErrorNumber.INVALID_ARG, "granularity must be power of 2")
        self._copy(ref, disk, parsed.device, speed, granularity, param_value(params, COPY_BUF_SIZE), flags)

    def _copy(
        self, ref: DomainRef, disk: str, dest: Disk, speed: int, granularity: int, buf_size: int, flags: int
    ) -> None:
        with self.qemu.locked(ref) as obj:
            self.qemu._usable(obj)
            if obj.persistent and not flags & BlockCopyFlags.TRANSIENT_JOB:
                # libvirt 9.0: a copy cannot outlive the QEMU it runs in, so a domain that outlives
                # it (persistent) must say the job may be lost with it
                raise errors.error(ErrorNumber.OPERATION_INVALID, "domain is not transient")
            assert obj.live is not None
            found = blockjobs.find_disk(obj.live, disk)
            blockjobs.start_copy(
                self.qemu, obj, found, dest, speed=speed, granularity=granularity, buf_size=buf_size, flags=flags
            )

    def commit_domain_block(
        self, ref: DomainRef, disk: str, base: str | None, top: str | None, bandwidth: int, flags: int
    ) -> None:
        _check(flags, _COMMIT_TAKEN, "qemuDomainBlockCommit")
        speed = _bytes_per_second(bandwidth, bool(flags & BlockCommitFlags.BANDWIDTH_BYTES))
        with self.qemu.locked(ref) as obj:
            self.qemu._usable(obj)
            assert obj.live is not None
            found = blockjobs.find_disk(obj.live, disk)
            blockjobs.start_commit(self.qemu, obj, found, base, top, speed=speed, flags=flags)

    def resize_domain_block(self, ref: DomainRef, disk: str, size: int, flags: int) -> None:
        _check(flags, int(BlockResizeFlags.BYTES), "qemuDomainBlockResize")
        if not flags & BlockResizeFlags.BYTES:
            if size > _ULLONG_MAX // 1024:
                raise errors.error(ErrorNumber.OVERFLOW, f"size must be less than {_ULLONG_MAX // 1024}")
            size *= 1024
        with self.qemu.locked(ref) as obj:
            self.qemu._usable(obj)
            assert obj.live is not None
            disks = obj.live.devices.disks if obj.live.devices is not None else []
            found = next((d for d in disks if name_matches(d, disk)), None)
            if found is None:
                raise errors.error(ErrorNumber.INVALID_ARG, f"disk '{disk}' was not found in the domain config")
            blockjobs.resize(self.qemu, obj, found, size)


def name_matches(disk: Disk, name: str) -> bool:
    return dc.disk_target(disk) == name or dc.disk_source(disk) == name
