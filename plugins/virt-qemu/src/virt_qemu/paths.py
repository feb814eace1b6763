"""Where the QEMU driver keeps things, per mode: ``qemu:///system`` (root) or ``qemu:///session``.

``VIRT_QEMU_ROOT`` puts every folder under one directory instead (tests, and side-by-side runs).
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.uri import URI


@attrs.frozen
class DriverPaths:
    """The folders of one driver instance (one URI path on one host)."""

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

    @property
    def domains_dir(self) -> Path:
        return self.state_dir / "domains"

    @property
    def autostart_dir(self) -> Path:
        return self.state_dir / "autostart"

    @property
    def status_dir(self) -> Path:
        return self.run_dir / "status"

    @property
    def lock_file(self) -> Path:
        return self.run_dir / "driver.lock"

    def domain_run_dir(self, name: str) -> Path:
        """Sockets and other runtime files of one running domain."""
        return self.run_dir / "domains" / name

    def create(self) -> None:
        """Make every folder, private to the user (0700)."""
        for folder in (self.domains_dir, self.autostart_dir, self.status_dir, self.cache_dir, self.log_dir):
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
        root = os.environ.get("VIRT_QEMU_ROOT")
        if root:
            base = Path(root) / mode
            return cls(mode, base / "state", base / "run", base / "cache", base / "log")
        if mode == "system":
            return cls(
                mode,
                Path("/var/lib/virt/qemu"),
                Path("/run/virt/qemu"),
                Path("/var/cache/virt/qemu"),
                Path("/var/log/virt/qemu"),
            )
        home = Path.home()

        def xdg(variable: str, default: Path) -> Path:
            value = os.environ.get(variable)
            return Path(value) if value else default

        runtime = os.environ.get("XDG_RUNTIME_DIR")
        cache = xdg("XDG_CACHE_HOME", home / ".cache") / "virt" / "qemu"
        run = Path(runtime) / "virt" / "qemu" if runtime else cache / "run"
        return cls(
            mode,
            xdg("XDG_CONFIG_HOME", home / ".config") / "virt" / "qemu",
            run,
            cache,
            xdg("XDG_STATE_HOME", home / ".local" / "state") / "virt" / "qemu" / "log",
        )
