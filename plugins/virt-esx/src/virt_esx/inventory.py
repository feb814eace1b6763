"""Where the URI points in the server's inventory: datacenter, compute resource, host, resource pool.

An ``esx://`` or ``gsx://`` server has one datacenter with one host. A ``vpx://`` URI's path names
the datacenter and the host the way libvirt's does: ``[FOLDER/...]DATACENTER/[FOLDER/...][CLUSTER/]HOST``
(a standalone host's compute resource carries the host's name). The whole tree of names is read in
one PropertyCollector request and the path resolved locally.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
from pyVmomi import vim
from virt.errors import ErrorDomain, ErrorNumber, VirtError

from virt_esx.collector import Found, filter_spec, retrieve, traversal

_TREE = {
    vim.Folder: ("name", "childEntity"),
    vim.Datacenter: ("name", "hostFolder", "vmFolder"),
    vim.ComputeResource: ("name", "host", "resourcePool"),
    vim.HostSystem: ("name",),
}
_STEPS = (
    traversal("folder", vim.Folder, "childEntity", "folder", "datacenter", "compute"),
    traversal("datacenter", vim.Datacenter, "hostFolder", "folder"),
    traversal("compute", vim.ComputeResource, "host"),
)


@attrs.frozen
class Scope:
    """The objects a connection works with."""

    datacenter: Any
    datacenter_path: str
    """The datacenter's inventory path (folders included), as the domain XML's vmware namespace holds it."""
    vm_folder: Any
    compute_resource: Any
    resource_pool: Any
    host: Any
    host_name: str


def _not_found(uri_path: str, what: str, name: str, where: str, choices: Sequence[str]) -> VirtError:
    known = ", ".join(sorted(choices)) or "none"
    return VirtError(
        f"invalid argument: path '{uri_path}': no {what} '{name}' in {where} (there is: {known})",
        ErrorNumber.INVALID_ARG,
        ErrorDomain.ESX,
    )


class _Tree:
    def __init__(self, found: list[Found]) -> None:
        self.by_moref = {item.moref: item for item in found}

    def children(self, item: Found, path: str) -> list[Found]:
        refs = item.get(path) or []
        return [self.by_moref[ref._moId] for ref in refs if ref._moId in self.by_moref]

    def child(self, item: Found, path: str) -> Found | None:
        ref = item.get(path)
        return None if ref is None else self.by_moref.get(ref._moId)


def locate(content: Any, scheme: str, path: Sequence[str]) -> Scope:
    """The scope of the URI's ``path`` (empty for esx/gsx); VirtError naming what was not found."""
    root = content.rootFolder
    tree = _Tree(retrieve(content.propertyCollector, [filter_spec(root, _TREE, _STEPS)]))
    top = tree.by_moref.get(root._moId)
    if top is None:
        raise VirtError("the server's inventory has no root folder", ErrorNumber.INTERNAL_ERROR, ErrorDomain.ESX)
    if scheme != "vpx":
        return _single_host(tree, top)
    return _by_path(tree, top, list(path))


def _single_host(tree: _Tree, top: Found) -> Scope:
    datacenters = [c for c in tree.children(top, "childEntity") if isinstance(c.obj, vim.Datacenter)]
    for datacenter in datacenters:
        host_folder = tree.child(datacenter, "hostFolder")
        computes = (
            [c for c in tree.children(host_folder, "childEntity") if isinstance(c.obj, vim.ComputeResource)]
            if host_folder
            else []
        )
        for compute in computes:
            hosts = tree.children(compute, "host")
            if hosts:
                return _scope(datacenter, datacenter.get("name"), compute, hosts[0])
    raise VirtError("the server's inventory has no host", ErrorNumber.INTERNAL_ERROR, ErrorDomain.ESX)


def _by_path(tree: _Tree, top: Found, parts: list[str]) -> Scope:
    uri_path = "/" + "/".join(parts)
    # folders down to the datacenter
    current = top
    walked: list[str] = []
    while True:
        if not parts:
            raise VirtError(
                f"invalid argument: path '{uri_path}' names no datacenter", ErrorNumber.INVALID_ARG, ErrorDomain.ESX
            )
        name = parts.pop(0)
        children = [c for c in tree.children(current, "childEntity") if isinstance(c.obj, vim.Folder | vim.Datacenter)]
        match = next((c for c in children if c.get("name") == name), None)
        if match is None:
            where = "/".join(walked) or "the root folder"
            raise _not_found(uri_path, "datacenter or folder", name, where, [str(c.get("name")) for c in children])
        walked.append(name)
        if isinstance(match.obj, vim.Datacenter):
            datacenter = match
            break
        current = match
    datacenter_path = "/".join(walked)
    current_folder = tree.child(datacenter, "hostFolder")
    if current_folder is None:
        raise VirtError(
            f"datacenter '{datacenter_path}' has no host folder", ErrorNumber.INTERNAL_ERROR, ErrorDomain.ESX
        )
    # folders down to the compute resource (a cluster, or a standalone host's)
    while True:
        if not parts:
            raise VirtError(
                f"invalid argument: path '{uri_path}' names no host after datacenter '{datacenter_path}'",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.ESX,
            )
        name = parts.pop(0)
        children = [
            c
            for c in tree.children(current_folder, "childEntity")
            if isinstance(c.obj, vim.Folder | vim.ComputeResource)
        ]
        match = next((c for c in children if c.get("name") == name), None)
        if match is None:
            raise _not_found(
                uri_path, "cluster, host or folder", name, datacenter_path, [str(c.get("name")) for c in children]
            )
        walked.append(name)
        if isinstance(match.obj, vim.ComputeResource):
            compute = match
            break
        current_folder = match
    hosts = tree.children(compute, "host")
    if isinstance(compute.obj, vim.ClusterComputeResource) or parts:
        if not parts:
            raise VirtError(
                f"invalid argument: path '{uri_path}' names cluster '{compute.get('name')}' but none of its hosts",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.ESX,
            )
        name = parts.pop(0)
        host = next((h for h in hosts if h.get("name") == name), None)
        if host is None:
            raise _not_found(uri_path, "host", name, "/".join(walked), [str(h.get("name")) for h in hosts])
    elif hosts:
        host = hosts[0]
    else:
        raise VirtError(
            f"compute resource '{'/'.join(walked)}' has no host", ErrorNumber.INTERNAL_ERROR, ErrorDomain.ESX
        )
    if parts:
        raise VirtError(
            f"invalid argument: path '{uri_path}' goes on after host '{host.get('name')}'",
            ErrorNumber.INVALID_ARG,
            ErrorDomain.ESX,
        )
    return _scope(datacenter, datacenter_path, compute, host)


def _scope(datacenter: Found, datacenter_path: str, compute: Found, host: Found) -> Scope:
    return Scope(
        datacenter=datacenter.obj,
        datacenter_path=datacenter_path,
        vm_folder=datacenter.get("vmFolder"),
        compute_resource=compute.obj,
        resource_pool=compute.get("resourcePool"),
        host=host.obj,
        host_name=str(host.get("name")),
    )
