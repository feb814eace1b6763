"""TLS at the connection layer: certificates made by the test, the 0x01 byte after the handshake,
the peer named by its certificate, and refusal of unknown or unlisted certificates."""

from __future__ import annotations

import asyncio
import ssl
from functools import partial
from pathlib import Path

import pytest
from server_helpers import ECHO, EchoHandler, RawClient, call, config_for
from virt.daemon.config import TLSSettings
from virt.daemon.listeners import close_endpoints, network_endpoints
from virt.daemon.server import Server
from virt.daemon.tls import dn_allowed, server_context
from virt.errors import VirtError
from virt.remote.protocol import Status
from virt.testing import TestPKI, make_test_pki

CLIENT_DN = "O=virt tests,CN=virt-test-client"


@pytest.fixture(scope="module")
def pkis(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestPKI, TestPKI]:
    """Ours, and another CA's whose client certificate virtd must refuse."""
    folder = tmp_path_factory.mktemp("pki")
    return make_test_pki(folder / "ours"), make_test_pki(folder / "theirs", client_cn="intruder")


def settings(pki: TestPKI, allowed: tuple[str, ...] = ()) -> TLSSettings:
    return TLSSettings(key_file=pki.server_key, cert_file=pki.server_cert, ca_file=pki.ca_cert, allowed_dn_list=allowed)


def client_context(ca: Path, cert: Path | None, key: Path | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(ca)
    if cert is not None and key is not None:
        context.load_cert_chain(cert, key)
    return context


async def tls_session(
    tmp_path: Path, tls: TLSSettings, client: ssl.SSLContext, handler: EchoHandler
) -> tuple[bytes, RawClient | None]:
    """Connect to a TLS listener; the first byte the server sent (b"" when it refused us) and the open client."""
    server = Server(
        config_for(tmp_path), handler, asyncio.get_running_loop(), partial(dn_allowed, patterns=tls.allowed_dn_list)
    )
    endpoints = network_endpoints("127.0.0.1", 0, "tls")
    await server.listen(endpoints[0], server_context(tls))
    port = endpoints[0].sock.getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client, server_hostname="localhost")
        try:
            first = await asyncio.wait_for(reader.read(1), 5)
        except (ssl.SSLError, ConnectionResetError):
            first = b""
        raw = RawClient(reader, writer)
        if first:
            await raw.send(call(ECHO, 11))
            header, _ = await raw.reply()
            assert (header.serial, header.status) == (11, Status.OK)
        await raw.close()
        return first, raw
    finally:
        await server.shutdown(grace=1)
        close_endpoints(endpoints)


def test_verified_client_gets_the_byte_and_is_named_by_its_certificate(
    tmp_path: Path, pkis: tuple[TestPKI, TestPKI]
) -> None:
    ours, _ = pkis
    handler = EchoHandler()
    context = client_context(ours.ca_cert, ours.client_cert, ours.client_key)
    first, _ = asyncio.run(tls_session(tmp_path, settings(ours), context, handler))
    assert first == b"\x01"
    identity = handler.calls[0][0].identity
    assert (identity.transport, identity.x509_dname, identity.uid) == ("tls", CLIENT_DN, None)
    assert identity.address is not None and identity.address.startswith("127.0.0.1:")


@pytest.mark.parametrize("who", ["other CA", "no certificate"])
def test_unknown_or_missing_client_certificate_is_refused(
    tmp_path: Path, pkis: tuple[TestPKI, TestPKI], who: str
) -> None:
    ours, theirs = pkis
    if who == "other CA":
        context = client_context(ours.ca_cert, theirs.client_cert, theirs.client_key)
    else:
        context = client_context(ours.ca_cert, None, None)
    handler = EchoHandler()

    async def attempt() -> bytes:
        try:
            first, _ = await tls_session(tmp_path, settings(ours), context, handler)
        except (ssl.SSLError, ConnectionResetError):
            return b""
        return first

    assert asyncio.run(attempt()) == b""
    assert handler.calls == []


def test_distinguished_name_allow_list(tmp_path: Path, pkis: tuple[TestPKI, TestPKI]) -> None:
    ours, _ = pkis
    context = client_context(ours.ca_cert, ours.client_cert, ours.client_key)
    allowed = settings(ours, ("O=virt tests,CN=virt-test-*",))
    assert asyncio.run(tls_session(tmp_path, allowed, context, EchoHandler()))[0] == b"\x01"
    listed_out = settings(ours, ("O=virt tests,CN=someone-else",))
    handler = EchoHandler()
    assert asyncio.run(tls_session(tmp_path, listed_out, context, handler))[0] == b""
    assert handler.calls == []


def test_context_errors_name_the_file(tmp_path: Path, pkis: tuple[TestPKI, TestPKI]) -> None:
    ours, theirs = pkis
    missing = TLSSettings(key_file=ours.server_key, cert_file=ours.server_cert, ca_file=tmp_path / "nope.pem")
    with pytest.raises(VirtError, match=r"Cannot read CA certificate \(tls.ca_file\) '.*nope.pem'"):
        server_context(missing)
    mismatched = TLSSettings(key_file=theirs.server_key, cert_file=ours.server_cert, ca_file=ours.ca_cert)
    with pytest.raises(VirtError, match="cannot use server certificate"):
        server_context(mismatched)
