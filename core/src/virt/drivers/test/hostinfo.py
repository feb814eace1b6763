"""Host-level facts of a test host: version, host name, node info, capabilities."""

from __future__ import annotations

import socket
from importlib import resources
from typing import TYPE_CHECKING

from virt.drivers.test.host import HYPERVISOR_VERSION, Host
from virt.info import NodeInfo

if TYPE_CHECKING:
    from virt.xml import Capabilities

# The default host's capabilities describe its two NUMA cells; a host loaded from a node file
# has none (libvirt builds those from the default host's cell table only).
_CAPABILITIES_NUMA = "capabilities-numa.xml"
_CAPABILITIES_PLAIN = "capabilities.xml"


def load_capabilities(numa: bool) -> Capabilities:
    from virt.xml import Capabilities

    name = _CAPABILITIES_NUMA if numa else _CAPABILITIES_PLAIN
    return Capabilities.from_xml(resources.files("virt.drivers.test").joinpath("data", name).read_bytes())


class HostOperations:
    """Host methods of TestConnection."""

    host: Host

    def get_version(self) -> int:
        return HYPERVISOR_VERSION

    def get_hostname(self) -> str:
        # libvirt's test driver answers with the real machine's name
        return socket.gethostname()

    def get_node_info(self) -> NodeInfo:
        with self.host.lock:
            return self.host.node_info

    def get_capabilities(self) -> Capabilities:
        return load_capabilities(self.host.numa)
