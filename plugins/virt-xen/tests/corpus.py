"""The Xen suites of libvirt's conformance corpus (shared/conformance), read at test time."""

from __future__ import annotations

import json
from pathlib import Path

from virt.testing import require_corpus

XEN_SUITES = ("xen-xl-to-xml", "xml-to-xen-xl", "xen-xm-to-xml")


def cases(suite: str) -> list[tuple[str, Path, Path]]:
    """(id, input, expected) of every case of ``suite``; the test skips when the corpus is absent."""
    folder = require_corpus(suite)
    lines = (folder / "MANIFEST.jsonl").read_text().splitlines()
    found = [json.loads(line) for line in lines if line.strip()]
    return [(case["id"], folder / case["input"], folder / case["expected"]) for case in found]
