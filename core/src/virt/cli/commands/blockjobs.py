"""The block job commands, with virsh 9.0's options, words and layout: blockcopy, blockcommit,
blockpull, blockresize and blockjob.

A command that waits (``--wait``, ``--pivot``, ``--timeout``...) follows the job as virsh does: it
listens for the job's BLOCK_JOB / BLOCK_JOB_2 events and asks virDomainGetBlockJobInfo every half
second, drawing ``Block Copy: [ 42 %]`` on stderr with ``--verbose``; a job that vanished without
an event counts as completed, and one that outlived ``--timeout`` is aborted.
"""

from __future__ import annotations

import argparse
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from virt.blockjobs import (
    BlockCommitFlags,
    BlockCopyFlags,
    BlockJobAbortFlags,
    BlockJobInfo,
    BlockJobInfoFlags,
    BlockJobSetSpeedFlags,
    BlockJobStatus,
    BlockPullFlags,
    BlockRebaseFlags,
    BlockResizeFlags,
    copy_params,
)
from virt.cli.commands.domain import domain_argument, read_file
from virt.cli.context import CommandError, Context, failing_as
from virt.cli.registry import Argument, CommandRegistry, complete_files
from virt.cli.sizes import SUFFIXES
from virt.domainevents import DomainEventID
from virt.errors import ErrorNumber

if TYPE_CHECKING:
    from virt.connection import Domain
    from virt.domainevents import AnyDomainEvent

GROUP = "Domain Management"
POLL = 0.5
"""How often virsh's job watcher asks for the job's progress."""
_LLONG_MAX = (1 << 63) - 1
_ULONG_MAX = (1 << 64) - 1
# virsh's words of a job type (virshDomainBlockJob), by virDomainBlockJobType
_JOB_NAMES = ("Unknown job", "Block Pull", "Block Copy", "Block Commit", "Active Block Commit", "Backup")


def progress_text(label: str, remaining: int, total: int) -> str:
    """virsh's virshPrintJobProgress: ``\\rLabel: [ 42 %]``, 100 only once nothing remains."""
    percent = 100 if remaining == 0 or total == 0 else min(99, int(100.0 - remaining * 100.0 / total))
    return f"\r{label}: [{percent:3d} %]"


def _job_name(kind: int) -> str:
    return _JOB_NAMES[kind] if 0 <= kind < len(_JOB_NAMES) else "Unknown job"


def _number(text: str | None, option: str, maximum: int = _ULONG_MAX) -> int:
    """A non-negative integer option as virsh parses it (vshCommandOptULongLong's words)."""
    if text is None:
        return 0
    if re.fullmatch(r"\d+", text.strip()) is None or int(text) > maximum:
        raise CommandError(f"Numeric value '{text}' for <{option}> option is malformed or out of range")
    return int(text)


def _bandwidth(args: argparse.Namespace) -> int:
    """``--bandwidth`` as virsh reads it (virshBlockJobOptionBandwidth): a plain number as C's
    strtoul takes it (``-1`` wraps round), else a scaled size in bytes, made MiB unless --bytes."""
    text = args.bandwidth
    if text is None:
        return 0
    if re.fullmatch(r"\s*[-+]?\d+", text):
        return int(text) % (1 << 64)
    return _scaled(text, "--bandwidth", 1) >> (0 if args.bytes else 20)


def _scaled(text: str, option: str, unit: int) -> int:
    """A scaled integer (``10M``: bytes; a bare number counts ``unit`` bytes), virsh's errors if not."""
    match = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]*)\s*", text)
    malformed = f"Scaled numeric value '{text}' for <{option}> option is malformed or out of range"
    if match is None:
        raise CommandError(malformed)
    suffix = match.group(2)
    scale = unit if not suffix else SUFFIXES.get(suffix.lower())
    if scale is None:
        raise CommandError(malformed, f"invalid argument: unknown suffix '{suffix}'")
    return int(match.group(1)) * scale


def _timeout(args: argparse.Namespace) -> int:
    """``--timeout``: whole seconds, at least one (virsh's vshCommandOptTimeoutToMs)."""
    if args.timeout is None:
        return 0
    if re.fullmatch(r"\d+", args.timeout.strip()) is None or int(args.timeout) < 1 or int(args.timeout) > 2**31 // 1000:
        raise CommandError(f"Numeric value '{args.timeout}' for <timeout> option is malformed or out of range")
    return int(args.timeout)


