"""The ``logical`` backend: an LVM volume group whose logical volumes are the pool's volumes.

As libvirt 9.0 does, everything goes through lvm2's tools, run by absolute path: ``pvcreate`` and
``vgcreate`` build the group on the source devices, ``vgchange -aly``/``-aln`` start and stop it,
``lvs`` and ``vgs`` (``--separator``, sizes in bytes) say what it holds, ``lvcreate`` makes a volume
(a sparse one, allocation below capacity, is a snapshot with a virtual size), ``lvremove`` removes
it, ``vgremove`` and ``pvremove`` delete the pool. libvirt 9.0 cannot resize a logical volume; nor
can this backend.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, cast

import attrs
from lxml import etree

from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError
from virt.storage import qemuimg, scrub
from virt.storage.backend import BuildFlags, NewVolume, PoolBackend, PoolSizes, SourceImage
from virt.storage.filepool import DEFAULT_VOLUME_MODE, os_error, storage_error
from virt.storage.fspool import existing_file_system
from virt.storage.volumexml import file_volume

if TYPE_CHECKING:
    from virt.xml import StoragePool, StorageVolume

LV_FIELDS = "lv_name,origin,uuid,devices,segtype,stripes,seg_size,vg_extent_size,size,lv_attr"
_LV_ROW = re.compile(r"^\s*(\S+)#(\S*)#(\S+)#(\S+)#(\S+)#([0-9]+)#(\S+)#([0-9]+)#([0-9]+)#(\S+)#?\s*$")
_VG_ROW = re.compile(r"^\s*(\S+):([0-9]+):?\s*$")
_PV_ROW = re.compile(r"^\s*(\S+)\s+(\S+)\s*$")
_EXTENT = re.compile(r"([^,\s]+)\((\d+)\)")  # "," parts a striped segment's devices
_ZERO_SPAN = 1024 * 1024  # what libvirt zeroes at each end of a device before pvcreate
LVM2_LABEL = "LVM2_member"  # blkid's name for what pvcreate writes


def not_supported(detail: str) -> Exception:
    """VIR_ERR_NO_SUPPORT worded as libvirt's storage driver words it."""
    return VirtError(  # not NotSupported: that one means the driver lacks the call
        f"this function is not supported by the connection driver: {detail}",
        ErrorNumber.NO_SUPPORT,
        ErrorDomain.STORAGE,
    )


def tool(name: str) -> str:
    """Where lvm2's ``name`` is: /sbin first, where libvirt's Debian build runs it from."""
    for folder in ("/sbin", "/usr/sbin"):
        if Path(folder, name).exists():
            return f"{folder}/{name}"
    return shutil.which(name) or f"/sbin/{name}"


def run(name: str, *args: str) -> str:
    """Run lvm2's ``name``; a failure is libvirt's error for a child process that failed."""
    command = [tool(name), *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise os_error(f"Cannot run program '{command[0]}'", exc) from exc
    if done.returncode != 0:
        said = done.stderr  # as libvirt: what lvm2 said, its indentation and last newline kept
        raise storage_error(
            ErrorNumber.INTERNAL_ERROR,
            f"Child process ({' '.join(command)}) unexpected exit status {done.returncode}"
            + (f": {said}" if said else ""),
        )
    return done.stdout


def group_name(pool: StoragePool) -> str:
    source = pool.source
    return (source.name if source is not None and source.name else None) or pool.name or ""


def device_paths(pool: StoragePool) -> list[str]:
    source = pool.source
    return [device.path for device in (source.devices if source is not None else []) if device.path]


@attrs.frozen
class Segment:
    """One row of ``lvs``: a segment of a logical volume."""

    name: str
    origin: str
    uuid: str
    devices: str
    segtype: str
    stripes: int
    seg_size: int
    extent_size: int
    size: int
    attr: str


def segments(pool: StoragePool) -> list[Segment]:
    output = run(
        "lvs",
        "--separator",
        "#",
        "--noheadings",
        "--units",
        "b",
        "--unbuffered",
        "--nosuffix",
        "--options",
        LV_FIELDS,
        group_name(pool),
    )
    found = []
    for line in output.splitlines():
        match = _LV_ROW.match(line)
        if match is None:
            continue
        name, origin, uuid, devices, segtype, stripes, seg_size, extent_size, size, attr = match.groups()
        if attr.startswith("t"):
            continue  # as libvirt: a thin pool is no volume
        found.append(
            Segment(
                name, origin, uuid, devices, segtype, int(stripes), int(seg_size), int(extent_size), int(size), attr
            )
        )
    return found


def pool_sources() -> dict[str, list[str]]:
    """Each volume group's physical volumes, as ``pvs`` lists them (after a ``vgscan``, as libvirt)."""
    with contextlib.suppress(Exception):  # as libvirt: a failed scan only means a staler listing
        run("vgscan")
    groups: dict[str, list[str]] = {}
    for line in run("pvs", "--noheadings", "-o", "pv_name,vg_name").splitlines():
        match = _PV_ROW.match(line)
        if match is not None:
            groups.setdefault(match.group(2), []).append(match.group(1))
    return groups


def _escape(text: str) -> str:
    """libvirt's XML escaping of attribute and element text."""
    for plain, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("'", "&apos;"), ('"', "&quot;")):
        text = text.replace(plain, escaped)
    return text


