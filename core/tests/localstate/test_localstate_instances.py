"""virt.localstate.instances: one driver instance per process and folders."""

from __future__ import annotations

from virt.localstate.instances import Instances


def test_instances_are_shared_and_closed_by_the_last_user() -> None:
    class Driver:
        def __init__(self, key: str) -> None:
            self.key, self.closed = key, False

        def close(self) -> None:
            self.closed = True

    instances: Instances[str, Driver] = Instances(Driver, lambda driver: driver.key)
    first = instances.acquire("a")
    assert instances.acquire("a") is first and instances.acquire("b") is not first
    assert instances.table["a"] == (first, 2)
    instances.release(first)
    assert not first.closed
    instances.release(first)
    assert first.closed and "a" not in instances.table
    instances.release(first)  # once more: nothing
