"""The field-declaration machinery behind every XML model.

A model is an attrs class whose fields say where they live in the XML, one line each::

    @model("domain")
    class Domain(XmlModel):
        type: str | None = attribute("type")
        name: str | None = text("name")
        os: OS | None = child("os", OS)
        disks: list[Disk] = children("disk", Disk)

Element order on output is the declaration order, so there is no ordering to keep by hand.
``@model`` compiles the declarations into lookup tables, and on the model's first use into a
parse and a format function generated for it (straight-line code with each field's tag and
converter built in, so nothing is looked up per field at run time). Anything a model does not
declare (attributes, elements, a vendor namespace) is kept in the object's ``unknown`` store and
written back at the position it was read from, so a partial model still round-trips every document.
"""

from __future__ import annotations

import hashlib
import linecache
import marshal
import os
import sys
import threading
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import attrs
from lxml import etree

from virt.errors import XMLError
from virt.xml import convert
from virt.xml.convert import Converter

if TYPE_CHECKING:
    from virt.xml.validate import Problem

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024

_SPEC = SPEC_KEY = "virt.xml"
"""The key of a field's Spec in its attrs metadata."""

# Field kinds
ATTR, TEXT, CHILD, CHILDREN, TEXTS, FLAG, RAW, RAWS, SCALED = range(9)
_LISTS = (CHILDREN, TEXTS, RAWS)

When = Callable[[Mapping[str, str]], bool]


@attrs.frozen
class Spec:
    kind: int
    tag: str | None  # attribute name, child tag, or None for the element's own text
    conv: Converter | None = None
    cls: type[XmlModel] | None = None
    unit: str | None = None  # SCALED: the unit values are kept in and written with
    default_unit: str | None = None  # SCALED: the unit of a value given without one
    when: When | None = None  # choose between fields sharing a tag, from the parent's attributes
    dump: bool = False  # RAW: written by libxml2's own serialiser (double quotes), as libvirt dumps it


def _element_key(value: Any) -> Any:
    """Kept lxml elements compare by their XML, not by identity."""
    if isinstance(value, etree._Element):
        return etree.tostring(value, with_tail=False)
    if isinstance(value, list):
        return [_element_key(v) for v in value]
    return value


def _elements_eq(a: Any, b: Any) -> bool:
    return a is b or bool(_element_key(a) == _element_key(b))


def _field(spec: Spec, *, default: Any = None, factory: Callable[[], Any] | None = None) -> Any:
    eq: Any = attrs.cmp_using(eq=_elements_eq) if spec.kind in (RAW, RAWS) else True
    if factory is not None:
        return attrs.field(factory=factory, kw_only=True, eq=eq, metadata={_SPEC: spec})
    return attrs.field(default=default, kw_only=True, eq=eq, metadata={_SPEC: spec})


def attribute(name: str, conv: Converter = convert.STR, *, default: Any = None) -> Any:
    """An attribute of this element."""
    return _field(Spec(ATTR, name, conv), default=default)


def text(
    tag: str | None = None, conv: Converter = convert.STR, *, default: Any = None, when: When | None = None
) -> Any:
    """The text of child ``tag`` (``<name>x</name>``), or of this element itself when tag is None."""
    return _field(Spec(TEXT, tag, conv, when=when), default=default)


def texts(tag: str, conv: Converter = convert.STR) -> Any:
    """The texts of every child ``tag``, in order."""
    return _field(Spec(TEXTS, tag, conv), factory=list)


def child(tag: str, cls: type[XmlModel], *, when: When | None = None) -> Any:
    """One child element described by a model."""
    return _field(Spec(CHILD, tag, cls=cls, when=when))


def children(tag: str, cls: type[XmlModel], *, when: When | None = None) -> Any:
    """Every child ``tag``, in order, each described by a model."""
    return _field(Spec(CHILDREN, tag, cls=cls, when=when), factory=list)


def flag(tag: str) -> Any:
    """An empty child element whose presence means True (``<readonly/>``)."""
    return _field(Spec(FLAG, tag), default=False)


def raw(tag: str, *, when: When | None = None, dump: bool = False) -> Any:
    """A child element kept as an lxml element, verbatim: declared for its position until it gets a model.
    ``dump``: written as libvirt writes an element it keeps as an opaque tree (``<metadata>``, through
    libxml2's xmlNodeDump): libxml2's quoting and escaping, not the formatter's."""
    return _field(Spec(RAW, tag, when=when, dump=dump))


def raws(tag: str) -> Any:
    """Every child ``tag`` kept as lxml elements, verbatim."""
    return _field(Spec(RAWS, tag), factory=list)


def scaled(tag: str, unit: str = "KiB", *, default_unit: str | None = None) -> Any:
    """A child ``<tag unit='...'>N</tag>`` held as an int in ``unit``, from whatever unit it was given in."""
    return _field(Spec(SCALED, tag, unit=unit, default_unit=default_unit or unit))


class Unknown:
    """What a model does not declare, kept to be written back in place.

    ``elements`` maps an anchor -- (index of the declared field last seen, how many of its
    elements had been seen) -- to the unknown elements that followed it; (-1, 0) is the start.
    """

    __slots__ = ("attrs", "child_attrs", "elements", "nsmap")

    def __init__(self) -> None:
        self.attrs: dict[str, str] = {}
        self.elements: dict[tuple[int, int], list[etree._Element]] = {}
        self.child_attrs: dict[int, dict[str, str]] = {}  # unknown attributes of text/flag/scaled children
        self.nsmap: dict[str | None, str] = {}  # namespaces declared on the element itself

    def __bool__(self) -> bool:
        return bool(self.attrs or self.elements or self.child_attrs or self.nsmap)

    def drop_elements(self, unwanted: Callable[[etree._Element], bool]) -> None:
        """Leave out the kept elements ``unwanted`` picks."""
        for anchor, elements in list(self.elements.items()):
            kept = [el for el in elements if not unwanted(el)]
            if len(kept) == len(elements):
                continue
            if kept:
                self.elements[anchor] = kept
            else:
                del self.elements[anchor]

    def _key(self) -> tuple[Any, ...]:
        elements = {k: [etree.tostring(e, with_tail=False) for e in v] for k, v in self.elements.items()}
        return (self.attrs, elements, self.child_attrs, self.nsmap)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Unknown):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:  # pragma: no cover - models are mutable, never hashed
        return id(self)

    def __repr__(self) -> str:
        return f"Unknown(attrs={self.attrs!r}, elements={sum(len(v) for v in self.elements.values())})"


