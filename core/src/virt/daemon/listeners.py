"""The sockets virtd listens on: the unix read-write and read-only sockets with their modes, TCP and
TLS when enabled, sockets handed over by systemd (``LISTEN_FDS``), and the lock that keeps a second
virtd off a socket folder."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import grp
import os
import socket
import stat
from collections.abc import Mapping
from pathlib import Path

import attrs

from virt.daemon.auth import Transport
from virt.daemon.config import DaemonConfig
from virt.errors import ErrorNumber, VirtError

BACKLOG = 128
LISTEN_FDS_START = 3  # SD_LISTEN_FDS_START
LOCK_NAME = "virtd.pid"


@attrs.frozen
class Endpoint:
    """A listening socket and what its clients are: how they are identified and whether read-only."""

    transport: Transport
    readonly: bool
    sock: socket.socket
    path: Path | None = None  # a unix socket file virtd made (removed when it exits)

    @property
    def family_unix(self) -> bool:
        return self.sock.family == socket.AF_UNIX

    def describe(self) -> str:
        if self.family_unix:
            where = str(self.path) if self.path is not None else self.sock.getsockname() or "an inherited unix socket"
            return f"{where}{' (read-only)' if self.readonly else ''}"
        host, port = self.sock.getsockname()[:2]
        return f"{self.transport} {host}:{port}"


def daemon_error(message: str) -> VirtError:
    return VirtError(message, ErrorNumber.SYSTEM_ERROR)


class SocketDirLock:
    """An exclusive lock on ``DIR/virtd.pid`` holding the owner's pid: one virtd per socket folder."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise daemon_error(
                    f"another virtd (pid {holder}) is already serving {self.path.parent}; stop it first"
                ) from None
            raise daemon_error(f"cannot lock {self.path}: {exc.strerror}") from exc
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()
            os.close(self._fd)
            self._fd = None


def prepare_socket_dir(directory: Path, session: bool) -> None:
    """Create the socket folder: private for a session daemon, world-searchable for the system's
    (the sockets' own modes decide who connects)."""
    try:
        directory.mkdir(mode=0o700 if session else 0o755, parents=True, exist_ok=True)
    except OSError as exc:
        raise daemon_error(f"cannot create socket folder {directory}: {exc.strerror}") from exc


def unix_endpoint(path: Path, mode: int, group: str | None, readonly: bool) -> Endpoint:
    """A listening unix socket at ``path`` with permission bits ``mode`` (a stale file is replaced:
    the caller holds the folder's lock, so no live virtd owns it)."""
    gid = _group_id(group) if group is not None else -1
    try:
        if stat.S_ISSOCK(path.lstat().st_mode):
            path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise daemon_error(f"cannot replace {path}: {exc.strerror}") from exc
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # The file never exists with wider permissions than asked, even for an instant.
    old_umask = os.umask(0o777 & ~mode)
    try:
        sock.bind(str(path))
    except OSError as exc:
        sock.close()
        raise daemon_error(f"cannot listen on {path}: {exc.strerror}") from exc
    finally:
        os.umask(old_umask)
    try:
        path.chmod(mode)
        if gid != -1:
            os.chown(path, -1, gid)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise daemon_error(f"cannot set up {path}: {exc.strerror}") from exc
    sock.setblocking(False)
    return Endpoint("unix", readonly, sock, path)


