"""Storage volume verbs with virsh's options and words: create, create-as, create-from, clone, delete,
wipe, resize, info, dumpxml, path, key, name, pool (``vol-list`` is in ``storage``)."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from virt.cli.commands.domain import read_file
from virt.cli.commands.host import print_xml
from virt.cli.commands.pool import failing, quoteattr, sized
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry, complete_files, complete_pools
from virt.cli.sizes import SUFFIXES

if TYPE_CHECKING:
    from virt.connection import StoragePool, StorageVolume

GROUP = "Storage Volume"

_SCALE = {"": 1, **SUFFIXES}
"""virsh's volume sizes (virshVolSize): bytes unless a suffix says otherwise."""


def volume_size(text: str) -> int | None:
    """The bytes ``text`` says, None when it is malformed."""
    match = re.fullmatch(r"(\d+)([A-Za-z]*)", text)
    scale = _SCALE.get(match.group(2).lower()) if match else None
    return None if match is None or scale is None else int(match.group(1)) * scale


def _size_option(text: str, option: str) -> int:
    found = volume_size(text)
    if found is None:
        raise CommandError(f"Malformed size {text}")
    return found


def lookup_volume(ctx: Context, key: str, pool_key: str | None) -> StorageVolume:
    """virsh's volume lookup: by name in ``--pool``, else by key, else by path; its error otherwise."""
    from virt.errors import VirtError

    last: VirtError | None = None
    if pool_key is not None:
        pool = ctx.pool(pool_key)
        if not pool.is_active():
            raise CommandError(f"pool '{pool.name}' is not active")
        try:
            return pool.lookup_volume(key)
        except VirtError as exc:
            last = exc
    for lookup in (ctx.conn.lookup_storage_volume_by_key, ctx.conn.lookup_storage_volume_by_path):
        try:
            return lookup(key)
        except VirtError as exc:
            last = exc
    raise CommandError(f"failed to get vol '{key}'", *([last.message] if last is not None else []))


def _volume_arguments() -> list[Argument]:
    return [
        Argument("vol", positional=True, required=True, help="vol name, key or path"),
        Argument("--pool", completer=complete_pools, help="pool name or uuid"),
    ]


# -- creation ----------------------------------------------------------------------------------------
def run_vol_create(ctx: Context, args: argparse.Namespace) -> None:
    pool = ctx.pool(args.pool)
    xml = read_file(args.file)
    found: list[StorageVolume] = []
    failing(
        lambda: found.append(pool.create_volume(xml, prealloc_metadata=args.prealloc_metadata)),
        f"Failed to create vol from {args.file}",
    )
    ctx.print_extra(f"Vol {found[0].name} created from {args.file}")


def volume_xml_from_options(ctx: Context, pool: StoragePool, args: argparse.Namespace) -> str:
    """The XML virsh's ``vol-create-as`` builds from its options."""
    from xml.sax.saxutils import escape

    capacity = _size_option(args.capacity, "capacity")
    lines = ["<volume>", f"  <name>{escape(args.name)}</name>", f"  <capacity>{capacity}</capacity>"]
    if args.allocation is not None:
        lines.append(f"  <allocation>{_size_option(args.allocation, 'allocation')}</allocation>")
    if args.format:
        lines += ["  <target>", f"    <format type={quoteattr(args.format)}/>", "  </target>"]
    if args.backing_vol:
        backing = lookup_volume(ctx, args.backing_vol, pool.name)
        lines += ["  <backingStore>", f"    <path>{escape(backing.path())}</path>"]
        if args.backing_vol_format:
            lines.append(f"    <format type={quoteattr(args.backing_vol_format)}/>")
        lines.append("  </backingStore>")
    return "\n".join([*lines, "</volume>"]) + "\n"


def run_vol_create_as(ctx: Context, args: argparse.Namespace) -> None:
    pool = ctx.pool(args.pool)
    xml = volume_xml_from_options(ctx, pool, args)
    if args.print_xml:
        ctx.print(xml, end="")
        return
    failing(
        lambda: pool.create_volume(xml, prealloc_metadata=args.prealloc_metadata), f"Failed to create vol {args.name}"
    )
    ctx.print_extra(f"Vol {args.name} created")


def run_vol_create_from(ctx: Context, args: argparse.Namespace) -> None:
    pool = ctx.pool(args.pool)
    source = lookup_volume(ctx, args.vol, args.inputpool)
    xml = read_file(args.file)
    found: list[StorageVolume] = []
    failing(
        lambda: found.append(pool.create_volume_from(xml, source, prealloc_metadata=args.prealloc_metadata)),
        f"Failed to create vol from {args.file}",
    )
    ctx.print_extra(f"Vol {found[0].name} created from input vol {source.name}")


