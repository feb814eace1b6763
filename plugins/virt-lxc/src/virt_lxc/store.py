"""Files the driver keeps: persistent definitions, autostart marks, the id counter.

Every file is replaced atomically (a temporary file in the same folder, fsync, rename, fsync of
the folder), so a crash at any moment leaves either the old or the new text, never a mix.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from virt.errors import XMLError

if TYPE_CHECKING:
    from virt.xml import Domain

    from virt_lxc.paths import DriverPaths

log = logging.getLogger(__name__)


def atomic_write(path: Path, text: str, mode: int = 0o600, *, durable: bool = True) -> None:
    """Replace ``path`` with ``text`` so that readers see the old or the new content, whole;
    ``durable`` also waits until it is on disk."""
    folder = path.parent
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fchmod(out.fileno(), mode)
            if durable:
                os.fsync(out.fileno())
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise
    if durable:
        fsync_dir(folder)


def fsync_dir(folder: Path) -> None:
    """Make a rename or an unlink in ``folder`` durable."""
    dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def remove(path: Path, *, durable: bool = True) -> None:
    """Delete ``path`` if it exists (``durable``: and wait until that is on disk)."""
    try:
        path.unlink()
    except FileNotFoundError:
        return
    if durable:
        fsync_dir(path.parent)


class DefinitionStore:
    """``state_dir/domains/NAME.xml`` and ``state_dir/autostart/NAME.xml`` (a symlink, as libvirt keeps it)."""

    def __init__(self, paths: DriverPaths) -> None:
        self.paths = paths

    def definition_file(self, name: str) -> Path:
        return self.paths.domains_dir / f"{name}.xml"

    def autostart_link(self, name: str) -> Path:
        return self.paths.autostart_dir / f"{name}.xml"

    def save(self, domain: Domain) -> None:
        assert domain.name is not None
        atomic_write(self.definition_file(domain.name), domain.to_xml())

    def delete(self, name: str) -> None:
        remove(self.definition_file(name))
        self.set_autostart(name, False)

    def load_all(self) -> list[Domain]:
        """Every stored definition; a file that cannot be read is logged and skipped (libvirt does the same)."""
        from virt.xml import Domain

        found: list[Domain] = []
        for path in sorted(self.paths.domains_dir.glob("*.xml")):
            try:
                domain = Domain.from_xml(path.read_bytes())
            except (OSError, XMLError) as exc:
                log.error("skipping domain definition %s: %s", path, exc)
                continue
            if domain.name != path.stem or domain.uuid is None:
                log.error("skipping domain definition %s: its name or UUID does not match the file", path)
                continue
            found.append(domain)
        return found

    def autostart(self, name: str) -> bool:
        return self.autostart_link(name).is_symlink() or self.autostart_link(name).exists()

    def set_autostart(self, name: str, autostart: bool) -> None:
        link = self.autostart_link(name)
        if not autostart:
            remove(link)
            return
        if link.is_symlink() or link.exists():
            return
        link.symlink_to(self.definition_file(name))
        fsync_dir(link.parent)


class IdCounter:
    """Domain ids grow from 1 per driver instance; the next one is kept in the run folder (gone at reboot)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.next = max(1, int(path.read_text().strip()))
        except (OSError, ValueError):
            self.next = 1

    def seen(self, used: int) -> None:
        """A running domain kept ``used``: never hand it out again."""
        if used >= self.next:
            self.next = used + 1
            self._save()

    def allocate(self) -> int:
        value = self.next
        self.next += 1
        self._save()
        return value

    def _save(self) -> None:
        atomic_write(self.path, f"{self.next}\n")
