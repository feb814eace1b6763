"""What the driver knows of one domain: its definitions, state, and while running its QEMU.

A domain keeps libvirt's two definitions: ``config``, the persistent one (what the next boot
uses, so a redefinition of a running domain waits there), and ``live``, the copy it was started
with; a transient domain has no ``config``. ``lock`` serialises operations on the domain (libvirt's
job): hold it while talking to its monitor or changing its state.
"""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from virt.localstate.domains import LocalDomain

if TYPE_CHECKING:
    from virt_qemu.blockjobs import BlockJob
    from virt_qemu.caps import QemuCaps
    from virt_qemu.monitor import Monitor
    from virt_qemu.snapshotstate import SnapshotList


@attrs.define(eq=False)
class Running:
    """The QEMU process of a running domain."""

    pid: int
    monitor_socket: Path
    run_dir: Path
    log_file: Path
    caps: QemuCaps | None
    """None only for a domain taken back from a status file lacking its capabilities (see ``broken``)."""
    start_time: float
    caps_json: str | None = None
    """``caps`` as the status file holds it (serialised once per run)."""
    popen: subprocess.Popen[bytes] | None = None
    """Only when this process started QEMU (a reconnected QEMU is not our child)."""
    monitor: Monitor | None = None
    destroying: bool = False
    """Set while the driver itself stops QEMU: its monitor closing is then expected."""
    got_shutdown: bool = False
    """QEMU reported SHUTDOWN: the monitor closing afterwards is a shutdown, not a crash."""
    fake_reboot: bool = False
    """A reboot was asked through ACPI: the guest's power-off becomes a reset (libvirt's fakeReboot)."""
    rtc_adjustment0: int = 0
    """A variable clock's adjustment at start (libvirt's adjustment0): QEMU's RTC_CHANGE offsets count
    from it. Not kept in the status file (0 for a QEMU taken back after a restart of the driver)."""
    power_events: int = 0
    """SHUTDOWN and RESET events seen: the guest agent's guest-shutdown, which sends no reply when it
    works, has worked once this grows (read by an agent call without the domain's lock)."""
    migrating: bool = False
    """A migration of this QEMU (out or in) is under way: it stops and resumes the processors itself and
    sets the states that go with it, so QEMU's STOP and RESUME events are not followed meanwhile."""
    agent_lock: threading.Lock = attrs.field(factory=threading.Lock, repr=False)
    """One guest-agent conversation at a time (libvirt's agent job); taken without the domain's lock,
    so that QEMU's events go on being handled while the agent is waited for."""
    block_jobs: dict[str, BlockJob] = attrs.field(factory=dict, repr=False)
    """The block jobs the driver started, by disk target, until it acted on their end (``blockjobs``)."""
    jobs_adopted: bool = False
    """Whether the block jobs a previous owner of this QEMU wrote down were taken back (``blockjobs``)."""
    chain_ids: dict[str, int] = attrs.field(factory=dict, repr=False)
    """libvirt's index of each disk image by path (``vda[N]``), numbered on first use (``blockjobs``)."""


@attrs.define(eq=False)
class DomainObj(LocalDomain):
    """A domain of this driver: ``LocalDomain``'s definitions and state, and while it runs its processes."""

    running: Running | None = None
    agent_timeout: int = -1
    """Seconds the agent's replies are waited for (virDomainAgentSetResponseTimeout: -2 without end,
    -1 the default, 0 not at all); kept while the driver runs, as libvirt keeps it in memory."""
    broken: str | None = None
    """Why the driver refuses to operate this running domain (its status file is unusable)."""
    snapshot_list: SnapshotList | None = None
    """Its snapshots, read from the state folder on first use (``snapshotstate``)."""
