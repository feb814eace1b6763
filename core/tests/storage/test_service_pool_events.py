"""The storage service's pool events: the lifecycle and refresh events libvirt's storage driver
emits for the same calls (storage_driver.c), in order, delivered by the service's hub."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from pathlib import Path

import pytest
from storage_helpers import dir_pool
from virt.poolevents import StoragePoolEvent, StoragePoolEventID, StoragePoolEventType
from virt.storage.backend import BuildFlags
from virt.storage.service import StorageService

T = StoragePoolEventType


def _take(events: queue.SimpleQueue[StoragePoolEvent], count: int) -> list[tuple[str, StoragePoolEventType | None]]:
    return [(e.pool.name, e.type) for e in (events.get(timeout=5) for _ in range(count))]


@pytest.fixture
def events(service: StorageService) -> Iterator[queue.SimpleQueue[StoragePoolEvent]]:
    found: queue.SimpleQueue[StoragePoolEvent] = queue.SimpleQueue()
    unsubscribe = service.events.subscribe(found.put)
    yield found
    unsubscribe()
    service.events.close()  # its delivery thread


def test_a_pool_life_emits_libvirt_events_in_order(
    service: StorageService, events: queue.SimpleQueue[StoragePoolEvent], tmp_path: Path
) -> None:
    service.define(dir_pool("p", tmp_path / "pool"))
    service.build("p", BuildFlags())
    service.start("p")
    service.refresh("p")
    service.destroy("p")
    service.delete("p")
    service.undefine("p")
    assert _take(events, 7) == [
        ("p", T.DEFINED), ("p", T.CREATED), ("p", T.STARTED), ("p", None), ("p", T.STOPPED),
        ("p", T.DELETED), ("p", T.UNDEFINED),
    ]  # fmt: skip
    assert events.empty()


def test_a_transient_pool_starts_and_stops(
    service: StorageService, events: queue.SimpleQueue[StoragePoolEvent], tmp_path: Path
) -> None:
    (tmp_path / "pool").mkdir()
    state = service.create(dir_pool("t", tmp_path / "pool"))
    service.destroy("t")
    found = [events.get(timeout=5) for _ in range(2)]
    assert [(e.pool.name, e.pool.uuid, e.id, e.type) for e in found] == [
        ("t", state.uuid, StoragePoolEventID.LIFECYCLE, T.STARTED),
        ("t", state.uuid, StoragePoolEventID.LIFECYCLE, T.STOPPED),
    ]


def test_a_failed_call_emits_nothing(
    service: StorageService, events: queue.SimpleQueue[StoragePoolEvent], tmp_path: Path
) -> None:
    service.define(dir_pool("p", tmp_path / "pool"))
    with pytest.raises(Exception, match="not active"):
        service.refresh("p")
    with pytest.raises(Exception, match="not active"):
        service.destroy("p")
    service.undefine("p")
    assert _take(events, 2) == [("p", T.DEFINED), ("p", T.UNDEFINED)]
