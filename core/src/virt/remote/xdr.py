"""XDR (RFC 4506) as libvirt's RPC uses it: big-endian, every integer and char a whole 4-byte word.

A codec is an object with ``pack(out, value)`` appending to a bytearray and ``unpack(reader)``
reading from a :class:`Reader`. Codecs compose (``Struct``, ``Array``, ``Optional``...) into the
message definitions of :mod:`virt.remote.messages`. Every limit the protocol states is checked on
both sides, and malformed input raises :class:`XDRError` naming what is wrong, never IndexError.
"""

from __future__ import annotations

import struct
import uuid as uuid_module
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from virt.errors import ErrorDomain, ErrorNumber, VirtError

T = TypeVar("T")

_INT = struct.Struct(">i")
_UINT = struct.Struct(">I")
_HYPER = struct.Struct(">q")
_UHYPER = struct.Struct(">Q")
_DOUBLE = struct.Struct(">d")
_PADDING = (b"", b"\0\0\0", b"\0\0", b"\0")

STRING_MAX = 4194304  # REMOTE_STRING_MAX


class XDRError(VirtError):
    """Bytes that are not the XDR a message should hold, or a value that cannot be encoded."""

    default_code = ErrorNumber.RPC

    def __init__(self, message: str) -> None:
        super().__init__(message, ErrorNumber.RPC, ErrorDomain.RPC)


class Reader:
    """A cursor over one message's payload."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes | memoryview, pos: int = 0) -> None:
        self.data = bytes(data)
        self.pos = pos

    def take(self, size: int) -> bytes:
        end = self.pos + size
        if size < 0 or end > len(self.data):
            raise XDRError(f"truncated XDR: {size} bytes wanted at offset {self.pos}, {len(self.data) - self.pos} left")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def word(self, codec: struct.Struct) -> Any:
        pos = self.pos
        if pos + codec.size > len(self.data):
            raise XDRError(f"truncated XDR: {codec.size} bytes wanted at offset {pos}, {len(self.data) - pos} left")
        self.pos = pos + codec.size
        return codec.unpack_from(self.data, pos)[0]

    def count(self, limit: int, what: str) -> int:
        """A length or element count, refused before anything is allocated when over ``limit``."""
        value: int = self.word(_UINT)
        if value > limit:
            raise XDRError(f"{what} of {value} exceeds the limit of {limit}")
        return value

    def finish(self) -> None:
        """Refuse bytes left over after the last field."""
        if self.pos != len(self.data):
            raise XDRError(f"{len(self.data) - self.pos} unexpected bytes after the message payload")


class Codec(Generic[T]):
    """One XDR type: how a Python value becomes words and back."""

    __slots__ = ()

    def pack(self, out: bytearray, value: T) -> None:
        raise NotImplementedError

    def unpack(self, reader: Reader) -> T:
        raise NotImplementedError

    def encode(self, value: T) -> bytes:
        out = bytearray()
        self.pack(out, value)
        return bytes(out)

    def decode(self, data: bytes | memoryview) -> T:
        """Decode a whole buffer; trailing bytes are an error."""
        reader = Reader(data)
        value = self.unpack(reader)
        reader.finish()
        return value


class _Word(Codec[int]):
    __slots__ = ("_high", "_low", "_name", "_struct")

    def __init__(self, codec: struct.Struct, low: int, high: int, name: str) -> None:
        self._struct = codec
        self._low = low
        self._high = high
        self._name = name

    def pack(self, out: bytearray, value: int) -> None:
        if not isinstance(value, int) or not self._low <= value <= self._high:
            raise XDRError(f"{value!r} does not fit an XDR {self._name}")
        out += self._struct.pack(value)

    def unpack(self, reader: Reader) -> int:
        value: int = reader.word(self._struct)
        return value


Int = _Word(_INT, -(2**31), 2**31 - 1, "int")
UInt = _Word(_UINT, 0, 2**32 - 1, "unsigned int")
Hyper = _Word(_HYPER, -(2**63), 2**63 - 1, "hyper")
UHyper = _Word(_UHYPER, 0, 2**64 - 1, "unsigned hyper")
# char and short travel as whole words, signed or not as declared.
Char = Int
UChar = UInt
Short = Int
UShort = UInt


class _Bool(Codec[bool]):
    __slots__ = ()

    def pack(self, out: bytearray, value: bool) -> None:
        out += _INT.pack(1 if value else 0)

    def unpack(self, reader: Reader) -> bool:
        value = reader.word(_INT)
        if value not in (0, 1):
            raise XDRError(f"XDR bool holds {value}, not 0 or 1")
        return bool(value)


Bool = _Bool()


class _Double(Codec[float]):
    __slots__ = ()

    def pack(self, out: bytearray, value: float) -> None:
        out += _DOUBLE.pack(float(value))

    def unpack(self, reader: Reader) -> float:
        value: float = reader.word(_DOUBLE)
        return value


Double = _Double()


class Opaque(Codec[bytes]):
    """Variable-length opaque data ``opaque x<max>``."""

    __slots__ = ("max",)

    def __init__(self, max: int) -> None:
        self.max = max

    def pack(self, out: bytearray, value: bytes) -> None:
        if len(value) > self.max:
            raise XDRError(f"opaque data of {len(value)} bytes exceeds the limit of {self.max}")
        out += _UINT.pack(len(value))
        out += value
        out += _PADDING[len(value) & 3]

    def unpack(self, reader: Reader) -> bytes:
        size = reader.count(self.max, "opaque data length")
        data = reader.take(size)
        reader.take((4 - size & 3) & 3)
        return data


class FixedOpaque(Codec[bytes]):
    """Fixed-length opaque data ``opaque x[size]``: no length word."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        self.size = size

    def pack(self, out: bytearray, value: bytes) -> None:
        if len(value) != self.size:
            raise XDRError(f"fixed opaque data needs {self.size} bytes, got {len(value)}")
        out += value
        out += _PADDING[self.size & 3]

    def unpack(self, reader: Reader) -> bytes:
        data = reader.take(self.size)
        reader.take((4 - self.size & 3) & 3)
        return data


