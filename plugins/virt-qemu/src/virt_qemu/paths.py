"""Where the QEMU driver keeps things, per mode: ``qemu:///system`` (root) or ``qemu:///session``.

``VIRT_QEMU_ROOT`` puts every folder under one directory instead (tests, and side-by-side runs).
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.localstate.layout import StateLayout, root_override, session_dirs, system_dirs, under_root
from virt.uri import URI


@attrs.frozen
class DriverPaths(StateLayout):
    """The folders of one driver instance (one URI path on one host).

    ``domains_dir``, ``autostart_dir``, ``status_dir`` and ``lock_file`` are ``StateLayout``'s.
    """

    mode: str
    """``system`` or ``session``."""
    state_dir: Path
    """Persistent definitions (``domains/NAME.xml``) and autostart marks; kept across reboots."""
    run_dir: Path
    """Status XML of running domains, monitor sockets, the owner lock; gone at reboot."""
    cache_dir: Path
    """Probed QEMU capabilities, one file per binary."""
    log_dir: Path
    """QEMU's stderr, one file per domain."""

    def domain_run_dir(self, name: str) -> Path:
        """Sockets and other runtime files of one running domain."""
        return self.run_dir / "domains" / name

    @property
    def save_dir(self) -> Path:
        """Managed save images, ``NAME.save`` (libvirt's /var/lib/libvirt/qemu/save)."""
        return self.state_dir / "save"

    def managed_save_file(self, name: str) -> Path:
        return self.save_dir / f"{name}.save"

    def create(self) -> None:
        """Make every folder, private to the user (0700)."""
        for folder in (
            self.domains_dir,
            self.autostart_dir,
            self.status_dir,
            self.save_dir,
            self.cache_dir,
            self.log_dir,
        ):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        (self.run_dir / "domains").mkdir(parents=True, exist_ok=True, mode=0o700)

    @classmethod
    def for_uri(cls, uri: URI) -> DriverPaths:
        """The folders for ``qemu:///system`` or ``qemu:///session``; InvalidArgument for another path."""
        mode = uri.path.strip("/")
        if mode not in ("system", "session"):
            raise VirtError(
                f"unexpected QEMU URI path '{uri.path}', try qemu:///system or qemu:///session",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.QEMU,
            )
        if mode == "system" and os.geteuid() != 0:
            raise VirtError(
                "qemu:///system needs root; use qemu:///session as an unprivileged user",
                ErrorNumber.OPERATION_DENIED,
                ErrorDomain.QEMU,
            )
        root = root_override("qemu")
        if root is not None:
            dirs = under_root(root / mode)
        elif mode == "system":
            dirs = system_dirs("qemu")
        else:
            dirs = session_dirs("qemu")
        return cls(mode, dirs.state, dirs.run, dirs.cache, dirs.log)
