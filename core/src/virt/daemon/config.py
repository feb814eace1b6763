"""virtd's settings: ``virtd.toml`` read with tomllib, every key checked, defaults as libvirtd's.

Keys (all optional)::

    listen_tcp = false            # plain TCP (no encryption, no authentication)
    listen_tls = false            # TLS with verified client certificates
    listen_addr = "0.0.0.0"       # default: every address
    tcp_port = 16509
    tls_port = 16514
    unix_sock_dir = "/run/virt"
    unix_sock_group = "libvirt"   # group owning the sockets
    unix_sock_rw_perms = "0700"   # octal, as a string or a TOML 0o700
    unix_sock_ro_perms = "0777"
    max_clients = 5000
    max_client_requests = 5       # calls in flight per client
    keepalive_interval = 5        # seconds of silence before a PING; -1 disables
    keepalive_count = 5           # unanswered PINGs before the client is dropped
    acl_file = "/etc/virt/acl.toml"   # or an inline [acl] table (see virt.daemon.acl)

    [tls]
    key_file = "/etc/pki/libvirt/private/serverkey.pem"
    cert_file = "/etc/pki/libvirt/servercert.pem"
    ca_file = "/etc/pki/CA/cacert.pem"
    allowed_dn_list = ["C=GB,O=Example,CN=*"]   # distinguished-name globs; empty: any verified client

Client certificates are always verified; there is no key to turn that off.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from virt.errors import ErrorDomain, ErrorNumber, VirtError

TCP_PORT = 16509
TLS_PORT = 16514


@attrs.frozen
class TLSSettings:
    key_file: Path
    cert_file: Path
    ca_file: Path
    allowed_dn_list: tuple[str, ...] = ()


@attrs.frozen
class DaemonConfig:
    """Everything virtd runs with: the file's settings plus the mode and socket folder it runs in."""

    session: bool
    socket_dir: Path
    tls: TLSSettings
    listen_tcp: bool = False
    listen_tls: bool = False
    listen_addr: str | None = None
    tcp_port: int = TCP_PORT
    tls_port: int = TLS_PORT
    unix_sock_group: str | None = None
    unix_sock_rw_perms: int = 0o700
    unix_sock_ro_perms: int = 0o777
    max_clients: int = 5000
    max_client_requests: int = 5
    keepalive_interval: int = 5
    keepalive_count: int = 5
    acl_file: Path | None = None
    acl: Mapping[str, Any] | None = None
    source: Path | None = None

    @property
    def rw_socket(self) -> Path:
        return self.socket_dir / "virtd-sock"

    @property
    def ro_socket(self) -> Path:
        return self.socket_dir / "virtd-sock-ro"


def config_error(source: Path | str | None, message: str) -> VirtError:
    where = f"{source}: " if source else ""
    return VirtError(f"{where}{message}", ErrorNumber.CONF_SYNTAX, ErrorDomain.CONF)


def default_config_path(session: bool) -> Path:
    """``/etc/virt/virtd.toml`` for the system daemon, ``$XDG_CONFIG_HOME/virt/virtd.toml`` for a session's."""
    if not session:
        return Path("/etc/virt/virtd.toml")
    base = os.environ.get("XDG_CONFIG_HOME")
    return (Path(base) if base else Path.home() / ".config") / "virt" / "virtd.toml"


def default_socket_dir(session: bool) -> Path:
    """``/run/virt`` for the system daemon; ``$XDG_RUNTIME_DIR/virt`` (else ``~/.cache/virt/run``) for a session's."""
    if not session:
        return Path("/run/virt")
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return Path(runtime) / "virt" if runtime else Path.home() / ".cache" / "virt" / "run"


def default_tls(session: bool) -> TLSSettings:
    """libvirt's default PKI locations, so a host's existing certificates serve virtd unchanged."""
    if session:
        pki = Path.home() / ".pki" / "libvirt"
        return TLSSettings(key_file=pki / "serverkey.pem", cert_file=pki / "servercert.pem", ca_file=pki / "cacert.pem")
    return TLSSettings(
        key_file=Path("/etc/pki/libvirt/private/serverkey.pem"),
        cert_file=Path("/etc/pki/libvirt/servercert.pem"),
        ca_file=Path("/etc/pki/CA/cacert.pem"),
    )


