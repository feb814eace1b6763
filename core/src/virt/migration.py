"""Live migration of a domain to another host: libvirt's flags and typed parameters, the client's
side of migration protocol v3 (begin, prepare, perform, finish, confirm), and a stall policy.

Two ways to migrate, as libvirt's virDomainMigrate3 and virDomainMigrateToURI3 do:
- *peer to peer* (``MigrateFlags.PEER2PEER``): the source host is told the destination's URI and
  drives the whole exchange itself over its own connection to the destination;
- *managed by the client*: this process holds connections to both hosts and makes the calls in
  turn, begin (source), prepare (destination), perform (source), finish (destination), confirm
  (source), handing each side's *cookie* to the other; a failing perform makes finish and confirm
  undo what prepare did.

Beyond libvirt, :class:`StallPolicy`: while the migration runs, its remaining memory is watched;
when it has not shrunk for ``timeout`` seconds (the guest dirties memory as fast as it is copied,
or faster) the migration is aborted, or switched to post-copy, and the error says why. It works
whatever the source host runs (virtd or libvirtd): the client watches the job as ``virsh
domjobinfo`` does and acts as ``virsh domjobabort`` / ``migrate-postcopy`` do.
"""

from __future__ import annotations

import contextlib
import enum
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import attrs

from virt.domainstats import JobInfo, JobType, ParamType, TypedParameter
from virt.errors import ErrorNumber, InvalidArgument, VirtError
from virt.states import DomainState

if TYPE_CHECKING:
    from virt.connection import Connection, Domain


class MigrateFlags(enum.IntFlag):
    """virDomainMigrateFlags."""

    NONE = 0
    LIVE = 1 << 0
    PEER2PEER = 1 << 1
    TUNNELLED = 1 << 2
    PERSIST_DEST = 1 << 3
    UNDEFINE_SOURCE = 1 << 4
    PAUSED = 1 << 5
    NON_SHARED_DISK = 1 << 6
    NON_SHARED_INC = 1 << 7
    CHANGE_PROTECTION = 1 << 8
    UNSAFE = 1 << 9
    OFFLINE = 1 << 10
    COMPRESSED = 1 << 11
    ABORT_ON_ERROR = 1 << 12
    AUTO_CONVERGE = 1 << 13
    RDMA_PIN_ALL = 1 << 14
    POSTCOPY = 1 << 15
    TLS = 1 << 16
    PARALLEL = 1 << 17
    NON_SHARED_SYNCHRONOUS_WRITES = 1 << 18
    POSTCOPY_RESUME = 1 << 19
    ZEROCOPY = 1 << 20


class MigrateMaxSpeedFlags(enum.IntFlag):
    """virDomainMigrateMaxSpeedFlags: POSTCOPY sets the bandwidth of the post-copy phase."""

    NONE = 0
    POSTCOPY = 1


class StallAction(enum.Enum):
    """What the stall policy does to a migration that stopped converging."""

    ABORT = "abort"
    POSTCOPY = "postcopy"


UNLIMITED_SPEED = (2**63 - 1) >> 20
"""MiB/s: the bandwidth libvirt reports while no limit is set (``migrate-getspeed``: 8796093022207)."""
DEFAULT_MAX_DOWNTIME = 300
"""Milliseconds: QEMU's default downtime limit, which libvirt leaves in place."""


@attrs.frozen
class StallPolicy:
    """Give up on (or switch to post-copy) a migration whose remaining memory has not shrunk for
    ``timeout`` seconds; ``min_progress`` is the fraction of the smallest remaining amount seen so
    far by which it must shrink to count as progress (the figure jitters by a few pages);
    ``told`` hears why, when the policy steps in (an abort also fails the migration with it)."""

    timeout: float
    action: StallAction = StallAction.ABORT
    min_progress: float = 0.01
    told: Callable[[str], None] | None = attrs.field(default=None, eq=False)

    def __attrs_post_init__(self) -> None:
        if not self.timeout > 0:
            raise InvalidArgument(f"stall timeout must be more than 0 seconds, not {self.timeout:g}")
        if not 0 <= self.min_progress < 1:
            raise InvalidArgument(f"stall progress fraction must be in [0, 1), not {self.min_progress:g}")


