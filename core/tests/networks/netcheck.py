"""What is on the host of a private network namespace: links, addresses, nftables tables, dnsmasq."""

from __future__ import annotations

import ctypes
import ipaddress
import json
import os
import pickle
import socket
import struct
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from virt.testing.netns import CLONE_NEWNET

T = TypeVar("T")


def links() -> dict[str, dict[str, object]]:
    out = subprocess.run(["ip", "-j", "-d", "addr", "show"], capture_output=True, text=True, check=True).stdout
    return {entry["ifname"]: entry for entry in json.loads(out)}


def addresses(link: str) -> list[str]:
    info = links()[link]
    return [f"{a['local']}/{a['prefixlen']}" for a in info["addr_info"]]  # type: ignore[index,union-attr,attr-defined]


def nft_tables() -> list[str]:
    out = subprocess.run(["nft", "-j", "list", "tables"], capture_output=True, text=True, check=True).stdout
    return [f"{t['table']['family']} {t['table']['name']}" for t in json.loads(out)["nftables"] if "table" in t]


def nft_table(name: str) -> str:
    return subprocess.run(["nft", "list", "table", "inet", name], capture_output=True, text=True, check=True).stdout


def dnsmasq_pids(conf: Path) -> list[int]:
    """The processes running dnsmasq with ``conf``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if f"--conf-file={conf}".encode() in argv and state != "Z":
            found.append(int(entry.name))
    return found


def dig(server: str, name: str, qtype: int = 1, *, timeout: float = 2.0) -> list[bytes]:
    """The answers' RDATA of one DNS query (``qtype`` 1: A, 16: TXT) to ``server``:53."""
    query_id = os.getpid() & 0xFFFF
    question = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    packet = struct.pack(">HHHHHH", query_id, 0x0100, 1, 0, 0, 0) + question + struct.pack(">HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(packet, (server, 53))
        reply = sock.recv(4096)
    answers = struct.unpack(">H", reply[6:8])[0]
    offset = 12 + len(question) + 4
    found = []
    for _ in range(answers):
        offset = _skip_name(reply, offset)
        _, _, _, length = struct.unpack(">HHIH", reply[offset : offset + 10])
        found.append(reply[offset + 10 : offset + 10 + length])
        offset += 10 + length
    return found


def _skip_name(data: bytes, offset: int) -> int:
    while data[offset]:
        if data[offset] & 0xC0 == 0xC0:
            return offset + 2
        offset += data[offset] + 1
    return offset + 1


class Peer:
    """A stand-in guest: a process in its own network namespace, joined to ``bridge`` by a veth pair
    whose inside end is ``eth0`` with ``mac``. ``call(fn, ...)`` runs ``fn`` in its namespace."""

    def __init__(self, bridge: str, mac: str, name: str = "vpeer0") -> None:
        self.process = subprocess.Popen(["unshare", "--net", "sleep", "600"])
        self.mac = mac
        netns = f"/proc/{self.process.pid}/ns/net"
        deadline = time.monotonic() + 5
        while os.readlink(netns) == os.readlink("/proc/thread-self/ns/net"):  # until unshare has run
            assert time.monotonic() < deadline
            time.sleep(0.005)
        commands = [
            f"link add {name} type veth peer name eth0 address {mac} netns {self.process.pid}",
            f"link set {name} master {bridge} up",
        ]
        subprocess.run(["ip", "-batch", "-"], input="\n".join(commands) + "\n", text=True, check=True)
        self.call(subprocess.run, ["ip", "link", "set", "eth0", "up"], check=True)
        self.call(subprocess.run, ["ip", "link", "set", "lo", "up"], check=True)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            try:
                fd = os.open(f"/proc/{self.process.pid}/ns/net", os.O_RDONLY)
                if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns")
                result: Any = ("ok", fn(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                result = ("error", exc)
            with os.fdopen(write_end, "wb") as out:
                pickle.dump(result, out)
            os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as source:
            kind, value = pickle.load(source)
        os.waitpid(pid, 0)
        if kind == "error":
            raise value
        return value  # type: ignore[no-any-return]

    def dhcp(self, hostname: str = "peer", timeout: float = 10.0) -> str:
        """Take a DHCP lease (DISCOVER, OFFER, REQUEST, ACK) and configure it on eth0; the address."""
        address, prefix = self.call(dhcp_lease, self.mac, hostname, timeout)
        self.call(subprocess.run, ["ip", "addr", "add", f"{address}/{prefix}", "dev", "eth0"], check=True)
        return str(address)

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def _dhcp_packet(mac: str, xid: int, kind: int, hostname: str, requested: str | None = None) -> bytes:
    chaddr = bytes.fromhex(mac.replace(":", "")).ljust(16, b"\0")
    header = struct.pack(">BBBBIHH4s4s4s4s16s192s", 1, 1, 6, 0, xid, 0, 0x8000, b"\0" * 4, b"\0" * 4, b"\0" * 4,
                         b"\0" * 4, chaddr, b"\0" * 192)  # fmt: skip
    options = b"\x63\x82\x53\x63" + bytes([53, 1, kind]) + bytes([12, len(hostname)]) + hostname.encode()
    if requested is not None:
        options += bytes([50, 4]) + socket.inet_aton(requested)
    return header + options + b"\xff"


def _dhcp_reply(data: bytes, xid: int) -> tuple[int, str, dict[int, bytes]] | None:
    if len(data) < 240 or struct.unpack(">I", data[4:8])[0] != xid:
        return None
    options: dict[int, bytes] = {}
    i = 240
    while i < len(data) and data[i] != 255:
        if data[i] == 0:
            i += 1
            continue
        options[data[i]] = data[i + 2 : i + 2 + data[i + 1]]
        i += 2 + data[i + 1]
    return options.get(53, b"\0")[0], socket.inet_ntoa(data[16:20]), options


def dhcp_lease(mac: str, hostname: str, timeout: float) -> tuple[str, int]:
    """A minimal DHCP client on eth0 (broadcast replies, no address needed): (address, prefix)."""
    xid = int.from_bytes(os.urandom(4), "big")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
        sock.bind(("0.0.0.0", 68))
        sock.settimeout(0.5)
        deadline = time.monotonic() + timeout
        offered: str | None = None
        while time.monotonic() < deadline:
            kind = 1 if offered is None else 3
            sock.sendto(_dhcp_packet(mac, xid, kind, hostname, offered), ("255.255.255.255", 67))
            try:
                reply = _dhcp_reply(sock.recv(1500), xid)
            except TimeoutError:
                continue
            if reply is None:
                continue
            message, yiaddr, options = reply
            if message == 2:  # OFFER
                offered = yiaddr
            elif message == 5:  # ACK
                mask = ipaddress.IPv4Address(options.get(1, b"\xff\xff\xff\x00"))
                return yiaddr, bin(int(mask)).count("1")
    raise TimeoutError("no DHCP lease")
