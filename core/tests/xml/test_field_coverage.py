"""Every XML field of every model is exercised by some test (after virt-manager's check of its XML properties).

A field counts once the session has parsed a document giving it a value other than its default
and formatted an object holding one (see field_coverage.py). The check is the last test of the
run and judges only a run of this whole directory (alone or within the whole suite). A field the
corpus tests do not reach gets a small test of its own in a ``test_fields_*.py`` module.
"""

from __future__ import annotations

import field_coverage as fc
import pytest
from lxml import etree
from virt.testing import not_applicable, require_corpus
from virt.xml.base import XmlModel, attribute, child, children, flag, model, raw, text


@model()
class _Leaf(XmlModel):
    name: str | None = attribute("name")


@model("root")
class _Root(XmlModel):
    kind: str | None = attribute("kind", default="plain")
    label: str | None = text("label")
    on: bool = flag("on")
    extra: etree._Element | None = raw("extra")
    leaf: _Leaf | None = child("leaf", _Leaf)
    leaves: list[_Leaf] = children("item", _Leaf)


def test_recorder_counts_values_parsed_and_formatted() -> None:
    before = vars(XmlModel)["to_xml"]  # the session's recorder's wrapper: this one goes inside it
    recorder = fc.Recorder()
    recorder.install()
    try:
        doc = _Root.from_xml("<root kind='plain'><label>x</label><on/><leaf/><item name='a'/></root>")
        # built in code and formatted: not parsed, so nothing of it counts on the parsed side
        _Root(extra=etree.fromstring("<extra/>")).to_xml()  # type: ignore[call-arg]  # mypy does not see the attrs __init__ @model makes
        doc.to_xml()
    finally:
        recorder.uninstall()
    assert vars(XmlModel)["to_xml"] is before
    got = {name for cls, name in recorder.exercised() if cls is _Root or cls is _Leaf}
    # kind holds its default, the <leaf> has no name: neither counts
    assert got == {"label", "on", "leaf", "leaves", "name"}
    assert (_Root, "extra") in recorder.formatted.seen and (_Root, "extra") not in recorder.parsed.seen


def test_declared_fields_walk_every_model() -> None:
    declared = fc.declared_fields()
    classes = {cls.__name__ for cls, _ in declared}
    assert {"Domain", "Disk", "Network", "StoragePool", "StorageVolume", "DomainSnapshot"} <= classes
    assert not any(cls.__module__ == __name__ for cls, _ in declared)  # test models are not the library's
    from virt.xml import Domain

    assert declared[(Domain, "name")] == "<name> text"
    assert declared[(Domain, "type")] == "@type attribute"


def test_every_xml_field_is_exercised(request: pytest.FixtureRequest) -> None:
    """Ordered last by conftest.py: by now every test that parses or formats XML has run."""
    config = request.config
    recorder = config.stash.get(fc.RECORDER, None)
    if recorder is None:  # pragma: no cover - conftest.py always installs it
        not_applicable("the field recorder is not installed")
    partial = config.stash.get(fc.PARTIAL, "the collection was not inspected")
    if partial:
        not_applicable(f"field coverage needs every test of tests/xml: {partial}")
    require_corpus()  # most fields are tested by it
    missing = recorder.missing()
    if missing:
        lines = "\n".join(fc.report(missing))
        pytest.fail(f"{len(missing)} XML fields no test parses and formats with a value:\n{lines}", pytrace=False)
