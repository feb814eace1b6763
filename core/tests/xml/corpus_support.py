"""Shared by the xml tests: the corpus scorer's way of comparing documents, and an xml2xml suite's score."""

from __future__ import annotations

import json

import virt.xml
from lxml import etree
from virt.testing import require_corpus


def canon(xml: str) -> object:
    """A document as the corpus scorer compares it: whitespace-only text dropped, attributes in any order."""
    root = etree.fromstring(xml.encode(), etree.XMLParser(remove_blank_text=True))

    def walk(e: etree._Element) -> object:
        t = e.text if e.text and e.text.strip() else None
        return (e.tag, tuple(sorted(e.attrib.items())), t, tuple(walk(k) for k in e if isinstance(k.tag, str)))

    return walk(root)


def xml2xml_score(suite: str) -> tuple[int, int]:
    """Cases of a corpus xml2xml suite that give libvirt's output, compared as the scorer does."""
    folder = require_corpus(suite)
    cases = [json.loads(line) for line in (folder / "MANIFEST.jsonl").read_text().splitlines()]
    passed = 0
    for case in cases:
        out = virt.xml.parse((folder / case["input"]).read_text()).to_xml()
        passed += canon(out) == canon((folder / case["expected"]).read_text())
    return passed, len(cases)
