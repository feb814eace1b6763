"""The hooks of virt-xen: nothing heavy is imported here, the converters load on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.hookspecs import hookimpl

if TYPE_CHECKING:
    from virt.registry import DriverRegistry, NativeFormatRegistry


@hookimpl
def register_native_formats(register: NativeFormatRegistry) -> None:
    register("xen-xl", from_native="virt_xen.xlcfg:from_native", to_native="virt_xen.xlcfg:to_native")
    register("xen-xm", from_native="virt_xen.xlcfg:xm_from_native", to_native="virt_xen.xlcfg:xm_to_native")


def probe_default_uri() -> str | None:
    """``xen:///system`` on a Xen control domain, for root (libvirt's libxlDriverShouldLoad)."""
    import os

    try:
        with open("/proc/xen/capabilities") as file:
            control = file.read(9) == "control_d"
    except OSError:
        return None
    return "xen:///system" if control and os.geteuid() == 0 else None


@hookimpl
def register_drivers(register: DriverRegistry) -> None:
    # own_transports: xen+ssh://host/ runs xl on that dom0 over ssh from here (no daemon needed there)
    register(
        "xen",
        schemes=["xen"],
        connection="virt_xen.connection:XenConnection",
        probe=probe_default_uri,
        own_transports=["ssh"],
    )
