"""A container's network devices: veth pairs made with iproute2's ``ip``, loopback up by ioctl.

The host end of each pair stays on the host (on its bridge, if any); the other end is created
straight inside the container's network namespace (``peer ... netns PID``), where the
container's own setup renames it, gives it the MAC, addresses and routes of the XML. When the
namespace goes away the kernel deletes the pair, so a stopped container leaves no veth behind.
"""

from __future__ import annotations

import fcntl
import itertools
import secrets
import socket
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

from virt_lxc.hosterror import HostError
from virt_lxc.spec import NetInterface

IP = "ip"
SYS_NET = Path("/sys/class/net")

_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1


def bridge_of(interface: NetInterface, network_bridge: Callable[[str], str]) -> str | None:
    """The bridge the host end joins (None for ``ethernet``; a network's from ``network_bridge``,
    the host network service); a clear error when it is missing."""
    if interface.kind == "ethernet":
        return None
    bridge = network_bridge(interface.network or "") if interface.kind == "network" else interface.bridge
    assert bridge is not None
    if not (SYS_NET / bridge / "bridge").is_dir():
        what = (
            f"network '{interface.network}' (bridge {bridge})" if interface.kind == "network" else f"bridge '{bridge}'"
        )
        raise HostError(f"interface '{interface.guest_name}': {what} does not exist on this host")
    return bridge


def host_names(interfaces: tuple[NetInterface, ...], taken: set[str]) -> list[str]:
    """The host end of each pair: the XML's ``<target dev>``, else the first free ``vethN``."""
    names: list[str] = []
    counter = itertools.count()
    for interface in interfaces:
        if interface.host_name:
            if (SYS_NET / interface.host_name).exists() or interface.host_name in taken:
                raise HostError(f"network device '{interface.host_name}' already exists on the host")
            names.append(interface.host_name)
            continue
        while True:
            candidate = f"veth{next(counter)}"
            if candidate not in taken and candidate not in names and not (SYS_NET / candidate).exists():
                names.append(candidate)
                break
    return names


def peer_name() -> str:
    """A name for the container's end while it is created (renamed inside; unique on the host)."""
    return f"vlxc{secrets.token_hex(5)}"


def host_batch(
    interfaces: tuple[NetInterface, ...], names: list[str], peers: list[str], bridges: list[str | None], pid: int
) -> str:
    """``ip -batch`` commands making each pair with its peer inside ``pid``'s network namespace."""
    lines = []
    for interface, name, peer, bridge in zip(interfaces, names, peers, bridges, strict=True):
        mtu = f" mtu {interface.mtu}" if interface.mtu else ""
        lines.append(f"link add {name}{mtu} type veth peer name {peer} address {interface.mac} netns {pid}")
        if bridge is not None:
            lines.append(f"link set {name} master {bridge}")
        lines.append(f"link set {name} up")
    return "\n".join(lines) + "\n"


def guest_batch(interfaces: tuple[NetInterface, ...], peers: list[str]) -> str:
    """``ip -batch`` commands run inside the container: names, addresses, routes, links up."""
    lines = []
    for interface, peer in zip(interfaces, peers, strict=True):
        name = interface.guest_name
        lines.append(f"link set {peer} name {name}")
        up = interface.link_up if interface.link_up is not None else bool(interface.addresses)
        if up:
            lines.append(f"link set {name} up")
        for address in interface.addresses:
            option = "-6 " if address.family == "ipv6" else ""
            nodad = " nodad" if address.family == "ipv6" else ""
            lines.append(f"{option}addr add {address.address}/{address.prefix} dev {name}{nodad}")
        for route in interface.routes:
            option = "-6 " if route.family == "ipv6" else ""
            via = f" via {route.gateway}" if route.gateway else ""
            metric = f" metric {route.metric}" if route.metric is not None else ""
            lines.append(f"{option}route add {route.address}/{route.prefix}{via} dev {name}{metric}")
    return "\n".join(lines) + "\n"


def start_batch(batch: str) -> subprocess.Popen[str]:
    """Start ``ip -batch -`` on ``batch``; ``finish_batch`` waits for it."""
    try:
        process = subprocess.Popen(
            [IP, "-batch", "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
    except FileNotFoundError:
        raise OSError(2, "the 'ip' command (iproute2) is not installed") from None
    assert process.stdin is not None
    process.stdin.write(batch)
    process.stdin.close()
    return process


def finish_batch(process: subprocess.Popen[str], what: str) -> None:
    """Wait for ``start_batch``'s ip; OSError naming ``what`` and ip's own message when it failed."""
    assert process.stderr is not None
    try:
        errors = process.stderr.read()
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise OSError(110, f"{what}: 'ip -batch' did not finish within 30 s") from None
    finally:
        process.stderr.close()
    if process.returncode != 0:
        message = " ".join(errors.split()) or f"exit status {process.returncode}"
        raise OSError(0, f"{what}: {message}")


def run_batch(batch: str, what: str) -> None:
    """Run ``ip -batch -`` on ``batch``; OSError naming ``what`` and ip's message when it fails."""
    try:
        process = start_batch(batch)
    except OSError as exc:
        raise OSError(exc.errno, f"{what}: {exc.strerror}") from None
    finish_batch(process, what)


def delete_links(names: list[str]) -> None:
    """Delete host ends left by a failed start (deleting one end deletes the pair); gone ones are fine."""
    for name in names:
        if (SYS_NET / name).exists():
            subprocess.run([IP, "link", "del", name], capture_output=True, check=False, timeout=30)


def loopback_up() -> None:
    """Bring ``lo`` up in this process's network namespace (libvirt does for a private network)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(sock.fileno(), _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock.fileno(), _SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | _IFF_UP))


def exists(name: str) -> bool:
    return (SYS_NET / name).exists()
