"""Storage pool verbs with virsh's options and words: define, create, build, start, destroy, delete,
undefine, autostart, refresh, info, dumpxml, name, uuid (``pool-list`` is in ``storage``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from virt.cli.commands.domain import read_file
from virt.cli.commands.host import print_xml
from virt.cli.commands.network import yes_no
from virt.cli.commands.storage import pretty_capacity
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry, complete_files, complete_pools

if TYPE_CHECKING:
    from virt.connection import StoragePool

GROUP = "Storage Pool"


def failing(action: Callable[[], object], *failure: str) -> None:
    """Run ``action``; a VirtError becomes virsh's ``failure`` line and the error's message."""
    from virt.errors import VirtError

    try:
        action()
    except VirtError as exc:
        raise CommandError(*failure, exc.message) from exc


def sized(value: int, in_bytes: bool) -> str:
    return f"{value} bytes" if in_bytes else pretty_capacity(value)


def pool_xml_from_options(args: argparse.Namespace) -> str:
    """The XML virsh's ``pool-define-as``/``pool-create-as`` build from their options."""
    source = []
    if args.source_host:
        port = f" port={quoteattr(args.source_port)}" if args.source_port else ""
        source.append(f"    <host name={quoteattr(args.source_host)}{port}/>")
    if args.source_path:
        source.append(f"    <dir path={quoteattr(args.source_path)}/>")
    if args.source_dev:
        source.append(f"    <device path={quoteattr(args.source_dev)}/>")
    if args.source_name:
        source.append(f"    <name>{_text(args.source_name)}</name>")
    if args.source_format:
        source.append(f"    <format type={quoteattr(args.source_format)}/>")
    lines = [f"<pool type={quoteattr(args.type)}>", f"  <name>{_text(args.name)}</name>"]
    if source:
        lines += ["  <source>", *source, "  </source>"]
    if args.target:
        lines += ["  <target>", f"    <path>{_text(args.target)}</path>", "  </target>"]
    return "\n".join([*lines, "</pool>"]) + "\n"


def _text(value: str) -> str:
    from xml.sax.saxutils import escape

    return escape(value)


def quoteattr(value: str) -> str:
    """An attribute value as virsh writes it, in single quotes."""
    from xml.sax.saxutils import escape

    return "'" + escape(value, {"'": "&apos;"}) + "'"


# -- definitions -------------------------------------------------------------------------------------
def run_pool_define(ctx: Context, args: argparse.Namespace) -> None:
    xml = read_file(args.file)
    found: list[StoragePool] = []
    failing(lambda: found.append(ctx.conn.define_storage_pool(xml)), f"Failed to define pool from {args.file}")
    ctx.print_extra(f"Pool {found[0].name} defined from {args.file}")


def run_pool_create(ctx: Context, args: argparse.Namespace) -> None:
    xml = read_file(args.file)
    found: list[StoragePool] = []
    failing(
        lambda: found.append(ctx.conn.create_storage_pool(xml, **_build_options(args))),
        f"Failed to create pool from {args.file}",
    )
    ctx.print_extra(f"Pool {found[0].name} created from {args.file}")


def _as(verb: str, done: str) -> Callable[[Context, argparse.Namespace], None]:
    def run(ctx: Context, args: argparse.Namespace) -> None:
        xml = pool_xml_from_options(args)
        if args.print_xml:
            ctx.print(xml, end="")
            return
        conn = ctx.conn
        found: list[StoragePool] = []
        if verb == "define":
            failing(lambda: found.append(conn.define_storage_pool(xml)), f"Failed to define pool {args.name}")
        else:
            options = _build_options(args)
            failing(
                lambda: found.append(conn.create_storage_pool(xml, **options)), f"Failed to create pool {args.name}"
            )
        ctx.print_extra(f"Pool {found[0].name} {done}")

    run.__name__ = f"run_pool_{verb}_as"
    return run


