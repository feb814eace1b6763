"""The storage pool and volume XML formats (formatstorage): ``<pool>`` and ``<volume>``."""

from __future__ import annotations

import enum
import re
import uuid

import attrs
from lxml import etree

from virt.xml.base import XmlModel, attribute, child, children, flag, model, raw, raws, scaled, text
from virt.xml.convert import INT, OCTAL, UUID_, YESNO


class SourcePart(enum.Flag):
    """The parts of a pool's <source> a pool type uses: libvirt reads and writes only those."""

    NONE = 0
    HOST = enum.auto()
    DEVICE = enum.auto()
    DIR = enum.auto()
    ADAPTER = enum.auto()
    NAME = enum.auto()
    INITIATOR = enum.auto()
    NETWORK = enum.auto()  # a network pool: no local <target>


_S = SourcePart
POOL_SOURCE_PARTS: dict[str, SourcePart] = {
    "dir": _S.NONE,
    "fs": _S.DEVICE,
    "netfs": _S.HOST | _S.DIR,
    "logical": _S.NAME | _S.DEVICE,
    "disk": _S.DEVICE,
    "iscsi": _S.HOST | _S.DEVICE | _S.INITIATOR,
    "iscsi-direct": _S.HOST | _S.DEVICE | _S.NETWORK | _S.INITIATOR,
    "scsi": _S.ADAPTER,
    "mpath": _S.NONE,
    "rbd": _S.HOST | _S.NETWORK | _S.NAME,
    "sheepdog": _S.HOST | _S.NETWORK | _S.NAME,
    "gluster": _S.HOST | _S.NETWORK | _S.NAME | _S.DIR,
    "zfs": _S.NAME | _S.DEVICE,
    "vstorage": _S.NAME,
}

# The <source><format> of the pool types that have one, when none is given; other types have none.
POOL_DEFAULT_FORMAT = {"fs": "auto", "netfs": "auto", "logical": "lvm2", "disk": "unknown"}

# The volume <target><format> of the pool types whose volumes have one, when none is given; the
# volumes of other pool types (logical, iscsi, scsi, mpath, zfs...) have no format at all.
VOLUME_DEFAULT_FORMAT = {
    "dir": "raw",
    "fs": "raw",
    "netfs": "raw",
    "rbd": "raw",
    "gluster": "raw",
    "vstorage": "raw",
    "disk": "none",
}

# The target directory of pools whose target follows from the source name.
POOL_TARGET_FROM_NAME = {"logical": "/dev/{}", "zfs": "/dev/zvol/{}"}


def sanitize_path(path: str) -> str:
    """A path as libvirt stores it: repeated slashes squashed, no trailing slash; a leading ``//``
    (which POSIX gives a meaning of its own) is kept."""
    lead = "//" if path.startswith("//") and not path.startswith("///") else ""
    rest = re.sub("/+", "/", path[len(lead) :])
    if len(lead + rest) > 1 and rest.endswith("/"):
        rest = rest[:-1]
    return lead + rest


@model()
class Permissions(XmlModel):
    mode: int | None = text("mode", OCTAL)
    owner: int | None = text("owner", INT)
    group: int | None = text("group", INT)
    label: str | None = text("label")

    def post_parse(self) -> None:
        # -1 ("not set") was once written out; libvirt still reads it, and no longer writes it
        if self.owner == -1:
            self.owner = None
        if self.group == -1:
            self.group = None

    @property
    def empty(self) -> bool:
        return self.mode is None and self.owner is None and self.group is None and self.label is None


def tidy_permissions(permissions: Permissions | None) -> Permissions | None:
    """Permissions as libvirt writes them: none at all when nothing in them is set."""
    if permissions is None:
        return None
    permissions.post_parse()
    return None if permissions.empty and not permissions._unknown else permissions


@model()
class SourceHost(XmlModel):
    name: str | None = attribute("name")
    port: int | None = attribute("port", INT)


@model()
class SourceDevice(XmlModel):
    path: str | None = attribute("path")
    part_separator: bool | None = attribute("part_separator", YESNO)
    free_extents: list[etree._Element] = raws("freeExtent")  # found by a pool refresh, never read from XML


