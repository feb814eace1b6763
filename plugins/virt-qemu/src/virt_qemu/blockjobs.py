"""Block jobs of running QEMU guests on QMP's blockdev jobs, with libvirt 9.0's rules and words.

A copy adds the destination as two block nodes (storage, format: ``diskN-cK-storage`` /
``diskN-cK-format``, N the disk's position as for the nodes the command builder names) and runs
``blockdev-mirror`` to them; once QEMU says the mirror is ready, an abort with PIVOT completes the
job (``job-complete``: the guest's device now writes to the copy) and a plain abort cancels it
(the source stays). A commit runs ``block-commit`` from a layer of the disk's chain down to a
lower one (the active layer: ready, then pivoted onto the base as a copy is); a pull runs
``block-stream``. Every job is started with ``auto-dismiss`` off, so that its end, its error
included, is read (``query-jobs``) before ``job-dismiss``: QEMU's JOB_STATUS_CHANGE events drive a
job from start to end (``job_event``, on the driver's event thread with the domain's lock held),
which updates the live definition (the copy's or the base's file is the disk's source after a
pivot; libvirt changes the persistent definition too when it named the same file) and emits
libvirt's BLOCK_JOB and BLOCK_JOB_2 events.

The jobs live in the running QEMU's ``Running.block_jobs`` (by disk target): a driver restarted
while a job runs does not know it (the job goes on in QEMU; ``query-block-jobs`` still shows it).
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import stat
import subprocess
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from lxml import etree
from virt import devicechanges as dc
from virt.blockjobs import BlockCommitFlags, BlockCopyFlags
from virt.domainevents import BlockJob2Event, BlockJobEvent, BlockJobStatus, BlockJobType
from virt.driver import DomainRef
from virt.errors import ErrorNumber, VirtError

from virt_qemu import errors

if TYPE_CHECKING:
    from virt.xml import Domain
    from virt.xml.devices import Disk

    from virt_qemu.driver import QemuDriver
    from virt_qemu.runtime import DomainObj, Running

log = logging.getLogger(__name__)

_QEMU_FORMATS = frozenset({"raw", "qcow2", "qed", "vmdk", "vdi", "vpc", "vhdx"})


@attrs.frozen
class Layer:
    """One image of a disk's chain as QEMU opened it: its format node, file and format."""

    node: str
    path: str
    format: str
    storage: str | None = None
    """Its protocol node, when the driver added it itself (to delete with the format node)."""
    index: int = 0
    """libvirt's number of the image (``vda[N]``, the ``index`` of the live XML)."""


@attrs.define(eq=False)
class BlockJob:
    """A job the driver started on one disk, until QEMU concluded it and the driver acted on the end."""

    job_id: str
    target: str
    type: BlockJobType
    top: Layer
    """The disk's active layer when the job started."""
    destination: Layer | None = None
    """What the disk becomes on a pivot: the copy, or an active commit's base."""
    added: tuple[str, ...] = ()
    """Nodes the job added (the copy's), deleted unless the disk pivots onto them."""
    destination_bottom: bool = True
    """Whether the destination has no backing image (libvirt's <mirror> then ends the chain)."""
    delete_files: tuple[str, ...] = ()
    """Files merged away by a commit with DELETE, removed once it completed."""
    status: str = "created"
    ready: bool = False
    abort: str | None = None
    """``cancel`` or ``pivot`` once asked."""
    ended: threading.Event = attrs.field(factory=threading.Event)
    outcome: BlockJobStatus | None = None
    error: str | None = None


# -- the disk and its chain -----------------------------------------------------------------------
def find_disk(live: Domain, name: str) -> Disk:
    """The disk ``name`` names, by target or by source path (libvirt's qemuDomainDiskByName)."""
    disks = live.devices.disks if live.devices is not None else []
    for disk in disks:
        if dc.disk_target(disk) == name:
            return disk
    for disk in disks:
        if dc.disk_source(disk) == name:
            return disk
    raise errors.error(ErrorNumber.INVALID_ARG, f"disk '{name}' not found in domain")


def disk_position(live: Domain, disk: Disk) -> int:
    disks = live.devices.disks if live.devices is not None else []
    return next(n for n, d in enumerate(disks) if d is disk)


def disk_format(disk: Disk) -> str:
    return (disk.driver.type if disk.driver is not None else None) or "raw"


