"""virt.xml.schema: RelaxNG validation against libvirt's schemas, errors as path and line."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import virt.xml
from virt.errors import XMLError
from virt.testing import missing_dependency, require_corpus
from virt.xml import schema


@pytest.fixture
def schemas() -> Path:
    found = schema.schema_dir()
    if found is None:
        missing_dependency(
            "libvirt's RelaxNG schemas are not installed (Debian package libvirt0) and VIRT_SCHEMA_DIR is not set"
        )
    return found


BAD = """<domain type='kvm'>
  <name>x</name>
  <memory>abc</memory>
  <os><type>hvm</type></os>
</domain>
"""


def test_errors_name_path_and_line(schemas: Path) -> None:
    found = schema.schema_problems(BAD)
    assert str(found[0]) == "/domain/memory: Type unsignedLong doesn't allow value 'abc' (line 3)"
    with pytest.raises(XMLError, match=r"^/domain/memory: Type unsignedLong"):
        schema.validate_schema(BAD)


def test_valid_document_and_model(schemas: Path) -> None:
    text = "<domain type='kvm'><name>x</name><memory>1024</memory><os><type>hvm</type></os></domain>"
    assert schema.schema_problems(text) == []
    schema.validate_schema(virt.xml.parse(text))
    assert schema.schema_problems("<network><name>n</name></network>") == []


def test_schemas_compile_once(schemas: Path) -> None:
    assert schema.schema_for("domain") is schema.schema_for("domain", schemas)
    assert schema.schema_for("nosuchdocument") is None
    assert schema.schema_available("network")


def test_schema_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIRT_SCHEMA_DIR", str(tmp_path))
    assert schema.schema_dir() == tmp_path
    assert schema.schema_for("domain") is None  # no domain.rng there
    monkeypatch.setenv("VIRT_SCHEMA_DIR", str(tmp_path / "absent"))
    assert schema.schema_dir() is None


def test_no_schema_is_an_error_never_a_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIRT_SCHEMA_DIR", str(tmp_path))
    message = f"cannot validate <domain>: RelaxNG schema domain.rng not found in VIRT_SCHEMA_DIR={tmp_path}"
    with pytest.raises(XMLError, match=f"^{message}$"):
        schema.schema_problems(BAD)
    with pytest.raises(XMLError, match=r"^cannot validate <domain>"):
        schema.validate_schema(BAD)
    assert not schema.schema_available("domain")
    with pytest.raises(
        XMLError, match=r"^cannot validate <bogus>: libvirt has no RelaxNG schema for that document type$"
    ):
        schema.schema_problems("<bogus/>")


def test_installed_schemas_are_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIRT_SCHEMA_DIR", raising=False)
    installed = schema.INSTALLED_SCHEMA_DIR
    assert schema.schema_dir() == (installed if installed.is_dir() else None)
    if not installed.is_dir():
        with pytest.raises(XMLError, match=f"RelaxNG schema domain.rng not found in {installed} "):
            schema.schema_problems(BAD)


def test_broken_schema_is_an_xml_error(tmp_path: Path) -> None:
    (tmp_path / "network.rng").write_text("<grammar xmlns='http://relaxng.org/ns/structure/1.0'><start/></grammar>")
    with pytest.raises(XMLError, match="cannot load the RelaxNG schema"):
        schema.schema_for("network", tmp_path)


@pytest.mark.corpus
def test_corpus_output_validates_when_input_does(schemas: Path) -> None:
    """For every roundtrip and xml2xml case whose input validates, what we format validates too."""
    corpus = require_corpus()
    counts: Counter[str] = Counter()
    failures = []
    for manifest in sorted(corpus.glob("*/MANIFEST.jsonl")):
        suite = manifest.parent.name
        if "roundtrip" not in suite and "xml2xml" not in suite:
            continue
        for line in manifest.read_text().splitlines():
            text = (manifest.parent / json.loads(line)["input"]).read_bytes()
            if schema.schema_problems(text):
                counts["input invalid"] += 1
                continue
            try:
                out = virt.xml.parse(text).to_xml()
            except XMLError:
                counts["rejected by us"] += 1
                continue
            problems = schema.schema_problems(out)
            if problems:
                failures.append(f"{suite}/{json.loads(line)['id']}: {problems[0]}")
            counts["output valid" if not problems else "output invalid"] += 1
    print(dict(counts))
    assert failures == []
    assert counts["output valid"] > 700
