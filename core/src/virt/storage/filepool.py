"""Volumes as files in a pool's target directory: what the ``dir`` and ``fs`` backends share.

A new volume is made under a hidden temporary name in the same directory and linked to its name
only when complete (``os.link`` refuses to replace a file someone made meanwhile): a crash leaves a
temporary file that no listing shows and the next start or refresh of the pool removes, never a
half-made volume under its name.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, cast

from virt.errors import ErrorDomain, ErrorNumber, libvirt_error
from virt.localstate.files import fsync_dir
from virt.storage import images, qemuimg, scrub
from virt.storage.backend import NewVolume, PoolBackend, PoolSizes, SourceImage
from virt.storage.volumexml import directory_volume, file_volume

if TYPE_CHECKING:
    from virt.xml import StoragePool, StorageVolume

PARTIAL_SUFFIX = ".virt-partial"
DEFAULT_VOLUME_MODE = 0o600  # libvirt's default for a volume without <permissions><mode>
_WIPE_CHUNK = 1024 * 1024


def storage_error(code: ErrorNumber, detail: str) -> Exception:
    return libvirt_error(code, detail, ErrorDomain.STORAGE)


def os_error(what: str, exc: OSError) -> Exception:
    return libvirt_error(ErrorNumber.SYSTEM_ERROR, f"{what}: {exc.strerror}", ErrorDomain.STORAGE)


def target_dir(pool: StoragePool) -> Path:
    assert pool.target is not None and pool.target.path, "check() refuses pools without a target path"
    return Path(pool.target.path)


@functools.lru_cache(maxsize=256)
def _folder_string(path: str) -> str:
    """A pool's target as pathlib spells it, without its Path object each lookup."""
    return str(Path(path)).rstrip("/")  # the root folder is "/" itself


def is_partial(name: str) -> bool:
    return name.startswith(".") and name.endswith(PARTIAL_SUFFIX)


