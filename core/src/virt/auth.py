"""Credentials for drivers that log into a server: libvirt's client ``auth.conf``, then the auth callback.

libvirt's drivers that log in themselves (ESX, Hyper-V, ssh) look in one ``auth.conf`` first and
ask the application's callback only for what the file lacks; ``ask_username`` and ``ask_password``
do the same. The file is the first of ``$LIBVIRT_AUTH_FILE``, the URI's ``authfile`` parameter,
``$XDG_CONFIG_HOME/libvirt/auth.conf`` and ``/etc/libvirt/auth.conf`` (the last two only when they
exist). Its groups map a service and host to a named set of credentials::

    [credentials-dev]
    username=joe
    password=hello

    [auth-esx-dev1.example.com]
    credentials=dev

    [auth-esx-default]
    credentials=dev
"""

from __future__ import annotations

import configparser
import os
from pathlib import Path
from typing import TYPE_CHECKING

from virt.driver import AuthCallback, Credential, CredentialType
from virt.errors import AuthError, ErrorNumber

if TYPE_CHECKING:
    from virt.uri import URI


def auth_file(uri: URI | None = None) -> Path | None:
    """The client auth file libvirt would read for ``uri``, or None."""
    explicit = os.environ.get("LIBVIRT_AUTH_FILE")
    if explicit:
        return Path(explicit)
    from_uri = uri.param("authfile") if uri is not None else None
    if from_uri:
        return Path(from_uri)
    config_home = os.environ.get("XDG_CONFIG_HOME")
    user_config = Path(config_home) if config_home else Path("~/.config").expanduser()
    for candidate in (user_config / "libvirt" / "auth.conf", Path("/etc/libvirt/auth.conf")):
        if candidate.is_file():
            return candidate
    return None


def _read(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment, method-assign]  # keys are case-sensitive, as in libvirt
    try:
        with path.open(encoding="utf-8") as stream:
            parser.read_file(stream)
    except OSError as exc:
        raise AuthError(f"cannot read the auth file {path}: {exc.strerror or exc}") from exc
    except configparser.Error as exc:
        raise AuthError(f"the auth file {path} is not valid: {exc}") from exc
    return parser


def lookup(uri: URI | None, service: str, hostname: str, key: str) -> str | None:
    """The value of ``key`` (``username``, ``authname``, ``password``, ``realm``) the auth file gives
    for ``service`` on ``hostname`` (or for the service's ``default``), or None."""
    path = auth_file(uri)
    if path is None:
        return None
    parser = _read(path)
    for group in (f"auth-{service}-{hostname}", f"auth-{service}-default"):
        if parser.has_section(group):
            name = parser.get(group, "credentials", fallback=None)
            if not name:
                raise AuthError(f"the auth file {path}: group [{group}] has no 'credentials' key")
            credentials = f"credentials-{name}"
            if not parser.has_section(credentials):
                raise AuthError(f"the auth file {path}: group [{group}] names missing credentials [{credentials}]")
            return parser.get(credentials, key, fallback=None)
    return None


def _ask(auth: AuthCallback | None, credential: Credential, what: str, hostname: str) -> str:
    if auth is None:
        raise AuthError(
            f"a {what} for {hostname} is needed: give it in the URI or the auth file, or open with an auth callback",
            ErrorNumber.AUTH_FAILED,
        )
    auth([credential])
    if credential.result is None:
        raise AuthError(f"no {what} for {hostname} was given", ErrorNumber.AUTH_CANCELLED)
    return credential.result


def ask_username(
    uri: URI | None, auth: AuthCallback | None, *, service: str, hostname: str, default: str | None = None
) -> str:
    """The user name to log into ``hostname`` as: the URI's, the auth file's, else the callback's answer."""
    if uri is not None and uri.user:
        return uri.user
    found = lookup(uri, service, hostname, "username")
    if found:
        return found
    prompt = f"Enter username for {hostname}" + (f" [{default}]" if default else "")
    answer = _ask(auth, Credential(CredentialType.AUTHNAME, prompt, hostname, default), "user name", hostname)
    return answer or default or ""


def ask_password(uri: URI | None, auth: AuthCallback | None, *, service: str, username: str, hostname: str) -> str:
    """The password of ``username`` on ``hostname``: the auth file's, else the callback's answer."""
    found = lookup(uri, service, hostname, "password")
    if found is not None:
        return found
    prompt = f"Enter {username}'s password for {hostname}"
    return _ask(auth, Credential(CredentialType.PASSPHRASE, prompt, hostname), "password", hostname)
