"""Copying the disks of a migrating guest whose storage the hosts do not share (``--copy-storage-all``,
``--copy-storage-inc``), as libvirt 9.0 does it over NBD.

The destination's QEMU, started for the incoming guest on disk images of the same size that must
already be there (at the same paths, or at those of ``--xml``), serves them with its NBD server
(``nbd-server-start`` on a port of the migration range or ``--disks-port``, one ``block-export-add``
per disk, named by its target); the port travels back in prepare's cookie. The source's QEMU
mirrors each disk into its export (``blockdev-add`` of an NBD client node, ``blockdev-mirror``,
sync ``full``, or ``top`` for the incremental copy), and once every mirror is *ready* (the copy
caught up; writes go to both sides) the memory is migrated. At the end, with the guest stopped,
each mirror is cancelled, which in QEMU's words completes it without switching the source to the
copy, and the NBD client nodes go; the destination's NBD server stops before its guest runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from virt.errors import ErrorNumber, VirtError
from virt.migration import MigrateFlags, MigrationParams

from virt_qemu import errors

if TYPE_CHECKING:
    from virt.xml import Domain

POLL = 0.05
READY_TIMEOUT = 3600.0
"""The longest the mirrors may take to catch up (a large disk on a slow link)."""
_PREFIX = "migrate-"


def copies_storage(flags: MigrateFlags) -> bool:
    return bool(flags & (MigrateFlags.NON_SHARED_DISK | MigrateFlags.NON_SHARED_INC))


def disks_to_copy(definition: Domain, params: MigrationParams) -> list[tuple[str, str]]:
    """(target, source path) of the disks to copy: ``migrate_disks``, or every writable disk with a
    source (not read-only, not shareable, not a CD-ROM or floppy), as libvirt chooses them."""
    devices = definition.devices
    found: list[tuple[str, str]] = []
    known: set[str] = set()
    for disk in devices.disks if devices is not None else []:
        target = disk.target.dev if disk.target is not None else None
        source = disk.source
        path = (source.file or source.dev) if source is not None else None
        if not target or not path:
            continue
        known.add(target)
        if params.migrate_disks:
            if target in params.migrate_disks:
                found.append((target, path))
        elif disk.device in (None, "disk", "lun") and not disk.readonly and not disk.shareable:
            found.append((target, path))
    unknown = sorted(set(params.migrate_disks) - known)
    if unknown:
        raise errors.error(ErrorNumber.INVALID_ARG, f"disk target {unknown[0]} not found")
    return found


# statfs f_type of the file systems libvirt counts as shared between hosts (virFileIsSharedFS)
_SHARED_FS = {
    0x6969: "nfs",
    0x01161970: "gfs2",
    0x7461636F: "ocfs2",
    0x5346414F: "afs",
    0x517B: "smb",
    0xFF534D42: "cifs",
    0xFE534D42: "smb2",
    0x00C36400: "ceph",
    0x47504653: "gpfs",
}
_CLUSTER_FS = ("gfs2", "ocfs2")
"""Shared file systems that keep the hosts' caches coherent (virFileIsClusterFS)."""


def file_system_type(path: str) -> int | None:
    """statfs's f_type for ``path`` (its nearest existing parent), None when it cannot be read."""
    libc = ctypes.CDLL(None, use_errno=True)
    buffer = ctypes.create_string_buffer(256)  # struct statfs; f_type, a long, comes first
    where = Path(path)
    while not where.exists() and where != where.parent:
        where = where.parent
    if libc.statfs(os.fsencode(where), buffer) != 0:
        return None
    return ctypes.c_long.from_buffer(buffer).value & 0xFFFFFFFF


def check_safe(definition: Domain, flags: MigrateFlags, copied: list[tuple[str, str]]) -> None:
    """libvirt's qemuMigrationSrcIsSafe: without UNSAFE, a writable disk that is not copied and whose
    cache mode keeps writes on this host (neither none nor directsync) must sit on a cluster file
    system; on another shared one its data could be corrupted, elsewhere the destination lacks it."""
    if flags & (MigrateFlags.UNSAFE | MigrateFlags.OFFLINE):
        return
    skip = {target for target, _ in copied}
    devices = definition.devices
    for disk in devices.disks if devices is not None else []:
        source = disk.source
        path = (source.file or source.dev) if source is not None else None
        target = disk.target.dev if disk.target is not None else None
        cache = disk.driver.cache if disk.driver is not None else None
        if not path or disk.readonly or disk.shareable or target in skip or cache in ("none", "directsync"):
            continue
        kind = _SHARED_FS.get(file_system_type(path) or 0)
        if kind is None:
            raise errors.error(
                ErrorNumber.MIGRATE_UNSAFE, "Unsafe migration: Migration without shared storage is unsafe"
            )
        if kind not in _CLUSTER_FS:
            raise errors.error(
                ErrorNumber.MIGRATE_UNSAFE,
                "Unsafe migration: Migration may lead to data corruption if disks use cache other than none or "
                "directsync",
            )


