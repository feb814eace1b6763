"""One nftables table per network: masquerading and the forward filter of libvirt's rules.

libvirt 9.0 writes iptables rules into shared chains; virt gives each network its own table
(``inet virt_BRIDGE``), made and replaced in one ``nft`` transaction and removed whole on destroy,
so nothing of a network is left in the host's firewall after it stops. The rules follow libvirt's:
traffic between guests of the network passes, NAT networks let out what comes from their subnet
and back in what answers it (masquerading with source ports 1024-65535, as libvirt), routed
networks let their subnet both ways, and everything else to or from the bridge is rejected.
libvirt's INPUT/OUTPUT accepts for DNS and DHCP are not written: an nftables accept ends only
its own table's chain, so they would change nothing. ``open`` networks get no table at all.
"""

from __future__ import annotations

import re
import subprocess

from virt.networks import errors
from virt.networks.addresses import Subnet

FAMILY = "inet"


def table_name(bridge: str) -> str:
    return "virt_" + re.sub(r"[^A-Za-z0-9_]", "_", bridge)


def _match(subnet: Subnet, direction: str) -> str:
    return f"{'ip' if subnet.version == 4 else 'ip6'} {direction} {subnet}"


def ruleset(bridge: str, mode: str, subnets: list[Subnet], *, forward_dev: str | None = None) -> str:
    """The nft script that (re)makes the table of network ``bridge`` in forward ``mode``."""
    table = f"{FAMILY} {table_name(bridge)}"
    out_dev = f' oifname "{forward_dev}"' if forward_dev else ""
    in_dev = f' iifname "{forward_dev}"' if forward_dev else ""
    forward = [f'iifname "{bridge}" oifname "{bridge}" accept']
    nat: list[str] = []
    for subnet in subnets:
        src, dst = _match(subnet, "saddr"), _match(subnet, "daddr")
        if mode == "nat" and subnet.version == 4:
            forward.append(f'iifname "{bridge}"{out_dev} {src} accept')
            forward.append(f'{in_dev} oifname "{bridge}" {dst} ct state related,established accept'.strip())
            nat += [
                f"{src} ip daddr 224.0.0.0/24 return",
                f"{src} ip daddr 255.255.255.255 return",
                f"{src} ip daddr != {subnet} meta l4proto {{ tcp, udp }} masquerade to :1024-65535",
                f"{src} ip daddr != {subnet} masquerade",
            ]
        elif mode in ("nat", "route"):
            # IPv6 is never masqueraded (as libvirt): a NAT network routes it
            forward.append(f'iifname "{bridge}"{out_dev} {src} accept')
            forward.append(f'{in_dev} oifname "{bridge}" {dst} accept'.strip())
    forward += [f'iifname "{bridge}" reject', f'oifname "{bridge}" reject']
    lines = [
        # add-then-delete makes the script work whether or not a table was left behind, in one transaction
        f"add table {table}",
        f"delete table {table}",
        f"table {table} {{",
        "  chain forward {",
        "    type filter hook forward priority filter; policy accept;",
        *(f"    {rule}" for rule in forward),
        "  }",
    ]
    if nat:
        lines += [
            "  chain postrouting {",
            "    type nat hook postrouting priority srcnat; policy accept;",
            *(f"    {rule}" for rule in nat),
            "  }",
        ]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _nft(args: list[str], script: str | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["nft", *args], input=script, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise errors.system("cannot run nft: it is not installed (Debian package nftables)") from None


def apply(bridge: str, mode: str, subnets: list[Subnet], *, forward_dev: str | None = None) -> None:
    result = _nft(["-f", "-"], ruleset(bridge, mode, subnets, forward_dev=forward_dev))
    if result.returncode != 0:
        raise errors.system(f"error adding firewall rules for bridge {bridge}: {result.stderr.strip()}")


def exists(bridge: str) -> bool:
    return _nft(["list", "table", FAMILY, table_name(bridge)]).returncode == 0


def remove(bridge: str) -> None:
    """Delete the network's table (nothing when there is none)."""
    result = _nft(["delete", "table", FAMILY, table_name(bridge)])
    if result.returncode != 0 and "No such file or directory" not in result.stderr:
        raise errors.system(f"error removing firewall rules for bridge {bridge}: {result.stderr.strip()}")
