"""The field-declaration machinery behind every XML model.

A model is an attrs class whose fields say where they live in the XML, one line each::

    @model("domain")
    class Domain(XmlModel):
        type: str | None = attribute("type")
        name: str | None = text("name")
        os: OS | None = child("os", OS)
        disks: list[Disk] = children("disk", Disk)

Element order on output is the declaration order, so there is no ordering to keep by hand.
``@model`` compiles the declarations once into lookup tables used by the parser and the
formatter. Anything a model does not declare (attributes, elements, a vendor namespace) is kept
in the object's ``unknown`` store and written back at the position it was read from, so a
partial model still round-trips every document.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import attrs
from lxml import etree

from virt.errors import XMLError
from virt.xml import convert
from virt.xml.convert import Converter

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024

_SPEC = "virt.xml"

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


def raw(tag: str, *, when: When | None = None) -> Any:
    """A child element kept as an lxml element, verbatim: declared for its position until it gets a model."""
    return _field(Spec(RAW, tag, when=when))


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

    __slots__ = ("attrs", "attrs_by_name", "elements", "elements_by_tag", "own_text")

    def __init__(self, cls: type) -> None:
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


def _pick(entries: list[tuple[int, str, Spec]], el: etree._Element) -> tuple[int, str, Spec]:
    attrib = el.attrib
    for entry in entries:
        when = entry[2].when
        if when is None or when(attrib):
            return entry
    return entries[-1]


def _extra_attrs(el: etree._Element, known: set[str] | frozenset[str]) -> dict[str, str] | None:
    extra = {k: v for k, v in el.attrib.items() if k not in known}
    return extra or None


_UNIT = frozenset({"unit"})
_NONE: frozenset[str] = frozenset()

M = TypeVar("M", bound="XmlModel")


@attrs.define(kw_only=True)
class XmlModel:
    """Base of every model: parsing, formatting, and the store of undeclared XML."""

    _xml_tag: ClassVar[str] = ""
    _xml: ClassVar[_Compiled]

    _unknown: Unknown | None = attrs.field(default=None, repr=False, eq=attrs.cmp_using(eq=_unknown_eq))

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
        nsmap = {p: u for p, u in el.nsmap.items() if el.getparent() is None or el.getparent().nsmap.get(p) != u}
        if nsmap:
            unknown = obj._unknown or Unknown()
            unknown.nsmap = nsmap
            obj._unknown = unknown
        return obj

    @classmethod
    def _parse(cls: type[M], el: etree._Element) -> M:
        c = cls._xml
        kw: dict[str, Any] = {}
        unknown: Unknown | None = None
        for name, value in el.items():
            known = c.attrs_by_name.get(name)
            if known is None:
                if unknown is None:
                    unknown = Unknown()
                unknown.attrs[name] = value
            elif known[1] is convert.STR:
                kw[known[0]] = value
            else:
                try:
                    kw[known[0]] = known[1].parse(value)
                except ValueError as e:
                    raise _error(el, f"/@{name}", str(e)) from None
        if c.own_text is not None and el.text is not None and (el.text.strip() or len(el) == 0):
            kw[c.own_text[0]] = _conv_parse(c.own_text[1], el.text, el)
        anchor = (-1, 0)
        counts: dict[int, int] = {}
        for sub in el:
            tag = sub.tag
            if not isinstance(tag, str):
                continue  # comments and processing instructions: libvirt drops them too
            entries = c.elements_by_tag.get(tag)
            if entries is None:
                if unknown is None:
                    unknown = Unknown()
                unknown.elements.setdefault(anchor, []).append(sub)
                continue
            index, name, spec = entries[0] if len(entries) == 1 else _pick(entries, el)
            kind = spec.kind
            n = counts.get(index, 0) + 1
            counts[index] = n
            anchor = (index, n)
            extra: dict[str, str] | None = None
            if kind == CHILD:
                assert spec.cls is not None
                kw[name] = spec.cls._parse(sub)
            elif kind == CHILDREN:
                assert spec.cls is not None
                kw.setdefault(name, []).append(spec.cls._parse(sub))
            elif kind == TEXT:
                assert spec.conv is not None
                value = sub.text or ""
                kw[name] = value if spec.conv is convert.STR else _conv_parse(spec.conv, value, sub)
                if sub.attrib:
                    extra = _extra_attrs(sub, _NONE)
            elif kind == TEXTS:
                assert spec.conv is not None
                kw.setdefault(name, []).append(_conv_parse(spec.conv, sub.text or "", sub))
            elif kind == SCALED:
                assert spec.unit is not None and spec.default_unit is not None
                unit = sub.get("unit") or spec.default_unit
                try:
                    kw[name] = convert.scale(sub.text or "", unit, convert.unit_bytes(spec.unit))
                except ValueError as e:
                    raise _error(sub, "", str(e)) from None
                if len(sub.attrib) > ("unit" in sub.attrib):
                    extra = _extra_attrs(sub, _UNIT)
            elif kind == FLAG:
                kw[name] = True
                if sub.attrib:
                    extra = _extra_attrs(sub, _NONE)
            elif kind == RAW:
                kw[name] = sub
            else:  # RAWS
                kw.setdefault(name, []).append(sub)
            if extra:
                if unknown is None:
                    unknown = Unknown()
                unknown.child_attrs[index] = extra
        obj = cls(**kw)
        if unknown is not None:
            obj._unknown = unknown
        return obj

    # -- formatting ----------------------------------------------------------------------------

    def to_xml(self) -> str:
        """The document as libvirt formats it: 2-space indent, single quotes, trailing newline."""
        out: list[str] = []
        self._write(out, self._xml_tag, "", {})
        return "".join(out)

    def to_element(self) -> etree._Element:
        return etree.fromstring(self.to_xml().encode(), _parser())

    def __str__(self) -> str:
        return self.to_xml()

    def _write(self, out: list[str], tag: str, pad: str, ns: dict[str | None, str]) -> None:
        c = self._xml
        unknown = self._unknown
        head = [pad, "<", tag]
        for name, xml_name, conv in c.attrs:
            value = getattr(self, name)
            if value is not None:
                head.append(f" {xml_name}='{_attr(value if conv is convert.STR else conv.format(value))}'")
        if unknown is not None and unknown.nsmap:
            # libvirt writes namespace declarations after the attributes
            ns = {**ns, **unknown.nsmap}
            for prefix, uri in unknown.nsmap.items():
                head.append(f" xmlns='{_attr(uri)}'" if prefix is None else f" xmlns:{prefix}='{_attr(uri)}'")
        if unknown is not None and unknown.attrs:
            _write_attrs(head, unknown.attrs, ns)
        body_text = None
        if c.own_text is not None:
            value = getattr(self, c.own_text[0])
            if value is not None:
                body_text = _text(c.own_text[1].format(value))
        start = len(out)
        out.append("")  # the start tag, filled in once we know whether there are children
        inner = pad + "  "
        elements = unknown.elements if unknown is not None else None
        child_attrs = unknown.child_attrs if unknown is not None else None
        if elements and (-1, 0) in elements:
            for e in elements[(-1, 0)]:
                _write_raw(e, out, inner, ns)
        for index, name, spec in c.elements:
            value = getattr(self, name)
            if not elements and (value is None or value is False or (type(value) is list and not value)):
                continue  # nothing to write
            kind = spec.kind
            sub_tag = spec.tag
            assert sub_tag is not None
            extra = child_attrs.get(index) if child_attrs else None
            if kind in _LISTS:
                for n, item in enumerate(value, 1):
                    _write_one(out, kind, sub_tag, spec, item, inner, ns, extra)
                    if elements and (index, n) in elements:
                        for e in elements[(index, n)]:
                            _write_raw(e, out, inner, ns)
                if elements:
                    # unknown elements anchored past the end of a list that has since shrunk
                    for (i, n), extras in elements.items():
                        if i == index and n > len(value):
                            for e in extras:
                                _write_raw(e, out, inner, ns)
            else:
                if kind == CHILD:
                    if value is not None:
                        value._write(out, sub_tag, inner, ns)
                elif value is not None and value is not False:
                    _write_one(out, kind, sub_tag, spec, value, inner, ns, extra)
                if elements and (index, 1) in elements:
                    for e in elements[(index, 1)]:
                        _write_raw(e, out, inner, ns)
        opening = "".join(head)
        if len(out) == start + 1:
            if body_text is None:
                out[start] = opening + "/>\n"
            else:
                out[start] = f"{opening}>{body_text}</{tag}>\n"
        else:
            out[start] = f"{opening}>{body_text or ''}\n"
            out.append(f"{pad}</{tag}>\n")


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
        _write_raw(value, out, pad, ns)
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
    if not isinstance(tag, str):
        if isinstance(el, etree._Comment):
            out.append(f"{pad}<!--{el.text or ''}-->\n")
        elif isinstance(el, etree._ProcessingInstruction):
            out.append(f"{pad}<?{el.target} {el.text or ''}?>\n")
        return
    out.append(pad)
    _write_element(el, out, pad, ns, pretty=True)
    out.append("\n")


def _write_element(el: etree._Element, out: list[str], pad: str, ns: dict[str | None, str], pretty: bool) -> None:
    declared = {p: u for p, u in el.nsmap.items() if ns.get(p) != u}
    if declared:
        ns = {**ns, **declared}
    name = _qname(el.tag, ns)
    head = ["<", name]
    for prefix, uri in declared.items():
        head.append(f" xmlns='{_attr(uri)}'" if prefix is None else f" xmlns:{prefix}='{_attr(uri)}'")
    _write_attrs(head, el.attrib, ns)
    kids = list(el)
    body = el.text
    if not kids:
        if body is None:
            head.append("/>")
        else:
            head.append(f">{_text(body)}</{name}>")
        out.append("".join(head))
        return
    out.append("".join(head) + ">")
    blank = (body is None or not body.strip()) and all(k.tail is None or not k.tail.strip() for k in kids)
    if pretty and blank:
        inner = pad + "  "
        for k in kids:
            out.append("\n" + inner)
            _write_node(k, out, inner, ns, pretty=True)
        out.append(f"\n{pad}</{name}>")
        return
    # mixed content: keep every character as it was
    if body:
        out.append(_text(body))
    for k in kids:
        _write_node(k, out, pad, ns, pretty=False)
        if k.tail:
            out.append(_text(k.tail))
    out.append(f"</{name}>")


def _write_node(node: etree._Element, out: list[str], pad: str, ns: dict[str | None, str], pretty: bool) -> None:
    if isinstance(node.tag, str):
        _write_element(node, out, pad, ns, pretty)
    elif isinstance(node, etree._Comment):
        out.append(f"<!--{node.text or ''}-->")
    elif isinstance(node, etree._ProcessingInstruction):
        out.append(f"<?{node.target} {node.text or ''}?>")


# -- declaring and parsing documents -----------------------------------------------------------


def model(tag: str = "") -> Callable[[type[M]], type[M]]:
    """Class decorator: make an attrs model of element ``tag`` and compile its declarations."""

    def wrap(cls: type[M]) -> type[M]:
        new = attrs.define(kw_only=True)(cls)
        new._xml_tag = tag
        new._xml = _Compiled(new)
        return new

    return wrap


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
