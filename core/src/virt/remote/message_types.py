"""The building blocks of libvirt's remote messages: limits, shared structs and the Procedure record.

Every limit and layout here is a fact of libvirt's ``remote_protocol.x``; the per-family modules
under :mod:`virt.remote.calls` compose them into each procedure's arguments and reply.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from virt.remote import xdr
from virt.remote.procedure_numbers import RemoteProcedure

# Limits on lists and buffers (REMOTE_*_MAX), as the protocol states them.
STRING_MAX = xdr.STRING_MAX
DOMAIN_LIST_MAX = 16384
CPUMAP_MAX = 2048
VCPUINFO_MAX = 16384
CPUMAPS_MAX = 8388608
MIGRATE_COOKIE_MAX = 4194304
NETWORK_LIST_MAX = 16384
INTERFACE_LIST_MAX = 16384
STORAGE_POOL_LIST_MAX = 4096
STORAGE_VOL_LIST_MAX = 16384
NODE_DEVICE_LIST_MAX = 16384
NODE_DEVICE_CAPS_LIST_MAX = 65536
NWFILTER_LIST_MAX = 1024
NWFILTER_BINDING_LIST_MAX = 1024
DOMAIN_SCHEDULER_PARAMETERS_MAX = 16
DOMAIN_BLKIO_PARAMETERS_MAX = 16
DOMAIN_MEMORY_PARAMETERS_MAX = 16
DOMAIN_BLOCK_IO_TUNE_PARAMETERS_MAX = 32
DOMAIN_NUMA_PARAMETERS_MAX = 16
DOMAIN_PERF_EVENTS_MAX = 64
NODE_CPU_STATS_MAX = 16
NODE_MEMORY_STATS_MAX = 16
DOMAIN_BLOCK_STATS_PARAMETERS_MAX = 16
NODE_MAX_CELLS = 1024
AUTH_SASL_DATA_MAX = 65536
AUTH_TYPE_LIST_MAX = 20
DOMAIN_MEMORY_STATS_MAX = 1024
DOMAIN_SNAPSHOT_LIST_MAX = 1024
SECURITY_LABEL_LIST_MAX = 64
# VIR_SECURITY_MODEL_BUFLEN, VIR_SECURITY_LABEL_BUFLEN, VIR_SECURITY_DOI_BUFLEN from libvirt-host.h.
SECURITY_MODEL_MAX = 256 + 1
SECURITY_LABEL_MAX = 4096 + 1
SECURITY_DOI_MAX = 256 + 1
SECRET_VALUE_MAX = 65536
SECRET_LIST_MAX = 16384
CPU_BASELINE_MAX = 256
DOMAIN_INTERFACE_PARAMETERS_MAX = 16
DOMAIN_DISK_ERRORS_MAX = 256
DOMAIN_JOB_STATS_MAX = 64
CONNECT_CPU_MODELS_MAX = 8192
CONNECT_GET_ALL_DOMAIN_STATS_MAX = 4096
DOMAIN_EVENT_TUNABLE_MAX = 2048
DOMAIN_EVENT_GRAPHICS_IDENTITY_MAX = 20
DOMAIN_FSINFO_MAX = 256
DOMAIN_FSINFO_DISKS_MAX = 256
DOMAIN_INTERFACE_MAX = 2048
DOMAIN_IP_ADDR_MAX = 2048
DOMAIN_MESSAGES_MAX = 2048
DOMAIN_GET_CPU_STATS_MAX = 2048
DOMAIN_SEND_KEY_MAX = 16
NODE_MEMORY_PARAMETERS_MAX = 64
IOTHREAD_INFO_MAX = 16384
DOMAIN_FSFREEZE_MOUNTPOINTS_MAX = 256
DOMAIN_GUEST_VCPU_PARAMS_MAX = 64
NETWORK_DHCP_LEASES_MAX = 65536

NONNULL_STRING = xdr.String(STRING_MAX)
REMOTE_STRING: xdr.Codec[str | None] = xdr.Optional(NONNULL_STRING)

NONNULL_DOMAIN = xdr.Struct("remote_nonnull_domain", ("name", NONNULL_STRING), ("uuid", xdr.UUID), ("id", xdr.Int))
NONNULL_NETWORK = xdr.Struct("remote_nonnull_network", ("name", NONNULL_STRING), ("uuid", xdr.UUID))
NONNULL_NWFILTER = xdr.Struct("remote_nonnull_nwfilter", ("name", NONNULL_STRING), ("uuid", xdr.UUID))
NONNULL_NWFILTER_BINDING = xdr.Struct(
    "remote_nonnull_nwfilter_binding", ("portdev", NONNULL_STRING), ("filtername", NONNULL_STRING)
)
NONNULL_INTERFACE = xdr.Struct("remote_nonnull_interface", ("name", NONNULL_STRING), ("mac", NONNULL_STRING))
NONNULL_STORAGE_POOL = xdr.Struct("remote_nonnull_storage_pool", ("name", NONNULL_STRING), ("uuid", xdr.UUID))
NONNULL_STORAGE_VOL = xdr.Struct(
    "remote_nonnull_storage_vol", ("pool", NONNULL_STRING), ("name", NONNULL_STRING), ("key", NONNULL_STRING)
)
NONNULL_NODE_DEVICE = xdr.Struct("remote_nonnull_node_device", ("name", NONNULL_STRING))
NONNULL_SECRET = xdr.Struct(
    "remote_nonnull_secret", ("uuid", xdr.UUID), ("usageType", xdr.Int), ("usageID", NONNULL_STRING)
)
NONNULL_DOMAIN_SNAPSHOT = xdr.Struct(
    "remote_nonnull_domain_snapshot", ("name", NONNULL_STRING), ("dom", NONNULL_DOMAIN)
)

REMOTE_DOMAIN = xdr.Optional(NONNULL_DOMAIN)
REMOTE_NETWORK = xdr.Optional(NONNULL_NETWORK)
REMOTE_STORAGE_POOL = xdr.Optional(NONNULL_STORAGE_POOL)
REMOTE_NODE_DEVICE = xdr.Optional(NONNULL_NODE_DEVICE)

# virTypedParameterType numbers, the discriminant of remote_typed_param_value.
TYPED_PARAM_INT = 1
TYPED_PARAM_UINT = 2
TYPED_PARAM_LLONG = 3
TYPED_PARAM_ULLONG = 4
TYPED_PARAM_DOUBLE = 5
TYPED_PARAM_BOOLEAN = 6
TYPED_PARAM_STRING = 7

TYPED_PARAM_VALUE = xdr.Union(
    "remote_typed_param_value",
    {
        TYPED_PARAM_INT: xdr.Int,
        TYPED_PARAM_UINT: xdr.UInt,
        TYPED_PARAM_LLONG: xdr.Hyper,
        TYPED_PARAM_ULLONG: xdr.UHyper,
        TYPED_PARAM_DOUBLE: xdr.Double,
        # A boolean travels as a plain int, not an XDR bool: any value is legal on the wire.
        TYPED_PARAM_BOOLEAN: xdr.Int,
        TYPED_PARAM_STRING: NONNULL_STRING,
    },
)
TYPED_PARAM = xdr.Struct("remote_typed_param", ("field", NONNULL_STRING), ("value", TYPED_PARAM_VALUE))


def typed_params(max: int) -> xdr.Array[dict[str, Any]]:
    """``remote_typed_param params<max>``: each element ``{"field": str, "value": (type, value)}``."""
    return xdr.Array(TYPED_PARAM, max)


# The list most procedures' typed parameters share a bound with; callers needing another bound use
# typed_params().
TYPED_PARAMS = typed_params(CONNECT_GET_ALL_DOMAIN_STATS_MAX)


class CharString(xdr.Codec[str]):
    """``char x<max>`` holding a C string: one word per char, the terminating NUL included.

    libvirt sends security models and labels this way (length = strlen + 1); the text ends at the
    first NUL when read back.
    """

    __slots__ = ("max",)

    def __init__(self, max: int) -> None:
        self.max = max

    def pack(self, out: bytearray, value: str) -> None:
        if not isinstance(value, str):
            raise xdr.XDRError(f"{value!r} is not a string")
        data = value.encode() + b"\0"
        if len(data) > self.max:
            raise xdr.XDRError(f"char array of {len(data)} chars exceeds the limit of {self.max}")
        _pack_chars(out, data)

    def unpack(self, reader: xdr.Reader) -> str:
        data = _unpack_chars(reader, reader.count(self.max, "char array length"))
        return data.split(b"\0", 1)[0].decode(errors="replace")


class CharBytes(xdr.Codec[bytes]):
    """``char x<max>`` holding raw bytes (SASL tokens): one word per byte, no terminator."""

    __slots__ = ("max",)

    def __init__(self, max: int) -> None:
        self.max = max

    def pack(self, out: bytearray, value: bytes) -> None:
        if not isinstance(value, (bytes, bytearray)):
            raise xdr.XDRError(f"{value!r} is not bytes")
        if len(value) > self.max:
            raise xdr.XDRError(f"char array of {len(value)} chars exceeds the limit of {self.max}")
        _pack_chars(out, bytes(value))

    def unpack(self, reader: xdr.Reader) -> bytes:
        return _unpack_chars(reader, reader.count(self.max, "char array length"))


def _pack_chars(out: bytearray, data: bytes) -> None:
    out += struct.pack(f">I{len(data)}i", len(data), *(c - 256 if c > 127 else c for c in data))


def _unpack_chars(reader: xdr.Reader, size: int) -> bytes:
    words = struct.unpack(f">{size}i", reader.take(4 * size))
    return bytes(w & 0xFF for w in words)


def struct_of(name: str, *fields: tuple[str, xdr.Codec[Any]]) -> xdr.Struct:
    """A struct named as in the .x, for error messages that point at the right definition."""
    return xdr.Struct(name, *fields)


def domain_only(name: str) -> xdr.Struct:
    """The many ``{remote_nonnull_domain dom;}`` argument structs."""
    return xdr.Struct(name, ("dom", NONNULL_DOMAIN))


def domain_flags(name: str) -> xdr.Struct:
    """The many ``{remote_nonnull_domain dom; unsigned int flags;}`` argument structs."""
    return xdr.Struct(name, ("dom", NONNULL_DOMAIN), ("flags", xdr.UInt))


def single(name: str, field: str, codec: xdr.Codec[Any]) -> xdr.Struct:
    """A one-field struct (``{int num;}``, ``{remote_nonnull_string xml;}``...)."""
    return xdr.Struct(name, (field, codec))


def need_results(name: str) -> xdr.Struct:
    """``{int need_results; unsigned int flags;}``, the arguments of every CONNECT_LIST_ALL_*."""
    return xdr.Struct(name, ("need_results", xdr.Int), ("flags", xdr.UInt))


Predicate = Callable[[dict[str, Any]], bool]


def flags_include(mask: int) -> Predicate:
    """A ``writes_when`` test: any of ``mask``'s bits set in the arguments' ``flags``."""

    def test(args: dict[str, Any]) -> bool:
        return bool(int(args.get("flags", 0)) & mask)

    return test


@attrs.frozen
class Procedure:
    """One procedure of the REMOTE program.

    ``name`` is the REMOTE_PROC_ suffix. ``args`` / ``ret`` are the payload codecs (xdr.Void when
    the protocol has none; an event message's payload is its ``args``, ``ret`` is Void and
    ``event`` is True). ``writes`` is True when a read-only connection must be refused; ``api``
    names the libvirt API in that refusal ("read only access prevents virDomainDestroy").
    ``writes_when`` marks a call that is a write only with some arguments (virDomainGetXMLDesc with
    VIR_DOMAIN_XML_SECURE): ``writes`` is then False, ``api`` is set, and :meth:`refuses_readonly`
    applies the test to the decoded arguments. ``denial`` is libvirt's exact message for the refusal
    (an OPERATION_DENIED error), "" when there is none.
    """

    number: int
    name: str
    args: xdr.Codec[Any]
    ret: xdr.Codec[Any]
    writes: bool
    api: str
    writes_when: Predicate | None = attrs.field(default=None, eq=False)
    event: bool = False
    denial: str = ""

    def refuses_readonly(self, args: Any) -> bool:
        """Whether a read-only connection is denied this call with these decoded arguments."""
        if self.writes:
            return True
        return self.writes_when is not None and isinstance(args, dict) and self.writes_when(args)

    def readonly_denial(self, args: Any) -> str | None:
        """libvirt's message refusing this call on a read-only connection, or None when allowed."""
        return self.denial if self.refuses_readonly(args) else None


