"""Network filters: ``nwfilter-define``, ``nwfilter-undefine``, ``nwfilter-list``, ``nwfilter-dumpxml``,
``nwfilter-edit`` and the binding verbs ``nwfilter-binding-create``, ``-delete``, ``-list``,
``-dumpxml``, with virsh's options, output and messages (virsh-nwfilter.c)."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from virt.cli.commands.domain import file_argument, read_file
from virt.cli.context import CommandError, Context, failing_as
from virt.cli.registry import Argument, CommandRegistry
from virt.errors import VirtError

if TYPE_CHECKING:
    from virt.nwfilters.handles import NetworkFilter, NetworkFilterBinding

GROUP = "Network Filter"
VALIDATE = 1  # VIR_NWFILTER_DEFINE_VALIDATE and VIR_NWFILTER_BINDING_CREATE_VALIDATE
T = TypeVar("T")


def _filter(ctx: Context, key: str) -> NetworkFilter:
    """The filter ``key`` names, by UUID first, then by name, as virsh looks it up."""
    try:
        try:
            return ctx.conn.lookup_nwfilter_by_uuid(uuid.UUID(key))
        except (ValueError, VirtError):
            return ctx.conn.lookup_nwfilter_by_name(key)
    except VirtError as exc:
        raise CommandError(f"failed to get nwfilter '{key}'", exc.message) from exc


def _binding(ctx: Context, portdev: str) -> NetworkFilterBinding:
    return failing_as(lambda: ctx.conn.lookup_nwfilter_binding(portdev), f"failed to get nwfilter binding '{portdev}'")


def _from_file(args: argparse.Namespace, make: Callable[[str, int], T], failure: str) -> T:
    """``make(xml, flags)`` with the XML of ``args.file`` and its ``--validate``; ``failure`` and the
    error when refused."""
    xml = read_file(args.file)
    flags = VALIDATE if args.validate else 0
    return failing_as(lambda: make(xml, flags), f"{failure} {args.file}")


def _dump(ctx: Context, xml: Callable[[], str], args: argparse.Namespace) -> None:
    from virt.cli.commands.saving import print_selected_xml

    print_selected_xml(ctx, failing_as(xml), args.xpath, args.wrap)


def run_nwfilter_define(ctx: Context, args: argparse.Namespace) -> None:
    found = _from_file(args, ctx.conn.define_nwfilter, "Failed to define network filter from")
    ctx.print_extra(f"Network filter {found.name} defined from {args.file}")


def run_nwfilter_undefine(ctx: Context, args: argparse.Namespace) -> None:
    failing_as(_filter(ctx, args.nwfilter).undefine, f"Failed to undefine network filter {args.nwfilter}")
    ctx.print_extra(f"Network filter {args.nwfilter} undefined")


def run_nwfilter_dumpxml(ctx: Context, args: argparse.Namespace) -> None:
    _dump(ctx, _filter(ctx, args.nwfilter).xml, args)


def run_nwfilter_list(ctx: Context, args: argparse.Namespace) -> None:
    found = failing_as(ctx.conn.list_nwfilters, "Failed to list network filters")
    ctx.table(["UUID", "Name"], [[str(f.uuid), f.name] for f in sorted(found, key=lambda f: f.name)])


def edit_in_editor(ctx: Context, text: str) -> str:
    """``text`` after the user's editor ($VISUAL, $EDITOR, else vi) has run on a temporary copy,
    as virsh's ``*-edit`` commands run it (through the shell, so the variable may hold options)."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w", prefix="virt", suffix=".xml", delete=False) as handle:
        handle.write(text)
        path = Path(handle.name)
    try:
        command = f"{editor} {shlex.quote(str(path))}"
        done = subprocess.run(["/bin/sh", "-c", command], check=False)
        if done.returncode != 0:
            raise CommandError(f"{command}: editor exited with status {done.returncode}")
        return path.read_text(encoding="utf-8")
    finally:
        path.unlink()


