"""The host's SMBIOS facts as libvirt's local drivers report them (virConnectGetSysinfo): ``dmidecode
-q -t 0,1,2,3,4,11,17`` read into a ``<sysinfo type='smbios'>`` document with libvirt's entries.

The reading follows libvirt's: each value is the first ``Label: value`` line found after the start
of its section's heading (in the text that follows, not only in that section), trailing blanks
dropped, an empty one left out; a section with no value is left out; a memory device without a
module is skipped. An OEM string with a dot in it is read again raw (dmidecode prints a new line in
a string as a dot). libvirt reads the facts once, when its driver starts: so does each process here.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from xml.sax.saxutils import escape

TYPES = "0,1,2,3,4,11,17"
_TIMEOUT = 30

# section -> (heading, [(entry name, label)]); the labels in libvirt's search order
_BIOS = (
    "BIOS Information",
    [("vendor", "Vendor"), ("version", "Version"), ("date", "Release Date"), ("release", "BIOS Revision")],
)
_SYSTEM = (
    "System Information",
    [
        ("manufacturer", "Manufacturer"),
        ("product", "Product Name"),
        ("version", "Version"),
        ("serial", "Serial Number"),
        ("uuid", "UUID"),
        ("sku", "SKU Number"),
        ("family", "Family"),
    ],
)
_BASE_BOARD = (
    "Base Board Information",
    [
        ("manufacturer", "Manufacturer"),
        ("product", "Product Name"),
        ("version", "Version"),
        ("serial", "Serial Number"),
        ("asset", "Asset Tag"),
        ("location", "Location In Chassis"),
    ],
)
_CHASSIS = (
    "Chassis Information",
    [
        ("manufacturer", "Manufacturer"),
        ("version", "Version"),
        ("serial", "Serial Number"),
        ("asset", "Asset Tag"),
        ("sku", "SKU Number"),
    ],
)
_PROCESSOR = (
    "Processor Information",
    [
        ("socket_destination", "Socket Designation"),
        ("type", "Type"),
        ("family", "Family"),
        ("manufacturer", "Manufacturer"),
        ("signature", "Signature"),
        ("version", "Version"),
        ("external_clock", "External Clock"),
        ("max_speed", "Max Speed"),
        ("status", "Status"),
        ("serial_number", "Serial Number"),
        ("part_number", "Part Number"),
    ],
)
_MEMORY = (
    "Memory Device",
    [
        ("size", "Size"),
        ("form_factor", "Form Factor"),
        ("locator", "Locator"),
        ("bank_locator", "Bank Locator"),
        ("type", "Type"),
        ("type_detail", "Type Detail"),
        ("speed", "Speed"),
        ("manufacturer", "Manufacturer"),
        ("serial_number", "Serial Number"),
        ("part_number", "Part Number"),
    ],
)

Entries = list[tuple[str, str]]


class MalformedOutput(Exception):
    """dmidecode printed what libvirt refuses to read ("Malformed output of dmidecode")."""


@functools.cache
def host_sysinfo() -> str | None:
    """The host's <sysinfo> document, read once; None when dmidecode cannot tell (libvirt's
    "Host SMBIOS information is not available")."""
    # where libvirt looks (its build found it in /usr/sbin) when the PATH has no sbin folders
    binary = shutil.which("dmidecode", path=f"{os.environ.get('PATH', os.defpath)}:/usr/sbin:/sbin")
    if binary is None:
        return None
    try:
        done = subprocess.run([binary, "-q", "-t", TYPES], capture_output=True, text=True, timeout=_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    try:
        return sysinfo_document(done.stdout, functools.partial(_oem_string, binary))
    except MalformedOutput:
        return None


def sysinfo_document(text: str, raw_oem_string: object = None) -> str:
    """The <sysinfo> document of dmidecode's output ``text`` (``raw_oem_string(i)``: OEM string
    ``i`` read raw, for strings printed with a dot)."""
    sections: list[tuple[str, Entries]] = []
    bios = _section(text, text.find(_BIOS[0]), _BIOS[1])
    if bios:
        sections.append(("bios", bios))
    system = _section(text, text.find(_SYSTEM[0]), _SYSTEM[1])
    if system:
        sections.append(("system", system))
    for start in _headings(text, _BASE_BOARD[0], skip=len(_BASE_BOARD[0])):
        board = _section(text, start, _BASE_BOARD[1])
        if board:
            sections.append(("baseBoard", board))
    chassis = _section(text, text.find(_CHASSIS[0]), _CHASSIS[1])
    if chassis:
        sections.append(("chassis", chassis))
    for start in _headings(text, _PROCESSOR[0]):
        processor = _section(text, start, _PROCESSOR[1])
        if processor:
            sections.append(("processor", processor))
    for start in _headings(text, _MEMORY[0]):
        if _value(text, start, "Size", keep_blank=True) == "No Module Installed":
            continue
        memory = _section(text, start, _MEMORY[1])
        if memory:
            sections.append(("memory_device", memory))
    oem = _oem_strings(text, raw_oem_string)
    lines = ["<sysinfo type='smbios'>"]
    for tag, entries in sections:
        lines.append(f"  <{tag}>")
        lines += [f"    <entry name='{name}'>{_escape(value)}</entry>" for name, value in entries]
        lines.append(f"  </{tag}>")
    if oem is not None:
        lines.append("  <oemStrings>")
        lines += [f"    <entry>{_escape(value)}</entry>" for value in oem]
        lines.append("  </oemStrings>")
    if len(lines) == 1:
        return "<sysinfo type='smbios'/>\n"
    return "\n".join([*lines, "</sysinfo>"]) + "\n"


def _headings(text: str, heading: str, skip: int = 0) -> list[int]:
    """Where each ``heading`` starts (``skip``: how far past it the next search begins, as libvirt
    moves on; its base-board search starts its values after the heading)."""
    found = []
    start = text.find(heading)
    while start != -1:
        found.append(start + skip)
        start = text.find(heading, start + len(heading))
    return found


def _section(text: str, start: int, fields: list[tuple[str, str]]) -> Entries:
    if start < 0:
        return []
    entries = []
    for name, label in fields:
        value = _value(text, start, label)
        if value is not None:
            entries.append((name, value))
    return entries


def _value(text: str, start: int, label: str, *, keep_blank: bool = False) -> str | None:
    """The value of the first ``label: `` after ``start``, to the end of its line; trailing blanks
    dropped (None when nothing is left, or the line has no end)."""
    at = text.find(f"{label}: ", start)
    if at < 0:
        return None
    begin = at + len(label) + 2
    end = text.find("\n", begin)
    if end < 0:
        return None
    value = text[begin:end]
    if keep_blank:
        return value
    value = value.rstrip()
    return value or None


def _oem_strings(text: str, raw_oem_string: object) -> list[str] | None:
    cursor = text.find("OEM Strings")
    if cursor < 0:
        return None
    values = []
    index = 1
    while (cursor := text.find("String ", cursor)) >= 0:
        cursor += len("String ")
        end = text.find("\n", cursor)
        if end < 0:
            raise MalformedOutput
        while cursor < len(text) and text[cursor].isdigit():
            cursor += 1
        if text[cursor : cursor + 1] != ":":
            raise MalformedOutput
        cursor += 2
        value = text[cursor:end].rstrip()
        if value:
            if "." in value and callable(raw_oem_string):
                raw = raw_oem_string(index)
                if raw is None:
                    raise MalformedOutput
                value = raw
            values.append(value)
            index += 1
        cursor = end
    return values


def _oem_string(binary: str, index: int) -> str | None:
    """OEM string ``index`` as dmidecode stores it (None when dmidecode complains)."""
    try:
        done = subprocess.run(
            [binary, "--dump", "--oem-string", str(index)], capture_output=True, text=True, timeout=_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 or done.stderr:
        return None
    return done.stdout


def _escape(value: str) -> str:
    return escape(value, {"'": "&apos;", '"': "&quot;"})
