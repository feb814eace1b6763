"""Block jobs: virDomainBlockCopy, BlockRebase, BlockCommit, BlockPull, BlockResize,
GetBlockJobInfo, BlockJobAbort and BlockJobSetSpeed.

The flags and records they exchange, the checks libvirt 9.0's public API makes before any driver
sees a call (so every driver, and virtd on behalf of remote clients, refuses alike, in libvirt's
words), and ``DomainBlockJobs``, the methods ``virt.Domain`` offers for them.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from virt.domainevents import BlockJobStatus, BlockJobType
from virt.domainstats import ParamType, TypedParameter
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError, libvirt_error

if TYPE_CHECKING:
    from virt.connection import Connection
    from virt.driver import DomainRef, DriverConnection

__all__ = [
    "BlockCommitFlags",
    "BlockCopyFlags",
    "BlockJobAbortFlags",
    "BlockJobInfo",
    "BlockJobInfoFlags",
    "BlockJobSetSpeedFlags",
    "BlockJobStatus",
    "BlockJobType",
    "BlockPullFlags",
    "BlockRebaseFlags",
    "BlockResizeFlags",
    "DomainBlockJobs",
]


class BlockJobAbortFlags(enum.IntFlag):
    """virDomainBlockJobAbortFlags."""

    NONE = 0
    ASYNC = 1
    PIVOT = 2


class BlockJobInfoFlags(enum.IntFlag):
    """virDomainBlockJobInfoFlags."""

    NONE = 0
    BANDWIDTH_BYTES = 1


class BlockJobSetSpeedFlags(enum.IntFlag):
    """virDomainBlockJobSetSpeedFlags."""

    NONE = 0
    BANDWIDTH_BYTES = 1


class BlockPullFlags(enum.IntFlag):
    """virDomainBlockPullFlags."""

    NONE = 0
    BANDWIDTH_BYTES = 0x40


class BlockRebaseFlags(enum.IntFlag):
    """virDomainBlockRebaseFlags."""

    NONE = 0
    SHALLOW = 1
    REUSE_EXT = 2
    COPY_RAW = 4
    COPY = 8
    RELATIVE = 16
    COPY_DEV = 32
    BANDWIDTH_BYTES = 64


class BlockCommitFlags(enum.IntFlag):
    """virDomainBlockCommitFlags."""

    NONE = 0
    SHALLOW = 1
    DELETE = 2
    ACTIVE = 4
    RELATIVE = 8
    BANDWIDTH_BYTES = 16


class BlockCopyFlags(enum.IntFlag):
    """virDomainBlockCopyFlags."""

    NONE = 0
    SHALLOW = 1
    REUSE_EXT = 2
    TRANSIENT_JOB = 4
    SYNCHRONOUS_WRITES = 8


class BlockResizeFlags(enum.IntFlag):
    """virDomainBlockResizeFlags (9.0 knows BYTES only: without it, the size is in KiB)."""

    NONE = 0
    BYTES = 1


COPY_BANDWIDTH = "bandwidth"
"""VIR_DOMAIN_BLOCK_COPY_BANDWIDTH: bytes per second (ULLONG)."""
COPY_GRANULARITY = "granularity"
"""VIR_DOMAIN_BLOCK_COPY_GRANULARITY: the dirty bitmap's granularity in bytes (UINT, a power of 2)."""
COPY_BUF_SIZE = "buf-size"
"""VIR_DOMAIN_BLOCK_COPY_BUF_SIZE: how much the copy may have in flight (ULLONG)."""
_COPY_PARAM_TYPES = {
    COPY_BANDWIDTH: ParamType.ULLONG,
    COPY_GRANULARITY: ParamType.UINT,
    COPY_BUF_SIZE: ParamType.ULLONG,
}
MIB = 1024 * 1024


class BlockJobInfo(NamedTuple):
    """virDomainBlockJobInfo: the job's type (BlockJobType), its bandwidth (MiB/s, or bytes/s when
    asked with BANDWIDTH_BYTES), and how far it is (``cur`` of ``end``, in no particular unit)."""

    type: int
    bandwidth: int
    cur: int
    end: int

    @property
    def percent(self) -> float:
        """How far the job is, as virsh shows it (100 with nothing to do)."""
        return 100.0 if self.end == 0 else 100.0 * self.cur / self.end