# virTypedParameter names of virDomainMigrate3's parameters (VIR_MIGRATE_PARAM_*), and their types
_PARAM_TYPES: dict[str, ParamType] = {
    "migrate_uri": ParamType.STRING,
    "destination_name": ParamType.STRING,
    "destination_xml": ParamType.STRING,
    "persistent_xml": ParamType.STRING,
    "bandwidth": ParamType.ULLONG,
    "bandwidth.postcopy": ParamType.ULLONG,
    "graphics_uri": ParamType.STRING,
    "listen_address": ParamType.STRING,
    "migrate_disks": ParamType.STRING,
    "disks_port": ParamType.INT,
    "disks_uri": ParamType.STRING,
    "compression": ParamType.STRING,
    "auto_converge.initial": ParamType.INT,
    "auto_converge.increment": ParamType.INT,
    "parallel.connections": ParamType.INT,
    "tls.destination": ParamType.STRING,
}
_MULTIPLE = frozenset({"migrate_disks", "compression"})


@attrs.frozen
class MigrationParams:
    """virDomainMigrate3's typed parameters (those virt acts on; sizes in MiB/s).

    ``uri``: where QEMU sends the guest (``tcp:HOST[:PORT]``), by default the destination's choice;
    ``dest_name``: the domain's name on the destination; ``dest_xml``: its definition there (the
    same guest); ``persistent_xml``: the definition kept there with PERSIST_DEST; ``bandwidth``: the
    speed limit; ``listen_address``: where the destination's QEMU listens; ``migrate_disks``: the
    disks to copy with NON_SHARED_DISK (all writable ones when empty); ``disks_port``: the port of
    the destination's NBD server.
    """

    uri: str | None = None
    dest_name: str | None = None
    dest_xml: str | None = None
    persistent_xml: str | None = None
    bandwidth: int | None = None
    bandwidth_postcopy: int | None = None
    graphics_uri: str | None = None
    listen_address: str | None = None
    migrate_disks: tuple[str, ...] = ()
    disks_port: int | None = None
    disks_uri: str | None = None
    compression: tuple[str, ...] = ()
    auto_converge_initial: int | None = None
    auto_converge_increment: int | None = None
    parallel_connections: int | None = None
    tls_destination: str | None = None

    _FIELDS = (
        ("migrate_uri", "uri"),
        ("destination_name", "dest_name"),
        ("destination_xml", "dest_xml"),
        ("persistent_xml", "persistent_xml"),
        ("bandwidth", "bandwidth"),
        ("bandwidth.postcopy", "bandwidth_postcopy"),
        ("graphics_uri", "graphics_uri"),
        ("listen_address", "listen_address"),
        ("disks_port", "disks_port"),
        ("disks_uri", "disks_uri"),
        ("auto_converge.initial", "auto_converge_initial"),
        ("auto_converge.increment", "auto_converge_increment"),
        ("parallel.connections", "parallel_connections"),
        ("tls.destination", "tls_destination"),
    )

    def typed(self) -> list[TypedParameter]:
        """The parameters as virDomainMigrate3 sends them."""
        out = []
        for field, attribute in self._FIELDS:
            value = getattr(self, attribute)
            if value is not None:
                out.append(TypedParameter(field, _PARAM_TYPES[field], value))
        out += [TypedParameter("migrate_disks", ParamType.STRING, disk) for disk in self.migrate_disks]
        out += [TypedParameter("compression", ParamType.STRING, method) for method in self.compression]
        return out

    @classmethod
    def from_typed(cls, params: Sequence[TypedParameter]) -> MigrationParams:
        """Parameters received; an unknown name, a wrong type or a repeated single one is refused as
        libvirt refuses them (virTypedParamsValidate)."""
        attribute_of = dict(cls._FIELDS)
        values: dict[str, object] = {}
        disks: list[str] = []
        methods: list[str] = []
        for param in params:
            expected = _PARAM_TYPES.get(param.field)
            if expected is None:
                raise VirtError(
                    f"argument unsupported: parameter '{param.field}' not supported", ErrorNumber.ARGUMENT_UNSUPPORTED
                )
            if param.type is not expected:
                raise InvalidArgument(
                    f"invalid argument: invalid type '{param.type.name.lower()}' for parameter '{param.field}', "
                    f"expected '{expected.name.lower()}'"
                )
            if param.field == "migrate_disks":
                disks.append(str(param.value))
            elif param.field == "compression":
                methods.append(str(param.value))
            else:
                attribute = attribute_of[param.field]
                if attribute in values:
                    raise InvalidArgument(f"invalid argument: parameter '{param.field}' occurs multiple times")
                values[attribute] = param.value
        return cls(migrate_disks=tuple(disks), compression=tuple(methods), **values)  # type: ignore[arg-type]

    def but(self, **changes: object) -> MigrationParams:
        """A copy with ``changes``."""
        return attrs.evolve(self, **changes)  # type: ignore[arg-type]


