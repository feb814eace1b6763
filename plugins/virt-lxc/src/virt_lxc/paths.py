"""Where the LXC driver keeps things: ``lxc:///`` (libvirt's ``lxc:///system``) is root's only.

``VIRT_LXC_ROOT=DIR`` puts every folder under ``DIR`` instead, and gives the containers' cgroups
their own partition named after it (tests, and side-by-side runs on one host).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import attrs
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.localstate.layout import StateLayout, root_override, system_dirs, under_root
from virt.uri import URI

DEFAULT_PARTITION = "virt-lxc"


@attrs.frozen
class DriverPaths(StateLayout):
    """The folders of one driver instance, and the cgroup partition its containers go under.

    ``domains_dir``, ``autostart_dir``, ``status_dir`` and ``lock_file`` are ``StateLayout``'s.
    """

    state_dir: Path
    """Persistent definitions (``domains/NAME.xml``) and autostart marks; kept across reboots."""
    run_dir: Path
    """Status XML of running containers, controller sockets, the owner lock; gone at reboot."""
    log_dir: Path
    """One file per container: its controller's messages."""
    partition: str = DEFAULT_PARTITION
    """The cgroup (under each hierarchy's root) holding one child cgroup per running container."""

    def socket_path(self, name: str) -> Path:
        """The unix socket the container's controller listens on."""
        return self.run_dir / "sockets" / f"{name}.sock"

    def exit_file(self, name: str) -> Path:
        """Written by a controller whose container ended, for an owner that was not watching."""
        return self.run_dir / "exits" / f"{name}.json"

    def log_file(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def create(self) -> None:
        """Make every folder, private to root (0700)."""
        for folder in (
            self.domains_dir,
            self.autostart_dir,
            self.status_dir,
            self.run_dir / "sockets",
            self.run_dir / "exits",
            self.log_dir,
        ):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    @classmethod
    def for_uri(cls, uri: URI) -> DriverPaths:
        """The folders for ``lxc:///`` (or ``lxc:///system``); errors for another path or a non-root caller."""
        if uri.host or uri.transport:
            raise VirtError(
                f"the LXC driver serves local URIs only, not {uri}", ErrorNumber.INVALID_ARG, ErrorDomain.LXC
            )
        if uri.path.strip("/") not in ("", "system"):
            raise VirtError(
                f"unexpected LXC URI path '{uri.path}', try lxc:///system", ErrorNumber.INVALID_ARG, ErrorDomain.LXC
            )
        if os.geteuid() != 0:
            raise VirtError(
                "the LXC driver needs root: containers are made of namespaces, cgroups and mounts only root may create",
                ErrorNumber.OPERATION_DENIED,
                ErrorDomain.LXC,
            )
        root = root_override("lxc")
        if root is not None:
            base = root.absolute()
            digest = hashlib.sha256(str(base).encode()).hexdigest()[:10]
            dirs = under_root(base)
            return cls(dirs.state, dirs.run, dirs.log, f"{DEFAULT_PARTITION}-{digest}")
        dirs = system_dirs("lxc")
        return cls(dirs.state, dirs.run, dirs.log)