def _unknown_eq(a: Unknown | None, b: Unknown | None) -> bool:
    return (a or Unknown()) == (b or Unknown())


class _Compiled:
    """A model's declarations as lookup tables, built once per class."""

    __slots__ = ("attrs", "attrs_by_name", "elements", "elements_by_tag", "equality", "own_text")

    def __init__(self, cls: type) -> None:
        # (field name, key function or None) for XmlModel.__eq__, the order attrs would compare in
        self.equality: tuple[tuple[str, Callable[[Any], Any] | None], ...] = tuple(
            (f.name, f.eq_key) for f in attrs.fields(cls) if f.eq
        )
        self.attrs: list[tuple[str, str, Converter]] = []
        self.attrs_by_name: dict[str, tuple[str, Converter]] = {}
        self.own_text: tuple[str, Converter] | None = None
        self.elements: list[tuple[int, str, Spec]] = []  # (index, python name, spec) in declaration order
        self.elements_by_tag: dict[str, list[tuple[int, str, Spec]]] = {}
        for f in attrs.fields(cls):
            spec: Spec | None = f.metadata.get(_SPEC)
            if spec is None:
                continue
            assert spec.conv is not None or spec.kind not in (ATTR, TEXT, TEXTS)
            if spec.kind == ATTR:
                assert spec.tag is not None and spec.conv is not None
                self.attrs.append((f.name, spec.tag, spec.conv))
                self.attrs_by_name[spec.tag] = (f.name, spec.conv)
            elif spec.kind == TEXT and spec.tag is None:
                assert spec.conv is not None
                self.own_text = (f.name, spec.conv)
            else:
                assert spec.tag is not None
                entry = (len(self.elements), f.name, spec)
                self.elements.append(entry)
                self.elements_by_tag.setdefault(spec.tag, []).append(entry)


def _error(el: etree._Element, what: str, reason: str) -> XMLError:
    try:
        path = el.getroottree().getpath(el)
    except (ValueError, TypeError):
        path = str(el.tag)
    line = f" (line {el.sourceline})" if el.sourceline else ""
    return XMLError(f"{path}{what}: {reason}{line}")


def _conv_parse(conv: Converter, value: str, el: etree._Element, what: str = "") -> Any:
    try:
        return conv.parse(value)
    except ValueError as e:
        raise _error(el, what, str(e)) from None


M = TypeVar("M", bound="XmlModel")


@attrs.define(kw_only=True, eq=False, repr=False)
class XmlModel:
    """Base of every model: parsing, formatting, and the store of undeclared XML.

    ``@model`` generates ``_parse`` and ``_write`` for each model from its declarations (see
    ``_compile_parse`` and ``_compile_write``); the base class itself declares nothing.
    """

    _xml_tag: ClassVar[str] = ""
    _xml_keep_open: ClassVar[bool] = False
    _xml: ClassVar[_Compiled]

    _unknown: Unknown | None = attrs.field(default=None, repr=False, eq=attrs.cmp_using(eq=_unknown_eq))
    # Where a parsed object came from, for error messages (``source_line``): the line of its
    # element, and of the text/scaled children it holds as values (``<memory>``), by field name.
    # Not part of equality: the same model read from two texts is the same model.
    _line: int | None = attrs.field(default=None, init=False, repr=False, eq=False)
    _lines: dict[str, int] | None = attrs.field(default=None, init=False, repr=False, eq=False)

    # attrs would generate __eq__ and __repr__ for each of the hundred models, which costs start-up
    # time; one generic version here reads the same field tables instead.
    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        for name, key in self._xml.equality:
            mine, theirs = getattr(self, name), getattr(other, name)
            if key is not None:
                mine, theirs = key(mine), key(theirs)
            if mine != theirs:
                return False
        return True

    __hash__ = None  # type: ignore[assignment]  # models are mutable

    def __repr__(self) -> str:
        fields = attrs.fields(self.__class__)
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields if f.repr and f.name != "_unknown")
        return f"{self.__class__.__qualname__}({shown})"

    # -- parsing -------------------------------------------------------------------------------

    @classmethod
    def from_xml(cls: type[M], text: str | bytes) -> M:
        root = parse_document(text)
        if cls._xml_tag and root.tag != cls._xml_tag:
            raise _error(root, "", f"expected a <{cls._xml_tag}> document, got <{root.tag}>")
        return cls.from_element(root)

    @classmethod
    def from_element(cls: type[M], el: etree._Element) -> M:
        obj = cls._parse(el)
        nsmap = el.nsmap
        if nsmap:
            parent = el.getparent()
            if parent is not None:
                above = parent.nsmap
                nsmap = {p: u for p, u in nsmap.items() if above.get(p) != u}
            if nsmap:
                unknown = obj._unknown or Unknown()
                unknown.nsmap = nsmap
                obj._unknown = unknown
        obj.post_parse()
        return obj

    def post_parse(self) -> None:
        """Fill in the defaults and canonical forms libvirt's parser gives this document (its
        post-parse step), so that formatting prints what libvirt prints. Called on the root model by
        ``from_xml``/``from_element``; a root model's version calls its parts' as they need it.
        Must be idempotent: formatting and parsing again changes nothing."""

    @classmethod
    def _parse(cls: type[M], el: etree._Element) -> M:  # replaced per model by @model
        raise TypeError(f"{cls.__name__} is not a model: decorate it with @model()")

    # -- checking ------------------------------------------------------------------------------

    def problems(self) -> list[Problem]:
        """What libvirt would refuse in this document although it parses (``virt.xml.validate``)."""
        from virt.xml.validate import problems

        return problems(self)

    def validate(self) -> None:
        """Raise XMLError naming every problem (path and line each), or return when there is none."""
        from virt.xml.validate import validate

        validate(self)

    # -- formatting ----------------------------------------------------------------------------

    def to_xml(self) -> str:
        """The document as libvirt formats it: 2-space indent, single quotes, trailing newline."""
        out: list[str] = []
        self._write(out, self._xml_tag, "", {})
        return "".join(out)

    def to_element(self) -> etree._Element:
        return etree.fromstring(self.to_xml().encode(), _parser())

    def clone(self: M) -> M:
        """An independent copy, made through the model's own XML (faster than deepcopy, and the
        elements it keeps verbatim are copied too); a part of a document is copied as well as a root."""
        out: list[str] = []
        self._write(out, self._xml_tag or "copy", "", {})
        return type(self)._parse(etree.fromstring("".join(out).encode(), _parser()))

    def __str__(self) -> str:
        return self.to_xml()

    def _write(self, out: list[str], tag: str, pad: str, ns: dict[str | None, str]) -> None:
        raise TypeError(f"{type(self).__name__} is not a model: decorate it with @model()")


