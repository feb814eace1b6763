"""The virtual machines of a connection: what a read of them gives, and a short-lived snapshot.

A listing reads every VM's name, UUID and power state in one request; reads of one VM add its
memory and processors. Reads that follow within ``max_age`` seconds (``virt list`` asking each
domain's state, ``virt dominfo`` asking the state, id and info of one) reuse those answers instead of
a request each; whatever this connection changes is read afresh at once, changes made elsewhere show
after at most ``max_age``. Managed object ids never change for a VM, so the UUID -> VM reference
index is kept for the connection's life.
"""

from __future__ import annotations

import re
import threading
import time
import uuid as uuid_module
from collections.abc import Callable, Iterable
from typing import Any

import attrs
from pyVmomi import vim
from virt.states import DomainState

from virt_esx.collector import Found

LIST_PATHS = ("name", "config.uuid", "runtime.powerState")
"""What a listing reads of each VM: its ref and state."""
DETAIL_PATHS = (*LIST_PATHS, "config.hardware.memoryMB", "config.hardware.numCPU", "config.memoryAllocation.limit")
"""What a read of one VM gets: its info too."""

_STATES = {
    "poweredOn": DomainState.RUNNING,
    "suspended": DomainState.PAUSED,
    "poweredOff": DomainState.SHUTOFF,
}
_DIGITS = re.compile(r"(\d+)$")


def domain_id(moref: str) -> int:
    """libvirt's id of a running VM: the number in its managed object id (``vm-42`` 42, ESX's ``42`` 42)."""
    found = _DIGITS.search(moref)
    return int(found.group(1)) if found else -1


@attrs.frozen
class VmRecord:
    obj: Any
    moref: str
    name: str
    uuid: uuid_module.UUID
    power_state: str
    memory_mb: int | None = None
    """None (with vcpus) when the read did not ask for the VM's hardware (a listing)."""
    vcpus: int | None = None
    memory_limit_mb: int | None = None

    @property
    def detailed(self) -> bool:
        return self.memory_mb is not None and self.vcpus is not None

    @property
    def state(self) -> DomainState:
        return _STATES.get(self.power_state, DomainState.NOSTATE)

    @property
    def active(self) -> bool:
        """Running or suspended: libvirt gives such a VM an id."""
        return self.power_state in ("poweredOn", "suspended")

    @property
    def id(self) -> int:
        return domain_id(self.moref) if self.active else -1


def record(found: Found) -> VmRecord | None:
    """The record of a VM's summary properties, None for a VM without a readable configuration
    (inaccessible or orphaned: the server has no UUID for it)."""
    raw_uuid = found.get("config.uuid")
    if not raw_uuid or found.get("name") is None:
        return None
    try:
        parsed = uuid_module.UUID(str(raw_uuid))
    except ValueError:
        return None
    memory = found.get("config.hardware.memoryMB")
    vcpus = found.get("config.hardware.numCPU")
    limit = found.get("config.memoryAllocation.limit")
    return VmRecord(
        obj=found.obj,
        moref=found.moref,
        name=str(found.get("name")),
        uuid=parsed,
        power_state=str(found.get("runtime.powerState") or ""),
        memory_mb=None if memory is None else int(memory),
        vcpus=None if vcpus is None else int(vcpus),
        memory_limit_mb=int(limit) if limit is not None and int(limit) >= 0 else None,
    )


def vm_object(moref: str, stub: Any) -> Any:
    """A VM reference from its managed object id (no request)."""
    return vim.VirtualMachine(moref, stub)


class Snapshot:
    """VM records by UUID with the time they were read; the listing's order and completeness."""

    def __init__(self, max_age: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[uuid_module.UUID, tuple[float, VmRecord]] = {}
        self._listing: tuple[float, list[uuid_module.UUID]] | None = None
        self._morefs: dict[uuid_module.UUID, str] = {}

    def _fresh(self, read_at: float) -> bool:
        return self._clock() - read_at <= self.max_age

    def store_listing(self, records: Iterable[VmRecord], read_at: float) -> None:
        records = list(records)
        with self._lock:
            self._records = {r.uuid: (read_at, r) for r in records}
            self._listing = (read_at, [r.uuid for r in records])
            self._morefs.update((r.uuid, r.moref) for r in records)

    def store(self, found: VmRecord, read_at: float) -> None:
        with self._lock:
            self._records[found.uuid] = (read_at, found)
            self._morefs[found.uuid] = found.moref

    def listing(self) -> list[VmRecord] | None:
        """The last listing's records, if it is fresh and none of them was forgotten since."""
        with self._lock:
            if self._listing is None or not self._fresh(self._listing[0]):
                return None
            entries = [self._records.get(u) for u in self._listing[1]]
            if any(entry is None for entry in entries):
                return None
            return [entry[1] for entry in entries if entry is not None]

    def get(self, key: uuid_module.UUID) -> VmRecord | None:
        with self._lock:
            entry = self._records.get(key)
        return entry[1] if entry is not None and self._fresh(entry[0]) else None

    def moref(self, key: uuid_module.UUID) -> str | None:
        with self._lock:
            return self._morefs.get(key)

    def forget(self, key: uuid_module.UUID) -> None:
        """Drop what is known of a VM this connection just changed (its next read goes to the server)."""
        with self._lock:
            self._records.pop(key, None)

    def forget_moref(self, key: uuid_module.UUID) -> None:
        with self._lock:
            self._records.pop(key, None)
            self._morefs.pop(key, None)

    def clear(self) -> None:
        """Forget every answer read so far (VMs were added or removed)."""
        with self._lock:
            self._records.clear()
            self._listing = None
