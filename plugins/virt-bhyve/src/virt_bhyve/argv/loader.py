"""The command that loads the guest before bhyve runs it (bhyve_command.c's load commands):
bhyveload for FreeBSD guests, grub-bhyve (with its device map) for others, or a loader of the
user's own; none when the guest boots UEFI firmware (``<os><loader>``)."""

from __future__ import annotations

import attrs
from virt.xml import Domain
from virt.xml.devices import Disk

from virt_bhyve.argv.environment import Environment
from virt_bhyve.argv.errors import unsupported


@attrs.frozen
class LoaderCommand:
    argv: list[str]
    device_map: str | None = None  # grub-bhyve's device.map text, for the file ``--device-map`` names


def memory_mib(domain: Domain) -> int:
    """The guest's memory in MiB, rounded up, as bhyve and its loaders take it."""
    return -(-(domain.memory or 0) // 1024)


def disk_source(disk: Disk) -> str:
    """The host file or device of a disk (the path bhyve opens)."""
    source = disk.source
    path = source.file or source.dev if source is not None else None
    if not path:
        raise unsupported(f"disk '{disk.target.dev if disk.target else '?'}' has no source path")
    return path


def _usable(disk: Disk) -> bool:
    """virBhyveUsableDisk: a disk or CD-ROM backed by a file (others are passed over)."""
    return (disk.device or "disk") in ("disk", "cdrom") and (disk.type or "file") in ("file", "volume")


def bootloader_args(domain: Domain) -> list[str]:
    """<bootloader_args> split at each space, as libvirt splits it (no quoting)."""
    return (domain.bootloader_args or "").split(" ")


def loader_command(domain: Domain, env: Environment) -> LoaderCommand:
    """The loader of a guest that has no UEFI firmware (``domain`` as prepare.prepared gives it)."""
    bootloader = domain.bootloader
    if bootloader is None:
        disk = boot_disk(domain)
        if domain.bootloader_args is not None:
            return LoaderCommand([env.bhyveload, *bootloader_args(domain)])
        return LoaderCommand([env.bhyveload, "-m", str(memory_mib(domain)), "-d", disk_source(disk), domain.name or ""])
    if "grub-bhyve" in bootloader:
        return _grub(domain, bootloader, env)
    return _custom(domain, bootloader)


def _custom(domain: Domain, bootloader: str) -> LoaderCommand:
    if domain.bootloader_args is None:
        raise unsupported("Custom loader requires explicit bootloader_args configuration")
    return LoaderCommand([bootloader, *bootloader_args(domain)])


def boot_disk(domain: Domain) -> Disk:
    """virBhyveGetBootDisk: the disk bhyveload reads -- the first of the one <boot dev> type, or
    the one disk with a boot order, or the first usable disk."""
    disks = domain.devices.disks if domain.devices is not None else []
    if not disks:
        raise unsupported("Domain should have at least one disk defined")
    boot = domain.os.boot if domain.os is not None else []
    if len(boot) > 1:
        raise unsupported("Only one boot device is supported")
    usable = [d for d in disks if _usable(d)]
    if boot:
        wanted = {"cdrom": "cdrom", "hd": "disk"}.get(boot[0].dev or "")
        if wanted is None:
            raise unsupported(f"Cannot boot from device {boot[0].dev}")
        for disk in usable:
            if (disk.device or "disk") == wanted:
                return disk
        raise unsupported(f"Cannot find boot device of requested type {boot[0].dev}")
    ordered = [d for d in usable if d.boot is not None and (d.boot.order or 0) > 0]
    if len(ordered) > 1:
        raise unsupported("Only one boot device is supported")
    if ordered:
        return ordered[0]
    if not usable:
        raise unsupported("Domain has no disk bhyveload can boot from (a file-backed disk or CD-ROM)")
    return usable[0]


def _grub(domain: Domain, bootloader: str, env: Environment) -> LoaderCommand:
    """grub-bhyve: root on the CD-ROM when there is one (or the disk with the lowest boot order),
    and a device map with just the disks it boots from."""
    if domain.bootloader_args is not None:
        return _custom(domain, bootloader)
    disks = domain.devices.disks if domain.devices is not None else []
    chosen: Disk | None = None
    best = None
    cd = hdd = None
    for disk in (d for d in disks if _usable(d)):
        order = disk.boot.order if disk.boot is not None else None
        if order and (best is None or order < best):
            chosen, best = disk, order
            continue
        if cd is None and disk.device == "cdrom":
            cd = disk
        if hdd is None and (disk.device or "disk") == "disk":
            hdd = disk
    mapped = [chosen] if chosen is not None else [d for d in (hdd, cd) if d is not None]
    device_map = "".join(f"({'cd' if d.device == 'cdrom' else 'hd0'}) {disk_source(d)}\n" for d in mapped)
    root_cd = chosen.device == "cdrom" if chosen is not None else cd is not None
    argv = [bootloader, "--root", "cd" if root_cd else "hd0,msdos1", "--device-map", env.device_map]
    argv += ["--memory", str(memory_mib(domain))]
    serials = domain.devices.serials if domain.devices is not None else []
    if env.caps.grub_consdev and serials:
        argv += ["--cons-dev", nmdm_master(serials[0])]
    argv.append(domain.name or "")
    return LoaderCommand(argv, device_map)


def nmdm_master(char: object) -> str:
    """The host end (master) of an nmdm serial port; anything but nmdm is refused."""
    from virt.xml.base import kept_attribute
    from virt.xml.devices import Char

    assert isinstance(char, Char)
    if char.type != "nmdm":
        raise unsupported("only nmdm console types are supported")
    master = kept_attribute(char.sources[0], "master") if char.sources else None
    if not master:
        raise unsupported("nmdm serial port without a master device path")
    return master
