"""The bhyve suites of libvirt's conformance corpus (shared/conformance, read at test time), and
the environment libvirt's own test programs convert them in."""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree
from virt.testing import require_corpus
from virt_bhyve.argv import Environment
from virt_bhyve.caps import FULL, BhyveCaps


def cases(suite: str) -> list[dict[str, Any]]:
    """The cases of ``suite`` (each with ``folder`` set); the test skips when the corpus is absent."""
    folder = require_corpus(suite)
    found = [json.loads(line) for line in (folder / "MANIFEST.jsonl").read_text().splitlines() if line.strip()]
    return [{**case, "folder": folder} for case in found]


def tokens(path: Path) -> list[str]:
    """An .args / .ldargs file as arguments (a trailing backslash continues the line)."""
    return shlex.split(path.read_text().replace("\\\n", " "))


# bhyvexml2argvtest.c runs its cases in order, switching capabilities off as it goes: these are
# the cases of the corpus that it runs without some of them.
WITHOUT = {
    "addr-no32devs-single-sata-disk": ("ahci32slot",),
    "addr-no32devs-multiple-sata-disks": ("ahci32slot",),
    "input-xhci-tablet": ("ahci32slot",),
    "serial-grub-nocons": ("ahci32slot", "xhci", "grub_consdev"),
}


def harness_caps(case_id: str) -> BhyveCaps:
    return FULL.without(*WITHOUT.get(case_id, ()))


def harness_environment(case_id: str) -> Environment:
    """bhyvexml2argvtest.c's driver and mocks (bhyvexml2argvmock.c): every tap device is
    'faketapdev', a generated MAC is 52:54:00:00:00:00, VNC ports come from an allocator starting
    at 5900, the firmware folder 'fakefirmwaredir' holds BHYVE_UEFI.fd."""
    ports: Iterator[int] = iter(range(5900, 65536))
    return Environment(
        caps=harness_caps(case_id),
        firmware_dir="fakefirmwaredir",
        firmware_files=lambda folder: ["BHYVE_UEFI.fd"],
        tap=lambda interface, index: "faketapdev",
        new_mac=lambda: "52:54:00:00:00:00",
        vnc_port=lambda: next(ports),
        start=True,  # the harness runs bhyveProcessPrepareDomain first
    )


def harness_argv(argv: list[str]) -> list[str]:
    """The harness prints commands with their path stripped (virCommandToStringFull(..., true))."""
    return [os.path.basename(argv[0]), *argv[1:]]


def canon(text: str) -> bytes:
    """An XML document in canonical form (C14N sorts attributes; whitespace-only text dropped)."""
    root = etree.fromstring(text.encode(), etree.XMLParser(remove_blank_text=True))
    return bytes(etree.tostring(root, method="c14n"))