def chain(driver: QemuDriver, obj: DomainObj, disk: Disk) -> list[Layer]:
    """The images of ``disk`` as QEMU has them open, the active one first, then its backing images
    down, each with libvirt's index (``index``)."""
    running = driver._usable(obj)
    blocks = driver.qmp(obj, "query-block")
    nodes = [n for n in driver.qmp(obj, "query-named-block-nodes", {"flat": True}) if isinstance(n, dict)]
    if not running.chain_ids:
        # libvirt numbers every disk's images at the start, top-down, disk after disk
        disks = obj.current.devices.disks if obj.current.devices is not None else []
        for other in disks:
            if dc.disk_source(other):
                with contextlib.suppress(VirtError):
                    for layer in _walk(other, blocks, nodes):
                        number(running, layer.path)
    return [attrs.evolve(layer, index=number(running, layer.path)) for layer in _walk(disk, blocks, nodes)]


def number(running: Running, path: str) -> int:
    """libvirt's index of the image ``path`` (its node's number: new images get the next one)."""
    if path not in running.chain_ids:
        running.chain_ids[path] = max(running.chain_ids.values(), default=0) + 1
    return running.chain_ids[path]


def _walk(disk: Disk, blocks: list[dict[str, Any]], nodes: list[dict[str, Any]]) -> list[Layer]:
    path = dc.disk_source(disk)
    if not path:
        raise errors.error(ErrorNumber.OPERATION_INVALID, f"disk '{dc.disk_target(disk)}' does not have source")
    top_node = None
    for block in blocks:
        inserted = block.get("inserted") or {}
        if inserted.get("file") == path and inserted.get("node-name"):
            top_node = str(inserted["node-name"])
            break
    if top_node is None:
        raise errors.internal(f"QEMU has no block node for the disk '{dc.disk_target(disk)}' ({path})")
    by_name = {str(n.get("node-name")): n for n in nodes}
    layers: list[Layer] = []
    entry: dict[str, Any] | None = by_name.get(top_node)
    while entry is not None and len(layers) < 64:
        name = str(entry.get("node-name"))
        storage = _storage_of(name)
        layers.append(Layer(name, str(entry.get("file")), str(entry.get("drv")), storage))
        backing = (entry.get("image") or {}).get("full-backing-filename") or entry.get("backing_file")
        if not backing:
            break
        # the backing image's format node: a node of that file whose driver is a format, not the file's own
        below = [
            n for n in nodes if n.get("file") == backing and n.get("drv") != "file" and str(n.get("node-name")) != name
        ]
        entry = below[0] if below else None
    return layers


def _storage_of(format_node: str) -> str | None:
    """The protocol node the driver added below a format node it added (``diskN-format`` over
    ``diskN-storage``, an external snapshot's ``ovK-fmt`` over ``ovK-file``); QEMU's own close by themselves."""
    for fmt, storage in (("-format", "-storage"), ("-fmt", "-file")):
        if format_node.endswith(fmt):
            return format_node.removesuffix(fmt) + storage
    return None


def pick_layer(layers: list[Layer], name: str, target: str, *, below: int | None = None) -> int:
    """The position in the chain of the image ``name`` names: the disk's target the active one,
    ``vda[N]`` the image of index N, or an image's path; ``below``: looked for beneath the image at
    that position only (libvirt's virStorageSourceChainLookup, its words)."""
    start = 0 if below is None else below + 1
    if name == target:
        position = 0 if below is None else None
        index = None
    else:
        index_text = name[len(target) + 1 : -1] if name.startswith(f"{target}[") and name.endswith("]") else None
        if name.endswith("]") and "[" in name and index_text is None:
            given = name[: name.index("[")]
            raise errors.error(ErrorNumber.INVALID_ARG, f"requested target '{given}' does not match target '{target}'")
        if index_text is not None and not index_text.isdigit():
            raise errors.error(ErrorNumber.INVALID_ARG, f"invalid backing store index '{index_text}' in '{name}'")
        index = int(index_text) if index_text is not None else None
        position = next(
            (
                n
                for n in range(start, len(layers))
                if (layers[n].index == index if index is not None else layers[n].path == name)
            ),
            None,
        )
    if position is not None:
        return position
    if index is not None:
        raise errors.error(
            ErrorNumber.INVALID_ARG, f"could not find backing store index '{index}' in chain for '{target}'"
        )
    if below is not None:
        raise errors.error(
            ErrorNumber.INVALID_ARG,
            f"could not find image '{name}' beneath '{layers[below].path}' in chain for '{target}'",
        )
    raise errors.error(ErrorNumber.INVALID_ARG, f"could not find image '{name}' in chain for '{target}'")