class _Watch:
    """The job's events for one disk of one domain, from before the job starts (virsh's callbacks)."""

    def __init__(self, domain: Domain, disk: str) -> None:
        self.status: int | None = None
        self._disk = disk
        self._conn = domain.connection
        self._woken = threading.Event()
        self._handles: list[int] = []
        for event_id in (DomainEventID.BLOCK_JOB, DomainEventID.BLOCK_JOB_2):
            try:
                self._handles.append(self._conn.register_domain_event(event_id, self._record, domain))
            except Exception:  # noqa: BLE001 - a daemon without the event: polling alone tells
                continue

    def _record(self, _domain: Domain, event: AnyDomainEvent) -> None:
        disk = getattr(event, "disk", None)
        if disk == self._disk or self._disk.endswith(f"/{disk}") or disk == self._disk.rsplit("/", 1)[-1]:
            self.status = int(getattr(event, "status", -1))
            self._woken.set()

    def sleep(self, seconds: float) -> None:
        self._woken.wait(seconds)
        self._woken.clear()

    def close(self) -> None:
        for handle in self._handles:
            try:
                self._conn.remove_domain_event_callback(handle)
            except Exception:  # noqa: BLE001 - the connection may be going already
                continue


def _abort(domain: Domain, disk: str, flags: int) -> None:
    failing_as(lambda: domain.block_job_abort(disk, flags), f"failed to abort job for disk '{disk}'")


def wait_for_job(
    ctx: Context,
    domain: Domain,
    disk: str,
    label: str,
    *,
    verbose: bool,
    timeout: int,
    async_abort: bool,
    watch: _Watch,
) -> int:
    """virsh's virshBlockJobWait: the job's end (a BlockJobStatus; READY for a two-phase job
    once it is), drawing the progress on stderr with ``verbose``."""
    started = time.monotonic()
    status: int
    try:
        while True:
            info = failing_as(lambda: domain.block_job_info(disk), f"failed to query job for disk {disk}")
            if info is None and watch.status is None:
                status = BlockJobStatus.COMPLETED  # gone without a word: virsh assumes it completed
                break
            if info is not None and verbose and (info.cur or info.end):
                ctx.stderr.write(progress_text(label, info.end - info.cur, info.end))
                ctx.stderr.flush()
            if watch.status is not None:
                status = watch.status
                break
            if timeout and time.monotonic() - started >= timeout:
                _abort(domain, disk, BlockJobAbortFlags.ASYNC if async_abort else BlockJobAbortFlags.NONE)
                status = BlockJobStatus.CANCELED
                break
            watch.sleep(POLL)
    finally:
        watch.close()
    if verbose and status in (BlockJobStatus.COMPLETED, BlockJobStatus.READY):
        ctx.stderr.write(progress_text(label, 0, 1))
        ctx.stderr.flush()
    return status


# -- blockcopy ----------------------------------------------------------------------------------------
def _copy_xml(dest: str, fmt: str | None, blockdev: bool) -> str:
    """The destination <disk> virsh builds of --dest, --format and --blockdev."""
    kind = "block" if blockdev else "file"
    attribute = "dev" if blockdev else "file"
    driver = f"  <driver type='{fmt}'/>\n" if fmt else ""
    return f"<disk type='{kind}'>\n  <source {attribute}='{dest}'/>\n{driver}</disk>\n"