def _group_id(name: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        if name.isdigit():
            return int(name)
        raise VirtError(f"unix_sock_group: no group named {name!r}", ErrorNumber.CONF_SYNTAX) from None


def network_endpoints(address: str | None, port: int, transport: Transport) -> list[Endpoint]:
    """Listening TCP sockets on ``address`` (every address when None) and ``port``."""
    try:
        infos = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise daemon_error(f"cannot resolve listen address {address!r}: {exc.strerror}") from exc
    endpoints: list[Endpoint] = []
    seen: set[tuple[object, ...]] = set()
    for family, kind, proto, _, sockaddr in infos:
        if sockaddr in seen:
            continue
        seen.add(sockaddr)
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(sockaddr)
            sock.listen(BACKLOG)
        except OSError as exc:
            sock.close()
            if family == socket.AF_INET6 and exc.errno == errno.EADDRNOTAVAIL:
                continue  # a host without IPv6 still listens on IPv4
            for endpoint in endpoints:
                endpoint.sock.close()
            raise daemon_error(f"cannot listen on {sockaddr[0]} port {port} ({transport}): {exc.strerror}") from exc
        sock.setblocking(False)
        endpoints.append(Endpoint(transport, False, sock))
    return endpoints


def activated_endpoints(environ: Mapping[str, str] | None = None) -> list[Endpoint]:
    """Sockets systemd passed (``LISTEN_FDS`` from fd 3 on, for this pid), named by ``LISTEN_FDNAMES``.

    A name ending in ``-ro.socket`` (or ``ro``) is the read-only socket, one containing ``tls`` or
    ``tcp`` serves that transport; other unix sockets are read-write, other TCP sockets plain TCP.
    """
    env = os.environ if environ is None else environ
    if env.get("LISTEN_PID") != str(os.getpid()):
        return []
    try:
        count = int(env.get("LISTEN_FDS", "0"))
    except ValueError:
        raise daemon_error(f"LISTEN_FDS is not a number: {env.get('LISTEN_FDS')!r}") from None
    names = env.get("LISTEN_FDNAMES", "").split(":")
    endpoints: list[Endpoint] = []
    for index in range(count):
        fd = LISTEN_FDS_START + index
        try:
            sock = socket.socket(fileno=fd)
        except OSError as exc:
            raise daemon_error(f"socket activation: descriptor {fd} is not a socket: {exc.strerror}") from exc
        os.set_inheritable(fd, False)
        sock.setblocking(False)
        name = names[index] if index < len(names) else ""
        endpoints.append(_classify(sock, name))
    return endpoints


def _classify(sock: socket.socket, name: str) -> Endpoint:
    stem = name.removesuffix(".socket")
    if sock.family == socket.AF_UNIX:
        readonly = stem == "ro" or stem.endswith("-ro")
        return Endpoint("unix", readonly, sock)
    if "tls" in stem:
        return Endpoint("tls", False, sock)
    return Endpoint("tcp", False, sock)


def forget_activation(environ: dict[str, str] | os._Environ[str] | None = None) -> None:
    """Drop the LISTEN_* variables so that children of virtd do not take the sockets for theirs."""
    env = os.environ if environ is None else environ
    for key in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        env.pop(key, None)


def open_endpoints(config: DaemonConfig, inherited: list[Endpoint]) -> list[Endpoint]:
    """Every socket ``config`` asks for; a kind systemd already passed is not opened again."""
    endpoints = list(inherited)
    have_rw = any(e.transport == "unix" and not e.readonly for e in inherited)
    have_ro = any(e.transport == "unix" and e.readonly for e in inherited)
    have = {e.transport for e in inherited}
    try:
        if not have_rw:
            endpoints.append(unix_endpoint(config.rw_socket, config.unix_sock_rw_perms, config.unix_sock_group, False))
        if not have_ro:
            endpoints.append(unix_endpoint(config.ro_socket, config.unix_sock_ro_perms, config.unix_sock_group, True))
        if config.listen_tcp and "tcp" not in have:
            endpoints += network_endpoints(config.listen_addr, config.tcp_port, "tcp")
        if config.listen_tls and "tls" not in have:
            endpoints += network_endpoints(config.listen_addr, config.tls_port, "tls")
    except VirtError:
        close_endpoints(endpoints)
        raise
    return endpoints


def close_endpoints(endpoints: list[Endpoint]) -> None:
    """Close the sockets and remove the socket files virtd made."""
    for endpoint in endpoints:
        endpoint.sock.close()
        if endpoint.path is not None:
            with contextlib.suppress(OSError):
                endpoint.path.unlink()
