"""dmidecode's output read as libvirt reads it (virt.localstate.sysinfo); the whole document is
compared with libvirtd's own in virt-qemu's tests/test_virtd_host_facts.py."""

from __future__ import annotations

import pytest
from virt.localstate.sysinfo import MalformedOutput, sysinfo_document

TABLES = """BIOS Information
\tVendor: SeaBIOS
\tVersion: 1.16.0
\tRelease Date: 04/01/2014
\tBIOS Revision: 0.0

System Information
\tManufacturer: QEMU\x20\x20\x20
\tProduct Name:\x20
\tUUID: 5f0c6a4e-3b1d-4c8e-9a51-0d6e2f7b8c91

Memory Device
\tSize: No Module Installed
\tLocator: DIMM 1

Memory Device
\tSize: 2 GB
\tLocator: DIMM 0
"""


def test_values_are_those_after_each_heading_trailing_blanks_dropped() -> None:
    document = sysinfo_document(TABLES)
    assert "<entry name='manufacturer'>QEMU</entry>" in document
    assert "name='product'" not in document  # empty: left out
    assert document.count("<memory_device>") == 1  # the empty slot is skipped
    assert "<entry name='locator'>DIMM 0</entry>" in document
    assert document.startswith("<sysinfo type='smbios'>\n  <bios>\n    <entry name='vendor'>SeaBIOS</entry>")


def test_no_tables_give_an_empty_document() -> None:
    assert sysinfo_document("") == "<sysinfo type='smbios'/>\n"


def test_oem_strings_printed_with_dots_are_read_raw() -> None:
    text = "OEM Strings\n\tString 1: a.b\n\tString 2: plain\n"
    document = sysinfo_document(text, lambda index: f"raw {index}\n")
    assert "<entry>raw 1\n</entry>" in document
    assert "<entry>plain</entry>" in document
    with pytest.raises(MalformedOutput):
        sysinfo_document("OEM Strings\n\tString x: value\n")
