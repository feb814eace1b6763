"""Taking back, from their status files, the containers another owner of the driver started.

A container is ours again when its controller still runs (the pid's command line is
``virt_lxc.controller`` with the container's UUID: not a reused pid); the new owner reconnects
its watch and goes on. A controller gone meanwhile means the container ended while nobody
watched: its exit record says how (else it crashed), its leftovers are cleaned, its status file
removed, and a transient one disappears. Nothing running is ever killed here.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from virt.errors import VirtError
from virt.states import DomainState, PausedReason

from virt_lxc import process
from virt_lxc.cgroups import ContainerCgroup
from virt_lxc.hosterror import HostError
from virt_lxc.runtime import DomainObj, Running

if TYPE_CHECKING:
    from virt_lxc.driver import LxcDriver
    from virt_lxc.status import DomainStatus

log = logging.getLogger(__name__)


def reconnect_all(driver: LxcDriver) -> None:
    for path, status in driver.statuses.readable(driver.unreadable_status):
        try:
            reconnect(driver, status)
        except (VirtError, HostError, ValueError) as exc:
            message = exc.message if isinstance(exc, VirtError | HostError) else str(exc)
            driver.unreadable_status[str(path)] = message
            log.error("cannot take back the container of %s (left in place): %s", path, message)


def reconnect(driver: LxcDriver, status: DomainStatus) -> None:
    definition = status.domain
    if definition is None or definition.name is None or definition.uuid is None:
        raise ValueError("the status file has no <domain> with a name and a UUID")
    if status.pid is None or status.init is None or not status.socket or status.cgroups is None:
        raise ValueError(f"the status file of container '{definition.name}' lacks its pids, socket or cgroups")
    existing = driver.by_uuid(definition.uuid)
    obj = existing if existing is not None else DomainObj(config=None)
    running = Running(
        controller_pid=status.pid,
        init_pid=status.init,
        socket_path=Path(status.socket),
        cgroup=ContainerCgroup.from_text(status.cgroups),
        veths=tuple(status.veths),
        start_time=float(status.start_time or 0.0),
    )
    definition.id = None
    obj.live, obj.running, obj.id = definition, running, status.pid
    state = status.state if status.state is not None else DomainState.RUNNING
    obj.state, obj.reason = state, status.reason or 0
    if obj.uuid not in driver.domains:
        driver._add(obj)
    with obj.lock:
        if not process.is_controller(status.pid, str(definition.uuid), status.init):
            log.warning("container %s: its controller (pid %d) ended while nobody watched", obj.name, status.pid)
            driver.ended_now(obj, running, None, gone=True)
            return
        _refresh_pause(driver, obj, running)
        driver.watch(obj, running)


def _refresh_pause(driver: LxcDriver, obj: DomainObj, running: Running) -> None:
    """The freezer is the truth about a pause (someone may have thawed it by hand meanwhile)."""
    try:
        frozen = running.cgroup.frozen()
    except HostError:
        return
    if frozen and obj.state != DomainState.PAUSED:
        driver.set_state(obj, DomainState.PAUSED, PausedReason.UNKNOWN)
    elif not frozen and obj.state == DomainState.PAUSED:
        from virt.states import RunningReason

        driver.set_state(obj, DomainState.RUNNING, RunningReason.UNPAUSED)
