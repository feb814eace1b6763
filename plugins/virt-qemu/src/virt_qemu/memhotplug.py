"""Memory (DIMM) hotplug and unplug of ``qemu:///`` connections, as libvirt 9.0's QEMU driver does it
(qemuDomainAttachMemory, qemuDomainDetachPrepMemory, qemuDomainRemoveMemoryDevice).

Plug: the DIMM is checked against the live definition (its NUMA cell, slot, the slots and the
hotplug space left under ``<maxMemory>``), gets the lowest free slot and the alias ``dimm<slot>``,
then QEMU gets its ``memory-backend-ram`` (``object-add``) and its ``pc-dimm`` (``device_add``);
``<memory>`` grows by its size, ``<currentMemory>`` is the balloon's size again (the whole memory
without a balloon), and DEVICE_ADDED names the backend (``memdimm<slot>``), as libvirt's does.
Unplug: ``device_del``, then as for other devices the guest has 5 s to let go (it offlines the
memory and ejects it through ACPI). A guest that refuses says so through ACPI (_OST): QEMU reports
it in ``query-acpi-ospm-status`` and as ACPI_DEVICE_OST, from which DEVICE_REMOVAL_FAILED is
announced (``qmpdomainevents``), and the call fails as libvirt's does. Once QEMU dropped the DIMM
(DEVICE_DELETED), its backend is deleted and the sizes follow (``removed``).
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any

from virt import devicechanges as dc
from virt.domainevents import DeviceAddedEvent
from virt.driver import DomainRef
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.xml.devices import MemoryDevice

from virt_qemu import errors
from virt_qemu import memdevices as md

if TYPE_CHECKING:
    from virt.xml import Domain

    from virt_qemu.driver import QemuDriver
    from virt_qemu.runtime import DomainObj

UNPLUG_TIMEOUT = 5.0
"""How long an unplug waits for the guest (libvirt's QEMU_UNPLUG_TIMEOUT)."""
_EJECT = 3
"""ACPI _OST source: an eject request (the unplug)."""
_OST_FAILURE = 1
"""ACPI _OST status: the guest failed (refused) it."""


def find(definition: Domain, wanted: MemoryDevice, *, live: bool) -> int:
    """The position of the memory device a detach names (virDomainMemoryFindByDef: same model,
    cell and size, and address when it says one), or libvirt's error."""
    size, node = md.size_of(wanted), md.node_of(wanted)
    for n, memory in enumerate(dc.device_list(definition, "memory")):
        if memory.model != wanted.model or md.node_of(memory) != node or md.size_of(memory) != size:
            continue
        if wanted.address is not None and not _same_address(wanted, memory):
            continue
        return n
    if live:
        detail = f"model '{wanted.model}' memory device not present in the domain configuration"
        raise dc.missing(detail, ErrorDomain.QEMU)
    raise dc.missing("matching memory device was not found", ErrorDomain.QEMU)


def _same_address(wanted: MemoryDevice, memory: MemoryDevice) -> bool:
    """libvirt compares a DIMM's whole address: slot and base (the live one has the base QEMU chose)."""
    if memory.address is None or wanted.address is None or memory.address.type != wanted.address.type:
        return False
    return md.slot_of(wanted) == md.slot_of(memory) and md.base_of(wanted) == md.base_of(memory)


def attach_live(driver: QemuDriver, obj: DomainObj, wanted: MemoryDevice) -> None:
    live = obj.live
    assert live is not None
    if wanted.model != "dimm":
        raise dc.unsupported("live attach", f"memory model '{wanted.model}'", ErrorDomain.QEMU)
    memory = wanted.clone()
    # a hotplugged module is rounded to 1 MiB only (QEMU refuses what pc-dimm cannot take)
    md.set_size(memory, md.round_up(md.size_of(memory), md.CELL_ALIGN))
    limits = md.max_memory(live)
    if limits is not None and limits[0] and (live.memory or 0) + md.size_of(memory) > limits[0]:
        raise errors.unsupported(
            f"Attaching memory device with size '{md.size_of(memory)}' would exceed domain's maxMemory config "
            f"size '{limits[0]}'"
        )
    md.validate(live, memory)
    if md.slot_of(memory) is None:
        copy = live.clone()
        dc.device_list(copy, "memory").append(memory)
        md.assign_slots(copy)  # the lowest free slot, as at define
        memory = dc.device_list(copy, "memory")[-1]
    alias = md.alias_of(memory)
    from virt_qemu.command.memory import props

    backend, device = props(memory, align=md.CELL_ALIGN)
    _execute(driver, obj, "object-add", backend)
    try:
        _execute(driver, obj, "device_add", device)
    except BaseException:
        with contextlib.suppress(VirtError):
            driver.qmp(obj, "object-del", {"id": backend["id"]})
        raise
    memory.alias = md.named(alias)
    dc.device_list(live, "memory").append(memory)
    live.memory = (live.memory or 0) + md.size_of(memory)
    with contextlib.suppress(VirtError):  # best effort, as libvirt's (the DIMM is in)
        md.record_bases(live, lambda command: driver.qmp(obj, command))
    refresh_balloon(driver, obj)
    driver._save_status(obj)
    driver._emit_other(DeviceAddedEvent(DomainRef(obj.name, obj.uuid, obj.id), f"mem{alias}"))


def _execute(driver: QemuDriver, obj: DomainObj, command: str, arguments: dict[str, Any]) -> None:
    """A QMP command whose refusal is reported in libvirt's words (QEMU's own description)."""
    from virt_qemu.monitor import QMPError

    try:
        driver.qmp(obj, command, arguments)
    except QMPError as exc:
        if exc.desc is None:
            raise
        raise errors.internal(f"unable to execute QEMU command '{command}': {exc.desc}") from exc


def detach_live(driver: QemuDriver, obj: DomainObj, at: int) -> None:
    """Unplug the live definition's memory device ``at``: wait for the guest as libvirt does."""
    from virt_qemu import hotplug

    live = obj.live
    assert live is not None
    memory = dc.device_list(live, "memory")[at]
    alias = memory.alias.name if memory.alias is not None else None
    if memory.model != "dimm" or alias is None:
        raise dc.unsupported("live detach", f"memory model '{memory.model}'", ErrorDomain.QEMU)
    driver.qmp(obj, "device_del", {"id": alias})
    deadline = time.monotonic() + UNPLUG_TIMEOUT
    while time.monotonic() < deadline:
        present = {str(c.get("name")) for c in driver.qmp(obj, "qom-list", {"path": "/machine/peripheral"})}
        if alias not in present:
            hotplug.device_deleted(driver, obj, alias)
            return
        if _rejected(driver, obj, alias):
            raise errors.error(ErrorNumber.OPERATION_FAILED, "unplug of device was rejected by the guest")
        time.sleep(0.1)
    # libvirt returns with the removal pending: DEVICE_DELETED finishes it (hotplug.device_deleted)


def _rejected(driver: QemuDriver, obj: DomainObj, alias: str) -> bool:
    """Whether the guest answered the eject of the DIMM ``alias`` with a failure (ACPI _OST)."""
    try:
        entries = driver.qmp(obj, "query-acpi-ospm-status")
    except VirtError:
        return False
    refusal = (alias, _EJECT, _OST_FAILURE)
    answers = [e for e in entries or [] if isinstance(e, dict)]
    return any((e.get("device"), e.get("source"), e.get("status")) == refusal for e in answers)


def removed(driver: QemuDriver, obj: DomainObj, memory: MemoryDevice) -> None:
    """QEMU dropped the DIMM (called with the lock held, before it leaves the live definition): its
    backend deleted, ``<memory>`` and the balloon's figure follow."""
    live = obj.live
    assert live is not None
    alias = memory.alias.name if memory.alias is not None else ""
    with contextlib.suppress(VirtError):
        driver.qmp(obj, "object-del", {"id": f"mem{alias}"})
    live.memory = max(0, (live.memory or 0) - md.size_of(memory))


def refresh_balloon(driver: QemuDriver, obj: DomainObj) -> None:
    """libvirt's qemuProcessRefreshBalloonState: ``<currentMemory>`` is the balloon's size, or the
    whole memory without a balloon."""
    from virt_qemu.stats import has_balloon

    live = obj.live
    assert live is not None
    if not has_balloon(live):
        live.current_memory = live.memory
        return
    with contextlib.suppress(VirtError):
        answer: Any = driver.qmp(obj, "query-balloon")
        live.current_memory = int(answer["actual"]) // 1024


def config_added(config: Domain, memory: MemoryDevice) -> None:
    """Before a memory device goes into the persistent definition: a free slot must be left, and
    ``<currentMemory>`` grows by its size (the define rules then make ``<memory>`` the sum)."""
    limits = md.max_memory(config)
    if limits is not None and len(md.dimms(config)) >= limits[1] and memory.model == "dimm":
        raise errors.error(ErrorNumber.OPERATION_INVALID, "no free memory device slot available")
    config.current_memory = (config.current_memory or 0) + md.size_of(memory)


def config_removed(config: Domain, at: int) -> None:
    """A memory device out of the persistent definition: ``<memory>`` and ``<currentMemory>`` lose its size."""
    memory = dc.device_list(config, "memory").pop(at)
    config.memory = max(0, (config.memory or 0) - md.size_of(memory))
    config.current_memory = max(0, (config.current_memory or 0) - md.size_of(memory))


def ost_failure(info: dict[str, Any]) -> str | None:
    """The DIMM whose unplug the guest refused, from ACPI_DEVICE_OST's ``info`` (None otherwise)."""
    if info.get("slot-type") == "DIMM" and info.get("device") and info.get("status") == _OST_FAILURE:
        return str(info["device"])
    return None


__all__ = ["attach_live", "config_added", "config_removed", "detach_live", "find", "ost_failure", "removed"]