def find_pool_sources_xml() -> str:
    """virConnectFindStoragePoolSources' <sources> for type ``logical``, laid out as libvirt's."""
    lines = ["<sources>"]
    for name, devices in pool_sources().items():
        lines.append("  <source>")
        lines += [f"    <device path='{_escape(device)}'/>" for device in devices]
        lines += [f"    <name>{_escape(name)}</name>", "    <format type='lvm2'/>", "  </source>"]
    return "\n".join([*lines, "</sources>", ""])


def _zero_ends(path: str) -> None:
    """Zero the first and last MiB of ``path``, as libvirt does before pvcreate (old labels go)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise os_error(f"cannot open device '{path}'", exc) from exc
    try:
        size = os.lseek(fd, 0, os.SEEK_END)
        span = min(_ZERO_SPAN, size)
        for offset in {0, max(0, size - span)}:
            os.pwrite(fd, bytes(span), offset)
        os.fsync(fd)
    except OSError as exc:
        raise os_error(f"cannot clear device header of '{path}'", exc) from exc
    finally:
        os.close(fd)


def _size_of(path: str, info: os.stat_result) -> int:
    if stat.S_ISREG(info.st_mode):
        return info.st_size
    with open(path, "rb") as device:
        return device.seek(0, os.SEEK_END)


class LogicalBackend(PoolBackend):
    pool_type = "logical"
    volume_type = "block"
    shows_target_permissions = False

    # -- the pool ---------------------------------------------------------------------------
    def find_sources(self, spec: str | None) -> str:
        return find_pool_sources_xml()

    def build(self, pool: StoragePool, flags: BuildFlags) -> None:
        if flags.overwrite and flags.no_overwrite:
            raise InvalidArgument(  # worded bare, as libvirt's exclusive-flags check words it
                "Flags 'VIR_STORAGE_POOL_BUILD_OVERWRITE' and 'VIR_STORAGE_POOL_BUILD_NO_OVERWRITE' "
                "are mutually exclusive",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.STORAGE,
            )
        devices = device_paths(pool)
        if not flags.overwrite:
            for device in devices:
                found = existing_file_system(device)
                if found == LVM2_LABEL:
                    raise storage_error(
                        ErrorNumber.STORAGE_POOL_BUILT, f"Device '{device}' already formatted using '{found}'"
                    )
                if found is not None:
                    raise storage_error(
                        ErrorNumber.OPERATION_INVALID,
                        f"Format of device '{device}' does not match the expected format '{LVM2_LABEL}', "
                        "forced overwrite is necessary",
                    )
        made = []
        try:
            for device in devices:
                _zero_ends(device)
                run("pvcreate", device)
                made.append(device)
            run("vgcreate", group_name(pool), *devices)
        except Exception:
            for device in made:  # as libvirt: what became a physical volume is one no longer
                with contextlib.suppress(Exception):  # the first failure is the one to tell
                    run("pvremove", device)
            raise

    def _match_source(self, pool: StoragePool) -> None:
        """As libvirt: the group must exist, and have the pool's devices (when it names any)."""
        name = group_name(pool)
        groups = pool_sources()
        if name not in groups:
            raise storage_error(ErrorNumber.CONFIG_UNSUPPORTED, f"cannot find logical volume group name '{name}'")
        wanted = device_paths(pool)
        if not wanted:
            return
        if not any(device in groups[name] for device in wanted):
            raise storage_error(
                ErrorNumber.CONFIG_UNSUPPORTED,
                f"cannot find any matching source devices for logical volume group '{name}'",
            )
        if len(groups[name]) != len(wanted):
            raise storage_error(
                ErrorNumber.CONFIG_UNSUPPORTED, "pool device list count doesn't match pvs device list count"
            )

    def start(self, pool: StoragePool) -> None:
        self._match_source(pool)
        run("vgchange", "-aly", group_name(pool))

    def is_running(self, pool: StoragePool) -> bool:
        return Path("/dev", group_name(pool)).exists()

    def stop(self, pool: StoragePool) -> None:
        run("vgchange", "-aln", group_name(pool))

    def delete(self, pool: StoragePool) -> None:
        run("vgremove", "-f", group_name(pool))
        for device in device_paths(pool):
            run("pvremove", device)

    def sizes(self, pool: StoragePool) -> PoolSizes:
        output = run(
            "vgs",
            "--separator",
            ":",
            "--noheadings",
            "--units",
            "b",
            "--unbuffered",
            "--nosuffix",
            "--options",
            "vg_size,vg_free",
            group_name(pool),
        )
        for line in output.splitlines():
            match = _VG_ROW.match(line)
            if match is not None:
                capacity, available = int(match.group(1)), int(match.group(2))
                return PoolSizes(capacity=capacity, allocation=capacity - available, available=available)
        raise storage_error(ErrorNumber.INTERNAL_ERROR, f"cannot read the size of volume group '{group_name(pool)}'")

    # -- volumes ----------------------------------------------------------------------------
    def volume_names(self, pool: StoragePool) -> list[str]:
        return list(dict.fromkeys(segment.name for segment in segments(pool)))

    def volume_keys(self, pool: StoragePool) -> list[tuple[str, str]]:
        return list(dict.fromkeys((segment.name, segment.uuid) for segment in segments(pool)))

    def has_volume(self, pool: StoragePool, name: str) -> bool:
        return any(segment.name == name for segment in segments(pool))

    def volume_path(self, pool: StoragePool, name: str) -> str:
        assert pool.target is not None and pool.target.path
        return f"{pool.target.path.rstrip('/')}/{name}"

    def volume(self, pool: StoragePool, name: str) -> StorageVolume | None:
        mine = [segment for segment in segments(pool) if segment.name == name]
        if not mine:
            return None
        path = self.volume_path(pool, name)
        try:
            info = os.stat(path)  # noqa: PTH116 - through the /dev/VG/LV link
            capacity = _size_of(path, info)
        except OSError as exc:
            raise os_error(f"cannot stat file '{path}'", exc) from exc
        volume = cast("StorageVolume", file_volume(name, path, info, None, volume_type="block"))
        volume.key = mine[0].uuid
        volume.capacity = volume.physical = capacity
        volume.allocation = mine[0].size  # as libvirt: lvs' size (a sparse volume's allocated part)
        volume.source = _extents(mine)
        origin = mine[0].origin
        if origin and not origin.startswith("["):  # [x_vorigin]: lvm's own for a --virtualsize volume
            from virt.xml.storage import BackingStore

            backing = BackingStore()
            backing.path = self.volume_path(pool, origin)
            volume.backing_store = backing
        return volume

    def _is_sparse(self, pool: StoragePool, name: str) -> bool:
        return any(segment.name == name and segment.attr.startswith("s") for segment in segments(pool))

    def create_volume(self, pool: StoragePool, new: NewVolume, source: SourceImage | None) -> None:
        args = ["--name", new.name, "-L"]
        if new.capacity != new.allocation:
            args += [f"{-(-(new.allocation or 1) // 1024)}K", "--type", "snapshot", "--virtualsize"]
        args.append(f"{-(-new.capacity // 1024)}K")
        args += ["-s", new.backing_path] if new.backing_path else [group_name(pool)]
        args.append("--yes")  # as libvirt: lvm2 asks nothing (wiping an old signature, say)
        run("lvcreate", *args)
        path = self.volume_path(pool, new.name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                if os.geteuid() == 0:
                    os.fchown(fd, -1 if new.owner is None else new.owner, -1 if new.group is None else new.group)
                os.fchmod(fd, DEFAULT_VOLUME_MODE if new.mode is None else new.mode)
            finally:
                os.close(fd)
            if not self.has_volume(pool, new.name):
                raise storage_error(ErrorNumber.INTERNAL_ERROR, f"cannot find newly created volume '{new.name}'")
            if source is not None:
                _copy_into(source, path)
        except BaseException as exc:
            self.delete_volume(pool, new.name)
            if isinstance(exc, OSError):
                raise os_error(f"cannot set file mode '{path}'", exc) from exc
            raise

    def delete_volume(self, pool: StoragePool, name: str) -> None:
        path = self.volume_path(pool, name)
        try:
            run("lvremove", "-f", path)
        except Exception:  # noqa: BLE001 - as libvirt: an active volume is deactivated, then removed
            run("lvchange", "-aln", path)
            run("lvremove", "-f", path)

    def wipe_volume(self, pool: StoragePool, name: str, algorithm: int) -> None:
        path = Path(self.volume_path(pool, name))
        if self._is_sparse(pool, name):
            raise not_supported(f"logical volume '{path}' is sparse, volume wipe not supported")
        if algorithm == scrub.TRIM:
            scrub.refuse_trim()
        if algorithm == scrub.ZERO:
            _zero_volume(path)
        else:
            scrub.scrub(path, algorithm)

    def resize_volume(self, pool: StoragePool, name: str, capacity: int, *, shrink: bool, allocate: bool) -> None:
        raise not_supported("storage pool does not support changing of volume capacity")  # libvirt 9.0 cannot


def _extents(rows: list[Segment]) -> etree._Element:
    """libvirt's <source>: each segment's physical volume and its byte range there."""
    source = etree.Element("source")
    for row in rows:
        stripes = row.stripes if row.segtype == "striped" else 1
        for device, first in _EXTENT.findall(row.devices)[:stripes]:
            element = etree.SubElement(source, "device", path=device)
            start = int(first) * row.extent_size
            etree.SubElement(element, "extent", start=str(start), end=str(start + row.seg_size))
    return source


def _zero_volume(path: Path) -> None:
    """Write zeros over the whole volume (a block device cannot be truncated to nothing)."""
    chunk = bytes(_ZERO_SPAN)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise os_error(f"cannot open volume '{path}'", exc) from exc
    try:
        size, done = os.lseek(fd, 0, os.SEEK_END), 0
        while done < size:
            done += os.pwrite(fd, chunk[: min(_ZERO_SPAN, size - done)], done)
        os.fsync(fd)
    except OSError as exc:
        raise os_error(f"cannot wipe volume '{path}'", exc) from exc
    finally:
        os.close(fd)


def _copy_into(source: SourceImage, path: str) -> None:
    """A clone's data: the source's bytes (an image converted to raw) written over the new volume."""
    if (source.format or "raw") != "raw":
        qemuimg.convert(Path(source.path), source.format or "raw", Path(path), "raw", [])
        return
    try:
        with open(source.path, "rb") as origin, open(path, "r+b") as target:
            size = target.seek(0, os.SEEK_END)
            target.seek(0)
            left = min(size, source.capacity)
            while left > 0:
                chunk = origin.read(min(_ZERO_SPAN, left))
                if not chunk:
                    break
                target.write(chunk)
                left -= len(chunk)
            target.flush()
            os.fsync(target.fileno())
    except OSError as exc:
        raise os_error(f"failed to copy '{source.path}' to '{path}'", exc) from exc
