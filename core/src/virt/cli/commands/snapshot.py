"""The snapshot commands with virsh's options and output: snapshot-create, snapshot-create-as,
snapshot-list, snapshot-info, snapshot-dumpxml, snapshot-current, snapshot-parent,
snapshot-revert, snapshot-delete."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from virt.cli.commands.domain import domain_argument, read_file
from virt.cli.commands.moments import (
    attr,
    creation_text,
    escape,
    exclusive,
    listed_names,
    sort_names,
    spec_fields,
)
from virt.cli.commands.saving import print_selected_xml
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry
from virt.errors import ErrorNumber, VirtError
from virt.snapshots import CreateFlags, DeleteFlags, ListFlags, RevertFlags

if TYPE_CHECKING:
    from lxml import etree

    from virt.connection import Domain
    from virt.snapshots import DomainSnapshot

GROUP = "Snapshot"

_CREATE_FLAGS = (
    ("redefine", CreateFlags.REDEFINE), ("current", CreateFlags.CURRENT), ("no_metadata", CreateFlags.NO_METADATA),
    ("halt", CreateFlags.HALT), ("disk_only", CreateFlags.DISK_ONLY), ("reuse_external", CreateFlags.REUSE_EXT),
    ("quiesce", CreateFlags.QUIESCE), ("atomic", CreateFlags.ATOMIC), ("live", CreateFlags.LIVE),
    ("validate", CreateFlags.VALIDATE),
)  # fmt: skip


def _flags(args: argparse.Namespace, table: tuple[tuple[str, int], ...]) -> int:
    return sum(flag for option, flag in table if getattr(args, option, False))


def _document(snapshot: DomainSnapshot) -> etree._Element:
    from lxml import etree

    return etree.fromstring(snapshot.xml().encode())


def _lookup(args: argparse.Namespace, domain: Domain, option: str = "snapshotname") -> DomainSnapshot:
    """virshLookupSnapshot: the snapshot named by ``option``, or the current one with --current."""
    name = getattr(args, option)
    if name is not None and args.current:
        raise CommandError(f"--{option} and --current are mutually exclusive")
    if name is not None:
        return domain.lookup_snapshot(name)
    if args.current:
        return domain.current_snapshot()
    raise CommandError(f"--{option} or --current is required")


def _create(ctx: Context, domain: Domain, xml: str, flags: int, source: str | None) -> None:
    snapshot = domain.create_snapshot(xml, flags)
    done = f"Domain snapshot {snapshot.name} created" + (f" from '{source}'" if source is not None else "")
    ctx.print_extra(done, end="")


def run_snapshot_create(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain(args.domain)
    xml = read_file(args.xmlfile) if args.xmlfile is not None else "<domainsnapshot/>"
    _create(ctx, domain, xml, _flags(args, _CREATE_FLAGS), args.xmlfile)


def _memspec(text: str) -> str:
    file = snapshot = None
    for field in spec_fields(text):
        if file is None and field.startswith("file="):
            file = field[5:]
        elif file is None and field.startswith("/"):
            file = field
        elif snapshot is None and field.startswith("snapshot="):
            snapshot = field[9:]
        else:
            raise CommandError(f"unable to parse memspec: {text}")
    return f"  <memory{attr('snapshot', snapshot)}{attr('file', file)}/>\n"


def _diskspec(text: str) -> str:
    fields = spec_fields(text)
    values: dict[str, str] = {}
    for field in fields[1:]:
        key, _, value = field.partition("=")
        if key not in ("snapshot", "driver", "stype", "file") or key in values or not _:
            raise CommandError(f"unable to parse diskspec: {text}")
        values[key] = value
    stype = values.get("stype")
    if stype not in (None, "file", "block"):
        raise CommandError(f"Unsupported storage type '{stype}'")  # virsh refuses other source types
    head = f"    <disk name='{escape(fields[0])}'{attr('snapshot', values.get('snapshot'))}{attr('type', stype)}"
    if "driver" not in values and "file" not in values:
        return head + "/>\n"
    body = head + ">\n"
    if "driver" in values:
        body += f"      <driver type='{escape(values['driver'])}'/>\n"
    if "file" in values:
        body += f"      <source {'dev' if stype == 'block' else 'file'}='{escape(values['file'])}'/>\n"
    return body + "    </disk>\n"


def run_snapshot_create_as(ctx: Context, args: argparse.Namespace) -> None:
    xml = "<domainsnapshot>\n"
    if args.name is not None:
        xml += f"  <name>{escape(args.name)}</name>\n"
    if args.description is not None:
        xml += f"  <description>{escape(args.description)}</description>\n"
    if args.memspec is not None:
        xml += _memspec(args.memspec)
    if args.diskspec:
        xml += "  <disks>\n" + "".join(_diskspec(spec) for spec in args.diskspec) + "  </disks>\n"
    xml += "</domainsnapshot>\n"
    if args.print_xml:
        ctx.print(xml)
        return
    _create(ctx, ctx.domain(args.domain), xml, _flags(args, _CREATE_FLAGS), None)


def run_snapshot_list(ctx: Context, args: argparse.Namespace) -> None:
    exclusive(args, ("tree", "name"), ("parent", "roots"), ("parent", "tree"), ("roots", "tree"), ("roots", "from"),
              ("roots", "current"))  # fmt: skip
    flags = 0
    for option, flag in (("leaves", ListFlags.LEAVES), ("no-leaves", ListFlags.NO_LEAVES),
                         ("inactive", ListFlags.INACTIVE), ("active", ListFlags.ACTIVE),
                         ("disk-only", ListFlags.DISK_ONLY), ("internal", ListFlags.INTERNAL),
                         ("external", ListFlags.EXTERNAL)):  # fmt: skip
        if getattr(args, option.replace("-", "_")):
            if args.tree:
                raise CommandError(f"--{option} and --tree are mutually exclusive")
            flags |= flag
    if args.topological:
        flags |= ListFlags.TOPOLOGICAL
    if args.roots:
        flags |= ListFlags.ROOTS
    if args.metadata:
        flags |= ListFlags.METADATA
    if args.no_metadata:
        flags |= ListFlags.NO_METADATA
    if args.descendants:
        if getattr(args, "from") is None and not args.current:
            raise CommandError("--descendants requires either --from or --current")
        flags |= ListFlags.DESCENDANTS
    domain = ctx.domain(args.domain)
    start = None
    if getattr(args, "from") is not None or args.current:
        start = _lookup(args, domain, "from")
    if start is not None:
        names = [s.name for s in domain.snapshot_children(start, flags)]
        if args.tree:
            names.insert(0, start.name)
    else:
        names = [s.name for s in domain.list_snapshots(flags)]
    names = sort_names(names, args.topological)
    start_name = start.name if start is not None else None

    def parent(name: str) -> str | None:
        found: str | None = _document(domain.lookup_snapshot(name)).findtext("parent/name")
        return found

    if listed_names(ctx, names, start_name, parent, as_tree=args.tree, only_names=args.name):
        return
    rows = []
    for name in names:
        document = _document(domain.lookup_snapshot(name))
        state, created = document.findtext("state"), document.findtext("creationTime")
        if state is None or created is None:
            continue
        row = [name, creation_text(int(created)), state]
        if args.parent:
            row.append(document.findtext("parent/name") or "")
        rows.append(row)
    headers = ["Name", "Creation Time", "State"] + (["Parent"] if args.parent else [])
    ctx.table(headers, rows)


def run_snapshot_info(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain(args.domain)
    snapshot = _lookup(args, domain)
    document = _document(snapshot)
    external = document.xpath(
        "count(/domainsnapshot/disks/disk[@snapshot='external'] | /domainsnapshot/memory[@snapshot='external'])"
    )
    lines = [
        ("Name:", snapshot.name),
        ("Domain:", domain.name),
        ("Current:", "yes" if snapshot.is_current() else "no"),
        ("State:", document.findtext("state") or ""),
        ("Location:", "external" if external else "internal"),
        ("Parent:", document.findtext("parent/name") or "-"),
        ("Children:", str(len(domain.snapshot_children(snapshot)))),
        ("Descendants:", str(len(domain.snapshot_children(snapshot, ListFlags.DESCENDANTS)))),
        ("Metadata:", "yes" if snapshot.has_metadata() else "no"),
    ]
    for label, value in lines:
        ctx.print(f"{label:<15} {value}")


def run_snapshot_dumpxml(ctx: Context, args: argparse.Namespace) -> None:
    snapshot = ctx.domain(args.domain).lookup_snapshot(args.snapshotname)
    xml = snapshot.xml(secure=args.security_info)
    if args.xpath is None:
        ctx.print(xml, end="")
        return
    print_selected_xml(ctx, xml, args.xpath, args.wrap)


def run_snapshot_current(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain(args.domain)
    if args.snapshotname is not None:
        if args.name or args.security_info:
            option = "name" if args.name else "security-info"
            raise CommandError(f"Options --{option} and --snapshotname are mutually exclusive")
        snapshot = domain.lookup_snapshot(args.snapshotname)
        domain.create_snapshot(snapshot.xml(secure=True), CreateFlags.REDEFINE | CreateFlags.CURRENT)
        ctx.print_extra(f"Snapshot {args.snapshotname} set as current", end="")
        return
    if not domain.has_current_snapshot():
        raise CommandError(f"domain '{domain.name}' has no current snapshot")
    current = domain.current_snapshot()
    ctx.print(current.name if args.name else current.xml(secure=args.security_info), end="")


def run_snapshot_parent(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain(args.domain)
    snapshot = _lookup(args, domain)
    parent = _document(snapshot).findtext("parent/name")
    if parent is None:
        raise CommandError(f"snapshot '{snapshot.name}' has no parent")
    ctx.print(parent, end="")


def run_snapshot_revert(ctx: Context, args: argparse.Namespace) -> None:
    flags = _flags(args, (("running", RevertFlags.RUNNING), ("paused", RevertFlags.PAUSED),
                          ("reset_nvram", RevertFlags.RESET_NVRAM)))  # fmt: skip
    domain = ctx.domain(args.domain)
    snapshot = _lookup(args, domain)
    try:
        try:
            snapshot.revert(flags)
        except VirtError as exc:
            # virsh asks FORCE only when the refusal says it would make a difference
            if not args.force or exc.code != ErrorNumber.SNAPSHOT_REVERT_RISKY:
                raise
            snapshot.revert(flags | RevertFlags.FORCE)
    except VirtError as exc:
        raise CommandError(f"Failed to revert snapshot {snapshot.name}", exc.message) from exc
    ctx.print_extra(f"Domain snapshot {snapshot.name} reverted")


def run_snapshot_delete(ctx: Context, args: argparse.Namespace) -> None:
    flags = _flags(args, (("children", DeleteFlags.CHILDREN), ("children_only", DeleteFlags.CHILDREN_ONLY),
                          ("metadata", DeleteFlags.METADATA_ONLY)))  # fmt: skip
    domain = ctx.domain(args.domain)
    snapshot = _lookup(args, domain)
    try:
        snapshot.delete(DeleteFlags(flags))
    except VirtError as exc:
        raise CommandError(f"Failed to delete snapshot {snapshot.name}", exc.message) from exc
    which = " children" if flags & DeleteFlags.CHILDREN_ONLY else ""
    ctx.print_extra(f"Domain snapshot {snapshot.name}{which} deleted")


def _name_argument(help: str) -> Argument:
    return Argument("--snapshotname", positional=True, help=help)


def register(commands: CommandRegistry) -> None:
    create_flags = [
        Argument("--no-metadata", flag=True, help="take snapshot but create no metadata"),
        Argument("--halt", flag=True, help="halt domain after snapshot is created"),
        Argument("--disk-only", flag=True, help="capture disk state but not vm state"),
        Argument("--reuse-external", flag=True, help="reuse any existing external files"),
        Argument("--quiesce", flag=True, help="quiesce guest's file systems"),
        Argument("--atomic", flag=True, help="require atomic operation"),
        Argument("--live", flag=True, help="take a live snapshot"),
        Argument("--validate", flag=True, help="validate the XML against the schema"),
    ]
    commands.add(
        "snapshot-create",
        run_snapshot_create,
        group=GROUP,
        help="Create a snapshot from XML",
        description="Create a snapshot (disk and RAM) from XML",
        arguments=[
            domain_argument(),
            Argument("--xmlfile", positional=True, help="domain snapshot XML"),
            Argument("--redefine", flag=True, help="redefine metadata for existing snapshot"),
            Argument("--current", flag=True, help="with redefine, set current snapshot"),
            *create_flags,
        ],
    )
    commands.add(
        "snapshot-create-as",
        run_snapshot_create_as,
        group=GROUP,
        help="Create a snapshot from a set of args",
        description="Create a snapshot (disk and RAM) from arguments",
        arguments=[
            domain_argument(),
            Argument("--name", positional=True, help="name of snapshot"),
            Argument("--description", positional=True, help="description of snapshot"),
            Argument("--print-xml", flag=True, help="print XML document rather than create"),
            *create_flags,
            Argument("--memspec", help="memory attributes: [file=]name[,snapshot=type]"),
            Argument(
                "--diskspec",
                rest=True,
                help="disk attributes: disk[,snapshot=type][,driver=type][,stype=type][,file=name]",
            ),
        ],
    )
    commands.add(
        "snapshot-list",
        run_snapshot_list,
        group=GROUP,
        help="List snapshots for a domain",
        description="Snapshot List",
        arguments=[
            domain_argument(),
            Argument("--parent", flag=True, help="add a column showing parent snapshot"),
            Argument("--roots", flag=True, help="list only snapshots without parents"),
            Argument("--leaves", flag=True, help="list only snapshots without children"),
            Argument("--no-leaves", flag=True, help="list only snapshots that are not leaves (with children)"),
            Argument(
                "--metadata", flag=True, help="list only snapshots that have metadata that would prevent undefine"
            ),
            Argument("--no-metadata", flag=True, help="list only snapshots that have no metadata managed by libvirt"),
            Argument("--inactive", flag=True, help="filter by snapshots taken while inactive"),
            Argument("--active", flag=True, help="filter by snapshots taken while active (full system snapshots)"),
            Argument("--disk-only", flag=True, help="filter by disk-only snapshots"),
            Argument("--internal", flag=True, help="filter by internal snapshots"),
            Argument("--external", flag=True, help="filter by external snapshots"),
            Argument("--tree", flag=True, help="list snapshots in a tree"),
            Argument("--from", help="limit list to children of given snapshot"),
            Argument("--current", flag=True, help="limit list to children of current snapshot"),
            Argument("--descendants", flag=True, help="with --from, list all descendants"),
            Argument("--name", flag=True, help="list snapshot names only"),
            Argument("--topological", flag=True, help="sort list topologically rather than by name"),
        ],
    )
    commands.add(
        "snapshot-info",
        run_snapshot_info,
        group=GROUP,
        help="snapshot information",
        description="Returns basic information about a snapshot.",
        arguments=[
            domain_argument(),
            _name_argument("snapshot name"),
            Argument("--current", flag=True, help="info on current snapshot"),
        ],
    )
    commands.add(
        "snapshot-dumpxml",
        run_snapshot_dumpxml,
        group=GROUP,
        help="Dump XML for a domain snapshot",
        description="Snapshot Dump XML",
        arguments=[
            domain_argument(),
            Argument("snapshotname", positional=True, required=True, help="snapshot name"),
            Argument("--security-info", flag=True, help="include security sensitive information in XML dump"),
            Argument("--xpath", help="xpath expression to filter the XML document"),
            Argument("--wrap", flag=True, help="wrap xpath results in an common root element"),
        ],
    )
    commands.add(
        "snapshot-current",
        run_snapshot_current,
        group=GROUP,
        help="Get or set the current snapshot",
        description="Get or set the current snapshot",
        arguments=[
            domain_argument(),
            Argument("--name", flag=True, help="list the name, rather than the full xml"),
            Argument("--security-info", flag=True, help="include security sensitive information in XML dump"),
            Argument("--snapshotname", positional=True, help="name of existing snapshot to make current"),
        ],
    )
    commands.add(
        "snapshot-parent",
        run_snapshot_parent,
        group=GROUP,
        help="Get the name of the parent of a snapshot",
        description="Extract the snapshot's parent, if any",
        arguments=[
            domain_argument(),
            _name_argument("find parent of snapshot name"),
            Argument("--current", flag=True, help="find parent of current snapshot"),
        ],
    )
    commands.add(
        "snapshot-revert",
        run_snapshot_revert,
        group=GROUP,
        help="Revert a domain to a snapshot",
        description="Revert domain to snapshot",
        arguments=[
            domain_argument(),
            _name_argument("snapshot name"),
            Argument("--current", flag=True, help="revert to current snapshot"),
            Argument("--running", flag=True, help="after reverting, change state to running"),
            Argument("--paused", flag=True, help="after reverting, change state to paused"),
            Argument("--force", flag=True, help="try harder on risky reverts"),
            Argument("--reset-nvram", flag=True, help="re-initialize NVRAM from its pristine template"),
        ],
    )
    commands.add(
        "snapshot-delete",
        run_snapshot_delete,
        group=GROUP,
        help="Delete a domain snapshot",
        description="Snapshot Delete",
        arguments=[
            domain_argument(),
            _name_argument("snapshot name"),
            Argument("--current", flag=True, help="delete current snapshot"),
            Argument("--children", flag=True, help="delete snapshot and all children"),
            Argument("--children-only", flag=True, help="delete children but not snapshot"),
            Argument("--metadata", flag=True, help="delete only libvirt metadata, leaving snapshot contents behind"),
        ],
    )