def source_line(obj: XmlModel, field: str | None = None) -> int | None:
    """The line of the text ``obj`` was parsed from, or of what its field ``field`` holds (a child
    element, a text child such as ``<memory>``, a kept element); None for objects built in code.
    An attribute field, or a field with nothing recorded, gives the object's own line."""
    if field is not None:
        value = getattr(obj, field, None)
        if isinstance(value, XmlModel) and value._line is not None:
            return value._line
        if isinstance(value, etree._Element) and value.sourceline:
            return int(value.sourceline)
        lines = obj._lines
        if lines is not None and field in lines:
            return lines[field]
    return obj._line


# -- generating each model's parser and formatter ------------------------------------------------
#
# ``@model`` turns a model's declarations into the source of two functions, compiled once:
# ``_parse(cls, el)`` reads an element's declared attributes with ``el.get`` (stopping once all
# the element has are found), walks its children once dispatching on the tag, and fills a new
# object's slots directly; ``_write(self, out, tag, pad, ns)`` appends the element's text to
# ``out``, field by field, with each field's tag and converter written into the code. Both do
# exactly what the declarations say, in declaration order; the generated source can be read
# with ``inspect.getsource(Model._parse)`` (and ``Model._write``).


def _anchor(sub: etree._Element, last: int, tags: tuple[str, ...]) -> tuple[int, int]:
    """Where an unknown child sits: after the how-many-th element of the declared field ``last``."""
    if last < 0:
        return (-1, 0)
    n = 0
    for _ in sub.itersiblings(tags[last], preceding=True):
        n += 1
    return (last, n)


def _add_unknown(u: Unknown | None, key: tuple[int, int], sub: etree._Element) -> Unknown:
    if u is None:
        u = Unknown()
    kept = u.elements.get(key)
    if kept is None:
        u.elements[key] = [sub]
    else:
        kept.append(sub)
    return u


def _unknown_attrs(u: Unknown | None, el: etree._Element, known: frozenset[str]) -> Unknown:
    if u is None:
        u = Unknown()
    u.attrs = {k: v for k, v in el.items() if k not in known}
    return u


def _child_attrs(u: Unknown | None, index: int, extra: dict[str, str]) -> Unknown:
    if u is None:
        u = Unknown()
    u.child_attrs[index] = extra
    return u


_PARSE_TEMPLATE = """\
def parse(cls, el):
{init}
{attributes}
{own_text}
{children}
    o = new(cls)
    o._unknown = u
    o._line = el.sourceline
    o._lines = ln
{store}
{post_init}
    return o
"""


def _literal(names: dict[str, Any], value: Any, hint: str) -> str:
    """A name in the generated code's globals bound to ``value``."""
    name = f"{hint}{len(names)}"
    names[name] = value
    return name


def _default_code(f: Any, names: dict[str, Any]) -> str:
    """The code of a field's default value (a fresh one each time for factories)."""
    default: Any = f.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        if default.takes_self:
            raise TypeError(f"{f.name}: factories taking self are not supported in models")
        if default.factory is list:
            return "[]"
        return _literal(names, default.factory, "factory_") + "()"
    if default is None or default is True or default is False:
        return repr(default)
    return _literal(names, default, "default_")


def _reason(conv: Converter, value: str) -> str:
    """Why ``conv`` rejects ``value``, in the converter's own words."""
    try:
        conv.parse(value)
    except ValueError as e:
        return str(e)
    return f"{value!r} is not valid"  # pragma: no cover - only reached when a check below disagrees


def _parse_value(conv: Converter, src: str, target: str, el: str, what: str, names: dict[str, Any]) -> list[str]:
    """Code setting ``target`` to ``src`` converted, raising the converter's error with the path."""
    fail = f"raise _error({el}, {what!r}, _reason({_literal(names, conv, 'conv_')}, {src})) from None"
    if conv is convert.STR:
        return [f"{target} = {src}"]
    if type(conv) is convert.Int:
        # int() skips surrounding whitespace itself, as Int.parse does with strip()
        lines = ["try:", f"    {target} = int({src}, 10)", "except ValueError:", f"    {fail}"]
        low, high = conv.minimum, conv.maximum  # type: ignore[attr-defined]
        if low is not None or high is not None:
            tests = ([f"{target} < {low!r}"] if low is not None else []) + (
                [f"{target} > {high!r}"] if high is not None else []
            )
            lines += [f"if {' or '.join(tests)}:", f"    {fail}"]
        return lines
    if type(conv) is convert.Bool:
        words = _literal(names, {conv.true: True, conv.false: False}, "words_")  # type: ignore[attr-defined]
        return [f"{target} = {words}.get({src})", f"if {target} is None:", f"    {fail}"]
    if type(conv) is convert.Enum:
        members = _literal(names, conv.members, "members_")  # type: ignore[attr-defined]
        return [f"{target} = {members}.get({src}, _MISSING)", f"if {target} is _MISSING:", f"    {fail}"]
    call = _literal(names, conv.parse, "parse_")
    return [
        "try:",
        f"    {target} = {call}({src})",
        "except ValueError as e:",
        f"    raise _error({el}, {what!r}, str(e)) from None",
    ]


def _format_value(conv: Converter, var: str, names: dict[str, Any]) -> tuple[list[str], bool]:
    """Code turning ``var`` into its text, in place, and whether that text may need escaping."""
    if conv is convert.STR:
        return [], True
    if type(conv) is convert.Int:
        return [f"{var} = str(int({var}))"], False
    if type(conv) is convert.Bool:
        true, false = conv.true, conv.false  # type: ignore[attr-defined]
        return [f"{var} = {true!r} if {var} else {false!r}"], not _plain_format(conv)
    return [f"{var} = {_literal(names, conv.format, 'format_')}({var})"], not _plain_format(conv)


