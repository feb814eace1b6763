"""The ``fs`` backend: a file system on a block device (or an image file: a loop device), mounted
on the pool's target directory while the pool runs; its volumes are files there, as in ``dir``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from virt.errors import ErrorNumber
from virt.storage.backend import BuildFlags
from virt.storage.dirpool import make_target, remove_target
from virt.storage.filepool import FilePoolBackend, storage_error, target_dir

if TYPE_CHECKING:
    from virt.xml import StoragePool


def _device(pool: StoragePool) -> str:
    assert pool.source is not None and pool.source.devices and pool.source.devices[0].path
    return pool.source.devices[0].path


def _format(pool: StoragePool) -> str:
    source = pool.source
    return (source.format.type if source is not None and source.format is not None else None) or "auto"


def _run(command: list[str], what: str) -> str:
    if shutil.which(command[0]) is None:
        raise storage_error(ErrorNumber.INTERNAL_ERROR, f"{what} needs {command[0]}, which is not installed")
    done = subprocess.run(command, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().replace("\n", " ")
        raise storage_error(
            ErrorNumber.INTERNAL_ERROR, f"{' '.join(command)} failed with status {done.returncode}: {said}"
        )
    return done.stdout


def mounted_on(target: str) -> str | None:
    """The source of what is mounted on ``target`` now (the last mount there), else None."""
    found = None
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        for line in mounts:
            fields = line.split()
            if len(fields) > 1 and fields[1].encode().decode("unicode_escape") == target:
                found = fields[0]
    return found


def existing_file_system(device: str) -> str | None:
    """The type of the file system ``blkid`` finds on ``device``, None when it finds none."""
    done = subprocess.run(["blkid", "-o", "value", "-s", "TYPE", device], capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


class FsBackend(FilePoolBackend):
    pool_type = "fs"

    def check(self, pool: StoragePool) -> None:
        super().check(pool)
        if pool.source is None or not pool.source.devices or not pool.source.devices[0].path:
            raise storage_error(ErrorNumber.INVALID_ARG, "missing source device")

    def build(self, pool: StoragePool, flags: BuildFlags) -> None:
        if flags.overwrite and flags.no_overwrite:
            raise storage_error(
                ErrorNumber.OPERATION_INVALID,
                "Overwrite and no overwrite flags are mutually exclusive",
            )
        make_target(pool)
        if not (flags.overwrite or flags.no_overwrite):
            return  # as libvirt: without a flag a build makes the target directory only
        device, format = _device(pool), _format(pool)
        if format == "auto":
            raise storage_error(ErrorNumber.OPERATION_INVALID, "No source format provided for building the file system")
        if flags.no_overwrite:
            found = existing_file_system(device)
            if found is not None:
                raise storage_error(
                    ErrorNumber.STORAGE_POOL_BUILT, f"Device '{device}' already formatted using '{found}'"
                )
        _run([f"mkfs.{format}", *(["-F"] if format.startswith("ext") else []), device], "building the file system")

    def start(self, pool: StoragePool) -> None:
        device, target = _device(pool), str(target_dir(pool))
        if not Path(device).exists():
            raise storage_error(ErrorNumber.INVALID_ARG, f"Source device does not exist when mounting '{device}'")
        if not Path(target).is_dir():
            raise storage_error(
                ErrorNumber.SYSTEM_ERROR, f"cannot open directory '{target}': No such file or directory"
            )
        if mounted_on(target) is None:
            format = _format(pool)
            options = ["-o", "loop"] if Path(device).is_file() else []
            _run(
                ["mount", *([] if format == "auto" else ["-t", format]), *options, device, target], "mounting the pool"
            )
        super().start(pool)

    def is_running(self, pool: StoragePool) -> bool:
        return mounted_on(str(target_dir(pool))) is not None

    def stop(self, pool: StoragePool) -> None:
        target = str(target_dir(pool))
        if mounted_on(target) is not None:
            _run(["umount", target], "unmounting the pool")

    def delete(self, pool: StoragePool) -> None:
        remove_target(pool)