def check_flags(flags: MigrateFlags, params: MigrationParams) -> None:
    """The combinations libvirt refuses before anything is asked of a host."""
    if flags & MigrateFlags.NON_SHARED_DISK and flags & MigrateFlags.NON_SHARED_INC:
        raise InvalidArgument("invalid argument: migrate disks and migrate incremental disks are mutually exclusive")
    if flags & MigrateFlags.OFFLINE and flags & MigrateFlags.LIVE:
        raise InvalidArgument("invalid argument: flags 'live' and 'offline' are mutually exclusive")
    if flags & MigrateFlags.UNDEFINE_SOURCE and flags & MigrateFlags.OFFLINE and not flags & MigrateFlags.PERSIST_DEST:
        raise InvalidArgument("invalid argument: offline migration requires the persistent flag")
    if flags & MigrateFlags.TUNNELLED and not flags & MigrateFlags.PEER2PEER:
        raise InvalidArgument("invalid argument: use of tunnelled migration requires peer2peer migration")
    if params.bandwidth is not None and params.bandwidth < 0:
        raise InvalidArgument(f"invalid argument: bandwidth {params.bandwidth} is negative")


# -- jobs ---------------------------------------------------------------------------------------------------
JobListener = Callable[[JobInfo], None]
"""Told each progress sample of a running migration (the source's job, as ``domjobinfo`` shows it)."""


def job_stat(job: JobInfo, field: str) -> int | None:
    """A numeric figure of ``job``'s statistics (``memory_remaining``...), None when absent."""
    for param in job.params:
        if param.field == field and not isinstance(param.value, str):
            return int(param.value)
    return None


def remaining_memory(job: JobInfo) -> int | None:
    """Bytes of guest memory still to send, from the statistics or the plain counters."""
    figure = job_stat(job, "memory_remaining")
    if figure is not None:
        return figure
    return job.mem_remaining if job.type in (JobType.BOUNDED, JobType.UNBOUNDED) else None


class _Watcher:
    """A thread sampling the source's job while perform runs: progress to ``listener``, the stall policy."""

    def __init__(
        self,
        domain: Domain,
        listener: JobListener | None,
        stall: StallPolicy | None,
        interval: float,
    ) -> None:
        self.domain = domain
        self.listener = listener
        self.stall = stall
        self.interval = interval
        self.stalled: str | None = None  # why the policy stepped in
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"migrate-watch {domain.name}", daemon=True)

    def __enter__(self) -> _Watcher:
        if self.listener is not None or self.stall is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        best: int | None = None  # the smallest remaining amount seen
        since = time.monotonic()  # when it last shrank enough
        acted = False
        while not self._done.wait(self.interval):
            try:
                job = self.domain.job_info()
            except VirtError:
                continue  # the job ended as we asked (the domain left the source)
            if job.type not in (JobType.BOUNDED, JobType.UNBOUNDED):
                continue
            if self.listener is not None:
                try:
                    self.listener(job)
                except Exception:
                    import logging

                    logging.getLogger(__name__).exception("migration progress listener failed")
            if self.stall is None or acted:
                continue
            remaining = remaining_memory(job)
            now = time.monotonic()
            if remaining is None:
                continue
            if best is None or remaining < best * (1 - self.stall.min_progress):
                best, since = remaining, now
                continue
            best = min(best, remaining)
            if now - since >= self.stall.timeout:
                acted = True
                self._act(job, remaining, now - since)

    def _act(self, job: JobInfo, remaining: int, waited: float) -> None:
        assert self.stall is not None
        rate = job_stat(job, "memory_dirty_rate")
        speed = job_stat(job, "memory_bps")
        facts = f"{remaining / 2**20:.1f} MiB of memory remaining has not shrunk for {waited:.1f} s"
        if rate is not None and speed is not None:
            facts += f" (guest dirtying {rate * _page_size(job) / 2**20:.1f} MiB/s, sending {speed / 2**20:.1f} MiB/s)"
        try:
            if self.stall.action is StallAction.POSTCOPY:
                self.domain.migrate_start_post_copy()
                self.stalled = f"migration stalled: {facts}; switched to post-copy"
            else:
                self.stalled = f"migration stalled: {facts}; aborted"
                self.domain.abort_job()
        except VirtError as exc:
            self.stalled = f"migration stalled: {facts}; {self.stall.action.value} failed: {exc.message}"
        if self.stall.told is not None:
            self.stall.told(self.stalled)


