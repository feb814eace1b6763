"""The vmware-vmx format against libvirt 9.0's own VMX test data (shared/conformance, read at test time).

Two runs per suite: with the context libvirt's test programs (tests/vmx2xmltest.c, xml2vmxtest.c)
give each case -- the VM's folder, a datacenter path, a datastore that is missing, the virtual
hardware version -- where every case must pass; and with the defaults a user of ``virt
domxml-*-native`` gets, where a bare file name lies in the unknown folder ``[?] ?`` (as libvirt's
ESX driver converts) and exactly the cases that need the rest of the harness's context fail.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from virt.errors import VirtError
from virt.testing import require_corpus
from virt.xml import Domain
from virt_esx.vmx import Context, datastore_path, from_native, to_native
from virt_esx.vmx import syntax as vmx_syntax
from virt_esx.vmx.context import UNKNOWN_FOLDER

# xml2vmxtest.c: the virtual hardware version each case is written for (4 for the others)
HW_VERSIONS = {
    "serial-network-server": 7,
    "serial-network-client": 7,
    "esx-in-the-wild-9": 10,
    "ws-in-the-wild-1": 8,
    "ws-in-the-wild-2": 8,
    "fusion-in-the-wild-1": 9,
}
# vmx2xmltest.c: the one case run with a vCenter datacenter path
DATACENTER_CASES = {"datacenterpath": "folder1/folder2/datacenter1"}
# The folder of the harness's VM, where its bare file names lie.
HARNESS_FOLDER = "[datastore] directory"
# The cases that need the rest of that context: the defaults cannot know it, so they fail without it.
NEEDS_CONTEXT = {
    "vmware-vmx-to-xml": {"datacenterpath", "cdrom-ide-file-missing-datastore"},
    # the cases of HW_VERSIONS that the corpus has (written for a version above the default 4)
    "xml-to-vmware-vmx": {"serial-network-server", "ws-in-the-wild-1", "ws-in-the-wild-2", "fusion-in-the-wild-1"},
}


def harness_parse_file_name(file_name: str, allow_missing: bool) -> str | None:
    """vmx2xmltest.c's file names: a datastore called 'missing' (or a path under one starting
    with 'missing') does not exist, which only a CD-ROM's image may be."""
    if file_name.startswith("/vmfs/volumes/"):
        datastore, _, path = file_name[len("/vmfs/volumes/") :].partition("/")
        if datastore == "missing" or path.startswith("missing"):
            if allow_missing:
                return None
            raise VirtError(f"Referenced missing file '{file_name}'")
    return datastore_path(file_name, allow_missing, folder=HARNESS_FOLDER)


def harness_from_context(case_id: str) -> Context:
    return Context(parse_file_name=harness_parse_file_name, datacenter_path=DATACENTER_CASES.get(case_id))


def harness_to_context() -> Context:
    # xml2vmxtest.c's autodetection answers lsilogic for every disk
    return Context(autodetect_scsi_model=lambda disk: "lsilogic")


def canon(text: str) -> Any:
    """An XML document as comparable data: attributes in any order, whitespace-only text dropped."""
    parser = etree.XMLParser(remove_blank_text=True)
    root = etree.fromstring(text.encode(), parser)

    def walk(el: etree._Element) -> Any:
        body = el.text if el.text and el.text.strip() else None
        return (el.tag, sorted(el.attrib.items()), body, [walk(c) for c in el if isinstance(c.tag, str)])

    return walk(root)


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def suite(name: str) -> tuple[Path, list[dict[str, str]]]:
    folder = require_corpus(name)
    cases = [json.loads(line) for line in (folder / "MANIFEST.jsonl").read_text().splitlines() if line.strip()]
    return folder, cases


def vmx_to_xml_passes(folder: Path, case: dict[str, str], context: Context, vm_folder: str = HARNESS_FOLDER) -> bool:
    got = from_native((folder / case["input"]).read_text(), context=context)
    expected = (folder / case["expected"]).read_text().replace(f"{HARNESS_FOLDER}/", f"{vm_folder}/")
    return bool(canon(got.to_xml()) == canon(expected))


def xml_to_vmx_passes(folder: Path, case: dict[str, str], context: Context, hw_version: int) -> bool:
    domain = Domain.from_xml((folder / case["input"]).read_text())
    got = to_native(domain, context=context, virtual_hw_version=hw_version)
    return lines(got) == lines((folder / case["expected"]).read_text())


def score(name: str, passes: Any) -> tuple[int, list[str]]:
    folder, cases = suite(name)
    failed = []
    for case in cases:
        try:
            ok = passes(folder, case)
        except VirtError as e:
            ok = False
            print(f"{case['id']}: {e}")
        if not ok:
            failed.append(case["id"])
    return len(cases), failed


@pytest.mark.parametrize("name", ["vmware-vmx-to-xml", "xml-to-vmware-vmx"])
def test_defaults_fail_only_where_the_harness_context_is_needed(name: str) -> None:
    if name == "vmware-vmx-to-xml":
        total, failed = score(name, lambda folder, case: vmx_to_xml_passes(folder, case, Context(), UNKNOWN_FOLDER))
    else:
        total, failed = score(name, lambda folder, case: xml_to_vmx_passes(folder, case, Context(), 4))
    assert set(failed) == NEEDS_CONTEXT[name]
    assert total - len(failed) >= {"vmware-vmx-to-xml": 50, "xml-to-vmware-vmx": 37}[name]


def test_vmx_to_xml_in_libvirts_harness() -> None:
    total, failed = score(
        "vmware-vmx-to-xml", lambda folder, case: vmx_to_xml_passes(folder, case, harness_from_context(case["id"]))
    )
    assert total >= 50
    assert failed == []


def test_xml_to_vmx_in_libvirts_harness() -> None:
    total, failed = score(
        "xml-to-vmware-vmx",
        lambda folder, case: xml_to_vmx_passes(folder, case, harness_to_context(), HW_VERSIONS.get(case["id"], 4)),
    )
    assert total >= 40
    assert failed == []


def test_vmx_to_xml_to_vmx_keeps_the_mapped_entries() -> None:
    """Every corpus VM read, written back for its own virtual hardware and read again gives the same
    domain, but for what libvirt reads and does not write."""
    folder, cases = suite("vmware-vmx-to-xml")
    refused = {}
    for case in cases:
        text = (folder / case["input"]).read_text()
        first = from_native(text)
        version = int(next(e.value for e in vmx_syntax.parse(text) if e.key.lower() == "virtualhw.version"))
        try:
            written = to_native(first, virtual_hw_version=version)
        except VirtError as e:
            refused[case["id"]] = e.message
            continue
        again = from_native(written)
        assert canon(again.to_xml()) == canon(first.to_xml()), case["id"]
    print(refused)
    # SATA disks are read but not written, as in libvirt; a super-wide SCSI unit (16) has no
    # name the writer's narrower mapping derives it from
    assert set(refused) == {"esx-in-the-wild-8", "esx-in-the-wild-10", "esx-in-the-wild-11"}
