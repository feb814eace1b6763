"""The hooks of virt-bhyve: nothing heavy is imported here, the converters load on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.hookspecs import hookimpl

if TYPE_CHECKING:
    from virt.registry import DriverRegistry, NativeFormatRegistry


@hookimpl
def register_native_formats(register: NativeFormatRegistry) -> None:
    register("bhyve-argv", from_native="virt_bhyve.argv:from_native", to_native="virt_bhyve.argv:to_native")


@hookimpl
def register_drivers(register: DriverRegistry) -> None:
    # own_transports: bhyve+ssh://host/ runs the tools on that FreeBSD host over ssh (no daemon needed there)
    register("bhyve", schemes=["bhyve"], connection="virt_bhyve.connection:BhyveConnection", own_transports=["ssh"])
