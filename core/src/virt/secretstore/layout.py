"""Where the secret service keeps its files, per mode.

``system``: ``/var/lib/virt/secrets`` (state: definitions ``secrets/UUID.xml``, sealed values
``secrets/UUID.aesgcm``, the master key ``master.key``) and ``/run/virt/secrets`` (the lock file).
``session``: the same under the user's XDG folders. ``VIRT_SECRETS_ROOT=DIR`` puts both under
``DIR`` (tests, side-by-side runs). Ephemeral secrets are never written anywhere.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from virt.localstate import layout


@attrs.frozen
class SecretDirs:
    """The folders of one secret service."""

    state: Path
    run: Path

    @property
    def definitions_dir(self) -> Path:
        """Persistent definitions and their sealed values."""
        return self.state / "secrets"

    @property
    def key_file(self) -> Path:
        """The master key every value is sealed with (0600, made on first use)."""
        return self.state / "master.key"

    @property
    def lock_file(self) -> Path:
        """Taken around every change, so that two processes serving the secrets change them in turn."""
        return self.run / "secrets.lock"

    def definition_file(self, key: object) -> Path:
        return self.definitions_dir / f"{key}.xml"

    def value_file(self, key: object) -> Path:
        return self.definitions_dir / f"{key}.aesgcm"

    def make(self) -> None:
        for folder in (self.definitions_dir, self.run):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    @classmethod
    def for_mode(cls, mode: str) -> SecretDirs:
        """The folders of the ``system`` or ``session`` service, or of ``$VIRT_SECRETS_ROOT``."""
        root = layout.root_override("secrets")
        if root is not None:
            dirs = layout.under_root(root)
        elif mode == "system":
            dirs = layout.system_dirs("secrets")
        else:
            dirs = layout.session_dirs("secrets")
        return cls(dirs.state, dirs.run)
