"""The storage pool and volume XML formats (formatstorage): ``<pool>`` and ``<volume>``."""

from __future__ import annotations

import uuid

from lxml import etree

from virt.xml.base import XmlModel, attribute, child, children, model, raw, scaled, text
from virt.xml.convert import INT, UUID_


@model()
class Permissions(XmlModel):
    mode: str | None = text("mode")  # octal text, kept as written
    owner: int | None = text("owner", INT)
    group: int | None = text("group", INT)
    label: str | None = text("label")


@model()
class SourceHost(XmlModel):
    name: str | None = attribute("name")
    port: int | None = attribute("port", INT)


@model()
class SourceDevice(XmlModel):
    path: str | None = attribute("path")


@model()
class SourceDir(XmlModel):
    path: str | None = attribute("path")


@model()
class SourceAdapter(XmlModel):
    type: str | None = attribute("type")
    name: str | None = attribute("name")
    parent: str | None = attribute("parent")
    wwnn: str | None = attribute("wwnn")
    wwpn: str | None = attribute("wwpn")


@model()
class Format(XmlModel):
    type: str | None = attribute("type")


@model()
class PoolSource(XmlModel):
    hosts: list[SourceHost] = children("host", SourceHost)
    devices: list[SourceDevice] = children("device", SourceDevice)
    dir: SourceDir | None = child("dir", SourceDir)
    adapter: SourceAdapter | None = child("adapter", SourceAdapter)
    name: str | None = text("name")
    format: Format | None = child("format", Format)


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
    source: PoolSource | None = child("source", PoolSource)
    target: PoolTarget | None = child("target", PoolTarget)


@model()
class VolumeTarget(XmlModel):
    path: str | None = text("path")
    format: Format | None = child("format", Format)
    permissions: Permissions | None = child("permissions", Permissions)


@model()
class BackingStore(XmlModel):
    path: str | None = text("path")
    format: Format | None = child("format", Format)
    permissions: Permissions | None = child("permissions", Permissions)


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
