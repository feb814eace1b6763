"""Hostile input: mutated corpus documents either parse into a model or raise XMLError.

Mutations: byte flips, truncation, duplicated and removed elements, deep nesting, huge attribute
values, odd attribute and text values, entity declarations. Whatever parses must also format,
validate and compare with itself without another exception. Examples are bounded (a derandomized
run of a few hundred, so CI sees the same ones); ``VIRT_FUZZ_EXAMPLES=N`` runs N random ones.
"""

from __future__ import annotations

import copy
import json
import os
import time
from collections.abc import Callable

import pytest
import virt.xml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from test_corpus import CORPUS
from virt.errors import XMLError
from virt.xml import diff

EXAMPLES = int(os.environ.get("VIRT_FUZZ_EXAMPLES", "0"))


def _documents() -> list[bytes]:
    if CORPUS is None:
        return []
    found = []
    for manifest in sorted(CORPUS.glob("*/MANIFEST.jsonl")):
        for n, line in enumerate(manifest.read_text().splitlines()):
            name = json.loads(line)["input"]
            # every format, a few documents of each, small and large
            if name.endswith(".xml") and n % 15 == 0:
                found.append((manifest.parent / name).read_bytes())
    return found


DOCUMENTS = _documents()

ODD_VALUES = [
    "", " ", "-1", "0", "0x", "0xffffffffffffffffffff", "99999999999999999999999", "1e400", "nan", "abc",
    "yes", "on", "\u00e9\u4e2d", "a" * 300, "00:00:00:00:00:00:00", "../../etc/passwd", "-0", "1.5", "\t\n",
]  # fmt: skip

Mutation = Callable[[bytes, st.DataObject], bytes]


def _tree(doc: bytes) -> etree._Element:
    return etree.fromstring(doc, etree.XMLParser(resolve_entities=False, no_network=True))


def _bytes(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root))


def _pick(root: etree._Element, data: st.DataObject) -> etree._Element:
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    return elements[data.draw(st.integers(0, len(elements) - 1), label="element")]


def flip_bytes(doc: bytes, data: st.DataObject) -> bytes:
    out = bytearray(doc)
    for _ in range(data.draw(st.integers(1, 8), label="flips")):
        i = data.draw(st.integers(0, len(out) - 1), label="at")
        out[i] ^= data.draw(st.integers(1, 255), label="xor")
    return bytes(out)


def truncate(doc: bytes, data: st.DataObject) -> bytes:
    return doc[: data.draw(st.integers(0, len(doc) - 1), label="length")]


def duplicate_element(doc: bytes, data: st.DataObject) -> bytes:
    root = _tree(doc)
    el = _pick(root, data)
    if el is root:
        return doc + doc  # two roots
    for _ in range(data.draw(st.integers(1, 3), label="copies")):
        el.addnext(copy.deepcopy(el))
    return _bytes(root)


def remove_element(doc: bytes, data: st.DataObject) -> bytes:
    root = _tree(doc)
    el = _pick(root, data)
    parent = el.getparent()
    if parent is not None:
        parent.remove(el)
    return _bytes(root)


def nest_deeply(doc: bytes, data: st.DataObject) -> bytes:
    root = _tree(doc)
    el = _pick(root, data)
    depth = data.draw(st.sampled_from([2, 50, 255, 300, 5000]), label="depth")
    tag = el.tag if data.draw(st.booleans(), label="same tag") else "x"
    inner = etree.tostring(el, with_tail=False)
    nested = f"<{tag}>".encode() * depth + inner + f"</{tag}>".encode() * depth
    text = _bytes(root)
    return text.replace(inner, nested, 1)


def huge_attribute(doc: bytes, data: st.DataObject) -> bytes:
    root = _tree(doc)
    el = _pick(root, data)
    names = list(el.attrib) or ["type"]
    name = data.draw(st.sampled_from(names), label="attribute")
    el.set(
        name,
        data.draw(st.sampled_from(["9", "a", "\u00e9"]), label="char")
        * data.draw(st.sampled_from([10_000, 1_000_000, 5_000_000]), label="size"),
    )
    return _bytes(root)


