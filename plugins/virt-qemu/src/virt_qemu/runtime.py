"""What the driver knows of one domain: its definitions, state, and while running its QEMU.

A domain keeps libvirt's two definitions: ``config``, the persistent one (what the next boot
uses, so a redefinition of a running domain waits there), and ``live``, the copy it was started
with; a transient domain has no ``config``. ``lock`` serialises operations on the domain (libvirt's
job): hold it while talking to its monitor or changing its state.
"""

from __future__ import annotations

import subprocess
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from virt.states import DomainState

if TYPE_CHECKING:
    from virt.xml import Domain

    from virt_qemu.caps import QemuCaps
    from virt_qemu.monitor import Monitor


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
    power_events: int = 0
    """SHUTDOWN and RESET events seen: the guest agent's guest-shutdown, which sends no reply when it
    works, has worked once this grows (read by an agent call without the domain's lock)."""
    agent_lock: threading.Lock = attrs.field(factory=threading.Lock, repr=False)
    """One guest-agent conversation at a time (libvirt's agent job); taken without the domain's lock,
    so that QEMU's events go on being handled while the agent is waited for."""


@attrs.define(eq=False)
class DomainObj:
    config: Domain | None
    live: Domain | None = None
    state: DomainState = DomainState.SHUTOFF
    reason: int = 0
    id: int = -1
    autostart: bool = False
    running: Running | None = None
    broken: str | None = None
    """Why the driver refuses to operate this running domain (its status file is unusable)."""
    lock: threading.RLock = attrs.field(factory=threading.RLock, repr=False)

    @property
    def current(self) -> Domain:
        definition = self.live if self.live is not None else self.config
        assert definition is not None, "a domain has at least one definition"
        return definition

    @property
    def name(self) -> str:
        assert self.current.name is not None
        return self.current.name

    @property
    def uuid(self) -> uuid.UUID:
        assert self.current.uuid is not None
        return self.current.uuid

    @property
    def active(self) -> bool:
        # libvirt's virDomainObjIsActive: a domain is active exactly while it holds an id.
        return self.id != -1

    @property
    def persistent(self) -> bool:
        return self.config is not None
