"""One real dnsmasq per network: its configuration and host files, start, reload, stop.

dnsmasq daemonizes and its first process exits only once the daemon is serving (or with the
daemon's startup error), so a finished ``dnsmasq --conf-file`` is a running server. Its pid file
names it; it is checked against ``/proc/PID/cmdline`` before any signal so that a recycled pid is
never signalled. DHCP hosts and DNS host entries live in files dnsmasq reads again on SIGHUP, so
``net-update`` of those changes them live without a restart (as libvirt).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from virt.localstate.files import atomic_write
from virt.networks import addresses, dns, errors

if TYPE_CHECKING:
    from virt.xml import Network

DNSMASQ = "dnsmasq"


@attrs.frozen
class DnsmasqFiles:
    folder: Path
    name: str

    def _file(self, suffix: str) -> Path:
        return self.folder / f"{self.name}.{suffix}"

    @property
    def conf(self) -> Path:
        return self._file("conf")

    @property
    def pid(self) -> Path:
        return self._file("pid")

    @property
    def leases(self) -> Path:
        return self._file("leases")

    @property
    def hostsfile(self) -> Path:
        return self._file("hostsfile")

    @property
    def addnhosts(self) -> Path:
        return self._file("addnhosts")

    def all(self) -> tuple[Path, ...]:
        return (self.conf, self.pid, self.leases, self.hostsfile, self.addnhosts)


def needed(network: Network) -> bool:
    """libvirt runs dnsmasq for a network with a managed bridge and at least one address."""
    return network.has_managed_bridge and bool(network.ips)


def _range_size(start: str, end: str) -> int:
    return int(ipaddress.ip_address(end)) - int(ipaddress.ip_address(start)) + 1


def config(network: Network, files: DnsmasqFiles) -> str:
    """dnsmasq's configuration for ``network``, with the options libvirt gives it."""
    assert network.bridge is not None and network.bridge.name
    settings = dns.read(network.dns)
    lines = ["strict-order"]
    if not settings.enabled:
        lines.append("port=0")
    for addr, domain in settings.forwarders:
        if addr and domain:
            lines.append(f"server=/{domain}/{addr}")
        elif addr:
            lines.append(f"server={addr}")
        elif domain:
            lines.append(f"server=/{domain}/")
    if any(addr and not domain for addr, domain in settings.forwarders):
        lines.append("no-resolv")  # the forwarders replace the host's resolvers (as libvirt)
    if not settings.forward_plain_names:
        lines.append("domain-needed")
    if network.domain is not None and network.domain.name:
        lines.append(f"domain={network.domain.name}")
        if network.domain.local_only:
            lines.append(f"local=/{network.domain.name}/")
        lines.append("expand-hosts")
    lines += [
        f"pid-file={files.pid}",
        "except-interface=lo",
        "bind-dynamic",
        f"interface={network.bridge.name}",
    ]
    lease_max = 0
    for ip, iface in addresses.interfaces(network):
        if ip.dhcp is None:
            continue
        for rng in ip.dhcp.ranges:
            assert rng.start and rng.end
            mask = iface.netmask if iface.version == 4 else iface.network.prefixlen
            lines.append(f"dhcp-range={rng.start},{rng.end},{mask}")
            lease_max += _range_size(rng.start, rng.end)
        if ip.dhcp.hosts and not ip.dhcp.ranges and iface.version == 4:
            # static hosts only: dnsmasq answers them from a "static" range of the subnet
            lines.append(f"dhcp-range={iface.network.network_address},static")
    if lease_max:
        lines += ["dhcp-no-override", "dhcp-authoritative", f"dhcp-lease-max={lease_max}"]
    if network.forward is None:
        lines.append("dhcp-option=3")  # isolated: no default route through the host
    lines += [
        f"dhcp-leasefile={files.leases}",
        f"dhcp-hostsfile={files.hostsfile}",
        f"addn-hosts={files.addnhosts}",
    ]
    for name, value in settings.txts:
        lines.append(f"txt-record={name},{value}")
    for srv in settings.srvs:
        record = f"_{srv.service}._{srv.protocol}"
        if srv.domain:
            record += f".{srv.domain}"
        values = [record]
        if srv.target:
            values.append(srv.target)
            values += [v for v in (srv.port, srv.priority, srv.weight) if v]
        lines.append("srv-host=" + ",".join(values))
    return "\n".join(lines) + "\n"


def hostsfile(network: Network) -> str:
    """dnsmasq's ``dhcp-hostsfile``: one static DHCP host a line."""
    lines: list[str] = []
    for ip in network.ips:
        if ip.dhcp is None:
            continue
        for host in ip.dhcp.hosts:
            key = host.mac or (f"id:{host.id}" if host.id else None)
            ip_text = f"[{host.ip}]" if host.ip and ":" in host.ip else host.ip
            lines.append(",".join(v for v in (key, ip_text, host.name) if v))
    return "".join(line + "\n" for line in lines)


def addnhosts(network: Network) -> str:
    """dnsmasq's ``addn-hosts``: the network's ``<dns><host>`` entries, in /etc/hosts form."""
    return "".join(f"{h.ip}\t{' '.join(h.hostnames)}\n" for h in dns.read(network.dns).hosts if h.hostnames)


def write_files(network: Network, files: DnsmasqFiles) -> None:
    atomic_write(files.conf, config(network, files), 0o644, durable=False)
    write_host_files(network, files)


def write_host_files(network: Network, files: DnsmasqFiles) -> None:
    atomic_write(files.hostsfile, hostsfile(network), 0o644, durable=False)
    atomic_write(files.addnhosts, addnhosts(network), 0o644, durable=False)


def start(network: Network, files: DnsmasqFiles) -> int:
    """Write the files and start dnsmasq; its pid once it serves."""
    write_files(network, files)
    with contextlib.suppress(FileNotFoundError):
        files.pid.unlink()
    try:
        result = subprocess.run(
            [DNSMASQ, f"--conf-file={files.conf}"],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise errors.system("cannot run dnsmasq: it is not installed (Debian package dnsmasq-base)") from None
    if result.returncode != 0:
        raise errors.internal(f"dnsmasq for network '{network.name}' failed to start: {result.stderr.strip()}")
    pid = running_pid(files)
    if pid is None:
        raise errors.internal(f"dnsmasq for network '{network.name}' did not write its pid file {files.pid}")
    return pid


def running_pid(files: DnsmasqFiles) -> int | None:
    """The pid of the network's dnsmasq when it runs (the pid file's process, started with our
    configuration), else None."""
    try:
        pid = int(files.pid.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if f"--conf-file={files.conf}".encode() in cmdline.split(b"\0") else None


def reload(files: DnsmasqFiles) -> bool:
    """SIGHUP: dnsmasq reads its host files again. False when it does not run."""
    pid = running_pid(files)
    if pid is None:
        return False
    os.kill(pid, signal.SIGHUP)
    return True


def stop(files: DnsmasqFiles, *, timeout: float = 5.0) -> None:
    """Stop the network's dnsmasq (SIGTERM, SIGKILL after ``timeout``) and wait until it is gone."""
    pid = running_pid(files)
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    delay = 0.0005
    while _alive(pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(delay)
        delay = min(delay * 2, 0.02)


def _alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (a zombie serves nothing and holds no socket)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def remove_files(files: DnsmasqFiles) -> None:
    for path in files.all():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
