"""Opening that fails: wrong credentials, unknown or silent hosts, certificates, the wrong kind of server,
inventory paths that lead nowhere. Each is a VirtError saying what failed, within a bounded time."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import virt
from vcsim import Simulator, answer, running
from virt.errors import AuthError, ErrorNumber, VirtError
from virt.testing import make_test_pki
from virtcli import run as run_virt


def test_wrong_password_is_an_auth_error(simulator: Simulator) -> None:
    started = time.monotonic()
    with pytest.raises(AuthError) as info:
        virt.open(simulator.uri(), auth=answer(password="wrong"))
    assert info.value.code == ErrorNumber.AUTH_FAILED
    assert f"authentication failed: {simulator.host} refused user 'root'" in info.value.message
    assert time.monotonic() - started < 5


def test_wrong_user_through_the_cli(simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = tmp_path / "auth.conf"
    conf.write_text("[credentials-bad]\nusername=nobody\npassword=nothing\n[auth-esx-default]\ncredentials=bad\n")
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(conf))
    result = run_virt("list", uri=simulator.uri(user=False))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[:2] == [
        "error: failed to connect to the hypervisor",
        f"error: authentication failed: {simulator.host} refused user 'nobody': Login failure",
    ]


def test_no_credentials_and_no_callback(simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(tmp_path / "empty.conf"))
    (tmp_path / "empty.conf").write_text("")
    with pytest.raises(AuthError, match=f"a password for {simulator.host} is needed"):
        virt.open(simulator.uri())


def test_unknown_host_fails_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(VirtError) as info:
        virt.open("esx://no-such-host.invalid/?timeout=5", auth=answer())
    assert info.value.code == ErrorNumber.NO_CONNECT
    assert "cannot connect: cannot talk to https://no-such-host.invalid:443/sdk: unknown host" in info.value.message
    assert time.monotonic() - started < 10


def test_nothing_listening_is_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nobody listens there
    with pytest.raises(VirtError, match="connection refused"):
        virt.open(f"esx://127.0.0.1:{port}/?transport=http", auth=answer())


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_a_silent_server_times_out(silent_server: int) -> None:
    started = time.monotonic()
    with pytest.raises(VirtError, match="no answer in time") as info:
        virt.open(f"esx://127.0.0.1:{silent_server}/?transport=http&timeout=1", auth=answer())
    assert info.value.code == ErrorNumber.NO_CONNECT
    assert time.monotonic() - started < 5


def test_https_to_a_plain_http_server_says_so(simulator: Simulator) -> None:
    with pytest.raises(VirtError, match=r"TLS failed .*transport=http if not"):
        virt.open(simulator.uri(params="transport=https&timeout=5"), auth=answer())


def test_the_uri_scheme_must_match_the_server(simulator: Simulator) -> None:
    other = "vpx" if simulator.mode == "esx" else "esx"
    path = "/DC0/DC0_H0" if other == "vpx" else "/"
    uri = f"{other}://root@{simulator.host}:{simulator.port}{path}?transport=http"
    expected = "a vCenter" if other == "vpx" else "an ESX(i) host"
    with pytest.raises(VirtError, match=re.escape(f"expects {expected}, but the server is VMware")):
        virt.open(uri, auth=answer())
    with pytest.raises(VirtError, match="expects a VMware GSX server"):
        virt.open(f"gsx://root@{simulator.host}:{simulator.port}/?transport=http", auth=answer())


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/NoDC/host", "no datacenter or folder 'NoDC' in the root folder (there is: DC0)"),
        ("/DC0", "names no host after datacenter 'DC0'"),
        ("/DC0/nohost", "no cluster, host or folder 'nohost' in DC0"),
        ("/DC0/DC0_C0", "names cluster 'DC0_C0' but none of its hosts"),
        ("/DC0/DC0_C0/nohost", "no host 'nohost' in DC0/DC0_C0 (there is: DC0_C0_H0, DC0_C0_H1, DC0_C0_H2)"),
        ("/DC0/DC0_H0/extra", "no host 'extra' in DC0/DC0_H0 (there is: DC0_H0)"),
    ],
)
def test_vcenter_paths_that_lead_nowhere(vpx_simulator: Simulator, path: str, words: str) -> None:
    with pytest.raises(VirtError) as info:
        virt.open(vpx_simulator.uri(path=path), auth=answer())
    assert words in info.value.message and info.value.code == ErrorNumber.INVALID_ARG


def test_vcenter_cluster_host(vpx_simulator: Simulator) -> None:
    with virt.open(vpx_simulator.uri(path="/DC0/DC0_C0/DC0_C0_H1"), auth=answer()) as conn:
        assert conn.hostname()
        assert "DC0_C0_RP0_VM0" in [d.name for d in conn.list_domains()]


@pytest.fixture(scope="module")
def vpx_simulator(vcsim_binary: Path) -> Iterator[Simulator]:
    with running(vcsim_binary, "vpx") as started:
        yield started


@pytest.fixture(scope="module")
def tls_simulator(vcsim_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, Path]]:
    """An https simulator whose certificate (for 127.0.0.1) a test CA signed; the CA's file."""
    pki = make_test_pki(tmp_path_factory.mktemp("pki"))
    with running(vcsim_binary, "esx", tls=True, cert=(pki.server_cert, pki.server_key)) as started:
        yield started, pki.ca_cert


def test_certificates_are_verified_unless_no_verify(
    tls_simulator: tuple[Simulator, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    simulator, ca = tls_simulator
    uri = simulator.uri(params="timeout=5")
    with pytest.raises(VirtError, match=r"certificate does not verify .*no_verify=1 skips the check"):
        virt.open(uri, auth=answer())
    with virt.open(simulator.uri(params="no_verify=1"), auth=answer()) as conn:
        assert conn.list_domains()
    # with the CA trusted, the same URI verifies (name and chain)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    with virt.open(uri, auth=answer()) as conn:
        assert conn.list_domains()
