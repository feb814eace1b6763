"""The hooks of virt-xen: nothing heavy is imported here, the converters load on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.hookspecs import hookimpl

if TYPE_CHECKING:
    from virt.registry import NativeFormatRegistry


@hookimpl
def register_native_formats(register: NativeFormatRegistry) -> None:
    register("xen-xl", from_native="virt_xen.xlcfg:from_native", to_native="virt_xen.xlcfg:to_native")
    register("xen-xm", from_native="virt_xen.xlcfg:xm_from_native", to_native="virt_xen.xlcfg:xm_to_native")
