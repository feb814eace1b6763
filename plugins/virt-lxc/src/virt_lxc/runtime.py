"""What the driver knows of one container: its definitions, state, and while it runs its processes.

libvirt's two definitions: ``config``, the persistent one (a redefinition of a running container
waits there for its next start), and ``live``, the copy it was started with; a transient
container has no ``config``. ``lock`` serialises operations on the domain (libvirt's job).
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from virt.localstate.domains import LocalDomain

if TYPE_CHECKING:
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
class DomainObj(LocalDomain):
    """A domain of this driver: ``LocalDomain``'s definitions and state, and while it runs its processes."""

    running: Running | None = None
