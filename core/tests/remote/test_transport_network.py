"""Plain TCP and TLS on loopback against a real daemon, with a test PKI made by openssl."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import virt
from remote_daemons import DAEMONS, Daemon, start_daemon
from virt.errors import AuthError, ConnectionError
from virt.testing import TestPKI, make_test_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    """Another CA's certificates: the daemon does not know its client, the client does not trust its server."""
    return make_test_pki(tmp_path_factory.mktemp("stranger"), client_cn="stranger", hosts=("elsewhere",))


@pytest.fixture(params=DAEMONS)
def daemon(request: pytest.FixtureRequest, pki: TestPKI) -> Iterator[Daemon]:
    with start_daemon(request.param, tcp=True, tls=pki) as running:
        yield running


def test_plain_tcp(daemon: Daemon) -> None:
    with virt.open(daemon.uri("tcp")) as conn:
        assert [d.name for d in conn.list_domains()] == ["test"]
        assert conn.lookup_domain_by_name("test").state().state == virt.DomainState.RUNNING


def test_tls_with_a_pki_path_by_address_and_by_name(daemon: Daemon, pki: TestPKI) -> None:
    uri = daemon.uri("tls") + f"?pkipath={pki.client_dir}"
    with virt.open(uri) as conn:
        assert [d.name for d in conn.list_domains()] == ["test"]
    with virt.open(uri.replace("127.0.0.1", "localhost")) as conn:
        test = conn.lookup_domain_by_name("test")
        test.suspend()
        assert test.state().state == virt.DomainState.PAUSED


def test_tls_refuses_a_server_its_ca_did_not_sign(
    daemon: Daemon, pki: TestPKI, stranger: TestPKI, tmp_path: Path
) -> None:
    # our valid client certificate, but the stranger's CA to check the server with
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    shutil.copy(stranger.ca_cert, mixed / "cacert.pem")
    shutil.copy(pki.client_cert, mixed / "clientcert.pem")
    shutil.copy(pki.client_key, mixed / "clientkey.pem")
    with pytest.raises(AuthError, match="the server's certificate failed verification"):
        virt.open(daemon.uri("tls") + f"?pkipath={mixed}")
    # no_verify=1 skips that check (our certificate is still shown, and accepted)
    with virt.open(daemon.uri("tls") + f"?pkipath={mixed}&no_verify=1") as conn:
        assert conn.hostname()


def test_tls_checks_the_servers_name(pki: TestPKI, stranger: TestPKI) -> None:
    with start_daemon(DAEMONS[0], tls=stranger) as daemon:  # a server certificate for "elsewhere"
        uri = daemon.uri("tls").replace("127.0.0.1", "localhost") + f"?pkipath={stranger.client_dir}"
        with pytest.raises(AuthError, match="not valid for 'localhost'"):
            virt.open(uri)


def test_the_daemon_refuses_an_unknown_client_certificate(daemon: Daemon, stranger: TestPKI) -> None:
    with pytest.raises(ConnectionError, match="closed the connection after the TLS handshake"):
        virt.open(daemon.uri("tls") + f"?pkipath={stranger.client_dir}&no_verify=1")


def test_missing_pki_files_are_named(daemon: Daemon, pki: TestPKI, tmp_path: Path) -> None:
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(pki.ca_cert, partial / "cacert.pem")
    shutil.copy(pki.client_cert, partial / "clientcert.pem")
    with pytest.raises(ConnectionError, match=f"Cannot access clientkey.pem in pkipath {partial}"):
        virt.open(daemon.uri("tls") + f"?pkipath={partial}")
