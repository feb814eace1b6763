"""The commands of a domain's saved state, with virsh's words and layout: save, restore, managedsave,
managedsave-remove, managedsave-dumpxml, managedsave-define, save-image-dumpxml, save-image-define.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TypeVar

from virt.cli.commands.domain import domain_argument, read_file
from virt.cli.context import CommandError, Context, failing_as
from virt.cli.registry import Argument, CommandRegistry, complete_files
from virt.domainsave import SaveFlags, SaveImageXMLFlags

if TYPE_CHECKING:
    from lxml import etree

GROUP = "Domain Management"
T = TypeVar("T")


def _state_flags(args: argparse.Namespace, *, exclusive: bool = False) -> SaveFlags:
    """--running / --paused (and --bypass-cache where the command has it); virsh refuses the two
    together itself only in managedsave-define (``exclusive``), elsewhere the API does."""
    if exclusive and args.running and args.paused:
        raise CommandError("Options --running and --paused are mutually exclusive")
    flags = (SaveFlags.RUNNING if args.running else SaveFlags.NONE) | (
        SaveFlags.PAUSED if args.paused else SaveFlags.NONE
    )
    if getattr(args, "bypass_cache", False):
        flags |= SaveFlags.BYPASS_CACHE
    return flags


def _xml_flags(args: argparse.Namespace) -> SaveImageXMLFlags:
    return SaveImageXMLFlags.SECURE if args.security_info else SaveImageXMLFlags.NONE


def print_selected_xml(ctx: Context, xml: str, xpath: str | None, wrap: bool) -> None:
    """The XML as virsh's ``--xpath``/``--wrap`` show it: the whole document, or each node the
    expression selects (elements as XML, other results as text), wrapped in ``<nodes>`` on request."""
    from lxml import etree

    if xpath is None:
        ctx.print(xml.rstrip("\n"))
        return
    try:
        found = etree.fromstring(xml.encode()).xpath(xpath)
    except etree.XPathError as exc:
        raise CommandError(f"Failed to evaluate XPath '{xpath}'", str(exc)) from exc
    items = found if isinstance(found, list) else [found]
    if wrap:
        root = etree.Element("nodes")
        for item in items:
            if isinstance(item, etree._Element):
                root.append(_copy(item))
            elif getattr(item, "is_attribute", False):
                root.set(str(item.attrname), str(item))  # type: ignore[union-attr]
        ctx.print(etree.tostring(root, pretty_print=True, encoding="unicode").rstrip("\n"))
        return
    for item in items:
        if isinstance(item, etree._Element):
            ctx.print(etree.tostring(_copy(item), pretty_print=True, encoding="unicode").rstrip("\n"))
        elif getattr(item, "is_attribute", False):
            # libxml2 dumps an attribute node as it stands in its element: a space, name="value"
            holder = etree.Element("x", {str(item.attrname): str(item)})  # type: ignore[union-attr]
            ctx.print(etree.tostring(holder, encoding="unicode")[2:-2])
        else:
            ctx.print(str(item))


def _copy(element: etree._Element) -> etree._Element:
    """An element detached from its document, without the text that followed it there."""
    import copy

    detached = copy.deepcopy(element)
    detached.tail = None
    # the document's own indentation goes: virsh indents the node anew from where it now stands
    for node in detached.iter():
        if node is not detached and node.tail is not None and not node.tail.strip():
            node.tail = None
        if len(node) and node.text is not None and not node.text.strip():
            node.text = None
    return detached


def _update_xml(path: str) -> str:
    return read_file(path)


# -- save and restore --------------------------------------------------------------------------------
def run_save(ctx: Context, args: argparse.Namespace) -> None:
    flags = _state_flags(args)
    xml = _update_xml(args.xml) if args.xml is not None else None
    domain = ctx.domain(args.domain)
    failing_as(lambda: domain.save(args.file, xml, flags), f"Failed to save domain '{domain.name}' to {args.file}")
    ctx.print_extra()
    ctx.print_extra(f"Domain '{domain.name}' saved to {args.file}")


def run_restore(ctx: Context, args: argparse.Namespace) -> None:
    flags = _state_flags(args)
    xml = _update_xml(args.xml) if args.xml is not None else None
    failing_as(lambda: ctx.conn.restore(args.file, xml, flags), f"Failed to restore domain from {args.file}")
    ctx.print_extra(f"Domain restored from {args.file}")


def run_save_image_dumpxml(ctx: Context, args: argparse.Namespace) -> None:
    xml = failing_as(lambda: ctx.conn.save_image_xml(args.file, _xml_flags(args)))
    print_selected_xml(ctx, xml, args.xpath, args.wrap)


def run_save_image_define(ctx: Context, args: argparse.Namespace) -> None:
    flags = _state_flags(args)
    xml = _update_xml(args.xml)
    failing_as(lambda: ctx.conn.define_save_image_xml(args.file, xml, flags), f"Failed to update {args.file}")
    ctx.print_extra(f"State file {args.file} updated.")


# -- managed save ------------------------------------------------------------------------------------
def run_managedsave(ctx: Context, args: argparse.Namespace) -> None:
    flags = _state_flags(args)
    domain = ctx.domain(args.domain)
    failing_as(lambda: domain.managed_save(flags), f"Failed to save domain '{domain.name}' state")
    ctx.print_extra()
    ctx.print_extra(f"Domain '{domain.name}' state saved by libvirt")


def run_managedsave_remove(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain(args.domain)
    ctx.trailer = False
    failure = f"Failed to remove managed save image for domain '{domain.name}'"
    if not failing_as(domain.has_managed_save, "Failed to check for domain managed save image"):
        ctx.print_extra(f"Domain '{domain.name}' has no manage save image; removal skipped")
        return
    failing_as(domain.remove_managed_save, failure)
    ctx.print_extra(f"Removed managedsave image for domain '{domain.name}'")


def run_managedsave_dumpxml(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain(args.domain)
    xml = failing_as(lambda: domain.managed_save_xml(_xml_flags(args)))
    print_selected_xml(ctx, xml, args.xpath, args.wrap)


def run_managedsave_define(ctx: Context, args: argparse.Namespace) -> None:
    flags = _state_flags(args, exclusive=True)
    domain = ctx.domain(args.domain)
    xml = _update_xml(args.xml)
    failing_as(lambda: domain.define_managed_save_xml(xml, flags), f"Failed to update {domain.name} XML configuration")
    ctx.print_extra(f"Managed save state file of domain '{domain.name}' updated.")


def register(commands: CommandRegistry) -> None:
    add = commands.add

    def state(on: str) -> list[Argument]:
        return [
            Argument("--running", flag=True, help=f"set domain to be running on {on}"),
            Argument("--paused", flag=True, help=f"set domain to be paused on {on}"),
        ]

    def image(help: str) -> Argument:
        return Argument("file", positional=True, required=True, completer=complete_files, help=help)

    xml_option = Argument("--xml", help="filename containing updated XML for the target")
    xml_positional = Argument(
        "xml",
        positional=True,
        required=True,
        completer=complete_files,
        help="filename containing updated XML for the target",
    )
    dump_options = [
        Argument("--security-info", flag=True, help="include security sensitive information in XML dump"),
        Argument("--xpath", help="xpath expression to filter the XML document"),
        Argument("--wrap", flag=True, help="wrap xpath results in an common root element"),
    ]
    add(
        "save",
        run_save,
        group=GROUP,
        help="save a domain state to a file",
        description="Save the RAM state of a running domain.",
        arguments=[
            domain_argument(),
            Argument("file", positional=True, required=True, completer=complete_files, help="where to save the data"),
            Argument("--bypass-cache", flag=True, help="avoid file system cache when saving"),
            xml_option,
            *state("restore"),
            Argument("--verbose", flag=True, help="display the progress of save"),
        ],
    )
    add(
        "restore",
        run_restore,
        group=GROUP,
        help="restore a domain from a saved state in a file",
        description="Restore a domain.",
        arguments=[
            image("the state to restore"),
            Argument("--bypass-cache", flag=True, help="avoid file system cache when restoring"),
            xml_option,
            Argument("--running", flag=True, help="restore domain into running state"),
            Argument("--paused", flag=True, help="restore domain into paused state"),
        ],
    )
    add(
        "save-image-dumpxml",
        run_save_image_dumpxml,
        group=GROUP,
        help="saved state domain information in XML",
        description="Dump XML of domain information for a saved state file to stdout.",
        arguments=[image("saved state file to read"), *dump_options],
    )
    add(
        "save-image-define",
        run_save_image_define,
        group=GROUP,
        help="redefine the XML for a domain's saved state file",
        description="Replace the domain XML associated with a saved state file",
        arguments=[image("saved state file to modify"), xml_positional, *state("restore")],
    )
    add(
        "managedsave",
        run_managedsave,
        group=GROUP,
        help="managed save of a domain state",
        description=(
            "Save and destroy a running domain, so it can be restarted from the same state at a later time. "
            "When the virsh 'start' command is next run for the domain, it will automatically be started "
            "from this saved state."
        ),
        arguments=[
            domain_argument(),
            Argument("--bypass-cache", flag=True, help="avoid file system cache when saving"),
            *state("next start"),
            Argument("--verbose", flag=True, help="display the progress of save"),
        ],
    )
    add(
        "managedsave-remove",
        run_managedsave_remove,
        group=GROUP,
        help="Remove managed save of a domain",
        description="Remove an existing managed save state file from a domain",
        arguments=[domain_argument()],
    )
    add(
        "managedsave-dumpxml",
        run_managedsave_dumpxml,
        group=GROUP,
        help="Domain information of managed save state file in XML",
        description="Dump XML of domain information for a managed save state file to stdout.",
        arguments=[domain_argument(), *dump_options],
    )
    add(
        "managedsave-define",
        run_managedsave_define,
        group=GROUP,
        help="redefine the XML for a domain's managed save state file",
        description="Replace the domain XML associated with a managed save state file",
        arguments=[domain_argument(), xml_positional, *state("start")],
    )
