"""Domains = the datacenter's virtual machines: listing, lookups, state and info, the power operations.

Power operations check the VM's state first, so that a wrong state fails with libvirt's words
(``domain is not running``...) instead of the server's fault; the operation itself is the
server's task, awaited with progress. Shutdown and reboot ask VMware Tools in the guest.
"""

from __future__ import annotations

import time
import uuid as uuid_module
from typing import Any

from pyVmomi import vim
from virt.driver import DomainRef
from virt.errors import ErrorDomain, ErrorNumber, NotFound, OperationInvalid, VirtError
from virt.info import DomainFilter, DomainInfo, DomainRecord
from virt.states import DomainState, ShutdownMode

from virt_esx.collector import filter_spec, traversal
from virt_esx.server import Server
from virt_esx.vms import DETAIL_PATHS, LIST_PATHS, VmRecord, record, vm_object

# every VM under the datacenter's VM folder, in sub-folders and vApps too
_VM_STEPS = (
    traversal("folder", vim.Folder, "childEntity", "folder", "vapp"),
    traversal("vapp", vim.VirtualApp, "vm"),
)


def not_found(what: str) -> NotFound:
    return NotFound(f"Domain not found: {what}", ErrorNumber.NO_DOMAIN, ErrorDomain.ESX)


def invalid(reason: str) -> OperationInvalid:
    return OperationInvalid(
        f"Requested operation is not valid: {reason}", ErrorNumber.OPERATION_INVALID, ErrorDomain.ESX
    )


def ref_of(vm: VmRecord) -> DomainRef:
    return DomainRef(vm.name, vm.uuid, vm.id)


# -- reading ------------------------------------------------------------------------------------------
def list_all(server: Server) -> list[VmRecord]:
    """Every VM of the datacenter with its summary, in one request (or the fresh snapshot of one)."""
    cached = server.snapshot.listing()
    if cached is not None:
        return cached
    read_at = time.monotonic()
    spec = filter_spec(server.scope.vm_folder, {vim.VirtualMachine: LIST_PATHS}, _VM_STEPS, skip_start=True)
    found = server.retrieve("cannot list the virtual machines", [spec])
    records = [r for r in (record(f) for f in found) if r is not None]
    server.snapshot.store_listing(records, read_at)
    return records


def read(server: Server, key: uuid_module.UUID, *, fresh: bool = False, detailed: bool = False) -> VmRecord:
    """The VM with BIOS UUID ``key`` (from the snapshot unless ``fresh``, with its hardware if
    ``detailed``); NotFound if there is none."""
    if not fresh:
        cached = server.snapshot.get(key)
        if cached is not None and (cached.detailed or not detailed):
            return cached
    read_at = time.monotonic()
    moref = server.snapshot.moref(key)
    if moref is not None:
        found = server.properties(
            "cannot read the virtual machine", vm_object(moref, server.stub), vim.VirtualMachine, DETAIL_PATHS
        )
        current = record(found) if found is not None else None
        if current is not None and current.uuid == key:
            server.snapshot.store(current, read_at)
            return current
        server.snapshot.forget_moref(key)
    with server.call(f"cannot look up the virtual machine with UUID {key}"):
        vm = server.content.searchIndex.FindByUuid(server.scope.datacenter, str(key), True, False)
    if vm is None:
        raise not_found(f"no domain with matching uuid '{key}'")
    found = server.properties("cannot read the virtual machine", vm, vim.VirtualMachine, DETAIL_PATHS)
    current = record(found) if found is not None else None
    if current is None:
        raise not_found(f"no domain with matching uuid '{key}'")
    server.snapshot.store(current, read_at)
    return current


def read_ref(server: Server, ref: DomainRef, *, fresh: bool = False, detailed: bool = False) -> VmRecord:
    return read(server, ref.uuid, fresh=fresh, detailed=detailed)


