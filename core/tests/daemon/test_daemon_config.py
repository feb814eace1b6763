"""virtd.toml: defaults as libvirtd's, every key checked, errors naming the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from virt.daemon.config import TLSSettings, default_socket_dir, load_daemon_config, parse_daemon_config
from virt.daemon.main import build_parser, config_from_args
from virt.errors import ErrorDomain, ErrorNumber, VirtError


def test_defaults(tmp_path: Path) -> None:
    config = load_daemon_config(tmp_path / "absent.toml", session=False)
    assert (config.listen_tcp, config.listen_tls, config.tcp_port, config.tls_port) == (False, False, 16509, 16514)
    assert (config.max_clients, config.max_client_requests) == (5000, 5)
    assert (config.keepalive_interval, config.keepalive_count) == (5, 5)
    assert (config.unix_sock_rw_perms, config.unix_sock_ro_perms) == (0o700, 0o777)
    assert config.rw_socket == Path("/run/virt/virtd-sock")
    assert config.ro_socket == Path("/run/virt/virtd-sock-ro")
    assert config.tls.ca_file == Path("/etc/pki/CA/cacert.pem")
    assert config.acl is None and config.acl_file is None


def test_session_socket_dir_follows_xdg_runtime_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert default_socket_dir(session=True) == tmp_path / "virt"
    assert parse_daemon_config({}, session=True).socket_dir == tmp_path / "virt"
    assert parse_daemon_config({}, session=True, socket_dir=Path("/x")).socket_dir == Path("/x")


def test_every_key_read(tmp_path: Path) -> None:
    path = tmp_path / "virtd.toml"
    path.write_text(
        """
listen_tcp = true
listen_tls = true
listen_addr = "127.0.0.1"
tcp_port = 26509
tls_port = 26514
unix_sock_dir = "/tmp/virtd-test"
unix_sock_group = "kvm"
unix_sock_rw_perms = "0770"
unix_sock_ro_perms = 0o755
max_clients = 10
max_client_requests = 2
keepalive_interval = -1
keepalive_count = 0
acl_file = "/etc/virt/acl.toml"

[tls]
key_file = "/k.pem"
cert_file = "/c.pem"
ca_file = "/ca.pem"
allowed_dn_list = ["O=virt tests,CN=*"]
"""
    )
    config = load_daemon_config(path, session=True, required=True)
    assert (config.listen_tcp, config.listen_tls, config.listen_addr) == (True, True, "127.0.0.1")
    assert (config.tcp_port, config.tls_port) == (26509, 26514)
    assert config.socket_dir == Path("/tmp/virtd-test")
    assert (config.unix_sock_group, config.unix_sock_rw_perms, config.unix_sock_ro_perms) == ("kvm", 0o770, 0o755)
    assert (config.max_clients, config.max_client_requests) == (10, 2)
    assert (config.keepalive_interval, config.keepalive_count) == (-1, 0)
    assert config.acl_file == Path("/etc/virt/acl.toml")
    assert config.tls == TLSSettings(Path("/k.pem"), Path("/c.pem"), Path("/ca.pem"), ("O=virt tests,CN=*",))
    assert config.source == path


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("listen_tpc = true", "'listen_tpc'"),
        ('listen_tcp = "yes"', "listen_tcp"),
        ("tcp_port = 0", "tcp_port"),
        ("tls_port = 70000", "tls_port"),
        ("max_clients = 0", "max_clients"),
        ("max_client_requests = true", "max_client_requests"),
        ("keepalive_interval = 0", "keepalive_interval"),
        ("keepalive_count = -2", "keepalive_count"),
        ('unix_sock_rw_perms = "0789"', "unix_sock_rw_perms"),
        ("unix_sock_ro_perms = 4096", "unix_sock_ro_perms"),
        ('listen_addr = ""', "listen_addr"),
        ("tls = 1", "tls"),
        ("[tls]\nverify = false", "'tls.verify'"),
        ("[tls]\nallowed_dn_list = 'CN=x'", "tls.allowed_dn_list"),
        ("[tls]\nca_file = 3", "tls.ca_file"),
        ('acl = "x"', "acl"),
        ('acl_file = "/a"\n[acl]\nrule = []', "acl_file"),
        ("listen_tcp = ", ""),
    ],
)
def test_bad_keys_and_values_name_the_key_and_file(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "virtd.toml"
    path.write_text(text + "\n")
    with pytest.raises(VirtError) as raised:
        load_daemon_config(path, session=True)
    assert raised.value.code == ErrorNumber.CONF_SYNTAX
    assert raised.value.domain == ErrorDomain.CONF
    assert str(path) in raised.value.message
    assert named in raised.value.message


def test_an_explicit_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(VirtError, match="no such configuration file"):
        load_daemon_config(tmp_path / "missing.toml", session=True, required=True)


def test_command_line_mode_folder_and_listen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no session file there
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    parse = build_parser().parse_args
    session = config_from_args(parse(["--session"]))
    assert (session.session, session.socket_dir, session.listen_tls) == (True, tmp_path / "run" / "virt", False)
    chosen = config_from_args(parse(["--session", "--socket-dir", str(tmp_path / "s"), "--listen"]))
    assert (chosen.socket_dir, chosen.listen_tls, chosen.listen_tcp) == (tmp_path / "s", True, False)
    path = tmp_path / "virtd.toml"
    path.write_text("listen_tcp = true\ntcp_port = 2000\n")
    from_file = config_from_args(parse(["--session", "--config", str(path)]))
    assert (from_file.listen_tcp, from_file.tcp_port, from_file.source) == (True, 2000, path)
    with pytest.raises(SystemExit):
        parse(["--session", "--system"])
