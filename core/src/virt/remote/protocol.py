"""libvirt's RPC framing: programs, message types, the 24-byte header, limits and the error payload.

A packet is a big-endian u32 length that counts itself, the header, then the payload. Numbers here
are facts of libvirt's protocol definitions (virnetprotocol.x); they never change.
"""

from __future__ import annotations

import enum
import struct
from typing import Any, NamedTuple

from virt.errors import ErrorDomain, ErrorNumber, VirtError, error_class
from virt.remote import xdr

MESSAGE_MAX = 33554432  # VIR_NET_MESSAGE_MAX: header + payload
HEADER_SIZE = 24
LENGTH_SIZE = 4
PAYLOAD_MAX = MESSAGE_MAX - HEADER_SIZE
FDS_MAX = 32
# A client asks for a keepalive reply after this many seconds of silence; virsh's default.
KEEPALIVE_INTERVAL = 5
KEEPALIVE_COUNT = 5


class Program(enum.IntEnum):
    REMOTE = 0x20008086
    QEMU = 0x20008087
    LXC = 0x00068000
    ADMIN = 0x06900690
    KEEPALIVE = 0x6B656570


PROGRAM_VERSION = 1


class KeepaliveProcedure(enum.IntEnum):
    PING = 1
    PONG = 2


class MessageType(enum.IntEnum):
    CALL = 0
    REPLY = 1
    MESSAGE = 2
    STREAM = 3
    CALL_WITH_FDS = 4
    REPLY_WITH_FDS = 5
    STREAM_HOLE = 6


class Status(enum.IntEnum):
    OK = 0
    ERROR = 1
    CONTINUE = 2


class ErrorLevel(enum.IntEnum):
    NONE = 0
    WARNING = 1
    ERROR = 2


class AuthType(enum.IntEnum):
    NONE = 0
    SASL = 1
    POLKIT = 2


class Feature(enum.IntEnum):
    """virDrvFeature numbers a client asks CONNECT_SUPPORTS_FEATURE about."""

    MIGRATION_V1 = 1
    REMOTE = 2
    MIGRATION_V2 = 3
    MIGRATION_P2P = 4
    MIGRATION_DIRECT = 5
    MIGRATION_V3 = 6
    MIGRATE_CHANGE_PROTECTION = 7
    FD_PASSING = 8
    TYPED_PARAM_STRING = 9
    PROGRAM_KEEPALIVE = 10
    XML_MIGRATABLE = 11
    MIGRATION_OFFLINE = 12
    MIGRATION_PARAMS = 13
    REMOTE_EVENT_CALLBACK = 14
    REMOTE_CLOSE_CALLBACK = 15
    NETWORK_UPDATE_HAS_CORRECT_ORDER = 16


# Length word, then the header: unsigned prog, vers; int proc; enum type; unsigned serial; enum status.
_HEADER = struct.Struct(">IIIiiIi")
# The same layout for readers that unpack a packet's start in place (the daemon, without a copy).
PACKET_START = _HEADER
_LENGTH = struct.Struct(">I")


class Header(NamedTuple):
    program: int
    version: int
    procedure: int
    type: int
    serial: int
    status: int


def frame(header: Header, payload: bytes | bytearray = b"") -> bytes:
    """One packet: length word, header, payload."""
    if len(payload) > PAYLOAD_MAX:
        raise xdr.XDRError(f"message payload of {len(payload)} bytes exceeds the limit of {PAYLOAD_MAX}")
    return _HEADER.pack(LENGTH_SIZE + HEADER_SIZE + len(payload), *header) + payload


def packet_length(prefix: bytes | bytearray | memoryview) -> int:
    """The whole packet's length from its first 4 bytes, refused when impossible."""
    (length,) = _LENGTH.unpack_from(prefix)
    if length < LENGTH_SIZE + HEADER_SIZE:
        raise xdr.XDRError(f"packet length {length} is shorter than the {LENGTH_SIZE + HEADER_SIZE}-byte minimum")
    if length > LENGTH_SIZE + MESSAGE_MAX:
        raise xdr.XDRError(f"packet length {length} exceeds the limit of {LENGTH_SIZE + MESSAGE_MAX}")
    return int(length)


def parse_header(packet: bytes | bytearray | memoryview) -> Header:
    """The header of a whole packet (length word included)."""
    if len(packet) < LENGTH_SIZE + HEADER_SIZE:
        raise xdr.XDRError(f"packet of {len(packet)} bytes has no complete header")
    _, *fields = _HEADER.unpack_from(packet)
    return Header(*fields)


# remote_error: the payload of every reply with status ERROR.
_NETWORK = xdr.Struct("remote_nonnull_network", ("name", xdr.String()), ("uuid", xdr.UUID))
_DOMAIN = xdr.Struct("remote_nonnull_domain", ("name", xdr.String()), ("uuid", xdr.UUID), ("id", xdr.Int))
_OPT_STRING = xdr.Optional(xdr.String())
REMOTE_ERROR = xdr.Struct(
    "remote_error",
    ("code", xdr.Int),
    ("domain", xdr.Int),
    ("message", _OPT_STRING),
    ("level", xdr.Int),
    ("dom", xdr.Optional(_DOMAIN)),
    ("str1", _OPT_STRING),
    ("str2", _OPT_STRING),
    ("str3", _OPT_STRING),
    ("int1", xdr.Int),
    ("int2", xdr.Int),
    ("net", xdr.Optional(_NETWORK)),
)


def encode_error(error: VirtError) -> bytes:
    """The remote_error payload for ``error``, as libvirt's daemon fills it."""
    return REMOTE_ERROR.encode(
        {
            "code": int(error.code),
            "domain": int(error.domain),
            "message": error.message,
            "level": int(ErrorLevel.ERROR),
            "dom": None,
            "str1": None,
            "str2": None,
            "str3": None,
            "int1": 0,
            "int2": 0,
            "net": None,
        }
    )


def decode_error(payload: bytes) -> VirtError:
    """The VirtError a remote_error payload stands for."""
    fields: dict[str, Any] = REMOTE_ERROR.decode(payload)
    try:
        code = ErrorNumber(fields["code"])
    except ValueError:
        code = ErrorNumber.INTERNAL_ERROR
    try:
        domain = ErrorDomain(fields["domain"])
    except ValueError:
        domain = ErrorDomain.NONE
    message = fields["message"] or code.name.lower().replace("_", " ")
    return error_class(code)(message, code, domain)


_STREAM_HOLE = struct.Struct(">qI")
"""virNetStreamHole: the hole's length (a hyper) and flags, the payload of a STREAM_HOLE packet."""


def encode_stream_hole(length: int, flags: int = 0) -> bytes:
    return _STREAM_HOLE.pack(length, flags)


def decode_stream_hole(payload: bytes) -> tuple[int, int]:
    """A STREAM_HOLE packet's (length, flags); a malformed one is an RPC error, as libvirt's decoding fails."""
    if len(payload) < _STREAM_HOLE.size:
        raise rpc_error("Unable to decode message payload: stream hole")
    length, flags = _STREAM_HOLE.unpack_from(payload)
    return length, flags


def rpc_error(message: str) -> VirtError:
    """An error of the RPC layer itself (VIR_ERR_RPC from VIR_FROM_RPC)."""
    return VirtError(message, ErrorNumber.RPC, ErrorDomain.RPC)


def unknown_procedure(program: int, procedure: int) -> VirtError:
    """The exact error clients turn into NO_SUPPORT (and virsh falls back on)."""
    return rpc_error(f"unknown procedure: {procedure}")