def run_blockcopy(ctx: Context, args: argparse.Namespace) -> int | None:
    blocking = args.wait or args.pivot or args.finish or args.timeout is not None
    _wait_options(args, blocking, "--timeout, --wait, --pivot, or --finish")
    if args.pivot and args.finish:
        raise CommandError("Options --pivot and --finish are mutually exclusive")
    if args.dest is None and args.xml is None:
        raise CommandError("need either --dest or --xml")
    if args.dest is not None and args.xml is not None:
        raise CommandError("Options --dest and --xml are mutually exclusive")
    if args.xml is not None and args.format is not None:
        raise CommandError("Options --format and --xml are mutually exclusive")
    if args.xml is not None and args.blockdev:
        raise CommandError("Options --blockdev and --xml are mutually exclusive")
    timeout = _timeout(args)
    bandwidth = _bandwidth(args)
    granularity = _number(args.granularity, "granularity", 0xFFFFFFFF)
    buf_size = _number(args.buf_size, "buf-size")
    xml = read_file(args.xml) if args.xml is not None else _copy_xml(args.dest, args.format, args.blockdev)
    if args.print_xml:
        ctx.print(xml.rstrip("\n"))
        return None
    domain = ctx.domain(args.domain)
    use_copy = bool(
        args.xml or args.blockdev or granularity or buf_size or args.transient_job or args.synchronous_writes
    )

    def start() -> None:
        if use_copy:
            flags = BlockCopyFlags.NONE
            flags |= BlockCopyFlags.SHALLOW if args.shallow else BlockCopyFlags.NONE
            flags |= BlockCopyFlags.REUSE_EXT if args.reuse_external else BlockCopyFlags.NONE
            flags |= BlockCopyFlags.TRANSIENT_JOB if args.transient_job else BlockCopyFlags.NONE
            flags |= BlockCopyFlags.SYNCHRONOUS_WRITES if args.synchronous_writes else BlockCopyFlags.NONE
            if not args.bytes and bandwidth > _LLONG_MAX >> 20:
                raise CommandError(f"overflow in converting {bandwidth} MiB/s to bytes")
            speed = bandwidth if args.bytes else bandwidth << 20
            params = copy_params(speed, granularity, buf_size)
            failing_as(lambda: domain.block_copy(args.path, xml, params, int(flags)))
        else:
            rebase = BlockRebaseFlags.COPY
            rebase |= BlockRebaseFlags.SHALLOW if args.shallow else BlockRebaseFlags.NONE
            rebase |= BlockRebaseFlags.REUSE_EXT if args.reuse_external else BlockRebaseFlags.NONE
            rebase |= BlockRebaseFlags.BANDWIDTH_BYTES if args.bytes else BlockRebaseFlags.NONE
            rebase |= BlockRebaseFlags.COPY_RAW if args.format == "raw" else BlockRebaseFlags.NONE
            failing_as(lambda: domain.block_rebase(args.path, args.dest, bandwidth, int(rebase)))

    status = _run_job(ctx, domain, args, start, blocking, "Block Copy", "Block Copy started", timeout)
    if status is None:
        return None
    if status in (BlockJobStatus.FAILED, BlockJobStatus.CANCELED):
        return _failed(ctx, "Copy failed" if status == BlockJobStatus.FAILED else "Copy aborted")
    _second_phase(
        ctx, domain, args, finish=args.finish, finished="Successfully copied", waiting="Now in mirroring phase"
    )
    return None


def _second_phase(
    ctx: Context, domain: Domain, args: argparse.Namespace, *, finish: bool, finished: str, waiting: str
) -> None:
    """A ready two-phase job (a copy, an active commit): pivoted with --pivot, ended where it is
    with ``finish``, else left running (virsh's words for each)."""
    asynchronous = BlockJobAbortFlags.ASYNC if _async(args) else BlockJobAbortFlags.NONE
    if args.pivot:
        pivot = BlockJobAbortFlags.PIVOT | asynchronous
        failing_as(lambda: domain.block_job_abort(args.path, pivot), f"failed to pivot job for disk {args.path}")
        _outcome(ctx, "Successfully pivoted")
    elif finish:
        failing_as(
            lambda: domain.block_job_abort(args.path, asynchronous), f"failed to finish job for disk {args.path}"
        )
        _outcome(ctx, finished)
    else:
        _outcome(ctx, waiting)


def _run_job(
    ctx: Context,
    domain: Domain,
    args: argparse.Namespace,
    start: Callable[[], None],
    blocking: bool,
    label: str,
    started: str,
    timeout: int,
) -> int | None:
    """Start a job (``start``); without waiting say ``started`` and return None, else follow it to
    the status it reaches (its events listened to from before it starts)."""
    watch = _Watch(domain, args.path) if blocking else None
    try:
        start()
    except BaseException:
        if watch is not None:
            watch.close()
        raise
    if watch is None:
        ctx.print_extra(started, end="")
        return None
    return wait_for_job(
        ctx, domain, args.path, label, verbose=args.verbose, timeout=timeout, async_abort=_async(args), watch=watch
    )


def _outcome(ctx: Context, text: str) -> None:
    """virsh's ``vshPrintExtra("\\n%s")`` after a wait: the progress line ends, the outcome follows."""
    ctx.print_extra(f"\n{text}", end="")


