"""Live migration of running guests between two hosts, on QEMU's own migration (libvirt 9.0's
protocol v3 with parameters, phases as qemu_migration.c names them).

- Begin (source): the domain's live definition and a cookie naming the domain and the host.
- Prepare (destination): the definition becomes an active domain whose QEMU starts paused with
  ``-incoming defer``; ``migrate-incoming`` makes it listen on ``tcp:ADDRESS:PORT`` (a port of
  49152-49215, libvirt's range); the answer is the URI the source's QEMU must send to.
- Perform (source): the migration capabilities (auto-converge, postcopy-ram, xbzrle) and parameters
  (max-bandwidth, downtime-limit) are set, ``migrate`` starts, ``query-migrate`` is polled until it
  completed (or entered post-copy) with the domain's lock released, so that its job can be read,
  tuned and aborted meanwhile. At the end QEMU has stopped the guest: "paused (migration)".
- Finish (destination): once the incoming side completed, the guest runs ("Resumed Migrated"); with
  PERSIST_DEST its definition is stored. Cancelled: the incoming QEMU is killed.
- Confirm (source): the source's QEMU ends ("Stopped Migrated"), UNDEFINE_SOURCE forgets the
  definition; cancelled: the guest runs again where it was.

Peer to peer, the source runs all five itself, the destination's through its own connection to
``dconnuri``. The cookies are libvirt's ``<qemu-migration>`` documents (name, uuid, hostname,
hostuuid, and the persistent definition from perform), so that a libvirtd on the other side reads
them. Migration jobs live in memory (``Migrations``, one per driver): a daemon restart forgets them
as libvirt's forgets an unfinished migration.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any

import attrs
from virt.domainstats import JobInfo, JobType, ParamType, TypedParameter
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.events import (
    DefinedDetail,
    ResumedDetail,
    StartedDetail,
    SuspendedDetail,
)
from virt.localstate.domains import copy_definition
from virt.migration import DEFAULT_MAX_DOWNTIME, UNLIMITED_SPEED, MigrateFlags, MigrationParams
from virt.states import DomainState, PausedReason, RunningReason, ShutoffReason

from virt_qemu import affinity, errors, migrationdisks
from virt_qemu.events import EventType

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.xml import Domain

    from virt_qemu.driver import QemuDriver
    from virt_qemu.runtime import DomainObj, Running

log = logging.getLogger(__name__)

PORT_MIN, PORT_MAX = 49152, 49215
"""libvirt's default migration_port_min / migration_port_max (qemu.conf)."""
POLL = 0.05
"""How often ``query-migrate`` is asked while a migration runs (seconds)."""
FINISH_TIMEOUT = 600.0
"""The longest the destination waits for the incoming state after perform said it was sent."""
_OPERATION_MIGRATION_IN = 4  # virDomainJobOperation
_OPERATION_MIGRATION_OUT = 5
_MIB = 1 << 20


# -- cookies ------------------------------------------------------------------------------------------------
@attrs.define
class Cookie:
    """libvirt's migration cookie: who sends the domain, from where; perform adds the persistent definition."""

    name: str
    uuid: str
    hostname: str
    hostuuid: str
    persistent: str | None = None
    nbd_port: int | None = None
    """Prepare's: where the destination's NBD server takes the disks' copies (``migrationdisks``)."""
    nbd_disks: tuple[str, ...] = ()

    def encode(self) -> bytes:
        from lxml import etree

        root = etree.Element("qemu-migration")
        for tag in ("name", "uuid", "hostname", "hostuuid"):
            etree.SubElement(root, tag).text = getattr(self, tag)
        if self.persistent is not None:
            holder = etree.SubElement(root, "persistent")
            holder.append(etree.fromstring(self.persistent.encode()))
        if self.nbd_port is not None:
            nbd = etree.SubElement(root, "nbd", port=str(self.nbd_port))
            for target in self.nbd_disks:
                etree.SubElement(nbd, "disk", target=target)
        # libvirt sends the text with its terminating NUL and reads it as a C string
        return bytes(etree.tostring(root, pretty_print=True)) + b"\0"

    @classmethod
    def decode(cls, data: bytes) -> Cookie | None:
        """The cookie in ``data``, None when there is none; a malformed one is refused."""
        from lxml import etree

        text = data.split(b"\0", 1)[0].strip()
        if not text:
            return None
        try:
            root = etree.fromstring(text)
        except etree.XMLSyntaxError as exc:
            raise errors.internal(f"unable to parse migration cookie: {exc}") from exc
        if root.tag != "qemu-migration":
            raise errors.internal(f"migration cookie has the root element '{root.tag}', not 'qemu-migration'")

        def text_of(tag: str) -> str:
            value = root.findtext(tag)
            if not value:
                raise errors.internal(f"missing {tag} element in migration data")
            return str(value)

        persistent = root.find("persistent/domain")
        nbd = root.find("nbd")
        port = nbd.get("port") if nbd is not None else None
        if port is not None and not port.isdigit():
            raise errors.internal(f"malformed nbd port '{port}' in migration data")
        return cls(
            text_of("name"),
            text_of("uuid"),
            text_of("hostname"),
            text_of("hostuuid"),
            etree.tostring(persistent, encoding="unicode") if persistent is not None else None,
            int(port) if port is not None else None,
            tuple(str(d.get("target")) for d in nbd.findall("disk")) if nbd is not None else (),
        )


