"""Where the Xen driver keeps its files, here and on dom0.

``xen:///system`` (on dom0, root only): libvirt's layout under ``/var/lib/virt/xen`` (definitions,
autostart marks) and ``/run/virt/xen`` (status of running domains, the owner lock).

``xen+ssh://[user@]host[:port]/system``: the definitions and status files live on *this* machine,
under the state folder (root's, else the user's), one subfolder per remote dom0
(``hosts/USER@HOST:PORT``); the status files sit there too, not in the run folder, since the guests
on the remote dom0 outlive a reboot of this machine. ``VIRT_XEN_ROOT=DIR`` puts everything under
``DIR`` instead (tests, side-by-side runs).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import attrs
from virt.errors import ErrorNumber
from virt.localstate.layout import Dirs, StateLayout, root_override, session_dirs, system_dirs, under_root
from virt.uri import URI

from virt_xen import errors

DOM0_CONFIG_DIR = "/var/lib/virt-xen"
"""On dom0: the xl.cfg files generated for ``xl create`` (``NAME.cfg``)."""


@attrs.frozen
class XenPaths(StateLayout):
    """The folders of one driver instance (``domains_dir``, ``status_dir``... are ``StateLayout``'s)."""

    state_dir: Path
    run_dir: Path
    host: str
    """``local``, or ``USER@HOST:PORT`` of the remote dom0: the instance's key with the folders."""

    def create(self) -> None:
        for folder in (self.domains_dir, self.autostart_dir, self.status_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    @property
    def remote(self) -> bool:
        return self.host != "local"

    @staticmethod
    def dom0_config(name: str) -> str:
        return f"{DOM0_CONFIG_DIR}/{name}.cfg"

    @classmethod
    def for_uri(cls, uri: URI) -> XenPaths:
        """The folders for ``uri``; VirtError for a path other than ``/system`` or a transport other than ssh."""
        path = uri.path.strip("/")
        if path not in ("", "system"):
            raise errors.error(ErrorNumber.INVALID_ARG, f"unexpected Xen URI path '{uri.path}', try xen:///system")
        if uri.transport not in (None, "ssh"):
            raise errors.error(
                ErrorNumber.INVALID_ARG,
                f"the Xen driver reaches a remote dom0 over ssh only (xen+ssh://), not '{uri.transport}'",
            )
        override = root_override("xen")
        if uri.transport is None:
            if uri.host:
                raise errors.error(
                    ErrorNumber.INVALID_ARG, f"URI {uri}: a remote dom0 is reached with xen+ssh://{uri.host}/system"
                )
            if os.geteuid() != 0:
                raise errors.error(ErrorNumber.OPERATION_DENIED, "xen:///system needs root: it runs xl on this dom0")
            local = under_root(override.absolute()) if override is not None else system_dirs("xen")
            return cls(local.state, local.run, "local")
        if not uri.host:
            raise errors.error(ErrorNumber.INVALID_ARG, f"URI {uri} names no dom0 host")
        key = f"{uri.user or os.environ.get('USER', 'root')}@{uri.host}:{uri.port or 22}"
        if not re.fullmatch(r"[\w.@:%\[\]-]+", key):
            raise errors.error(ErrorNumber.INVALID_ARG, f"URI {uri}: host name '{uri.host}' cannot name a folder")
        dirs: Dirs
        if override is not None:
            dirs = under_root(override.absolute())
        else:
            dirs = system_dirs("xen") if os.geteuid() == 0 else session_dirs("xen")
        base = dirs.state / "hosts" / key
        return cls(base, base / "status-run", key)
