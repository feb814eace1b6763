"""The hooks a virt plugin can implement. Built-in plugins use the very same hooks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from virt.cli.registry import CommandRegistry
    from virt.registry import DriverRegistry, NativeFormatRegistry, StorageBackendRegistry

hookspec = pluggy.HookspecMarker("virt")
hookimpl = pluggy.HookimplMarker("virt")


@hookspec
def register_drivers(register: DriverRegistry) -> None:
    """Register hypervisor drivers by calling ``register(name, schemes=..., connection=...)``; all results are used."""


@hookspec
def register_commands(commands: CommandRegistry) -> None:
    """Add commands to the ``virt`` CLI by calling ``commands.add(...)``; all results are used."""


@hookspec
def register_native_formats(register: NativeFormatRegistry) -> None:
    """Register converters between domain XML and a native format (``xen-xl``, ...); all results are used."""


@hookspec
def register_storage_backends(register: StorageBackendRegistry) -> None:
    """Register storage pool backends by calling ``register(pool_type, backend=...)``; all results are used."""