def this_host() -> tuple[str, str]:
    """(hostname, host UUID) as the cookies carry them."""
    from virt.localstate.hostcaps import host_uuid

    found = host_uuid()
    return socket.gethostname(), str(found) if found is not None else "00000000-0000-0000-0000-000000000000"


# -- jobs -----------------------------------------------------------------------------------------------------
@attrs.define(eq=False)
class Job:
    """A migration under way (``out``: sending; else receiving), or the last one that ended."""

    uuid: Any
    out: bool
    flags: MigrateFlags
    started: float = attrs.field(factory=time.time)
    status: str = "setup"
    answer: dict[str, Any] = attrs.field(factory=dict)
    """QEMU's last ``query-migrate``."""
    aborted: bool = False
    ended: float | None = None
    error: str | None = None
    was_running: bool = True
    """The source guest ran before it was migrated (confirm with cancelled runs it again)."""
    name: str = ""
    """The incoming domain's name, which finish looks it up by."""

    def info(self) -> JobInfo:
        """virDomainGetJobStats of this job, from QEMU's last answer."""
        ram = self.answer.get("ram") or {}
        end = self.ended if self.ended is not None else time.time()
        elapsed = int((end - self.started) * 1000)
        total, processed, remaining = (int(ram.get(k, 0)) for k in ("total", "transferred", "remaining"))
        if self.ended is None:
            kind = JobType.UNBOUNDED
        elif self.error is None:
            kind = JobType.COMPLETED
        else:
            kind = JobType.CANCELLED if self.aborted else JobType.FAILED
        params = [
            _ullong("time_elapsed", elapsed),
            _ullong("data_total", total),
            _ullong("data_processed", processed),
            _ullong("data_remaining", remaining),
            _ullong("memory_total", total),
            _ullong("memory_processed", processed),
            _ullong("memory_remaining", remaining),
            _ullong("memory_constant", int(ram.get("duplicate", 0))),
            _ullong("memory_normal", int(ram.get("normal", 0))),
            _ullong("memory_normal_bytes", int(ram.get("normal-bytes", 0))),
            _ullong("memory_bps", int(float(ram.get("mbps", 0)) * 1_000_000 / 8)),
            _ullong("memory_dirty_rate", int(ram.get("dirty-pages-rate", 0))),
            _ullong("memory_page_size", int(ram.get("page-size", 4096))),
            _ullong("memory_iteration", int(ram.get("dirty-sync-count", 0))),
            _ullong("memory_postcopy_requests", int(ram.get("postcopy-requests", 0))),
        ]
        params.insert(
            0,
            TypedParameter(
                "operation", ParamType.INT, _OPERATION_MIGRATION_OUT if self.out else _OPERATION_MIGRATION_IN
            ),
        )
        setup = self.answer.get("setup-time")
        if isinstance(setup, int):
            params.append(_ullong("setup_time", setup))
        # while it runs, QEMU's estimate; once it completed, how long the guest was stopped
        downtime = self.answer.get("downtime" if self.ended is not None else "expected-downtime")
        if isinstance(downtime, int):
            params.append(_ullong("downtime", downtime))
        throttle = self.answer.get("cpu-throttle-percentage")
        if isinstance(throttle, int):
            params.append(TypedParameter("auto_converge_throttle", ParamType.INT, throttle))
        # no storage is copied through the migration stream itself (a storage copy is its mirrors')
        params += [_ullong("disk_total", 0), _ullong("disk_processed", 0), _ullong("disk_remaining", 0)]
        if self.ended is not None and self.error is not None:
            params.append(TypedParameter("errmsg", ParamType.STRING, self.error))
        return JobInfo.from_stats(kind, tuple(params))


def _ullong(field: str, value: int) -> TypedParameter:
    return TypedParameter(field, ParamType.ULLONG, max(0, value))


@attrs.define(eq=False)
class Settings:
    """A domain's migration tunables kept between migrations (libvirt keeps them in its private data)."""

    speed: int = UNLIMITED_SPEED  # MiB/s
    postcopy_speed: int = 0  # MiB/s, 0: unlimited
    downtime: int | None = None  # ms, None: QEMU's own
    cache: int | None = None  # bytes


