"""The xl.cfg / xm configuration language: what it reads, how it writes, and syntax errors by line."""

from __future__ import annotations

import pytest
from virt.errors import ErrorNumber, VirtError
from virt_xen.xlcfg import syntax


def values(text: str) -> dict[str, object]:
    def plain(value: object) -> object:
        return [plain(item.value) for item in value] if isinstance(value, list) else value

    return {entry.key: plain(entry.value) for entry in syntax.parse(text)}


def test_values_lists_comments_and_separators() -> None:
    text = """# a comment
name = 'guest'   # after a value
memory = 512; vcpus = -2
extra = \"\"\"two
lines\"\"\"
disk = [ "a",
         # a comment inside the list
         'b', ]
vnuma = [ [ "pnode=0" ], [ ] ]
on_crash="preserve"
"""
    assert values(text) == {
        "name": "guest",
        "memory": 512,
        "vcpus": -2,
        "extra": "two\nlines",
        "disk": ["a", "b"],
        "vnuma": [["pnode=0"], []],
        "on_crash": "preserve",
    }


def test_lines_of_settings_and_list_members() -> None:
    config = syntax.parse('a = 1\n\nb = [ "x",\n  "y" ]\nc = """1\n2"""\nd = 4\n')
    assert [(e.key, e.line) for e in config] == [("a", 1), ("b", 3), ("c", 5), ("d", 7)]
    b = config.get("b")
    assert b is not None and isinstance(b.value, list)
    assert [item.line for item in b.value] == [3, 4]


def test_first_of_duplicate_keys_wins() -> None:
    config = syntax.parse('name = "first"\nname = "second"\n')
    entry = config.get("name")
    assert entry is not None and entry.value == "first" and entry.line == 1


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('name = "x"\nmemory 5\n', 2, "expecting '=' after 'memory'"),
        ('a = 1\nb = "open\n', 2, "unterminated string"),
        ('a = """never closed\n', 1, "unterminated string"),
        ("a = [ 1, 2\nb = 3\n", 2, "expecting ',' or ']' in a list"),
        ("a = [ 1,\n", 2, "list opened on line 1 is not closed"),
        ("a = true\n", 1, "expecting a value"),
        ("a = 1 2\n", 1, "expecting the end of the setting"),
        ('a = 1\n9b = "x"\n', 2, "expecting a name"),
        ("a = -\n", 1, "expecting a number after the sign"),
        ("a = " + "[" * 20 + "\n", 1, "lists nested more than 16 deep"),
    ],
)
def test_syntax_errors_name_the_line(text: str, line: int, reason: str) -> None:
    with pytest.raises(VirtError) as raised:
        syntax.parse(text)
    assert raised.value.code == ErrorNumber.CONF_SYNTAX
    assert raised.value.message.startswith(f"configuration file syntax error: line {line}: {reason}")


def test_writing_quotes_as_virconf_does() -> None:
    assert syntax.format_config([("a", "plain"), ("b", 'say "hi"'), ("c", 'it\'s "x" y'), ("d", 7)]) == (
        'a = "plain"\nb = \'say "hi"\'\nc = """it\'s "x" y"""\nd = 7\n'
    )
    assert syntax.format_config([("l", ["x", ["y", "z"]]), ("e", [])]) == 'l = [ "x", [ "y", "z" ] ]\ne = [  ]\n'
    with pytest.raises(VirtError, match="no quoting keeps it whole"):
        syntax.format_config([("bad", 'it\'s "quoted"')])
