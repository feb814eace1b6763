"""virt.migration without hypervisors: the typed parameters both ways, libvirt's refusals, the
client's order of the v3 phases (and their undoing), and the stall policy on a scripted job."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from virt.domainstats import JobInfo, JobType, ParamType, TypedParameter
from virt.driver import DomainRef
from virt.errors import ErrorNumber, InvalidArgument, VirtError
from virt.migration import (
    MigrateFlags,
    MigrationParams,
    StallAction,
    StallPolicy,
    check_flags,
    migrate,
    remaining_memory,
)
from virt.states import DomainState

REF = DomainRef("g", uuid.UUID("0b7c8c0e-4c0f-4b8e-9d3a-5f1e2d3c4b5a"), 3)


def test_parameters_travel_as_libvirt_names_them() -> None:
    params = MigrationParams(uri="tcp:h", dest_name="n", bandwidth=5, migrate_disks=("vda", "vdb"), disks_port=7)
    typed = params.typed()
    assert [(p.field, p.type, p.value) for p in typed] == [
        ("migrate_uri", ParamType.STRING, "tcp:h"),
        ("destination_name", ParamType.STRING, "n"),
        ("bandwidth", ParamType.ULLONG, 5),
        ("disks_port", ParamType.INT, 7),
        ("migrate_disks", ParamType.STRING, "vda"),
        ("migrate_disks", ParamType.STRING, "vdb"),
    ]
    assert MigrationParams.from_typed(typed) == params


@pytest.mark.parametrize(
    ("param", "message"),
    [
        (TypedParameter("nope", ParamType.STRING, "x"), "argument unsupported: parameter 'nope' not supported"),
        (
            TypedParameter("bandwidth", ParamType.STRING, "x"),
            "invalid argument: invalid type 'string' for parameter 'bandwidth', expected 'ullong'",
        ),
    ],
)
def test_parameters_refused_as_libvirt_refuses_them(param: TypedParameter, message: str) -> None:
    with pytest.raises(VirtError) as refused:
        MigrationParams.from_typed([param])
    assert refused.value.message == message


def test_a_single_parameter_given_twice_is_refused() -> None:
    twice = [TypedParameter("destination_name", ParamType.STRING, n) for n in ("a", "b")]
    with pytest.raises(InvalidArgument, match="parameter 'destination_name' occurs multiple times"):
        MigrationParams.from_typed(twice)


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (MigrateFlags.NON_SHARED_DISK | MigrateFlags.NON_SHARED_INC, "mutually exclusive"),
        (MigrateFlags.LIVE | MigrateFlags.OFFLINE, "'live' and 'offline' are mutually exclusive"),
        (MigrateFlags.TUNNELLED, "tunnelled migration requires peer2peer"),
    ],
)
def test_flag_combinations_libvirt_refuses(flags: MigrateFlags, words: str) -> None:
    with pytest.raises(InvalidArgument, match=words):
        check_flags(flags, MigrationParams())


def test_stall_policy_needs_a_positive_timeout() -> None:
    with pytest.raises(InvalidArgument, match="more than 0 seconds"):
        StallPolicy(0)


def _job(remaining: int) -> JobInfo:
    return JobInfo(
        JobType.UNBOUNDED,
        data_total=1000,
        data_remaining=remaining,
        params=(
            TypedParameter("memory_remaining", ParamType.ULLONG, remaining),
            TypedParameter("memory_dirty_rate", ParamType.ULLONG, 2560),
            TypedParameter("memory_bps", ParamType.ULLONG, 1 << 20),
        ),
    )


def test_remaining_memory_prefers_the_statistics() -> None:
    assert remaining_memory(_job(42)) == 42
    assert remaining_memory(JobInfo(JobType.UNBOUNDED, mem_remaining=7)) == 7
    assert remaining_memory(JobInfo(JobType.NONE)) is None


class _Source:
    """A source host whose migration runs until aborted (or switched to post-copy), its remaining
    memory scripted; and a destination; both record the phases asked of them."""

    def __init__(self, remaining: list[int], *, fail_perform: bool = False) -> None:
        self.remaining = remaining
        self.calls: list[tuple[str, Any]] = []
        self.ended = threading.Event()
        self.fail_perform = fail_perform

    # the driver's phases
    def migrate_begin(self, ref: DomainRef, params: MigrationParams, flags: MigrateFlags) -> tuple[bytes, str]:
        self.calls.append(("begin", params))
        return b"c1", "<domain/>"

    def migrate_prepare(self, cookie: bytes, params: MigrationParams, flags: MigrateFlags) -> tuple[bytes, str | None]:
        self.calls.append(("prepare", params))
        return b"c2", "tcp:dest:49152"

    def migrate_perform(
        self, ref: DomainRef, dconnuri: str | None, params: MigrationParams, cookie: bytes, flags: MigrateFlags
    ) -> bytes:
        self.calls.append(("perform", (dconnuri, params, cookie)))
        if self.fail_perform:
            raise VirtError("operation failed: migration out job: boom", ErrorNumber.OPERATION_FAILED)
        if self.remaining:
            if not self.ended.wait(10):
                raise AssertionError("the stall policy never stepped in")
            if ("postcopy", None) in self.calls:
                return b"c3"  # the rest of the guest's memory follows it
            raise VirtError("operation aborted: migration out job: canceled by client", ErrorNumber.OPERATION_ABORTED)
        return b"c3"

    def migrate_finish(
        self, params: MigrationParams, cookie: bytes, flags: MigrateFlags, cancelled: bool
    ) -> tuple[DomainRef | None, bytes]:
        self.calls.append(("finish", (params, cookie, cancelled)))
        return REF, b"c4"

    def migrate_confirm(
        self, ref: DomainRef, params: MigrationParams, cookie: bytes, flags: MigrateFlags, cancelled: bool
    ) -> None:
        self.calls.append(("confirm", (cookie, cancelled)))

    # what virt.migration asks of the connection and the domain
    def _writable(self, operation: str) -> _Source:
        return self

    @property
    def connection(self) -> _Source:
        return self

    ref = REF
    name = REF.name

    def state(self) -> Any:
        return type("State", (), {"state": DomainState.RUNNING})()

    def job_info(self) -> JobInfo:
        return _job(self.remaining.pop(0) if len(self.remaining) > 1 else self.remaining[0])

    def abort_job(self) -> None:
        self.calls.append(("abort", None))
        self.ended.set()

    def migrate_start_post_copy(self) -> None:
        self.calls.append(("postcopy", None))
        self.ended.set()


def test_the_client_runs_the_phases_in_libvirts_order() -> None:
    host = _Source([])
    migrate(host, host, flags=MigrateFlags.LIVE, params=MigrationParams(bandwidth=3))  # type: ignore[arg-type]
    phases = [name for name, _ in host.calls]
    assert phases == ["begin", "prepare", "perform", "finish", "confirm"]
    prepared = host.calls[1][1]
    assert prepared.dest_xml == "<domain/>" and prepared.bandwidth == 3
    _, performed, cookie = host.calls[2][1]
    assert performed.uri == "tcp:dest:49152" and cookie == b"c2"
    finished, cookie, cancelled = host.calls[3][1]
    assert finished.dest_name == "g" and finished.dest_xml is None and cookie == b"c3" and not cancelled
    assert host.calls[4][1] == (b"c4", False)


def test_a_failed_perform_is_undone_on_both_sides() -> None:
    host = _Source([], fail_perform=True)
    with pytest.raises(VirtError, match="boom"):
        migrate(host, host, flags=MigrateFlags.LIVE)  # type: ignore[arg-type]
    assert [(n, a[-1]) for n, a in host.calls if n in ("finish", "confirm")] == [("finish", True), ("confirm", True)]


def test_the_stall_policy_aborts_and_says_why() -> None:
    host = _Source([900, 500, 300, 300, 301, 299])
    seen: list[int] = []
    with pytest.raises(VirtError) as failure:
        migrate(  # type: ignore[arg-type]
            host,
            host,
            flags=MigrateFlags.LIVE,
            listener=lambda job: seen.append(job.data_remaining),
            stall=StallPolicy(0.3),
            interval=0.02,
        )
    message = failure.value.message
    assert message.startswith("migration stalled: 0.0 MiB of memory remaining has not shrunk for 0.")
    assert "(guest dirtying 10.0 MiB/s, sending 1.0 MiB/s); aborted: operation aborted" in message
    assert failure.value.code == ErrorNumber.OPERATION_ABORTED
    assert ("abort", None) in host.calls
    assert seen[:3] == [900, 500, 300]


def test_the_stall_policy_switches_to_post_copy() -> None:
    host = _Source([300])
    migrate(  # type: ignore[arg-type]
        host,
        host,
        flags=MigrateFlags.LIVE | MigrateFlags.POSTCOPY,
        stall=StallPolicy(0.2, StallAction.POSTCOPY),
        interval=0.02,
    )
    phases = [name for name, _ in host.calls]
    assert phases == ["begin", "prepare", "perform", "postcopy", "finish", "confirm"]


def test_post_copy_on_stall_needs_the_postcopy_flag() -> None:
    host = _Source([])
    with pytest.raises(InvalidArgument, match="needs the POSTCOPY flag"):
        migrate(host, host, stall=StallPolicy(1, StallAction.POSTCOPY))  # type: ignore[arg-type]


def test_peer_to_peer_hands_the_destination_uri_to_the_source() -> None:
    host = _Source([])
    assert migrate(host, dest_uri="qemu+tcp://b/system", flags=MigrateFlags.PEER2PEER) is None  # type: ignore[arg-type]
    assert [name for name, _ in host.calls] == ["perform"]
    assert host.calls[0][1][0] == "qemu+tcp://b/system"
    with pytest.raises(InvalidArgument, match="needs the destination's URI"):
        migrate(host, flags=MigrateFlags.PEER2PEER)  # type: ignore[arg-type]
