"""Storage pools = the host's datastores; volumes = the disk, CD and floppy images on them.

A pool's UUID is derived from the datastore's URL (its mount point), which the server keeps for the
datastore's life. A volume is named by its path inside the datastore (``dir/disk.vmdk``); its key
and path are the datastore path VMware uses everywhere (``[datastore] dir/disk.vmdk``). Pools are
always active (when accessible), persistent and started with the host; they are read-only here.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import uuid as uuid_module
from typing import TYPE_CHECKING, Any

import attrs
from pyVmomi import vim
from virt.driver import StoragePoolInfo, StoragePoolRef, StorageVolumeInfo, StorageVolumeRef
from virt.errors import ErrorDomain, ErrorNumber, NotFound, VirtError
from virt.info import ObjectFilter

from virt_esx.collector import filter_spec, traversal
from virt_esx.server import Server

if TYPE_CHECKING:
    from virt.xml import StoragePool, StorageVolume

_DATASTORE_PATHS = (
    "summary.name",
    "summary.url",
    "summary.type",
    "summary.accessible",
    "summary.capacity",
    "summary.freeSpace",
    "info.nas.remoteHost",
    "info.nas.remotePath",
    "browser",
)
_HOST_DATASTORES = (traversal("datastores", vim.HostSystem, "datastore"),)
_DATASTORE_PATH = re.compile(r"^\[(?P<datastore>[^\]]+)\]\s*/?(?P<path>.*)$")
_FORMATS = {".vmdk": "vmdk", ".iso": "iso", ".img": "raw", ".flp": "raw"}


@attrs.frozen
class Datastore:
    obj: Any
    name: str
    uuid: uuid_module.UUID
    url: str
    type: str
    accessible: bool
    capacity: int
    free: int
    browser: Any
    nas_host: str | None
    nas_path: str | None

    @property
    def ref(self) -> StoragePoolRef:
        return StoragePoolRef(self.name, self.uuid)


def datastore_uuid(url: str) -> uuid_module.UUID:
    """A datastore's UUID: the MD5 of its URL, which identifies the datastore on the server."""
    return uuid_module.UUID(bytes=hashlib.md5(url.encode(), usedforsecurity=False).digest())


def split_datastore_path(text: str) -> tuple[str, str] | None:
    """``[ds] dir/file`` as (``ds``, ``dir/file``), None when ``text`` is not a datastore path."""
    found = _DATASTORE_PATH.match(text)
    return (found.group("datastore"), found.group("path").strip()) if found else None


def pool_not_found(what: str) -> NotFound:
    return NotFound(f"Storage pool not found: {what}", ErrorNumber.NO_STORAGE_POOL, ErrorDomain.ESX)


def volume_not_found(what: str) -> NotFound:
    return NotFound(f"Storage volume not found: {what}", ErrorNumber.NO_STORAGE_VOL, ErrorDomain.ESX)


def datastores(server: Server) -> list[Datastore]:
    """The host's datastores, in one request."""
    spec = filter_spec(server.scope.host, {vim.Datastore: _DATASTORE_PATHS}, _HOST_DATASTORES, skip_start=True)
    found = server.retrieve("cannot list the datastores", [spec])
    result = []
    for item in found:
        url = str(item.get("summary.url") or item.moref)
        result.append(
            Datastore(
                obj=item.obj,
                name=str(item.get("summary.name") or item.moref),
                uuid=datastore_uuid(url),
                url=url,
                type=str(item.get("summary.type") or ""),
                accessible=bool(item.get("summary.accessible")),
                capacity=int(item.get("summary.capacity") or 0),
                free=int(item.get("summary.freeSpace") or 0),
                browser=item.get("browser"),
                nas_host=item.get("info.nas.remoteHost"),
                nas_path=item.get("info.nas.remotePath"),
            )
        )
    return sorted(result, key=lambda d: d.name)


def by_name(server: Server, name: str) -> Datastore:
    for store in datastores(server):
        if store.name == name:
            return store
    raise pool_not_found(f"no storage pool with matching name '{name}'")


def by_uuid(server: Server, key: uuid_module.UUID) -> Datastore:
    for store in datastores(server):
        if store.uuid == key:
            return store
    raise pool_not_found(f"no storage pool with matching uuid '{key}'")


