"""Persistent network definitions and autostart marks, every write atomic and durable."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from virt.errors import XMLError
from virt.localstate.files import atomic_write, fsync_dir, remove

if TYPE_CHECKING:
    from pathlib import Path

    from virt.networks.paths import NetworkPaths
    from virt.xml import Network

log = logging.getLogger(__name__)


class NetworkStore:
    def __init__(self, paths: NetworkPaths) -> None:
        self.paths = paths

    def definition_file(self, name: str) -> Path:
        return self.paths.definitions_dir / f"{name}.xml"

    def autostart_link(self, name: str) -> Path:
        return self.paths.autostart_dir / f"{name}.xml"

    def save(self, network: Network) -> None:
        assert network.name is not None
        atomic_write(self.definition_file(network.name), network.to_xml())

    def delete(self, name: str) -> None:
        remove(self.definition_file(name))
        self.set_autostart(name, False)

    def load_all(self) -> list[Network]:
        """Every readable definition whose name matches its file; the others are logged and skipped."""
        return [net for path in sorted(self.paths.definitions_dir.glob("*.xml")) if (net := read(path)) is not None]

    def autostart(self, name: str) -> bool:
        link = self.autostart_link(name)
        return link.is_symlink() or link.exists()

    def set_autostart(self, name: str, autostart: bool) -> None:
        link = self.autostart_link(name)
        if not autostart:
            remove(link)
        elif not (link.is_symlink() or link.exists()):
            link.symlink_to(self.definition_file(name))
            fsync_dir(link.parent)


def read(path: Path) -> Network | None:
    """The network definition in ``path``, or None (logged) when it cannot be used."""
    from virt.xml import Network

    try:
        network = Network.from_xml(path.read_bytes())
    except (OSError, XMLError) as exc:
        log.error("skipping network definition %s: %s", path, exc)
        return None
    if network.name != path.stem or network.uuid is None:
        log.error("skipping network definition %s: its name or UUID does not match the file", path)
        return None
    return network
