"""Job locks: changes to one domain run one at a time, changes to different domains side by side,
and a driver that blocks runs in the worker threads without holding up the event loop."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
import virt
import virt.plugins
from dispatch_helpers import FakeClient, remote
from virt.daemon.jobs import JobLocks
from virt.driver import DomainRef, DriverConnection
from virt.registry import DriverRegistry
from virt.remote.messages import REMOTE_PROCEDURES
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.remote.protocol import Header, MessageType, Program, Status
from virt.states import DomainState

SLOW = 0.15
DOMAINS = {name: DomainRef(name, uuid.uuid5(uuid.NAMESPACE_DNS, name), 1) for name in ("a", "b")}


class SlowConnection(DriverConnection):
    """A driver whose changes take a while, recording how many run at once, per domain and overall."""

    driver_name = "SLOW"
    lock = threading.Lock()
    running: ClassVar[dict[str, int]] = {}
    most: ClassVar[dict[str, int]] = {}
    overall = 0
    most_overall = 0

    def lookup_domain_by_name(self, name: str) -> DomainRef:
        return DOMAINS[name]

    def get_domain_state(self, ref: DomainRef) -> tuple[DomainState, int]:
        return DomainState.RUNNING, 1

    def suspend_domain(self, ref: DomainRef) -> None:
        cls = SlowConnection
        with cls.lock:
            cls.running[ref.name] = cls.running.get(ref.name, 0) + 1
            cls.most[ref.name] = max(cls.most.get(ref.name, 0), cls.running[ref.name])
            cls.overall += 1
            cls.most_overall = max(cls.most_overall, cls.overall)
        time.sleep(SLOW)
        with cls.lock:
            cls.running[ref.name] -= 1
            cls.overall -= 1


class SlowPlugin:
    @virt.hookimpl
    def register_drivers(self, register: DriverRegistry) -> None:
        register("slow", schemes=["slow"], connection=SlowConnection)


def test_job_locks_serialise_one_key_and_forget_it_afterwards() -> None:
    locks = JobLocks()
    order: list[str] = []

    async def job(key: str, name: str) -> None:
        async with locks.hold(key):
            order.append(f"{name}+")
            await asyncio.sleep(0.01)
            order.append(f"{name}-")

    async def main() -> None:
        await asyncio.gather(job("k", "1"), job("k", "2"), job("other", "3"))

    asyncio.run(main())
    assert order.index("1-") < order.index("2+")  # same key: one after the other, in arrival order
    assert order.index("3+") < order.index("1-")  # another key does not wait
    assert len(locks) == 0


def test_job_locks_taken_at_once_and_waiters_that_give_up() -> None:
    locks = JobLocks()
    got: list[str] = []

    async def waiter(name: str) -> None:
        async with locks.hold("k"):
            got.append(name)

    async def main() -> None:
        assert locks.try_take("k") and not locks.try_take("k")
        first = asyncio.ensure_future(waiter("first"))
        second = asyncio.ensure_future(waiter("second"))
        third = asyncio.ensure_future(waiter("third"))
        await asyncio.sleep(0.01)
        first.cancel()  # gives up while waiting: skipped
        await asyncio.sleep(0.01)
        locks.release("k")  # to "second", whose task is cancelled before it runs: it passes the key on
        second.cancel()
        await asyncio.gather(first, second, third, return_exceptions=True)

    asyncio.run(main())
    assert got == ["third"]
    assert len(locks) == 0


def test_changes_to_one_domain_serialise_and_to_two_overlap(
    tmp_path: Path, register_plugin: Callable[..., virt.plugins.Plugins]
) -> None:
    register_plugin(SlowPlugin())
    with remote(tmp_path, workers=8) as front:
        clients = [front.open(FakeClient(), "slow:///") for _ in range(6)]
        refs = {name: front.call(clients[0], P.DOMAIN_LOOKUP_BY_NAME, {"name": name})["dom"] for name in DOMAINS}
        suspend = REMOTE_PROCEDURES[P.DOMAIN_SUSPEND].args
        state = REMOTE_PROCEDURES[P.DOMAIN_GET_STATE].args

        async def call(client: FakeClient, procedure: P, payload: bytes) -> bytes | None:
            header = Header(Program.REMOTE, 1, procedure, MessageType.CALL, 1, Status.OK)
            return await front.dispatcher.dispatch(client, header, payload)

        async def main() -> tuple[list[Any], float]:
            changes = [
                call(client, P.DOMAIN_SUSPEND, suspend.encode({"dom": refs["ab"[i % 2]]}))
                for i, client in enumerate(clients)
            ]
            started = time.perf_counter()
            tasks = [asyncio.ensure_future(change) for change in changes]
            await asyncio.sleep(SLOW / 3)
            # a read of a domain being changed does not wait for the change
            await call(clients[0], P.DOMAIN_GET_STATE, state.encode({"dom": refs["a"], "flags": 0}))
            read_after = time.perf_counter() - started
            return list(await asyncio.gather(*tasks)), read_after

        replies, read_after = front.loop.run_until_complete(main())
    for reply in replies:
        _assert_ok(reply)
    assert SlowConnection.most == {"a": 1, "b": 1}
    assert SlowConnection.most_overall == 2
    assert read_after < SLOW


def _assert_error(reply: bytes | None) -> None:
    from virt.remote import protocol

    assert reply is not None
    assert protocol.parse_header(reply).status == Status.ERROR


def _assert_ok(reply: bytes | None) -> None:
    from virt.remote import protocol

    assert reply is not None
    assert protocol.parse_header(reply).status == Status.OK


@pytest.fixture(autouse=True)
def _fresh_counts() -> None:
    SlowConnection.running, SlowConnection.most = {}, {}
    SlowConnection.overall = SlowConnection.most_overall = 0


class SlowOpenConnection(DriverConnection):
    """A driver whose open waits for ``release``; records the connections closed."""

    driver_name = "SLOWOPEN"
    release = threading.Event()
    opened = threading.Event()
    closed: ClassVar[list[int]] = []

    def __init__(self, uri: Any, *, readonly: bool = False) -> None:
        super().__init__(uri, readonly=readonly)
        SlowOpenConnection.opened.set()
        assert SlowOpenConnection.release.wait(10)

    def close(self) -> None:
        SlowOpenConnection.closed.append(id(self))


class SlowOpenPlugin:
    @virt.hookimpl
    def register_drivers(self, register: DriverRegistry) -> None:
        register("slowopen", schemes=["slowopen"], connection=SlowOpenConnection)


def test_a_connection_opened_after_its_client_left_is_closed(
    tmp_path: Path, register_plugin: Callable[..., virt.plugins.Plugins]
) -> None:
    register_plugin(SlowOpenPlugin())
    with remote(tmp_path) as front:
        client = FakeClient()
        payload = REMOTE_PROCEDURES[P.CONNECT_OPEN].args.encode({"name": "slowopen:///", "flags": 0})
        header = Header(Program.REMOTE, 1, P.CONNECT_OPEN, MessageType.CALL, 1, Status.OK)

        async def main() -> bytes | None:
            opening = asyncio.ensure_future(front.dispatcher.dispatch(client, header, payload))
            await asyncio.to_thread(SlowOpenConnection.opened.wait, 10)
            front.dispatcher.client_closed(client)  # the client hangs up mid-open
            SlowOpenConnection.release.set()
            return await opening

        reply = front.loop.run_until_complete(main())
        _assert_error(reply)
        assert len(SlowOpenConnection.closed) == 1  # before the front's own cleanup could close it