def run_pool_undefine(ctx: Context, args: argparse.Namespace) -> None:
    pool = ctx.pool(args.pool)
    failing(pool.undefine, f"Failed to undefine pool {args.pool}")
    ctx.print_extra(f"Pool {args.pool} has been undefined")


# -- state -------------------------------------------------------------------------------------------
def run_pool_build(ctx: Context, args: argparse.Namespace) -> None:
    pool = ctx.pool(args.pool)
    failing(
        lambda: pool.build(overwrite=args.overwrite, no_overwrite=args.no_overwrite),
        f"Failed to build pool {pool.name}",
    )
    ctx.print_extra(f"Pool {pool.name} built")


def _simple(verb: str, done: str, method: str) -> Callable[[Context, argparse.Namespace], None]:
    def run(ctx: Context, args: argparse.Namespace) -> None:
        pool = ctx.pool(args.pool)
        failing(getattr(pool, method), f"Failed to {verb} pool {pool.name}")
        ctx.print_extra(f"Pool {pool.name} {done}")

    run.__name__ = f"run_pool_{verb}"
    return run


def _build_options(args: argparse.Namespace) -> dict[str, bool]:
    """``--build``, ``--overwrite`` and ``--no-overwrite`` of pool-start and pool-create(-as)."""
    if args.overwrite and args.no_overwrite:
        raise CommandError("Options --overwrite and --no-overwrite are mutually exclusive")
    return {"build": args.build, "overwrite": args.overwrite, "no_overwrite": args.no_overwrite}


def run_pool_start(ctx: Context, args: argparse.Namespace) -> None:
    pool = ctx.pool(args.pool)
    options = _build_options(args)
    failing(lambda: pool.start(**options), f"Failed to start pool {pool.name}")
    ctx.print_extra(f"Pool {pool.name} started")


def run_pool_autostart(ctx: Context, args: argparse.Namespace) -> None:
    pool = ctx.pool(args.pool)
    enable = not args.disable
    word = "mark" if enable else "unmark"
    failing(lambda: pool.set_autostart(enable), f"failed to {word} pool {pool.name} as autostarted")
    ctx.print_extra(f"Pool {pool.name} {word}ed as autostarted")


# -- facts -------------------------------------------------------------------------------------------
_STATES = {True: "running", False: "inactive"}


def run_pool_info(ctx: Context, args: argparse.Namespace) -> None:
    pool = ctx.pool(args.pool)
    info = pool.info()
    rows = [("Name:", pool.name), ("UUID:", str(pool.uuid)), ("State:", _STATES[info.active])]
    rows += [("Persistent:", yes_no(pool.is_persistent())), ("Autostart:", yes_no(pool.autostart))]
    if info.active:
        rows += [
            ("Capacity:", str(info.capacity) if args.bytes else pretty_capacity(info.capacity)),
            ("Allocation:", str(info.allocation) if args.bytes else pretty_capacity(info.allocation)),
            ("Available:", str(info.available) if args.bytes else pretty_capacity(info.available)),
        ]
    for label, value in rows:
        ctx.print(f"{label:<15} {value}")


def run_pool_dumpxml(ctx: Context, args: argparse.Namespace) -> None:
    print_xml(ctx, ctx.pool(args.pool).xml(inactive=args.inactive))


