"""Domain XML of a VM and VMs from domain XML, through the VMX mapping (``virt_esx.vmx``).

dumpxml: the VM's configuration (one request) -> .vmx entries (``vmxconfig``) -> the converter's
``from_native``. define: the domain -> the converter's ``to_native`` (for the host's virtual
hardware version) -> a creation spec (``vmxspec``) -> CreateVM_Task in the datacenter's VM folder,
on the URI's host and its resource pool, with the files beside the first disk (libvirt's rule), or on
the first accessible datastore for a domain without disks.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any

from pyVmomi import vim
from virt.driver import DomainRef
from virt.errors import ErrorDomain, ErrorNumber, VirtError

from virt_esx import domains, networks, storage, vmx, vmxconfig, vmxspec
from virt_esx.host import version_number
from virt_esx.server import Server
from virt_esx.vms import DETAIL_PATHS, record
from virt_esx.vmx import syntax

if TYPE_CHECKING:
    from virt.xml import Domain

# the newest virtual hardware of each ESX release (vmx-NN), for the VMs define creates
_HARDWARE_VERSIONS = (
    (8_000_000, 20), (7_000_000, 17), (6_007_000, 14), (6_005_000, 13), (6_000_000, 11),
    (5_005_000, 10), (5_001_000, 9), (5_000_000, 8), (4_000_000, 7),
)  # fmt: skip


def hardware_version(server: Server) -> int:
    """The virtual hardware version for new VMs on this server (4 for ESX 3.5 and older)."""
    number = version_number(str(server.session.about.version or "0"))
    return next((hw for since, hw in _HARDWARE_VERSIONS if number >= since), vmx.DEFAULT_VIRTUAL_HW_VERSION)


def _context(server: Server, moref: str | None, vmx_path: str | None = None) -> vmx.Context:
    """The conversion's facts; a bare file name in the .vmx at datastore path ``vmx_path`` lies beside it."""
    parts = storage.split_datastore_path(vmx_path) if vmx_path else None
    folder = vmx.context.UNKNOWN_FOLDER
    if parts is not None:
        directory = posixpath.dirname(parts[1])
        folder = f"[{parts[0]}] {directory}" if directory else f"[{parts[0]}]"
    return vmx.Context(parse_file_name=vmx.in_folder(folder), datacenter_path=server.scope.datacenter_path, moref=moref)


def definition(server: Server, ref: DomainRef, *, inactive: bool = False) -> Domain:
    """The VM as domain XML; the live one (not ``inactive``) of a running VM carries its id."""
    vm = domains.read_ref(server, ref)
    found = server.properties(
        f"cannot read the configuration of domain '{vm.name}'", vm.obj, vim.VirtualMachine, ["config"]
    )
    config = found.get("config") if found is not None else None
    if config is None:
        raise VirtError(
            f"the configuration of domain '{vm.name}' cannot be read (the VM is inaccessible)",
            ErrorNumber.OPERATION_FAILED,
            ErrorDomain.ESX,
        )
    names: dict[str, str] = {}
    if vmxconfig.uses_distributed_port_groups(config):
        names = {group.key: group.name for group in networks.port_groups(server) if group.key}
    text = syntax.format_entries(vmxconfig.config_entries(config, names.get))
    files = getattr(config, "files", None)
    domain = vmx.from_native(text, context=_context(server, vm.moref, getattr(files, "vmPathName", None)))
    if vm.active and not inactive:
        domain.id = vm.id
    return domain


def _network_backing(server: Server) -> vmxspec.NetworkBacking:
    groups: list[networks.PortGroup] | None = None

    def backing(name: str) -> Any:
        nonlocal groups
        if groups is None:
            groups = networks.port_groups(server)
        group = next((g for g in groups if g.name == name), None)
        if group is None:
            known = ", ".join(g.name for g in groups) or "none"
            raise networks.not_found(f"no network (port group) named '{name}' on the host (there is: {known})")
        card = vim.vm.device.VirtualEthernetCard
        if not group.distributed:
            return card.NetworkBackingInfo(deviceName=group.name, network=group.obj)
        found = server.properties(
            f"cannot read distributed port group '{name}'", group.obj, vim.dvs.DistributedVirtualPortgroup,
            ["config.distributedVirtualSwitch"],
        )  # fmt: skip
        switch = found.get("config.distributedVirtualSwitch") if found is not None else None
        switch_found = server.properties(
            f"cannot read the switch of port group '{name}'", switch, vim.DistributedVirtualSwitch, ["uuid"]
        ) if switch is not None else None  # fmt: skip
        if switch_found is None or not switch_found.get("uuid"):
            raise VirtError(
                f"the switch of port group '{name}' cannot be read", ErrorNumber.OPERATION_FAILED, ErrorDomain.ESX
            )
        port = vim.dvs.PortConnection(switchUuid=switch_found.get("uuid"), portgroupKey=group.key)
        return card.DistributedVirtualPortBackingInfo(port=port)

    return backing


def _vm_path(server: Server, entries: syntax.VmxFile, name: str) -> str:
    disk = vmxspec.first_disk_path(entries)
    if disk is not None:
        parts = storage.split_datastore_path(disk)
        if parts is None:
            raise VirtError(
                f"cannot define domain '{name}': disk '{disk}' is not on a datastore ('[datastore] dir/file.vmdk')",
                ErrorNumber.CONFIG_UNSUPPORTED,
                ErrorDomain.ESX,
            )
        directory = posixpath.dirname(parts[1])
        return f"[{parts[0]}] {directory}/{name}.vmx" if directory else f"[{parts[0]}]"
    stores = [s for s in storage.datastores(server) if s.accessible]
    if not stores:
        raise VirtError(
            f"cannot define domain '{name}': the host has no accessible datastore",
            ErrorNumber.OPERATION_FAILED,
            ErrorDomain.ESX,
        )
    return f"[{stores[0].name}]"


def define(server: Server, domain: Domain) -> DomainRef:
    """A new VM for ``domain``; an existing name or UUID is refused (the server's VM is not edited)."""
    name = domain.name or ""
    for vm in domains.list_all(server):
        if vm.name == name or (domain.uuid is not None and vm.uuid == domain.uuid):
            raise VirtError(
                f"operation failed: domain '{vm.name}' already exists with uuid {vm.uuid}"
                " (redefining an existing VM is not supported)",
                ErrorNumber.DOM_EXIST,
                ErrorDomain.ESX,
            )
    entries = syntax.parse(
        vmx.to_native(domain, context=_context(server, None), virtual_hw_version=hardware_version(server))
    )
    spec = vmxspec.create_spec(entries, _vm_path(server, entries, name), _network_backing(server))
    scope = server.scope
    try:
        created = server.run_task(
            lambda: scope.vm_folder.CreateVM_Task(config=spec, pool=scope.resource_pool, host=scope.host),
            action=f"cannot define domain '{name}'",
            words=f"creating domain '{name}'",
        )
    finally:
        server.snapshot.clear()
    found = server.properties(f"cannot read the new domain '{name}'", created, vim.VirtualMachine, DETAIL_PATHS)
    new = record(found) if found is not None else None
    if new is None:
        raise VirtError(
            f"domain '{name}' was created but cannot be read back", ErrorNumber.OPERATION_FAILED, ErrorDomain.ESX
        )
    return domains.ref_of(new)