def odd_values(doc: bytes, data: st.DataObject) -> bytes:
    root = _tree(doc)
    for _ in range(data.draw(st.integers(1, 4), label="changes")):
        el = _pick(root, data)
        value = data.draw(st.sampled_from(ODD_VALUES) | st.text(max_size=20), label="value")
        value = "".join(ch for ch in value if ch in "\t\n\r" or " " <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd")
        if el.attrib and data.draw(st.booleans(), label="attribute?"):
            el.set(data.draw(st.sampled_from(list(el.attrib)), label="name"), value)
        elif not len(el):
            el.text = value
    return _bytes(root)


def entities(doc: bytes, data: st.DataObject) -> bytes:
    kind = data.draw(st.sampled_from(["laughs", "external", "parameter", "internal subset only"]), label="dtd")
    if kind == "laughs":
        decls = '<!ENTITY a "aaaaaaaaaa">' + "".join(
            f'<!ENTITY {c} "&{p};&{p};&{p};&{p};&{p};&{p};&{p};&{p};">'
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        use = "&i;"
    elif kind == "external":
        decls, use = '<!ENTITY x SYSTEM "file:///etc/passwd">', "&x;"
    elif kind == "parameter":
        decls, use = '<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;', ""
    else:
        decls, use = "", ""
    root = _tree(doc)
    el = _pick(root, data)
    marker = "ENTITYMARKER"
    if not len(el):
        el.text = marker
    body = etree.tostring(root).decode().replace(marker, use)
    return f"<!DOCTYPE {root.tag} [{decls}]>\n{body}".encode()


MUTATIONS: list[Mutation] = [
    flip_bytes, truncate, duplicate_element, remove_element, nest_deeply, huge_attribute, odd_values, entities,
]  # fmt: skip


def check(doc: bytes) -> None:
    """Parse ``doc``: a model (which then formats, validates and compares) or XMLError, quickly."""
    start = time.perf_counter()
    try:
        model = virt.xml.parse(doc)
    except XMLError:
        return
    finally:
        assert time.perf_counter() - start < 5, "parsing took more than 5 s"
    text = model.to_xml()
    model.problems()
    again = virt.xml.parse(text)
    diff(model, again)


@pytest.mark.corpus
@settings(
    max_examples=EXAMPLES or 400,
    derandomize=not EXAMPLES,
    deadline=None,  # the per-example bound is in check(); first uses compile models
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_mutated_documents_parse_or_raise_xml_error(data: st.DataObject) -> None:
    doc = data.draw(st.sampled_from(DOCUMENTS), label="document")
    mutation = data.draw(st.sampled_from(MUTATIONS), label="mutation")
    check(mutation(doc, data))


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.__name__ for m in MUTATIONS])
@pytest.mark.corpus
@settings(max_examples=25, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_each_mutation(mutation: Mutation, data: st.DataObject) -> None:
    doc = data.draw(st.sampled_from(DOCUMENTS), label="document")
    check(mutation(doc, data))


def test_hostile_documents_without_corpus() -> None:
    """The classic attacks need no corpus."""
    laughs = (
        '<!DOCTYPE domain [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><domain>&b;</domain>'
    )
    for doc in [
        laughs,
        '<!DOCTYPE domain [<!ENTITY x SYSTEM "file:///etc/passwd">]><domain><name>&x;</name></domain>',
        "<domain>" * 10_000 + "</domain>" * 10_000,
        "<domain type='" + "a" * 5_000_000 + "'/>",
        "",
        "\x00",
        "<domain><name>a</name><name>b</name><memory unit='zz'>1</memory></domain>",
        "<domain><vcpu current='-1'>99999999999999999999999999</vcpu></domain>",
    ]:
        check(doc.encode())