def _failed(ctx: Context, text: str) -> int:
    """A job that failed or was aborted while waited for: said, and the command fails."""
    _outcome(ctx, text)
    return 1


def _async(args: argparse.Namespace) -> bool:
    """``--async`` (``async`` is a Python keyword: no attribute syntax for it)."""
    return bool(getattr(args, "async"))


def _wait_options(args: argparse.Namespace, blocking: bool, which: str) -> None:
    if args.verbose and not blocking:
        raise CommandError(f"--verbose requires at least one of {which}")
    if _async(args) and not blocking:
        raise CommandError(f"--async requires at least one of {which}")


# -- blockcommit --------------------------------------------------------------------------------------
def run_blockcommit(ctx: Context, args: argparse.Namespace) -> int | None:
    active = args.active or args.pivot or args.keep_overlay
    blocking = args.wait or args.pivot or args.keep_overlay or args.timeout is not None
    _wait_options(args, blocking, "--timeout, --wait, --pivot, or --keep-overlay")
    if args.pivot and args.keep_overlay:
        raise CommandError("Options --pivot and --keep-overlay are mutually exclusive")
    timeout = _timeout(args)
    bandwidth = _bandwidth(args)
    flags = BlockCommitFlags.NONE
    for wanted, flag in (
        (args.shallow, BlockCommitFlags.SHALLOW),
        (args.delete, BlockCommitFlags.DELETE),
        (active, BlockCommitFlags.ACTIVE),
        (args.keep_relative, BlockCommitFlags.RELATIVE),
        (args.bytes, BlockCommitFlags.BANDWIDTH_BYTES),
    ):
        flags |= flag if wanted else BlockCommitFlags.NONE
    domain = ctx.domain(args.domain)
    started = "Active Block Commit started" if active else "Block Commit started"
    status = _run_job(
        ctx,
        domain,
        args,
        lambda: failing_as(lambda: domain.block_commit(args.path, args.base, args.top, bandwidth, int(flags))),
        blocking,
        "Block commit",  # virsh's words (its case too), an active commit's as well
        started,
        timeout,
    )
    if status is None:
        return None
    if status in (BlockJobStatus.FAILED, BlockJobStatus.CANCELED):
        return _failed(ctx, "Commit failed" if status == BlockJobStatus.FAILED else "Commit aborted")
    if not active:
        _outcome(ctx, "Commit complete")
    else:
        kept = "Commit complete, overlay image kept"
        _second_phase(ctx, domain, args, finish=args.keep_overlay, finished=kept, waiting="Now in synchronized phase")
    return None


# -- blockpull ----------------------------------------------------------------------------------------
def run_blockpull(ctx: Context, args: argparse.Namespace) -> int | None:
    # virsh's blockpull wants --wait itself for these (--timeout only matters with it)
    for option in ("verbose", "async", "timeout"):
        if getattr(args, option) not in (None, False) and not args.wait:
            raise CommandError(f"Option --wait is required by option --{option}")
    blocking = bool(args.wait)
    timeout = _timeout(args)
    bandwidth = _bandwidth(args)
    domain = ctx.domain(args.domain)

    def start() -> None:
        if args.base is not None or args.keep_relative:
            flags = BlockRebaseFlags.RELATIVE if args.keep_relative else BlockRebaseFlags.NONE
            flags |= BlockRebaseFlags.BANDWIDTH_BYTES if args.bytes else BlockRebaseFlags.NONE
            failing_as(lambda: domain.block_rebase(args.path, args.base, bandwidth, int(flags)))
        else:
            pull = BlockPullFlags.BANDWIDTH_BYTES if args.bytes else BlockPullFlags.NONE
            failing_as(lambda: domain.block_pull(args.path, bandwidth, int(pull)))

    status = _run_job(ctx, domain, args, start, blocking, "Block Pull", "Block Pull started", timeout)
    if status is None:
        return None
    if status in (BlockJobStatus.FAILED, BlockJobStatus.CANCELED):
        return _failed(ctx, "Pull failed" if status == BlockJobStatus.FAILED else "Pull aborted")
    _outcome(ctx, "Pull complete")
    return None