def run_vol_clone(ctx: Context, args: argparse.Namespace) -> None:
    source = lookup_volume(ctx, args.vol, args.pool)
    pool = ctx.pool(source.pool_name)
    model = source.model()
    model.name = args.newname
    model.key = None
    if model.target is not None:
        model.target.path = None
    failing(
        lambda: pool.create_volume_from(model, source, prealloc_metadata=args.prealloc_metadata),
        f"Failed to clone vol from {source.name}",
    )
    ctx.print_extra(f"Vol {args.newname} cloned from {source.name}")


# -- changes -----------------------------------------------------------------------------------------
def run_vol_delete(ctx: Context, args: argparse.Namespace) -> None:
    volume = lookup_volume(ctx, args.vol, args.pool)
    failing(volume.delete, f"Failed to delete vol {args.vol}")
    ctx.print_extra(f"Vol {args.vol} deleted")


_ALGORITHMS = ("zero", "nnsa", "dod", "bsi", "gutmann", "schneier", "pfitzner7", "pfitzner33", "random", "trim")


def run_vol_wipe(ctx: Context, args: argparse.Namespace) -> None:
    volume = lookup_volume(ctx, args.vol, args.pool)
    algorithm = 0
    if args.algorithm is not None:
        if args.algorithm not in _ALGORITHMS:
            raise CommandError(f"Unsupported algorithm '{args.algorithm}'")
        algorithm = _ALGORITHMS.index(args.algorithm)
    failing(lambda: volume.wipe(algorithm), f"Failed to wipe vol {args.vol}")
    ctx.print_extra(f"Vol {args.vol} wiped")


def run_vol_resize(ctx: Context, args: argparse.Namespace) -> None:
    volume = lookup_volume(ctx, args.vol, args.pool)
    # as virsh: a leading '-' is allowed with --shrink only (the size stays what --delta says it is);
    # a leading '+' is read as part of the number
    text = args.capacity
    if text.startswith("-"):
        if not args.shrink:
            raise CommandError("negative size requires --shrink")
        text = text[1:]
    capacity = volume_size(text[1:] if text.startswith("+") else text)
    if capacity is None:
        raise CommandError(f"Malformed size {args.capacity}")
    failing(
        lambda: volume.resize(capacity, delta=args.delta, shrink=args.shrink, allocate=args.allocate),
        f"Failed to change size of volume '{volume.name}' to {args.capacity}",
    )
    ctx.print_extra(f"Size of volume '{volume.name}' successfully changed to {args.capacity}")


def _offset_length(args: argparse.Namespace) -> tuple[int, int]:
    found = []
    for option in ("offset", "length"):
        text = getattr(args, option)
        value = volume_size(text) if text is not None else 0
        if value is None:
            raise CommandError(f"Unable to parse integer parameter to --{option}")
        found.append(value)
    return found[0], found[1]


