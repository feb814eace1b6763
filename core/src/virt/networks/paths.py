"""The network service's folders and files.

``state_dir/networks/NAME.xml`` (definitions), ``state_dir/networks/autostart/NAME.xml`` (symlinks,
as libvirt keeps them), ``run_dir/status/NAME.xml`` (the live definition of an active network),
``run_dir/dnsmasq/NAME.*`` (dnsmasq's configuration, pid, leases, host files) and
``run_dir/driver.lock`` (the owner lock). System mode: ``/var/lib/virt/network`` and
``/run/virt/network``; ``VIRT_NETWORK_ROOT=DIR`` puts both under one folder (tests). dnsmasq
drops root for ``nobody`` and then reads its host files again on SIGHUP: the run folder and the
folders above it must be searchable by everyone (``make`` gives the service's own folders 0755).
"""

from __future__ import annotations

from pathlib import Path

import attrs

from virt.localstate import layout


@attrs.frozen
class NetworkPaths:
    state_dir: Path
    run_dir: Path

    @classmethod
    def for_mode(cls, mode: str) -> NetworkPaths:
        """The folders of ``mode`` (``system`` or ``session``), or of ``$VIRT_NETWORK_ROOT``."""
        root = layout.root_override("network")
        if root is not None:
            dirs = layout.under_root(root)
        elif mode == "system":
            dirs = layout.system_dirs("network")
        else:
            dirs = layout.session_dirs("network")
        return cls(dirs.state, dirs.run)

    @property
    def definitions_dir(self) -> Path:
        return self.state_dir / "networks"

    @property
    def autostart_dir(self) -> Path:
        return self.definitions_dir / "autostart"

    @property
    def status_dir(self) -> Path:
        return self.run_dir / "status"

    @property
    def dnsmasq_dir(self) -> Path:
        return self.run_dir / "dnsmasq"

    @property
    def lock_file(self) -> Path:
        return self.run_dir / "driver.lock"

    def status_file(self, name: str) -> Path:
        return self.status_dir / f"{name}.xml"

    def make(self) -> bool:
        """Create the folders; True when the definitions folder is new (the service's first use)."""
        first = not self.definitions_dir.exists()
        for folder in (self.autostart_dir, self.status_dir, self.dnsmasq_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o755)
        self.run_dir.chmod(0o755)
        return first