# -- libvirt's public API checks ------------------------------------------------------------------
def _invalid(message: str) -> VirtError:
    return libvirt_error(ErrorNumber.INVALID_ARG, message, ErrorDomain.DOMAIN)


def check_disk(disk: str | None, api: str) -> str:
    """virCheckNonNullArgGoto(disk): every block job call names its disk."""
    if disk is None:
        raise _invalid(f"disk in {api} must not be NULL")
    return disk


def check_rebase(base: str | None, flags: int) -> None:
    """virDomainBlockRebase: a copy needs its destination; the copy flags need a copy."""
    copy_only = BlockRebaseFlags.SHALLOW | BlockRebaseFlags.REUSE_EXT | BlockRebaseFlags.COPY_RAW
    if flags & BlockRebaseFlags.COPY:
        if base is None:
            raise _invalid("base in virDomainBlockRebase must not be NULL")
    elif flags & (copy_only | BlockRebaseFlags.COPY_DEV):
        raise _invalid("flags in virDomainBlockRebase: use of flags requires a copy job")


def check_copy_params(params: Sequence[TypedParameter]) -> None:
    """virDomainBlockCopy's parameters: known names of the right types, each once."""
    seen: set[str] = set()
    for param in params:
        wanted = _COPY_PARAM_TYPES.get(param.field)
        if wanted is None:
            raise InvalidArgument(
                f"argument unsupported: parameter '{param.field}' not supported",
                ErrorNumber.ARGUMENT_UNSUPPORTED,
                ErrorDomain.DOMAIN,
            )
        if param.type is not wanted:
            raise _invalid(f"invalid type for parameter '{param.field}' - expected {wanted.name.lower()}")
        if param.field in seen:
            raise _invalid(f"parameter '{param.field}' occurs multiple times")
        seen.add(param.field)


def copy_params(bandwidth: int = 0, granularity: int = 0, buf_size: int = 0) -> list[TypedParameter]:
    """virDomainBlockCopy's parameters from the values given (0: left to the hypervisor)."""
    params = []
    for name, value in ((COPY_BANDWIDTH, bandwidth), (COPY_GRANULARITY, granularity), (COPY_BUF_SIZE, buf_size)):
        if value < 0:
            raise _invalid(f"{name} must not be negative")
        if value:
            params.append(TypedParameter(name, _COPY_PARAM_TYPES[name], value))
    return params


def param_value(params: Sequence[TypedParameter], name: str) -> int:
    """The integer parameter ``name`` of ``params``, 0 when absent."""
    return next((int(p.value) for p in params if p.field == name), 0)


ProgressReporter = Callable[[BlockJobInfo], None]
"""Told each step of a job being waited for (``DomainBlockJobs.wait_block_job``)."""


