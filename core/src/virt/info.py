"""Plain records the API returns: host facts, domain info, listing filters."""

from __future__ import annotations

from collections.abc import Collection

import attrs

from virt.states import DomainState


@attrs.frozen
class NodeInfo:
    """virNodeInfo: the host's processors and memory."""

    model: str
    memory_kib: int
    cpus: int
    mhz: int
    nodes: int
    sockets: int
    cores: int
    threads: int


@attrs.frozen
class DomainInfo:
    """virDomainInfo: a domain's state, memory and processor time."""

    state: DomainState
    max_memory_kib: int
    memory_kib: int
    vcpus: int
    cpu_time_ns: int


@attrs.frozen
class Screenshot:
    """What virDomainScreenshot gives: the image's MIME type (``image/x-portable-pixmap`` for QEMU's
    PPM) and the image itself."""

    mime: str
    data: bytes = attrs.field(repr=lambda data: f"<{len(data)} bytes>")


@attrs.frozen
class DomainRecord:
    """What a listing filter looks at for one domain."""

    active: bool
    persistent: bool
    state: DomainState
    autostart: bool
    has_managed_save: bool = False
    has_snapshot: bool = False
    has_checkpoint: bool = False


_OTHER_STATES = frozenset(DomainState) - {DomainState.RUNNING, DomainState.PAUSED, DomainState.SHUTOFF}


def _frozen_states(states: Collection[DomainState] | None) -> frozenset[DomainState] | None:
    return None if states is None else frozenset(states)


@attrs.frozen
class DomainFilter:
    """The filters of virConnectListAllDomains; None means "either"."""

    active: bool | None = None
    persistent: bool | None = None
    states: frozenset[DomainState] | None = attrs.field(default=None, converter=_frozen_states)
    autostart: bool | None = None
    managed_save: bool | None = None
    has_snapshot: bool | None = None
    has_checkpoint: bool | None = None

    def matches(self, record: DomainRecord) -> bool:
        """True when ``record`` passes every filter that is set."""
        return (
            (self.active is None or record.active == self.active)
            and (self.persistent is None or record.persistent == self.persistent)
            and (self.states is None or record.state in self.states)
            and (self.autostart is None or record.autostart == self.autostart)
            and (self.managed_save is None or record.has_managed_save == self.managed_save)
            and (self.has_snapshot is None or record.has_snapshot == self.has_snapshot)
            and (self.has_checkpoint is None or record.has_checkpoint == self.has_checkpoint)
        )

    @staticmethod
    def other_states() -> Collection[DomainState]:
        """States virsh's ``--state-other`` selects."""
        return _OTHER_STATES

    @staticmethod
    def selected_states(*, running: bool, paused: bool, shutoff: bool, other: bool) -> set[DomainState] | None:
        """The states virsh's ``--state-*`` options (and the matching API flags) ask for; None: any."""
        states: set[DomainState] = set()
        if running:
            states.add(DomainState.RUNNING)
        if paused:
            states.add(DomainState.PAUSED)
        if shutoff:
            states.add(DomainState.SHUTOFF)
        if other:
            states.update(_OTHER_STATES)
        return states or None


@attrs.frozen
class ObjectFilter:
    """Filters for networks and storage pools; None means "either"."""

    active: bool | None = None
    persistent: bool | None = None
    autostart: bool | None = None

    def matches(self, *, active: bool, persistent: bool, autostart: bool) -> bool:
        """True when the object passes every filter that is set."""
        return (
            (self.active is None or active == self.active)
            and (self.persistent is None or persistent == self.persistent)
            and (self.autostart is None or autostart == self.autostart)
        )


@attrs.frozen
class NetworkDHCPLease:
    """One DHCP lease of a virtual network (virNetworkDHCPLease)."""

    iface: str
    """The network's bridge."""
    expiry_time: int
    """Seconds since the epoch when the lease ends (0: never)."""
    type: int
    """0 for IPv4, 1 for IPv6 (virIPAddrType)."""
    mac: str | None
    iaid: str | None
    ipaddr: str
    prefix: int
    hostname: str | None
    clientid: str | None
