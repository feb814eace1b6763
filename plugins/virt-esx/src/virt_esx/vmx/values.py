"""Typed reads of .vmx entries, and VMware's hex escapes, with libvirt's messages for bad values."""

from __future__ import annotations

import re
import uuid

from virt.errors import ErrorNumber, VirtError, libvirt_error

from virt_esx.vmx.syntax import VmxFile

_LONG = re.compile(r"\s*[+-]?[0-9]+")
_HEX = frozenset("0123456789abcdefABCDEF")


def error(message: str) -> VirtError:
    """The error libvirt's VMX code raises for a value it cannot take (an internal error, in its words)."""
    return libvirt_error(ErrorNumber.INTERNAL_ERROR, message)


def unsupported(message: str) -> VirtError:
    return libvirt_error(ErrorNumber.CONFIG_UNSUPPORTED, message)


def parse_long(text: str) -> int | None:
    """A decimal integer as strtoll reads a whole string (leading blanks and a sign allowed), or None."""
    return int(text, 10) if _LONG.fullmatch(text) else None


def parse_uuid(text: str) -> uuid.UUID | None:
    """A UUID as libvirt reads one: 32 hex digits with any dashes and blanks between the bytes
    (VMware writes ``56 4d 9b ef ac d9 b4 e0-c8 f0 ae a8 b9 10 35 15``), or None."""
    digits: list[str] = []
    rest = text.lstrip()
    pos = 0
    while len(digits) < 16:
        if pos >= len(rest):
            return None
        if rest[pos] in "- ":
            pos += 1
            continue
        pair = rest[pos : pos + 2]
        if len(pair) < 2 or not set(pair) <= _HEX:
            return None
        digits.append(pair)
        pos += 2
    if rest[pos:].strip():
        return None
    return uuid.UUID("".join(digits))


class Values:
    """The entries of one .vmx file read as strings, integers, booleans and UUIDs."""

    def __init__(self, vmx: VmxFile) -> None:
        self.vmx = vmx

    def string(self, key: str, optional: bool = True) -> str | None:
        value = self.vmx.get(key)
        if value is None and not optional:
            raise error(f"Missing essential config entry '{key}'")
        return value

    def required(self, key: str) -> str:
        value = self.string(key, optional=False)
        assert value is not None
        return value

    def long(self, key: str, default: int, optional: bool = True) -> int:
        """The integer in ``key`` (``unlimited`` is -1), ``default`` when it is absent."""
        value = self.string(key, optional)
        if value is None:
            return default
        if value.lower() == "unlimited":
            return -1
        number = parse_long(value)
        if number is None:
            raise error(f"Config entry '{key}' must represent an integer value")
        return number

    def boolean(self, key: str, default: bool) -> bool:
        value = self.string(key)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise error(f"Config entry '{key}' must represent a boolean value (true|false)")

    def uuid(self, key: str) -> uuid.UUID | None:
        value = self.string(key)
        if value is None:
            return None
        found = parse_uuid(value)
        if found is None:
            raise error(f"Could not parse UUID from string '{value}'")
        return found


def escape_hex(text: str, escape: str, special: str) -> str:
    """``text`` with ``escape`` and every character of ``special`` written as ``escape`` + two hex digits."""
    return "".join(f"{escape}{ord(c):02x}" if c == escape or c in special else c for c in text)


def unescape_hex(text: str, escape: str) -> str | None:
    """The inverse of escape_hex (on the UTF-8 bytes, as VMware escapes them), None for a broken escape."""
    data = text.encode()
    marker = ord(escape)
    out = bytearray()
    pos = 0
    while pos < len(data):
        if data[pos] == marker:
            pair = data[pos + 1 : pos + 3].decode("ascii", "replace")
            if len(pair) < 2 or not set(pair) <= _HEX:
                return None
            out.append(int(pair, 16))
            pos += 3
        else:
            out.append(data[pos])
            pos += 1
    try:
        return out.decode()
    except UnicodeDecodeError:
        return None


# A VM's display name escapes '|' and '"' with '|', then '%', '/' and '\' with '%'; its annotation
# escapes only the former (libvirt's virVMXEscapeHexPipe / virVMXEscapeHexPercent), and line breaks,
# which VMware writes as |0A (libvirt would write them raw, breaking the line-based file).
def escape_name(name: str) -> str:
    return escape_hex(escape_hex(name, "|", '"'), "%", "/\\")


def escape_annotation(text: str) -> str:
    return escape_hex(text, "|", '"\n\r')
