"""Where the bhyve driver keeps its files, here and on the bhyve host.

``bhyve:///system`` (root, on the FreeBSD host itself): libvirt's layout under ``/var/lib/virt/bhyve``
(definitions, autostart marks) and ``/run/virt/bhyve`` (status of running domains, the owner lock).
``bhyve+ssh://[user@]host[:port]/system``: definitions and status files on *this* machine,
``hosts/USER@HOST:PORT`` under the state folder (``virt.localstate.layout.host_folders``).
``VIRT_BHYVE_ROOT=DIR`` puts everything under ``DIR`` (tests, side-by-side runs).

On the bhyve host, the driver's run folder holds what libvirt keeps in its ``BHYVE_STATE_DIR``: each
guest's pid file, the exit status its bhyve ended with, grub's device map while the loader runs;
the log folder holds ``NAME.log`` (the command lines and the tools' output). For a local host these
are our own folders; a remote host's are ``/var/run/virt-bhyve`` and ``/var/log/virt-bhyve``
(``VIRT_BHYVE_HOST_DIR=DIR`` puts both under ``DIR``).
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs
from virt.localstate.layout import StateLayout, host_folders
from virt.uri import URI

from virt_bhyve import errors

HOST_RUN_DIR = "/var/run/virt-bhyve"
HOST_LOG_DIR = "/var/log/virt-bhyve"


@attrs.frozen
class BhyvePaths(StateLayout):
    """The folders of one driver instance (``domains_dir``, ``status_dir``... are ``StateLayout``'s)."""

    state_dir: Path
    run_dir: Path
    log_dir: Path
    host: str
    """``local``, or ``USER@HOST:PORT`` of the remote bhyve host: the instance's key with the folders."""

    def create(self) -> None:
        for folder in (self.domains_dir, self.autostart_dir, self.status_dir, self.log_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    @property
    def remote(self) -> bool:
        return self.host != "local"

    @property
    def host_run_dir(self) -> str:
        """On the bhyve host: pid files, exit statuses, device maps."""
        if not self.remote:
            return str(self.run_dir / "guests")
        override = os.environ.get("VIRT_BHYVE_HOST_DIR")
        return f"{override}/run" if override else HOST_RUN_DIR

    @property
    def host_log_dir(self) -> str:
        """On the bhyve host: ``NAME.log`` of each guest."""
        if not self.remote:
            return str(self.log_dir)
        override = os.environ.get("VIRT_BHYVE_HOST_DIR")
        return f"{override}/log" if override else HOST_LOG_DIR

    @classmethod
    def for_uri(cls, uri: URI) -> BhyvePaths:
        """The folders for ``uri``; VirtError for a path other than ``/system`` or a transport other than ssh."""
        dirs, key = host_folders("bhyve", uri, errors.error)
        return cls(dirs.state, dirs.run, dirs.log, key)
