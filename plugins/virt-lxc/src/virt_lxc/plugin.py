"""The hooks of virt-lxc: nothing heavy is imported here, the driver loads on the first open."""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.hookspecs import hookimpl

if TYPE_CHECKING:
    from virt.cli.registry import CommandRegistry
    from virt.registry import DriverRegistry, NativeFormatRegistry


@hookimpl
def register_drivers(register: DriverRegistry) -> None:
    # No probe: libvirt asks QEMU before LXC for a default URI, and plugins have no order here,
    # so lxc:/// is only ever opened by name.
    register("lxc", schemes=["lxc"], connection="virt_lxc.connection:LxcConnection")


@hookimpl
def register_commands(commands: CommandRegistry) -> None:
    from virt_lxc import cli

    cli.register(commands)


@hookimpl
def register_native_formats(register: NativeFormatRegistry) -> None:
    # libvirt's LXC driver converts LXC tools configurations to domain XML, not back
    register("lxc-tools", from_native="virt_lxc.lxctools:from_native")
