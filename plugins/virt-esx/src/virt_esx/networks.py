"""Networks = the port groups the host's VMs can be plugged into (read-only).

Standard port groups and, under a vCenter, distributed port groups alike: a domain's
``<interface type='bridge'><source bridge='NAME'/>`` names one, so each network is a bridge of
that name. A network's UUID is derived from the port group's managed object id, stable on its
server; port groups are active while accessible, persistent, and up with the host.
"""

from __future__ import annotations

import hashlib
import uuid as uuid_module
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import attrs
from pyVmomi import vim
from virt.driver import NetworkRef
from virt.errors import ErrorDomain, ErrorNumber, NotFound
from virt.info import ObjectFilter

from virt_esx.collector import filter_spec, traversal
from virt_esx.server import Server

if TYPE_CHECKING:
    from virt.xml import Network

_HOST_NETWORKS = (traversal("networks", vim.HostSystem, "network"),)


@attrs.frozen
class PortGroup:
    obj: Any
    name: str
    uuid: uuid_module.UUID
    accessible: bool
    distributed: bool
    key: str | None
    """A distributed port group's key (what a VM's port connection names)."""

    @property
    def ref(self) -> NetworkRef:
        return NetworkRef(self.name, self.uuid)


def network_uuid(server_url: str, moref: str) -> uuid_module.UUID:
    return uuid_module.UUID(bytes=hashlib.md5(f"{server_url}#{moref}".encode(), usedforsecurity=False).digest())


def not_found(what: str) -> NotFound:
    return NotFound(f"Network not found: {what}", ErrorNumber.NO_NETWORK, ErrorDomain.ESX)


def port_groups(server: Server) -> list[PortGroup]:
    """The networks of the host, in one request."""
    spec = filter_spec(
        server.scope.host,
        {vim.Network: ("name", "summary.accessible"), vim.dvs.DistributedVirtualPortgroup: ("key",)},
        _HOST_NETWORKS,
        skip_start=True,
    )
    found = server.retrieve("cannot list the networks", [spec])
    result = [
        PortGroup(
            obj=item.obj,
            name=str(item.get("name") or item.moref),
            uuid=network_uuid(server.params.url, item.moref),
            accessible=bool(item.get("summary.accessible", True)),
            distributed=isinstance(item.obj, vim.dvs.DistributedVirtualPortgroup),
            key=item.get("key"),
        )
        for item in found
    ]
    return sorted(result, key=lambda p: p.name)


def list_networks(server: Server, filter: ObjectFilter) -> list[NetworkRef]:
    return [p.ref for p in port_groups(server) if filter.matches(active=p.accessible, persistent=True, autostart=True)]


def by_name(server: Server, name: str) -> PortGroup:
    for group in port_groups(server):
        if group.name == name:
            return group
    raise not_found(f"no network with matching name '{name}'")


def by_uuid(server: Server, key: uuid_module.UUID) -> PortGroup:
    for group in port_groups(server):
        if group.uuid == key:
            return group
    raise not_found(f"no network with matching uuid '{key}'")


def is_active(server: Server, ref: NetworkRef) -> bool:
    return by_uuid(server, ref.uuid).accessible


def definition(server: Server, ref: NetworkRef) -> Network:
    from virt.xml import Network

    group = by_uuid(server, ref.uuid)
    name = escape(group.name, {"'": "&apos;"})
    return Network.from_xml(
        f"<network><name>{name}</name><uuid>{group.uuid}</uuid>"
        f"<forward mode='bridge'/><bridge name='{name}'/></network>"
    )