# -- blockresize --------------------------------------------------------------------------------------
def run_blockresize(ctx: Context, args: argparse.Namespace) -> None:
    size = _scaled(args.size, "size", 1024)
    domain = ctx.domain(args.domain)
    failing_as(
        lambda: domain.block_resize(args.path, size, int(BlockResizeFlags.BYTES)),
        f"Failed to resize block device '{args.path}'",
    )
    ctx.print_extra(f"Block device '{args.path}' is resized", end="")


# -- blockjob -----------------------------------------------------------------------------------------
def run_blockjob(ctx: Context, args: argparse.Namespace) -> None:
    given = {
        "raw": args.raw,
        "info": args.info,
        "bytes": args.bytes,
        "abort": args.abort,
        "pivot": args.pivot,
        "async": _async(args),
        "bandwidth": args.bandwidth is not None,
    }
    # virsh's order of checks, and so of its complaints
    for first, others in (
        ("raw", ("abort", "pivot", "async", "bandwidth")),
        ("info", ("abort", "pivot", "async", "bandwidth")),
        ("bytes", ("abort", "pivot", "async")),
    ):
        for other in others:
            if given[first] and given[other]:
                raise CommandError(f"Options --{first} and --{other} are mutually exclusive")
    abort = args.abort or _async(args) or args.pivot
    domain = ctx.domain(args.domain)
    if args.bandwidth is not None:  # before an abort, as virsh has it
        bandwidth = _bandwidth(args)
        speed = BlockJobSetSpeedFlags.BANDWIDTH_BYTES if args.bytes else BlockJobSetSpeedFlags.NONE
        failing_as(lambda: domain.block_job_set_speed(args.path, bandwidth, int(speed)))
        return
    if abort:
        flags = BlockJobAbortFlags.ASYNC if _async(args) else BlockJobAbortFlags.NONE
        flags |= BlockJobAbortFlags.PIVOT if args.pivot else BlockJobAbortFlags.NONE
        failing_as(lambda: domain.block_job_abort(args.path, int(flags)))
        return
    _print_info(ctx, domain, args.path, raw=args.raw, in_bytes=args.bytes)


def _print_info(ctx: Context, domain: Domain, path: str, *, raw: bool, in_bytes: bool) -> None:
    """virsh's virshBlockJobInfo."""
    from virt.cli.commands.storage import pretty_capacity
    from virt.errors import VirtError

    # virsh asks for bytes/s unless --raw alone, falling back to MiB/s where the driver refuses
    info: BlockJobInfo | None = None
    scale = 0
    asked = False
    if in_bytes or not raw:
        try:
            info = domain.block_job_info(path, int(BlockJobInfoFlags.BANDWIDTH_BYTES))
            asked = True
        except VirtError as exc:
            if in_bytes or exc.code not in (ErrorNumber.INVALID_ARG, ErrorNumber.OVERFLOW):
                raise CommandError(exc.message) from exc
    if not asked:
        info = failing_as(lambda: domain.block_job_info(path, 0))
        scale = 0 if raw else 20
    if info is None:
        if not raw:
            ctx.print_extra(f"No current block job for {path}", end="")
        return
    if raw:
        ctx.print(f" type={_job_name(info.type)}\n bandwidth={info.bandwidth}\n cur={info.cur}\n end={info.end}")
        return
    ctx.stderr.write(progress_text(_job_name(info.type), info.end - info.cur, info.end))
    ctx.stderr.flush()
    speed = info.bandwidth << scale
    line = ""
    if speed:
        amount, unit = pretty_capacity(speed).split(" ")
        line = f"    Bandwidth limit: {speed} bytes/s ({float(amount):.3f} {unit}/s)"
    ctx.print(line)


