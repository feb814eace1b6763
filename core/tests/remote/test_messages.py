"""The REMOTE program's message table: every codec round-trips, layouts match XDR by hand, limits hold
both ways, garbage is an XDR error, and the read-only rule names libvirt's APIs."""

from __future__ import annotations

import struct
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from virt.remote import message_types, messages, xdr
from virt.remote.messages import REMOTE_PROCEDURES, RemoteProcedure

_WORDS = {
    id(xdr.Int): st.integers(-(2**31), 2**31 - 1),
    id(xdr.UInt): st.integers(0, 2**32 - 1),
    id(xdr.Hyper): st.integers(-(2**63), 2**63 - 1),
    id(xdr.UHyper): st.integers(0, 2**64 - 1),
}
_SHORT_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\0"), max_size=12)


def values(codec: xdr.Codec[Any]) -> st.SearchStrategy[Any]:
    """Sample values for any codec the message table is made of (small lists, short strings)."""
    if id(codec) in _WORDS:
        return _WORDS[id(codec)]
    if codec is xdr.Void:
        return st.none()
    if codec is xdr.Bool:
        return st.booleans()
    if codec is xdr.Double:
        return st.floats(allow_nan=False)
    if codec is xdr.UUID:
        return st.uuids()
    if isinstance(codec, xdr.String):
        return _SHORT_TEXT
    if isinstance(codec, message_types.CharString):
        return _SHORT_TEXT
    if isinstance(codec, xdr.CharArray):
        return st.text(st.characters(min_codepoint=1, max_codepoint=127), max_size=codec.size - 1)
    if isinstance(codec, (xdr.Opaque, message_types.CharBytes)):
        return st.binary(max_size=12)
    if isinstance(codec, xdr.Optional):
        return st.none() | values(codec.item)
    if isinstance(codec, xdr.Array):
        return st.lists(values(codec.item), max_size=3)
    if isinstance(codec, xdr.Struct):
        return st.fixed_dictionaries({name: values(field) for name, field in codec.fields})
    if isinstance(codec, xdr.Union):
        return st.one_of(*(st.tuples(st.just(arm), values(item)) for arm, item in codec.arms.items()))
    raise AssertionError(f"no sample values for {codec!r}")


def _payloads() -> list[Any]:
    cases = []
    for entry in REMOTE_PROCEDURES.values():
        for kind in ("args", "ret"):
            cases.append(pytest.param(getattr(entry, kind), id=f"{entry.name}-{kind}"))
    return cases


@pytest.mark.parametrize("codec", _payloads())
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_payload_round_trips(codec: xdr.Codec[Any], data: st.DataObject) -> None:
    value = data.draw(values(codec))
    encoded = codec.encode(value)
    assert len(encoded) % 4 == 0
    decoded = codec.decode(encoded)
    assert decoded == value
    assert codec.encode(decoded) == encoded


@pytest.mark.parametrize("codec", _payloads())
@settings(max_examples=25, deadline=None)
@given(
    data=st.binary(max_size=96)
    | st.lists(st.sampled_from([0, 1, 4, 0xFFFFFFFF, 0x7FFFFFFF]), max_size=24).map(
        lambda words: struct.pack(f">{len(words)}I", *words)
    )
)
def test_garbage_is_refused_as_an_xdr_error(codec: xdr.Codec[Any], data: bytes) -> None:
    # Whatever arrives, decoding either yields a value that survives a round trip or says what is
    # wrong: never another exception. (Padding bytes and presence flags are normalized, so the bytes
    # themselves may differ.)
    try:
        value = codec.decode(data)
    except xdr.XDRError:
        return
    assert codec.decode(codec.encode(value)) == value