@model()
class SourceDir(XmlModel):
    path: str | None = attribute("path")


@model()
class SourceAdapter(XmlModel):
    type: str | None = attribute("type")
    name: str | None = attribute("name")
    parent: str | None = attribute("parent")
    parent_wwnn: str | None = attribute("parent_wwnn")
    parent_wwpn: str | None = attribute("parent_wwpn")
    parent_fabric_wwn: str | None = attribute("parent_fabric_wwn")
    managed: bool | None = attribute("managed", YESNO)
    wwnn: str | None = attribute("wwnn")
    wwpn: str | None = attribute("wwpn")
    parentaddr: etree._Element | None = raw("parentaddr")


@model()
class Format(XmlModel):
    type: str | None = attribute("type")

    @classmethod
    def of(cls, type: str) -> Format:
        made = cls()
        made.type = type
        return made


@model(keep_open=True)  # libvirt writes <source> and </source> even with nothing in between
class PoolSource(XmlModel):
    hosts: list[SourceHost] = children("host", SourceHost)
    devices: list[SourceDevice] = children("device", SourceDevice)
    dir: SourceDir | None = child("dir", SourceDir)
    adapter: SourceAdapter | None = child("adapter", SourceAdapter)
    name: str | None = text("name")
    initiator: etree._Element | None = raw("initiator")
    format: Format | None = child("format", Format)
    auth: etree._Element | None = raw("auth")
    protocol: etree._Element | None = raw("protocol")
    vendor: etree._Element | None = raw("vendor")
    product: etree._Element | None = raw("product")

    def normalize(self, pool_type: str | None, pool_name: str | None) -> None:
        """What libvirt keeps of a pool's source: the parts its type uses, with their defaults."""
        parts = POOL_SOURCE_PARTS.get(pool_type or "")
        if parts is None:
            return  # a pool type libvirt does not know: nothing to go by
        for device in self.devices:
            device.free_extents = []
        if self.dir is not None and self.dir.path is not None:
            self.dir.path = sanitize_path(self.dir.path)
        if pool_type == "gluster" and (self.dir is None or self.dir.path is None):
            self.dir = SourceDir()
            self.dir.path = "/"  # a gluster pool is the volume's root directory by default
        if self.adapter is not None and self.adapter.type is None and self.adapter.name is not None:
            self.adapter.type = "scsi_host"  # the legacy <adapter name='hostN'/> form
        if SourcePart.NAME in parts and self.name is None:
            self.name = pool_name  # the source name defaults to the pool's
        default_format = POOL_DEFAULT_FORMAT.get(pool_type or "")
        if default_format is None:
            self.format = None
        elif self.format is None or self.format.type is None:
            self.format = Format.of(default_format)
        # libvirt reads every part but writes only the ones the pool type uses
        if SourcePart.HOST not in parts:
            self.hosts = []
        if SourcePart.DEVICE not in parts:
            self.devices = []
        if SourcePart.DIR not in parts:
            self.dir = None
        if SourcePart.ADAPTER not in parts or (
            self.adapter is not None and self.adapter.type not in ("scsi_host", "fc_host")
        ):
            self.adapter = None
        if SourcePart.NAME not in parts:
            self.name = None
        if SourcePart.INITIATOR not in parts:
            self.initiator = None


@model()
class PoolTarget(XmlModel):
    path: str | None = text("path")
    permissions: Permissions | None = child("permissions", Permissions)


