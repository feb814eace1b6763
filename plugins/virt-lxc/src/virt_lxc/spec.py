"""What a container is made of, as the driver needs it: plain frozen records read from domain XML.

``parse.container_spec`` builds a ``ContainerSpec`` from a ``virt.xml.Domain``, refusing what the
driver cannot do with the element's path; nothing else in the driver reads the XML.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class Mount:
    """One ``<filesystem>``: a host directory (``mount``), a directory of the container (``bind``),
    or a tmpfs (``ram``), at ``target`` inside the container."""

    kind: str
    """``mount``, ``bind`` or ``ram``."""
    target: str
    source: str | None = None
    readonly: bool = False
    size_kib: int | None = None
    """``ram`` only: the tmpfs's size."""


@attrs.frozen
class IPAddress:
    family: str
    """``ipv4`` or ``ipv6``."""
    address: str
    prefix: int


@attrs.frozen
class Route:
    family: str
    address: str
    prefix: int
    gateway: str | None = None
    metric: int | None = None


@attrs.frozen
class NetInterface:
    """One ``<interface>``: a veth pair whose host end is ``host_name`` (on ``bridge`` when set) and
    whose container end becomes ``guest_name``."""

    kind: str
    """``ethernet``, ``bridge`` or ``network``."""
    mac: str
    guest_name: str
    host_name: str | None = None
    """None: chosen at start (``vethN``, the first free)."""
    bridge: str | None = None
    network: str | None = None
    addresses: tuple[IPAddress, ...] = ()
    routes: tuple[Route, ...] = ()
    link_up: bool | None = None
    """None: up when it has an address (libvirt's rule)."""
    mtu: int | None = None


@attrs.frozen
class IdMap:
    """One line of ``/proc/PID/uid_map`` (or gid_map): container ``start`` is host ``target``, ``count`` ids."""

    start: int
    target: int
    count: int


@attrs.frozen
class BlkioDevice:
    path: str
    weight: int | None = None
    read_bytes_sec: int | None = None
    write_bytes_sec: int | None = None
    read_iops_sec: int | None = None
    write_iops_sec: int | None = None


@attrs.frozen
class Resources:
    """The cgroup settings of a container (sizes in KiB, as the XML gives them)."""

    memory_kib: int | None = None
    """``<memory>``: the limit of the container's memory (libvirt sets it as the hard limit)."""
    hard_limit_kib: int | None = None
    soft_limit_kib: int | None = None
    swap_hard_limit_kib: int | None = None
    cpu_shares: int | None = None
    cpu_period: int | None = None
    cpu_quota: int | None = None
    cpuset: tuple[int, ...] | None = None
    memory_nodes: tuple[int, ...] | None = None
    blkio_weight: int | None = None
    blkio_devices: tuple[BlkioDevice, ...] = ()


@attrs.frozen
class SharedNamespace:
    """``<lxc:sharenet type='netns' value='red'/>`` and the like: join a namespace instead of making one."""

    kind: str
    """``net``, ``uts`` or ``ipc``."""
    type: str
    """``netns`` (a named network namespace of ``ip netns``), ``name`` (a running container's) or ``pid``."""
    value: str


@attrs.frozen
class Capabilities:
    """``<features><capabilities policy=...>``: ``states`` maps a capability number to keep (True) or drop."""

    policy: str = "default"
    states: tuple[tuple[int, bool], ...] = ()


@attrs.frozen
class ContainerSpec:
    name: str
    uuid: str
    init: str
    init_args: tuple[str, ...] = ()
    init_env: tuple[tuple[str, str], ...] = ()
    init_dir: str | None = None
    init_user: str | None = None
    init_group: str | None = None
    cmdline: str | None = None
    arch: str | None = None
    root: Mount | None = None
    """The filesystem mounted at ``/``; None shares the host's root (in a private mount namespace)."""
    mounts: tuple[Mount, ...] = ()
    interfaces: tuple[NetInterface, ...] = ()
    uid_map: tuple[IdMap, ...] = ()
    gid_map: tuple[IdMap, ...] = ()
    consoles: int = 0
    capabilities: Capabilities = Capabilities()
    privnet: bool = False
    shared: tuple[SharedNamespace, ...] = ()
    resources: Resources = Resources()
    vcpus: int = 1

    @property
    def private_network(self) -> bool:
        """A network namespace of its own: interfaces or ``<privnet/>``, unless it joins another's."""
        if any(s.kind == "net" for s in self.shared):
            return False
        return bool(self.interfaces) or self.privnet

    @property
    def user_namespace(self) -> bool:
        return bool(self.uid_map)
