"""The checkpoint commands with virsh's options and output: checkpoint-create, checkpoint-create-as,
checkpoint-list, checkpoint-info, checkpoint-dumpxml, checkpoint-parent, checkpoint-delete."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from virt.checkpoints import CreateFlags, DeleteFlags, ListFlags, XMLFlags
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
from virt.errors import VirtError

if TYPE_CHECKING:
    from lxml import etree

    from virt.checkpoints import DomainCheckpoint
    from virt.connection import Domain

GROUP = "Checkpoint"


def _document(checkpoint: DomainCheckpoint) -> etree._Element:
    from lxml import etree

    return etree.fromstring(checkpoint.xml(XMLFlags.NO_DOMAIN).encode())


def _lookup(args: argparse.Namespace, domain: Domain, option: str = "checkpointname") -> DomainCheckpoint:
    """virshLookupCheckpoint: the checkpoint ``option`` names (there is no current one to fall back on)."""
    name = getattr(args, option)
    if name is None:
        raise CommandError(f"--{option} is required")
    return domain.lookup_checkpoint(name)


def _create(ctx: Context, domain: Domain, xml: str, flags: int, source: str | None) -> None:
    checkpoint = domain.create_checkpoint(xml, flags)
    done = f"Domain checkpoint {checkpoint.name} created" + (f" from '{source}'" if source is not None else "")
    ctx.print_extra(done, end="")


def run_checkpoint_create(ctx: Context, args: argparse.Namespace) -> None:
    flags = 0
    if args.redefine:
        flags |= CreateFlags.REDEFINE
    if args.redefine_validate:
        if not args.redefine:
            raise CommandError("Option --redefine is required by option --redefine-validate")
        flags |= CreateFlags.REDEFINE_VALIDATE
    if args.quiesce:
        flags |= CreateFlags.QUIESCE
    domain = ctx.domain(args.domain)
    xml = read_file(args.xmlfile) if args.xmlfile is not None else "<domaincheckpoint/>"
    _create(ctx, domain, xml, flags, args.xmlfile)


def _diskspec(text: str) -> str:
    fields = spec_fields(text)
    values: dict[str, str] = {}
    for field in fields[1:]:
        key, equals, value = field.partition("=")
        if key not in ("checkpoint", "bitmap") or key in values or not equals:
            raise CommandError(f"unable to parse diskspec: {text}")
        values[key] = value
    return f"    <disk name='{escape(fields[0])}'{attr('checkpoint', values.get('checkpoint'))}" + (
        f"{attr('bitmap', values.get('bitmap'))}/>\n"
    )


def run_checkpoint_create_as(ctx: Context, args: argparse.Namespace) -> None:
    xml = "<domaincheckpoint>\n"
    if args.name is not None:
        xml += f"  <name>{escape(args.name)}</name>\n"
    if args.description is not None:
        xml += f"  <description>{escape(args.description)}</description>\n"
    if args.diskspec:
        xml += "  <disks>\n" + "".join(_diskspec(spec) for spec in args.diskspec) + "  </disks>\n"
    xml += "</domaincheckpoint>\n"
    if args.print_xml:
        ctx.print(xml)
        return
    _create(ctx, ctx.domain(args.domain), xml, CreateFlags.QUIESCE if args.quiesce else 0, None)


def run_checkpoint_list(ctx: Context, args: argparse.Namespace) -> None:
    exclusive(args, ("tree", "name"), ("parent", "roots"), ("parent", "tree"), ("roots", "tree"), ("roots", "from"))
    flags = 0
    for option, flag in (("leaves", ListFlags.LEAVES), ("no-leaves", ListFlags.NO_LEAVES)):
        if getattr(args, option.replace("-", "_")):
            if args.tree:
                raise CommandError(f"--{option} and --tree are mutually exclusive")
            flags |= flag
    if args.topological:
        flags |= ListFlags.TOPOLOGICAL
    if args.roots:
        flags |= ListFlags.ROOTS
    start_name = getattr(args, "from")
    if args.descendants:
        if start_name is None:
            raise CommandError("--descendants requires --from")
        flags |= ListFlags.DESCENDANTS
    domain = ctx.domain(args.domain)
    start = domain.lookup_checkpoint(start_name) if start_name is not None else None
    if start is not None:
        names = [c.name for c in start.children(flags)]
        if args.tree:
            names.insert(0, start.name)
    else:
        names = [c.name for c in domain.list_checkpoints(flags)]
    names = sort_names(names, args.topological)
    start_name = start.name if start is not None else None

    def parent(name: str) -> str | None:
        found: str | None = _document(domain.lookup_checkpoint(name)).findtext("parent/name")
        return found

    if listed_names(ctx, names, start_name, parent, as_tree=args.tree, only_names=args.name):
        return
    rows = []
    for name in names:
        document = _document(domain.lookup_checkpoint(name))
        created = document.findtext("creationTime")
        if created is None:
            continue
        row = [name, creation_text(int(created))]
        if args.parent:
            row.append(document.findtext("parent/name") or "")
        rows.append(row)
    ctx.table(["Name", "Creation Time"] + (["Parent"] if args.parent else []), rows)


def run_checkpoint_info(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain(args.domain)
    checkpoint = _lookup(args, domain)
    lines = [
        ("Name:", checkpoint.name),
        ("Domain:", domain.name),
        ("Parent:", _document(checkpoint).findtext("parent/name") or "-"),
        ("Children:", str(len(checkpoint.children()))),
        ("Descendants:", str(len(checkpoint.children(ListFlags.DESCENDANTS)))),
    ]
    for label, value in lines:
        ctx.print(f"{label:<15} {value}")


def run_checkpoint_dumpxml(ctx: Context, args: argparse.Namespace) -> None:
    flags = 0
    for option, flag in (("security_info", XMLFlags.SECURE), ("no_domain", XMLFlags.NO_DOMAIN),
                         ("size", XMLFlags.SIZE)):  # fmt: skip
        if getattr(args, option):
            flags |= flag
    xml = _lookup(args, ctx.domain(args.domain)).xml(flags)
    if args.xpath is None:
        ctx.print(xml, end="")
        return
    print_selected_xml(ctx, xml, args.xpath, args.wrap)


def run_checkpoint_parent(ctx: Context, args: argparse.Namespace) -> None:
    checkpoint = _lookup(args, ctx.domain(args.domain))
    parent = _document(checkpoint).findtext("parent/name")
    if parent is None:
        raise CommandError(f"checkpoint '{checkpoint.name}' has no parent")
    ctx.print(parent, end="")


def run_checkpoint_delete(ctx: Context, args: argparse.Namespace) -> None:
    flags = 0
    for option, flag in (("children", DeleteFlags.CHILDREN), ("children_only", DeleteFlags.CHILDREN_ONLY),
                         ("metadata", DeleteFlags.METADATA_ONLY)):  # fmt: skip
        if getattr(args, option):
            flags |= flag
    checkpoint = _lookup(args, ctx.domain(args.domain))
    try:
        checkpoint.delete(flags)
    except VirtError as exc:
        raise CommandError(f"Failed to delete checkpoint {checkpoint.name}", exc.message) from exc
    which = " children" if flags & DeleteFlags.CHILDREN_ONLY else ""
    ctx.print_extra(f"Domain checkpoint {checkpoint.name}{which} deleted")


def _name_argument(help: str = "checkpoint name") -> Argument:
    return Argument("--checkpointname", positional=True, help=help)


def register(commands: CommandRegistry) -> None:
    commands.add(
        "checkpoint-create",
        run_checkpoint_create,
        group=GROUP,
        help="Create a checkpoint from XML",
        description="Create a checkpoint from XML for use in future incremental backups",
        arguments=[
            domain_argument(),
            Argument("--xmlfile", positional=True, help="domain checkpoint XML"),
            Argument("--redefine", flag=True, help="redefine metadata for existing checkpoint"),
            Argument("--redefine-validate", flag=True, help="validate the redefined checkpoint"),
            Argument("--quiesce", flag=True, help="quiesce guest's file systems"),
        ],
    )
    commands.add(
        "checkpoint-create-as",
        run_checkpoint_create_as,
        group=GROUP,
        help="Create a checkpoint from a set of args",
        description="Create a checkpoint from arguments for use in future incremental backups",
        arguments=[
            domain_argument(),
            Argument("--name", positional=True, help="name of checkpoint"),
            Argument("--description", positional=True, help="description of checkpoint"),
            Argument("--print-xml", flag=True, help="print XML document rather than create"),
            Argument("--quiesce", flag=True, help="quiesce guest's file systems"),
            Argument("--diskspec", rest=True, help="disk attributes: disk[,checkpoint=type][,bitmap=name]"),
        ],
    )
    commands.add(
        "checkpoint-list",
        run_checkpoint_list,
        group=GROUP,
        help="List checkpoints for a domain",
        description="Checkpoint List",
        arguments=[
            domain_argument(),
            Argument("--parent", flag=True, help="add a column showing parent checkpoint"),
            Argument("--roots", flag=True, help="list only checkpoints without parents"),
            Argument("--leaves", flag=True, help="list only checkpoints without children"),
            Argument("--no-leaves", flag=True, help="list only checkpoints that are not leaves (with children)"),
            Argument("--tree", flag=True, help="list checkpoints in a tree"),
            Argument("--from", help="limit list to children of given checkpoint"),
            Argument("--descendants", flag=True, help="with --from, list all descendants"),
            Argument("--name", flag=True, help="list checkpoint names only"),
            Argument("--topological", flag=True, help="sort list topologically rather than by name"),
        ],
    )
    commands.add(
        "checkpoint-info",
        run_checkpoint_info,
        group=GROUP,
        help="checkpoint information",
        description="Returns basic information about a checkpoint.",
        arguments=[domain_argument(), _name_argument()],
    )
    commands.add(
        "checkpoint-dumpxml",
        run_checkpoint_dumpxml,
        group=GROUP,
        help="Dump XML for a domain checkpoint",
        description="Checkpoint Dump XML",
        arguments=[
            domain_argument(),
            _name_argument(),
            Argument("--security-info", flag=True, help="include security sensitive information in XML dump"),
            Argument("--no-domain", flag=True, help="exclude <domain> from XML"),
            Argument("--size", flag=True, help="include backup size estimate in XML dump"),
            Argument("--xpath", help="xpath expression to filter the XML document"),
            Argument("--wrap", flag=True, help="wrap xpath results in an common root element"),
        ],
    )
    commands.add(
        "checkpoint-parent",
        run_checkpoint_parent,
        group=GROUP,
        help="Get the name of the parent of a checkpoint",
        description="Extract the checkpoint's parent, if any",
        arguments=[domain_argument(), _name_argument("find parent of checkpoint name")],
    )
    commands.add(
        "checkpoint-delete",
        run_checkpoint_delete,
        group=GROUP,
        help="Delete a domain checkpoint",
        description="Checkpoint Delete",
        arguments=[
            domain_argument(),
            _name_argument(),
            Argument("--children", flag=True, help="delete checkpoint and all children"),
            Argument("--children-only", flag=True, help="delete children but not checkpoint"),
            Argument("--metadata", flag=True, help="delete only libvirt metadata, leaving checkpoint contents behind"),
        ],
    )