def _nodes_by_path(execute: Any) -> dict[str, str]:
    """The format node QEMU runs each image file through, by the file's path (``query-block``)."""
    nodes: dict[str, str] = {}
    for device in execute("query-block") or []:
        inserted = device.get("inserted") or {}
        if inserted.get("file") and inserted.get("node-name"):
            nodes[str(inserted["file"])] = str(inserted["node-name"])
    return nodes


def _node_of(nodes: dict[str, str], target: str, path: str) -> str:
    node = nodes.get(path)
    if node is None:
        raise errors.internal(f"no block node found for disk {target} ({path})")
    return node


def serve(execute: Any, disks: list[tuple[str, str]], listen: str, port: int) -> None:
    """The destination: its NBD server on ``listen``:``port``, each disk exported writable by target."""
    nodes = _nodes_by_path(execute)
    execute("nbd-server-start", {"addr": {"type": "inet", "data": {"host": listen, "port": str(port)}}})
    for target, path in disks:
        export = {"type": "nbd", "id": _PREFIX + target, "node-name": _node_of(nodes, target, path)}
        execute("block-export-add", {**export, "name": target, "writable": True})


def stop_serving(execute: Any) -> None:
    """The destination before its guest runs: the NBD server and its exports go."""
    execute("nbd-server-stop")


def mirror(
    execute: Any, disks: list[tuple[str, str]], host: str, port: int, flags: MigrateFlags, aborted: Any
) -> list[str]:
    """The source: each disk mirrored into the destination's export, until all are ready; the job ids.
    ``aborted()`` says the migration was aborted meanwhile."""
    nodes = _nodes_by_path(execute)
    sync = "top" if flags & MigrateFlags.NON_SHARED_INC else "full"
    jobs: list[str] = []
    try:
        for target, path in disks:
            name = _PREFIX + target
            server = {"type": "inet", "host": host, "port": str(port)}
            execute("blockdev-add", {"driver": "nbd", "node-name": name, "server": server, "export": target})
            jobs.append(name)
            device = _node_of(nodes, target, path)
            execute("blockdev-mirror", {"job-id": name, "device": device, "target": name, "sync": sync})
        _wait_ready(execute, jobs, aborted)
    except BaseException:
        abandon(execute, jobs)
        raise
    return jobs


def _wait_ready(execute: Any, jobs: list[str], aborted: Any) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        running = {str(job.get("device")): job for job in execute("query-block-jobs") or []}
        gone = [name for name in jobs if name not in running]
        if gone:
            raise errors.operation_failed(f"migration of disk {gone[0][len(_PREFIX) :]} failed")
        failed = [job for job in running.values() if job.get("error")]
        if failed:
            raise errors.operation_failed(f"migration of disk failed: {failed[0]['error']}")
        if all(running[name].get("ready") for name in jobs):
            return
        if aborted():
            raise errors.error(ErrorNumber.OPERATION_ABORTED, "migration out job: canceled by client")
        if time.monotonic() > deadline:
            raise errors.error(ErrorNumber.OPERATION_TIMEOUT, "the disks' mirrors did not catch up in time")
        time.sleep(POLL)


def complete(execute: Any, jobs: list[str]) -> None:
    """The guest stopped and its memory sent: end each mirror (cancel: the source stays on its disks)."""
    for name in jobs:
        execute("block-job-cancel", {"device": name})
    _wait_gone(execute, jobs)
    for name in jobs:
        execute("blockdev-del", {"node-name": name})


def abandon(execute: Any, jobs: list[str]) -> None:
    """A failed or aborted migration: the mirrors stop at once and their client nodes go."""
    for name in jobs:
        try:
            execute("block-job-cancel", {"device": name, "force": True})
        except VirtError:
            continue  # never started, or gone already
    with contextlib.suppress(VirtError):
        _wait_gone(execute, jobs, timeout=30.0)
    for name in jobs:
        try:
            execute("blockdev-del", {"node-name": name})
        except VirtError:
            continue


def _wait_gone(execute: Any, jobs: list[str], timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while {str(job.get("device")) for job in execute("query-block-jobs") or []} & set(jobs):
        if time.monotonic() > deadline:
            raise errors.error(ErrorNumber.OPERATION_TIMEOUT, "the disks' mirrors did not end in time")
        time.sleep(POLL)
