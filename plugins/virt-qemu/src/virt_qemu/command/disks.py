"""Disks as -blockdev pairs (a storage node for the file or block device, a format node above it)
and a -device on their bus: virtio-blk, IDE/SATA (ide-hd/ide-cd), SCSI (scsi-hd/scsi-cd), USB.

Node names are ``diskN-storage`` / ``diskN-format`` with N the disk's position in <devices>
(short, within QEMU's 31 characters); device ids follow libvirt's aliases (virtio-disk0, ide0-0-1,
sata0-0-2, scsi0-0-0-1, usb-disk3), so QMP's query-block names the same devices libvirt would.
"""

from __future__ import annotations

from typing import Any

from virt.xml.devices import Disk

from virt_qemu.command.context import Context
from virt_qemu.command.controllers import disk_index, drive_address
from virt_qemu.command.errors import Node, refuse_unhandled, unknown_attr

_FORMATS = {"raw", "qcow2", "qcow", "qed", "vmdk", "vdi", "vpc", "vhdx"}
# cache mode -> (cache.direct, cache.no-flush, the device's write-cache)
_CACHE = {
    "none": (True, False, True),
    "writeback": (False, False, True),
    "writethrough": (False, False, False),
    "directsync": (True, False, False),
    "unsafe": (False, True, True),
}
_ERROR_POLICIES = {"stop", "report", "ignore", "enospace"}
_QEMU_POLICY = {"enospace": "enospc"}
# What the builder builds, which domain capabilities offer (``virt_qemu.capsxml``): keep them here, in use.
DISK_DEVICES = ("disk", "cdrom")
"""<disk device> values built (floppy and lun are refused)."""
DISK_BUSES: dict[str, tuple[str, ...]] = {
    "ide": ("ide-hd", "ide-cd"),
    "sata": ("ide-hd", "ide-cd", "ich9-ahci"),
    "scsi": ("scsi-hd", "scsi-cd", "virtio-scsi-pci"),
    "virtio": ("virtio-blk-pci",),
    "usb": ("usb-storage",),
}
"""<target bus> values built, with the QEMU devices each needs (fdc, xen, sd... are refused)."""
VIRTIO_BLK_MODELS = {
    "virtio": "virtio-blk-pci",
    "virtio-transitional": "virtio-blk-pci-transitional",
    "virtio-non-transitional": "virtio-blk-pci-non-transitional",
}
"""<disk model> values of a virtio disk, and their QEMU device."""


def machine_has_bus(bus: str, q35: bool) -> bool:
    """Whether a disk bus exists on the machine: Q35 has no IDE (its AHCI is the SATA bus)."""
    return not (bus == "ide" and q35)


_HANDLED = (
    "type", "device", "driver", "source", "backing_store", "target", "readonly", "shareable",
    "serial", "wwn", "vendor", "product", "boot", "alias", "address",
)  # fmt: skip
_DRIVER_EXTRA = ("discard", "detect_zeroes", "error_policy", "rerror_policy")


def build(ctx: Context) -> None:
    devices = ctx.domain.devices
    if devices is None:
        return
    used: dict[str, Node] = {}
    for n, disk in enumerate(devices.disks):
        node = Node.of(f"/domain/devices/disk[{n + 1}]", disk)
        _disk(ctx, n, disk, node, used)


