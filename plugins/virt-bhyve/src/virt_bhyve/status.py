"""The status file of a running domain: ``status_dir/NAME.xml``, root ``<domstatus>``.

What a new owner of the driver needs to take a running domain back: the pid of its bhyve process
(libvirt's domain id), its state, the tap devices made for it and the definition it runs with.
The bhyve process belongs to the host and survives the owner; the next owner checks the pid
against the host's processes (``bhyve: NAME`` is bhyve's process title).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.localstate.status import STATE, StatusFiles
from virt.states import DomainState
from virt.xml.base import XmlModel, attribute, child, model
from virt.xml.convert import INT
from virt.xml.domain import Domain

if TYPE_CHECKING:
    from virt_bhyve.paths import BhyvePaths


@model("domstatus")
class DomainStatus(XmlModel):
    state: DomainState | None = attribute("state", STATE)
    reason: int | None = attribute("reason", INT)
    pid: int | None = attribute("pid", INT)
    stopping: str | None = attribute("stopping")
    """``reboot`` while the SIGTERM of a reboot has not ended bhyve: the next owner restarts it then."""
    vnc_ports: str | None = attribute("vncports")
    """The ports picked for the automatic VNC displays, comma-separated (parsing the definition
    forgets them: an automatic port reads back as -1)."""
    domain: Domain | None = child("domain", Domain)


class StatusStore(StatusFiles[DomainStatus]):
    """The status files of one driver instance (durable for a remote host: they outlive our reboots)."""

    def __init__(self, paths: BhyvePaths) -> None:
        super().__init__(paths.status_dir, DomainStatus, durable=paths.remote)