def _page_size(job: JobInfo) -> int:
    return job_stat(job, "memory_page_size") or 4096


# -- the client's side of the protocol --------------------------------------------------------------------
def migrate(
    domain: Domain,
    dest: Connection | None = None,
    *,
    dest_uri: str | None = None,
    flags: MigrateFlags = MigrateFlags.NONE,
    params: MigrationParams | None = None,
    listener: JobListener | None = None,
    stall: StallPolicy | None = None,
    interval: float = 0.5,
) -> Domain | None:
    """Migrate ``domain`` (on its source connection) to another host; the domain there, or None in a
    peer-to-peer migration without ``dest``.

    Peer to peer (PEER2PEER): ``dest_uri`` is the destination as the *source* host reaches it.
    Otherwise ``dest`` is this process's open connection to the destination. ``listener`` is told
    the job's progress every ``interval`` seconds; ``stall`` aborts (or switches to post-copy) a
    migration that stopped converging, the error then saying so.
    """
    params = params or MigrationParams()
    flags = MigrateFlags(flags)
    check_flags(flags, params)
    if stall is not None and stall.action is StallAction.POSTCOPY and not flags & MigrateFlags.POSTCOPY:
        raise InvalidArgument("invalid argument: a stall policy switching to post-copy needs the POSTCOPY flag")
    with _Watcher(domain, listener, stall, interval) as watcher:
        try:
            if flags & MigrateFlags.PEER2PEER:
                if not dest_uri:
                    raise InvalidArgument("invalid argument: a peer-to-peer migration needs the destination's URI")
                domain.connection._writable("virDomainMigrate3").migrate_perform(
                    domain.ref, dest_uri, params, b"", flags
                )
                found = dest.lookup_domain_by_name(params.dest_name or domain.name) if dest is not None else None
            else:
                if dest is None:
                    raise InvalidArgument(
                        "invalid argument: a migration not peer to peer needs a destination connection"
                    )
                found = _managed(domain, dest, flags, params)
        except VirtError as exc:
            if watcher.stalled is not None:
                raise VirtError(f"{watcher.stalled}: {exc.message}", exc.code, exc.domain) from exc
            raise
    return found


def _managed(domain: Domain, dest: Connection, flags: MigrateFlags, params: MigrationParams) -> Domain:
    """libvirt's virDomainMigrateVersion3Full with parameters, this process between the two hosts."""
    source = domain.connection._writable("virDomainMigrate3")
    target = dest._writable("virDomainMigrate3")
    if not flags & MigrateFlags.OFFLINE and domain.state().state is DomainState.PAUSED:
        flags |= MigrateFlags.PAUSED  # as libvirt: a paused guest stays paused over there
    cookie, xml = source.migrate_begin(domain.ref, params, flags)
    prepare_params = params if params.dest_xml is not None else params.but(dest_xml=xml)
    cookie, uri_out = target.migrate_prepare(cookie, prepare_params, flags)
    perform_params = params.but(uri=uri_out) if uri_out else params
    # finish finds the arrived domain by its name there, which libvirtd wants given
    finish_params = perform_params.but(dest_xml=None, dest_name=params.dest_name or domain.name)
    try:
        cookie = source.migrate_perform(domain.ref, None, perform_params, cookie, flags)
    except VirtError as failure:
        # finish with cancelled=1 tears the destination's incoming QEMU down; confirm resumes the source
        with contextlib.suppress(VirtError):
            _, cookie = target.migrate_finish(finish_params, cookie, flags, True)
        with contextlib.suppress(VirtError):
            source.migrate_confirm(domain.ref, params, b"", flags, True)
        raise failure
    try:
        ref, cookie = target.migrate_finish(finish_params, cookie, flags, False)
    except VirtError:
        # the guest could not start over there: confirm with cancelled=1 resumes it here
        source.migrate_confirm(domain.ref, params, b"", flags, True)
        raise
    source.migrate_confirm(domain.ref, params, cookie, flags, False)
    from virt.connection import Domain as DomainHandle

    if ref is None:
        raise VirtError("migration finished without a domain on the destination", ErrorNumber.OPERATION_FAILED)
    return DomainHandle(dest, ref)