# -- the Domain methods -----------------------------------------------------------------------------
class DomainBlockJobs:
    """The block job calls of ``virt.Domain`` (a mixin: ``_ref`` and ``_change`` are the domain's)."""

    if TYPE_CHECKING:
        _ref: DomainRef
        connection: Connection

        def _change(self, operation: str) -> DriverConnection: ...

    def block_job_info(self, disk: str, flags: int = 0) -> BlockJobInfo | None:
        """The job running on ``disk`` (its target ``vda`` or its source path), None when there is
        none (virDomainGetBlockJobInfo; BlockJobInfoFlags.BANDWIDTH_BYTES: bandwidth in bytes/s)."""
        check_disk(disk, "virDomainGetBlockJobInfo")
        return self.connection.driver.get_domain_block_job_info(self._ref, disk, flags)

    def block_job_abort(self, disk: str, flags: int = 0) -> None:
        """Cancel the job of ``disk``, or with BlockJobAbortFlags.PIVOT switch the disk to a finished
        copy's destination (or end an active commit onto its base) (virDomainBlockJobAbort)."""
        driver = self._change("virDomainBlockJobAbort")
        driver.abort_domain_block_job(self._ref, check_disk(disk, "virDomainBlockJobAbort"), flags)

    def block_job_set_speed(self, disk: str, bandwidth: int, flags: int = 0) -> None:
        """Cap the job of ``disk`` at ``bandwidth`` MiB/s (bytes/s with BANDWIDTH_BYTES; 0: no cap)
        (virDomainBlockJobSetSpeed)."""
        driver = self._change("virDomainBlockJobSetSpeed")
        driver.set_domain_block_job_speed(self._ref, check_disk(disk, "virDomainBlockJobSetSpeed"), bandwidth, flags)

    def block_pull(self, disk: str, bandwidth: int = 0, flags: int = 0) -> None:
        """Fill ``disk``'s top image with its whole backing chain's data (virDomainBlockPull)."""
        driver = self._change("virDomainBlockPull")
        driver.pull_domain_block(self._ref, check_disk(disk, "virDomainBlockPull"), bandwidth, flags)

    def block_rebase(self, disk: str, base: str | None = None, bandwidth: int = 0, flags: int = 0) -> None:
        """Pull into ``disk`` the data of its chain above ``base`` (None: all), or with
        BlockRebaseFlags.COPY copy the disk to the file ``base`` (virDomainBlockRebase)."""
        driver = self._change("virDomainBlockRebase")
        check_disk(disk, "virDomainBlockRebase")
        check_rebase(base, flags)
        driver.rebase_domain_block(self._ref, disk, base, bandwidth, flags)

    def block_copy(self, disk: str, destxml: str, params: Sequence[TypedParameter] = (), flags: int = 0) -> None:
        """Mirror ``disk`` to the destination ``destxml`` (a <disk> element) describes; the job then
        stays ready until aborted, or pivoted onto the copy (virDomainBlockCopy)."""
        driver = self._change("virDomainBlockCopy")
        check_disk(disk, "virDomainBlockCopy")
        if destxml is None:
            raise _invalid("destxml in virDomainBlockCopy must not be NULL")
        check_copy_params(params)
        driver.copy_domain_block(self._ref, disk, destxml, list(params), flags)

    def block_commit(
        self, disk: str, base: str | None = None, top: str | None = None, bandwidth: int = 0, flags: int = 0
    ) -> None:
        """Merge the images of ``disk``'s chain from ``top`` (None: the active one's backing image, or
        with ACTIVE the active image) down into ``base`` (None: the bottom) (virDomainBlockCommit)."""
        driver = self._change("virDomainBlockCommit")
        driver.commit_domain_block(self._ref, check_disk(disk, "virDomainBlockCommit"), base, top, bandwidth, flags)

    def block_resize(self, disk: str, size: int, flags: int = 0) -> None:
        """Grow (or shrink) ``disk`` to ``size`` KiB (bytes with BlockResizeFlags.BYTES) (virDomainBlockResize)."""
        driver = self._change("virDomainBlockResize")
        driver.resize_domain_block(self._ref, check_disk(disk, "virDomainBlockResize"), size, flags)

    def wait_block_job(
        self,
        disk: str,
        *,
        timeout: float | None = None,
        progress: ProgressReporter | None = None,
        until_ready: bool = False,
        interval: float = 0.5,
    ) -> int:
        """Wait for the job of ``disk`` to end (or, ``until_ready``, to be ready to pivot or
        complete): the BlockJobStatus it reached. Polls virDomainGetBlockJobInfo as virsh --wait
        does, telling ``progress`` each step; a job gone without being seen to end counts as
        completed. VirtError OPERATION_TIMEOUT after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            info = self.block_job_info(disk)
            if info is None:
                return BlockJobStatus.COMPLETED
            if progress is not None:
                progress(info)
            if until_ready and info.end and info.cur == info.end:
                return BlockJobStatus.READY
            if deadline is not None and time.monotonic() >= deadline:
                raise VirtError(f"timed out waiting for the block job of disk '{disk}'", ErrorNumber.OPERATION_TIMEOUT)
            time.sleep(interval)
