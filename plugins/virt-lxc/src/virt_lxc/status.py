"""The status file of a running container: ``run_dir/status/NAME.xml``, root ``<domstatus>``.

What a new owner of the driver needs to take a running container back without guessing: the
controller's pid and socket, init's pid, the cgroups and host veths it was given, the state,
and the definition it was started with. Rewritten atomically on every change, like libvirt's
``/run/libvirt/lxc/NAME.xml``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.localstate.status import STATE, StatusFiles
from virt.states import DomainState
from virt.xml.base import XmlModel, attribute, child, model, text, texts
from virt.xml.convert import INT
from virt.xml.domain import Domain

if TYPE_CHECKING:
    from virt_lxc.paths import DriverPaths


@model("domstatus")
class DomainStatus(XmlModel):
    state: DomainState | None = attribute("state", STATE)
    reason: int | None = attribute("reason", INT)
    pid: int | None = attribute("pid", INT)
    """The controller's."""
    init: int | None = attribute("init", INT)
    socket: str | None = text("socket")
    start_time: str | None = text("startTime")
    """Seconds since the epoch, as Python's repr of a float."""
    cgroups: str | None = text("cgroups")
    """``ContainerCgroup.to_text()``."""
    veths: list[str] = texts("veth")
    domain: Domain | None = child("domain", Domain)


class StatusStore(StatusFiles[DomainStatus]):
    """The status files of one driver instance: atomic, not durable (the run folder does not
    outlive a crash of the host, nor do containers)."""

    def __init__(self, paths: DriverPaths) -> None:
        super().__init__(paths.status_dir, DomainStatus, durable=False)
