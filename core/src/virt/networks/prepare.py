"""What libvirt adds to a network definition before storing it, and what it refuses in one."""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from virt.errors import ErrorNumber
from virt.networks import addresses, errors, hostnet

if TYPE_CHECKING:
    from virt.xml import Network

SUPPORTED_MODES = frozenset({None, "nat", "route", "open", "bridge"})
BRIDGE_TEMPLATE = "virbr{}"


def random_mac() -> str:
    """A MAC in QEMU's 52:54:00 range, as libvirt gives a network's bridge."""
    return "52:54:00:" + ":".join(f"{random.randrange(256):02x}" for _ in range(3))


def mode_of(network: Network) -> str | None:
    """The forward mode (None: isolated)."""
    return network.forward.mode if network.forward is not None else None


def prepare(network: Network, others: Iterable[Network]) -> Network:
    """A private copy of ``network`` ready to store: UUID, bridge MAC and name filled in, its
    ranges and bridge name checked; ``others``: every other network's definitions."""
    if not network.name:
        raise errors.error(ErrorNumber.NO_NAME, "missing name information")
    if "/" in network.name:
        raise errors.error(ErrorNumber.XML_ERROR, f"name {network.name} cannot contain '/'")
    stored = copy.deepcopy(network)
    if stored.uuid is None:
        stored.uuid = uuid.uuid4()
    addresses.check_ranges(stored)
    others = [o for o in others if o.name != stored.name]
    if stored.has_managed_bridge:
        assert stored.bridge is not None  # post_parse gives managed bridges a <bridge>
        if stored.mac is None:
            from virt.xml.network import NetworkMac

            stored.mac = NetworkMac()
        if stored.mac.address is None:
            stored.mac.address = random_mac()
        if not stored.bridge.name or "%d" in stored.bridge.name:
            stored.bridge.name = free_bridge_name(stored.bridge.name, others)
    mode = mode_of(stored)
    if mode == "bridge" and (stored.bridge is None or not stored.bridge.name):
        raise errors.unsupported(
            f"network '{stored.name}' has forward mode 'bridge' but no bridge device (<bridge name='...'/>) was given"
        )
    if stored.bridge is not None and stored.bridge.name:
        for other in others:
            if other.bridge is not None and other.bridge.name == stored.bridge.name:
                raise errors.internal(f"bridge name '{stored.bridge.name}' already in use.")
    return stored


def free_bridge_name(template: str | None, others: Iterable[Network]) -> str:
    """The first ``virbrN`` (or ``template`` with ``%d``) no network uses and no link has; libvirt
    starts at 1, leaving virbr0 to the default network."""
    pattern = template.replace("%d", "{}") if template else BRIDGE_TEMPLATE
    taken = {o.bridge.name for o in others if o.bridge is not None and o.bridge.name}
    for number in range(1, 256):
        name = pattern.format(number)
        if name not in taken and not hostnet.link_exists(name):
            return name
    raise errors.internal("Bridge generation exceeded max id 256")


def check_startable(network: Network) -> None:
    """Refuse forward modes the service does not run (hostdev, passthrough, private, vepa)."""
    mode = mode_of(network)
    if mode not in SUPPORTED_MODES:
        raise errors.unsupported(f"forward mode '{mode}' of network '{network.name}' is not supported by virt")
