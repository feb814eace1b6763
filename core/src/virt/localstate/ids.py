"""Domain ids: they grow from 1 per driver instance, the next one kept in the run folder (gone at reboot)."""

from __future__ import annotations

from pathlib import Path

from virt.localstate.files import atomic_write


class IdCounter:
    """The next domain id, kept in ``path`` (``run_dir/next-id``) across owners of the driver."""

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
