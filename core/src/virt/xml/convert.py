"""Converters between XML text and Python values, one per kind of value libvirt writes.

A converter's ``parse`` raises ValueError with a short reason; the field machinery adds the
element path, so converters stay free of XML concerns.
"""

from __future__ import annotations

import enum
import re
import uuid
from typing import Any, Protocol


class Converter(Protocol):
    def parse(self, text: str) -> Any: ...

    def format(self, value: Any) -> str: ...


class Str:
    def parse(self, text: str) -> str:
        return text

    def format(self, value: Any) -> str:
        return str(value)


class Int:
    """A decimal integer, optionally bounded (libvirt's virStrToLong_* family, base 10)."""

    def __init__(self, minimum: int | None = None, maximum: int | None = None) -> None:
        self.minimum = minimum
        self.maximum = maximum

    def parse(self, text: str) -> int:
        try:
            value = int(text.strip(), 10)
        except ValueError:
            raise ValueError(f"{text!r} is not an integer") from None
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"{value} is below the minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{value} is above the maximum {self.maximum}")
        return value

    def format(self, value: Any) -> str:
        return str(int(value))


class Hex:
    """An integer libvirt reads in any base (0x.., 0.., decimal) and writes as 0x with a fixed width."""

    def __init__(self, width: int = 0) -> None:
        self.template = f"0x{{:0{width}x}}"

    def parse(self, text: str) -> int:
        s = text.strip().lower()
        try:
            if s.startswith("0x"):
                return int(s[2:], 16)
            if len(s) > 1 and s.startswith("0"):
                return int(s[1:], 8)
            return int(s, 10)
        except ValueError:
            raise ValueError(f"{text!r} is not an integer") from None

    def format(self, value: Any) -> str:
        return self.template.format(int(value))


class Bool:
    """A two-word boolean: yes/no, on/off, enable/disable..."""

    def __init__(self, true: str, false: str) -> None:
        self.true = true
        self.false = false

    def parse(self, text: str) -> bool:
        if text == self.true:
            return True
        if text == self.false:
            return False
        raise ValueError(f"{text!r} is neither {self.true!r} nor {self.false!r}")

    def format(self, value: Any) -> str:
        return self.true if value else self.false


class UUID:
    def parse(self, text: str) -> uuid.UUID:
        try:
            return uuid.UUID(text.strip())
        except ValueError:
            raise ValueError(f"{text!r} is not a UUID") from None

    def format(self, value: Any) -> str:
        return str(value)


_MAC = re.compile(r"[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}")


class MAC:
    """A MAC address, kept as text in libvirt's canonical lowercase, zero-padded form."""

    def parse(self, text: str) -> str:
        if not _MAC.fullmatch(text):
            raise ValueError(f"{text!r} is not a MAC address")
        if len(text) == 17 and text == text.lower():
            return text  # already canonical: six two-digit octets, lowercase
        return ":".join(f"{int(octet, 16):02x}" for octet in text.split(":"))

    def format(self, value: Any) -> str:
        return str(value)


class Enum:
    """One of a fixed set of words; with an enum class the value is its member."""

    def __init__(self, values: type[enum.Enum] | tuple[str, ...]) -> None:
        if isinstance(values, tuple):
            self.members: dict[str, Any] = {v: v for v in values}
        else:
            self.members = {str(m.value): m for m in values}

    def parse(self, text: str) -> Any:
        try:
            return self.members[text]
        except KeyError:
            raise ValueError(f"{text!r} is not one of {', '.join(self.members)}") from None

    def format(self, value: Any) -> str:
        return str(value.value if isinstance(value, enum.Enum) else value)


STR = Str()
INT = Int()
UINT = Int(minimum=0)
HEX = Hex()
YESNO = Bool("yes", "no")
ONOFF = Bool("on", "off")
UUID_ = UUID()
MAC_ = MAC()

# Multipliers of libvirt's scaled integers (virScaleInteger): IEC units and bare letters are
# powers of 1024, the "B"-suffixed SI units are powers of 1000.
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}
UNIT_BYTES: dict[str, int] = {"b": 1, "bytes": 1}
for _letter, _power in _POWERS.items():
    if _letter:
        UNIT_BYTES[_letter] = 1024**_power
        UNIT_BYTES[_letter + "ib"] = 1024**_power
        UNIT_BYTES[_letter + "b"] = 1000**_power


def unit_bytes(unit: str) -> int:
    try:
        return UNIT_BYTES[unit.lower()]
    except KeyError:
        raise ValueError(f"unknown unit {unit!r}") from None


def scale(text: str, unit: str, base: int) -> int:
    """``text`` ``unit`` as a whole number of ``base``-byte units, rounded up as libvirt does."""
    number = UINT.parse(text)
    total = number * unit_bytes(unit)
    return -(-total // base)


class Octal:
    """A permission mode: read in octal, written as libvirt's ``0%o`` (0644, and 00 for zero)."""

    def parse(self, text: str) -> int:
        try:
            value = int(text.strip(), 8)
        except ValueError:
            raise ValueError(f"{text!r} is not an octal mode") from None
        if value & ~0o777:
            raise ValueError(f"{text!r} has bits other than the permission bits 0777")
        return value

    def format(self, value: Any) -> str:
        return f"0{int(value):o}"


OCTAL = Octal()


class CpuSet:
    """A set of CPU (or vCPU, iothread) ids in libvirt's list syntax: ``0-3,^2,8``, held as a
    sorted tuple and written the way virBitmapFormat does (runs as ranges: ``0-1,3,8``)."""

    def parse(self, text: str) -> tuple[int, ...]:
        chosen: set[int] = set()
        excluded: set[int] = set()
        for part in text.split(","):
            part = part.strip()
            target = chosen
            if part.startswith("^"):
                target, part = excluded, part[1:]
            first, dash, last = part.partition("-")
            try:
                low = int(first, 10)
                high = int(last, 10) if dash else low
            except ValueError:
                raise ValueError(f"{text!r} is not a CPU list") from None
            if low < 0 or high < low:
                raise ValueError(f"{text!r} is not a CPU list")
            target.update(range(low, high + 1))
        return tuple(sorted(chosen - excluded))

    def format(self, value: Any) -> str:
        runs: list[str] = []
        ids = sorted(value)
        i = 0
        while i < len(ids):
            j = i
            while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
                j += 1
            runs.append(str(ids[i]) if i == j else f"{ids[i]}-{ids[j]}")
            i = j + 1
        return ",".join(runs)


CPUSET = CpuSet()