def test_table_and_enum_agree() -> None:
    assert {entry.number for entry in REMOTE_PROCEDURES.values()} == {int(member) for member in RemoteProcedure}
    for number, entry in REMOTE_PROCEDURES.items():
        assert entry.number == number
        assert RemoteProcedure[entry.name] == number
    assert RemoteProcedure["DOMAIN_LOOKUP_BY_NAME"] == 23
    assert messages.procedure(23) is REMOTE_PROCEDURES[23]
    assert messages.procedure(9999) is None


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("CONNECT_OPEN", 1),
        ("CONNECT_CLOSE", 2),
        ("NODE_GET_INFO", 6),
        ("DOMAIN_GET_XML_DESC", 14),
        ("DOMAIN_LOOKUP_BY_NAME", 23),
        ("CONNECT_GET_HOSTNAME", 59),
        ("CONNECT_SUPPORTS_FEATURE", 60),
        ("AUTH_LIST", 66),
        ("AUTH_POLKIT", 70),
        ("CONNECT_GET_URI", 110),
        ("NODE_GET_SECURITY_MODEL", 122),
        ("DOMAIN_GET_STATE", 212),
        ("CONNECT_LIST_ALL_DOMAINS", 273),
        ("CONNECT_LIST_ALL_NETWORKS", 283),
        ("CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY", 316),
        ("DOMAIN_EVENT_CALLBACK_LIFECYCLE", 318),
        ("CONNECT_REGISTER_CLOSE_CALLBACK", 360),
        ("CONNECT_UNREGISTER_CLOSE_CALLBACK", 361),
        ("DOMAIN_GET_MESSAGES", 426),
    ],
)
def test_numbers(name: str, number: int) -> None:
    assert REMOTE_PROCEDURES[number].name == name


def _word(value: int) -> bytes:
    return struct.pack(">i", value)


def test_node_get_info_reply_layout() -> None:
    codec = REMOTE_PROCEDURES[RemoteProcedure.NODE_GET_INFO].ret
    value = {
        "model": "x86_64",
        "memory": 2**33,
        "cpus": 2,
        "mhz": 2400,
        "nodes": 1,
        "sockets": 1,
        "cores": 2,
        "threads": 1,
    }
    data = codec.encode(value)
    model = b"".join(_word(c) for c in b"x86_64") + _word(0) * 26
    assert len(model) == 128
    expected = model + struct.pack(">Q", 2**33) + b"".join(_word(n) for n in (2, 2400, 1, 1, 2, 1))
    assert data == expected
    assert len(data) == 128 + 8 + 6 * 4
    assert codec.decode(data) == value


def test_domain_lookup_by_name_layout() -> None:
    entry = REMOTE_PROCEDURES[RemoteProcedure.DOMAIN_LOOKUP_BY_NAME]
    assert entry.args.encode({"name": "test"}) == b"\0\0\0\4test"
    dom = {"name": "test", "uuid": uuid.UUID("6695eb01-f6a4-8304-79aa-97f2502e193f"), "id": 1}
    data = entry.ret.encode({"dom": dom})
    assert data == b"\0\0\0\4test" + dom["uuid"].bytes + b"\0\0\0\1"
    assert entry.ret.decode(data) == {"dom": dom}


def test_connect_open_layout() -> None:
    codec = REMOTE_PROCEDURES[RemoteProcedure.CONNECT_OPEN].args
    assert codec.encode({"name": "test:///default", "flags": 1}) == (
        b"\0\0\0\1" + b"\0\0\0\x0ftest:///default\0" + b"\0\0\0\1"
    )
    # A NULL name (probe for the default URI): absent optional, then the flags.
    assert codec.encode({"name": None, "flags": 0}) == b"\0\0\0\0" + b"\0\0\0\0"


def test_domain_get_info_chars_and_shorts_take_whole_words() -> None:
    codec = REMOTE_PROCEDURES[RemoteProcedure.DOMAIN_GET_INFO].ret
    data = codec.encode({"state": 1, "maxMem": 1024, "memory": 512, "nrVirtCpu": 2, "cpuTime": 7})
    assert data == _word(1) + struct.pack(">QQ", 1024, 512) + _word(2) + struct.pack(">Q", 7)


def test_security_model_is_a_counted_char_array_with_its_nul() -> None:
    codec = REMOTE_PROCEDURES[RemoteProcedure.NODE_GET_SECURITY_MODEL].ret
    data = codec.encode({"model": "selinux", "doi": "0"})
    assert data == (_word(8) + b"".join(_word(c) for c in b"selinux\0") + _word(2) + _word(ord("0")) + _word(0))
    assert codec.decode(data) == {"model": "selinux", "doi": "0"}


