"""XDR codecs and RPC framing: exact bytes from RFC 4506's rules, limits, and refusal of bad input."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from virt.errors import ErrorDomain, ErrorNumber, NotFound, VirtError
from virt.remote import protocol, xdr

DOMAIN = xdr.Struct("remote_nonnull_domain", ("name", xdr.String()), ("uuid", xdr.UUID), ("id", xdr.Int))


def test_words_are_big_endian_and_whole() -> None:
    assert xdr.Int.encode(-2) == b"\xff\xff\xff\xfe"
    assert xdr.UInt.encode(1) == b"\0\0\0\1"
    assert xdr.UHyper.encode(2**40) == b"\0\0\1\0\0\0\0\0"
    assert xdr.UChar.encode(7) == b"\0\0\0\7"  # a char takes a whole word
    assert xdr.Bool.encode(True) == b"\0\0\0\1"


def test_string_is_length_bytes_and_zero_padding() -> None:
    assert xdr.String().encode("test") == b"\0\0\0\4test"
    assert xdr.String().encode("abcde") == b"\0\0\0\5abcde\0\0\0"
    assert xdr.String().decode(b"\0\0\0\5abcde\0\0\0") == "abcde"


def test_nonnull_domain_layout() -> None:
    value = {"name": "test", "uuid": uuid.UUID(int=1), "id": -1}
    data = DOMAIN.encode(value)
    assert data == b"\0\0\0\4test" + uuid.UUID(int=1).bytes + b"\xff\xff\xff\xff"
    assert DOMAIN.decode(data) == value


def test_char_array_takes_a_word_per_char() -> None:
    codec = xdr.CharArray(32)
    data = codec.encode("x86_64")
    assert len(data) == 128
    assert data[:8] == b"\0\0\0x\0\0\0\x38"
    assert codec.decode(data) == "x86_64"


def test_optional_treats_any_nonzero_flag_as_present() -> None:
    codec = xdr.Optional(xdr.String())
    assert codec.encode(None) == b"\0\0\0\0"
    # go-libvirt's flag for "present"
    assert codec.decode(b"\1\0\0\0" + xdr.String().encode("x")) == "x"


@pytest.mark.parametrize(
    ("codec", "data", "words"),
    [
        (xdr.Int, b"\0\0", "truncated"),
        (xdr.String(), b"\0\0\0\x09abc", "truncated"),
        (xdr.String(8), b"\0\0\0\x09abcdefghi\0\0\0", "exceeds the limit of 8"),
        (xdr.Array(xdr.Int, 16384), b"\xff\xff\xff\xff", "exceeds the limit of 16384"),
        (xdr.Bool, b"\0\0\0\2", "not 0 or 1"),
        (xdr.String(), b"\0\0\0\2\xff\xfe\0\0", "not UTF-8"),
        (xdr.Int, b"\0\0\0\1\0", "unexpected bytes"),
        (xdr.Union("typed_param_value", {1: xdr.Int}), b"\0\0\0\x09\0\0\0\0", "unknown discriminant 9"),
    ],
)
def test_bad_input_is_an_rpc_error_naming_the_problem(codec: xdr.Codec[object], data: bytes, words: str) -> None:
    with pytest.raises(xdr.XDRError, match=words) as caught:
        codec.decode(data)
    assert caught.value.code == ErrorNumber.RPC and caught.value.domain == ErrorDomain.RPC


def test_encoding_checks_ranges_and_limits() -> None:
    with pytest.raises(xdr.XDRError, match="does not fit an XDR int"):
        xdr.Int.encode(2**31)
    with pytest.raises(xdr.XDRError, match="exceeds the limit of 2"):
        xdr.Array(xdr.Int, 2).encode([1, 2, 3])
    with pytest.raises(xdr.XDRError, match="remote_nonnull_domain: field 'id' is missing"):
        DOMAIN.encode({"name": "x", "uuid": uuid.UUID(int=0)})
    with pytest.raises(xdr.XDRError, match=r"remote_nonnull_domain\.id: "):
        DOMAIN.encode({"name": "x", "uuid": uuid.UUID(int=0), "id": "1"})


@given(
    st.text(max_size=40),
    st.uuids(),
    st.integers(-(2**31), 2**31 - 1),
    st.lists(st.integers(0, 2**64 - 1), max_size=5),
    st.none() | st.text(max_size=5),
)
def test_round_trip(name: str, uuid_: uuid.UUID, id_: int, hypers: list[int], note: str | None) -> None:
    codec = xdr.Struct(
        "sample",
        ("dom", DOMAIN),
        ("values", xdr.Array(xdr.UHyper, 8)),
        ("note", xdr.Optional(xdr.String())),
        ("blob", xdr.Opaque(64)),
    )
    value = {
        "dom": {"name": name, "uuid": uuid_, "id": id_},
        "values": hypers,
        "note": note,
        "blob": name.encode()[:64],
    }
    assert codec.decode(codec.encode(value)) == value


def test_frame_and_header() -> None:
    header = protocol.Header(protocol.Program.REMOTE, 1, 66, protocol.MessageType.CALL, 0, protocol.Status.OK)
    packet = protocol.frame(header)
    assert len(packet) == 28
    assert protocol.packet_length(packet[:4]) == 28
    assert protocol.parse_header(packet) == header
    assert packet[4:8] == b"\x20\x00\x80\x86"


@pytest.mark.parametrize(("length", "words"), [(27, "shorter than"), (33554437, "exceeds the limit")])
def test_impossible_packet_lengths_are_refused(length: int, words: str) -> None:
    with pytest.raises(xdr.XDRError, match=words):
        protocol.packet_length(length.to_bytes(4, "big"))


def test_errors_cross_the_wire_unchanged() -> None:
    sent = NotFound("Domain not found: no domain with matching name 'x'", ErrorNumber.NO_DOMAIN, ErrorDomain.TEST)
    received = protocol.decode_error(protocol.encode_error(sent))
    assert isinstance(received, NotFound)
    assert (received.code, received.domain, received.message) == (sent.code, sent.domain, sent.message)


def test_unknown_procedure_has_the_contract_clients_rely_on() -> None:
    error = protocol.decode_error(protocol.encode_error(protocol.unknown_procedure(protocol.Program.REMOTE, 9999)))
    assert (error.code, error.domain) == (ErrorNumber.RPC, ErrorDomain.RPC)
    assert error.message.startswith("unknown procedure")
    assert isinstance(error, VirtError)
