"""Persistent definitions and autostart marks, in libvirt's layout.

``state_dir/domains/NAME.xml`` holds a definition, ``state_dir/autostart/NAME.xml`` is a symlink
to it when the domain starts with the host. Every write is atomic and its content durable, as
libvirt's virFileRewrite makes them (``files``: fsync of the file, not of the folder); removals are
bare unlinks, as libvirt's.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from virt.errors import XMLError
from virt.localstate.files import atomic_write, fsync_dir, remove

if TYPE_CHECKING:
    from virt.localstate.layout import StateLayout
    from virt.xml import Domain

log = logging.getLogger(__name__)


class DefinitionStore:
    """``state_dir/domains/NAME.xml`` and ``state_dir/autostart/NAME.xml`` (a symlink, as libvirt keeps it)."""

    def __init__(self, paths: StateLayout) -> None:
        self.paths = paths

    def definition_file(self, name: str) -> Path:
        return self.paths.domains_dir / f"{name}.xml"

    def autostart_link(self, name: str) -> Path:
        return self.paths.autostart_dir / f"{name}.xml"

    def save(self, domain: Domain) -> None:
        assert domain.name is not None
        atomic_write(self.definition_file(domain.name), domain.to_xml(), sync_folder=False)

    def delete(self, name: str) -> None:
        remove(self.definition_file(name), durable=False)
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
            remove(link, durable=False)
            return
        if link.is_symlink() or link.exists():
            return
        # libvirt's layout: autostart/NAME.xml -> ../domains/NAME.xml
        link.symlink_to(self.definition_file(name))
        fsync_dir(link.parent)
