"""The VM snapshot: a listing answers the reads that follow it for ``max_age`` seconds, no longer."""

from __future__ import annotations

import uuid

from virt.states import DomainState
from virt_esx.vms import Snapshot, VmRecord, domain_id


def vm(name: str, power: str = "poweredOn") -> VmRecord:
    return VmRecord(None, f"vm-{len(name)}", name, uuid.uuid5(uuid.NAMESPACE_DNS, name), power, 64, 1, None)


def test_reads_within_max_age_reuse_the_listing() -> None:
    now = [100.0]
    snapshot = Snapshot(1.0, clock=lambda: now[0])
    web, db = vm("web"), vm("db", "suspended")
    snapshot.store_listing([web, db], read_at=now[0])
    now[0] += 0.5
    assert snapshot.listing() == [web, db]
    assert snapshot.get(db.uuid) == db and db.state == DomainState.PAUSED and db.id == 2
    now[0] += 0.6
    assert snapshot.listing() is None and snapshot.get(db.uuid) is None
    assert snapshot.moref(db.uuid) == "vm-2"  # the reference outlives the answers


def test_a_change_through_the_connection_drops_that_vm_and_the_listing() -> None:
    now = [0.0]
    snapshot = Snapshot(1.0, clock=lambda: now[0])
    web, db = vm("web"), vm("db")
    snapshot.store_listing([web, db], read_at=0.0)
    snapshot.forget(web.uuid)
    assert snapshot.get(web.uuid) is None and snapshot.get(db.uuid) == db
    assert snapshot.listing() is None  # a listing missing one VM's answer is no listing
    snapshot.forget_moref(db.uuid)
    assert snapshot.moref(db.uuid) is None


def test_ids_are_the_numbers_of_running_vms_references() -> None:
    assert (domain_id("vm-42"), domain_id("42"), domain_id("vm")) == (42, 42, -1)
    assert vm("off", "poweredOff").id == -1 and vm("off", "poweredOff").state == DomainState.SHUTOFF
