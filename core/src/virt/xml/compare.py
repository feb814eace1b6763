"""Semantic difference between two models: what changed, as paths with the old and new values.

``diff(a, b)`` walks both object trees through their declarations, so what formatting changes
(attribute order, whitespace, units: models hold canonical values) never shows, and the order of
kinds of elements does not either (models write them in declaration order). Lists of elements
are matched by what identifies an item (a disk by its target, an interface by its MAC, anything
with a ``name``) rather than by position, so removing the first of three disks is one change.
It is what ``virt define --dry-run`` prints and what makes defining the same thing twice a no-op.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

import attrs
from lxml import etree

from virt.xml import base
from virt.xml.base import XmlModel

Kind = Literal["added", "removed", "changed", "reordered"]


@attrs.frozen
class Change:
    """One difference: ``path`` names the element (``/domain/devices/disk[2]``) or attribute
    (``.../target/@dev``); ``old``/``new`` are the values as text (an element's as XML), None on
    the side where it is absent. A list item's index, among the items of its tag, is the one in
    the document it is in (``a``'s for a removal, ``b``'s otherwise), written only when that
    document has several, as lxml's ``getpath`` does."""

    path: str
    old: str | None
    new: str | None
    kind: Kind = "changed"

    def __str__(self) -> str:
        if self.kind == "changed":
            return f"{self.path}: {_short(self.old)} -> {_short(self.new)}"
        return f"{self.path}: {self.kind}"


def diff(a: XmlModel, b: XmlModel) -> list[Change]:
    """What changes from ``a`` to ``b``; empty when they describe the same thing. Both must be
    models of the same class (TypeError otherwise)."""
    if type(a) is not type(b):
        raise TypeError(f"cannot compare a {type(a).__name__} with a {type(b).__name__}")
    root = "/" + a._xml_tag if a._xml_tag else ""
    return list(_models(a, b, root))


# -- models -----------------------------------------------------------------------------------------


def _models(a: XmlModel, b: XmlModel, path: str) -> Iterator[Change]:
    c = a._xml
    for name, xml_name, conv in c.attrs:
        old, new = getattr(a, name), getattr(b, name)
        if old != new:
            yield _value_change(f"{path}/@{xml_name}", _fmt(conv, old), _fmt(conv, new))
    ua, ub = a._unknown or base.Unknown(), b._unknown or base.Unknown()
    yield from _attribute_maps(ua.attrs, ub.attrs, path)
    if c.own_text is not None:
        name, conv = c.own_text
        old, new = getattr(a, name), getattr(b, name)
        if old != new:
            yield _value_change(path, _fmt(conv, old), _fmt(conv, new))
    for index, name, spec in c.elements:
        assert spec.tag is not None
        tag = _local(spec.tag)
        old, new = getattr(a, name), getattr(b, name)
        if spec.kind in (base.CHILD, base.RAW):
            yield from _optional(old, new, f"{path}/{tag}", spec)
        elif spec.kind in (base.CHILDREN, base.RAWS):
            yield from _lists(old, new, path, tag, spec)
        elif spec.kind == base.TEXTS:
            yield from _lists([_fmt(spec.conv, v) for v in old], [_fmt(spec.conv, v) for v in new], path, tag, spec)
        elif old != new:  # TEXT, SCALED, FLAG: a value held by a child element
            yield _value_change(f"{path}/{tag}", _leaf(spec, old), _leaf(spec, new))
        yield from _attribute_maps(ua.child_attrs.get(index, {}), ub.child_attrs.get(index, {}), f"{path}/{tag}")
    yield from _lists(_unknown_elements(ua), _unknown_elements(ub), path, None, None)


def _value_change(path: str, old: str | None, new: str | None) -> Change:
    if old is None:
        return Change(path, None, new, "added")
    if new is None:
        return Change(path, old, None, "removed")
    return Change(path, old, new)


def _optional(old: Any, new: Any, path: str, spec: base.Spec | None) -> Iterator[Change]:
    """A child that may be absent on either side: added, removed, or compared inside."""
    if old is None and new is None:
        return
    if old is None or new is None:
        if _empty(old if new is None else new):
            return  # <devices/> says no more than no <devices> at all
        yield _value_change(path, _xml(old, spec), _xml(new, spec))
    elif isinstance(old, XmlModel):
        yield from _models(old, new, path)
    else:
        yield from _elements(old, new, path)


def _empty(value: Any) -> bool:
    """A model holding nothing: every field at its default and nothing undeclared kept."""
    if not isinstance(value, XmlModel) or value._unknown:
        return False
    try:
        return value == type(value)()
    except TypeError:
        return False


def _lists(
    old: Sequence[Any], new: Sequence[Any], path: str, tag: str | None, spec: base.Spec | None
) -> Iterator[Change]:
    """Items of one tag (``tag`` None: a mix of kept unknown elements, grouped by their tags)."""
    if tag is None:
        groups: dict[str, tuple[list[Any], list[Any]]] = {}
        for side, items in enumerate((old, new)):
            for item in items:
                groups.setdefault(_local(item.tag), ([], []))[side].append(item)
        for name, (o, n) in groups.items():
            yield from _lists(o, n, path, name, None)
        return
    if not old and not new:
        return

    def at(i: int, items: Sequence[Any]) -> str:
        # as lxml's getpath writes it: an index only among several of the tag (in that document)
        return f"{path}/{tag}[{i + 1}]" if len(items) > 1 else f"{path}/{tag}"

    pairs, removed, added, reordered = _match(old, new)
    for i in removed:
        yield Change(at(i, old), _xml(old[i], spec), None, "removed")
    for i, j in pairs:
        item_old, item_new = old[i], new[j]
        if isinstance(item_old, str):  # TEXTS
            if item_old != item_new:
                yield Change(at(j, new), item_old, item_new)
        else:
            yield from _optional(item_old, item_new, at(j, new), spec)
    for j in added:
        yield Change(at(j, new), None, _xml(new[j], spec), "added")
    if reordered:
        yield Change(f"{path}/{tag}", None, None, "reordered")


def _match(old: Sequence[Any], new: Sequence[Any]) -> tuple[list[tuple[int, int]], list[int], list[int], bool]:
    """Pair the items of two lists: (pairs of indexes, removed old indexes, added new indexes,
    whether paired items changed their order). By identity when every item has a distinct one,
    otherwise by a longest common subsequence of equal items, pairing what is left in place."""
    keys_old, keys_new = _identities(old), _identities(new)
    if keys_old is not None and keys_new is not None:
        where = {k: j for j, k in enumerate(keys_new)}
        pairs = [(i, where[k]) for i, k in enumerate(keys_old) if k in where]
        removed = [i for i, k in enumerate(keys_old) if k not in where]
        paired_new = {j for _, j in pairs}
        added = [j for j in range(len(new)) if j not in paired_new]
        order = [j for _, j in pairs]
        return pairs, removed, added, order != sorted(order)
    texts_old, texts_new = [_canonical(x) for x in old], [_canonical(x) for x in new]
    pairs, removed, added = [], [], []
    matcher = difflib.SequenceMatcher(None, texts_old, texts_new, autojunk=False)
    for _, i1, i2, j1, j2 in matcher.get_opcodes():
        common = min(i2 - i1, j2 - j1)
        pairs += [(i1 + k, j1 + k) for k in range(common)]  # equal, or replaced in place
        removed += range(i1 + common, i2)
        added += range(j1 + common, j2)
    return pairs, removed, added, False


# -- identity of list items ---------------------------------------------------------------------

Identity = Callable[[Any], Any]


def _path_value(*names: str) -> Identity:
    def get(item: Any) -> Any:
        for name in names:
            item = getattr(item, name, None)
        return item

    return get


def _attrs_of(*names: str) -> Identity:
    return lambda item: (
        tuple(getattr(item, n, None) for n in names) if any(getattr(item, n, None) for n in names) else None
    )


# What tells the items of a list apart, by element tag (the models of these are still growing, so
# every lookup tolerates a missing field). Other models: a ``name`` attribute when they have one.
_IDENTITIES: dict[str, Identity] = {
    "disk": _path_value("target", "dev"),
    "interface": _path_value("mac", "address"),
    "controller": _attrs_of("type", "index"),
    "host": _attrs_of("mac", "name", "ip"),
    "range": _attrs_of("start", "end"),
}


def _identities(items: Sequence[Any]) -> list[Any] | None:
    """Each item's identity, or None when some item has none or two share one."""
    if not items or not isinstance(items[0], XmlModel):
        return None
    tag_of = _IDENTITIES.get(_tag_of(items[0]) or "")
    if tag_of is None:
        if "name" not in items[0]._xml.attrs_by_name:
            return None
        field = items[0]._xml.attrs_by_name["name"][0]
        tag_of = _path_value(field)
    keys = [tag_of(item) for item in items]
    if any(k is None for k in keys) or len(set(map(repr, keys))) != len(keys):
        return None
    return [repr(k) for k in keys]


_TAG_OF: dict[type, str | None] = {}


def _tag_of(item: XmlModel) -> str | None:
    """The tag elements of ``item``'s class are written with (models are tag-free: their parent says)."""
    cls = type(item)
    if cls not in _TAG_OF:
        _TAG_OF.update(_child_tags())
        _TAG_OF.setdefault(cls, None)
    return _TAG_OF[cls]


def _child_tags() -> dict[type, str | None]:
    found: dict[type, str | None] = {}
    todo: list[type] = list(XmlModel.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        compiled = cls.__dict__.get("_xml")
        for _, _, spec in compiled.elements if compiled is not None else ():
            if spec.cls is not None and spec.tag is not None:
                found.setdefault(spec.cls, _local(spec.tag))
    return found


# -- kept lxml elements ---------------------------------------------------------------------------


def _elements(a: etree._Element, b: etree._Element, path: str) -> Iterator[Change]:
    """Two kept elements of the same tag, compared the way models are: attributes by name, text
    with surrounding whitespace ignored, children by tag and position."""
    yield from _attribute_maps(dict(a.attrib), dict(b.attrib), path)
    ta, tb = _strip(a.text), _strip(b.text)
    if ta != tb:
        yield _value_change(path, ta, tb)
    yield from _lists(_kids(a), _kids(b), path, None, None)


def _kids(el: etree._Element) -> list[etree._Element]:
    return [k for k in el if isinstance(k.tag, str)]


def _unknown_elements(u: base.Unknown) -> list[etree._Element]:
    return [e for kept in u.elements.values() for e in kept if isinstance(e.tag, str)]


def _attribute_maps(old: dict[str, str], new: dict[str, str], path: str) -> Iterator[Change]:
    for key in sorted(old.keys() | new.keys()):
        if old.get(key) != new.get(key):
            yield _value_change(f"{path}/@{_local(key)}", old.get(key), new.get(key))


# -- text of values ---------------------------------------------------------------------------------


def _fmt(conv: Any, value: Any) -> str | None:
    if value is None:
        return None
    try:
        return str(conv.format(value)) if conv is not None else str(value)
    except (ValueError, TypeError, AttributeError):  # a value set in code that its converter rejects
        return str(value)


def _leaf(spec: base.Spec, value: Any) -> str | None:
    if spec.kind == base.FLAG:
        return "present" if value else None
    if spec.kind == base.SCALED:
        return None if value is None else str(value)  # in the field's unit (KiB for memory)
    return _fmt(spec.conv, value)


def _xml(value: Any, spec: base.Spec | None) -> str | None:
    """An element's XML, for showing what was added or removed."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, XmlModel):
        out: list[str] = []
        tag = _local(spec.tag) if spec is not None and spec.tag else type(value).__name__.lower()
        value._write(out, tag, "", {})
        return "".join(out).rstrip("\n")
    text: str = etree.tostring(value, encoding="unicode", with_tail=False)
    return text


def _canonical(value: Any) -> Any:
    """What two equal items have in common, formatting aside (for matching items by content)."""
    if isinstance(value, str):
        return value
    if isinstance(value, XmlModel):
        return value.to_xml() if value._xml_tag else _xml(value, None) or ""
    return _element_key(value)


def _element_key(el: etree._Element) -> tuple[Any, ...]:
    return (el.tag, tuple(sorted(el.attrib.items())), _strip(el.text), tuple(_element_key(k) for k in _kids(el)))


def _strip(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    return text.strip()


def _local(tag: str) -> str:
    """``{uri}name`` as ``name`` in paths (the namespaced elements of a document have distinct names)."""
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def _short(text: str | None) -> str:
    if text is None:
        return "(none)"
    text = " ".join(text.split())
    return text if len(text) <= 120 else text[:117] + "..."