def of_ref(server: Server, ref: StoragePoolRef) -> Datastore:
    return by_uuid(server, ref.uuid)


def list_pools(server: Server, filter: ObjectFilter) -> list[StoragePoolRef]:
    return [d.ref for d in datastores(server) if filter.matches(active=d.accessible, persistent=True, autostart=True)]


def pool_info(server: Server, ref: StoragePoolRef) -> StoragePoolInfo:
    store = of_ref(server, ref)
    return StoragePoolInfo(
        active=store.accessible,
        capacity=store.capacity,
        allocation=max(0, store.capacity - store.free),
        available=store.free,
    )


def pool_definition(server: Server, ref: StoragePoolRef) -> StoragePool:
    """``<pool type='netfs'>`` for an NFS datastore (its server and export), ``dir`` for the others."""
    from xml.sax.saxutils import quoteattr

    from virt.xml import StoragePool

    store = of_ref(server, ref)
    nfs = store.type.upper().startswith("NFS") and store.nas_host and store.nas_path
    source = (
        f"<source><host name={quoteattr(str(store.nas_host))}/><dir path={quoteattr(str(store.nas_path))}/>"
        "<format type='nfs'/></source>"
        if nfs
        else ""
    )
    target_path = store.url.removeprefix("ds://") or f"/vmfs/volumes/{store.name}"
    pool = StoragePool.from_xml(
        f"<pool type='{'netfs' if nfs else 'dir'}'><name>{_text(store.name)}</name><uuid>{store.uuid}</uuid>"
        f"{source}<target><path>{_text(target_path)}</path></target></pool>"
    )
    pool.capacity = store.capacity
    pool.available = store.free
    pool.allocation = max(0, store.capacity - store.free)
    return pool


def _text(value: str) -> str:
    from xml.sax.saxutils import escape

    return escape(value)


# -- volumes ------------------------------------------------------------------------------------------
@attrs.frozen
class Volume:
    pool: str
    name: str
    size: int

    @property
    def path(self) -> str:
        return f"[{self.pool}] {self.name}"

    @property
    def ref(self) -> StorageVolumeRef:
        return StorageVolumeRef(self.pool, self.name, self.path)


def _search_spec() -> Any:
    browser = vim.host.DatastoreBrowser
    return browser.SearchSpec(
        matchPattern=["*"],
        details=vim.host.DatastoreBrowser.FileInfo.Details(
            fileType=True, fileSize=True, modification=False, fileOwner=False
        ),
        query=[browser.VmDiskQuery(), browser.IsoImageQuery(), browser.FloppyImageQuery()],
        sortFoldersFirst=True,
    )


def volumes(server: Server, store: Datastore) -> list[Volume]:
    """The images on ``store``, in every folder (one search task on the server)."""
    if not store.accessible:
        raise NotFound(
            f"storage pool '{store.name}' is not active: the datastore is not accessible",
            ErrorNumber.OPERATION_INVALID,
            ErrorDomain.ESX,
        )
    results = server.run_task(
        lambda: store.browser.SearchDatastoreSubFolders_Task(f"[{store.name}]", _search_spec()),
        action=f"cannot list the volumes of storage pool '{store.name}'",
        words=f"searching datastore '{store.name}'",
    )
    found = []
    for result in results or []:
        folder = split_datastore_path(str(result.folderPath or f"[{store.name}]"))
        directory = folder[1].strip("/") if folder else ""
        for item in result.file or []:
            if isinstance(item, vim.host.DatastoreBrowser.FolderInfo):
                continue
            name = f"{directory}/{item.path}" if directory else str(item.path)
            found.append(Volume(store.name, name, int(item.fileSize or 0)))
    return sorted(found, key=lambda v: v.name)


def list_volumes(server: Server, ref: StoragePoolRef) -> list[StorageVolumeRef]:
    return [v.ref for v in volumes(server, of_ref(server, ref))]


def volume(server: Server, pool: str, name: str) -> Volume:
    store = by_name(server, pool)
    for candidate in volumes(server, store):
        if candidate.name == name:
            return candidate
    raise volume_not_found(f"no storage vol with matching name '{name}'")


