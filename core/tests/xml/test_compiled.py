"""The per-model compiled parser and formatter against the generic interpreter they replaced.

Across the whole conformance corpus (each document as written and, for domains, perturbed the
way the scorer does), parsing must give equal objects and formatting byte-identical text, and a
document one rejects the other must reject with the same message.
"""

from __future__ import annotations

import copy
import uuid
from pathlib import Path

import attrs
import pytest
import virt.xml
import xml_reference as reference
from lxml import etree
from test_corpus import CORPUS, perturbed
from virt.errors import XMLError
from virt.xml import Domain
from virt.xml.base import XmlModel, attribute, child, children, flag, model, parse_document, raw, raws, scaled, text
from virt.xml.convert import INT, YESNO


def _model_of(root: etree._Element) -> type[XmlModel] | None:
    return virt.xml.model_for(root.tag) if isinstance(root.tag, str) else None


def check_same(text: str) -> None:
    """Compiled and reference agree on ``text``: same objects, same output, or the same error."""
    try:
        root = parse_document(text)
    except XMLError:
        return
    cls = _model_of(root)
    if cls is None:
        return
    try:
        want = reference.from_element(cls, root)
    except XMLError as e:
        with pytest.raises(XMLError) as got:
            cls.from_element(parse_document(text))
        assert str(got.value) == str(e)
        return
    got_obj = cls.from_element(parse_document(text))
    assert got_obj == want
    assert reference.from_element(cls, parse_document(text)) == got_obj
    out = got_obj.to_xml()
    assert out == reference.to_xml(want)
    assert out == reference.to_xml(got_obj)
    assert want.to_xml() == out


def _suites() -> list[Path]:
    if CORPUS is None:
        return []
    return sorted(d for d in CORPUS.iterdir() if d.is_dir() and any(d.glob("*.xml")))


SUITES = _suites()


@pytest.mark.corpus
@pytest.mark.parametrize("suite", SUITES, ids=[s.name for s in SUITES] or None)
def test_corpus_same_as_reference(suite: Path) -> None:
    for path in sorted(suite.glob("*.xml")):
        src = path.read_text(errors="replace")
        try:
            check_same(src)
            if src.lstrip().startswith("<domain"):
                check_same(perturbed(src))
        except AssertionError as e:
            raise AssertionError(f"{path.name}: {e}") from None


# -- the corners the corpus does not reach ---------------------------------------------------------


@model()
class Part(XmlModel):
    name: str | None = attribute("name")
    size: int | None = attribute("size", INT)
    label: str | None = text(None)


def _is_special(attrib: object) -> bool:
    return attrib.get("kind") == "special"


@model("box")
class Box(XmlModel):
    kind: str | None = attribute("kind")
    on: bool | None = attribute("on", YESNO, default=False)
    title: str | None = text("title", default="untitled")
    enabled: bool | None = text("enabled", YESNO)
    mem: int | None = scaled("mem", "MiB", default_unit="KiB")
    special: etree._Element | None = raw("part", when=_is_special)
    part: Part | None = child("part", Part)
    parts: list[Part] = children("piece", Part)
    ready: bool = flag("ready")
    blobs: list[etree._Element] = raws("blob")


TRICKY = [
    "<box/>",
    "<box kind='a&amp;b&lt;&gt;&quot;&apos;&#10;&#9;&#13;'/>",
    "<box kind=\"it's\" extra='x' on='yes'><title>a &amp; b &lt; c &gt; d ' \"</title></box>",
    "<box><title/><enabled>no</enabled><mem>2048</mem></box>",
    "<box><mem unit='GiB' x='1'>1</mem><ready y='2'/><title z='3'>t</title></box>",
    "<box><u1/><title>t</title><u2/><u3/><piece name='a'/><u4/><piece name='b'/><u5/><ready/><u6/></box>",
    "<box kind='special'><part name='p'/></box>",
    "<box><part name='p' size='3'>lbl<x/>tail</part></box>",
    "<box><part>  </part><part>   <y/></part></box>",
    "<box><title>a</title><title>b</title><u/><title>c</title><u/></box>",
    "<box xmlns:q='urn:q' q:attr='v'><q:thing q:a='1'>x</q:thing><blob><b xmlns='urn:d'><c/></b></blob></box>",
    "<box><blob>mixed <b>bold</b> text</blob><blob><!--c--><x/></blob></box>",
    "<box><piece size='x'/></box>",
    "<box><mem unit='furlong'>1</mem></box>",
    "<box><enabled>maybe</enabled></box>",
    "<box on='perhaps'/>",
]


@pytest.mark.parametrize("doc", TRICKY)
def test_tricky_same_as_reference(doc: str) -> None:
    try:
        want = reference.from_element(Box, parse_document(doc))
    except XMLError as e:
        with pytest.raises(XMLError) as got:
            Box.from_xml(doc)
        assert str(got.value) == str(e)
        return
    got_obj = Box.from_xml(doc)
    assert got_obj == want
    assert got_obj.to_xml() == reference.to_xml(want)


def test_defaults_and_factories() -> None:
    a = Box.from_xml("<box/>")
    b = Box.from_xml("<box/>")
    assert a == Box() == b
    assert a.on is False and a.title == "untitled" and a.parts == [] and a.blobs == []
    a.parts.append(Part(name="x"))
    assert b.parts == []  # every object gets its own list


def test_edits_evolve_and_copies_format_like_reference() -> None:
    doc = "<box><u0/><piece name='a'/><u1/><piece name='b'/><u2/><piece name='c'/><u3/><ready/></box>"
    box = Box.from_xml(doc)
    box.parts.pop()  # unknown elements anchored past the end of the list are still written
    box.parts[0].size = 7
    box.kind = "k'<&\"\n\t"
    box.title = "x & <y>"
    box.ready = False
    assert box.to_xml() == reference.to_xml(box)
    changed = attrs.evolve(box, mem=5, enabled=True)
    assert changed != box
    assert changed.to_xml() == reference.to_xml(changed)
    assert copy.deepcopy(changed) == changed
    assert Box.from_xml(changed.to_xml()).to_xml() == changed.to_xml()


def test_built_domain_formats_like_reference() -> None:
    d = Domain(type="kvm", name="n", uuid=uuid.UUID(int=5), memory=1024, current_memory=512)
    assert d.to_xml() == reference.to_xml(d)
    d.post_parse()  # what parsing adds (libvirt's defaults), so that the text comes back equal
    assert Domain.from_xml(d.to_xml()) == d


def test_subclass_without_model_parses_as_itself() -> None:
    @attrs.define(kw_only=True)
    class MyPart(Part):
        pass

    p = MyPart.from_element(etree.fromstring("<part name='x'>l</part>"))
    assert type(p) is MyPart and p.name == "x" and p.label == "l"


def test_child_model_reached_from_compiled_parent() -> None:
    @model("outer")
    class Outer(XmlModel):
        inner: Part | None = child("inner", Part)
        inners: list[Part] = children("i", Part)

    o = Outer.from_xml("<outer><inner name='a'/><i size='1'/><i/></outer>")
    assert o.inner == Part(name="a") and o.inners == [Part(size=1), Part()]
    assert o.to_xml() == reference.to_xml(o)
