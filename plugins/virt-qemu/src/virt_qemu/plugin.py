"""The hooks of virt-qemu: nothing heavy is imported here, the driver loads on the first open."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

from virt.hookspecs import hookimpl

if TYPE_CHECKING:
    from virt.registry import DriverRegistry, NativeFormatRegistry


def probe() -> str | None:
    """``qemu:///system`` for root, ``qemu:///session`` otherwise, when a QEMU binary is installed."""
    if not any(shutil.which(f"qemu-system-{arch}") for arch in ("x86_64", "i386", "aarch64")):
        return None
    return "qemu:///system" if os.geteuid() == 0 else "qemu:///session"


@hookimpl
def register_drivers(register: DriverRegistry) -> None:
    register(
        "qemu",
        schemes=["qemu"],
        connection="virt_qemu.connection:QemuConnection",
        probe=probe,
        session_daemon=True,  # qemu:///session is the user's virtd, as libvirt's is its session daemon
    )


@hookimpl
def register_native_formats(register: NativeFormatRegistry) -> None:
    register("qemu-argv", to_native="virt_qemu.command:domain_to_argv_text")
