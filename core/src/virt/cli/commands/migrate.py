"""Migration commands with virsh's options and words: migrate, migrate-setspeed, migrate-getspeed,
migrate-setmaxdowntime, migrate-getmaxdowntime, migrate-compcache, migrate-postcopy, domjobabort.

``migrate`` adds a stall policy to virsh's options: ``--stall-timeout SECONDS`` aborts a migration
whose remaining memory has not shrunk for that long (``--stall-postcopy``: switches it to post-copy
instead), and the error says why.
"""

from __future__ import annotations

import argparse
import re
import time
from typing import TYPE_CHECKING

from virt.cli.commands.domain import domain_argument, read_file
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry
from virt.migration import MigrateFlags, MigrationParams, StallAction, StallPolicy

if TYPE_CHECKING:
    from virt.connection import Domain
    from virt.domainstats import JobInfo

GROUP = "Domain Management"

# virsh migrate's boolean options and the flag each sets
_FLAG_OPTIONS = (
    ("live", MigrateFlags.LIVE),
    ("offline", MigrateFlags.OFFLINE),
    ("p2p", MigrateFlags.PEER2PEER),
    ("tunnelled", MigrateFlags.TUNNELLED),
    ("persistent", MigrateFlags.PERSIST_DEST),
    ("undefinesource", MigrateFlags.UNDEFINE_SOURCE),
    ("suspend", MigrateFlags.PAUSED),
    ("copy_storage_all", MigrateFlags.NON_SHARED_DISK),
    ("copy_storage_inc", MigrateFlags.NON_SHARED_INC),
    ("change_protection", MigrateFlags.CHANGE_PROTECTION),
    ("unsafe", MigrateFlags.UNSAFE),
    ("compressed", MigrateFlags.COMPRESSED),
    ("auto_converge", MigrateFlags.AUTO_CONVERGE),
    ("abort_on_error", MigrateFlags.ABORT_ON_ERROR),
    ("postcopy", MigrateFlags.POSTCOPY),
    ("tls", MigrateFlags.TLS),
    ("parallel", MigrateFlags.PARALLEL),
)


def _number(text: str | None, option: str, *, minimum: int = 0) -> int | None:
    """virsh's vshCommandOptULongLong/Int: a decimal number, else its "malformed or out of range" error."""
    if text is None:
        return None
    if not re.fullmatch(r"\s*\+?\d+", text) or int(text) < minimum:
        raise CommandError(f"Numeric value '{text}' for <{option}> option is malformed or out of range")
    return int(text)


def _seconds(text: str | None, option: str) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise CommandError(f"Numeric value '{text}' for <{option}> option is malformed or out of range")
    return value


def _flags(args: argparse.Namespace) -> MigrateFlags:
    flags = MigrateFlags.NONE
    for option, flag in _FLAG_OPTIONS:
        if getattr(args, option):
            flags |= flag
    if args.postcopy_after_precopy:
        flags |= MigrateFlags.POSTCOPY
    return flags


def _params(args: argparse.Namespace) -> MigrationParams:
    disks = tuple(d for d in (args.migrate_disks or "").split(",") if d)
    methods = tuple(m for m in (args.comp_methods or "").split(",") if m)
    return MigrationParams(
        uri=args.migrateuri,
        dest_name=args.dname,
        dest_xml=read_file(args.xml) if args.xml else None,
        persistent_xml=read_file(args.persistent_xml) if args.persistent_xml else None,
        bandwidth=_number(args.bandwidth, "bandwidth"),
        bandwidth_postcopy=_number(args.postcopy_bandwidth, "postcopy-bandwidth"),
        graphics_uri=args.graphicsuri,
        listen_address=args.listen_address,
        migrate_disks=disks,
        disks_port=_number(args.disks_port, "disks-port"),
        disks_uri=args.disks_uri,
        compression=methods,
        auto_converge_initial=_number(args.auto_converge_initial, "auto-converge-initial"),
        auto_converge_increment=_number(args.auto_converge_increment, "auto-converge-increment"),
        parallel_connections=_number(args.parallel_connections, "parallel-connections", minimum=1),
        tls_destination=args.tls_destination,
    )


