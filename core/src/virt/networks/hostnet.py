"""The host's links and routes, through iproute2: the bridges of virtual networks.

Every change goes through one ``ip -batch`` process (one fork for a whole bridge). Lookups read the
kernel directly (``if_nametoindex``, ``/proc/thread-self/net/route``), in the calling thread's
network namespace.
"""

from __future__ import annotations

import ipaddress
import socket
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from virt.networks import errors
from virt.networks.addresses import Interface, Subnet


def link_exists(name: str) -> bool:
    try:
        socket.if_nametoindex(name)
    except OSError:
        return False
    return True


def run_batch(commands: Sequence[str], *, what: str) -> None:
    """Run ``commands`` (``ip`` command lines without ``ip``) in one ``ip -batch``; a failure is
    a SYSTEM_ERROR ``what: ip's message``."""
    result = subprocess.run(
        ["ip", "-batch", "-"], input="\n".join(commands) + "\n", capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        message = result.stderr.strip().splitlines()
        raise errors.system(f"{what}: {message[0] if message else f'ip exited with status {result.returncode}'}")


def bridge_commands(
    name: str, *, mac: str | None, stp: bool, delay: int, mtu: int | None, addresses: Iterable[Interface]
) -> list[str]:
    """The ``ip`` commands that make bridge ``name`` with its addresses, up."""
    add = f"link add {name}"
    if mac:
        add += f" address {mac}"
    if mtu:
        add += f" mtu {mtu}"
    # forward_delay is in hundredths of a second; with STP on the kernel raises it to its minimum
    add += f" type bridge stp_state {int(stp)} forward_delay {delay * 100}"
    commands = [add]
    for address in addresses:
        # noprefixroute is not used: the subnet's route is what sends guests' traffic to the bridge
        commands.append(f"addr add {address.with_prefixlen} dev {name}")
    commands.append(f"link set {name} up")
    return commands


def create_bridge(
    name: str, *, mac: str | None, stp: bool, delay: int, mtu: int | None, addresses: Iterable[Interface]
) -> None:
    run_batch(
        bridge_commands(name, mac=mac, stp=stp, delay=delay, mtu=mtu, addresses=addresses),
        what=f"error creating bridge interface {name}",
    )


def delete_link(name: str) -> None:
    """Remove link ``name`` (a bridge: its ports are detached, its addresses and routes go)."""
    if link_exists(name):
        run_batch([f"link del {name}"], what=f"error removing bridge interface {name}")


def _routes_v4() -> list[tuple[str, ipaddress.IPv4Network]]:
    """(interface, destination) of the IPv4 routes of this thread's network namespace."""
    found: list[tuple[str, ipaddress.IPv4Network]] = []
    try:
        lines = Path("/proc/thread-self/net/route").read_text().splitlines()[1:]
    except OSError:
        return found
    for line in lines:
        fields = line.split()
        if len(fields) < 8:
            continue
        # little-endian hex, as the kernel prints them
        dest = ipaddress.IPv4Address(int(fields[1], 16).to_bytes(4, "little"))
        mask = ipaddress.IPv4Address(int(fields[7], 16).to_bytes(4, "little"))
        if int(mask) == 0:
            continue  # the default route collides with nothing
        found.append((fields[0], ipaddress.IPv4Network(f"{dest}/{mask}", strict=False)))
    return found


def _routes_v6() -> list[tuple[str, ipaddress.IPv6Network]]:
    found: list[tuple[str, ipaddress.IPv6Network]] = []
    try:
        lines = Path("/proc/thread-self/net/ipv6_route").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        fields = line.split()
        if len(fields) < 10 or int(fields[1], 16) == 0 or fields[9] == "lo":
            continue
        dest = ipaddress.IPv6Address(bytes.fromhex(fields[0]))
        found.append((fields[9], ipaddress.IPv6Network(f"{dest}/{int(fields[1], 16)}", strict=False)))
    return found


def routes() -> list[tuple[str, Subnet]]:
    """(interface, destination) of every route but the default ones."""
    return [*_routes_v4(), *_routes_v6()]


def check_route_collision(subnets: Iterable[Subnet]) -> None:
    """Refuse a subnet some interface of the host already routes (libvirt's networkCheckRouteCollision)."""
    wanted = list(subnets)
    if not wanted:
        return
    found = routes()
    for subnet in wanted:
        for dev, routed in found:
            if routed == subnet:
                raise errors.internal(f"Network is already in use by interface {dev}")


def set_forwarding(ipv4: bool, ipv6: bool) -> None:
    """Turn on IP forwarding, as libvirt does for NAT and routed networks (never turned back off:
    other networks and the host's own setup may rely on it)."""
    sysctl = Path("/proc/sys/net")
    if ipv4:
        _write_if_different(sysctl / "ipv4" / "ip_forward", "1")
    if ipv6:
        _write_if_different(sysctl / "ipv6" / "conf" / "all" / "forwarding", "1")


def _write_if_different(path: Path, value: str) -> None:
    try:
        if path.read_text().strip() == value:
            return
        path.write_text(value + "\n")
    except OSError as exc:
        raise errors.system(f"cannot enable {path}: {exc.strerror}") from None