class Migrations:
    """The driver's migration jobs and tunables, by domain UUID (one per driver)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: dict[Any, Job] = {}
        self.completed: dict[Any, Job] = {}
        self.incoming: dict[str, Job] = {}  # by the incoming domain's name
        self.settings: dict[Any, Settings] = {}

    def settings_of(self, uuid: Any) -> Settings:
        with self.lock:
            return self.settings.setdefault(uuid, Settings())


_TABLES: weakref.WeakKeyDictionary[Any, Migrations] = weakref.WeakKeyDictionary()
_TABLES_LOCK = threading.Lock()


def migrations_of(driver: QemuDriver) -> Migrations:
    with _TABLES_LOCK:
        table = _TABLES.get(driver)
        if table is None:
            table = _TABLES[driver] = Migrations()
        return table


# -- the phases ------------------------------------------------------------------------------------------------
def begin(driver: QemuDriver, ref: DomainRef, params: MigrationParams, flags: MigrateFlags) -> tuple[bytes, str]:
    """The cookie for the destination and the definition it must start (libvirt's Begin3)."""
    from virt.domainsave import replacement_fits
    from virt.xml import Domain

    with driver.locked(ref) as obj:
        if flags & MigrateFlags.OFFLINE:
            if obj.config is None:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "cannot migrate a transient domain offline")
            if not flags & MigrateFlags.PERSIST_DEST:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "offline migration requires the persistent flag")
            source = copy_definition(obj.config)
        else:
            if not obj.active or obj.live is None:
                raise errors.not_running()
            if obj.uuid in migrations_of(driver).running:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "domain has an active migration job")
            source = copy_definition(obj.live)
            copied = migrationdisks.disks_to_copy(obj.live, params) if migrationdisks.copies_storage(flags) else []
            migrationdisks.check_safe(obj.live, flags, copied)
        source.id = None
        if params.dest_xml is not None:
            wanted = Domain.from_xml(params.dest_xml)
            replacement_fits(source, wanted)
            source = wanted
        hostname, hostuuid = this_host()
        cookie = Cookie(obj.name, str(obj.uuid), hostname, hostuuid)
        return cookie.encode(), source.to_xml()


def prepare(
    driver: QemuDriver, cookie_in: bytes, params: MigrationParams, flags: MigrateFlags
) -> tuple[bytes, str | None]:
    """Start the incoming guest paused, listening for its state; the cookie and the URI to send to."""
    from virt.xml import Domain

    if params.dest_xml is None:
        raise errors.error(ErrorNumber.INVALID_ARG, "no domain XML passed")
    source = Cookie.decode(cookie_in)
    hostname, hostuuid = this_host()
    if source is not None and source.hostuuid == hostuuid:
        raise errors.error(ErrorNumber.INTERNAL_ERROR, f"Attempt to migrate guest to the same host {hostuuid}")
    definition = Domain.from_xml(params.dest_xml)
    if params.dest_name:
        definition.name = params.dest_name
    definition.id = None
    if flags & MigrateFlags.OFFLINE:
        # nothing runs: finish only defines it
        job = Job(definition.uuid, out=False, flags=flags, name=str(definition.name))
        job.status = "completed"
        table = migrations_of(driver)
        with table.lock:
            table.incoming[str(definition.name)] = job
        return Cookie(str(definition.name), str(definition.uuid), hostname, hostuuid).encode(), None
    driver.complete(definition)
    port, listen, uri_out = _incoming_address(params)
    obj, _ = driver.add_definition(definition, live=True)
    with obj.lock:
        try:
            running = driver._spawn(definition, incoming="defer")
        except BaseException:
            if obj.config is None and not obj.active:
                driver._remove(obj)
            raise
        running.migrating = True
        try:
            driver._register_started(obj, definition, running)
            driver._set_state(obj, DomainState.PAUSED, PausedReason.MIGRATION, emit=False)
            execute = _executor(running)
            capabilities = [{"capability": "events", "state": True}]
            if flags & MigrateFlags.POSTCOPY:
                capabilities.append({"capability": "postcopy-ram", "state": True})
            execute("migrate-set-capabilities", {"capabilities": capabilities})
            execute("migrate-incoming", {"uri": f"tcp:{listen}:{port}"})
            nbd_port, disks = _serve_disks(execute, definition, params, flags, listen)
        except BaseException as exc:
            driver._discard(obj, running)
            if obj.config is None:
                driver._remove(obj)
            if isinstance(exc, VirtError):
                raise
            raise errors.internal(f"preparing the incoming migration of '{definition.name}' failed: {exc}") from exc
        driver._emit(obj, EventType.STARTED, StartedDetail.MIGRATED)
        job = Job(obj.uuid, out=False, flags=flags, name=obj.name)
        table = migrations_of(driver)
        with table.lock:
            table.incoming[obj.name] = job
            table.running[obj.uuid] = job
    answer = Cookie(obj.name, str(obj.uuid), hostname, hostuuid, nbd_port=nbd_port, nbd_disks=disks)
    return answer.encode(), uri_out


def _serve_disks(
    execute: Any, definition: Domain, params: MigrationParams, flags: MigrateFlags, listen: str
) -> tuple[int | None, tuple[str, ...]]:
    """With a storage copy, the destination's NBD server for the disks: its port and the disks' targets."""
    if not migrationdisks.copies_storage(flags):
        return None, ()
    disks = migrationdisks.disks_to_copy(definition, params)
    address = listen.strip("[]")
    port = params.disks_port or _free_port(address)
    migrationdisks.serve(execute, disks, address, port)
    return port, tuple(target for target, _ in disks)


