"""A running container's whereabouts from its status file, for a process that does not own the driver.

Only one process at a time owns ``lxc:///`` (and takes its containers' controllers); another one
may still enter a running container, as ``virsh lxc-enter-namespace`` may while libvirtd runs:
the status file names its init and cgroups, and the controller's command line proves it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.errors import VirtError

from virt_lxc import errors, process
from virt_lxc.paths import DriverPaths
from virt_lxc.status import StatusStore

if TYPE_CHECKING:
    from virt.uri import URI

    from virt_lxc.connection import Namespaces


def namespaces(uri: URI, key: str) -> Namespaces:
    """Where the running container ``key`` (name, UUID or id) is; NotFound when none runs by that key."""
    from virt_lxc.connection import Namespaces

    for _, status in StatusStore(DriverPaths.for_uri(uri)).load_all():
        if isinstance(status, VirtError) or status.domain is None:
            continue
        domain = status.domain
        if key not in (domain.name, str(domain.uuid), str(status.pid)):
            continue
        if status.pid is None or status.init is None or status.cgroups is None:
            break
        if not process.is_controller(status.pid, str(domain.uuid), status.init):
            break
        return Namespaces(status.init, status.cgroups, domain.idmap is not None)
    raise errors.no_domain(f"no running container '{key}' in {DriverPaths.for_uri(uri).run_dir}")
