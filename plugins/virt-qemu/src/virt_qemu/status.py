"""The status file of a running domain: ``status_dir/NAME.xml``, root ``<domstatus>``.

It holds what a new owner of the driver needs to take a running QEMU back without guessing:
its pid, its monitor socket, the state, the definition it was started with, and the QEMU
capabilities it was started with (JSON from ``QemuCaps.to_json()``; a later probe could
describe a different, upgraded binary than the one actually running). Like libvirt's
``/run/libvirt/qemu/NAME.xml``, it lives in the run folder and is rewritten on every change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.localstate.status import STATE, StatusFiles
from virt.states import DomainState
from virt.xml.base import XmlModel, attribute, child, model, text
from virt.xml.convert import INT
from virt.xml.domain import Domain

if TYPE_CHECKING:
    from virt_qemu.paths import DriverPaths


@model("monitor")
class StatusMonitor(XmlModel):
    path: str | None = attribute("path")
    type: str | None = attribute("type", default="unix")


@model("domstatus")
class DomainStatus(XmlModel):
    state: DomainState | None = attribute("state", STATE)
    reason: int | None = attribute("reason", INT)
    pid: int | None = attribute("pid", INT)
    monitor: StatusMonitor | None = child("monitor", StatusMonitor)
    start_time: str | None = text("startTime")
    """Seconds since the epoch, as Python's repr of a float."""
    emulator: str | None = text("emulator")
    qemu_caps: str | None = text("qemuCaps")
    domain: Domain | None = child("domain", Domain)


class StatusStore(StatusFiles[DomainStatus]):
    """The status files of one driver instance, written atomically and durably."""

    def __init__(self, paths: DriverPaths) -> None:
        super().__init__(paths.status_dir, DomainStatus)
