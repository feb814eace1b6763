"""The status files of running domains: ``status_dir/NAME.xml``, one per running domain.

Each holds what a new owner of the driver needs to take a running domain back (libvirt's
``/run/libvirt/DRIVER/NAME.xml``, root ``<domstatus>``). The model is the driver's own (what it
needs differs); it has a ``domain`` child, the definition the domain runs with, whose name names
the file. ``STATE`` is the converter for the ``state`` attribute: libvirt's words (``running``,
``paused``...).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Generic, TypeVar

from virt.errors import XMLError
from virt.localstate.files import atomic_write, remove
from virt.states import DomainState
from virt.xml.base import XmlModel
from virt.xml.convert import Enum

M = TypeVar("M", bound=XmlModel)

log = logging.getLogger(__name__)


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


class StatusFiles(Generic[M]):
    """The status files of one driver instance, parsed as ``model``.

    ``durable=False`` writes atomically without waiting for the disk (the run folder does not
    outlive a crash of the host).
    """

    def __init__(self, folder: Path, model: type[M], *, durable: bool = True) -> None:
        self.folder = folder
        self.model = model
        self.durable = durable

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.xml"

    def save(self, status: M) -> None:
        """Write ``status``, named after its ``domain`` child's name."""
        domain: Any = getattr(status, "domain", None)
        assert domain is not None and domain.name is not None
        atomic_write(self.path(domain.name), status.to_xml(), durable=self.durable)

    def save_running(self, status: M, live: Any, domain_id: int) -> None:
        """Write ``status`` holding ``live`` (the running definition) with its ``id`` set to
        ``domain_id`` in the file, not in the driver's copy."""
        live.id = domain_id
        try:
            status.domain = live  # type: ignore[attr-defined]
            self.save(status)
        finally:
            live.id = None

    def readable(self, unreadable: dict[str, str] | None = None) -> list[tuple[Path, M]]:
        """The status files that parse and hold a ``<domain>`` with a name and a UUID. Each other one
        is logged and left in place, and recorded in ``unreadable`` (path -> why) when given."""
        found: list[tuple[Path, M]] = []
        for path, status in self.load_all():
            domain: Any = None if isinstance(status, XMLError) else getattr(status, "domain", None)
            if isinstance(status, XMLError):
                why = status.message
            elif domain is None or domain.name is None or domain.uuid is None:
                why = "the status file has no <domain> with a name and a UUID"
            else:
                found.append((path, status))
                continue
            log.error("cannot read the status file %s (left in place): %s", path, why)
            if unreadable is not None:
                unreadable[str(path)] = why
        return found

    def delete(self, name: str) -> None:
        remove(self.path(name), durable=self.durable)

    def load_all(self) -> list[tuple[Path, M | XMLError]]:
        """Every status file with its parsed content, or the error that kept it from parsing."""
        found: list[tuple[Path, M | XMLError]] = []
        for path in sorted(self.folder.glob("*.xml")):
            try:
                found.append((path, self.model.from_xml(path.read_bytes())))
            except XMLError as exc:
                found.append((path, exc))
            except OSError as exc:
                found.append((path, XMLError(f"cannot read {path}: {exc}")))
        return found