def filtered(server: Server, filter: DomainFilter) -> list[DomainRef]:
    # the host's autostart list is read once, and only when the filter asks about it
    starting = autostarted(server) if filter.autostart is not None else frozenset()
    refs = []
    for vm in list_all(server):
        facts = DomainRecord(active=vm.active, persistent=True, state=vm.state, autostart=vm.moref in starting)
        if filter.matches(facts):
            refs.append(ref_of(vm))
    return refs


def by_name(server: Server, name: str) -> DomainRef:
    for vm in list_all(server):
        if vm.name == name:
            return ref_of(vm)
    raise not_found(f"no domain with matching name '{name}'")


def by_id(server: Server, id: int) -> DomainRef:
    for vm in list_all(server):
        if vm.id == id and id != -1:
            return ref_of(vm)
    raise not_found(f"no domain with matching id {id}")


def state(server: Server, ref: DomainRef) -> tuple[DomainState, int]:
    return read_ref(server, ref).state, 0


def info(server: Server, ref: DomainRef) -> DomainInfo:
    vm = read_ref(server, ref, detailed=True)
    max_kib = (vm.memory_mb or 0) * 1024
    # a memory limit below the configured size is what the guest can use (libvirt's currentMemory)
    memory_kib = min(max_kib, vm.memory_limit_mb * 1024) if vm.memory_limit_mb is not None else max_kib
    # the server gives no absolute processor time, only 20-second performance samples
    return DomainInfo(state=vm.state, max_memory_kib=max_kib, memory_kib=memory_kib, vcpus=vm.vcpus or 0, cpu_time_ns=0)


# -- power operations ---------------------------------------------------------------------------------
_REFUSALS = {
    "poweredOn": "domain is already running",
    "suspended": "domain is paused (suspended): resume it",
    "poweredOff": "domain is not running",
}


def _changing(server: Server, ref: DomainRef, allowed: tuple[str, ...], refusal: str | None = None) -> VmRecord:
    """The VM read afresh; OperationInvalid when its power state is not one of ``allowed``."""
    vm = read_ref(server, ref, fresh=True)
    if vm.power_state not in allowed:
        raise invalid(refusal or _REFUSALS.get(vm.power_state, f"domain is {vm.power_state}"))
    return vm


def _power_task(server: Server, vm: VmRecord, method: str, verb: str, words: str) -> None:
    try:
        server.run_task(
            lambda: getattr(vm.obj, method)(),
            action=f"cannot {verb} domain '{vm.name}'",
            words=f"{words} domain '{vm.name}'",
            vm=vm.obj,
        )
    finally:
        server.snapshot.forget(vm.uuid)


def start(server: Server, ref: DomainRef) -> None:
    vm = _changing(server, ref, ("poweredOff",))
    _power_task(server, vm, "PowerOnVM_Task", "start", "powering on")


def destroy(server: Server, ref: DomainRef) -> None:
    vm = _changing(server, ref, ("poweredOn", "suspended"))
    _power_task(server, vm, "PowerOffVM_Task", "destroy", "powering off")


def suspend(server: Server, ref: DomainRef) -> None:
    vm = _changing(server, ref, ("poweredOn",))
    _power_task(server, vm, "SuspendVM_Task", "suspend", "suspending")


def resume(server: Server, ref: DomainRef) -> None:
    vm = _changing(server, ref, ("suspended",), "domain is not paused")
    _power_task(server, vm, "PowerOnVM_Task", "resume", "resuming")


def reset(server: Server, ref: DomainRef) -> None:
    vm = _changing(server, ref, ("poweredOn",))
    _power_task(server, vm, "ResetVM_Task", "reset", "resetting")


