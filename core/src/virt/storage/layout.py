"""Where the storage service keeps its files, per mode.

``system``: ``/var/lib/virt/storage`` (definitions ``pools/NAME.xml``, autostart marks
``autostart/NAME.xml``), ``/run/virt/storage`` (active pools' live definitions ``pools/NAME.xml``,
gone at reboot), the default pool at ``/var/lib/virt/images``. ``session``: the same under the
user's XDG folders, the default pool at ``$XDG_DATA_HOME/virt/images``. ``VIRT_STORAGE_ROOT=DIR``
puts everything under ``DIR/MODE/`` (tests, side-by-side runs).
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from virt.localstate import layout


@attrs.frozen
class StorageDirs:
    """The folders of one storage service."""

    state: Path
    run: Path
    images: Path
    """The default pool's directory."""

    @property
    def definitions_dir(self) -> Path:
        return self.state / "pools"

    @property
    def autostart_dir(self) -> Path:
        return self.state / "autostart"

    @property
    def active_dir(self) -> Path:
        return self.run / "pools"

    @property
    def autostarted_mark(self) -> Path:
        """Made once the autostart pools were started since the run folder was made (since boot)."""
        return self.run / "autostarted"

    @property
    def lock_file(self) -> Path:
        """Taken around every change, so that two processes serving the pools change them in turn."""
        return self.run / "storage.lock"

    def make(self) -> None:
        for folder in (self.definitions_dir, self.autostart_dir, self.active_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    @classmethod
    def for_mode(cls, mode: str) -> StorageDirs:
        """The folders of the ``system`` or ``session`` service."""
        root = layout.root_override("storage")
        if root is not None:
            base = root / mode
            return cls(base / "state", base / "run", base / "images")
        if mode == "system":
            dirs = layout.system_dirs("storage")
            return cls(dirs.state, dirs.run, Path("/var/lib/virt/images"))
        dirs = layout.session_dirs("storage")
        data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return cls(dirs.state, dirs.run, Path(data) / "virt" / "images")
