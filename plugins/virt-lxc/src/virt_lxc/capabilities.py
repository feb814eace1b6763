"""Linux capabilities by name, and which ones a container's init loses under each policy.

The names are those of ``man 7 capabilities`` without ``CAP_``, lower case, as libvirt's
``<features><capabilities>`` children are named. libvirt's documented policies:
``default`` drops a few dangerous capabilities (and what the XML turns off, keeping what it
turns on); ``allow`` keeps everything but what is turned off; ``deny`` drops everything but
what is turned on.
"""

from __future__ import annotations

from pathlib import Path

from virt_lxc.spec import Capabilities

NUMBERS: dict[str, int] = {
    name: number
    for number, name in enumerate(
        (
            "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid",
            "setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
            "ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
            "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod",
            "lease", "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",
            "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
        )
    )
}  # fmt: skip

DROPPED_BY_DEFAULT = frozenset(NUMBERS[n] for n in ("sys_module", "sys_time", "mknod", "audit_control", "mac_admin"))
"""What the ``default`` policy drops unless the XML turns it on: no module loading, no setting the
host's clock, no device nodes, no auditing or LSM changes. ``sys_boot`` is kept: in a PID
namespace ``reboot(2)`` only ends the container, which is how its init reboots or powers off."""


def last_capability() -> int:
    """The highest capability number this kernel knows."""
    try:
        return int(Path("/proc/sys/kernel/cap_last_cap").read_text().strip())
    except (OSError, ValueError):
        return max(NUMBERS.values())


def to_drop(capabilities: Capabilities, last: int) -> frozenset[int]:
    """The capability numbers (up to ``last``) the container's init must lose."""
    states = dict(capabilities.states)
    everything = range(last + 1)
    if capabilities.policy == "deny":
        return frozenset(n for n in everything if states.get(n) is not True)
    if capabilities.policy == "allow":
        return frozenset(n for n in everything if states.get(n) is False)
    dropped = {n for n in DROPPED_BY_DEFAULT if n <= last and states.get(n) is not True}
    dropped.update(n for n, keep in states.items() if not keep and n <= last)
    return frozenset(dropped)