def _progress(ctx: Context, operation: str, total: int) -> Callable[[int, bool], None]:
    """``(bytes so far, finished)`` drawn as ``operation: N%`` on a terminal (nothing elsewhere)."""
    if not ctx.stderr.isatty() or total <= 0:
        return lambda done, finished: None
    from virt.cli.progress import TerminalProgress
    from virt.progress import Progress

    draw = TerminalProgress(ctx.stderr)
    return lambda done, finished: draw(Progress(operation, min(100, done * 100 // total), finished))


def run_vol_upload(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    offset, length = _offset_length(args)
    volume = lookup_volume(ctx, args.vol, args.pool)
    try:
        source = open(args.file, "rb")  # noqa: SIM115 - closed below, after the volume
    except OSError as exc:
        raise CommandError(f"cannot read {args.file}") from exc
    with source:
        try:
            transfer = volume.upload(offset, length)
        except VirtError as exc:
            raise CommandError(f"cannot upload to volume {args.vol}", exc.message) from exc
        size = os.fstat(source.fileno()).st_size
        report = _progress(ctx, f"uploading to {args.vol}", min(size, length) if length else size)
        with transfer:
            try:
                sent = 0
                for in_data, position, length in _segments(source.fileno(), sparse=args.sparse):
                    if in_data:
                        transfer.put(os.pread(source.fileno(), length, position))
                    else:  # virsh's sparse upload: the hole passes as a length
                        transfer.put_hole(length)
                    sent += length
                    report(sent, False)
                transfer.complete()
                report(sent, True)
            except VirtError as exc:
                raise CommandError(f"cannot send data to volume {args.vol}", exc.message) from exc
            except OSError as exc:
                raise CommandError(f"cannot send data to volume {args.vol}", str(exc.strerror)) from exc


def run_vol_download(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    offset, length = _offset_length(args)
    volume = lookup_volume(ctx, args.vol, args.pool)
    try:
        transfer = volume.download(offset, length)
    except VirtError as exc:
        raise CommandError(f"cannot download from volume {args.vol}", exc.message) from exc
    with transfer:
        try:
            target = open(args.file, "wb")  # noqa: SIM115 - as virsh: an existing file is overwritten
        except OSError as exc:
            raise CommandError(f"cannot create {args.file}") from exc
        left = os.fstat(transfer.fileno()).st_size - offset
        report = _progress(ctx, f"downloading {args.vol}", min(left, length) if length else left)
        with target:
            try:
                received = 0
                while True:
                    in_data, most = transfer.in_data() if args.sparse else (True, _CHUNK)
                    if not in_data and most:
                        # as virsh's sparse download: past the hole, the file ending there for now
                        transfer.skip(most)
                        target.truncate(target.seek(most, os.SEEK_CUR))
                        received += most
                        continue
                    chunk = transfer.take(min(most, _CHUNK))
                    if not chunk:
                        break
                    target.write(chunk)
                    received += len(chunk)
                    report(received, False)
                report(received, True)
            except OSError as exc:
                raise CommandError(f"cannot receive data from volume {args.vol}", str(exc.strerror)) from exc


_CHUNK = 4 * 1024 * 1024


def _segments(fd: int, *, sparse: bool) -> Iterator[tuple[bool, int, int]]:
    """The file ``fd`` as (in data, offset, length) pieces, data in pieces of at most _CHUNK bytes; its
    holes as holes when ``sparse`` (virsh's virshStreamInData), else read as data like the rest."""
    from virt.storage.transfer import file_in_data

    position, end = 0, os.fstat(fd).st_size
    while position < end:
        os.lseek(fd, position, os.SEEK_SET)
        in_data, length = file_in_data(fd) if sparse else (True, end - position)
        length = min(length, _CHUNK) if in_data else length
        if length <= 0:
            return
        yield in_data, position, length
        position += length


# -- facts -------------------------------------------------------------------------------------------
def run_vol_info(ctx: Context, args: argparse.Namespace) -> None:
    volume = lookup_volume(ctx, args.vol, args.pool)
    info = volume.info()
    ctx.print(f"{'Name:':<15} {volume.name}")
    ctx.print(f"{'Type:':<15} {info.type}")
    ctx.print(f"{'Capacity:':<15} {sized(info.capacity, args.bytes)}")
    if args.physical:
        ctx.print(f"{'Physical:':<15} {sized(volume.model().physical or info.allocation, args.bytes)}")
    else:
        ctx.print(f"{'Allocation:':<15} {sized(info.allocation, args.bytes)}")


def run_vol_dumpxml(ctx: Context, args: argparse.Namespace) -> None:
    print_xml(ctx, lookup_volume(ctx, args.vol, args.pool).xml())


def run_vol_path(ctx: Context, args: argparse.Namespace) -> None:
    ctx.print(lookup_volume(ctx, args.vol, args.pool).path())


def run_vol_key(ctx: Context, args: argparse.Namespace) -> None:
    ctx.print(lookup_volume(ctx, args.vol, args.pool).key)


def run_vol_name(ctx: Context, args: argparse.Namespace) -> None:
    ctx.print(lookup_volume(ctx, args.vol, None).name)


def run_vol_pool(ctx: Context, args: argparse.Namespace) -> None:
    volume = lookup_volume(ctx, args.vol, None)
    ctx.print(str(ctx.pool(volume.pool_name).uuid) if args.uuid else volume.pool_name)


def register(commands: CommandRegistry) -> None:
    pool = Argument("pool", positional=True, required=True, completer=complete_pools, help="pool name")
    prealloc = Argument(
        "--prealloc-metadata", flag=True, help="preallocate metadata (for qcow2 instead of full allocation)"
    )
    file = Argument(
        "file", positional=True, required=True, completer=complete_files, help="file containing an XML vol description"
    )
    commands.add("vol-create", run_vol_create, group=GROUP, help="create a vol from an XML file",
                 arguments=[pool, file, prealloc])  # fmt: skip
    commands.add(
        "vol-create-as",
        run_vol_create_as,
        group=GROUP,
        help="create a volume from a set of args",
        arguments=[
            pool,
            Argument("name", positional=True, required=True, help="name of the volume"),
            Argument(
                "capacity", positional=True, required=True, help="size of the vol, as scaled integer (default bytes)"
            ),
            Argument("--allocation", help="initial allocation size, as scaled integer (default bytes)"),
            Argument("--format", help="file format type raw,bochs,qcow,qcow2,qed,vmdk"),
            Argument("--backing-vol", help="the backing volume if taking a snapshot"),
            Argument("--backing-vol-format", help="format of backing volume if taking a snapshot"),
            prealloc,
            Argument("--print-xml", flag=True, help="print XML document, but don't define/create"),
        ],
    )
    commands.add(
        "vol-create-from",
        run_vol_create_from,
        group=GROUP,
        help="create a vol, using another volume as input",
        arguments=[
            pool,
            file,
            Argument("vol", positional=True, required=True, help="input vol name or key"),
            Argument("--inputpool", completer=complete_pools, help="pool name or uuid of the input volume's pool"),
            prealloc,
        ],
    )
    commands.add(
        "vol-clone",
        run_vol_clone,
        group=GROUP,
        help="clone a volume.",
        arguments=[
            Argument("vol", positional=True, required=True, help="vol name, key or path"),
            Argument("newname", positional=True, required=True, help="clone name"),
            Argument("--pool", completer=complete_pools, help="pool name or uuid"),
            prealloc,
        ],
    )
    transfer_arguments = [
        Argument("vol", positional=True, required=True, help="vol name, key or path"),
        Argument("file", positional=True, required=True, completer=complete_files, help="file"),
        Argument("--pool", completer=complete_pools, help="pool name or uuid"),
        Argument("--offset", help="volume offset to start at"),
        Argument("--length", help="amount of data"),
        Argument("--sparse", flag=True, help="preserve sparseness of volume"),
    ]
    commands.add("vol-upload", run_vol_upload, group=GROUP, help="upload file contents to a volume",
                 arguments=transfer_arguments)  # fmt: skip
    commands.add("vol-download", run_vol_download, group=GROUP, help="download volume contents to a file",
                 arguments=transfer_arguments)  # fmt: skip
    commands.add("vol-delete", run_vol_delete, group=GROUP, help="delete a vol", arguments=_volume_arguments())
    commands.add(
        "vol-wipe",
        run_vol_wipe,
        group=GROUP,
        help="wipe a vol",
        arguments=[*_volume_arguments(), Argument("--algorithm", help="perform selected wiping algorithm")],
    )
    commands.add(
        "vol-resize",
        run_vol_resize,
        group=GROUP,
        help="resize a vol",
        arguments=[
            Argument("vol", positional=True, required=True, help="vol name, key or path"),
            Argument("capacity", positional=True, required=True, help="new capacity for the vol, as scaled integer"),
            Argument("--pool", completer=complete_pools, help="pool name or uuid"),
            Argument("--allocate", flag=True, help="allocate the new capacity, rather than leaving it sparse"),
            Argument("--delta", flag=True, help="use capacity as a delta to current size, rather than the new size"),
            Argument("--shrink", flag=True, help="allow the resize to shrink the volume"),
        ],
    )
    commands.add(
        "vol-info",
        run_vol_info,
        group=GROUP,
        help="storage vol information",
        arguments=[
            *_volume_arguments(),
            Argument("--bytes", flag=True, help="sizes are represented in bytes rather than pretty units"),
            Argument("--physical", flag=True, help="return the physical size of the volume in allocation field"),
        ],
    )
    commands.add(
        "vol-dumpxml", run_vol_dumpxml, group=GROUP, help="vol information in XML", arguments=_volume_arguments()
    )
    commands.add("vol-path", run_vol_path, group=GROUP, help="returns the volume path for a given volume name or key",
                 arguments=_volume_arguments())  # fmt: skip
    commands.add("vol-key", run_vol_key, group=GROUP, help="returns the volume key for a given volume name or path",
                 arguments=_volume_arguments())  # fmt: skip
    commands.add("vol-name", run_vol_name, group=GROUP, help="returns the volume name for a given volume key or path",
                 arguments=[Argument("vol", positional=True, required=True, help="volume key or path")])  # fmt: skip
    commands.add(
        "vol-pool",
        run_vol_pool,
        group=GROUP,
        help="returns the storage pool for a given volume key or path",
        arguments=[
            Argument("vol", positional=True, required=True, help="volume key or path"),
            Argument("--uuid", flag=True, help="return the pool uuid rather than pool name"),
        ],
    )