# -- starting jobs --------------------------------------------------------------------------------
def _job_id(kind: str, target: str, top: Layer) -> str:
    """libvirt's job names (``copy-vda-libvirt-1-format``), of our node names; QEMU's implicit nodes'
    ``#`` is not allowed in an id."""
    return f"{kind}-{target}-{top.node.lstrip('#')}"


def _busy_check(driver: QemuDriver, obj: DomainObj, running: Running, target: str) -> None:
    adopt(driver, obj, running)
    if target in running.block_jobs:
        raise errors.error(ErrorNumber.BLOCK_COPY_ACTIVE, f"disk '{target}' already in active block job")


def _start(
    driver: QemuDriver, obj: DomainObj, running: Running, job: BlockJob, command: str, args: dict[str, Any]
) -> None:
    running.block_jobs[job.target] = job
    try:
        driver.qmp(obj, command, {"job-id": job.job_id, "auto-dismiss": False, **args})
    except BaseException:
        del running.block_jobs[job.target]
        raise
    _show_mirror(obj, job)
    driver._save_status(obj)
    _save_jobs(running)


def start_copy(
    driver: QemuDriver,
    obj: DomainObj,
    disk: Disk,
    dest: Disk,
    *,
    speed: int,
    granularity: int,
    buf_size: int,
    flags: int,
) -> None:
    """``blockdev-mirror`` of ``disk`` to the file ``dest`` names, created unless REUSE_EXT."""
    running = driver._usable(obj)
    target = dc.disk_target(disk)
    _busy_check(driver, obj, running, target)
    path = dc.disk_source(dest)
    if not path or dest.type not in (None, "file", "block"):
        raise errors.error(
            ErrorNumber.OPERATION_UNSUPPORTED, "the destination of a block copy must be a file or a block device"
        )
    layers = chain(driver, obj, disk)
    top = layers[0]
    shallow = bool(flags & BlockCopyFlags.SHALLOW) and len(layers) > 1
    fmt = (dest.driver.type if dest.driver is not None else None) or top.format
    if fmt not in _QEMU_FORMATS:
        raise errors.error(ErrorNumber.INVALID_ARG, f"unknown disk format '{fmt}' for the block copy destination")
    reuse = bool(flags & BlockCopyFlags.REUSE_EXT)
    if _destination_to_create(target, path, reuse=reuse, block=dest.type == "block", raw=fmt == "raw"):
        _create_image(driver, obj, top, layers[1] if shallow else None, path, fmt)
    position = disk_position(obj.current, disk)
    names = {str(n.get("node-name")) for n in driver.qmp(obj, "query-named-block-nodes")}
    k = 1
    while f"disk{position}-c{k}-format" in names or f"disk{position}-c{k}-storage" in names:
        k += 1
    storage, fmt_node = f"disk{position}-c{k}-storage", f"disk{position}-c{k}-format"
    kind = "host_device" if dest.type == "block" else "file"
    driver.qmp(
        obj,
        "blockdev-add",
        {"driver": kind, "filename": path, "node-name": storage, "auto-read-only": True, "discard": "unmap"},
    )
    added = [storage]
    try:
        props: dict[str, Any] = {"node-name": fmt_node, "driver": fmt, "file": storage, "discard": "unmap"}
        if fmt != "raw" and not (flags & BlockCopyFlags.REUSE_EXT):
            # the new image's backing is the source's own (shallow) or nothing: attached, not opened anew
            props["backing"] = layers[1].node if shallow else None
        driver.qmp(obj, "blockdev-add", props)
        added.insert(0, fmt_node)
        job = BlockJob(
            _job_id("copy", target, top),
            target,
            BlockJobType.COPY,
            top,
            destination=Layer(fmt_node, path, fmt, storage, index=number(running, path)),
            added=tuple(added),
            destination_bottom=not shallow,
        )
        args: dict[str, Any] = {"device": top.node, "target": fmt_node, "sync": "top" if shallow else "full"}
        args.update({"speed": speed} if speed else {})
        args.update({"granularity": granularity} if granularity else {})
        args.update({"buf-size": buf_size} if buf_size else {})
        if flags & BlockCopyFlags.SYNCHRONOUS_WRITES:
            args["copy-mode"] = "write-blocking"
        _start(driver, obj, running, job, "blockdev-mirror", args)
    except BaseException:
        _delete_nodes(driver, obj, added)
        raise


