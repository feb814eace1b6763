"""What the driver knows of one container: its definitions, state, and while it runs its processes.

libvirt's two definitions: ``config``, the persistent one (a redefinition of a running container
waits there for its next start), and ``live``, the copy it was started with; a transient
container has no ``config``. ``lock`` serialises operations on the domain (libvirt's job).
"""

from __future__ import annotations

import socket
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from virt.states import DomainState

if TYPE_CHECKING:
    from virt.xml import Domain

    from virt_lxc.cgroups import ContainerCgroup


@attrs.define(eq=False)
class Running:
    """The controller and init of a running container."""

    controller_pid: int
    init_pid: int
    socket_path: Path
    cgroup: ContainerCgroup
    veths: tuple[str, ...]
    start_time: float
    watch: socket.socket | None = None
    """The connection on which the controller says when init ends (the watcher thread's)."""
    stopping: str | None = None
    """Why the driver itself is ending it (``destroy``, ``shutdown``, ``reboot``): what init's end means."""


@attrs.define(eq=False)
class DomainObj:
    config: Domain | None
    live: Domain | None = None
    state: DomainState = DomainState.SHUTOFF
    reason: int = 0
    id: int = -1
    autostart: bool = False
    running: Running | None = None
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
