"""``virt define FILE --validate / --dry-run`` and ``virt create FILE --validate``."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import NEW_DOMAIN_XML, Run
from virt.testing import missing_dependency
from virt.xml import schema

DUPLICATE = NEW_DOMAIN_XML.replace(
    "</os>",
    "</os>\n  <devices>\n    <disk type='file'><target dev='vda'/></disk>\n"
    "    <disk type='file'><target dev='vda'/></disk>\n  </devices>",
)


def write(tmp_path: Path, text: str, name: str = "vm.xml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_define_validate_ok(virt: Run, new_domain_xml: Path) -> None:
    result = virt("define", str(new_domain_xml), "--validate")
    assert result.status == 0
    assert result.out == f"Domain 'newvm' defined from {new_domain_xml}\n\n"


def test_define_validate_semantic_error(virt: Run, tmp_path: Path) -> None:
    path = write(tmp_path, DUPLICATE)
    result = virt("define", str(path), "--validate")
    assert result.status == 1
    assert result.err == (
        f"error: Failed to define domain from {path}\n"
        "error: /domain/devices/disk[2]/target/@dev: duplicate target 'vda' (line 9)\n"
    )
    assert "newvm" not in virt("list", "--all", "--name").out  # nothing defined


def test_define_without_validate_skips_checks(virt: Run, tmp_path: Path) -> None:
    path = write(tmp_path, DUPLICATE)
    assert virt("define", str(path)).status == 0


def test_define_validate_schema_error(virt: Run, tmp_path: Path) -> None:
    if schema.schema_dir() is None:
        missing_dependency("libvirt's RelaxNG schemas are not installed (Debian package libvirt0)")
    path = write(tmp_path, NEW_DOMAIN_XML.replace("<vcpu>1</vcpu>", "<vcpu>1</vcpu><bogus/>"))
    result = virt("define", str(path), "--validate")
    assert result.status == 1
    assert result.err.startswith(f"error: Failed to define domain from {path}\nerror: /domain")


def test_define_validate_without_schemas_fails(
    virt: Run, new_domain_xml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIRT_SCHEMA_DIR", str(tmp_path / "none"))
    result = virt("define", str(new_domain_xml), "--validate")
    assert result.status == 1
    assert result.err == (
        f"error: Failed to define domain from {new_domain_xml}\n"
        f"error: cannot validate <domain>: RelaxNG schema domain.rng not found in VIRT_SCHEMA_DIR={tmp_path / 'none'}\n"
    )
    assert "newvm" not in virt("list", "--all", "--name").out


def test_define_validate_warning_does_not_stop(virt: Run, tmp_path: Path) -> None:
    mac = "<interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/></interface>"
    path = write(tmp_path, NEW_DOMAIN_XML.replace("</os>", f"</os><devices>{mac}{mac}</devices>"))
    result = virt("define", str(path), "--validate")
    assert result.status == 0
    assert result.err.startswith("warning: /domain/devices/interface[2]/mac/@address: duplicate MAC address")


def test_define_validate_malformed(virt: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "<domain>")
    result = virt("define", str(path), "--validate")
    assert result.status == 1
    assert result.err.startswith(f"error: Failed to define domain from {path}\nerror: malformed XML")


def test_dry_run_new_domain_defines_nothing(virt: Run, new_domain_xml: Path) -> None:
    result = virt(f"define {new_domain_xml} --dry-run; list --all --name")
    assert result.status == 0
    assert result.out.startswith(f"Domain 'newvm' would be defined from {new_domain_xml} (new domain)\n")
    assert "newvm\n" not in result.out.split("(new domain)", 1)[1]


def test_dry_run_same_definition(virt: Run, new_domain_xml: Path) -> None:
    result = virt(f"define {new_domain_xml}; define {new_domain_xml} --dry-run")
    assert result.status == 0
    assert f"Domain 'newvm' is already defined as in {new_domain_xml}: nothing would change\n" in result.out


def test_dry_run_shows_changes_and_changes_nothing(virt: Run, new_domain_xml: Path, tmp_path: Path) -> None:
    bigger = write(tmp_path, NEW_DOMAIN_XML.replace("1048576", "2097152"), "bigger.xml")
    result = virt(f"define {new_domain_xml}; define {bigger} --dry-run; dominfo newvm")
    assert result.status == 0
    assert f"Domain 'newvm' would be redefined from {bigger} with 2 change(s):\n" in result.out
    assert "  /domain/memory: 1048576 -> 2097152\n" in result.out
    assert "  /domain/currentMemory: 1048576 -> 2097152\n" in result.out
    assert "1048576 KiB" in result.out  # dominfo: the definition is unchanged


def test_dry_run_name_taken_with_other_uuid(virt: Run, tmp_path: Path) -> None:
    path = write(tmp_path, NEW_DOMAIN_XML.replace("newvm", "test"))
    result = virt("define", str(path), "--dry-run")
    assert result.status == 1
    assert result.err.startswith(
        f"error: Failed to define domain from {path}\nerror: domain 'test' already exists with uuid"
    )


def test_dry_run_with_validate_fails_first(virt: Run, tmp_path: Path) -> None:
    path = write(tmp_path, DUPLICATE)
    result = virt("define", str(path), "--dry-run", "--validate")
    assert result.status == 1
    assert "duplicate target 'vda'" in result.err


def test_create_validate(virt: Run, new_domain_xml: Path, tmp_path: Path) -> None:
    assert virt("create", str(new_domain_xml), "--validate").status == 0
    path = write(tmp_path, DUPLICATE.replace("newvm", "other").replace("11111111", "22222222"))
    result = virt("create", str(path), "--validate")
    assert result.status == 1
    assert result.err == (
        f"error: Failed to create domain from {path}\n"
        "error: /domain/devices/disk[2]/target/@dev: duplicate target 'vda' (line 9)\n"
    )
