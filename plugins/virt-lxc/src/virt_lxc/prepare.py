"""Before a definition is kept and before a container starts: fill in, check, plan.

``complete`` is define's part (a UUID, MAC addresses, then the whole definition is read by
``parse`` so that what cannot start is refused at once). ``check_host`` is start's part: what
only the host can answer (paths, CPUs, bridges, the namespaces to join), each refusal saying
what is missing, before anything is made.
"""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from virt.xml.convert import CPUSET

from virt_lxc import errors, netdev
from virt_lxc.hosterror import HostError
from virt_lxc.parse import container_spec
from virt_lxc.spec import ContainerSpec

if TYPE_CHECKING:
    from collections.abc import Callable

    from virt.xml import Domain

SOCKET_PATH_MAX = 107
"""sun_path holds 108 bytes with the terminating NUL."""


def random_mac() -> str:
    """A MAC address in libvirt's locally administered range 52:54:00."""
    return "52:54:00:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))


def complete(domain: Domain) -> ContainerSpec:
    """Fill in what define fills in, then read the whole definition (VirtError naming what is wrong)."""
    from virt.xml.devices import Mac

    if domain.uuid is None:
        domain.uuid = uuid.uuid4()
    if domain.devices is not None:
        for interface in domain.devices.interfaces:
            if interface.mac is None:
                interface.mac = Mac()
            if not interface.mac.address:
                interface.mac.address = random_mac()
    return container_spec(domain)


def _online(path: str) -> tuple[int, ...]:
    try:
        return tuple(CPUSET.parse(Path(path).read_text().strip()))
    except (OSError, ValueError):
        return ()


def check_host(spec: ContainerSpec, socket_path: Path) -> None:
    """What must exist on the host for ``spec`` to start; VirtError saying what does not."""
    if spec.root is not None:
        source = spec.root.source or ""
        if not Path(source).is_dir():
            raise errors.operation_failed(
                f"the root filesystem of container '{spec.name}' (<filesystem> with target '/'): "
                f"directory {source} does not exist"
            )
    for mount in spec.mounts:
        if mount.kind == "mount" and not Path(mount.source or "/nonexistent").exists():
            raise errors.operation_failed(
                f"<filesystem> for '{mount.target}': source {mount.source} does not exist on the host"
            )
    resources = spec.resources
    if resources.cpuset is not None:
        online = _online("/sys/devices/system/cpu/online")
        missing = sorted(set(resources.cpuset) - set(online))
        if online and missing:
            raise errors.unsupported(
                f"<vcpu cpuset>: CPU {CPUSET.format(missing)} is not online here (online: {CPUSET.format(online)})"
            )
    if resources.memory_nodes is not None:
        nodes = _online("/sys/devices/system/node/online") or (0,)
        missing = sorted(set(resources.memory_nodes) - set(nodes))
        if missing:
            raise errors.unsupported(f"<numatune><memory nodeset>: node {CPUSET.format(missing)} does not exist here")
    if len(str(socket_path).encode()) > SOCKET_PATH_MAX:
        raise errors.unsupported(
            f"the controller socket {socket_path} is longer than a unix socket path may be ({SOCKET_PATH_MAX} bytes): "
            "use a shorter name (or a shorter VIRT_LXC_ROOT)"
        )


def bridges(spec: ContainerSpec) -> tuple[str | None, ...]:
    """The bridge of each interface, checked to exist (a network's: the network must run)."""
    from virt.localstate.networks import bridge_of_network

    def network_bridge(name: str) -> str:
        return bridge_of_network("system", name)  # lxc:/// is the system's containers

    try:
        return tuple(netdev.bridge_of(interface, network_bridge) for interface in spec.interfaces)
    except HostError as exc:
        raise errors.from_host(exc) from None


def shared_namespaces(spec: ContainerSpec, init_of: Callable[[str], int | None]) -> tuple[tuple[str, str], ...]:
    """``<lxc:namespace>`` as (kind, namespace file) pairs; ``init_of`` gives a running container's init pid."""
    found = []
    for shared in spec.shared:
        if shared.type == "netns":
            path = f"/run/netns/{shared.value}"
            if not Path(path).exists():
                raise errors.operation_failed(
                    f"lxc:share{shared.kind}: network namespace '{shared.value}' does not exist"
                )
        elif shared.type == "name":
            pid = init_of(shared.value)
            if pid is None:
                raise errors.operation_failed(
                    f"lxc:share{shared.kind}: container '{shared.value}' is not running on this driver"
                )
            path = f"/proc/{pid}/ns/{shared.kind}"
        else:
            path = f"/proc/{shared.value}/ns/{shared.kind}"
            if not Path(path).exists():
                raise errors.operation_failed(f"lxc:share{shared.kind}: process {shared.value} does not exist")
        found.append((shared.kind, path))
    return tuple(found)
