"""The host side of a guest's ``<interface type='network'>`` and ``<interface type='bridge'>``.

A network interface joins its network's bridge (the host network service names it; the network
must run). As root the driver makes one tap per interface (``vnetN``, as libvirt names them),
puts it on the bridge and up before QEMU starts, and QEMU opens it by name; the live definition
carries the tap (``<target dev>``) and the network's bridge (``<source bridge>``), so a restarted
driver knows what to remove when the guest stops. Without root (``qemu:///session``) QEMU's
setuid bridge helper makes the tap instead, for the bridges its bridge.conf allows.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable, Iterator

from virt.errors import ErrorNumber
from virt.xml import Domain
from virt.xml.devices import Interface, InterfaceSource, InterfaceTarget

from virt_qemu import errors

TAP_PREFIX = "vnet"
BRIDGED = ("bridge", "network")


def _bridged(domain: Domain) -> Iterator[Interface]:
    devices = domain.devices
    for iface in devices.interfaces if devices is not None else []:
        if iface.type in BRIDGED:
            yield iface


def resolve_networks(domain: Domain, bridge_of: Callable[[str], str]) -> None:
    """Write the bridge of every network interface into ``domain`` (the definition about to run)."""
    for iface in _bridged(domain):
        if iface.type != "network":
            continue
        if iface.source is None or not iface.source.network:
            raise errors.unsupported("a network interface needs <source network='...'>")
        iface.source.bridge = bridge_of(iface.source.network)


def _link_exists(name: str) -> bool:
    try:
        socket.if_nametoindex(name)
    except OSError:
        return False
    return True


def _free_taps(count: int) -> list[str]:
    found: list[str] = []
    number = 0
    while len(found) < count:
        name = f"{TAP_PREFIX}{number}"
        if not _link_exists(name):
            found.append(name)
        number += 1
    return found


def _ip_batch(commands: list[str]) -> str | None:
    """Run ``ip`` commands in one process; ip's first error line, or None."""
    done = subprocess.run(
        ["ip", "-batch", "-"], input="\n".join(commands) + "\n", capture_output=True, text=True, check=False
    )
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines()
    return lines[0] if lines else f"ip exited with status {done.returncode}"


def attach(domain: Domain) -> list[str]:
    """As root: one tap per bridged interface, on its bridge and up; their names (also written
    into the interfaces' ``<target dev>``). Without root: nothing (QEMU's bridge helper)."""
    interfaces = list(_bridged(domain))
    if not interfaces or os.geteuid() != 0:
        return []
    commands: list[str] = []
    taps = _free_taps(len(interfaces))
    for iface, tap in zip(interfaces, taps, strict=True):
        source = iface.source or InterfaceSource()
        bridge = source.bridge
        if not bridge:
            raise errors.unsupported("a bridge interface needs <source bridge='...'>")
        if not _link_exists(bridge):
            raise errors.error(ErrorNumber.SYSTEM_ERROR, f"Cannot get interface MTU on '{bridge}': No such device")
        commands += [f"tuntap add dev {tap} mode tap", f"link set {tap} master {bridge} up"]
        if iface.target is None:
            iface.target = InterfaceTarget()
        iface.target.dev = tap
    failure = _ip_batch(commands)
    if failure is not None:
        detach(taps)
        raise errors.error(
            ErrorNumber.SYSTEM_ERROR, f"Unable to create tap devices for the domain's interfaces: {failure}"
        )
    return taps


def taps_of(domain: Domain | None) -> list[str]:
    """The taps the driver made for ``domain``'s running definition."""
    if domain is None or os.geteuid() != 0:
        return []
    return [
        iface.target.dev
        for iface in _bridged(domain)
        if iface.target is not None and iface.target.dev and iface.target.dev.startswith(TAP_PREFIX)
    ]


def detach(taps: list[str]) -> None:
    """Remove the taps (those still there; QEMU's exit does not remove a persistent tap)."""
    present = [tap for tap in taps if _link_exists(tap)]
    if present:
        _ip_batch([f"link del {tap}" for tap in present])