# XmlModel's own fields, which the generated code handles apart from the declared ones
_BOOKKEEPING = frozenset({"_unknown", "_line", "_lines"})


def _line_code(name: str) -> list[str]:
    """Code remembering the source line of the text child held in field ``name``."""
    return ["if ln is None:", f"    ln = {{{name!r}: sub.sourceline}}", "else:", f"    ln[{name!r}] = sub.sourceline"]


def _parse_source(cls: type, names: dict[str, Any]) -> str:
    c: _Compiled = cls._xml  # type: ignore[attr-defined]
    fields = {f.name: f for f in attrs.fields(cls)}
    init: list[str] = []
    store: list[str] = []
    local: dict[str, str] = {}
    nones = ["u", "ln"]
    for n, f in enumerate(fields.values()):
        if f.name in _BOOKKEEPING:
            continue
        var = f"f{n}"
        local[f.name] = var
        default = _default_code(f, names)
        if default == "None":
            nones.append(var)
        else:
            init.append(f"    {var} = {default}")
        store.append(f"    o.{f.name} = {var}")
    init.insert(0, f"    {' = '.join(nones)} = None")

    # attributes: el.get for each declared name until all the element has are found
    attributes: list[str] = []
    if c.attrs:
        attributes.append("    n = len(el.attrib)")
        attributes.append("    if n:")
        attributes.append("        get = el.get")
        for i, (name, xml_name, conv) in enumerate(c.attrs):
            if i:
                attributes.append("        if n:")
            else:
                attributes.append("        if True:")
            attributes.append(f"            v = get({xml_name!r})")
            attributes.append("            if v is not None:")
            attributes.append("                n -= 1")
            for line in _parse_value(conv, "v", local[name], "el", "/@" + xml_name, names):
                attributes.append("                " + line)
        known = _literal(names, frozenset(xml for _, xml, _ in c.attrs), "known_")
        attributes.append("        if n:")
        attributes.append(f"            u = _unknown_attrs(u, el, {known})")
    else:
        attributes.append("    if len(el.attrib):")
        attributes.append("        u = _unknown_attrs(u, el, _NO_NAMES)")

    own_text: list[str] = []
    if c.own_text is not None:
        name, conv = c.own_text
        own_text.append("    t = el.text")
        own_text.append("    if t is not None and (t.strip() or not len(el)):")
        own_text += ["        " + line for line in _parse_value(conv, "t", local[name], "el", "", names)]

    children: list[str] = []
    if not c.elements:
        children.append("    if len(el):")
        children.append("        for sub in el[:]:")
        children.append("            if sub.tag.__class__ is str:")
        children.append("                u = _add_unknown(u, (-1, 0), sub)")
    else:
        tags = _literal(names, tuple(spec.tag for _, _, spec in c.elements), "tags_")
        groups = list(c.elements_by_tag.items())
        codes = _literal(names, {tag: k for k, (tag, _) in enumerate(groups)}, "codes_")
        children.append("    if len(el):")
        children.append("        last = -1")
        children.append("        key = None")
        children.append(f"        code_of = {codes}.get")
        children.append("        for sub in el[:]:")
        children.append("            tag = sub.tag")
        children.append("            k = code_of(tag)")
        children.append("            if k is None:")
        children.append("                if tag.__class__ is not str:")
        children.append("                    continue  # comments and processing instructions: libvirt drops them too")
        children.append("                if last != -2:  # not straight after another unknown element")
        children.append(f"                    key = _anchor(sub, last, {tags})")
        children.append("                    last = -2")
        children.append("                u = _add_unknown(u, key, sub)")
        children.append("                continue")

        def entry_code(entry: tuple[int, str, Spec], pad: str) -> list[str]:
            index, name, spec = entry
            var = local[name]
            kind = spec.kind
            lines = [f"last = {index}"]
            if kind in (CHILD, CHILDREN):
                assert spec.cls is not None
                # Looked up at each call, not bound now: the child's parser may still be its first-use stub.
                model_cls = _literal(names, spec.cls, "model_")
                if kind == CHILD:
                    lines.append(f"{var} = {model_cls}._parse(sub)")
                else:
                    lines.append(f"{var}.append({model_cls}._parse(sub))")
            elif kind in (TEXT, TEXTS):
                assert spec.conv is not None
                lines.append("v = sub.text or ''")
                if kind == TEXT:
                    lines += _parse_value(spec.conv, "v", var, "sub", "", names)
                    lines += _line_code(name)
                elif spec.conv is not convert.STR:
                    lines += _parse_value(spec.conv, "v", "v", "sub", "", names)
                if kind == TEXTS:
                    lines.append(f"{var}.append(v)")
                else:
                    lines += ["a = sub.items()", "if a:", f"    u = _child_attrs(u, {index}, dict(a))"]
            elif kind == SCALED:
                assert spec.unit is not None and spec.default_unit is not None
                base = convert.unit_bytes(spec.unit)
                lines += [
                    "v = sub.get('unit')",
                    "try:",
                    f"    {var} = _scale(sub.text or '', v or {spec.default_unit!r}, {base})",
                    "except ValueError as e:",
                    "    raise _error(sub, '', str(e)) from None",
                    "if len(sub.attrib) > (v is not None):",
                    f"    u = _child_attrs(u, {index}, {{k: x for k, x in sub.items() if k != 'unit'}})",
                    *_line_code(name),
                ]
            elif kind == FLAG:
                lines += [f"{var} = True", "a = sub.items()", "if a:", f"    u = _child_attrs(u, {index}, dict(a))"]
            elif kind == RAW:
                lines.append(f"{var} = sub")
            else:  # RAWS
                lines.append(f"{var}.append(sub)")
            return [pad + line for line in lines]

        def group_code(entries: list[tuple[int, str, Spec]], pad: str) -> list[str]:
            if len(entries) == 1:
                return entry_code(entries[0], pad)
            # fields sharing a tag: the first whose condition holds on the parent's attributes
            lines = ["attrib = el.attrib"]
            for n, entry in enumerate(entries):
                when = entry[2].when
                if when is None or n == len(entries) - 1:
                    lines.append("else:" if n else "if True:")
                    lines += entry_code(entry, "    ")
                    break
                test = f"{_literal(names, when, 'when_')}(attrib)"
                lines.append(f"{'elif' if n else 'if'} {test}:")
                lines += entry_code(entry, "    ")
            return [pad + line for line in lines]

        def dispatch(lo: int, hi: int, pad: str) -> list[str]:
            # a balanced tree of comparisons on the tag's code, at most log2(tags) deep
            if hi - lo == 1:
                return group_code(groups[lo][1], pad)
            if hi - lo == 2:
                deeper = pad + "    "
                return [
                    f"{pad}if k == {lo}:",
                    *group_code(groups[lo][1], deeper),
                    f"{pad}else:",
                    *group_code(groups[lo + 1][1], deeper),
                ]
            mid = (lo + hi) // 2
            deeper = pad + "    "
            return [f"{pad}if k < {mid}:", *dispatch(lo, mid, deeper), f"{pad}else:", *dispatch(mid, hi, deeper)]

        children += dispatch(0, len(groups), "            ")

    post_init = "    o.__attrs_post_init__()" if hasattr(cls, "__attrs_post_init__") else ""
    return _PARSE_TEMPLATE.format(
        init="\n".join(init) or "    pass",
        attributes="\n".join(attributes),
        own_text="\n".join(own_text),
        children="\n".join(children),
        store="\n".join(store),
        post_init=post_init,
    )


