"""virt.eventcallbacks: one driver subscription per event id while it has callbacks, handles unique
across ids, predicates, and no event from before a callback's registration."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import attrs
import pytest
from virt.driver import StoragePoolRef
from virt.errors import InvalidArgument
from virt.eventcallbacks import EventCallbacks
from virt.poolevents import StoragePoolEvent, StoragePoolEventType


class FakeDriver:
    def __init__(self) -> None:
        self.subscribed: dict[int, Callable[[StoragePoolEvent], None]] = {}
        self.subscriptions = 0

    def subscribe(self, event_id: int, callback: Callable[[StoragePoolEvent], None]) -> Callable[[], None]:
        assert event_id not in self.subscribed
        self.subscribed[event_id] = callback
        self.subscriptions += 1
        return lambda: self.subscribed.pop(event_id)


POOL = StoragePoolRef("p", uuid.uuid4())
OTHER = StoragePoolRef("q", uuid.uuid4())


def test_subscriptions_follow_the_callbacks() -> None:
    driver, table = FakeDriver(), EventCallbacks[StoragePoolEvent]()
    seen: list[tuple[str, str]] = []
    first = table.add(0, lambda e: seen.append(("all", e.pool.name)), lambda e: True, driver.subscribe)
    second = table.add(0, lambda e: seen.append(("p", e.pool.name)), lambda e: e.pool == POOL, driver.subscribe)
    refresh = table.add(1, lambda e: seen.append(("refresh", e.pool.name)), lambda e: True, driver.subscribe)
    assert len({first, second, refresh}) == 3 and driver.subscriptions == 2
    driver.subscribed[0](StoragePoolEvent.lifecycle(OTHER, StoragePoolEventType.STARTED))
    driver.subscribed[0](StoragePoolEvent.lifecycle(POOL, StoragePoolEventType.STOPPED))
    driver.subscribed[1](StoragePoolEvent.refresh(POOL))
    assert seen == [("all", "q"), ("all", "p"), ("p", "p"), ("refresh", "p")]
    table.remove(first)
    assert set(driver.subscribed) == {0, 1}
    table.remove(second)
    assert set(driver.subscribed) == {1}
    with pytest.raises(InvalidArgument, match=f"could not find event callback {second} for deletion"):
        table.remove(second)
    table.clear()
    assert driver.subscribed == {}


def test_an_event_from_before_the_registration_is_not_delivered() -> None:
    driver, table = FakeDriver(), EventCallbacks[StoragePoolEvent]()
    early = StoragePoolEvent.lifecycle(POOL, StoragePoolEventType.DEFINED)
    seen: list[StoragePoolEvent] = []
    table.add(0, seen.append, lambda e: True, driver.subscribe)
    late = attrs.evolve(early, type=StoragePoolEventType.STARTED, moment=early.moment + 3600)
    driver.subscribed[0](early)
    driver.subscribed[0](late)
    assert seen == [late]


def test_a_failing_callback_leaves_the_others_their_event() -> None:
    driver, table = FakeDriver(), EventCallbacks[StoragePoolEvent]()
    seen: list[str] = []

    def broken(event: StoragePoolEvent) -> None:
        raise RuntimeError("broken")

    table.add(0, broken, lambda e: True, driver.subscribe)
    table.add(0, lambda e: seen.append(e.pool.name), lambda e: True, driver.subscribe)
    driver.subscribed[0](StoragePoolEvent.lifecycle(POOL, StoragePoolEventType.STARTED))
    assert seen == ["p"]