def _incoming_address(params: MigrationParams) -> tuple[int, str, str]:
    """(port, address QEMU listens on, URI the source sends to), from ``migrate_uri`` / ``listen_address``."""
    host: str | None = None
    port: int | None = None
    if params.uri:
        uri = params.uri
        if uri.startswith("tcp://"):
            uri = "tcp:" + uri[len("tcp://") :]
        if not uri.startswith("tcp:"):
            raise errors.error(ErrorNumber.ARGUMENT_UNSUPPORTED, f"unsupported scheme in migration URI {params.uri}")
        rest = uri[len("tcp:") :].rstrip("/")
        if rest.startswith("["):
            host, _, tail = rest[1:].partition("]")
            port_text = tail.lstrip(":")
        else:
            host, _, port_text = rest.partition(":")
        if port_text:
            if not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise errors.error(ErrorNumber.INVALID_ARG, f"invalid port in migration URI {params.uri}")
            port = int(port_text)
    listen = params.listen_address or "0.0.0.0"
    if port is None:
        port = _free_port(listen)
    if not host:
        host = socket.gethostname()
        with contextlib.suppress(OSError):
            if socket.gethostbyname(host).startswith("127."):
                raise errors.error(
                    ErrorNumber.INTERNAL_ERROR,
                    "hostname on destination resolved to localhost, but migration requires an FQDN",
                )
    shown = f"[{host}]" if ":" in host else host
    listen_shown = f"[{listen}]" if ":" in listen else listen
    return port, listen_shown, f"tcp:{shown}:{port}"


def _free_port(listen: str) -> int:
    """The first port of libvirt's migration range nobody listens on."""
    from virt.localstate.ports import free_port

    return free_port(listen, range(PORT_MIN, PORT_MAX + 1), name="migration", error_domain=ErrorDomain.QEMU)


def _executor(running: Running) -> Any:
    """QMP commands to this QEMU, without the domain's lock (the monitor sends one at a time)."""
    from virt_qemu.qmpevents import QMP_TIMEOUT

    def execute(command: str, arguments: dict[str, Any] | None = None) -> Any:
        monitor = running.monitor
        if monitor is None:
            raise errors.operation_failed("domain is not running")
        return monitor.execute(command, arguments, timeout=QMP_TIMEOUT)

    return execute


def perform(
    driver: QemuDriver,
    ref: DomainRef,
    dconnuri: str | None,
    params: MigrationParams,
    cookie_in: bytes,
    flags: MigrateFlags,
) -> bytes:
    """Send the guest (libvirt's Perform3); peer to peer, the whole exchange with ``dconnuri``."""
    if flags & MigrateFlags.PEER2PEER:
        if not dconnuri:
            raise errors.error(ErrorNumber.INVALID_ARG, "a peer-to-peer migration needs the destination's URI")
        _peer_to_peer(driver, ref, dconnuri, params, flags)
        return b""
    if flags & MigrateFlags.OFFLINE:
        return _persistent_cookie(driver, ref, params, flags)
    if not params.uri:
        raise errors.error(ErrorNumber.INVALID_ARG, "the destination gave no migration URI")
    send(driver, ref, params, flags, Cookie.decode(cookie_in))
    return _persistent_cookie(driver, ref, params, flags)


def _persistent_cookie(driver: QemuDriver, ref: DomainRef, params: MigrationParams, flags: MigrateFlags) -> bytes:
    """Perform's cookie: with PERSIST_DEST the definition to keep over there (the persistent one)."""
    with driver.locked(ref) as obj:
        hostname, hostuuid = this_host()
        cookie = Cookie(obj.name, str(obj.uuid), hostname, hostuuid)
        if flags & MigrateFlags.PERSIST_DEST and params.persistent_xml is None:
            kept = obj.config if obj.config is not None else obj.live
            if kept is not None:
                copy = copy_definition(kept)
                copy.id = None
                cookie.persistent = copy.to_xml()
        return cookie.encode()