# Converters whose output never needs escaping: their format is made of digits, letters, '-'.
def _plain_format(conv: Converter) -> bool:
    if type(conv) in (convert.Int, convert.Hex):
        return True
    if type(conv) is convert.Bool:
        return all(w.replace("-", "").replace("_", "").isalnum() for w in (conv.true, conv.false))  # type: ignore[attr-defined]
    return False


_WRITE_TEMPLATE = """\
def write(self, out, tag, pad, ns):
    u = self._unknown
    h = f'{{pad}}<{{tag}}'
{attributes}
    if u is None:
        E = CA = None
    else:
        E = u.elements or None
        CA = u.child_attrs or None
        if u.nsmap:
            ns = {{**ns, **u.nsmap}}
            h += _xmlns(u.nsmap)
        if u.attrs:
            h += _attrs_text(u.attrs, ns)
{own_text}
{body}
"""

_WRITE_END = """\
    if len(out) == start + 1:
        out[start] = f'{h}/>\\n' if bt is None else f'{h}>{bt}</{tag}>\\n'
    else:
        if bt is None:
            bt = ''
        out[start] = f'{h}>{bt}\\n'
        out.append(f'{pad}</{tag}>\\n')
"""

_WRITE_BODY = """\
    inner = pad + '  '
    start = len(out)
    out.append('')  # the start tag, once we know whether anything follows it
{elements}
""" + _WRITE_END.replace("{", "{{").replace("}", "}}")

_WRITE_LEAF = (
    """\
    if E is None:
        out.append(f'{h}/>\\n' if bt is None else f'{h}>{bt}</{tag}>\\n')
        return
    start = len(out)
    out.append('')
    x = E.get((-1, 0))
    if x:
        _raws(x, out, pad + '  ', ns)
"""
    + _WRITE_END
)


def _f(*parts: str) -> str:
    """Source of an f-string: even parts are literal text, odd parts are expressions (simple names)."""
    code = []
    for n, part in enumerate(parts):
        if n % 2:
            code.append("{" + part + "}")
        else:
            lit = part.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\t", "\\t")
            code.append(lit.replace("{", "{{").replace("}", "}}"))
    return "f'" + "".join(code) + "'"


def _elements_code(c: _Compiled, names: dict[str, Any], plain: bool) -> list[str]:
    elements: list[str] = []
    for index, name, spec in c.elements:
        kind = spec.kind
        tag = spec.tag
        assert tag is not None
        elements.append(f"    v = self.{name}")
        if kind in _LISTS:
            spec_name = _literal(names, spec, "spec_")
            if not plain:
                elements.append(f"    _write_list(out, v, {index}, {tag!r}, {spec_name}, inner, ns, E, CA)")
                continue
            elements.append("    if v:")
            elements.append("        for x in v:")
            if kind == CHILDREN:
                elements.append(f"            x._write(out, {tag!r}, inner, ns)")
            elif kind == RAWS:
                elements.append("            _write_raw(x, out, inner, ns)")
            else:  # TEXTS
                assert spec.conv is not None
                fmt = _literal(names, spec.conv.format, "format_")
                elements.append(f"            t = _text({fmt}(x))")
                elements.append(f"            out.append({_f('', 'inner', f'<{tag}>', 't', f'</{tag}>' + chr(10))})")
            continue
        if kind == CHILD:
            elements.append("    if v is not None:")
            elements.append(f"        v._write(out, {tag!r}, inner, ns)")
        else:
            elements.append("    if v is not None and v is not False:")
            if kind == RAW:
                elements.append(f"        {'_dump_raw' if spec.dump else '_write_raw'}(v, out, inner, ns)")
            else:
                if plain:
                    elements.append("        x = ''")
                else:
                    elements.append(f"        x = CA.get({index}) if CA is not None else None")
                    elements.append("        x = _attrs_text(x, ns) if x else ''")
                if kind == SCALED:
                    open_tag = f"<{tag} unit='{spec.unit}'"
                    elements.append("        t = str(v)")
                elif kind == TEXT:
                    assert spec.conv is not None
                    open_tag = f"<{tag}"
                    if spec.conv is convert.STR:
                        elements.append("        t = _text(v if v.__class__ is str else str(v))")
                    else:
                        lines, escape = _format_value(spec.conv, "v", names)
                        elements += ["        " + line for line in lines]
                        elements.append("        t = _text(v)" if escape else "        t = v")
                else:  # FLAG
                    open_tag = f"<{tag}"
                if kind == FLAG:
                    elements.append(f"        out.append({_f('', 'inner', open_tag, 'x', '/>' + chr(10))})")
                else:
                    elements.append(
                        f"        out.append({_f('', 'inner', open_tag, 'x', '>', 't', f'</{tag}>' + chr(10))})"
                    )
        if not plain:
            elements.append("    if E is not None:")
            elements.append(f"        x = E.get(({index}, 1))")
            elements.append("        if x:")
            elements.append("            _raws(x, out, inner, ns)")
    return elements


