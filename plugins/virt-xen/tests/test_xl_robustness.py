"""Malformed xl and xm configs give a VirtError naming the line, never another exception: every line
of every corpus config mutated in several ways, and every config cut off at many points."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable

import pytest
from corpus import cases
from virt.errors import VirtError
from virt.testing.mutate import attribute_variants
from virt.xml import Domain
from virt_xen.xlcfg import from_native, to_native, xm_from_native, xm_to_native

READERS: dict[str, Callable[[str], Domain]] = {"xen-xl-to-xml": from_native, "xen-xm-to-xml": xm_from_native}

# what each line becomes: its value replaced, its list broken, its quoting broken, its key damaged...
MUTATIONS: tuple[Callable[[str], str], ...] = (
    lambda line: re.sub(r"=.*", '= ""', line),
    lambda line: re.sub(r"=.*", "= -1", line),
    lambda line: re.sub(r"=.*", "= 99999999999999999999999", line),
    lambda line: re.sub(r"=.*", '= "bogus"', line),
    lambda line: re.sub(r"=.*", '= [ "bogus", 7, [ "x=" ] ]', line),
    lambda line: re.sub(r"=.*", '= [ "" ]', line),
    lambda line: re.sub(r"=.*", '= "a:b,c=d,,=,e"', line),
    lambda line: re.sub(r"=.*", "= [", line),
    lambda line: line.replace('"', "", 1),
    lambda line: line.replace(",", ",,=", 1),
    lambda line: line.replace("=", "", 1),
    lambda line: "9" + line,
    lambda line: line + " trailing",
    lambda line: line.replace(":", "", 1),
    lambda line: line.replace("0", "z"),
    lambda line: re.sub(r"[0-9]+", "99999999999", line),
    lambda line: re.sub(r"[a-z]+=", "bogus=", line),
    lambda line: line[: len(line) // 2],
)
SYNTAX_LINE = re.compile(r"line [1-9][0-9]*")


def convert_or_refuse(read: Callable[[str], Domain], text: str) -> str | None:
    """The error message when the config is refused; a config that reads is also written back
    (what reads must convert to xl or be refused by name)."""
    try:
        domain = read(text)
    except VirtError as e:
        return e.message
    with contextlib.suppress(VirtError):
        to_native(domain)
    return None


@pytest.mark.parametrize("suite", sorted(READERS))
def test_every_line_mutated(suite: str) -> None:
    read = READERS[suite]
    tried = refused = 0
    for case_id, source, _ in cases(suite):
        lines = source.read_text().splitlines()
        for n, line in enumerate(lines):
            for mutate in MUTATIONS:
                changed = [*lines[:n], mutate(line), *lines[n + 1 :]]
                message = convert_or_refuse(read, "\n".join(changed) + "\n")
                tried += 1
                if message is not None:
                    refused += 1
                    # every refusal names a line: the mutated one, the setting's or list member's
                    # it broke or, for a list left open, where the file ends; a setting that is
                    # missing has none, and says which
                    assert SYNTAX_LINE.search(message) or " was missing: " in message, (case_id, n, message)
    assert tried > 5000
    assert refused > tried // 10


@pytest.mark.parametrize("suite", sorted(READERS))
def test_truncated_files(suite: str) -> None:
    read = READERS[suite]
    tried = 0
    for _, source, _ in cases(suite):
        text = source.read_text()
        for cut in range(0, len(text), 7):
            message = convert_or_refuse(read, text[:cut])
            assert message is None or SYNTAX_LINE.search(message) or " was missing: " in message, message
            tried += 1
    assert tried > 1000


def test_value_errors_name_their_line() -> None:
    _, source, _ = next(c for c in cases("xen-xl-to-xml") if c[0] == "test-paravirt-cmdline")
    lines = source.read_text().splitlines()
    for n, line in enumerate(lines):
        if line.startswith(("memory", "vcpus", "on_crash", "vif", "disk")):
            broken = re.sub(r"=.*", '= "bogus"' if not line.startswith(("vif", "disk")) else '= [ "x" ]', line)
            with pytest.raises(VirtError) as raised:
                from_native("\n".join([*lines[:n], broken, *lines[n + 1 :]]))
            assert f"line {n + 1}" in raised.value.message, raised.value.message


BAD_ATTRIBUTES = ("", "bogus", "-1", "99999999999", "a'b\"c", "[x")


# the domains each writer is tried on: the xml-to-xen-xl inputs, the xen-xm-to-xml outputs
WRITERS = {"xml-to-xen-xl": to_native, "xen-xm-to-xml": xm_to_native}


@pytest.mark.parametrize("suite", sorted(WRITERS))
def test_every_domain_attribute_with_bad_values(suite: str) -> None:
    """Domain XML -> xl / xm: a document whose attributes are wrong is refused by name (by the XML
    model or the writer), never with another exception."""
    write = WRITERS[suite]
    tried = 0
    for _, input_, expected in cases(suite):
        source = input_ if suite == "xml-to-xen-xl" else expected
        for document in attribute_variants(source.read_bytes(), BAD_ATTRIBUTES):
            with contextlib.suppress(VirtError):
                write(Domain.from_xml(document))
            tried += 1
    assert tried > 2000