def test_typed_param_union() -> None:
    data = messages.TYPED_PARAM.encode({"field": "cpu.time", "value": (message_types.TYPED_PARAM_ULLONG, 5)})
    assert data == b"\0\0\0\x08cpu.time" + _word(4) + struct.pack(">Q", 5)
    with pytest.raises(xdr.XDRError, match="unknown discriminant 9"):
        messages.TYPED_PARAM.decode(b"\0\0\0\1x\0\0\0" + _word(9) + _word(0))


def test_callback_lifecycle_event_wraps_the_old_message() -> None:
    entry = REMOTE_PROCEDURES[RemoteProcedure.DOMAIN_EVENT_CALLBACK_LIFECYCLE]
    assert entry.event and entry.ret is xdr.Void and not entry.writes
    dom = {"name": "vm", "uuid": uuid.UUID(int=0), "id": -1}
    data = entry.args.encode({"callbackID": 3, "msg": {"dom": dom, "event": 5, "detail": 1}})
    assert data == _word(3) + b"\0\0\0\2vm\0\0" + bytes(16) + _word(-1) + _word(5) + _word(1)


def test_list_all_domains_refuses_more_than_the_limit_both_ways() -> None:
    codec = REMOTE_PROCEDURES[RemoteProcedure.CONNECT_LIST_ALL_DOMAINS].ret
    dom = {"name": "a", "uuid": uuid.UUID(int=1), "id": 1}
    too_many = {"domains": [dom] * (message_types.DOMAIN_LIST_MAX + 1), "ret": 0}
    with pytest.raises(xdr.XDRError, match="exceeds the limit of 16384"):
        codec.encode(too_many)
    # The count is checked before anything is read or allocated.
    with pytest.raises(xdr.XDRError, match="exceeds the limit of 16384"):
        codec.decode(struct.pack(">I", 16385))


def test_auth_list_and_sasl_limits() -> None:
    auth = REMOTE_PROCEDURES[RemoteProcedure.AUTH_LIST].ret
    with pytest.raises(xdr.XDRError, match="limit of 20"):
        auth.encode({"types": [0] * 21})
    with pytest.raises(xdr.XDRError, match="limit of 20"):
        auth.decode(struct.pack(">I", 21))
    sasl = REMOTE_PROCEDURES[RemoteProcedure.AUTH_SASL_STEP].args
    assert sasl.encode({"nil": 0, "data": b"\x01\xff"}) == _word(0) + _word(2) + _word(1) + _word(-1)
    with pytest.raises(xdr.XDRError, match="limit of 65536"):
        sasl.decode(_word(0) + struct.pack(">I", 65537))


def test_bad_payloads_are_xdr_errors() -> None:
    codec = REMOTE_PROCEDURES[RemoteProcedure.DOMAIN_LOOKUP_BY_NAME].args
    with pytest.raises(xdr.XDRError, match="truncated"):
        codec.decode(b"\0\0\0\x09abc")
    with pytest.raises(xdr.XDRError, match="unexpected bytes"):
        codec.decode(b"\0\0\0\1a\0\0\0\0\0\0\0")
    with pytest.raises(xdr.XDRError, match="field 'name' is missing"):
        codec.encode({})