def _write_source(cls: type, names: dict[str, Any]) -> str:
    c: _Compiled = cls._xml  # type: ignore[attr-defined]
    attributes: list[str] = []
    for name, xml_name, conv in c.attrs:
        attributes.append(f"    v = self.{name}")
        attributes.append("    if v is not None:")
        lines, escape = _format_value(conv, "v", names)
        attributes += ["        " + line for line in lines]
        value = "v"
        if escape:
            attributes.append("        e = _attr_memo(v)")
            attributes.append("        if e is None:")
            attributes.append("            e = _attr_escape(v)")
            value = "e"
        attributes.append(f"        h += {_f(f' {xml_name}=' + chr(39), value, chr(39))}")
    own_text = ["    bt = None"]
    if c.own_text is not None:
        name, conv = c.own_text
        lines, escape = _format_value(conv, "v", names)
        own_text += [f"    v = self.{name}", "    if v is not None:"] + ["        " + line for line in lines]
        own_text.append("        bt = _text(v)" if escape else "        bt = v")

    if not c.elements:
        leaf = _WRITE_TEMPLATE.format(attributes="\n".join(attributes), own_text="\n".join(own_text), body=_WRITE_LEAF)
        return _keep_open(cls, leaf)

    def elements_code(plain: bool) -> list[str]:
        # plain: no unknown elements or child attributes to put back, so no checks for them
        return _elements_code(c, names, plain)

    plain = elements_code(True)
    anchored = elements_code(False)
    elements = ["    if E is None and CA is None:"] + ["    " + line for line in plain]
    elements += [
        "    else:",
        "        if E is not None:",
        "            x = E.get((-1, 0))",
        "            if x:",
        "                _raws(x, out, inner, ns)",
    ]
    elements += ["    " + line for line in anchored]
    body = _WRITE_BODY.format(elements="\n".join(elements))
    return _keep_open(
        cls, _WRITE_TEMPLATE.format(attributes="\n".join(attributes), own_text="\n".join(own_text), body=body)
    )


def _keep_open(cls: type, source: str) -> str:
    """The formatter of a model libvirt writes with a start and an end tag even when empty
    (``<devices>`` then ``</devices>``): its empty form made so."""
    if not getattr(cls, "_xml_keep_open", False):
        return source
    return source.replace("f'{h}/>\\n' if bt is None", "f'{h}>\\n{pad}</{tag}>\\n' if bt is None")


def _write_list(
    out: list[str],
    value: Any,
    index: int,
    tag: str,
    spec: Spec,
    pad: str,
    ns: dict[str | None, str],
    elements: dict[tuple[int, int], list[etree._Element]] | None,
    child_attrs: dict[int, dict[str, str]] | None,
) -> None:
    """A list field with unknown elements anchored among its items (or attributes kept for them)."""
    extra = child_attrs.get(index) if child_attrs else None
    kind = spec.kind
    for n, item in enumerate(value, 1):
        _write_one(out, kind, tag, spec, item, pad, ns, extra)
        if elements and (index, n) in elements:
            _raws(elements[(index, n)], out, pad, ns)
    if elements:
        # unknown elements anchored past the end of a list that has since shrunk
        for (i, n), extras in elements.items():
            if i == index and n > len(value):
                _raws(extras, out, pad, ns)


def _write_one(
    out: list[str],
    kind: int,
    tag: str,
    spec: Spec,
    value: Any,
    pad: str,
    ns: dict[str | None, str],
    extra: dict[str, str] | None,
) -> None:
    if kind in (CHILD, CHILDREN):
        value._write(out, tag, pad, ns)
        return
    if kind in (RAW, RAWS):
        (_dump_raw if spec.dump else _write_raw)(value, out, pad, ns)
        return
    head = [pad, "<", tag]
    if kind == SCALED:
        head.append(f" unit='{spec.unit}'")
    if extra:
        _write_attrs(head, extra, ns)
    if kind == FLAG:
        head.append("/>\n")
        out.append("".join(head))
        return
    if kind == SCALED:
        body = str(value)
    else:
        assert spec.conv is not None
        body = _text(spec.conv.format(value))
    head.append(f">{body}</{tag}>\n")
    out.append("".join(head))


def _raws(elements: Any, out: list[str], pad: str, ns: dict[str | None, str]) -> None:
    for e in elements:
        _write_raw(e, out, pad, ns)


def _xmlns(nsmap: Mapping[str | None, str]) -> str:
    return "".join(
        f" xmlns='{_attr(uri)}'" if prefix is None else f" xmlns:{prefix}='{_attr(uri)}'"
        for prefix, uri in nsmap.items()
    )


def _attrs_text(attrib: Mapping[str, str], ns: Mapping[str | None, str]) -> str:
    head: list[str] = []
    _write_attrs(head, attrib, ns)
    return "".join(head)


def _compile(cls: type, kind: str, source: str, names: dict[str, Any]) -> Any:
    filename = f"<virt.xml {cls.__module__}.{cls.__qualname__}.{kind}>"
    namespace: dict[str, Any] = {**_RUNTIME, **names}
    exec(_code(source, filename), namespace)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    fn = namespace[kind]
    fn.__qualname__ = f"{cls.__qualname__}._{kind}"
    fn.__module__ = cls.__module__
    return fn


def _code_cache() -> Path | None:
    """Where compiled model code is kept between runs (``$VIRT_XML_CODE_CACHE``, else
    ``$XDG_CACHE_HOME/virt/xml-code``); an empty ``$VIRT_XML_CODE_CACHE`` keeps none."""
    explicit = os.environ.get("VIRT_XML_CODE_CACHE")
    if explicit is not None:
        return Path(explicit) if explicit else None
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "virt" / "xml-code"


def _code(source: str, filename: str) -> types.CodeType:
    """The compiled generated code: compiling it is most of a model's first-use cost (a millisecond a
    model), so the code objects are kept on disk as Python keeps .pyc files, keyed by the source and
    the interpreter. A cache that cannot be read or written is passed over."""
    folder = _code_cache()
    key = hashlib.sha256(f"{sys.version}\0{filename}\0{source}".encode()).hexdigest()
    path = folder / f"{key}.marshal" if folder is not None else None
    if path is not None:
        try:
            code = marshal.loads(path.read_bytes())
            if isinstance(code, types.CodeType):
                return code
        except (OSError, ValueError, EOFError, TypeError):
            pass
    code = compile(source, filename, "exec")
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_bytes(marshal.dumps(code))
            partial.replace(path)  # atomic: a reader sees the whole file or none
        except OSError:
            pass
    return code


