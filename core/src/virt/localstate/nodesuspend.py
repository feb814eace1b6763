"""virNodeSuspendForDuration of the local drivers, as libvirt 9.0's virNodeSuspend refuses it: the
flags, the target, then whether the host can suspend to that target at all, asked of systemd-logind
(CanSuspend, CanHibernate, CanHybridSleep over the system bus) or else pm-utils' ``pm-is-supported``;
a host that cannot is refused with libvirt's words (*argument unsupported: Suspend-to-RAM*). virt
never suspends the host it runs on: where the host could, the call is refused saying so."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, libvirt_error
from virt.hostcalls import SuspendTarget

SYSTEM_BUS = Path("/run/dbus/system_bus_socket")
_WORDS = {
    SuspendTarget.MEM: "Suspend-to-RAM",
    SuspendTarget.DISK: "Suspend-to-Disk",
    SuspendTarget.HYBRID: "Hybrid-Suspend",
}
_LOGIND = {SuspendTarget.MEM: "CanSuspend", SuspendTarget.DISK: "CanHibernate", SuspendTarget.HYBRID: "CanHybridSleep"}
_PM_UTILS = {
    SuspendTarget.MEM: "--suspend",
    SuspendTarget.DISK: "--hibernate",
    SuspendTarget.HYBRID: "--suspend-hybrid",
}


def host_can(target: SuspendTarget) -> bool:
    """Whether the host can suspend to ``target`` (libvirt's virNodeSuspendGetTargetMask)."""
    busctl = shutil.which("busctl")
    if busctl is not None and SYSTEM_BUS.exists():
        done = subprocess.run(
            [busctl, "call", "org.freedesktop.login1", "/org/freedesktop/login1",
             "org.freedesktop.login1.Manager", _LOGIND[target]],
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
        if done.returncode == 0:
            return done.stdout.split()[-1:] == ['"yes"']
    probe = shutil.which("pm-is-supported")
    if probe is not None:
        return subprocess.run([probe, _PM_UTILS[target]], capture_output=True, timeout=10, check=False).returncode == 0
    return False


def suspend_for_duration(target: int, duration: int, flags: int) -> None:
    if flags:
        raise InvalidArgument(f"unsupported flags (0x{flags:x}) in function virNodeSuspend", ErrorNumber.INVALID_ARG)
    if target not in SuspendTarget.__members__.values():
        raise libvirt_error(ErrorNumber.INVALID_ARG, "Invalid suspend target")
    chosen = SuspendTarget(target)
    if not host_can(chosen):
        raise libvirt_error(ErrorNumber.ARGUMENT_UNSUPPORTED, _WORDS[chosen])
    raise libvirt_error(
        ErrorNumber.OPERATION_UNSUPPORTED,
        f"virt does not suspend the host it runs on ({_WORDS[chosen]} for {duration} s)",
        ErrorDomain.NONE,
    )
