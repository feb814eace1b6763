"""The configuration language of xl.cfg(5) and xm: ``key = value`` settings, one a line (or
separated by ``;``), where a value is a string ('...', "..." or a triple-quoted one spanning
lines), an integer, or a list ``[ ... ]`` of values that may span lines and hold comments.

Read as libvirt's virconf reads it for the Xen formats (the first of duplicate keys wins), and
written as it writes them: ``key = value`` in the order given, strings in double quotes (single
quotes when the string holds a double quote), lists as ``[ "a", "b" ]``. Every syntax error names
its line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeAlias

import attrs
from virt.confsyntax import ConfLexer
from virt.errors import ErrorDomain, ErrorNumber, VirtError

Value: TypeAlias = str | int | list["Item"]
"""A value as read: lists keep the line of each member."""
Written: TypeAlias = "str | int | Item | Sequence[Written]"
"""A value to write: a string, an integer or a list of them (values as read, too)."""


@attrs.frozen
class Item:
    """A value with the line it starts on (the members of a list keep theirs, for error messages)."""

    value: Value
    line: int


@attrs.frozen
class Entry:
    key: str
    value: Value
    line: int

    @property
    def items(self) -> list[Item]:
        """The members of a list value; a single value is a list of one."""
        return self.value if isinstance(self.value, list) else [Item(self.value, self.line)]


class Config:
    """The settings of one file in file order; ``get`` gives the first of duplicate keys, as libvirt reads."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = list(entries)
        self._by_key: dict[str, Entry] = {}
        for entry in self.entries:
            self._by_key.setdefault(entry.key, entry)

    def get(self, key: str) -> Entry | None:
        return self._by_key.get(key)

    def __contains__(self, key: str) -> bool:
        return key in self._by_key

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)


BLANKS = " \t\r"  # a carriage return is a blank to virconf between values
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _NAME_START | frozenset("0123456789.")
_DIGITS = frozenset("0123456789")
MAX_DEPTH = 16  # lists in lists (vnuma is two deep); deeper nesting is refused, not recursed into


class _Reader(ConfLexer):
    def skip_space(self) -> None:
        """Blanks, line breaks and comments (inside a list)."""
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\n":
                self.line += 1
                self.pos += 1
            elif ch in BLANKS:
                self.pos += 1
            elif ch == "#":
                self.skip_comment()
            else:
                return

    def name(self) -> str:
        start = self.pos
        if self.peek() not in _NAME_START or not self.peek():
            raise self.error(f"expecting a name, found {self._found()}")
        while self.pos < len(self.text) and self.text[self.pos] in _NAME_CHARS:
            self.pos += 1
        return self.text[start : self.pos]

    def _found(self) -> str:
        ch = self.peek()
        if not ch:
            return "the end of the file"
        if ch == "\n":
            return "the end of the line"
        return repr(ch)

    def number(self) -> int:
        start = self.pos
        if self.peek() in ("-", "+"):
            self.pos += 1
        digits = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _DIGITS:
            self.pos += 1
        if self.pos == digits:
            raise self.error("expecting a number after the sign")
        return int(self.text[start : self.pos], 10)

    def value(self, depth: int = 0) -> Value:
        ch = self.peek()
        if ch in ('"', "'"):
            return self.string()
        if ch == "[":
            return self.list_(depth)
        if ch and (ch in _DIGITS or ch in "+-"):
            return self.number()
        raise self.error(f"expecting a value, found {self._found()}")

    def list_(self, depth: int) -> list[Item]:
        if depth >= MAX_DEPTH:
            raise self.error(f"lists nested more than {MAX_DEPTH} deep")
        opened = self.line
        self.pos += 1
        items: list[Item] = []
        self.skip_space()
        while self.peek() != "]":
            if not self.peek():
                raise self.error(f"list opened on line {opened} is not closed")
            line = self.line
            items.append(Item(self.value(depth + 1), line))
            self.skip_space()
            if self.peek() == ",":
                self.pos += 1
                self.skip_space()
            elif self.peek() != "]":
                raise self.error(f"expecting ',' or ']' in a list, found {self._found()}")
        self.pos += 1
        return items

    def end_of_statement(self) -> None:
        self.skip_blanks(BLANKS)
        if self.peek() == "#":
            self.skip_comment()
        ch = self.peek()
        if ch == "\n":
            self.pos += 1
            self.line += 1
        elif ch == ";":
            self.pos += 1
        elif ch:
            raise self.error(f"expecting the end of the setting, found {self._found()}")


def parse(text: str) -> Config:
    """The settings of config ``text``; VirtError (CONF_SYNTAX) naming the line of a malformed one."""
    reader = _Reader(text)
    entries: list[Entry] = []
    while True:
        reader.skip_space()
        if not reader.peek():
            break
        if reader.peek() == ";":
            reader.pos += 1
            continue
        line = reader.line
        key = reader.name()
        reader.skip_blanks(BLANKS)
        if reader.peek() != "=":
            raise reader.error(f"expecting '=' after '{key}', found {reader._found()}")
        reader.pos += 1
        reader.skip_blanks(BLANKS)
        entries.append(Entry(key, reader.value(), line))
        reader.end_of_statement()
    return Config(entries)


def format_value(value: Written) -> str:
    """One value as virconf writes it."""
    if isinstance(value, Item):
        return format_value(value.value)
    if isinstance(value, bool):  # a bool is an int to Python; the format has 0 and 1
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if "\n" not in value and '"' not in value:
            return f'"{value}"'
        if "\n" not in value and "'" not in value:
            return f"'{value}'"
        if '"""' in value or value.endswith('"'):
            raise VirtError(
                f"a setting cannot hold this string (no quoting keeps it whole): {value!r}",
                ErrorNumber.CONFIG_UNSUPPORTED,
                ErrorDomain.XENXL,
            )
        return f'"""{value}"""'
    members = [format_value(m) for m in value]
    return "[ " + ", ".join(members) + " ]"


def format_config(entries: Iterable[tuple[str, Written]]) -> str:
    """Config text for ``(key, value)`` pairs, one ``key = value`` line each, in order."""
    return "".join(f"{key} = {format_value(value)}\n" for key, value in entries)
