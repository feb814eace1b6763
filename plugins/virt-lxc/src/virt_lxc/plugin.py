"""The hooks of virt-lxc: nothing heavy is imported here, the driver loads on the first open."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from virt.hookspecs import hookimpl

if TYPE_CHECKING:
    from virt.registry import DriverRegistry


def probe() -> str | None:
    """``lxc:///`` for root on Linux (containers need root, as libvirt's lxc:///system does)."""
    return "lxc:///" if os.geteuid() == 0 and os.path.isdir("/proc/self/ns") else None


@hookimpl
def register_drivers(register: DriverRegistry) -> None:
    register("lxc", schemes=["lxc"], connection="virt_lxc.connection:LxcConnection", probe=probe)