def run_pool_name(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    try:
        pool = ctx.conn.lookup_storage_pool_by_uuid(args.pool)
    except (VirtError, ValueError) as exc:
        raise CommandError(
            f"failed to get pool '{args.pool}'", *([exc.message] if isinstance(exc, VirtError) else [])
        ) from exc
    ctx.print(pool.name)


def run_pool_uuid(ctx: Context, args: argparse.Namespace) -> None:
    ctx.print(str(ctx.pool(args.pool).uuid))


def _pool_argument() -> Argument:
    return Argument("pool", positional=True, required=True, completer=complete_pools, help="pool name or uuid")


def _build_arguments() -> list[Argument]:
    return [
        Argument("--build", flag=True, help="build the pool as normal"),
        Argument("--no-overwrite", flag=True, help="build the pool without overwriting the existing pool data"),
        Argument("--overwrite", flag=True, help="overwrite any existing data"),
    ]


def _as_arguments() -> list[Argument]:
    return [
        Argument("name", positional=True, required=True, help="name of the pool"),
        Argument("type", positional=True, required=True, help="type of the pool"),
        Argument("--print-xml", flag=True, help="print XML document, but don't define/create"),
        Argument("--source-host", help="source-host for underlying storage"),
        Argument("--source-path", help="source path for underlying storage"),
        Argument("--source-dev", help="source device for underlying storage"),
        Argument("--source-name", help="source name for underlying storage"),
        Argument("target", positional=True, help="target for underlying storage"),
        Argument("--source-format", help="format for underlying storage"),
        Argument("--source-port", help="source-port for underlying storage"),
    ]


def register(commands: CommandRegistry) -> None:
    file_argument = Argument(
        "file", positional=True, required=True, completer=complete_files, help="file containing an XML pool description"
    )
    commands.add("pool-define", run_pool_define, group=GROUP, help="define an inactive persistent storage pool or "
                 "modify an existing persistent one from an XML file", arguments=[file_argument])  # fmt: skip
    commands.add("pool-create", run_pool_create, group=GROUP, help="create a pool from an XML file",
                 arguments=[file_argument, *_build_arguments()])  # fmt: skip
    commands.add("pool-define-as", _as("define", "defined"), group=GROUP, help="define a pool from a set of args",
                 arguments=_as_arguments())  # fmt: skip
    commands.add("pool-create-as", _as("create", "created"), group=GROUP, help="create a pool from a set of args",
                 arguments=[*_as_arguments(), *_build_arguments()])  # fmt: skip
    commands.add(
        "pool-build",
        run_pool_build,
        group=GROUP,
        help="build a pool",
        arguments=[
            _pool_argument(),
            Argument("--no-overwrite", flag=True, help="do not overwrite any existing data"),
            Argument("--overwrite", flag=True, help="overwrite any existing data"),
        ],
    )
    commands.add("pool-start", run_pool_start, group=GROUP, help="start a (previously defined) inactive pool",
                 arguments=[_pool_argument(), *_build_arguments()])  # fmt: skip
    for verb, done, method, help in (
        ("destroy", "destroyed", "destroy", "destroy (stop) a pool"),
        ("delete", "deleted", "delete", "delete a pool"),
        ("refresh", "refreshed", "refresh", "refresh a pool"),
    ):
        commands.add(f"pool-{verb}", _simple(verb, done, method), group=GROUP, help=help, arguments=[_pool_argument()])
    commands.add("pool-undefine", run_pool_undefine, group=GROUP, help="undefine an inactive pool",
                 arguments=[_pool_argument()])  # fmt: skip
    commands.add(
        "pool-autostart",
        run_pool_autostart,
        group=GROUP,
        help="autostart a pool",
        arguments=[_pool_argument(), Argument("--disable", flag=True, help="disable autostarting")],
    )
    commands.add(
        "pool-info",
        run_pool_info,
        group=GROUP,
        help="storage pool information",
        arguments=[_pool_argument(), Argument("--bytes", flag=True, help="Reture pool info in bytes")],
    )
    commands.add(
        "pool-dumpxml",
        run_pool_dumpxml,
        group=GROUP,
        help="pool information in XML",
        arguments=[_pool_argument(), Argument("--inactive", flag=True, help="show inactive defined XML")],
    )
    commands.add("pool-name", run_pool_name, group=GROUP, help="convert a pool UUID to pool name",
                 arguments=[Argument("pool", positional=True, required=True, help="pool uuid")])  # fmt: skip
    commands.add("pool-uuid", run_pool_uuid, group=GROUP, help="convert a pool name to pool UUID",
                 arguments=[_pool_argument()])  # fmt: skip