@model("pool")
class StoragePool(XmlModel):
    type: str | None = attribute("type")
    name: str | None = text("name")
    uuid: uuid.UUID | None = text("uuid", UUID_)
    capacity: int | None = scaled("capacity", "bytes")
    allocation: int | None = scaled("allocation", "bytes")
    available: int | None = scaled("available", "bytes")
    features: etree._Element | None = raw("features")
    source: PoolSource | None = child("source", PoolSource)
    target: PoolTarget | None = child("target", PoolTarget)
    refresh: etree._Element | None = raw("refresh")

    @property
    def has_target(self) -> bool:
        """Network pools (rbd, sheepdog, gluster, iscsi-direct) have no local target directory."""
        return SourcePart.NETWORK not in POOL_SOURCE_PARTS.get(self.type or "", SourcePart.NONE)

    def post_parse(self) -> None:
        # The sizes are the pool's live state, found by a refresh: libvirt ignores them on input.
        self.capacity = self.allocation = self.available = 0
        if self.type not in POOL_SOURCE_PARTS:
            return  # a pool type libvirt does not know: nothing to go by
        if self.source is None:
            self.source = PoolSource()
        if self.name is None and SourcePart.NAME in POOL_SOURCE_PARTS[self.type]:
            self.name = self.source.name  # a pool may be named after its source
        self.source.normalize(self.type, self.name)
        if not self.has_target:
            self.target = None
            return
        if self.target is None:
            self.target = PoolTarget()
        template = POOL_TARGET_FROM_NAME.get(self.type)
        if template is not None and self.source.name is not None:
            self.target.path = template.format(self.source.name)
        elif self.target.path is not None:
            self.target.path = sanitize_path(self.target.path)
        self.target.permissions = tidy_permissions(self.target.permissions)


@model()
class VolumeTarget(XmlModel):
    path: str | None = text("path")
    format: Format | None = child("format", Format)
    permissions: Permissions | None = child("permissions", Permissions)
    timestamps: etree._Element | None = raw("timestamps")
    encryption: etree._Element | None = raw("encryption")
    compat: str | None = text("compat")
    cluster_size: int | None = scaled("clusterSize", "B")
    features: etree._Element | None = raw("features")
    nocow: bool = flag("nocow")

    def normalize(self) -> None:
        self.permissions = tidy_permissions(self.permissions)
        self.timestamps = None  # read from the file by a refresh, never from XML
        self.nocow = False  # used when creating the volume only, never written back
        if self.features is not None and self.compat is None:
            self.compat = "1.1"  # qcow2 features need qcow2 v3


@model()
class BackingStore(XmlModel):
    path: str | None = text("path")
    format: Format | None = child("format", Format)
    permissions: Permissions | None = child("permissions", Permissions)
    timestamps: etree._Element | None = raw("timestamps")


@model("volume")
class StorageVolume(XmlModel):
    type: str | None = attribute("type")
    name: str | None = text("name")
    key: str | None = text("key")
    source: etree._Element | None = raw("source")
    capacity: int | None = scaled("capacity", "bytes")
    allocation: int | None = scaled("allocation", "bytes")
    physical: int | None = scaled("physical", "bytes")
    target: VolumeTarget | None = child("target", VolumeTarget)
    backing_store: BackingStore | None = child("backingStore", BackingStore)
    capacity_given: bool = attrs.field(default=True, kw_only=True, eq=False, repr=False)
    """Whether the document said the capacity (not XML): creating a volume needs it, although
    libvirt's normalisation writes a missing one as 0."""

    def post_parse(self) -> None:
        if self.type is None:
            self.type = "file"
        # The source extents and the physical size are found by a pool refresh; libvirt does not read them.
        self.source = None
        self.physical = None
        if self.capacity is None:
            self.capacity = 0
            self.capacity_given = False
        if self.allocation is None:
            self.allocation = self.capacity  # fully allocated unless told otherwise
        if self.target is None:
            self.target = VolumeTarget()
        self.target.normalize()
        backing = self.backing_store
        if backing is not None:
            if backing.path is None:
                self.backing_store = None  # libvirt only keeps a backing store that has a path
            else:
                backing.timestamps = None
                backing.permissions = tidy_permissions(backing.permissions)
        # The format defaults by the pool's type, which the volume XML does not say: a file volume
        # is taken to live in a directory pool (as libvirt's own tests have it); for another pool,
        # see in_pool.
        if self.type == "file":
            self.in_pool("dir")

    def in_pool(self, pool_type: str | None) -> None:
        """Give the volume the formats libvirt gives a volume of a ``pool_type`` pool: the pool's
        default where none is given, and none at all in pools whose volumes have no format."""
        default = VOLUME_DEFAULT_FORMAT.get(pool_type or "")
        for part in (self.target, self.backing_store):
            if part is None:
                continue
            if default is None:
                part.format = None
            elif part.format is None or part.format.type is None:
                part.format = Format.of(default)
