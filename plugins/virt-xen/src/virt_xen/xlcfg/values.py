"""Typed reads of config settings, with libvirt's defaults and an error naming the line of a
value that is not what the setting needs (xenConfigGetBool, GetULong, GetString, ...)."""

from __future__ import annotations

import re

from virt_xen.xlcfg.errors import malformed
from virt_xen.xlcfg.syntax import Config, Entry, Item

MAX_ULONG = 2**64 - 1


class Values:
    """The settings of one config read as strings, numbers, booleans and string lists."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def entry(self, key: str) -> Entry | None:
        return self.config.get(key)

    def line(self, key: str) -> int:
        entry = self.config.get(key)
        return entry.line if entry is not None else 0

    def string(self, key: str, default: str | None = None) -> str | None:
        """A string setting; a number or a list there is an error (libvirt wants a string)."""
        entry = self.config.get(key)
        if entry is None:
            return default
        if not isinstance(entry.value, str):
            raise malformed(key, entry.line, f"expected a string, found {describe(entry.value)}")
        return entry.value

    def bool(self, key: str, default: int) -> int:
        """1 or 0 (or ``default``, which may be -1 for 'not said'): a number is true unless 0, a
        string is true when it is "1"."""
        entry = self.config.get(key)
        if entry is None:
            return default
        if isinstance(entry.value, int):
            return int(entry.value != 0)
        if isinstance(entry.value, str):
            return int(entry.value == "1")
        raise malformed(key, entry.line, f"expected a boolean, found {describe(entry.value)}")

    def ulong(self, key: str, default: int) -> int:
        """A non-negative number, given as a number or as a string of decimal digits."""
        entry = self.config.get(key)
        if entry is None:
            return default
        value = entry.value
        if isinstance(value, str):
            value = parse_ulong(value, key, entry.line)
        if not isinstance(value, int) or isinstance(value, bool):
            raise malformed(key, entry.line, f"expected a number, found {describe(value)}")
        if value < 0 or value > MAX_ULONG:
            raise malformed(key, entry.line, f"{value} is not a number from 0 to {MAX_ULONG}")
        return value

    def string_list(self, key: str) -> list[Item] | None:
        """The strings of a list setting (other members are skipped, as libvirt skips them), or
        None when the setting is absent or not a list."""
        entry = self.config.get(key)
        if entry is None or not isinstance(entry.value, list):
            return None
        return [item for item in entry.value if isinstance(item.value, str)]


def parse_ulong(text: str, key: str, line: int) -> int:
    if not text.isascii() or not text.isdigit():
        raise malformed(key, line, f"'{text}' is not a number")
    return int(text, 10)


def describe(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int):
        return f"the number {value}"
    return f"'{value}'"


def cpu_list(text: str, limit: int) -> tuple[int, ...]:
    """The ids of a CPU list (``0-3,^2``), each below ``limit`` (libvirt's bitmap size); ValueError
    says what is wrong."""
    from virt.xml.convert import CPUSET

    for number in re.findall(r"[0-9]+", text):
        if int(number, 10) >= limit:
            raise ValueError(f"CPU {number} of '{text}' is not below {limit}")
    return CPUSET.parse(text)
