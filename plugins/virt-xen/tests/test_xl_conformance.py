"""xen-xl and xen-xm against libvirt 9.0's own test data (shared/conformance, read at test time).

libvirt's tests/xlconfigtest.c runs some of its files one way only, and the corpus offers them both
ways: those cases cannot come out as the files say (the expected file was written by hand, not by
libvirt), and they are exactly the ones expected to fail here. The OVMF case is run as libvirt's
harness runs it: with the firmware folder its expected files name (it replaces /LIBXL_FIRMWARE_DIR
with the build's folder in them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from corpus import XL_TO_XML_ONLY, XML_TO_XL_ONLY, canon, cases
from virt.errors import VirtError
from virt.xml import Domain
from virt_xen.xlcfg import from_native, syntax, to_native, xm_from_native, xm_to_native

HARNESS_FIRMWARE_DIR = "/LIBXL_FIRMWARE_DIR"


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def failures(suite: str, passes: Any) -> tuple[int, set[str]]:
    found = cases(suite)
    failed = set()
    for case_id, source, expected in found:
        try:
            ok = passes(source, expected)
        except VirtError as e:
            print(f"{case_id}: {e}")
            ok = False
        if not ok:
            failed.add(case_id)
    return len(found), failed


def test_xl_to_xml() -> None:
    def passes(source: Path, expected: Path) -> bool:
        domain = from_native(source.read_text(), firmware_dir=HARNESS_FIRMWARE_DIR)
        return bool(canon(domain.to_xml()) == canon(expected.read_text()))

    total, failed = failures("xen-xl-to-xml", passes)
    assert total >= 40
    assert failed == XML_TO_XL_ONLY


def test_xml_to_xl() -> None:
    def passes(source: Path, expected: Path) -> bool:
        return lines(to_native(Domain.from_xml(source.read_text()))) == lines(expected.read_text())

    total, failed = failures("xml-to-xen-xl", passes)
    assert total >= 38
    assert failed == XL_TO_XML_ONLY


def test_xm_to_xml() -> None:
    def passes(source: Path, expected: Path) -> bool:
        return bool(canon(xm_from_native(source.read_text()).to_xml()) == canon(expected.read_text()))

    total, failed = failures("xen-xm-to-xml", passes)
    assert total >= 28
    assert failed == set()


# xen-xm-to-xml configs written by hand in the older forms (no maxmem, root= kept apart from
# extra=): libvirt's xmconfigtest reads them only, writing gives the equivalent newer form
XM_HAND_WRITTEN = {"test-paravirt-extra-root", "test-paravirt-root"}


def test_xml_to_xm_gives_the_corpus_configs() -> None:
    """The corpus's xm cases the other way round (libvirt's xmconfigtest runs most both ways)."""

    def passes(source: Path, expected: Path) -> bool:
        return lines(xm_to_native(Domain.from_xml(expected.read_text()))) == lines(source.read_text())

    total, failed = failures("xen-xm-to-xml", passes)
    assert total >= 28
    assert failed == XM_HAND_WRITTEN


def test_xl_to_xml_to_xl_to_xml_is_stable() -> None:
    """Every corpus xl config read, written and read again gives the same domain, and the written
    config is in the language's own form (it reads back and writes out unchanged)."""
    for case_id, source, _ in cases("xen-xl-to-xml"):
        first = from_native(source.read_text())
        written = to_native(first)
        assert syntax.format_config((e.key, e.value) for e in syntax.parse(written)) == written
        again = from_native(written)
        assert canon(again.to_xml()) == canon(first.to_xml()), case_id


# xm's disk drivers by the names xl gives them back: file: is QEMU's qdisk, tap2 is xl's tap
XL_DRIVER_NAMES = {"file": "qemu", "tap2": "tap"}


def _disk_facts(domain: Domain) -> list[tuple[Any, ...]]:
    facts = []
    for disk in domain.devices.disks if domain.devices is not None else []:
        name = disk.driver.name if disk.driver is not None else None
        source = disk.source.to_xml() if disk.source is not None else None
        target = disk.target.to_xml() if disk.target is not None else None
        fmt = disk.driver.type if disk.driver is not None else None
        kind = disk.type
        if disk.device == "cdrom":
            kind = name = None  # xl reads every CD-ROM as a file QEMU serves, as libvirt maps it
        facts.append((kind, disk.device, XL_DRIVER_NAMES.get(name or "", name), fmt, source, target, disk.readonly))
    return facts


def test_xm_configs_written_as_xl_keep_their_disks() -> None:
    """An xm config written as xl reads back with the same disks, the driver names as xl calls them;
    a path ending in a double quote after a single one has no quoting in the language, and is refused."""
    refused = set()
    for case_id, source, _ in cases("xen-xm-to-xml"):
        first = xm_from_native(source.read_text())
        try:
            written = to_native(first)
        except VirtError as e:
            assert "no quoting keeps it whole" in e.message
            refused.add(case_id)
            continue
        assert _disk_facts(from_native(written)) == _disk_facts(first), case_id
    assert refused == {"test-escape-paths"}
