"""Facts about the host the URI names: version, host name, processors and memory, capabilities."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pyVmomi import vim
from virt.info import NodeInfo

from virt_esx.server import Server

if TYPE_CHECKING:
    from virt.xml import Capabilities

_HARDWARE = (
    "summary.hardware.cpuModel",
    "hardware.cpuInfo.hz",
    "hardware.cpuInfo.numCpuPackages",
    "hardware.cpuInfo.numCpuCores",
    "hardware.cpuInfo.numCpuThreads",
    "hardware.memorySize",
    "hardware.numaInfo.numNodes",
)


def version_number(text: str) -> int:
    """``6.5.0`` as libvirt numbers versions: 6005000."""
    parts = [int(p) for p in re.findall(r"\d+", text)[:3]]
    parts += [0] * (3 - len(parts))
    return parts[0] * 1_000_000 + parts[1] * 1_000 + parts[2]


def version(server: Server) -> int:
    return version_number(str(server.session.about.version or "0"))


def hostname(server: Server) -> str:
    """The host's DNS name (host name and domain), else its inventory name."""
    found = server.properties(
        "cannot read the host's name",
        server.scope.host,
        vim.HostSystem,
        ["config.network.dnsConfig.hostName", "config.network.dnsConfig.domainName"],
    )
    name = str(found.get("config.network.dnsConfig.hostName") or "") if found else ""
    domain = str(found.get("config.network.dnsConfig.domainName") or "") if found else ""
    if not name:
        return server.scope.host_name
    return f"{name}.{domain}" if domain else name


def node_info(server: Server) -> NodeInfo:
    found = server.properties("cannot read the host's hardware", server.scope.host, vim.HostSystem, _HARDWARE)
    get = found.get if found is not None else (lambda path, default=None: default)
    packages = int(get("hardware.cpuInfo.numCpuPackages") or 1)
    cores = int(get("hardware.cpuInfo.numCpuCores") or packages)
    threads = int(get("hardware.cpuInfo.numCpuThreads") or cores)
    # virNodeInfo's model is a 32-byte C string: squeezed blanks, at most 31 characters
    model = " ".join(str(get("summary.hardware.cpuModel") or "").split())[:31]
    return NodeInfo(
        model=model,
        memory_kib=int(get("hardware.memorySize") or 0) // 1024,
        cpus=threads,
        mhz=int(get("hardware.cpuInfo.hz") or 0) // 1_000_000,
        nodes=max(1, int(get("hardware.numaInfo.numNodes") or 1)),
        sockets=packages,
        cores=max(1, cores // max(1, packages)),
        threads=max(1, threads // max(1, cores)),
    )


def capabilities(server: Server) -> Capabilities:
    """The host's processor and the guests it runs: hvm ``vmware`` domains, i686 and x86_64."""
    from virt.xml import Capabilities

    info = node_info(server)
    guests = "".join(
        f"<guest><os_type>hvm</os_type><arch name='{arch}'><wordsize>{size}</wordsize>"
        f"<domain type='vmware'/></arch></guest>"
        for arch, size in (("i686", 32), ("x86_64", 64))
    )
    text = (
        "<capabilities><host>"
        f"<uuid>{_host_uuid(server)}</uuid>"
        "<cpu><arch>x86_64</arch>"
        f"<topology sockets='{info.sockets}' dies='1' cores='{info.cores}' threads='{info.threads}'/></cpu>"
        "<power_management/>"
        "</host>"
        f"{guests}</capabilities>"
    )
    return Capabilities.from_xml(text)


def _host_uuid(server: Server) -> str:
    found = server.properties(
        "cannot read the host's UUID", server.scope.host, vim.HostSystem, ["hardware.systemInfo.uuid"]
    )
    value = str(found.get("hardware.systemInfo.uuid") or "") if found else ""
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{server.params.url}/{server.scope.host._moId}"))