def _guest_request(server: Server, ref: DomainRef, mode: ShutdownMode, method: str, verb: str) -> None:
    if mode & ~ShutdownMode.GUEST_AGENT:
        # VMware Tools is the guest's only agent; ACPI, initctl and signals are not offered by the API
        raise VirtError(
            f"argument unsupported: {verb} through {mode!r} is not possible with ESX, only through VMware Tools"
            " (the guest agent)",
            ErrorNumber.ARGUMENT_UNSUPPORTED,
            ErrorDomain.ESX,
        )
    vm = _changing(server, ref, ("poweredOn",))
    try:
        with server.call(f"cannot {verb} domain '{vm.name}' (VMware Tools must run in the guest)"):
            getattr(vm.obj, method)()
    finally:
        server.snapshot.forget(vm.uuid)


def shutdown(server: Server, ref: DomainRef, mode: ShutdownMode) -> None:
    _guest_request(server, ref, mode, "ShutdownGuest", "shut down")


def reboot(server: Server, ref: DomainRef, mode: ShutdownMode) -> None:
    _guest_request(server, ref, mode, "RebootGuest", "reboot")


def undefine(server: Server, ref: DomainRef) -> None:
    """Unregister the VM; its files stay on the datastore, as with libvirt's ESX driver."""
    vm = _changing(server, ref, ("poweredOff", "suspended"), "domain is running: destroy it first")
    try:
        with server.call(f"cannot undefine domain '{vm.name}'"):
            vm.obj.UnregisterVM()
    finally:
        server.snapshot.forget_moref(vm.uuid)
        server.snapshot.clear()


# -- autostart ----------------------------------------------------------------------------------------
def _autostart_manager(server: Server) -> Any:
    host = server.properties(
        "cannot read the host's autostart manager",
        server.scope.host,
        vim.HostSystem,
        ["configManager.autoStartManager"],
    )
    manager = host.get("configManager.autoStartManager") if host is not None else None
    if manager is None:
        raise VirtError("the host has no autostart manager", ErrorNumber.NO_SUPPORT, ErrorDomain.ESX)
    return manager


def _autostart_config(server: Server) -> tuple[Any, Any]:
    manager = _autostart_manager(server)
    found = server.properties(
        "cannot read the host's autostart configuration", manager, vim.host.AutoStartManager, ["config"]
    )
    if found is None:
        # a server may name a manager it does not implement (the simulator does)
        raise VirtError(
            f"cannot read the host's autostart configuration: the server has no object {manager._moId}",
            ErrorNumber.NO_SUPPORT,
            ErrorDomain.ESX,
        )
    config = found.get("config")
    if config is None:
        raise VirtError(
            "cannot read the host's autostart configuration: the server gave none",
            ErrorNumber.OPERATION_FAILED,
            ErrorDomain.ESX,
        )
    return manager, config


def autostarted(server: Server) -> frozenset[str]:
    """The VMs (managed object ids) the host starts with itself: its autostart is on and their entry
    says power on."""
    _, config = _autostart_config(server)
    if not getattr(config.defaults, "enabled", False):
        return frozenset()
    return frozenset(
        entry.key._moId
        for entry in config.powerInfo or []
        if entry.key is not None and str(entry.startAction).lower() == "poweron"
    )


def set_autostart(server: Server, ref: DomainRef, enabled: bool) -> None:
    vm = read_ref(server, ref)
    manager, config = _autostart_config(server)
    spec = vim.host.AutoStartManager.Config()
    if enabled and not getattr(config.defaults, "enabled", False):
        # a VM's entry does nothing while the host's autostart is off: turn it on, as libvirt does
        spec.defaults = vim.host.AutoStartManager.SystemDefaults(enabled=True)
    spec.powerInfo = [
        vim.host.AutoStartManager.AutoPowerInfo(
            key=vm.obj,
            startAction="powerOn" if enabled else "none",
            startDelay=-1,
            startOrder=-1,
            stopAction="systemDefault",
            stopDelay=-1,
            waitForHeartbeat="systemDefault",
        )
    ]
    with server.call(f"cannot {'enable' if enabled else 'disable'} autostart of domain '{vm.name}'"):
        manager.ReconfigureAutostart(spec)


def autostart_of(server: Server, ref: DomainRef) -> bool:
    return read_ref(server, ref).moref in autostarted(server)
