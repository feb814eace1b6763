"""The hooks of virt-esx: nothing heavy is imported here, pyVmomi loads on the first open."""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.hookspecs import hookimpl

if TYPE_CHECKING:
    from virt.registry import DriverRegistry, NativeFormatRegistry


@hookimpl
def register_drivers(register: DriverRegistry) -> None:
    register(
        "esx",
        schemes=["esx", "gsx", "vpx"],
        connection="virt_esx.connection:EsxConnection",
        own_hosts=True,  # a client-side driver: esx://HOST/ is reached over the vSphere API, not libvirtd
    )
    # VMware Workstation, Player and Fusion on this host, through vmrun (libvirt's vmware driver);
    # a URI with a host goes to the remote driver, as libvirt's does
    register(
        "vmware",
        schemes=["vmwarews", "vmwareplayer", "vmwarefusion"],
        connection="virt_esx.workstation:WorkstationConnection",
    )


@hookimpl
def register_native_formats(register: NativeFormatRegistry) -> None:
    register("vmware-vmx", from_native="virt_esx.vmx:from_native", to_native="virt_esx.vmx:to_native")
