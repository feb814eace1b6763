"""The Xen suites of libvirt's conformance corpus (shared/conformance), read at test time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lxml import etree
from virt.testing import require_corpus

XEN_SUITES = ("xen-xl-to-xml", "xml-to-xen-xl", "xen-xm-to-xml")


def cases(suite: str) -> list[tuple[str, Path, Path]]:
    """(id, input, expected) of every case of ``suite``; the test skips when the corpus is absent."""
    folder = require_corpus(suite)
    lines = (folder / "MANIFEST.jsonl").read_text().splitlines()
    found = [json.loads(line) for line in lines if line.strip()]
    return [(case["id"], folder / case["input"], folder / case["expected"]) for case in found]


# xlconfigtest.c's DO_TEST_PARSE cases: domain XML -> xl only, their XML is not libvirt's output
XML_TO_XL_ONLY = {"test-fullvirt-vnuma-nodistances", "test-fullvirt-vnuma-partialdist"}
# its DO_TEST_FORMAT cases: xl -> domain XML only, their xl.cfg is not libvirt's output
XL_TO_XML_ONLY = {
    "test-disk-qed",
    "test-fullvirt-direct-kernel-boot-bogus-extra",
    "test-fullvirt-direct-kernel-boot-extra",
    "test-paravirt-cmdline-bogus-extra-root",
}


def canon(text: str) -> Any:
    """An XML document as comparable data: attributes in any order, whitespace-only text dropped."""
    root = etree.fromstring(text.encode(), etree.XMLParser(remove_blank_text=True))

    def walk(el: etree._Element) -> Any:
        body = el.text if el.text and el.text.strip() else None
        return (el.tag, sorted(el.attrib.items()), body, [walk(c) for c in el if isinstance(c.tag, str)])

    return walk(root)
