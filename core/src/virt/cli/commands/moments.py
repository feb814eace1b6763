"""What the snapshot and checkpoint commands share, as virsh's virsh-snapshot.c and
virsh-checkpoint.c do it: the tree listing, creation times, the XML of the ``-as`` verbs."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from virt.cli.context import CommandError, Context


def creation_text(seconds: int) -> str:
    """A creation time as virsh lists it (local time, ``%Y-%m-%d %H:%M:%S %z``)."""
    return time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(seconds))


def tree(ctx: Context, names: Sequence[str], parent_of: Callable[[str], str | None]) -> None:
    """vshTreePrint of every root in ``names``: each child under its parent, "+- " before it."""
    parents = {name: parent_of(name) for name in names}
    for index, name in enumerate(names):
        if parents[name] is None:
            _branch(ctx, names, parents, index, index, root=True, indent="")


def _branch(
    ctx: Context,
    names: Sequence[str],
    parents: dict[str, str | None],
    index: int,
    last: int,
    *,
    root: bool,
    indent: str,
) -> None:
    name = names[index]
    ctx.print(f"{indent}{'' if root else '+- '}{name}")
    if not root:
        indent += (" " if index == last else "|") + " "
    children = [i for i, other in enumerate(names) if parents[other] == name]
    last_child = children[-1] if children else -1
    if children:
        ctx.print(f"{indent}  |")
    for child in children:
        _branch(ctx, names, parents, child, last_child, root=False, indent=indent + "  ")
    if not children and index == last:
        ctx.print(indent)


def listed_names(
    ctx: Context,
    names: list[str],
    start: str | None,
    parent_of_moment: Callable[[str], str | None],
    *,
    as_tree: bool,
    only_names: bool,
) -> bool:
    """The part of snapshot-list and checkpoint-list that is the same: ``--tree`` (``start``, when
    given, heads it) and ``--name``; True when that printed the listing (``parent_of_moment``: the
    parent a moment's XML names)."""
    if as_tree:

        def parent_of(name: str) -> str | None:
            if start is not None and name == start:
                return None
            parent = parent_of_moment(name)
            return parent if parent in names else None

        tree(ctx, names, parent_of)
        return True
    if only_names:
        for name in names:
            ctx.print(name)
        return True
    return False


def sort_names(names: list[str], topological: bool) -> list[str]:
    """virsh's order: by name (case aside) unless ``--topological`` keeps the driver's."""
    return names if topological else sorted(names, key=lambda n: (n.lower(), n))


def exclusive(args: object, *pairs: tuple[str, str]) -> None:
    """VSH_EXCLUSIVE_OPTIONS: the first pair given together is refused."""
    for first, second in pairs:
        if getattr(args, first.replace("-", "_")) and getattr(args, second.replace("-", "_")):
            raise CommandError(f"Options --{first} and --{second} are mutually exclusive")


def escape(value: str) -> str:
    """virBufferEscapeString's escaping of text and attribute values."""
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&apos;")):
        value = value.replace(char, entity)
    return value


def attr(name: str, value: str | None) -> str:
    """`` name='value'`` as virsh writes it (nothing for no value)."""
    return "" if value is None else f" {name}='{escape(value)}'"


def spec_fields(text: str) -> list[str]:
    """vshStringToArray: comma separated, a doubled comma standing for one."""
    fields: list[str] = []
    current = ""
    index = 0
    while index < len(text):
        char = text[index]
        if char == "," and text[index + 1 : index + 2] == ",":
            current += ","
            index += 2
            continue
        if char == ",":
            fields.append(current)
            current = ""
        else:
            current += char
        index += 1
    fields.append(current)
    return fields