def _blockdevs(ctx: Context, n: int, disk: Disk, node: Node, cdrom: bool) -> tuple[str | None, bool | None]:
    """Add the -blockdev nodes; returns (format node name or None when empty, write-cache)."""
    source = disk.source
    if source is not None:
        refuse_unhandled(source, node.child("source", source), ("file", "dev"))
    if disk.backing_store is not None:
        # QEMU opens the chain an image's header names, as the external snapshots wrote it; a
        # chain of anything but files cannot be told to it yet
        for layer in disk.backing_store.iter("backingStore"):
            if layer.get("type") not in (None, "file"):
                raise node.child("backingStore").not_yet(f"backing images of type '{layer.get('type')}' are")
    path = (source.file if disk.type in (None, "file") else source.dev) if source is not None else None
    if not path:
        if not cdrom:
            raise node.child("source", source).refuse("a disk needs a source (only a CD-ROM may be empty)")
        return None, None
    driver = disk.driver
    dnode = node.child("driver", driver)
    fmt, cache, io = "raw", None, None
    extra: dict[str, str] = {}
    if driver is not None:
        refuse_unhandled(driver, dnode, ("name", "type", "cache", "io"), unknown_attrs=_DRIVER_EXTRA)
        if driver.name not in (None, "qemu"):
            raise dnode.attr("name").refuse(f"driver name '{driver.name}' is not 'qemu'")
        fmt = driver.type or "raw"
        cache, io = driver.cache, driver.io
        extra = {k: v for k in _DRIVER_EXTRA if (v := unknown_attr(driver, k)) is not None}
    if fmt not in _FORMATS:
        raise dnode.attr("type").not_yet(f"disk format '{fmt}' is")
    cache_props: dict[str, bool] | None = None
    write_cache: bool | None = None
    if cache not in (None, "default"):
        if cache not in _CACHE:
            raise dnode.attr("cache").refuse(f"unknown cache mode '{cache}'")
        direct, no_flush, write_cache = _CACHE[cache]
        cache_props = {"direct": direct, "no-flush": no_flush}
    if io not in (None, "threads", "native", "io_uring"):
        raise dnode.attr("io").refuse(f"unknown io mode '{io}'")
    if io == "native" and not (cache_props and cache_props["direct"]):
        raise dnode.attr("io").refuse("io='native' needs cache='none' or 'directsync'")
    discard = extra.get("discard")
    if discard not in (None, "unmap", "ignore"):
        raise dnode.attr("discard").refuse(f"unknown discard mode '{discard}'")
    zeroes = extra.get("detect_zeroes")
    if zeroes not in (None, "on", "off", "unmap"):
        raise dnode.attr("detect_zeroes").refuse(f"unknown detect_zeroes mode '{zeroes}'")
    if zeroes == "unmap" and discard != "unmap":
        raise dnode.attr("detect_zeroes").refuse("detect_zeroes='unmap' needs discard='unmap'")
    if disk.type == "block":
        kind = "host_cdrom" if cdrom else "host_device"
    elif disk.type in (None, "file"):
        kind = "file"
    else:
        raise node.attr("type").not_yet(f"disks of type '{disk.type}' are")
    storage, fmt_node = f"disk{n}-storage", f"disk{n}-format"
    storage_props: dict[str, Any] = {"driver": kind, "filename": path, "node-name": storage}
    storage_props.update({"aio": io, "cache": cache_props, "auto-read-only": True, "discard": "unmap"})
    ctx.args.add("-blockdev", storage_props)
    readonly = cdrom or disk.readonly
    fmt_props: dict[str, Any] = {"node-name": fmt_node, "read-only": readonly, "cache": cache_props}
    fmt_props.update({"discard": discard, "detect-zeroes": zeroes, "driver": fmt, "file": storage})
    ctx.args.add("-blockdev", fmt_props)
    return fmt_node, write_cache


def _error_policy(disk: Disk) -> tuple[str | None, str | None]:
    if disk.driver is None:
        return None, None
    werror = unknown_attr(disk.driver, "error_policy")
    rerror = unknown_attr(disk.driver, "rerror_policy")
    for name, value in (("error_policy", werror), ("rerror_policy", rerror)):
        if value is not None and value not in _ERROR_POLICIES:
            raise Node.of("/domain/devices/disk", disk.driver).attr(name).refuse(f"unknown policy '{value}'")
    if rerror is None and werror != "enospace":
        rerror = werror
    # QEMU spells it enospc
    return _QEMU_POLICY.get(werror or "", werror), _QEMU_POLICY.get(rerror or "", rerror)