def _destination_to_create(target: str, path: str, *, reuse: bool, block: bool, raw: bool) -> bool:
    """Whether the copy's image is to be made, after libvirt's checks of the destination: one to
    reuse (or a block device) must be there; an existing file with data is reused only when asked."""
    try:
        st = Path(path).stat()
    except FileNotFoundError:
        if reuse or block:
            raise errors.error(
                ErrorNumber.SYSTEM_ERROR,
                f"missing destination file for disk {target}: {path}: {os.strerror(errno.ENOENT)}",
            ) from None
        return True
    except OSError as exc:
        raise errors.error(
            ErrorNumber.SYSTEM_ERROR, f"unable to stat for disk {target}: {path}: {os.strerror(exc.errno or 0)}"
        ) from exc
    if stat.S_ISBLK(st.st_mode):
        return not reuse and not raw  # a device gets its format's header, a raw one is used as it is
    if st.st_size and not reuse:
        raise errors.error(
            ErrorNumber.CONFIG_UNSUPPORTED,
            f"external destination file for disk {target} already exists and is not a block device: {path}",
        )
    if block:
        raise errors.error(
            ErrorNumber.INVALID_ARG,
            f"blockdev flag requested for disk {target}, but file '{path}' is not a block device",
        )
    return not reuse


def _create_image(driver: QemuDriver, obj: DomainObj, top: Layer, backing: Layer | None, path: str, fmt: str) -> None:
    """The copy's new image: as large as the disk, on the source's backing image when shallow."""
    size = 0
    for node in driver.qmp(obj, "query-named-block-nodes", {"flat": True}):
        if node.get("node-name") == top.node:
            size = int((node.get("image") or {}).get("virtual-size", 0))
    command = ["qemu-img", "create", "-q", "-f", fmt]
    if backing is not None:
        if fmt == "raw":
            raise errors.error(
                ErrorNumber.CONFIG_UNSUPPORTED,
                "a shallow copy needs a destination format with a backing file (not raw)",
            )
        command += ["-F", backing.format, "-b", backing.path]
    done = subprocess.run([*command, path, str(size)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise errors.operation_failed(f"cannot create the copy's image {path}: {done.stderr.strip()}")


def start_commit(
    driver: QemuDriver, obj: DomainObj, disk: Disk, base: str | None, top: str | None, *, speed: int, flags: int
) -> None:
    """``block-commit`` of the images from ``top`` down to ``base`` (libvirt's qemuDomainBlockCommit rules)."""
    running = driver._usable(obj)
    target = dc.disk_target(disk)
    _busy_check(driver, obj, running, target)
    layers = chain(driver, obj, disk)
    top_at = 0 if top is None else pick_layer(layers, top, target)
    active = top_at == 0
    if active and not flags & BlockCommitFlags.ACTIVE:
        raise errors.error(ErrorNumber.INVALID_ARG, f"commit of '{target}' active layer requires active flag")
    if not active and flags & BlockCommitFlags.ACTIVE:
        raise errors.error(
            ErrorNumber.INVALID_ARG, f"active commit requested but '{layers[top_at].path}' is not active"
        )
    if base is None and top_at + 1 >= len(layers):
        raise errors.error(ErrorNumber.INVALID_ARG, f"could not find base image in chain for '{target}'")
    if base is None:
        base_at = top_at + 1 if flags & BlockCommitFlags.SHALLOW else len(layers) - 1
    else:
        base_at = pick_layer(layers, base, target, below=top_at)
        if flags & BlockCommitFlags.SHALLOW and base_at != top_at + 1:
            raise errors.error(
                ErrorNumber.INVALID_ARG,
                f"base '{base}' is not immediately below '{layers[top_at].path}' in chain for '{target}'",
            )
    kind = BlockJobType.ACTIVE_COMMIT if active else BlockJobType.COMMIT
    merged = tuple(layer.path for layer in layers[top_at:base_at])  # what base absorbs
    job = BlockJob(
        _job_id("commit", target, layers[0]),
        target,
        kind,
        layers[0],
        destination=layers[base_at] if active else None,
        destination_bottom=base_at == len(layers) - 1,
        delete_files=merged if flags & BlockCommitFlags.DELETE else (),
    )
    args: dict[str, Any] = {
        "device": layers[0].node,
        "top-node": layers[top_at].node,
        "base-node": layers[base_at].node,
    }
    args.update({"speed": speed} if speed else {})
    _start(driver, obj, running, job, "block-commit", args)


def start_pull(driver: QemuDriver, obj: DomainObj, disk: Disk, base: str | None, *, speed: int) -> None:
    """``block-stream`` into the active image of the data of its chain above ``base`` (None: all of it)."""
    running = driver._usable(obj)
    target = dc.disk_target(disk)
    _busy_check(driver, obj, running, target)
    layers = chain(driver, obj, disk)
    args: dict[str, Any] = {"device": layers[0].node}
    if base is not None:
        base_at = pick_layer(layers, base, target, below=0)
        args["base-node"] = layers[base_at].node
    args.update({"speed": speed} if speed else {})
    job = BlockJob(_job_id("pull", target, layers[0]), target, BlockJobType.PULL, layers[0])
    _start(driver, obj, running, job, "block-stream", args)


# -- asking about and acting on jobs ---------------------------------------------------------------
def job_of(driver: QemuDriver, obj: DomainObj, running: Running, target: str) -> BlockJob | None:
    adopt(driver, obj, running)
    job = running.block_jobs.get(target)
    return job if job is not None and not job.ended.is_set() else None


def info(driver: QemuDriver, obj: DomainObj, job: BlockJob) -> tuple[int, int, int, bool]:
    """(speed in bytes/s, cur, end, ready) of the job as QEMU reports it (libvirt's fixes applied:
    a job not started yet is 0 of 1, a job not ready never shows cur == end)."""
    found = next((j for j in driver.qmp(obj, "query-block-jobs") if j.get("device") == job.job_id), None)
    if found is None:
        return 0, 0, 1, False  # gone from QEMU, its end not handled yet: still running to the caller
    cur, end = int(found.get("offset", 0)), int(found.get("len", 0))
    ready = bool(found.get("ready")) or job.ready
    if cur == 0 and end == 0:
        end = 1
        cur = 1 if ready else 0
    if not ready and cur == end and cur > 0:
        cur -= 1
    return int(found.get("speed", 0)), cur, end, ready


def set_speed(driver: QemuDriver, obj: DomainObj, job: BlockJob, speed: int) -> None:
    driver.qmp(obj, "block-job-set-speed", {"device": job.job_id, "speed": speed})


def request_abort(driver: QemuDriver, obj: DomainObj, job: BlockJob, *, pivot: bool) -> None:
    """Cancel the job, or with ``pivot`` complete a ready copy or active commit (libvirt's rules)."""
    if job.abort is not None:
        raise errors.error(ErrorNumber.OPERATION_INVALID, f"block job on disk '{job.target}' is already being aborted")
    if pivot:
        if job.type not in (BlockJobType.COPY, BlockJobType.ACTIVE_COMMIT):
            raise errors.error(
                ErrorNumber.OPERATION_INVALID, f"pivot of disk '{job.target}' requires an active copy job"
            )
        if not job.ready and not _ready_in_qemu(driver, obj, job):
            raise errors.error(ErrorNumber.BLOCK_COPY_ACTIVE, f"block job '{job.job_id}' not ready for pivot yet")
        driver.qmp(obj, "job-complete", {"id": job.job_id})
        job.abort = "pivot"
    else:
        driver.qmp(obj, "block-job-cancel", {"device": job.job_id, "force": False})
        job.abort = "cancel"
    _show_mirror(obj, job)  # libvirt's ready='pivot' or 'abort' until the job's end
    running = obj.running
    if running is not None:
        _save_jobs(running)


def _ready_in_qemu(driver: QemuDriver, obj: DomainObj, job: BlockJob) -> bool:
    """Whether QEMU calls the job ready, its event not handled yet (a caller that saw it ready in
    ``query-block-jobs`` may pivot at once)."""
    found = next((j for j in driver.qmp(obj, "query-block-jobs") if j.get("device") == job.job_id), None)
    return found is not None and bool(found.get("ready"))


def resize(driver: QemuDriver, obj: DomainObj, disk: Disk, size: int) -> None:
    """``block_resize`` of the disk's active image to ``size`` bytes (a qcow2 or qed to 512-byte sectors)."""
    driver._usable(obj)
    layers = chain(driver, obj, disk)
    if disk_format(disk) in ("qcow2", "qed"):
        size = (size + 511) // 512 * 512
    driver.qmp(obj, "block_resize", {"node-name": layers[0].node, "size": size})


# -- jobs outliving the driver ----------------------------------------------------------------------
JOBS_FILE = "block-jobs.json"
"""In the QEMU's run folder: what the driver knows of its jobs, for the next owner of the domain."""


def _save_jobs(running: Running) -> None:
    """Write down the running jobs (the run folder lives as long as the QEMU does)."""
    entries = [
        attrs.asdict(job, filter=lambda field, _: field.name not in ("ended", "outcome", "error"))
        for job in running.block_jobs.values()
    ]
    path = running.run_dir / JOBS_FILE
    temporary = path.with_suffix(".tmp")
    try:
        temporary.write_text(json.dumps(entries))
        temporary.replace(path)
    except OSError as exc:
        log.warning("cannot write down the block jobs in %s: %s", path, exc)


def adopt(driver: QemuDriver, obj: DomainObj, running: Running) -> None:
    """Take back, once per owner, the jobs a previous owner of this QEMU started and wrote down:
    those QEMU still has; one that concluded meanwhile is acted on now (holds the domain's lock)."""
    if running.jobs_adopted:
        return
    running.jobs_adopted = True
    try:
        entries = json.loads((running.run_dir / JOBS_FILE).read_text())
    except (OSError, ValueError):
        return
    if not entries:
        return
    statuses = {str(j.get("id")): str(j.get("status")) for j in driver.qmp(obj, "query-jobs")}
    for entry in entries:
        if entry["job_id"] not in statuses:
            continue
        layers = {key: Layer(**entry[key]) if entry[key] is not None else None for key in ("top", "destination")}
        job = BlockJob(**{**entry, **layers, "type": BlockJobType(entry["type"]), "added": tuple(entry["added"])})
        job.delete_files = tuple(entry["delete_files"])
        job.status = statuses[job.job_id]
        job.ready = job.ready or job.status == "ready"
        running.block_jobs[job.target] = job
        if job.status == "concluded":
            _concluded(driver, obj, running, job)


# -- QEMU's events ---------------------------------------------------------------------------------
def job_event(driver: QemuDriver, obj: DomainObj, running: Running, name: str, data: dict[str, Any]) -> None:
    """A JOB_STATUS_CHANGE of one of our jobs: readiness announced, the end acted on. Holds the lock."""
    if name != "JOB_STATUS_CHANGE":
        return  # BLOCK_JOB_ERROR: the job goes on or concludes, and says so by its status
    adopt(driver, obj, running)
    job = next((j for j in running.block_jobs.values() if j.job_id == data.get("id")), None)
    if job is None:
        return
    job.status = str(data.get("status"))
    if job.status == "ready" and not job.ready:
        job.ready = True
        _show_mirror(obj, job)
        driver._save_status(obj)
        _save_jobs(running)
        _emit(driver, obj, job, BlockJobStatus.READY)
    elif job.status == "concluded":
        _concluded(driver, obj, running, job)


def _concluded(driver: QemuDriver, obj: DomainObj, running: Running, job: BlockJob) -> None:
    error = None
    try:
        for entry in driver.qmp(obj, "query-jobs"):
            if entry.get("id") == job.job_id:
                error = entry.get("error")
        driver.qmp(obj, "job-dismiss", {"id": job.job_id})
    except VirtError as exc:
        log.warning("domain %s: cannot read the end of block job %s: %s", obj.name, job.job_id, exc)
    job.error = str(error) if error else None
    if job.abort == "cancel":
        outcome = BlockJobStatus.CANCELED
    elif error:
        outcome = BlockJobStatus.FAILED
    else:
        outcome = BlockJobStatus.COMPLETED
    pivoted = outcome is BlockJobStatus.COMPLETED and job.abort == "pivot" and job.destination is not None
    if pivoted:
        _delete_nodes(driver, obj, [job.top.node, *([job.top.storage] if job.top.storage else [])])
    elif job.added:
        _delete_nodes(driver, obj, list(job.added))
    if outcome is BlockJobStatus.COMPLETED:
        _update_definitions(driver, obj, job, job.destination if pivoted else None)
    if outcome is BlockJobStatus.COMPLETED:
        for path in job.delete_files:
            with contextlib.suppress(OSError):
                Path(path).unlink()
    running.block_jobs.pop(job.target, None)
    _show_mirror(obj, job, gone=True)
    driver._save_status(obj)
    _save_jobs(running)
    job.outcome = outcome
    _emit(driver, obj, job, outcome)
    job.ended.set()


def _update_definitions(driver: QemuDriver, obj: DomainObj, job: BlockJob, pivoted_to: Layer | None) -> None:
    """A job changed the disk's chain (and, ``pivoted_to``, its image): the live disk shows its image
    and the chain below it as libvirt does; the persistent disk follows where it named the same file
    (as libvirt 9.0's commit, pull and copy pivot rewrite it)."""
    live = obj.live
    assert live is not None
    disk = find_disk(live, job.target)
    old_path = dc.disk_source(disk)
    if pivoted_to is not None:
        _set_source(disk, pivoted_to)
    _show_chain(disk, live=True)
    if obj.config is None:
        return
    with contextlib.suppress(VirtError):
        config_disk = find_disk(obj.config, job.target)
        if dc.disk_source(config_disk) != old_path:
            return
        if pivoted_to is not None:
            _set_source(config_disk, pivoted_to)
        if pivoted_to is not None or config_disk.backing_store is not None:
            _show_chain(config_disk, live=False)
        driver.definitions.save(obj.config)


def _show_chain(disk: Disk, *, live: bool) -> None:
    """The images below the disk's as ``<backingStore>`` (as external snapshots write them)."""
    from virt_qemu import overlays

    path = dc.disk_source(disk)
    if not path:
        return
    try:
        chain = overlays.backing_store(path, live=live)
    except VirtError as exc:
        log.warning("cannot read the backing chain of %s: %s", path, exc)
        return
    disk.backing_store = chain if len(chain) else None


def _set_source(disk: Disk, layer: Layer) -> None:
    from virt.xml.devices import DiskDriver, DiskSource

    source = disk.source or DiskSource()
    if disk.type == "block":
        source.dev = layer.path
    else:
        source.file = layer.path
    disk.source = source
    disk.driver = disk.driver or DiskDriver()
    if disk.driver.name is None:
        disk.driver.name = "qemu"
    disk.driver.type = layer.format


def _delete_nodes(driver: QemuDriver, obj: DomainObj, nodes: list[str]) -> None:
    for node in nodes:
        with contextlib.suppress(VirtError):  # one QEMU dropped with its parent already
            driver.qmp(obj, "blockdev-del", {"node-name": node})


def _show_mirror(obj: DomainObj, job: BlockJob, *, gone: bool = False) -> None:
    """libvirt's <mirror> in the live disk while a copy or an active commit runs."""
    live = obj.live
    if live is None:
        return
    try:
        disk = find_disk(live, job.target)
    except VirtError:
        return
    if gone or job.destination is None:
        disk.mirror = None
        return
    destination = job.destination
    copy = job.type is BlockJobType.COPY
    mirror = etree.Element("mirror", type="file")
    if copy:  # the attributes of libvirt's old copy job, which it still writes for a copy
        mirror.set("file", destination.path)
        mirror.set("format", destination.format)
    mirror.set("job", "copy" if copy else "active-commit")
    if job.abort is not None or job.ready:
        mirror.set("ready", "pivot" if job.abort == "pivot" else ("abort" if job.abort == "cancel" else "yes"))
    etree.SubElement(mirror, "format", type=destination.format)
    source = etree.SubElement(mirror, "source", file=destination.path)
    if destination.index:
        source.set("index", str(destination.index))
    if job.destination_bottom:
        etree.SubElement(mirror, "backingStore")
    disk.mirror = mirror


def _emit(driver: QemuDriver, obj: DomainObj, job: BlockJob, status: BlockJobStatus) -> None:
    ref = DomainRef(obj.name, obj.uuid, obj.id)
    path = job.top.path
    if obj.live is not None:
        with contextlib.suppress(VirtError):
            path = dc.disk_source(find_disk(obj.live, job.target)) or path
    driver._emit_other(BlockJobEvent(ref, path, int(job.type), int(status)))
    driver._emit_other(BlockJob2Event(ref, job.target, int(job.type), int(status)))