# -- registration -------------------------------------------------------------------------------------
def register(commands: CommandRegistry) -> None:
    add = commands.add
    domain = domain_argument()
    path = Argument("path", positional=True, required=True, help="fully-qualified path of disk")
    # virsh takes a job's bandwidth (and a copy's destination) by position too
    bandwidth = Argument("--bandwidth", positional=True, metavar="number", help="bandwidth limit in MiB/s")
    bytes_ = Argument("--bytes", flag=True, help="the bandwidth limit is in bytes/s rather than MiB/s")
    waiting = [
        Argument("--wait", flag=True, help="wait for job to complete"),
        Argument("--verbose", flag=True, help="with --wait, display the progress"),
        Argument("--timeout", metavar="number", help="implies --wait, abort if copy exceeds timeout (in seconds)"),
        Argument("--async", flag=True, help="with --wait, don't wait for cancel to finish"),
    ]
    add(
        "blockcopy",
        run_blockcopy,
        group=GROUP,
        help="Start a block copy operation.",
        description="Copy a disk backing image chain to dest.",
        arguments=[
            domain,
            path,
            Argument("--dest", positional=True, completer=complete_files, help="path of the copy to create"),
            bandwidth,
            Argument("--shallow", flag=True, help="make the copy share a backing chain"),
            Argument("--reuse-external", flag=True, help="reuse existing destination"),
            Argument("--blockdev", flag=True, help="copy destination is block device instead of regular file"),
            *waiting[:3],
            Argument("--pivot", flag=True, help="implies --wait, pivot when mirroring starts"),
            Argument("--finish", flag=True, help="implies --wait, quit when mirroring starts"),
            waiting[3],
            Argument(
                "--xml", completer=complete_files, help="filename containing XML description of the copy destination"
            ),
            Argument("--format", help="format of the destination file"),
            Argument("--granularity", metavar="number", help="power-of-two granularity to use during the copy"),
            Argument("--buf-size", metavar="number", help="maximum amount of in-flight data during the copy"),
            bytes_,
            Argument("--transient-job", flag=True, help="the copy job is not persisted if VM is turned off"),
            Argument(
                "--synchronous-writes",
                flag=True,
                help="the copy job forces guest writes to be synchronously written to the destination",
            ),
            Argument(
                "--print-xml", flag=True, help="print the XML used to start the copy job instead of starting the job"
            ),
        ],
    )  # fmt: skip
    add(
        "blockcommit",
        run_blockcommit,
        group=GROUP,
        help="Start a block commit operation.",
        description="Commit changes from a snapshot down to its backing image.",
        arguments=[
            domain,
            path,
            bandwidth,
            Argument("--base", help="path of base file to commit into (default bottom of chain)"),
            Argument("--shallow", flag=True, help="use backing file of top as base"),
            Argument("--top", help="path of top file to commit from (default top of chain)"),
            Argument("--active", flag=True, help="trigger two-stage active commit of top file"),
            Argument("--delete", flag=True, help="delete files that were successfully committed"),
            *waiting[:3],
            Argument("--pivot", flag=True, help="implies --active --wait, pivot when commit is synced"),
            Argument("--keep-overlay", flag=True, help="implies --active --wait, quit when commit is synced"),
            waiting[3],
            Argument("--keep-relative", flag=True, help="keep the backing chain relatively referenced"),
            bytes_,
        ],
    )  # fmt: skip
    add(
        "blockpull",
        run_blockpull,
        group=GROUP,
        help="Populate a disk from its backing image.",
        description="Populate a disk from its backing image.",
        arguments=[
            domain,
            path,
            bandwidth,
            Argument("--base", help="path of backing file in chain for a partial pull"),
            *waiting,
            Argument("--keep-relative", flag=True, help="keep the backing chain relatively referenced"),
            bytes_,
        ],
    )
    add(
        "blockresize",
        run_blockresize,
        group=GROUP,
        help="Resize block device of domain.",
        description="Resize block device of domain.",
        arguments=[
            domain,
            Argument("path", positional=True, required=True, help="Fully-qualified path of block device"),
            Argument(
                "size",
                positional=True,
                required=True,
                help="New size of the block device, as scaled integer (default KiB)",
            ),
        ],
    )
    add(
        "blockjob",
        run_blockjob,
        group=GROUP,
        help="Manage active block operations",
        description="Query, adjust speed, or cancel active block operations.",
        arguments=[
            domain,
            path,
            Argument("--abort", flag=True, help="abort the active job on the specified disk"),
            Argument("--async", flag=True, help="implies --abort; request but don't wait for job end"),
            Argument("--pivot", flag=True, help="implies --abort; conclude and pivot a copy or commit job"),
            Argument("--info", flag=True, help="get active job information for the specified disk"),
            Argument("--bytes", flag=True, help="get/set bandwidth in bytes rather than MiB/s"),
            Argument("--raw", flag=True, help="implies --info; output details rather than human summary"),
            Argument("--bandwidth", metavar="number", help="set the bandwidth limit in MiB/s"),
        ],
    )
