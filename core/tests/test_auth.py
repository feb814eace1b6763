"""Credentials for drivers that log in: libvirt's auth.conf, the auth callback, the CLI's terminal answers."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from virt import auth
from virt.cli.auth import terminal_auth
from virt.driver import Credential, CredentialType
from virt.errors import AuthError, ErrorNumber
from virt.uri import parse

AUTH_CONF = """\
[credentials-dev]
username=joe
password=hello

[credentials-fallback]
username=anyone
password=pw

[auth-esx-dev1.example.com]
credentials=dev

[auth-esx-default]
credentials=fallback

[auth-hyperv-broken.example.com]
credentials=missing
"""


@pytest.fixture
def auth_conf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "auth.conf"
    path.write_text(AUTH_CONF)
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(path))
    return path


def test_auth_file_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIBVIRT_AUTH_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    from_uri = parse(f"esx://h/?authfile={tmp_path}/given.conf")
    assert auth.auth_file(from_uri) == tmp_path / "given.conf"
    user_file = tmp_path / "config" / "libvirt" / "auth.conf"
    user_file.parent.mkdir(parents=True)
    user_file.write_text("")
    assert auth.auth_file(parse("esx://h/")) == user_file
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(tmp_path / "env.conf"))
    assert auth.auth_file(from_uri) == tmp_path / "env.conf"


def test_lookup_by_host_then_default(auth_conf: Path) -> None:
    uri = parse("esx://dev1.example.com/")
    assert auth.lookup(uri, "esx", "dev1.example.com", "username") == "joe"
    assert auth.lookup(uri, "esx", "dev1.example.com", "password") == "hello"
    assert auth.lookup(uri, "esx", "other.example.com", "username") == "anyone"
    assert auth.lookup(uri, "esx", "dev1.example.com", "realm") is None
    assert auth.lookup(uri, "ssh", "dev1.example.com", "username") is None
    with pytest.raises(AuthError, match=r"names missing credentials \[credentials-missing\]"):
        auth.lookup(uri, "hyperv", "broken.example.com", "username")


def test_unreadable_auth_file_is_an_auth_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(tmp_path / "absent.conf"))
    with pytest.raises(AuthError, match="cannot read the auth file"):
        auth.lookup(None, "esx", "h", "username")
    (tmp_path / "bad.conf").write_text("no group here\n")
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(tmp_path / "bad.conf"))
    with pytest.raises(AuthError, match="is not valid"):
        auth.lookup(None, "esx", "h", "username")


def test_username_from_uri_then_file_then_callback(auth_conf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Credential] = []

    def callback(credentials: list[Credential]) -> None:
        asked.extend(credentials)
        credentials[0].result = ""  # an empty answer takes the default

    assert (
        auth.ask_username(parse("esx://me@dev1.example.com/"), callback, service="esx", hostname="dev1.example.com")
        == "me"
    )
    assert (
        auth.ask_username(parse("esx://dev1.example.com/"), callback, service="esx", hostname="dev1.example.com")
        == "joe"
    )
    assert not asked
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(auth_conf.parent / "empty.conf"))
    (auth_conf.parent / "empty.conf").write_text("")
    name = auth.ask_username(parse("esx://h/"), callback, service="esx", hostname="h", default="root")
    assert name == "root"
    assert asked[0].type == CredentialType.AUTHNAME and asked[0].prompt == "Enter username for h [root]"
    assert asked[0].challenge == "h"


def test_password_without_callback_or_answer_fails_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(tmp_path / "empty.conf"))
    (tmp_path / "empty.conf").write_text("")
    with pytest.raises(AuthError, match="a password for h is needed") as info:
        auth.ask_password(parse("esx://h/"), None, service="esx", username="root", hostname="h")
    assert info.value.code == ErrorNumber.AUTH_FAILED
    with pytest.raises(AuthError, match="no password for h was given") as info:
        auth.ask_password(parse("esx://h/"), lambda creds: None, service="esx", username="root", hostname="h")
    assert info.value.code == ErrorNumber.AUTH_CANCELLED


def test_terminal_auth_reads_lines_and_uses_defaults() -> None:
    user = Credential(CredentialType.AUTHNAME, "Enter username for h [root]", default="root")
    password = Credential(CredentialType.PASSPHRASE, "Enter root's password for h")
    stderr = io.StringIO()
    terminal_auth([user, password], stdin=io.StringIO("\nsecret\n"), stderr=stderr)
    assert (user.result, password.result) == ("root", "secret")
    assert stderr.getvalue() == "Enter username for h [root]: Enter root's password for h: "


def test_terminal_auth_leaves_questions_unanswered_at_end_of_input() -> None:
    user = Credential(CredentialType.AUTHNAME, "Enter username for h")
    password = Credential(CredentialType.PASSPHRASE, "Enter password")
    terminal_auth([user, password], stdin=io.StringIO("joe\n"), stderr=io.StringIO())
    assert (user.result, password.result) == ("joe", None)
