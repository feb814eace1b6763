"""``virt pool-event`` and ``virt nodedev-event``: virsh's listeners, run in-process while another
thread changes pools and devices; their lists and errors as virsh words them."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import virt as virt_api
from cli_helpers import TEST_URI, Run
from virt.testing import VIRSH, need_virsh

POOL = "<pool type='dir'><name>clipool</name><target><path>/tmp/clipool</path></target></pool>"
VHBA = (
    "<device><parent>scsi_host1</parent><capability type='scsi_host'><capability type='fc_host'>"
    "<wwnn>2000000012341234</wwnn><wwpn>1000000012341234</wwpn></capability></capability></device>"
)
Actions = Callable[[virt_api.Connection], None]


@pytest.fixture
def in_background() -> Iterator[Callable[[str, Actions], None]]:
    """Run ``actions(conn)`` in a thread on its own test:///default connection once the command
    listens to the host's hub (``pool_events`` or ``node_device_events``)."""
    threads: list[threading.Thread] = []
    errors: list[BaseException] = []
    conn = virt_api.open(TEST_URI)

    def start(hub: str, actions: Actions) -> None:
        def body() -> None:
            try:
                deadline = time.monotonic() + 10
                while not getattr(conn.driver.host, hub).subscribed:  # type: ignore[attr-defined]
                    assert time.monotonic() < deadline, "the command never registered its callback"
                    time.sleep(0.01)
                actions(conn)
            except BaseException as exc:  # noqa: BLE001 - reported by the fixture: a thread cannot fail a test
                errors.append(exc)

        thread = threading.Thread(target=body, daemon=True)
        threads.append(thread)
        thread.start()

    yield start
    for thread in threads:
        thread.join(10)
    conn.close()
    if errors:
        raise errors[0]


def _pool_life(conn: virt_api.Connection) -> None:
    pool = conn.define_storage_pool(POOL)
    pool.start()
    pool.refresh()
    pool.destroy()
    pool.undefine()


def test_pool_lifecycle_loop(virt: Run, in_background: Callable[[str, Actions], None]) -> None:
    in_background("pool_events", _pool_life)
    result = virt("pool-event", "--event", "lifecycle", "--loop", "--timeout", "2")
    assert (result.status, result.err) == (0, "")
    assert result.out == (
        "event 'lifecycle' for storage pool clipool: Defined\n"
        "event 'lifecycle' for storage pool clipool: Started\n"
        "event 'lifecycle' for storage pool clipool: Stopped\n"
        "event 'lifecycle' for storage pool clipool: Undefined\n"
        "event loop timed out\nevents received: 4\n\n"
    )


def test_pool_refresh_one_shot_with_timestamp(virt: Run, in_background: Callable[[str, Actions], None]) -> None:
    in_background("pool_events", _pool_life)
    result = virt("pool-event", "--event", "refresh", "--timestamp", "--timeout", "10")
    assert result.status == 0
    line, *rest = result.out.split("\n")
    assert line.endswith("+0000: event 'refresh' for storage pool clipool") and line[4] == "-"
    assert rest == ["events received: 1", "", ""]


def test_pool_filter(virt: Run, in_background: Callable[[str, Actions], None]) -> None:
    def actions(conn: virt_api.Connection) -> None:
        _pool_life(conn)
        conn.lookup_storage_pool_by_name("default-pool").refresh()

    in_background("pool_events", actions)
    result = virt("pool-event", "--event", "refresh", "--pool", "default-pool", "--timeout", "10")
    assert result.out == "event 'refresh' for storage pool default-pool\nevents received: 1\n\n"


def test_nodedev_lifecycle(virt: Run, in_background: Callable[[str, Actions], None]) -> None:
    in_background("node_device_events", lambda conn: conn.create_node_device(VHBA).destroy())
    result = virt("nodedev-event", "--event", "lifecycle", "--loop", "--timeout", "2")
    assert result.out == (
        "event 'lifecycle' for node device scsi_host12: Created\n"
        "event 'lifecycle' for node device scsi_host12: Deleted\n"
        "event loop timed out\nevents received: 2\n\n"
    )


def _virsh(*argv: str) -> tuple[int, str, str]:
    done = subprocess.run([VIRSH, "-c", TEST_URI, *argv], capture_output=True, text=True, timeout=30)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ("pool-event", "--list"),
        ("pool-event",),
        ("pool-event", "--event", "nosuch"),
        ("pool-event", "--event", "refresh", "--timeout", "0"),
        ("pool-event", "--event", "lifecycle", "--timeout", "1"),
        ("nodedev-event", "--list"),
        ("nodedev-event",),
        ("nodedev-event", "--event", "lifecycle", "--timeout", "x"),
        ("nodedev-event", "--event", "lifecycle", "--device", "nosuch"),
        ("nodedev-event", "--event", "update", "--device", "computer", "--timeout", "1"),
    ],
    ids=" ".join,
)
def test_as_virsh(virt: Run, argv: tuple[str, ...]) -> None:
    need_virsh()
    result = virt(*argv)
    assert (1 if result.status else 0, result.out, result.err) == _virsh(*argv)


def test_unknown_pool(virt: Run) -> None:
    # virsh 9.0 says this, then hangs in its cleanup: compared with its words, not run
    result = virt("pool-event", "--event", "lifecycle", "--pool", "nosuch")
    assert (result.status, result.err) == (
        1,
        "error: failed to get pool 'nosuch'\nerror: Storage pool not found: no storage pool with matching name 'nosuch'\n",
    )
