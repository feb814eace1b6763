"""The .vmx text format: ``key = "value"`` lines, read and written as libvirt's virconf does in its
VMX mode (keys compared without case, values always quoted strings, ``#`` comments)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import attrs
from virt.confsyntax import ConfLexer
from virt.errors import ErrorDomain, ErrorNumber, VirtError


def syntax_error(line: int, reason: str) -> VirtError:
    return VirtError(
        f"configuration file syntax error: vmx line {line}: {reason}", ErrorNumber.CONF_SYNTAX, ErrorDomain.CONF
    )


@attrs.frozen
class Entry:
    key: str
    value: str
    line: int


class VmxFile:
    """The entries of a .vmx file in file order; lookups ignore case and the first of duplicates
    wins, as VMware's own reader (and libvirt's) does."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = list(entries)
        self._by_key: dict[str, Entry] = {}
        for entry in self.entries:
            self._by_key.setdefault(entry.key.lower(), entry)

    def get(self, key: str) -> str | None:
        entry = self._by_key.get(key.lower())
        return None if entry is None else entry.value

    def line(self, key: str) -> int | None:
        entry = self._by_key.get(key.lower())
        return None if entry is None else entry.line

    def __contains__(self, key: str) -> bool:
        return key.lower() in self._by_key

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)


_BLANKS = " \t"
_EOL = "\r\n"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:.-")


class _Reader(ConfLexer):
    def __init__(self, text: str) -> None:
        super().__init__(text, "vmx line")

    def skip_blanks_and_eols(self) -> None:
        while self.peek() and self.peek() in _BLANKS + _EOL:
            if self.peek() == "\n":
                self.line += 1
            self.pos += 1

    def name(self) -> str:
        start = self.pos
        first = self.peek()
        if not (first.isascii() and (first.isalpha() or first == ".")):
            raise syntax_error(self.line, "expecting a name")
        while self.peek() and self.peek() in _NAME_CHARS:
            self.pos += 1
        return self.text[start : self.pos]

    def value(self) -> str:
        first = self.peek()
        if first in ('"', "'"):
            return self.string()
        if first == "[":
            raise syntax_error(self.line, "lists not allowed in VMX format")
        if first and (first.isdigit() or first in "+-"):
            raise syntax_error(self.line, "numbers not allowed in VMX format")
        raise syntax_error(self.line, "expecting a value")

    def separator(self) -> None:
        self.skip_blanks()
        if self.at_end():
            return
        if self.peek() in _EOL:
            self.skip_blanks_and_eols()
        elif self.peek() == ";":
            self.pos += 1
            self.skip_blanks_and_eols()
        else:
            raise syntax_error(self.line, "expecting a separator")


def parse(text: str) -> VmxFile:
    """The entries of .vmx ``text``; VirtError (CONF_SYNTAX) naming the line of a malformed one."""
    reader = _Reader(text)
    entries: list[Entry] = []
    reader.skip_blanks_and_eols()
    while not reader.at_end():
        if reader.peek() == "#":
            reader.skip_comment()
            reader.separator()
            continue
        line = reader.line
        key = reader.name()
        reader.skip_blanks()
        if reader.peek() != "=":
            raise syntax_error(reader.line, f"expecting an assignment after '{key}'")
        reader.pos += 1
        reader.skip_blanks()
        value = reader.value()
        entries.append(Entry(key, value, line))
        reader.skip_blanks()
        if reader.peek() == "#":
            reader.skip_comment()
        reader.separator()
    return VmxFile(entries)


def format_entries(entries: Iterable[tuple[str, str]]) -> str:
    """.vmx text for ``(key, value)`` pairs, one ``key = "value"`` line each, in order.

    A value cannot hold a double quote or a line break (the format has no escapes for them: the
    callers escape names and annotations the VMware way first)."""
    lines = []
    for key, value in entries:
        if '"' in value or "\n" in value or "\r" in value:
            raise VirtError(
                f"VMX entry '{key}' cannot hold a double quote or a line break: {value!r}",
                ErrorNumber.CONFIG_UNSUPPORTED,
                ErrorDomain.VMWARE,
            )
        lines.append(f'{key} = "{value}"\n')
    return "".join(lines)
