"""The status file of a running domain: ``status_dir/NAME.xml``, root ``<domstatus>``.

It holds what a new owner of the driver needs to take a running QEMU back without guessing:
its pid, its monitor socket, the state, the definition it was started with, and the QEMU
capabilities it was started with (JSON from ``QemuCaps.to_json()``; a later probe could
describe a different, upgraded binary than the one actually running). Like libvirt's
``/run/libvirt/qemu/NAME.xml``, it lives in the run folder and is rewritten on every change.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from virt.errors import XMLError
from virt.states import DomainState
from virt.xml.base import XmlModel, attribute, child, model, text
from virt.xml.convert import INT, Enum
from virt.xml.domain import Domain

from virt_qemu import store

if TYPE_CHECKING:
    from virt_qemu.paths import DriverPaths


class _StateName(Enum):
    """``running``, ``paused``... (libvirt's virDomainStateTypeToString words) <-> DomainState."""

    def __init__(self) -> None:
        super().__init__(tuple(s.name.lower() for s in DomainState))

    def parse(self, text: str) -> DomainState:
        return DomainState[str(super().parse(text)).upper()]

    def format(self, value: object) -> str:
        assert isinstance(value, DomainState)
        return value.name.lower()


STATE = _StateName()


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


class StatusStore:
    """The status files of one driver instance."""

    def __init__(self, paths: DriverPaths) -> None:
        self.folder = paths.status_dir

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.xml"

    def save(self, status: DomainStatus) -> None:
        assert status.domain is not None and status.domain.name is not None
        store.atomic_write(self.path(status.domain.name), status.to_xml())

    def delete(self, name: str) -> None:
        store.remove(self.path(name))

    def load_all(self) -> list[tuple[Path, DomainStatus | XMLError]]:
        """Every status file with its parsed content, or the error that kept it from parsing."""
        found: list[tuple[Path, DomainStatus | XMLError]] = []
        for path in sorted(self.folder.glob("*.xml")):
            try:
                found.append((path, DomainStatus.from_xml(path.read_bytes())))
            except XMLError as exc:
                found.append((path, exc))
            except OSError as exc:
                found.append((path, XMLError(f"cannot read {path}: {exc}")))
        return found
