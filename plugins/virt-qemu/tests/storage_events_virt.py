"""Run by virt's Python against ``qemu:///system`` in process (argv[1] a folder for the pools): the
steps of storage_events_script.py through virt's own API, printing the events it sees the same way."""

import json
import sys
import threading
from collections.abc import Callable

import virt
from virt.connection import StoragePool
from virt.poolevents import StoragePoolEvent, StoragePoolEventID

folder = sys.argv[1]
seen: list[list[object]] = []
done = threading.Event()


def on_event(tag: str) -> Callable[[StoragePool, StoragePoolEvent], None]:
    def record(pool: StoragePool, event: StoragePoolEvent) -> None:
        if event.type is None:
            seen.append([tag, pool.name, "refresh"])
        else:
            seen.append([tag, pool.name, int(event.type), event.detail])
        if len(seen) == 14:
            done.set()

    return record


with virt.open("qemu:///system") as conn:
    pool = conn.define_storage_pool(
        f"<pool type='dir'><name>ev1</name><target><path>{folder}/ev1</path></target></pool>"
    )
    conn.add_storage_pool_event_callback(on_event("all"))
    conn.add_storage_pool_event_callback(on_event("all"), event_id=StoragePoolEventID.REFRESH)
    conn.add_storage_pool_event_callback(on_event("ev1"), pool)
    pool.build()
    pool.start()
    pool.refresh()
    vol = pool.create_volume("<volume><name>r.img</name><capacity unit='M'>1</capacity></volume>")
    with vol.upload(0, 4096) as transfer:
        transfer.put(b"x" * 4096)
        transfer.complete()
    vol.delete()
    pool.destroy()
    pool.delete()
    pool.undefine()
    other = conn.create_storage_pool(f"<pool type='dir'><name>ev2</name><target><path>{folder}</path></target></pool>")
    other.destroy()
    done.wait(10)
print(json.dumps(seen))