class String(Codec[str]):
    """``string x<max>``, UTF-8 text."""

    __slots__ = ("max",)

    def __init__(self, max: int = STRING_MAX) -> None:
        self.max = max

    def pack(self, out: bytearray, value: str) -> None:
        if not isinstance(value, str):
            raise XDRError(f"{value!r} is not a string")
        data = value.encode()
        if len(data) > self.max:
            raise XDRError(f"string of {len(data)} bytes exceeds the limit of {self.max}")
        out += _UINT.pack(len(data))
        out += data
        out += _PADDING[len(data) & 3]

    def unpack(self, reader: Reader) -> str:
        size = reader.count(self.max, "string length")
        data = reader.take(size)
        reader.take((4 - size & 3) & 3)
        try:
            return data.decode()
        except UnicodeDecodeError as exc:
            raise XDRError(f"string is not UTF-8: {exc.reason} at byte {exc.start}") from None


class _UUID(Codec[uuid_module.UUID]):
    """``remote_uuid``: 16 raw bytes."""

    __slots__ = ()

    def pack(self, out: bytearray, value: uuid_module.UUID) -> None:
        out += value.bytes

    def unpack(self, reader: Reader) -> uuid_module.UUID:
        return uuid_module.UUID(bytes=reader.take(16))


UUID = _UUID()


class Optional(Codec["T | None"]):
    """``T *``: a presence word, then the value when present."""

    __slots__ = ("item",)

    def __init__(self, item: Codec[T]) -> None:
        self.item = item

    def pack(self, out: bytearray, value: T | None) -> None:
        if value is None:
            out += b"\0\0\0\0"
        else:
            out += b"\0\0\0\1"
            self.item.pack(out, value)

    def unpack(self, reader: Reader) -> T | None:
        # Any non-zero flag means present: go-libvirt sends 0x01000000.
        if reader.word(_UINT) == 0:
            return None
        return self.item.unpack(reader)


class Array(Codec[list[T]]):
    """``T x<max>``: a count, then the elements."""

    __slots__ = ("item", "max")

    def __init__(self, item: Codec[T], max: int) -> None:
        self.item = item
        self.max = max

    def pack(self, out: bytearray, value: Sequence[T]) -> None:  # type: ignore[override]
        if len(value) > self.max:
            raise XDRError(f"array of {len(value)} elements exceeds the limit of {self.max}")
        out += _UINT.pack(len(value))
        pack = self.item.pack
        for element in value:
            pack(out, element)

    def unpack(self, reader: Reader) -> list[T]:
        size = reader.count(self.max, "array length")
        unpack = self.item.unpack
        return [unpack(reader) for _ in range(size)]


class CharArray(Codec[str]):
    """``char x[size]``, a NUL-padded C string whose every char takes a whole word."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        self.size = size

    def pack(self, out: bytearray, value: str) -> None:
        data = value.encode()[: self.size - 1]
        chars = data + b"\0" * (self.size - len(data))
        out += struct.pack(f">{self.size}i", *(c - 256 if c > 127 else c for c in chars))

    def unpack(self, reader: Reader) -> str:
        words = struct.unpack(f">{self.size}i", reader.take(4 * self.size))
        data = bytes(w & 0xFF for w in words)
        return data.split(b"\0", 1)[0].decode(errors="replace")


class Struct(Codec[dict[str, Any]]):
    """A struct: the fields in order, as a dict keyed by field name."""

    __slots__ = ("fields", "name")

    def __init__(self, name: str, *fields: tuple[str, Codec[Any]]) -> None:
        self.name = name
        self.fields = fields

    def pack(self, out: bytearray, value: dict[str, Any]) -> None:
        for field, codec in self.fields:
            try:
                item = value[field]
            except KeyError:
                raise XDRError(f"{self.name}: field {field!r} is missing") from None
            try:
                codec.pack(out, item)
            except XDRError as exc:
                raise XDRError(f"{self.name}.{field}: {exc.message}") from None

    def unpack(self, reader: Reader) -> dict[str, Any]:
        return {field: codec.unpack(reader) for field, codec in self.fields}


class Union(Codec[tuple[int, Any]]):
    """A discriminated union over an int: ``(discriminant, value)``."""

    __slots__ = ("arms", "name")

    def __init__(self, name: str, arms: dict[int, Codec[Any]]) -> None:
        self.name = name
        self.arms = arms

    def pack(self, out: bytearray, value: tuple[int, Any]) -> None:
        discriminant, item = value
        codec = self.arms.get(discriminant)
        if codec is None:
            raise XDRError(f"{self.name}: no arm for discriminant {discriminant}")
        out += _INT.pack(discriminant)
        codec.pack(out, item)

    def unpack(self, reader: Reader) -> tuple[int, Any]:
        discriminant: int = reader.word(_INT)
        codec = self.arms.get(discriminant)
        if codec is None:
            raise XDRError(f"{self.name}: unknown discriminant {discriminant}")
        return discriminant, codec.unpack(reader)


class _Void(Codec[None]):
    __slots__ = ()

    def pack(self, out: bytearray, value: None) -> None:
        pass

    def unpack(self, reader: Reader) -> None:
        return None


Void = _Void()
