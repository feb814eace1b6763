"""esx://, gsx:// and vpx:// URIs: libvirt's parameters and defaults, refused before any traffic."""

from __future__ import annotations

import pytest
import virt
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.uri import parse
from virt_esx.params import DEFAULT_TIMEOUT, EsxParams


def params(text: str) -> EsxParams:
    return EsxParams.from_uri(parse(text))


@pytest.mark.parametrize(
    ("uri", "transport", "port"),
    [
        ("esx://h/", "https", 443),
        ("esx://h/?transport=http", "http", 80),
        ("vpx://h/dc/host", "https", 443),
        ("gsx://h/", "https", 8333),
        ("gsx://h/?transport=http", "http", 8222),
        ("esx://h:8443/", "https", 8443),
    ],
)
def test_default_ports_follow_scheme_and_transport(uri: str, transport: str, port: int) -> None:
    found = params(uri)
    assert (found.transport, found.port) == (transport, port)
    assert found.url == f"{transport}://h:{port}/sdk"


def test_flags_proxy_timeout_and_path() -> None:
    found = params("vpx://vc/folder/dc1/cluster1/esx1?no_verify=1&auto_answer=1&proxy=proxy.example:3128&timeout=2.5")
    assert found.no_verify and found.auto_answer
    assert found.proxy is not None and (found.proxy.type, found.proxy.host, found.proxy.port) == (
        "http",
        "proxy.example",
        3128,
    )
    assert found.timeout == 2.5
    assert found.path == ("folder", "dc1", "cluster1", "esx1")
    plain = params("esx://h/")
    assert not plain.no_verify and not plain.auto_answer and plain.proxy is None and plain.timeout == DEFAULT_TIMEOUT
    assert params("esx://h/?proxy=http://p").proxy.port == 1080  # type: ignore[union-attr]
    assert params("esx://[fe80::1]/").url == "https://[fe80::1]:443/sdk"


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("esx:///", "needs the server's host name"),
        ("esx://h/?transport=ftp", "'transport' has unexpected value 'ftp'"),
        ("esx://h/?no_verify=yes", "'no_verify' has unexpected value 'yes'"),
        ("esx://h/?auto_answer=2", "'auto_answer' has unexpected value '2'"),
        ("esx://h/?timeout=0", "'timeout' has unexpected value '0'"),
        ("esx://h/?timeout=soon", "'timeout' has unexpected value 'soon'"),
        ("esx://h/dc/host", "esx:// takes no path"),
        ("vpx://vc/", "vpx:// needs the path of an ESX host"),
        ("esx://h/?proxy=gopher://p:1", "proxy type 'gopher'"),
        ("esx://h/?proxy=p:99999", "out of range"),
    ],
)
def test_bad_uris_are_invalid_arguments(uri: str, words: str) -> None:
    with pytest.raises(VirtError) as info:
        params(uri)
    assert words in info.value.message
    assert info.value.code == ErrorNumber.INVALID_ARG and info.value.domain == ErrorDomain.ESX


@pytest.mark.parametrize(("uri", "words"), [("esx://h/?proxy=socks5://p:1080", "socks5 proxy is not supported"),
                                            ("esx://h/?vcenter=vc", "'vcenter' parameter (for migration)")])  # fmt: skip
def test_unsupported_features_say_so(uri: str, words: str) -> None:
    with pytest.raises(VirtError) as info:
        params(uri)
    assert words in info.value.message and info.value.code == ErrorNumber.CONFIG_UNSUPPORTED


def test_uris_with_a_host_reach_this_driver_without_libvirtd() -> None:
    # the URI is refused by the ESX driver's own checks, proving it (not the remote driver) got it
    with pytest.raises(VirtError, match="'transport' has unexpected value"):
        virt.open("esx://example.com/?transport=ftp")
    with pytest.raises(VirtError, match="vpx:// needs the path"):
        virt.open("vpx://example.com/")
