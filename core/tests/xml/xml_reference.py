"""The generic (interpreted) parser and formatter the compiled ones replaced, kept as their oracle.

It walks a model's ``_xml`` tables field by field, exactly as ``virt.xml.base`` did before it
generated a parse and a format function per model; ``test_compiled.py`` checks that both give the
same objects and byte-identical text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from lxml import etree
from virt.xml import convert
from virt.xml.base import (
    _LISTS,
    CHILD,
    CHILDREN,
    FLAG,
    RAW,
    RAWS,
    SCALED,
    TEXT,
    TEXTS,
    Spec,
    Unknown,
    XmlModel,
    _conv_parse,
    _dump_raw,
    _error,
)

M = TypeVar("M", bound=XmlModel)

_UNIT = frozenset({"unit"})
_NONE: frozenset[str] = frozenset()


def _pick(entries: list[tuple[int, str, Spec]], el: etree._Element) -> tuple[int, str, Spec]:
    attrib = el.attrib
    for entry in entries:
        when = entry[2].when
        if when is None or when(attrib):
            return entry
    return entries[-1]


def _extra_attrs(el: etree._Element, known: frozenset[str]) -> dict[str, str] | None:
    extra = {k: v for k, v in el.attrib.items() if k not in known}
    return extra or None


def from_element(cls: type[M], el: etree._Element) -> M:
    obj = parse(cls, el)
    nsmap = {p: u for p, u in el.nsmap.items() if el.getparent() is None or el.getparent().nsmap.get(p) != u}
    if nsmap:
        unknown = obj._unknown or Unknown()
        unknown.nsmap = nsmap
        obj._unknown = unknown
    obj.post_parse()  # the same normalisation as the generated path: only parsing is compared
    return obj


def parse(cls: type[M], el: etree._Element) -> M:
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
            continue
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
            kw[name] = parse(spec.cls, sub)
        elif kind == CHILDREN:
            assert spec.cls is not None
            kw.setdefault(name, []).append(parse(spec.cls, sub))
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


def to_xml(obj: XmlModel) -> str:
    out: list[str] = []
    write(obj, out, obj._xml_tag, "", {})
    return "".join(out)


def write(self: XmlModel, out: list[str], tag: str, pad: str, ns: dict[str | None, str]) -> None:
    c = self._xml
    unknown = self._unknown
    head = [pad, "<", tag]
    for name, xml_name, conv in c.attrs:
        value = getattr(self, name)
        if value is not None:
            head.append(f" {xml_name}='{_attr(value if conv is convert.STR else conv.format(value))}'")
    if unknown is not None and unknown.nsmap:
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
    out.append("")
    inner = pad + "  "
    elements = unknown.elements if unknown is not None else None
    child_attrs = unknown.child_attrs if unknown is not None else None
    if elements and (-1, 0) in elements:
        for e in elements[(-1, 0)]:
            _write_raw(e, out, inner, ns)
    for index, name, spec in c.elements:
        value = getattr(self, name)
        if not elements and (value is None or value is False or (type(value) is list and not value)):
            continue
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
                for (i, n), extras in elements.items():
                    if i == index and n > len(value):
                        for e in extras:
                            _write_raw(e, out, inner, ns)
        else:
            if kind == CHILD:
                if value is not None:
                    write(value, out, sub_tag, inner, ns)
            elif value is not None and value is not False:
                _write_one(out, kind, sub_tag, spec, value, inner, ns, extra)
            if elements and (index, 1) in elements:
                for e in elements[(index, 1)]:
                    _write_raw(e, out, inner, ns)
    opening = "".join(head)
    if len(out) == start + 1:
        if body_text is None and type(self)._xml_keep_open:
            out[start] = f"{opening}>\n"
            out.append(f"{pad}</{tag}>\n")
        elif body_text is None:
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
        write(value, out, tag, pad, ns)
        return
    if kind in (RAW, RAWS):
        # a dumped element is lxml's (libxml2's) own serialisation, not generated code: shared as is
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


# -- serialising kept lxml elements -------------------------------------------------------------


def _text(s: str) -> str:
    if "&" in s or "<" in s or ">" in s:
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return s


_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&apos;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
)


def _attr(s: str) -> str:
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
    return local


def _write_attrs(head: list[str], attrib: Mapping[str, str], ns: Mapping[str | None, str]) -> None:
    for k, v in attrib.items():
        head.append(f" {_qname(k, ns, True)}='{_attr(v)}'")


def _write_raw(el: etree._Element, out: list[str], pad: str, ns: dict[str | None, str]) -> None:
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