class FilePoolBackend(PoolBackend):
    """Volumes are the regular files of the pool's target directory."""

    def check(self, pool: StoragePool) -> None:
        if pool.target is None or not pool.target.path:
            raise storage_error(ErrorNumber.XML_ERROR, "missing storage pool target path")

    def start(self, pool: StoragePool) -> None:
        folder = target_dir(pool)
        if not folder.is_dir():
            raise storage_error(
                ErrorNumber.SYSTEM_ERROR, f"cannot open directory '{folder}': No such file or directory"
            )
        self.remove_partial(pool)

    def remove_partial(self, pool: StoragePool) -> None:
        """Remove what a create cut short by a crash left behind."""
        folder = target_dir(pool)
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                if is_partial(entry.name):
                    with contextlib.suppress(OSError):
                        Path(entry.path).unlink()

    def sizes(self, pool: StoragePool) -> PoolSizes:
        try:
            fs = os.statvfs(target_dir(pool))
        except OSError as exc:
            raise os_error(f"cannot statvfs path '{target_dir(pool)}'", exc) from exc
        return PoolSizes(
            capacity=fs.f_frsize * fs.f_blocks,
            allocation=(fs.f_blocks - fs.f_bfree) * fs.f_frsize,
            available=fs.f_bfree * fs.f_frsize,  # as libvirt: root may use the reserved blocks
        )

    def volume_names(self, pool: StoragePool) -> list[str]:
        # as libvirt: files and directories (a directory is a volume of type 'dir')
        names = []
        with os.scandir(target_dir(pool)) as entries:
            for entry in entries:
                if not is_partial(entry.name) and (entry.is_file() or entry.is_dir()):
                    names.append(entry.name)
        return names

    def volume_keys(self, pool: StoragePool) -> list[tuple[str, str]]:
        # a file volume's key is its path
        return [(name, self.volume_path(pool, name)) for name in self.volume_names(pool)]

    def has_volume(self, pool: StoragePool, name: str) -> bool:
        if not name or "/" in name or is_partial(name) or name in (".", ".."):
            return False
        try:
            mode = os.stat(self.volume_path(pool, name)).st_mode  # noqa: PTH116 - a lookup each call
        except OSError:
            return False
        return stat.S_ISREG(mode) or stat.S_ISDIR(mode)

    def volume_path(self, pool: StoragePool, name: str) -> str:
        assert pool.target is not None and pool.target.path, "check() refuses pools without a target path"
        return f"{_folder_string(pool.target.path)}/{name}"

    def volume(self, pool: StoragePool, name: str) -> StorageVolume | None:
        if not name or "/" in name or is_partial(name) or name in (".", ".."):
            return None
        path = target_dir(pool) / name
        try:
            info = path.stat()
            if stat.S_ISDIR(info.st_mode):
                return cast("StorageVolume", directory_volume(name, str(path), info))
            if not stat.S_ISREG(info.st_mode):
                return None
            facts = images.probe(path, info.st_size)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise os_error(f"cannot read volume '{path}'", exc) from exc
        return cast("StorageVolume", file_volume(name, str(path), info, facts))

    # -- changes ------------------------------------------------------------------------------
    def create_volume(self, pool: StoragePool, new: NewVolume, source: SourceImage | None) -> None:
        folder = target_dir(pool)
        final = folder / new.name
        partial = folder / f".{new.name}{PARTIAL_SUFFIX}"
        try:
            self._make(partial, new, source)
            partial.chmod(DEFAULT_VOLUME_MODE if new.mode is None else new.mode)
            if new.owner is not None or new.group is not None:
                os.chown(partial, -1 if new.owner is None else new.owner, -1 if new.group is None else new.group)
            try:
                os.link(partial, final)  # never replaces a file made meanwhile, unlike rename
            except FileExistsError:
                raise storage_error(
                    ErrorNumber.STORAGE_VOL_EXIST, f"storage volume '{new.name}' exists already"
                ) from None
            except OSError as exc:
                raise os_error(f"cannot create volume '{final}'", exc) from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
        fsync_dir(folder)

    def _make(self, path: Path, new: NewVolume, source: SourceImage | None) -> None:
        format = new.format or "raw"
        preallocation = None
        if new.prealloc_metadata:  # as libvirt: metadata only, unless the whole capacity is to be allocated
            preallocation = "metadata" if new.capacity > new.allocation else "falloc"
        options = (
            qemuimg.create_options(
                compat=new.compat or ("1.1" if new.lazy_refcounts else None),
                cluster_size=new.cluster_size,
                lazy_refcounts=new.lazy_refcounts,
                preallocation=preallocation,
                backing=new.backing_path,
                backing_format=new.backing_format,
            )
            if format == "qcow2"
            else []
        )
        if source is not None:
            qemuimg.convert(Path(source.path), source.format or "raw", path, format, options)
            if new.capacity > source.capacity:
                qemuimg.resize(path, format, new.capacity, shrink=False)
            return
        if format == "raw":
            _make_raw(path, new.capacity, new.allocation)
            return
        if new.backing_path is not None and format != "qcow2":
            options = qemuimg.create_options(backing=new.backing_path, backing_format=new.backing_format)
        qemuimg.create(path, format, new.capacity, options)

    def delete_volume(self, pool: StoragePool, name: str) -> None:
        path = target_dir(pool) / name
        try:
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            else:
                path.unlink()
        except OSError as exc:
            raise os_error(f"cannot unlink file '{path}'", exc) from exc
        fsync_dir(path.parent)

    def wipe_volume(self, pool: StoragePool, name: str, algorithm: int) -> None:
        _refuse_directory(target_dir(pool) / name)
        if algorithm == scrub.TRIM:
            scrub.refuse_trim()
        if algorithm == scrub.ZERO:
            _zero_file(target_dir(pool) / name)
        else:
            scrub.scrub(target_dir(pool) / name, algorithm)

    def resize_volume(self, pool: StoragePool, name: str, capacity: int, *, shrink: bool, allocate: bool) -> None:
        path = target_dir(pool) / name
        _refuse_directory(path)
        info = path.stat()
        facts = images.probe(path, info.st_size)
        if facts.format != "raw":
            qemuimg.resize(path, facts.format, capacity, shrink=shrink, preallocation="falloc" if allocate else None)
            return
        try:
            fd = os.open(path, os.O_WRONLY)
        except OSError as exc:
            raise os_error(f"cannot open volume '{path}'", exc) from exc
        try:
            if allocate and capacity > info.st_size:
                os.posix_fallocate(fd, info.st_size, capacity - info.st_size)
            os.ftruncate(fd, capacity)
            os.fsync(fd)
        except OSError as exc:
            raise os_error(f"cannot resize volume '{path}'", exc) from exc
        finally:
            os.close(fd)


def _refuse_directory(path: Path) -> None:
    if path.is_dir():
        raise storage_error(
            ErrorNumber.SYSTEM_ERROR, f"Failed to open storage volume with path '{path}': Is a directory"
        )


def _make_raw(path: Path, capacity: int, allocation: int) -> None:
    """A raw file of ``capacity`` bytes with its first ``allocation`` bytes allocated, as libvirt makes it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise os_error(f"cannot create volume '{path}'", exc) from exc
    try:
        os.ftruncate(fd, capacity)
        if allocation:
            os.posix_fallocate(fd, 0, min(allocation, capacity))
        os.fsync(fd)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise storage_error(ErrorNumber.INTERNAL_ERROR, f"Not enough space left for volume '{path.name}'") from exc
        raise os_error(f"cannot allocate volume '{path}'", exc) from exc
    finally:
        os.close(fd)


def _zero_file(path: Path) -> None:
    """Make every byte of the file zero, as libvirt's zero algorithm does: a sparse file is
    truncated to nothing and back (its blocks go back to the file system), a full one is written over."""
    zeros = bytes(_WIPE_CHUNK)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise os_error(f"cannot open volume '{path}'", exc) from exc
    try:
        info = os.fstat(fd)
        size = info.st_size
        if info.st_blocks * 512 < size:
            os.ftruncate(fd, 0)
            os.ftruncate(fd, size)
            os.fsync(fd)
            return
        done = 0
        while done < size:
            done += os.pwrite(fd, zeros[: min(_WIPE_CHUNK, size - done)], done)
        os.fsync(fd)
    except OSError as exc:
        raise os_error(f"cannot wipe volume '{path}'", exc) from exc
    finally:
        os.close(fd)