def volume_by_path(server: Server, path: str) -> StorageVolumeRef:
    parts = split_datastore_path(path)
    if parts is None:
        raise volume_not_found(f"no storage vol with matching path '{path}' (expecting '[datastore] dir/file')")
    try:
        return volume(server, parts[0], parts[1]).ref
    except NotFound as error:
        raise volume_not_found(f"no storage vol with matching path '{path}'") from error


def volume_info(server: Server, ref: StorageVolumeRef) -> StorageVolumeInfo:
    found = volume(server, ref.pool, ref.name)
    return StorageVolumeInfo(type="file", capacity=found.size, allocation=found.size)


def volume_definition(server: Server, ref: StorageVolumeRef) -> StorageVolume:
    from virt.xml import StorageVolume

    found = volume(server, ref.pool, ref.name)
    suffix = "." + found.name.rpartition(".")[2].lower() if "." in found.name else ""
    volume_format = _FORMATS.get(suffix, "raw")
    model = StorageVolume.from_xml(
        f"<volume type='file'><name>{_text(found.name)}</name><key>{_text(found.path)}</key>"
        f"<target><path>{_text(found.path)}</path><format type='{volume_format}'/></target></volume>"
    )
    model.capacity = found.size
    model.allocation = found.size
    return model


# -- creating and deleting ------------------------------------------------------------------------------
def _volume_name(model: StorageVolume) -> str:
    name = (model.name or "").strip().strip("/")
    if not name:
        raise VirtError("invalid argument: the volume has no name", ErrorNumber.INVALID_ARG, ErrorDomain.ESX)
    return name


def create_volume(server: Server, ref: StoragePoolRef, model: StorageVolume) -> StorageVolumeRef:
    """A new virtual disk ``name`` (``dir/disk.vmdk``) of ``capacity`` bytes, thin unless fully allocated.

    As with libvirt, only .vmdk disks can be created; the folder is made when missing.
    """
    store = of_ref(server, ref)
    name = _volume_name(model)
    volume_format = model.target.format.type if model.target and model.target.format else None
    if not name.lower().endswith(".vmdk") or volume_format not in (None, "vmdk", "raw"):
        raise VirtError(
            f"unsupported configuration: only .vmdk disks can be created on a datastore, not '{name}'"
            + (f" ({volume_format})" if volume_format else ""),
            ErrorNumber.CONFIG_UNSUPPORTED,
            ErrorDomain.ESX,
        )
    capacity = int(model.capacity or 0)
    if capacity <= 0:
        raise VirtError(
            "invalid argument: the volume's capacity must be above 0", ErrorNumber.INVALID_ARG, ErrorDomain.ESX
        )
    path = f"[{store.name}] {name}"
    directory = posixpath.dirname(name)
    content = server.content
    if directory:
        try:
            with server.call(f"cannot create folder '{directory}' on datastore '{store.name}'"):
                content.fileManager.MakeDirectory(f"[{store.name}] {directory}", server.scope.datacenter, True)
        except VirtError as error:
            if not isinstance(error.__cause__, vim.fault.FileAlreadyExists):
                raise
    thin = model.allocation is None or int(model.allocation) < capacity
    spec = vim.VirtualDiskManager.FileBackedVirtualDiskSpec(
        diskType="thin" if thin else "preallocated", adapterType="lsiLogic", capacityKb=-(-capacity // 1024)
    )
    server.run_task(
        lambda: content.virtualDiskManager.CreateVirtualDisk_Task(
            name=path, datacenter=server.scope.datacenter, spec=spec
        ),
        action=f"cannot create volume '{name}' in storage pool '{store.name}'",
        words=f"creating volume '{path}'",
    )
    return Volume(store.name, name, capacity).ref


def delete_volume(server: Server, ref: StorageVolumeRef) -> None:
    """Delete a virtual disk (descriptor and data) or an image file."""
    found = volume(server, ref.pool, ref.name)
    content = server.content
    datacenter = server.scope.datacenter

    def start() -> Any:
        # a disk is a descriptor and its data file: the disk manager removes both
        if found.name.lower().endswith(".vmdk"):
            return content.virtualDiskManager.DeleteVirtualDisk_Task(name=found.path, datacenter=datacenter)
        return content.fileManager.DeleteDatastoreFile_Task(name=found.path, datacenter=datacenter)

    server.run_task(start, action=f"cannot delete volume '{found.path}'", words=f"deleting volume '{found.path}'")