# -- serialising kept lxml elements -------------------------------------------------------------


def _text(s: str) -> str:
    if "&" in s or "<" in s or ">" in s:
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return s


_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&apos;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
)


_ATTR_SPECIAL = frozenset("&<>'\"\n\r\t")


def _attr(s: str) -> str:
    if _ATTR_SPECIAL.isdisjoint(s):
        return s
    return s.translate(_ATTR_ESCAPES)


# Attribute values repeat a lot ('pci', '0x0000', 'virtio'): the escaped form of short ones is
# remembered, which is quicker than looking for characters to escape each time.
_ATTR_MEMO: dict[str, str] = {}
_attr_memo = _ATTR_MEMO.get


def _attr_escape(s: str) -> str:
    escaped = _attr(s)
    if len(s) <= 64:
        if len(_ATTR_MEMO) >= 4096:
            _ATTR_MEMO.clear()
        _ATTR_MEMO[s] = escaped
    return escaped


def _qname(name: str, ns: Mapping[str | None, str], attribute: bool = False) -> str:
    if name[0] != "{":
        return name
    uri, local = name[1:].split("}", 1)
    if uri == "http://www.w3.org/XML/1998/namespace":
        return "xml:" + local
    for prefix, u in ns.items():
        if u == uri and (prefix is not None or not attribute):
            return local if prefix is None else f"{prefix}:{local}"
    return local  # unreachable for documents lxml parsed: every namespace in use is declared


def _write_attrs(head: list[str], attrib: Mapping[str, str], ns: Mapping[str | None, str]) -> None:
    for k, v in attrib.items():
        head.append(f" {_qname(k, ns, True)}='{_attr(v)}'")


def _write_raw(el: etree._Element, out: list[str], pad: str, ns: dict[str | None, str]) -> None:
    """Write a kept element: pretty-printed like libvirt when it holds only elements, verbatim otherwise."""
    tag = el.tag
    if tag.__class__ is not str:
        if isinstance(el, etree._Comment):
            out.append(f"{pad}<!--{el.text or ''}-->\n")
        elif isinstance(el, etree._ProcessingInstruction):
            out.append(f"{pad}<?{el.target} {el.text or ''}?>\n")
        return
    if not len(el) and not el.nsmap and tag[0] != "{":
        # the common case, inline: an element without children or namespaces
        head = ""
        items = el.items()
        if items:
            for k, v in items:
                e = _attr_memo(v)
                if e is None:
                    e = _attr_escape(v)
                if k[0] == "{":
                    k = _qname(k, ns, True)
                head += f" {k}='{e}'"
        body = el.text
        if body is None:
            out.append(f"{pad}<{tag}{head}/>\n")
        else:
            out.append(f"{pad}<{tag}{head}>{_text(body)}</{tag}>\n")
        return
    out.append(pad)
    _write_element(el, out, pad, ns, pretty=True)
    out.append("\n")


def _dump_raw(el: etree._Element, out: list[str], pad: str, ns: dict[str | None, str]) -> None:
    """Write a kept element as libxml2's xmlNodeDump writes it with formatting at the depth of ``pad``
    (libvirt's way with ``<metadata>``): double quotes, libxml2's escaping, children indented by two
    spaces where the content is elements only. lxml's serialiser is libxml2's: the element is
    written inside wrappers as deep as ``pad``, which are then cut off."""
    import copy

    kept = copy.deepcopy(el)
    kept.tail = None
    _drop_blanks(kept)
    depth = len(pad) // 2
    root = parent = etree.Element("_")
    for _ in range(depth - 1):
        parent = etree.SubElement(parent, "_")
    if depth:
        parent.append(kept)
    else:
        root = kept
    text = etree.tostring(root, pretty_print=True, encoding="unicode")
    head = "".join("  " * n + "<_>\n" for n in range(depth))
    tail = "".join("  " * n + "</_>\n" for n in reversed(range(depth)))
    assert text.startswith(head) and text.endswith(tail), text
    out.append(text[len(head) : len(text) - len(tail)])


def _drop_blanks(el: etree._Element) -> None:
    """Whitespace between elements goes, as libvirt's parser drops it (libxml2's blank nodes), but
    not in mixed content (an element whose first child is text keeps every character)."""
    if el.text is not None and el.text.strip():
        return
    if len(el):
        el.text = None
    for kid in el:
        if kid.tail is not None and not kid.tail.strip():
            kid.tail = None
        if kid.tag.__class__ is str:
            _drop_blanks(kid)


def _start_tag(el: etree._Element, tag: str, ns: dict[str | None, str]) -> tuple[str, str, dict[str | None, str]]:
    """``<name attr='...'`` of an element, its name, and the namespaces in scope inside it."""
    nsmap = el.nsmap
    declared = None
    if nsmap:
        declared = {p: u for p, u in nsmap.items() if ns.get(p) != u}
        if declared:
            ns = {**ns, **declared}
    name = tag if tag[0] != "{" else _qname(tag, ns)
    head = f"<{name}"
    if declared:
        head += _xmlns(declared)
    items = el.items()
    if items:
        for k, v in items:
            e = _attr_memo(v)
            if e is None:
                e = _attr_escape(v)
            if k[0] == "{":
                k = _qname(k, ns, True)
            head += f" {k}='{e}'"
    return head, name, ns


def _leaf_text(el: etree._Element, tag: str, ns: dict[str | None, str]) -> str:
    head, name, ns = _start_tag(el, tag, ns)
    body = el.text
    if body is None:
        return f"{head}/>"
    return f"{head}>{_text(body)}</{name}>"


def _write_element(el: etree._Element, out: list[str], pad: str, ns: dict[str | None, str], pretty: bool) -> None:
    tag = el.tag
    if not len(el):
        out.append(_leaf_text(el, tag, ns))
        return
    head, name, ns = _start_tag(el, tag, ns)
    out.append(head + ">")
    kids = el[:]
    body = el.text
    blank = (body is None or not body.strip()) and all(k.tail is None or not k.tail.strip() for k in kids)
    if pretty and blank:
        inner = "\n" + pad + "  "
        for k in kids:
            t = k.tag
            if t.__class__ is str and not len(k):
                out.append(inner + _leaf_text(k, t, ns))
            else:
                out.append(inner)
                _write_node(k, out, pad + "  ", ns, pretty=True)
        out.append("\n" + pad + "</" + name + ">")
        return
    # mixed content: keep every character as it was
    if body:
        out.append(_text(body))
    for k in kids:
        _write_node(k, out, pad, ns, pretty=False)
        if k.tail:
            out.append(_text(k.tail))
    out.append("</" + name + ">")


