"""The status file of a running container: ``run_dir/status/NAME.xml``, root ``<domstatus>``.

What a new owner of the driver needs to take a running container back without guessing: the
controller's pid and socket, init's pid, the cgroups and host veths it was given, the state,
and the definition it was started with. Rewritten atomically on every change, like libvirt's
``/run/libvirt/lxc/NAME.xml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from virt.errors import XMLError
from virt.states import DomainState
from virt.xml.base import XmlModel, attribute, child, model, text, texts
from virt.xml.convert import INT, Enum
from virt.xml.domain import Domain

from virt_lxc import store

if TYPE_CHECKING:
    from virt_lxc.paths import DriverPaths


class _StateName(Enum):
    """``running``, ``paused``... <-> DomainState."""

    def __init__(self) -> None:
        super().__init__(tuple(s.name.lower() for s in DomainState))

    def parse(self, text: str) -> DomainState:
        return DomainState[str(super().parse(text)).upper()]

    def format(self, value: object) -> str:
        assert isinstance(value, DomainState)
        return value.name.lower()


@model("domstatus")
class DomainStatus(XmlModel):
    state: DomainState | None = attribute("state", _StateName())
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


class StatusStore:
    """The status files of one driver instance."""

    def __init__(self, paths: DriverPaths) -> None:
        self.folder = paths.status_dir

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.xml"

    def save(self, status: DomainStatus) -> None:
        assert status.domain is not None and status.domain.name is not None
        # atomic, not durable: the run folder does not outlive a crash of the host, nor do containers
        store.atomic_write(self.path(status.domain.name), status.to_xml(), durable=False)

    def delete(self, name: str) -> None:
        store.remove(self.path(name), durable=False)

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
