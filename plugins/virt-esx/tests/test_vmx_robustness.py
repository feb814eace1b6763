"""Bad input gives a VirtError, never another exception: every entry of every corpus .vmx file, and
every attribute of every corpus domain, replaced by values that are wrong in different ways."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from virt.errors import VirtError
from virt.testing import require_corpus
from virt.testing.mutate import attribute_variants
from virt.xml import Domain
from virt_esx.vmx import from_native, to_native
from virt_esx.vmx import syntax as vmx_syntax

BAD_VALUES = ("", "bogus", "-1", "99999999999999999999", "|zz", "a/b.vmdk")
BAD_ATTRIBUTES = ("", "bogus", "-1", "99999999999", "sdz", "[x")


def corpus(name: str) -> Path:
    return require_corpus(name)


def inputs(name: str) -> list[Path]:
    folder = corpus(name)
    lines = (folder / "MANIFEST.jsonl").read_text().splitlines()
    return [folder / json.loads(line)["input"] for line in lines if line.strip()]


def convert_or_refuse(text: str) -> None:
    try:
        domain = from_native(text)
    except VirtError:
        return
    for version in (4, 13):
        with contextlib.suppress(VirtError):
            to_native(domain, virtual_hw_version=version)


def test_every_vmx_entry_with_bad_values() -> None:
    tried = 0
    for path in inputs("vmware-vmx-to-xml"):
        entries = list(vmx_syntax.parse(path.read_text()))
        for n in range(len(entries)):
            for bad in BAD_VALUES:
                pairs = [(e.key, bad if i == n else e.value) for i, e in enumerate(entries)]
                convert_or_refuse("".join(f'{key} = "{value}"\n' for key, value in pairs))
                tried += 1
            convert_or_refuse("".join(f'{e.key} = "{e.value}"\n' for i, e in enumerate(entries) if i != n))
    assert tried > 1000


@pytest.mark.parametrize("cut", [1, 7, 20])
def test_truncated_files(cut: int) -> None:
    for path in inputs("vmware-vmx-to-xml"):
        convert_or_refuse(path.read_text()[:-cut])


def test_every_domain_attribute_with_bad_values() -> None:
    tried = 0
    for path in inputs("xml-to-vmware-vmx"):
        for document in attribute_variants(path.read_bytes(), BAD_ATTRIBUTES):
            with contextlib.suppress(VirtError):
                to_native(Domain.from_xml(document))
            tried += 1
    assert tried > 500