class _Progress:
    """What migrate prints and does while the job runs: ``--verbose``'s bar, ``--timeout``'s action."""

    def __init__(self, ctx: Context, domain: Domain, args: argparse.Namespace, timeout: float | None) -> None:
        self.ctx = ctx
        self.domain = domain
        self.verbose = bool(args.verbose)
        self.timeout = timeout
        self.postcopy_on_timeout = bool(args.timeout_postcopy)
        self.started = time.monotonic()
        self.timed_out = False
        self.shown = False

    def __call__(self, job: JobInfo) -> None:
        if self.verbose and job.data_total:
            done = job.data_total - job.data_remaining
            self._show(min(99, done * 100 // job.data_total))
        if self.timeout is not None and not self.timed_out and time.monotonic() - self.started >= self.timeout:
            self.timed_out = True
            if self.postcopy_on_timeout:
                self.ctx.print_extra("\nmigration timed out: switching to post-copy")
                self.domain.migrate_start_post_copy()
            else:
                self.ctx.print_extra("\nmigration timed out: suspending the domain")
                self.domain.suspend()

    def _show(self, percent: int) -> None:
        self.shown = True
        self.ctx.stderr.write(f"\rMigration: [{percent:3d} %]")
        self.ctx.stderr.flush()

    def finish(self) -> None:
        if self.verbose:
            self._show(100)
            self.ctx.stderr.write("\n")
            self.ctx.stderr.flush()


def run_migrate(ctx: Context, args: argparse.Namespace) -> None:
    import virt

    if args.timeout_suspend and args.timeout_postcopy:
        raise CommandError("Options --timeout-suspend and --timeout-postcopy are mutually exclusive")
    if args.stall_postcopy and args.stall_timeout is None:
        raise CommandError("option --stall-postcopy requires option --stall-timeout")
    if args.direct:
        # libvirt's QEMU driver has no direct migration (its hypervisor-to-hypervisor protocol is Xen's)
        raise CommandError("Requested operation is not valid: direct migration is not supported by the source host")
    flags = _flags(args)
    timeout = _seconds(args.timeout, "timeout")
    if timeout is not None and not flags & MigrateFlags.LIVE:
        raise CommandError("migrate: Unexpected timeout for offline migration")
    if args.timeout_postcopy and not flags & MigrateFlags.POSTCOPY:
        raise CommandError("--timeout-postcopy requires --postcopy")
    stall_seconds = _seconds(args.stall_timeout, "stall-timeout")
    stall = (
        StallPolicy(
            stall_seconds,
            StallAction.POSTCOPY if args.stall_postcopy else StallAction.ABORT,
            told=lambda why: ctx.print_extra(f"\n{why}") if args.stall_postcopy else None,
        )
        if stall_seconds is not None
        else None
    )
    params = _params(args)
    domain = ctx.domain(args.domain)
    progress = _Progress(ctx, domain, args, timeout)
    wants_progress = args.verbose or timeout is not None
    listener = progress if wants_progress else None
    if flags & MigrateFlags.PEER2PEER:
        domain.migrate(dest_uri=args.desturi, flags=flags, params=params, listener=listener, stall=stall)
    else:
        try:
            dest = virt.open(args.desturi)
        except virt.VirtError as exc:
            raise CommandError(exc.message) from exc
        with dest:
            domain.migrate(dest, flags=flags, params=params, listener=listener, stall=stall)
    progress.finish()


def run_migrate_setspeed(ctx: Context, args: argparse.Namespace) -> None:
    bandwidth = _number(args.bandwidth, "bandwidth")
    assert bandwidth is not None
    ctx.domain(args.domain).migrate_set_max_speed(bandwidth, postcopy=args.postcopy)


def run_migrate_getspeed(ctx: Context, args: argparse.Namespace) -> None:
    ctx.print(str(ctx.domain(args.domain).migrate_get_max_speed(postcopy=args.postcopy)))


def run_migrate_setmaxdowntime(ctx: Context, args: argparse.Namespace) -> None:
    downtime = _number(args.downtime, "downtime")
    if not downtime:
        raise CommandError("migrate: Invalid downtime")
    ctx.domain(args.domain).migrate_set_max_downtime(downtime)


def run_migrate_getmaxdowntime(ctx: Context, args: argparse.Namespace) -> None:
    ctx.print(str(ctx.domain(args.domain).migrate_get_max_downtime()))


def run_migrate_compcache(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain(args.domain)
    size = _number(args.size, "size")
    if size is not None:
        domain.migrate_set_compression_cache(size)
    from virt.cli.jobinfo import pretty

    ctx.print(f"Compression cache: {pretty(domain.migrate_get_compression_cache())}")


def run_migrate_postcopy(ctx: Context, args: argparse.Namespace) -> None:
    ctx.domain(args.domain).migrate_start_post_copy()


def run_domjobabort(ctx: Context, args: argparse.Namespace) -> None:
    ctx.domain(args.domain).abort_job()


def register(commands: CommandRegistry) -> None:
    add = commands.add
    booleans = [
        ("--live", "live migration"),
        ("--offline", "offline migration"),
        ("--p2p", "peer-2-peer migration"),
        ("--direct", "direct migration"),
        ("--tunnelled", "tunnelled migration"),
        ("--persistent", "persist VM on destination"),
        ("--undefinesource", "undefine VM on source"),
        ("--suspend", "do not restart the domain on the destination host"),
        ("--copy-storage-all", "migration with non-shared storage with full disk copy"),
        ("--copy-storage-inc", "migration with non-shared storage with incremental copy"),
        ("--change-protection", "prevent any configuration changes to domain until migration ends"),
        ("--unsafe", "force migration even if it may be unsafe"),
        ("--verbose", "display the progress of migration"),
        ("--compressed", "compress repeated pages during live migration"),
        ("--auto-converge", "force convergence during live migration"),
        ("--abort-on-error", "abort on soft errors during migration"),
        ("--postcopy", "enable post-copy migration; switch to it using migrate-postcopy command"),
        ("--postcopy-after-precopy", "automatically switch to post-copy migration after one pass of pre-copy"),
        ("--timeout-suspend", "suspend the guest after timeout"),
        ("--timeout-postcopy", "switch to post-copy after timeout"),
        ("--tls", "use TLS for migration"),
        ("--parallel", "enable parallel migration"),
        ("--stall-postcopy", "switch a stalled migration to post-copy instead of aborting it (virt)"),
    ]
    values = [
        ("--migrateuri", "migration URI, usually can be omitted"),
        ("--graphicsuri", "graphics URI to be used for seamless graphics migration"),
        ("--listen-address", "listen address that destination should bind to for incoming migration"),
        ("--dname", "rename to new name during migration (if supported)"),
        ("--timeout", "run action specified by --timeout-* option (suspend by default) if live migration exceeds "
         "timeout (in seconds)"),
        ("--xml", "filename containing updated XML for the target"),
        ("--persistent-xml", "filename containing updated persistent XML for the target"),
        ("--migrate-disks", "comma separated list of disks to be migrated"),
        ("--disks-port", "port to use by target server for incoming disks migration"),
        ("--disks-uri", "URI to use for disks migration (overrides --disks-port)"),
        ("--comp-methods", "comma separated list of compression methods to be used"),
        ("--auto-converge-initial", "initial CPU throttling rate for auto-convergence"),
        ("--auto-converge-increment", "CPU throttling rate increment for auto-convergence"),
        ("--postcopy-bandwidth", "post-copy migration bandwidth limit in MiB/s"),
        ("--parallel-connections", "number of connections for parallel migration"),
        ("--bandwidth", "migration bandwidth limit in MiB/s"),
        ("--tls-destination", "override the destination host name used for TLS verification"),
        ("--stall-timeout", "abort when the remaining memory has not shrunk for this many seconds (virt)"),
    ]  # fmt: skip
    add(
        "migrate",
        run_migrate,
        group=GROUP,
        help="migrate domain to another host",
        description="Migrate domain to another host.  Add --live for live migration.",
        arguments=[
            domain_argument(),
            Argument("desturi", positional=True, required=True, help="connection URI of the destination host"),
            *(Argument(name, flag=True, help=text) for name, text in booleans),
            *(Argument(name, help=text) for name, text in values),
        ],
    )
    add(
        "migrate-setspeed",
        run_migrate_setspeed,
        group=GROUP,
        help="Set the maximum migration bandwidth",
        description=(
            "Set the maximum migration bandwidth (in MiB/s) for a domain which is being migrated to another host."
        ),
        arguments=[
            domain_argument(),
            Argument("bandwidth", positional=True, required=True, help="migration bandwidth limit in MiB/s"),
            Argument("--postcopy", flag=True, help="set post-copy migration bandwidth"),
        ],
    )
    add(
        "migrate-getspeed",
        run_migrate_getspeed,
        group=GROUP,
        help="Get the maximum migration bandwidth",
        description="Get the maximum migration bandwidth (in MiB/s) for a domain.",
        arguments=[domain_argument(), Argument("--postcopy", flag=True, help="get post-copy migration bandwidth")],
    )
    add(
        "migrate-setmaxdowntime",
        run_migrate_setmaxdowntime,
        group=GROUP,
        help="set maximum tolerable downtime",
        description="Set maximum tolerable downtime of a domain which is being live-migrated to another host.",
        arguments=[
            domain_argument(),
            Argument(
                "downtime",
                positional=True,
                required=True,
                help="maximum tolerable downtime (in milliseconds) for migration",
            ),
        ],
    )
    add(
        "migrate-getmaxdowntime",
        run_migrate_getmaxdowntime,
        group=GROUP,
        help="get maximum tolerable downtime",
        description="Get maximum tolerable downtime of a domain which is being live-migrated to another host.",
        arguments=[domain_argument()],
    )
    add(
        "migrate-compcache",
        run_migrate_compcache,
        group=GROUP,
        help="get/set compression cache size",
        description="Get/set size of the cache (in bytes) used for compressing repeatedly transferred memory "
        "pages during live migration.",
        arguments=[
            domain_argument(),
            Argument("--size", help="requested size of the cache (in bytes) used for compression"),
        ],
    )
    add(
        "migrate-postcopy",
        run_migrate_postcopy,
        group=GROUP,
        help="Switch running migration from pre-copy to post-copy",
        description="Switch running migration from pre-copy to post-copy. The migration must have been started "
        "with --postcopy option.",
        arguments=[domain_argument()],
    )
    add(
        "domjobabort",
        run_domjobabort,
        group=GROUP,
        help="abort active domain job",
        description="Aborts the currently running domain job",
        arguments=[domain_argument()],
    )
