"""The status file of a running domain: ``status_dir/NAME.xml``, root ``<domstatus>``.

What a new owner of the driver needs to take a running domain back: its domid when it was last
seen, its state, and the definition it runs with. The domain itself is the hypervisor's and
survives the owner; the next owner checks each status file against ``xl list`` (a domid that now
belongs to another UUID, or to nobody, means the domain ended meanwhile).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.localstate.status import STATE, StatusFiles
from virt.states import DomainState
from virt.xml.base import XmlModel, attribute, child, model
from virt.xml.convert import INT
from virt.xml.domain import Domain

if TYPE_CHECKING:
    from virt_xen.paths import XenPaths


@model("domstatus")
class DomainStatus(XmlModel):
    state: DomainState | None = attribute("state", STATE)
    reason: int | None = attribute("reason", INT)
    domid: int | None = attribute("domid", INT)
    domain: Domain | None = child("domain", Domain)


class StatusStore(StatusFiles[DomainStatus]):
    """The status files of one driver instance (durable for a remote dom0: they outlive our reboots)."""

    def __init__(self, paths: XenPaths) -> None:
        super().__init__(paths.status_dir, DomainStatus, durable=paths.remote)