def _disk(ctx: Context, n: int, disk: Disk, node: Node, used: dict[str, Node]) -> None:
    refuse_unhandled(disk, node, _HANDLED, unknown_attrs=("model",))
    device = disk.device or "disk"
    if device not in DISK_DEVICES:
        raise node.attr("device").not_yet(f"{device} devices are")
    cdrom = device == "cdrom"
    target = disk.target
    if target is None or not target.dev:
        raise node.child("target").refuse("a disk needs <target dev>")
    tnode = node.child("target", target)
    refuse_unhandled(target, tnode, ("dev", "bus", "tray", "removable"))
    if target.tray not in (None, "closed"):
        raise tnode.attr("tray").not_yet("an open tray is")
    bus = target.bus or _default_bus(target.dev)
    if bus is None:
        raise tnode.attr("bus").refuse(f"cannot tell the bus of disk '{target.dev}'; give <target bus>")
    if bus not in DISK_BUSES:
        raise tnode.attr("bus").not_yet(f"disks on the '{bus}' bus are")
    if not machine_has_bus(bus, ctx.q35):
        raise tnode.attr("bus").refuse(f"machine '{ctx.machine}' has no {bus.upper()} bus (use sata)")
    if target.removable is not None and bus != "usb":
        raise tnode.attr("removable").refuse("only USB disks can be marked removable")
    model = unknown_attr(disk, "model")
    if model is not None and bus != "virtio":
        raise node.attr("model").refuse("only virtio disks have a model")
    drive, write_cache = _blockdevs(ctx, n, disk, node, cdrom)
    props: dict[str, Any] = {}
    index = disk_index(target.dev) or 0
    if bus == "virtio":
        if cdrom:
            raise node.attr("device").refuse("a CD-ROM cannot be on the virtio bus")
        if model not in (None, *VIRTIO_BLK_MODELS):
            raise node.attr("model").refuse(f"unknown virtio model '{model}'")
        props["driver"] = VIRTIO_BLK_MODELS[model or "virtio"]
        ctx.pci.place(props, disk.address, node)
        qdev_id = f"virtio-disk{index}"
    elif bus == "usb":
        if cdrom:
            raise node.attr("device").not_yet("USB CD-ROMs are")
        props["driver"] = "usb-storage"
        ctx.buses.usb_place(props, disk.address, node)
        qdev_id = f"usb-disk{index}"
        if target.removable is not None:
            props["removable"] = target.removable == "on"
    else:  # ide, sata, scsi
        qdev_id = _drive_bus(ctx, disk, node, bus, cdrom, props)
    if qdev_id in used:
        raise node.refuse(f"this disk has the same address as the disk at {used[qdev_id].path}")
    used[qdev_id] = node
    werror, rerror = _error_policy(disk)
    props.update({"drive": drive, "id": qdev_id, "bootindex": ctx.bootindex(disk), "write-cache": _onoff(write_cache)})
    props.update({"serial": disk.serial, "share-rw": True if disk.shareable else None})
    if drive is not None:
        props.update({"werror": werror, "rerror": rerror})
    _identity(disk, node, bus, props)
    ctx.args.device(props)


def _onoff(value: bool | None) -> str | None:
    return None if value is None else ("on" if value else "off")


def _identity(disk: Disk, node: Node, bus: str, props: dict[str, Any]) -> None:
    if disk.wwn is not None:
        if bus not in ("ide", "sata", "scsi"):
            raise node.child("wwn").refuse("only IDE, SATA and SCSI disks have a WWN")
        try:
            props["wwn"] = int(disk.wwn, 16)
        except ValueError:
            raise node.child("wwn").refuse(f"'{disk.wwn}' is not a hexadecimal WWN") from None
    for name in ("vendor", "product"):
        value = getattr(disk, name)
        if value is not None:
            if bus != "scsi":
                raise node.child(name).refuse(f"only SCSI disks have a {name}")
            props[name] = value


def _default_bus(dev: str) -> str | None:
    for prefix, bus in (("vd", "virtio"), ("hd", "ide"), ("sd", "scsi")):
        if dev.startswith(prefix):
            return bus
    return None


def _drive_bus(ctx: Context, disk: Disk, node: Node, bus: str, cdrom: bool, props: dict[str, Any]) -> str:
    controller, drive_bus, target, unit = drive_address(disk, node)
    at = node.child("address", disk.address)
    if bus in ("ide", "sata") and disk.readonly and not cdrom:
        raise node.child("readonly").refuse(f"a read-only {bus.upper()} hard disk is not possible (use a CD-ROM)")
    if bus == "ide":
        if controller != 0 or drive_bus not in (0, 1) or unit not in (0, 1) or target != 0:
            raise at.refuse("IDE drives are at controller 0, bus 0-1, target 0, unit 0-1")
        props.update({"driver": "ide-cd" if cdrom else "ide-hd", "bus": f"ide.{drive_bus}", "unit": unit})
        return f"ide0-{drive_bus}-{unit}"
    if bus == "sata":
        if drive_bus != 0 or target != 0 or not 0 <= unit <= 5:
            raise at.refuse("SATA drives are at bus 0, target 0, unit 0-5")
        prefix = ctx.buses.sata[controller]
        props.update({"driver": "ide-cd" if cdrom else "ide-hd", "bus": f"{prefix}.{unit}"})
        return f"sata{controller}-0-{unit}"
    model = ctx.buses.scsi[controller]
    props.update({"driver": "scsi-cd" if cdrom else "scsi-hd", "bus": f"scsi{controller}.0"})
    if model == "lsilogic":
        if drive_bus != 0 or target != 0 or not 0 <= unit <= 6:
            raise at.refuse("lsilogic SCSI drives are at bus 0, target 0, unit 0-6")
        props["scsi-id"] = unit
    else:
        props.update({"channel": drive_bus, "scsi-id": target, "lun": unit})
    return f"scsi{controller}-{drive_bus}-{target}-{unit}"