def _write_node(node: etree._Element, out: list[str], pad: str, ns: dict[str | None, str], pretty: bool) -> None:
    if node.tag.__class__ is str:
        _write_element(node, out, pad, ns, pretty)
    elif isinstance(node, etree._Comment):
        out.append(f"<!--{node.text or ''}-->")
    elif isinstance(node, etree._ProcessingInstruction):
        out.append(f"<?{node.target} {node.text or ''}?>")


# -- declaring and parsing documents -----------------------------------------------------------


def _generate_parse(cls: type[XmlModel]) -> None:
    """Replace ``cls``'s first-use parse stub by its generated parser (idempotent)."""
    names: dict[str, Any] = {}
    cls._parse = classmethod(_compile(cls, "parse", _parse_source(cls, names), names))  # type: ignore[assignment]


def _generate_write(cls: type[XmlModel]) -> None:
    """Replace ``cls``'s first-use write stub by its generated formatter (idempotent)."""
    names: dict[str, Any] = {}
    cls._write = _compile(cls, "write", _write_source(cls, names), names)  # type: ignore[method-assign]


def model(tag: str = "", *, keep_open: bool = False) -> Callable[[type[M]], type[M]]:
    """Class decorator: make an attrs model of element ``tag`` and compile its declarations.

    ``keep_open``: written ``<tag>`` then ``</tag>`` on the next line when empty, where libvirt
    always writes both tags (``<devices>``, a storage pool's ``<source>``), instead of ``<tag/>``.
    """

    def wrap(cls: type[M]) -> type[M]:
        new = attrs.define(kw_only=True, eq=False, repr=False)(cls)
        for f in attrs.fields(new):
            if f.converter is not None:
                raise TypeError(f"{new.__name__}.{f.name}: model fields take converters in their declaration")
            if f.default is attrs.NOTHING:
                raise TypeError(f"{new.__name__}.{f.name}: model fields need a default")
        new._xml_tag = tag
        new._xml_keep_open = keep_open
        new._xml = _Compiled(new)

        # Generating the code waits for the model's first use: importing virt.xml stays cheap
        # (the CLI's start-up time counts), and most programs use few of the models.
        def parse_first(klass: type[M], el: etree._Element) -> M:
            _generate_parse(new)
            return new.__dict__["_parse"].__func__(klass, el)  # type: ignore[no-any-return]

        def write_first(self: M, out: list[str], tag: str, pad: str, ns: dict[str | None, str]) -> None:
            _generate_write(new)
            new.__dict__["_write"](self, out, tag, pad, ns)

        new._parse = classmethod(parse_first)  # type: ignore[assignment]
        new._write = write_first  # type: ignore[method-assign, assignment]
        return new

    return wrap


_RUNTIME: dict[str, Any] = {
    "new": object.__new__,
    "_error": _error,
    "_anchor": _anchor,
    "_add_unknown": _add_unknown,
    "_unknown_attrs": _unknown_attrs,
    "_child_attrs": _child_attrs,
    "_scale": convert.scale,
    "_NO_NAMES": frozenset(),
    "_MISSING": object(),
    "_reason": _reason,
    "_attr_memo": _attr_memo,
    "_attr_escape": _attr_escape,
    "_text": _text,
    "_xmlns": _xmlns,
    "_attrs_text": _attrs_text,
    "_raws": _raws,
    "_write_raw": _write_raw,
    "_dump_raw": _dump_raw,
    "_write_list": _write_list,
}


_local = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers must not be shared between threads
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,  # keeps libxml2's limits: depth 256, text node size...
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def parse_document(text: str | bytes) -> etree._Element:
    """Parse untrusted XML text into its root element, or raise XMLError."""
    data = text.encode() if isinstance(text, str) else text
    if len(data) > MAX_DOCUMENT_BYTES:
        raise XMLError(f"XML document is {len(data)} bytes, more than the {MAX_DOCUMENT_BYTES} allowed")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as e:
        raise XMLError(f"malformed XML: {e}") from None
    except ValueError as e:  # e.g. a str with an encoding declaration
        raise XMLError(f"malformed XML: {e}") from None
    if root is None:
        raise XMLError("empty XML document")
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        # no libvirt format uses a DTD; refusing them rules out entity expansion attacks wholesale
        raise XMLError("XML documents with a DOCTYPE are not accepted")
    return root


def libvirt_text(el: etree._Element) -> str:
    """An element kept as a whole written as libvirt writes its own: 2-space indent, single quotes,
    a newline at the end (for documents virt keeps as they are, such as a test host's devices)."""
    out: list[str] = []
    _write_raw(el, out, "", {})
    return "".join(out)


# -- building models in code ---------------------------------------------------------------------


def build(cls: type[M], **values: Any) -> M:
    """A ``cls`` object with ``values`` set (type checkers do not see the initialiser @model makes)."""
    obj = cls()
    for name, value in values.items():
        setattr(obj, name, value)
    return obj


def kept_attribute(obj: XmlModel, name: str) -> str | None:
    """An attribute the model does not declare but keeps (in its unknown store), or None."""
    return obj._unknown.attrs.get(name) if obj._unknown is not None else None


def set_kept_attribute(obj: XmlModel, name: str, value: str) -> None:
    """Set an attribute the model does not declare; it is written after the declared ones."""
    if obj._unknown is None:
        obj._unknown = Unknown()
    obj._unknown.attrs[name] = value


def kept_elements(obj: XmlModel, tag: str) -> list[etree._Element]:
    """The child elements named ``tag`` that the model does not declare but keeps, in document order."""
    unknown = obj._unknown
    if unknown is None:
        return []
    return [el for anchor in sorted(unknown.elements) for el in unknown.elements[anchor] if el.tag == tag]


def add_kept_element(obj: XmlModel, el: etree._Element) -> None:
    """Add a child element the model does not declare but keeps; it is written before the declared
    children (after the kept ones added earlier)."""
    if obj._unknown is None:
        obj._unknown = Unknown()
    obj._unknown.elements.setdefault((-1, 0), []).append(el)