# The read-only rule: procedures that must be refused on a read-only connection, by libvirt API.
_WRITES = {
    "DOMAIN_CREATE": "virDomainCreate",
    "DOMAIN_CREATE_XML": "virDomainCreateXML",
    "DOMAIN_CREATE_WITH_FLAGS": "virDomainCreateWithFlags",
    "DOMAIN_DEFINE_XML": "virDomainDefineXML",
    "DOMAIN_DEFINE_XML_FLAGS": "virDomainDefineXMLFlags",
    "DOMAIN_UNDEFINE": "virDomainUndefine",
    "DOMAIN_UNDEFINE_FLAGS": "virDomainUndefineFlags",
    "DOMAIN_SHUTDOWN": "virDomainShutdown",
    "DOMAIN_SHUTDOWN_FLAGS": "virDomainShutdownFlags",
    "DOMAIN_REBOOT": "virDomainReboot",
    "DOMAIN_RESET": "virDomainReset",
    "DOMAIN_DESTROY": "virDomainDestroy",
    "DOMAIN_DESTROY_FLAGS": "virDomainDestroyFlags",
    "DOMAIN_SUSPEND": "virDomainSuspend",
    "DOMAIN_RESUME": "virDomainResume",
    "DOMAIN_SET_AUTOSTART": "virDomainSetAutostart",
    "NETWORK_CREATE": "virNetworkCreate",
    "NETWORK_DESTROY": "virNetworkDestroy",
    "NETWORK_SET_AUTOSTART": "virNetworkSetAutostart",
    "STORAGE_POOL_REFRESH": "virStoragePoolRefresh",
    "STORAGE_VOL_DELETE": "virStorageVolDelete",
    "CONNECT_GET_DOMAIN_CAPABILITIES": "virConnectGetDomainCapabilities",
}
_READS = [
    "CONNECT_OPEN",
    "CONNECT_CLOSE",
    "AUTH_LIST",
    "CONNECT_SUPPORTS_FEATURE",
    "CONNECT_REGISTER_CLOSE_CALLBACK",
    "CONNECT_LIST_ALL_DOMAINS",
    "DOMAIN_LOOKUP_BY_NAME",
    "DOMAIN_GET_STATE",
    "DOMAIN_GET_INFO",
    "DOMAIN_GET_XML_DESC",
    "DOMAIN_GET_SECURITY_LABEL",
    "NODE_GET_SECURITY_MODEL",
    "CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY",
    "STORAGE_POOL_GET_INFO",
    "NETWORK_GET_XML_DESC",
]


@pytest.mark.parametrize(("name", "api"), sorted(_WRITES.items()))
def test_writes_name_their_api(name: str, api: str) -> None:
    entry = REMOTE_PROCEDURES[RemoteProcedure[name]]
    assert entry.writes and entry.api == api
    assert entry.refuses_readonly({"flags": 0})
    assert entry.readonly_denial({"flags": 0}) == f"operation forbidden: read only access prevents {api}"


@pytest.mark.parametrize("name", _READS)
def test_reads_are_allowed_read_only(name: str) -> None:
    entry = REMOTE_PROCEDURES[RemoteProcedure[name]]
    assert not entry.writes
    assert not entry.refuses_readonly({"flags": 0})
    assert entry.readonly_denial({"flags": 0}) is None


def test_flag_dependent_writes() -> None:
    xml = REMOTE_PROCEDURES[RemoteProcedure.DOMAIN_GET_XML_DESC]
    assert not xml.refuses_readonly({"flags": 2})  # VIR_DOMAIN_XML_INACTIVE
    assert xml.refuses_readonly({"flags": 1}) and xml.api == "virDomainGetXMLDesc"  # VIR_DOMAIN_XML_SECURE
    assert xml.readonly_denial({"flags": 8}) == "operation forbidden: virDomainGetXMLDesc with secure flag"
    vcpus = REMOTE_PROCEDURES[RemoteProcedure.DOMAIN_GET_VCPUS_FLAGS]
    assert vcpus.refuses_readonly({"flags": 8}) and not vcpus.refuses_readonly({"flags": 1})
    addresses = REMOTE_PROCEDURES[RemoteProcedure.DOMAIN_INTERFACE_ADDRESSES]
    assert addresses.refuses_readonly({"source": 1, "flags": 0})
    assert not addresses.refuses_readonly({"source": 0, "flags": 0})


def test_every_write_names_an_api_and_events_never_write() -> None:
    for entry in REMOTE_PROCEDURES.values():
        if entry.writes or entry.writes_when is not None:
            assert entry.api.startswith("vir"), entry.name
        else:
            assert entry.api == "", entry.name
        if entry.event:
            assert not entry.writes and entry.ret is xdr.Void