def edit_definition(ctx: Context, current: str, define: Callable[[str], str], unchanged: str, edited: str) -> None:
    """virsh's edit loop when its input is not a terminal: edit ``current``; print ``unchanged`` when
    the text is the same, else ``define`` it and print ``edited`` with the name it returns. A refused
    definition gives what virsh 9.0 gives then: ``error: Failed.`` without the reason, the edited
    line naming ``(null)``, and success (it cannot ask whether to edit again, and carries on)."""
    changed = edit_in_editor(ctx, current)
    if changed == current:
        ctx.print_extra(unchanged)
        return
    try:
        name = define(changed)
    except VirtError:
        ctx.stderr.write("error: Failed.\n")
        name = "(null)"
    ctx.print_extra(edited.format(name))


def run_nwfilter_edit(ctx: Context, args: argparse.Namespace) -> None:
    found = _filter(ctx, args.nwfilter)
    edit_definition(
        ctx,
        failing_as(found.xml),
        lambda xml: ctx.conn.define_nwfilter(xml).name,
        f"Network filter {found.name} XML configuration not changed.",
        "Network filter {} XML configuration edited.",
    )


def run_binding_create(ctx: Context, args: argparse.Namespace) -> None:
    made = _from_file(args, ctx.conn.create_nwfilter_binding, "Failed to create network filter from")
    ctx.print_extra(f"Network filter binding on {made.portdev} created from {args.file}")


def run_binding_delete(ctx: Context, args: argparse.Namespace) -> None:
    failing_as(_binding(ctx, args.binding).delete, f"Failed to delete network filter binding {args.binding}")
    ctx.print_extra(f"Network filter binding on {args.binding} deleted")


def run_binding_dumpxml(ctx: Context, args: argparse.Namespace) -> None:
    _dump(ctx, _binding(ctx, args.binding).xml, args)


def run_binding_list(ctx: Context, args: argparse.Namespace) -> None:
    found = failing_as(ctx.conn.list_nwfilter_bindings, "Failed to list network filter bindings")
    ctx.table(["Port Dev", "Filter"], [[b.portdev, b.filter_name] for b in sorted(found, key=lambda b: b.portdev)])


def register(commands: CommandRegistry) -> None:
    nwfilter = Argument("nwfilter", positional=True, required=True, help="network filter name or uuid")
    binding = Argument("binding", positional=True, required=True, help="network filter binding portdev")
    xpath = [
        Argument("--xpath", metavar="string", help="xpath expression to filter the XML document"),
        Argument("--wrap", flag=True, help="wrap xpath results in an common root element"),
    ]
    validate = Argument("--validate", flag=True, help="validate the XML against the schema")
    filter_file = file_argument("file containing an XML network filter description")
    binding_file = file_argument("file containing an XML network filter binding description")
    # (verb, runner, help, description, arguments): virsh's words
    verbs: list[tuple[str, Callable[[Context, argparse.Namespace], None], str, str, list[Argument]]] = [
        ("nwfilter-define", run_nwfilter_define, "define or update a network filter from an XML file",
         "Define a new network filter or update an existing one.", [filter_file, validate]),
        ("nwfilter-undefine", run_nwfilter_undefine, "undefine a network filter",
         "Undefine a given network filter.", [nwfilter]),
        ("nwfilter-dumpxml", run_nwfilter_dumpxml, "network filter information in XML",
         "Output the network filter information as an XML dump to stdout.", [nwfilter, *xpath]),
        ("nwfilter-list", run_nwfilter_list, "list network filters", "Returns list of network filters.", []),
        ("nwfilter-edit", run_nwfilter_edit, "edit XML configuration for a network filter",
         "Edit the XML configuration for a network filter.", [nwfilter]),
        ("nwfilter-binding-create", run_binding_create, "create a network filter binding from an XML file",
         "Create a new network filter binding.", [binding_file, validate]),
        ("nwfilter-binding-delete", run_binding_delete, "delete a network filter binding",
         "Delete a given network filter binding.", [binding]),
        ("nwfilter-binding-dumpxml", run_binding_dumpxml, "network filter information in XML",
         "Output the network filter binding information as an XML dump to stdout.", [binding, *xpath]),
        ("nwfilter-binding-list", run_binding_list, "list network filter bindings",
         "Returns list of network filter bindings.", []),
    ]  # fmt: skip
    for verb, runner, summary, description, arguments in verbs:
        commands.add(verb, runner, group=GROUP, help=summary, description=description, arguments=arguments)
