from __future__ import annotations

import pytest
from virt.errors import ErrorNumber, URIError
from virt.uri import URI, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("qemu:///system", URI("qemu", path="/system")),
        ("qemu:///session", URI("qemu", path="/session")),
        ("test:///default", URI("test", path="/default")),
        ("test:///abs/node.xml", URI("test", path="/abs/node.xml")),
        ("esx://host/?no_verify=1", URI("esx", host="host", path="/", params=(("no_verify", "1"),))),
        (
            "qemu+ssh://user@host:2222/system?keyfile=/k",
            URI("qemu", "ssh", "user", "host", 2222, "/system", (("keyfile", "/k"),)),
        ),
        ("qemu+tcp://[::1]:16509/system", URI("qemu", "tcp", host="::1", port=16509, path="/system")),
        ("qemu+tcp://[fe80::1%25eth0]/system", URI("qemu", "tcp", host="fe80::1%25eth0", path="/system")),
        ("xen://", URI("xen")),
        (
            "qemu+unix:///system?socket=/run/a%20b",
            URI("qemu", "unix", path="/system", params=(("socket", "/run/a b"),)),
        ),
        (
            "vpx://a%40b@vc.example.com/dc/cluster/host",
            URI("vpx", user="a@b", host="vc.example.com", path="/dc/cluster/host"),
        ),
        ("QEMU:///system", URI("qemu", path="/system")),
    ],
)
def test_parse(text: str, expected: URI) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "qemu:///system",
        "qemu+ssh://user@host:2222/system?keyfile=%2Fk",
        "qemu+tcp://[::1]:16509/system",
        "esx://h/?no_verify=1",
    ],
)
def test_round_trip(text: str) -> None:
    assert parse(str(parse(text))) == parse(text)


def test_remote_detection() -> None:
    assert not parse("qemu:///system").is_remote
    assert parse("qemu+unix:///system").is_remote
    assert parse("qemu://host/system").is_remote
    assert parse("qemu+ssh://h/system").without_remote() == URI("qemu", path="/system")


def test_param_takes_last_value() -> None:
    uri = parse("esx://h/?a=1&b=2&a=3")
    assert uri.param("a") == "3"
    assert uri.param("missing", "x") == "x"


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("", "empty"),
        ("qemu", "'://'"),
        ("qemu:/system", "'://'"),
        ("1qemu:///system", "scheme '1qemu'"),
        ("qe mu:///system", "white space"),
        ("qemu+:///system", "transport ''"),
        ("qemu+s$h://h/system", "transport 's$h'"),
        ("qemu://host:port/system", "port 'port'"),
        ("qemu://host:99999/system", "port 99999 is out of range"),
        ("qemu://host:/system", "port is empty"),
        ("qemu://[::1/system", "no closing ']'"),
        ("qemu://[zz]/system", "IPv6 host 'zz'"),
        ("qemu://[::1]x/system", "after the IPv6 host"),
        ("qemu://ho<st/system", "host 'ho<st'"),
        ("esx://h/?=1", "has no name"),
    ],
)
def test_malformed_uri_names_the_part(text: str, part: str) -> None:
    with pytest.raises(URIError) as info:
        parse(text)
    assert part in info.value.message
    assert info.value.code == ErrorNumber.INVALID_ARG
