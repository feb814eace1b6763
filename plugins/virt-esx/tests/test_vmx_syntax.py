"""The .vmx text format: libvirt's virconf in VMX mode, errors naming the line."""

from __future__ import annotations

import pytest
from virt.errors import ErrorNumber, VirtError
from virt_esx.vmx import syntax


def test_entries_comments_and_blank_lines() -> None:
    vmx = syntax.parse(
        '#!/usr/bin/vmware\n\nconfig.version = "8"\n  virtualHW.version="4"   # a comment\n\n'
        'scsi0:0.fileName = "a b.vmdk"\n.encoding = "UTF-8"\nethernet0.dvs.switchId = ""\n'
    )
    assert [(e.key, e.value, e.line) for e in vmx] == [
        ("config.version", "8", 3),
        ("virtualHW.version", "4", 4),
        ("scsi0:0.fileName", "a b.vmdk", 6),
        (".encoding", "UTF-8", 7),
        ("ethernet0.dvs.switchId", "", 8),
    ]


def test_keys_ignore_case_and_the_first_duplicate_wins() -> None:
    vmx = syntax.parse('DisplayName = "first"\ndisplayname = "second"\n')
    assert vmx.get("DISPLAYNAME") == "first"
    assert vmx.line("displayName") == 1
    assert "displayname" in vmx and "memsize" not in vmx
    assert vmx.get("memsize") is None and vmx.line("memsize") is None


def test_other_quotes_separators_and_line_ends() -> None:
    vmx = syntax.parse('a = \'single\'; b = "x"\r\nc = """multi\nline"""\nd = "last"')
    assert [(e.key, e.value, e.line) for e in vmx] == [
        ("a", "single", 1),
        ("b", "x", 1),
        ("c", "multi\nline", 2),
        ("d", "last", 4),
    ]


def test_empty_file() -> None:
    assert list(syntax.parse("")) == []
    assert list(syntax.parse("\n# only a comment\n\n")) == []


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('config.version = "8"\nmemsize 32\n', 2, "expecting an assignment after 'memsize'"),
        ('a = "1"\n\nb = "open\n', 3, "unterminated string"),
        ("a = '1\n", 1, "unterminated string"),
        ('a = """never closed\n', 1, "unterminated string"),
        ('a = "1"\nmemsize = 32\n', 2, "numbers not allowed in VMX format"),
        ('a = ["1"]\n', 1, "lists not allowed in VMX format"),
        ("a = true\n", 1, "expecting a value"),
        ('a = "1"\n0bad = "1"\n', 2, "expecting a name"),
        ('a = "1" "2"\n', 1, "expecting a separator"),
        ('a = "1"\n= "2"\n', 2, "expecting a name"),
    ],
)
def test_syntax_errors_name_the_line(text: str, line: int, reason: str) -> None:
    with pytest.raises(VirtError) as caught:
        syntax.parse(text)
    assert caught.value.code == ErrorNumber.CONF_SYNTAX
    assert caught.value.message == f"configuration file syntax error: vmx line {line}: {reason}"


def test_format_entries() -> None:
    assert syntax.format_entries([("a", "1"), ("b.c", "x y")]) == 'a = "1"\nb.c = "x y"\n'
    assert syntax.format_entries([]) == ""


@pytest.mark.parametrize("value", ['say "hi"', "two\nlines"])
def test_format_refuses_what_the_format_cannot_hold(value: str) -> None:
    with pytest.raises(VirtError, match=r"VMX entry .serial0\.fileName. cannot hold"):
        syntax.format_entries([("serial0.fileName", value)])