def send(
    driver: QemuDriver, ref: DomainRef, params: MigrationParams, flags: MigrateFlags, prepared: Cookie | None = None
) -> None:
    """QEMU's ``migrate`` to ``params.uri``, followed until it completed or entered post-copy; with a
    storage copy, the disks mirrored first to the NBD server ``prepared`` (prepare's cookie) names."""
    table = migrations_of(driver)
    settings = table.settings_of(ref.uuid)
    with driver.locked(ref) as obj:
        running = driver._usable(obj)
        with table.lock:
            if obj.uuid in table.running:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "domain has an active migration job")
            job = Job(obj.uuid, out=True, flags=flags, was_running=obj.state == DomainState.RUNNING)
            table.running[obj.uuid] = job
        running.migrating = True
        execute = _executor(running)
        try:
            capabilities = [
                {"capability": "events", "state": True},
                {"capability": "auto-converge", "state": bool(flags & MigrateFlags.AUTO_CONVERGE)},
                {"capability": "postcopy-ram", "state": bool(flags & MigrateFlags.POSTCOPY)},
                {"capability": "xbzrle", "state": bool(flags & MigrateFlags.COMPRESSED)},
            ]
            execute("migrate-set-capabilities", {"capabilities": capabilities})
            speed = params.bandwidth if params.bandwidth is not None else settings.speed
            parameters: dict[str, Any] = {"max-bandwidth": _bytes_per_second(speed)}
            if settings.downtime is not None:
                parameters["downtime-limit"] = settings.downtime
            if params.bandwidth_postcopy is not None or settings.postcopy_speed:
                postcopy = (
                    params.bandwidth_postcopy if params.bandwidth_postcopy is not None else settings.postcopy_speed
                )
                parameters["max-postcopy-bandwidth"] = postcopy * _MIB
            if params.auto_converge_initial is not None:
                parameters["cpu-throttle-initial"] = params.auto_converge_initial
            if params.auto_converge_increment is not None:
                parameters["cpu-throttle-increment"] = params.auto_converge_increment
            if settings.cache is not None and flags & MigrateFlags.COMPRESSED:
                parameters["xbzrle-cache-size"] = settings.cache
            execute("migrate-set-parameters", parameters)
            live = obj.live
            assert live is not None  # running
            disks = migrationdisks.disks_to_copy(live, params) if migrationdisks.copies_storage(flags) else []
        except BaseException as exc:
            running.migrating = False
            _end(table, job, str(getattr(exc, "message", exc)))
            raise
    # the lock is released while the disks are copied and QEMU sends: the job can be read, tuned and aborted
    assert params.uri is not None
    mirrors: list[str] = []
    try:
        if disks:
            if prepared is None or prepared.nbd_port is None:
                raise errors.error(
                    ErrorNumber.OPERATION_UNSUPPORTED, "Migration with storage requires NBD support on the destination"
                )
            host = _host_of(params.uri)
            mirrors = migrationdisks.mirror(execute, disks, host, prepared.nbd_port, flags, lambda: job.aborted)
        if job.aborted:
            raise errors.error(ErrorNumber.OPERATION_ABORTED, "migration out job: canceled by client")
        execute("migrate", {"uri": _qemu_uri(params.uri)})
        _follow(execute, job, done=("completed", "postcopy-active"), on_pass=_iteration_events(driver, ref))
        if mirrors:
            migrationdisks.complete(execute, mirrors)
    except BaseException as exc:
        running.migrating = False
        if mirrors:
            migrationdisks.abandon(execute, mirrors)
        _end(table, job, str(getattr(exc, "message", exc)))
        with driver.locked(ref) as obj:
            _back_to_running(driver, obj, job)
        raise
    with driver.locked(ref) as obj:
        if job.status == "postcopy-active":
            driver._set_state(obj, DomainState.PAUSED, PausedReason.POSTCOPY, emit=False)
        else:
            driver._set_state(obj, DomainState.PAUSED, PausedReason.MIGRATION, emit=False)
        driver._emit(obj, EventType.SUSPENDED, SuspendedDetail.MIGRATED)


def _iteration_events(driver: QemuDriver, ref: DomainRef) -> Any:
    from virt.domainevents import MigrationIterationEvent

    return lambda number: driver._emit_other(MigrationIterationEvent(ref, iteration=number))


def _job_completed(driver: QemuDriver, obj: DomainObj, job: Job) -> None:
    """libvirt's JOB_COMPLETED event of a migration that worked, with its statistics."""
    from virt.domainevents import JobCompletedEvent
    from virt.driver import DomainRef

    driver._emit_other(JobCompletedEvent(DomainRef(obj.name, obj.uuid, obj.id), params=job.info().params))


def _host_of(uri: str) -> str:
    """The host of a ``tcp:HOST:PORT`` migration URI (brackets of an IPv6 address taken off)."""
    rest = _qemu_uri(uri)[len("tcp:") :]
    if rest.startswith("["):
        return rest[1:].partition("]")[0]
    return rest.rpartition(":")[0] if rest.count(":") == 1 else rest


def _qemu_uri(uri: str) -> str:
    return "tcp:" + uri[len("tcp://") :].rstrip("/") if uri.startswith("tcp://") else uri


def _bytes_per_second(mib: int) -> int:
    # QEMU takes an int64 of bytes per second: libvirt's "unlimited" is the largest that fits
    return min(mib * _MIB, 2**63 - 1) if mib < UNLIMITED_SPEED else 2**63 - 1 - (2**63 - 1) % _MIB


