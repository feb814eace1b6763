"""Reading an LXC tools configuration file: ``key = value`` lines, ``#`` comment lines.

The same key may appear on many lines (``lxc.mount.entry``, ``lxc.cgroup.devices.allow``), so
the file is kept as the list of its entries in order, each with its line number for messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import attrs
from virt.errors import ErrorDomain, ErrorNumber, VirtError, libvirt_error

# LXC's own keys are dotted words; hooks (lxc.hook.pre-start) also use dashes.
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*")
# What XML 1.0 cannot hold (control characters, surrogates): such a value could not reach the XML
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@attrs.frozen
class Entry:
    key: str
    value: str
    line: int

    def where(self) -> str:
        return f"line {self.line}: {self.key}"


def fail(code: ErrorNumber, detail: str) -> VirtError:
    """The error to raise for a configuration the conversion cannot take (``raise fail(...)``)."""
    return libvirt_error(code, detail, ErrorDomain.LXC)


def bad_value(entry: Entry, why: str) -> VirtError:
    return fail(ErrorNumber.CONFIG_UNSUPPORTED, f"{entry.where()}: {why}: '{entry.value}'")


@attrs.frozen
class Config:
    entries: tuple[Entry, ...]

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def first(self, *keys: str) -> Entry | None:
        """The first line setting the first of ``keys`` that is set at all.

        ``keys`` lists LXC 3's name before its legacy one: a file with both uses the new one, as
        libvirt does, wherever each appears. Only the first line of a key counts, as in libvirt.
        """
        for key in keys:
            for entry in self.entries:
                if entry.key == key:
                    return entry
        return None

    def all(self, *keys: str) -> list[Entry]:
        """Every line setting one of ``keys``, in file order."""
        return [entry for entry in self.entries if entry.key in keys]


def parse_config(text: str) -> Config:
    """The entries of an LXC configuration; VirtError naming the line for one that is not ``key = value``."""
    entries: list[Entry] = []
    # lines end at '\n' alone, as for LXC: other separators str.splitlines knows would shift the numbers
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.partition("=")
        key = key.strip()
        if not equals:
            raise fail(ErrorNumber.CONF_SYNTAX, f"line {number}: expected 'key = value', got '{line}'")
        if not _KEY.fullmatch(key):
            raise fail(ErrorNumber.CONF_SYNTAX, f"line {number}: '{key}' is not a configuration key")
        if not key.startswith("lxc."):
            # LXC itself refuses such a file: a key outside lxc.* is a typo, not a setting to drop
            raise fail(ErrorNumber.CONF_SYNTAX, f"line {number}: unknown key '{key}' (LXC keys start with 'lxc.')")
        bad = _NOT_XML.search(value)
        if bad is not None:
            raise fail(ErrorNumber.CONF_SYNTAX, f"line {number}: {key}: the value holds the character {bad.group()!r}")
        # LXC takes the rest of the line as it is: quotes and '#' are part of the value
        entries.append(Entry(key, value.strip(), number))
    return Config(tuple(entries))
