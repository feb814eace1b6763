"""virt.xml.diff: semantic differences between two models, as paths with old and new values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import virt.xml
from test_corpus import CORPUS, perturbed
from virt.xml import Change, Domain, diff

BASE = """<domain type='kvm'>
  <name>vm</name>
  <uuid>1b826c23-8767-47ad-a6b5-c83a88277f71</uuid>
  <memory unit='KiB'>1048576</memory>
  <vcpu placement='static'>2</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <cputune><shares>10</shares></cputune>
  <devices>
    <disk type='file' device='disk'>
      <source file='/a.img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <source file='/b.img'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:00:00:01'/>
      <source network='default'/>
    </interface>
  </devices>
</domain>
"""


def domain(text: str = BASE) -> Domain:
    model = virt.xml.parse(text)
    assert isinstance(model, Domain)
    return model


def lines(a: Domain, b: Domain) -> list[str]:
    return [str(c) for c in diff(a, b)]


def test_same_document_no_changes() -> None:
    assert diff(domain(), domain()) == []


def test_formatting_and_units_do_not_count() -> None:
    other = (
        BASE.replace("<memory unit='KiB'>1048576</memory>", "<memory unit='GiB'>1</memory>")
        .replace("type='file' device='disk'", "device='disk'   type='file'")
        .replace("\n", "\n\n  ")
    )
    assert diff(domain(), domain(other)) == []


def test_value_change() -> None:
    b = domain()
    b.memory = 2097152
    b.current_memory = 2097152
    assert "/domain/memory: 1048576 -> 2097152" in lines(domain(), b)


def test_disk_added_and_removed_by_identity() -> None:
    a, b = domain(), domain()
    assert b.devices is not None
    b.devices.disks.pop(0)
    assert lines(a, b) == ["/domain/devices/disk[1]: removed"]
    assert lines(b, a) == ["/domain/devices/disk[1]: added"]
    added = diff(b, a)[0]
    assert added.kind == "added" and added.old is None
    assert added.new is not None and "<target dev='vda' bus='virtio'/>" in added.new


def test_change_inside_matched_disk() -> None:
    b = domain(BASE.replace("/b.img", "/c.img"))
    assert lines(domain(), b) == ["/domain/devices/disk[2]/source/@file: /b.img -> /c.img"]


def test_reordered_disks() -> None:
    a = domain()
    b = domain()
    assert b.devices is not None
    b.devices.disks.reverse()
    assert [c.kind for c in diff(a, b)] == ["reordered"]


def test_kept_raw_elements_compared_inside() -> None:
    b = domain(BASE.replace("<shares>10</shares>", "<shares>20</shares><period>5</period>"))
    assert lines(domain(), b) == ["/domain/cputune/shares: 10 -> 20", "/domain/cputune/period: added"]


def test_unknown_attributes_and_elements() -> None:
    b = domain(BASE.replace("<name>vm</name>", "<name>vm</name><x:y xmlns:x='urn:x' a='1'/>"))
    assert lines(domain(), b) == ["/domain/y: added"]


def test_empty_element_same_as_absent() -> None:
    a = domain(BASE.replace(BASE[BASE.index("  <devices>") : BASE.index("</domain>")], ""))
    b = domain(BASE.replace(BASE[BASE.index("  <devices>") : BASE.index("</domain>")], "  <devices/>\n"))
    assert diff(a, b) == []


def test_different_models_refused() -> None:
    with pytest.raises(TypeError):
        diff(domain(), virt.xml.parse("<network><name>n</name></network>"))


def test_change_str() -> None:
    assert str(Change("/domain/name", "a", "b")) == "/domain/name: a -> b"
    assert str(Change("/domain/devices/disk[2]", None, "<disk/>", "added")) == "/domain/devices/disk[2]: added"


def _domains() -> list[Path]:
    if CORPUS is None:
        return []
    found = []
    for manifest in sorted(CORPUS.glob("domain-roundtrip*/MANIFEST.jsonl")):
        for line in manifest.read_text().splitlines():
            found.append(manifest.parent / json.loads(line)["input"])
    return found


@pytest.mark.corpus
def test_corpus_written_differently_is_no_change() -> None:
    """Every corpus domain against itself reordered and in other units: nothing changes."""
    checked = 0
    for path in _domains():
        text = path.read_text()
        try:
            a, b = virt.xml.parse(text), virt.xml.parse(perturbed(text))
        except virt.xml.XMLError:
            continue
        assert diff(a, b) == [], path.name
        checked += 1
    assert checked > 400