def load_daemon_config(
    path: Path | None = None, *, session: bool, socket_dir: Path | None = None, required: bool = False
) -> DaemonConfig:
    """The settings of ``path`` (the mode's default file when None); defaults when the file is absent
    and not ``required``. ``socket_dir`` (``--socket-dir``) wins over the file's ``unix_sock_dir``."""
    path = path or default_config_path(session)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise config_error(path, "no such configuration file") from None
        table: dict[str, Any] = {}
    except OSError as exc:
        raise config_error(path, f"cannot read: {exc.strerror}") from exc
    else:
        import tomllib

        try:
            table = tomllib.loads(data.decode())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise config_error(path, str(exc)) from exc
    return parse_daemon_config(table, session=session, socket_dir=socket_dir, source=path)


def parse_daemon_config(
    table: Mapping[str, Any], *, session: bool, socket_dir: Path | None = None, source: Path | None = None
) -> DaemonConfig:
    """A DaemonConfig from a parsed ``virtd.toml``; an unknown key or a bad value names the key."""
    unknown = sorted(set(table) - set(_SCALARS) - {"tls", "acl"})
    if unknown:
        raise config_error(source, f"unknown key {unknown[0]!r}")
    values: dict[str, Any] = {}
    for key, check in _SCALARS.items():
        if key in table:
            values[key] = check(source, key, table[key])
    file_dir = values.pop("unix_sock_dir", None)
    acl = table.get("acl")
    if acl is not None and not isinstance(acl, dict):
        raise config_error(source, "acl must be a table ([acl] with [[acl.rule]] entries)")
    if acl is not None and "acl_file" in values:
        raise config_error(source, "acl_file and an inline [acl] table exclude each other")
    return DaemonConfig(
        session=session,
        socket_dir=socket_dir or file_dir or default_socket_dir(session),
        tls=_tls_settings(source, table.get("tls"), default_tls(session)),
        acl=acl,
        source=source,
        **values,
    )


def _tls_settings(source: Path | None, table: object, default: TLSSettings) -> TLSSettings:
    if table is None:
        return default
    if not isinstance(table, dict):
        raise config_error(source, "tls must be a table ([tls])")
    known = {"key_file", "cert_file", "ca_file", "allowed_dn_list"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise config_error(source, f"unknown key 'tls.{unknown[0]}'")
    values: dict[str, Any] = {}
    for key in ("key_file", "cert_file", "ca_file"):
        if key in table:
            values[key] = _path(source, f"tls.{key}", table[key])
    if "allowed_dn_list" in table:
        values["allowed_dn_list"] = _strings(source, "tls.allowed_dn_list", table["allowed_dn_list"])
    return attrs.evolve(default, **values)


def _bool(source: Path | None, key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise config_error(source, f"{key} must be true or false, not {value!r}")
    return value


def _port(source: Path | None, key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise config_error(source, f"{key} must be a port number from 1 to 65535, not {value!r}")
    return value


def _positive(source: Path | None, key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise config_error(source, f"{key} must be a positive integer, not {value!r}")
    return value


def _count(source: Path | None, key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise config_error(source, f"{key} must be an integer of 0 or more, not {value!r}")
    return value


def _interval(source: Path | None, key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or (value < 1 and value != -1):
        raise config_error(source, f"{key} must be a number of seconds (1 or more), or -1 to disable, not {value!r}")
    return value


def _perms(source: Path | None, key: str, value: object) -> int:
    if isinstance(value, str):
        try:
            mode = int(value, 8)
        except ValueError:
            mode = -1
    elif isinstance(value, int) and not isinstance(value, bool):
        mode = value
    else:
        mode = -1
    if not 0 <= mode <= 0o777:
        raise config_error(source, f'{key} must be permission bits in octal such as "0770", not {value!r}')
    return mode


def _text(source: Path | None, key: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise config_error(source, f"{key} must be a non-empty string, not {value!r}")
    return value


def _path(source: Path | None, key: str, value: object) -> Path:
    return Path(_text(source, key, value))


def _strings(source: Path | None, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise config_error(source, f"{key} must be a list of non-empty strings, not {value!r}")
    return tuple(value)


_SCALARS: dict[str, Callable[[Path | None, str, object], Any]] = {
    "listen_tcp": _bool,
    "listen_tls": _bool,
    "listen_addr": _text,
    "tcp_port": _port,
    "tls_port": _port,
    "unix_sock_dir": _path,
    "unix_sock_group": _text,
    "unix_sock_rw_perms": _perms,
    "unix_sock_ro_perms": _perms,
    "max_clients": _positive,
    "max_client_requests": _positive,
    "keepalive_interval": _interval,
    "keepalive_count": _count,
    "acl_file": _path,
}