Fields = Sequence[tuple[str, xdr.Codec[Any]]]


def _payload(procedure: RemoteProcedure, kind: str, shape: Fields | xdr.Codec[Any] | None) -> xdr.Codec[Any]:
    if shape is None:
        return xdr.Void
    if isinstance(shape, xdr.Codec):
        return shape
    return xdr.Struct(f"remote_{procedure.name.lower()}_{kind}", *shape)


def call(
    procedure: RemoteProcedure,
    args: Fields | xdr.Codec[Any] | None = None,
    ret: Fields | xdr.Codec[Any] | None = None,
    *,
    write: str = "",
    write_when: tuple[Predicate, str] | None = None,
    denial: str = "",
) -> Procedure:
    """A call; ``args`` / ``ret`` given as the .x struct's fields (named remote_<proc>_args/_ret).

    ``write`` is the libvirt API a read-only connection is refused; ``write_when`` is (test on the
    arguments, API) for calls that are writes only with some arguments. ``denial`` overrides
    libvirt's usual "read only access prevents <API>" wording.
    """
    when, api = write_when if write_when is not None else (None, write)
    if api and not denial:
        denial = f"read only access prevents {api}"
    return Procedure(
        number=int(procedure),
        name=procedure.name,
        args=_payload(procedure, "args", args),
        ret=_payload(procedure, "ret", ret),
        writes=bool(write),
        api=api,
        writes_when=when,
        denial=f"operation forbidden: {denial}" if denial else "",
    )


def message(procedure: RemoteProcedure, payload: Fields) -> Procedure:
    """An event message the server sends (payload struct remote_<proc>_msg)."""
    return Procedure(
        number=int(procedure),
        name=procedure.name,
        args=_payload(procedure, "msg", payload),
        ret=xdr.Void,
        writes=False,
        api="",
        event=True,
    )