def _follow(
    execute: Any,
    job: Job,
    *,
    done: tuple[str, ...],
    timeout: float | None = None,
    on_pass: Any = None,
) -> None:
    """Poll ``query-migrate`` into ``job`` until its status is one of ``done``; failure and
    cancellation as libvirt words them. ``on_pass(n)`` is told each memory pass QEMU began (its
    dirty bitmap syncs: libvirt's MIGRATION_ITERATION events, from QEMU's MIGRATION_PASS)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    passes = 0
    while True:
        answer = execute("query-migrate") or {}
        job.answer = answer
        synced = (answer.get("ram") or {}).get("dirty-sync-count")
        if on_pass is not None and isinstance(synced, int):
            for number in range(passes + 1, synced + 1):
                on_pass(number)
            passes = max(passes, synced)
        status = str(answer.get("status", "none"))
        job.status = status
        if status in done:
            return
        if status == "cancelled" or (job.aborted and status == "failed"):
            job.aborted = True
            what = "migration out job" if job.out else "migration in job"
            raise errors.error(ErrorNumber.OPERATION_ABORTED, f"{what}: canceled by client")
        if status == "failed":
            detail = answer.get("error-desc") or "unexpectedly failed"
            what = "migration out job" if job.out else "migration in job"
            raise errors.operation_failed(f"{what}: {detail}")
        if deadline is not None and time.monotonic() > deadline:
            raise errors.error(ErrorNumber.OPERATION_TIMEOUT, "the incoming migration did not end in time")
        time.sleep(POLL)


def _end(table: Migrations, job: Job, error: str | None) -> None:
    job.ended = time.time()
    job.error = error
    with table.lock:
        if table.running.get(job.uuid) is job:
            del table.running[job.uuid]
        if not job.out and table.incoming.get(job.name) is job:
            del table.incoming[job.name]
        table.completed[job.uuid] = job


def _back_to_running(driver: QemuDriver, obj: DomainObj, job: Job) -> None:
    """A failed or cancelled outgoing migration: the guest runs on here as it did (QEMU may have stopped it)."""
    running = obj.running
    if running is None:
        return
    running.migrating = False
    with contextlib.suppress(VirtError):
        status = driver.qmp(obj, "query-status") or {}
        if job.was_running and not status.get("running"):
            driver.qmp(obj, "cont")
        if job.was_running:
            if obj.state != DomainState.RUNNING:
                driver._set_state(obj, DomainState.RUNNING, RunningReason.MIGRATION_CANCELED, emit=False)
                driver._emit(obj, EventType.RESUMED, ResumedDetail.MIGRATED)
        elif obj.state != DomainState.PAUSED:
            driver._set_state(obj, DomainState.PAUSED, PausedReason.USER)


def finish(
    driver: QemuDriver, params: MigrationParams, cookie_in: bytes, flags: MigrateFlags, cancelled: bool
) -> tuple[DomainRef | None, bytes]:
    """Run the arrived guest, or discard it (libvirt's Finish3)."""
    from virt.driver import DomainRef
    from virt.xml import Domain

    source = Cookie.decode(cookie_in)
    name = params.dest_name or (source.name if source is not None else None)
    table = migrations_of(driver)
    with table.lock:
        job = table.incoming.get(name or "")
    if job is None or name is None:
        raise errors.error(ErrorNumber.NO_DOMAIN, f"no incoming migration of domain '{name}'")
    obj = driver.by_name(name)
    if flags & MigrateFlags.OFFLINE:
        _end(table, job, None if not cancelled else "cancelled")
        if cancelled:
            raise errors.error(ErrorNumber.OPERATION_ABORTED, "migration in job: canceled by client")
        xml = params.persistent_xml or (source.persistent if source is not None else None)
        if xml is None:
            raise errors.error(ErrorNumber.INVALID_ARG, "no persistent definition came with the offline migration")
        defined = driver.define(Domain.from_xml(xml))
        return DomainRef(defined.name, defined.uuid, -1), b""
    if obj is None:
        _end(table, job, "the incoming domain went away")
        raise errors.error(ErrorNumber.NO_DOMAIN, f"Domain not found: no domain with matching name '{name}'")
    with obj.lock:
        running = obj.running
        if cancelled or running is None:
            _end(table, job, "cancelled by the source")
            if running is not None:
                driver._kill_and_stop(obj, ShutoffReason.FAILED)
            raise errors.error(ErrorNumber.OPERATION_FAILED, f"migration of domain '{name}' was cancelled")
        execute = _executor(running)
    try:
        _follow(execute, job, done=("completed", "postcopy-active"), timeout=FINISH_TIMEOUT)
    except VirtError as exc:
        _end(table, job, exc.message)
        with obj.lock:
            if obj.running is running:
                driver._kill_and_stop(obj, ShutoffReason.FAILED)
        raise
    with obj.lock:
        if obj.running is not running:
            _end(table, job, "the incoming domain stopped")
            raise errors.operation_failed(f"domain '{name}' stopped while it arrived")
        try:
            if flags & MigrateFlags.PERSIST_DEST:
                xml = params.persistent_xml or (source.persistent if source is not None else None)
                kept = Domain.from_xml(xml) if xml is not None else copy_definition(obj.live)  # type: ignore[arg-type]
                kept.id = None
                if params.dest_name:
                    kept.name = params.dest_name
                driver.complete(kept)
                new = obj.config is None
                driver.definitions.save(kept)
                obj.config = kept
                driver._emit(obj, EventType.DEFINED, DefinedDetail.ADDED if new else DefinedDetail.UPDATED)
            if migrationdisks.copies_storage(flags):
                with contextlib.suppress(VirtError):
                    migrationdisks.stop_serving(execute)
            live = obj.live
            assert live is not None  # registered at prepare
            affinity.apply(lambda command, arguments=None: driver.qmp(obj, command, arguments), running, live)
            if flags & MigrateFlags.PAUSED:
                driver._set_state(obj, DomainState.PAUSED, PausedReason.USER, emit=False)
                driver._emit(obj, EventType.SUSPENDED, SuspendedDetail.PAUSED)
            else:
                driver.qmp(obj, "cont")
                postcopy = job.status == "postcopy-active"
                driver._set_state(
                    obj, DomainState.RUNNING, RunningReason.POSTCOPY if postcopy else RunningReason.MIGRATED, emit=False
                )
                driver._emit(obj, EventType.RESUMED, ResumedDetail.POSTCOPY if postcopy else ResumedDetail.MIGRATED)
        except BaseException as exc:
            _end(table, job, str(getattr(exc, "message", exc)))
            if obj.running is running:
                driver._kill_and_stop(obj, ShutoffReason.FAILED)
            raise
        running.migrating = False
        ref = DomainRef(obj.name, obj.uuid, obj.id)
    if job.status == "postcopy-active":
        _watch_postcopy_end(driver, table, job, execute)
    else:
        _end(table, job, None)
    hostname, hostuuid = this_host()
    return ref, Cookie(ref.name, str(ref.uuid), hostname, hostuuid).encode()


def _watch_postcopy_end(driver: QemuDriver, table: Migrations, job: Job, execute: Any) -> None:
    """The incoming side of a post-copy migration ends after finish: its job ends when QEMU says so."""

    def watch() -> None:
        try:
            _follow(execute, job, done=("completed",))
        except VirtError as exc:
            _end(table, job, exc.message)
            return
        _end(table, job, None)

    threading.Thread(target=watch, name="virt-qemu postcopy-in", daemon=True).start()


def confirm(
    driver: QemuDriver, ref: DomainRef, params: MigrationParams, cookie_in: bytes, flags: MigrateFlags, cancelled: bool
) -> None:
    """End the source's guest, or (``cancelled``) let it run on here (libvirt's Confirm3)."""
    table = migrations_of(driver)
    if flags & MigrateFlags.OFFLINE:
        if not cancelled and flags & MigrateFlags.UNDEFINE_SOURCE:
            _forget(driver, ref)
        return
    with table.lock:
        job = table.running.get(ref.uuid)
    if job is not None and job.status == "postcopy-active" and not cancelled:
        # the guest runs over there already; what is left of its memory still comes from here
        running = driver.find(ref).running
        if running is not None:
            _follow(_executor(running), job, done=("completed",))
    with driver.locked(ref) as obj:
        if job is None:
            with table.lock:
                job = table.completed.get(ref.uuid)
        if cancelled:
            if job is not None and job.ended is None:
                _end(table, job, "cancelled")
            if obj.active:
                _back_to_running(driver, obj, job or Job(obj.uuid, out=True, flags=flags))
            return
        if job is not None and job.ended is None:
            _end(table, job, None)
        if job is not None:
            _job_completed(driver, obj, job)
        if obj.active and obj.running is not None:
            obj.running.migrating = False
            driver._kill_and_stop(obj, ShutoffReason.MIGRATED)
    if flags & MigrateFlags.UNDEFINE_SOURCE:
        with contextlib.suppress(VirtError):  # a transient domain is gone already
            _forget(driver, ref)


def _forget(driver: QemuDriver, ref: DomainRef) -> None:
    """UNDEFINE_SOURCE: the source forgets the domain, its snapshots' metadata with it, without the
    *Undefined* event an undefine sends (libvirt 9.0's qemuDomainRemoveInactive sends none either)."""
    driver.drop_all_snapshots(ref, forget=True)
    with driver.locked(ref) as obj:
        if obj.config is not None:
            driver.definitions.delete(obj.name)
            obj.autostart = False
        if not obj.active:
            driver._remove(obj)  # while its definition still names it
        else:
            obj.config = None  # runs on as a transient domain


def _peer_to_peer(
    driver: QemuDriver, ref: DomainRef, dconnuri: str, params: MigrationParams, flags: MigrateFlags
) -> None:
    """libvirt's qemuMigrationSrcPerformPeer2Peer3 with parameters: this host talks to the destination."""
    import virt

    try:
        dest = virt.open(dconnuri)
    except VirtError as exc:
        raise errors.operation_failed(f"Failed to connect to remote libvirt URI {dconnuri}: {exc.message}") from exc
    with dest:
        target = dest._writable("virDomainMigratePrepare3Params")
        cookie, xml = begin(driver, ref, params, flags)
        prepare_params = params if params.dest_xml is not None else params.but(dest_xml=xml)
        cookie, uri_out = target.migrate_prepare(cookie, prepare_params, flags & ~MigrateFlags.PEER2PEER)
        sent = params.but(uri=uri_out) if uri_out else params
        # finish finds the arrived domain by its name there, which libvirtd wants given
        finish_params = sent.but(dest_xml=None, dest_name=params.dest_name or ref.name)
        plain = flags & ~MigrateFlags.PEER2PEER
        try:
            cookie = perform(driver, ref, None, sent, cookie, plain)
        except VirtError:
            with contextlib.suppress(VirtError):
                target.migrate_finish(finish_params, cookie, plain, True)
            raise
        try:
            _, cookie = target.migrate_finish(finish_params, cookie, plain, False)
        except VirtError:
            confirm(driver, ref, params, b"", plain, True)
            raise
        confirm(driver, ref, params, cookie, plain, False)


def abandon(driver: QemuDriver, name: str) -> None:
    """The client that prepared the incoming migration of ``name`` went away before finish: its
    paused QEMU is killed (*Stopped Failed*) and a transient domain forgotten."""
    table = migrations_of(driver)
    with table.lock:
        job = table.incoming.get(name)
    if job is None or job.ended is not None:
        return
    _end(table, job, "the client that prepared the migration went away")
    obj = driver.by_name(name)
    if obj is None or obj.uuid != job.uuid:
        return
    with obj.lock:
        if obj.running is not None and obj.state == DomainState.PAUSED:
            log.warning("domain %s: abandoning its incoming migration (its client went away)", name)
            driver._kill_and_stop(obj, ShutoffReason.FAILED)


# -- the job and its tunables --------------------------------------------------------------------------------
def job_info(driver: QemuDriver, ref: DomainRef, completed: bool) -> JobInfo | None:
    """The domain's migration job (running, or with ``completed`` the last one), None when it has none."""
    table = migrations_of(driver)
    with table.lock:
        job = table.completed.get(ref.uuid) if completed else table.running.get(ref.uuid)
    return job.info() if job is not None else None


def abort(driver: QemuDriver, ref: DomainRef) -> None:
    table = migrations_of(driver)
    with table.lock:
        job = table.running.get(ref.uuid)
    if job is None:
        driver.find(ref)
        raise errors.error(ErrorNumber.OPERATION_INVALID, "no job is active on the domain")
    if not job.out:
        raise errors.error(
            ErrorNumber.OPERATION_INVALID, "cannot abort incoming migration; use virDomainDestroy instead"
        )
    job.aborted = True
    running = driver.find(ref).running
    if running is None:
        raise errors.not_running()
    _executor(running)("migrate_cancel")


def start_post_copy(driver: QemuDriver, ref: DomainRef) -> None:
    table = migrations_of(driver)
    with table.lock:
        job = table.running.get(ref.uuid)
    if job is None or not job.out:
        driver.find(ref)
        raise errors.error(
            ErrorNumber.OPERATION_INVALID, "post-copy can only be started while outgoing migration is in progress"
        )
    if not job.flags & MigrateFlags.POSTCOPY:
        raise errors.error(
            ErrorNumber.OPERATION_INVALID,
            "switching to post-copy migration requires migration to be started with VIR_MIGRATE_POSTCOPY flag",
        )
    running = driver.find(ref).running
    if running is None:
        raise errors.not_running()
    _executor(running)("migrate-start-postcopy")


def set_max_speed(driver: QemuDriver, ref: DomainRef, bandwidth: int, postcopy: bool) -> None:
    if bandwidth > UNLIMITED_SPEED:
        raise errors.error(ErrorNumber.OVERFLOW, f"bandwidth must be less than {UNLIMITED_SPEED + 1}")
    settings = migrations_of(driver).settings_of(ref.uuid)
    obj = driver.find(ref)
    running = obj.running
    if running is not None and running.monitor is not None:
        key = "max-postcopy-bandwidth" if postcopy else "max-bandwidth"
        _executor(running)("migrate-set-parameters", {key: _bytes_per_second(bandwidth)})
    if postcopy:
        settings.postcopy_speed = bandwidth
    else:
        settings.speed = bandwidth


def get_max_speed(driver: QemuDriver, ref: DomainRef, postcopy: bool) -> int:
    driver.find(ref)
    settings = migrations_of(driver).settings_of(ref.uuid)
    return settings.postcopy_speed if postcopy else settings.speed


def _running_qemu(driver: QemuDriver, ref: DomainRef) -> Any:
    """QMP commands to the domain's QEMU (refused when it is not running), without its lock."""
    obj = driver.find(ref)
    running = obj.running
    if running is None or not obj.active:
        raise errors.not_running()
    return _executor(running)


def set_max_downtime(driver: QemuDriver, ref: DomainRef, milliseconds: int) -> None:
    _running_qemu(driver, ref)("migrate-set-parameters", {"downtime-limit": milliseconds})
    migrations_of(driver).settings_of(ref.uuid).downtime = milliseconds


def get_max_downtime(driver: QemuDriver, ref: DomainRef) -> int:
    value = (_running_qemu(driver, ref)("query-migrate-parameters") or {}).get("downtime-limit")
    return int(value) if isinstance(value, int) else DEFAULT_MAX_DOWNTIME


def set_compression_cache(driver: QemuDriver, ref: DomainRef, size: int) -> None:
    _running_qemu(driver, ref)("migrate-set-parameters", {"xbzrle-cache-size": size})
    migrations_of(driver).settings_of(ref.uuid).cache = size


def get_compression_cache(driver: QemuDriver, ref: DomainRef) -> int:
    return int((_running_qemu(driver, ref)("query-migrate-parameters") or {}).get("xbzrle-cache-size", 0))
