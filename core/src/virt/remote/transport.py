"""The byte pipes the remote client speaks libvirt's protocol over: unix socket, TCP, TLS, ssh, ext.

A transport is connected when made; the client's reader thread waits on ``fileno()`` and calls
``receive()``, other threads call ``send()``. ``abort()`` (any thread) wakes a blocked reader,
which then sees end of file; ``close()`` releases what is left once the reader has finished.
``open_transport(uri)`` picks and connects one the way libvirt's remote driver does, with its
URI parameters (``socket``, ``pkipath``, ``no_verify``, ``command``, ``netcat``, ``keyfile``,
``no_tty``, ``known_hosts``, ``mode``, ``proxy``).
"""

from __future__ import annotations

import array
import contextlib
import os
import shlex
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING

from virt.errors import AuthError, ConnectionError, ErrorDomain, ErrorNumber, InvalidArgument, NotSupported

if TYPE_CHECKING:
    from virt.uri import URI

DEFAULT_TCP_PORT = 16509
DEFAULT_TLS_PORT = 16514
CONNECT_TIMEOUT = 30.0
"""Seconds a TCP connect, or a TLS handshake, may take before the open fails."""
_CHUNK = 256 * 1024

# libvirt's default PKI locations: the system-wide ones, and a user's own under ~/.pki/libvirt.
SYSTEM_CA = Path("/etc/pki/CA/cacert.pem")
SYSTEM_CLIENT_CERT = Path("/etc/pki/libvirt/clientcert.pem")
SYSTEM_CLIENT_KEY = Path("/etc/pki/libvirt/private/clientkey.pem")
USER_PKI = Path("~/.pki/libvirt")


def transport_error(message: str, code: ErrorNumber = ErrorNumber.SYSTEM_ERROR) -> ConnectionError:
    """A failure of the pipe itself (cannot connect, cannot read): a ConnectionError from the RPC layer."""
    return ConnectionError(message, code, ErrorDomain.RPC)


class Transport:
    """A connected byte stream to the daemon."""

    description = "transport"
    """Where it goes, for messages (``unix socket /run/virt/virtd-sock``)."""

    def fileno(self) -> int:
        """What the reader waits on (select) before calling ``receive``."""
        raise NotImplementedError

    def send(self, data: bytes) -> None:
        """Write all of ``data``; one caller at a time (the client serialises writers). OSError on failure."""
        raise NotImplementedError

    def receive(self) -> bytes:
        """Whatever arrived (waits for at least one byte); b"" at end of file. OSError on failure."""
        raise NotImplementedError

    @property
    def passes_fds(self) -> bool:
        """Whether ``send_fd`` works: file descriptors go over unix sockets only."""
        return False

    def send_fd(self, fd: int) -> None:
        """Pass the open file descriptor ``fd`` to the peer (after a CALL_WITH_FDS)."""
        raise NotSupported(
            "Sending file descriptors is not supported on this socket", ErrorNumber.NO_SUPPORT, ErrorDomain.RPC
        )

    def abort(self) -> None:
        """Make a ``receive`` blocked in another thread return (end of file); idempotent."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the descriptors (after ``abort`` and once no thread reads any more)."""
        raise NotImplementedError

    def failure_detail(self) -> str | None:
        """Why the peer went away, when the transport knows more than "end of file" (ssh's error output)."""
        return None


class SocketTransport(Transport):
    """A plain stream socket: unix or TCP."""

    def __init__(self, sock: socket.socket, description: str) -> None:
        self.sock = sock
        self.description = description
        self._aborted = False

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def receive(self) -> bytes:
        return self.sock.recv(_CHUNK)

    @property
    def passes_fds(self) -> bool:
        return self.sock.family == socket.AF_UNIX

    def send_fd(self, fd: int) -> None:
        if not self.passes_fds:
            super().send_fd(fd)
        # one byte carries each descriptor, as libvirt's sendfd does
        self.sock.sendmsg([b"\0"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]).tobytes())])

    def abort(self) -> None:
        if not self._aborted:
            self._aborted = True
            # already disconnected: the reader sees end of file anyway
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.sock.close()


class TLSTransport(Transport):
    """TLS over TCP through memory BIOs, so that the reader thread and writers never share an SSL
    object call: OpenSSL does not allow one SSL object to read and write in two threads at once."""

    def __init__(self, sock: socket.socket, context: ssl.SSLContext, host: str, description: str) -> None:
        self.sock = sock
        self.description = description
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_hostname=host)
        self._tls_lock = threading.Lock()
        self._aborted = False
        self._early = b""
        """Application data that came in the same read as the verdict byte."""

    def handshake(self, timeout: float) -> None:
        """The TLS handshake, then libvirt's one-byte verdict on our certificate (0x01: accepted)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                try:
                    self._tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    self._flush()
                    self._feed_raw()
            self._flush()
            verdict = b""
            while not verdict:
                verdict = self.receive()
                if not verdict:
                    raise transport_error(
                        f"{self.description}: the server closed the connection after the TLS handshake"
                        " (it refused our certificate?)",
                        ErrorNumber.RPC,
                    )
        except TimeoutError as exc:
            raise transport_error(f"{self.description}: TLS handshake timed out after {timeout:g} s") from exc
        except ssl.SSLCertVerificationError as exc:
            raise AuthError(
                f"{self.description}: the server's certificate failed verification: {exc.verify_message}",
                ErrorNumber.AUTH_FAILED,
                ErrorDomain.RPC,
            ) from exc
        except ssl.SSLError as exc:
            raise transport_error(f"{self.description}: TLS handshake failed: {exc.reason or exc}") from exc
        except OSError as exc:
            raise transport_error(f"{self.description}: TLS handshake failed: {exc.strerror or exc}") from exc
        finally:
            self.sock.settimeout(None)
        if verdict[:1] != b"\x01":
            raise AuthError(
                f"{self.description}: server verification (of our certificate or IP address) failed",
                ErrorNumber.RPC,
                ErrorDomain.RPC,
            )
        self._early = verdict[1:]

    def _feed_raw(self) -> None:
        """Move what the socket has (waiting for it) into the TLS object; end of file too."""
        data = self.sock.recv(_CHUNK)
        with self._tls_lock:
            if data:
                self._incoming.write(data)
            else:
                self._incoming.write_eof()

    def _flush(self) -> None:
        with self._tls_lock:
            pending = self._outgoing.read()
        if pending:
            self.sock.sendall(pending)

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, data: bytes) -> None:
        # Encrypt and extract under the TLS lock, send outside it: a reader must never wait for a
        # writer blocked on a full socket (the peer may itself wait for us to read).
        with self._tls_lock:
            try:
                self._tls.write(data)
            except ssl.SSLError as exc:
                raise OSError(f"TLS write failed: {exc.reason or exc}") from exc
            encrypted = self._outgoing.read()
        self.sock.sendall(encrypted)

    def receive(self) -> bytes:
        if self._early:
            early, self._early = self._early, b""
            return early
        while True:
            with self._tls_lock:
                chunks: list[bytes] = []
                try:
                    while True:
                        chunk = self._tls.read(_CHUNK)
                        if not chunk:
                            return b"".join(chunks)  # clean TLS close
                        chunks.append(chunk)
                except ssl.SSLWantReadError:
                    if chunks:
                        return b"".join(chunks)
                except ssl.SSLZeroReturnError:
                    return b"".join(chunks)
                except ssl.SSLEOFError:
                    return b"".join(chunks)
                except ssl.SSLError as exc:
                    raise OSError(f"TLS read failed: {exc.reason or exc}") from exc
            self._feed_raw()

    def abort(self) -> None:
        if not self._aborted:
            self._aborted = True
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.sock.close()


class CommandTransport(Transport):
    """A child process whose standard input and output carry the protocol (ssh, ext)."""

    def __init__(self, argv: list[str], description: str) -> None:
        self.description = description
        self.argv = argv
        # ssh's complaints (unknown host, refused key, remote command not found) explain an end of
        # file better than anything else: keep them in a file, read only on failure.
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the transport
        try:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                start_new_session=not sys.stdin.isatty(),
            )
        except OSError as exc:
            self._stderr.close()
            raise transport_error(f"cannot run {argv[0]!r}: {exc.strerror}") from exc
        assert self.process.stdin is not None and self.process.stdout is not None
        self._stdin = self.process.stdin
        self._stdout = self.process.stdout
        self._aborted = False

    def fileno(self) -> int:
        return self._stdout.fileno()

    def send(self, data: bytes) -> None:
        try:
            self._stdin.write(data)
            self._stdin.flush()
        except ValueError as exc:  # the pipe was closed by abort()
            raise BrokenPipeError(str(exc)) from exc

    def receive(self) -> bytes:
        return os.read(self._stdout.fileno(), _CHUNK)

    def abort(self) -> None:
        if not self._aborted:
            self._aborted = True
            if self.process.poll() is None:
                self.process.kill()

    def close(self) -> None:
        self.abort()
        for stream in (self._stdin, self._stdout):
            # a broken pipe on the final flush changes nothing
            with contextlib.suppress(OSError):
                stream.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        self._stderr.close()

    def failure_detail(self) -> str | None:
        # its output is complete once it has exited, which it does right after closing its stdout
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(1)
        try:
            self._stderr.seek(0)
            text = self._stderr.read()[-4096:].decode(errors="replace").strip()
        except (OSError, ValueError):
            return None
        lines = [line for line in text.splitlines() if line.strip()]
        return "; ".join(lines[-3:]) if lines else None


# -- choosing and connecting ---------------------------------------------------------------------------
REMOTE_PARAMS = frozenset(
    {
        "name", "command", "socket", "netcat", "keyfile", "no_verify", "no_tty", "pkipath", "tls_priority",
        "known_hosts", "known_hosts_verify", "sshauth", "mode", "proxy", "timeout", "keepalive_interval",
        "keepalive_count",
    }
)  # fmt: skip
"""URI parameters the remote client consumes; any other is passed on in the name the daemon opens."""

# libvirt's per-driver daemons ("direct" mode), by URI scheme.
_DIRECT_DAEMONS = {"qemu": "virtqemud", "lxc": "virtlxcd", "xen": "virtxend", "vbox": "virtvboxd", "ch": "virtchd"}


def transport_name(uri: URI) -> str:
    """The transport ``uri`` asks for: its ``+transport``, else TLS with a host and unix without (libvirt's rule)."""
    if uri.transport:
        return uri.transport
    return "tls" if uri.host else "unix"


def is_session(uri: URI) -> bool:
    """True when the URI names the per-user daemon (``qemu:///session``) rather than the host's."""
    return uri.path.rstrip("/").endswith("/session") or (os.geteuid() != 0 and uri.path.rstrip("/") != "/system")


def virtd_session_dir() -> Path:
    """Where a user's virtd listens: ``$XDG_RUNTIME_DIR/virt``, else ``~/.cache/virt/run`` (virtd's rule)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    return Path(base) / "virt" if base else Path.home() / ".cache" / "virt" / "run"


def libvirt_session_dir() -> Path:
    """Where a user's libvirt daemons listen: ``$XDG_RUNTIME_DIR/libvirt``, else ``~/.cache/libvirt``."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    return Path(base) / "libvirt" if base else Path.home() / ".cache" / "libvirt"


def unix_socket_candidates(uri: URI, *, readonly: bool) -> list[Path]:
    """Where the daemon for ``uri`` may listen, best first: virtd's socket, then libvirt's per-driver
    daemon's, then libvirtd's (``?mode=legacy`` keeps only libvirtd's, ``direct`` only the per-driver one)."""
    suffix = "-ro" if readonly else ""
    mode = uri.param("mode", "auto")
    if mode not in ("auto", "legacy", "direct"):
        raise InvalidArgument(f"unknown remote mode '{mode}' (expected auto, legacy or direct)")
    direct = _DIRECT_DAEMONS.get(uri.scheme)
    if is_session(uri):
        # a user's own daemon has no read-only socket: the user owns it all
        ours, libvirt_dir, suffix = virtd_session_dir() / "virtd-sock", libvirt_session_dir(), ""
    else:
        ours, libvirt_dir = Path(f"/run/virt/virtd-sock{suffix}"), Path("/run/libvirt")
    candidates = []
    if mode == "auto":
        candidates.append(ours)
    if mode in ("auto", "direct") and direct:
        candidates.append(libvirt_dir / f"{direct}-sock{suffix}")
    if mode in ("auto", "legacy"):
        candidates.append(libvirt_dir / f"libvirt-sock{suffix}")
    return candidates


def default_unix_socket(uri: URI, *, readonly: bool) -> Path:
    """The first candidate socket that exists, else the first (virtd's), which the error then names."""
    candidates = unix_socket_candidates(uri, readonly=readonly)
    for path in candidates:
        if path.exists():
            return path
    return candidates[0]


def connect_unix(path: str | os.PathLike[str]) -> SocketTransport:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(os.fspath(path))
    except OSError as exc:
        sock.close()
        raise transport_error(f"Failed to connect socket to '{os.fspath(path)}': {exc.strerror or exc}") from exc
    return SocketTransport(sock, f"unix socket {os.fspath(path)}")


def _connect_tcp(host: str, port: int) -> socket.socket:
    try:
        sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
    except socket.gaierror as exc:
        raise transport_error(f"unable to resolve '{host}': {exc.strerror}", ErrorNumber.UNKNOWN_HOST) from exc
    except OSError as exc:
        raise transport_error(f"unable to connect to server at '{host}:{port}': {exc.strerror or exc}") from exc
    sock.settimeout(None)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def connect_tcp(host: str, port: int) -> SocketTransport:
    return SocketTransport(_connect_tcp(host, port), f"tcp {host}:{port}")


def _flag(uri: URI, name: str) -> bool:
    value = uri.param(name, "0") or "0"
    try:
        return int(value) != 0
    except ValueError:
        raise InvalidArgument(f"URI parameter {name}={value!r} is not a number") from None


def pki_files(uri: URI) -> tuple[Path, Path, Path]:
    """The CA certificate, client certificate and client key: from ``?pkipath=DIR`` (all three must be
    there), else ~/.pki/libvirt for a user who has them, else the system-wide paths."""
    explicit = uri.param("pkipath")
    if explicit:
        folder = Path(explicit)
        files = (folder / "cacert.pem", folder / "clientcert.pem", folder / "clientkey.pem")
        for path in files:
            if not path.is_file():
                raise transport_error(f"Cannot access {path.name} in pkipath {folder}: no such file")
        return files
    if os.geteuid() != 0:
        user = USER_PKI.expanduser()
        if (user / "clientcert.pem").is_file() and (user / "clientkey.pem").is_file():
            ca = user / "cacert.pem"
            return (ca if ca.is_file() else SYSTEM_CA), user / "clientcert.pem", user / "clientkey.pem"
    return SYSTEM_CA, SYSTEM_CLIENT_CERT, SYSTEM_CLIENT_KEY


def tls_context(uri: URI) -> ssl.SSLContext:
    """A client context: our certificate for the server to check, and (unless ``no_verify=1``) the
    server's certificate checked against the CA and the host name."""
    ca, cert, key = pki_files(uri)
    no_verify = _flag(uri, "no_verify")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if no_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        if not ca.is_file():
            raise transport_error(f"Cannot read CA certificate '{ca}': No such file or directory")
        try:
            context.load_verify_locations(cafile=str(ca))
        except ssl.SSLError as exc:
            raise transport_error(f"CA certificate '{ca}' is not usable: {exc.reason or exc}") from exc
    if not cert.is_file():
        raise transport_error(f"Cannot read client certificate '{cert}': No such file or directory")
    if not key.is_file():
        raise transport_error(f"Cannot read client key '{key}': No such file or directory")
    try:
        context.load_cert_chain(str(cert), str(key))
    except ssl.SSLError as exc:
        raise transport_error(f"client certificate '{cert}' or key '{key}' is not usable: {exc.reason or exc}") from exc
    return context


def connect_tls(uri: URI) -> TLSTransport:
    host = uri.host or "localhost"
    port = uri.port or DEFAULT_TLS_PORT
    context = tls_context(uri)
    sock = _connect_tcp(host, port)
    transport = TLSTransport(sock, context, host, f"tls {host}:{port}")
    try:
        transport.handshake(CONNECT_TIMEOUT)
    except BaseException:
        sock.close()
        raise
    return transport


# -- ssh -------------------------------------------------------------------------------------------------
def _netcat(netcat: str, socket_path: str) -> str:
    # Debian's and BSD's nc only leave after the end of standard input with -q0; others reject -q.
    return (
        f'if {netcat} -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0; else ARG=; fi; '
        f"{netcat} $ARG -U {socket_path}"
    )


def ssh_remote_command(uri: URI, *, readonly: bool) -> str:
    """The shell command ssh runs on the remote host to reach its daemon's unix socket.

    ``?socket=`` or ``?netcat=`` (or ``proxy=netcat``): netcat to that socket (libvirt's default
    path when none is given). ``proxy=native``: libvirt's virt-ssh-helper. Otherwise (``auto``):
    the first of virtd's and libvirt's sockets that exists on the remote host, through netcat,
    else virt-ssh-helper when the host has it.
    """
    proxy = uri.param("proxy", "auto")
    if proxy not in ("auto", "netcat", "native"):
        raise InvalidArgument(f"unknown remote proxy '{proxy}' (expected auto, netcat or native)")
    netcat_param = uri.param("netcat")
    netcat = shlex.quote(netcat_param or "nc")
    socket_param = uri.param("socket")
    name = shlex.quote(remote_name(uri))
    helper = f"virt-ssh-helper{' -r' if readonly else ''} {name}"
    if proxy == "native":
        if netcat_param:
            raise InvalidArgument("netcat path not valid with native proxy mode")
        return "sh -c " + shlex.quote(helper)
    if socket_param or netcat_param or proxy == "netcat":
        path = socket_param or f"/run/libvirt/libvirt-sock{'-ro' if readonly else ''}"
        return "sh -c " + shlex.quote(_netcat(netcat, shlex.quote(path)))
    # Decided on the remote host, which alone knows which daemon runs there and its user's paths.
    suffix = "-ro" if readonly else ""
    direct = _DIRECT_DAEMONS.get(uri.scheme)
    folders = ""
    if uri.path.rstrip("/").endswith("/session"):
        # the remote user's folders, by the same rules as virtd_session_dir and libvirt_session_dir
        folders = (
            'if test -n "$XDG_RUNTIME_DIR"; then V="$XDG_RUNTIME_DIR/virt"; L="$XDG_RUNTIME_DIR/libvirt"; '
            'else V="$HOME/.cache/virt/run"; L="$HOME/.cache/libvirt"; fi; '
        )
        sockets = ['"$V/virtd-sock"', '"$L/libvirt-sock"']
        if direct:
            sockets.insert(1, f'"$L/{direct}-sock"')
    else:
        sockets = [f"/run/virt/virtd-sock{suffix}", f"/run/libvirt/libvirt-sock{suffix}"]
        if direct:
            sockets.insert(1, f"/run/libvirt/{direct}-sock{suffix}")
    chosen = '"$S"'
    script = (
        f'{folders}S=; for s in {" ".join(sockets)}; do if test -S "$s"; then S="$s"; break; fi; done; '
        f'if test -n "$S"; then {_netcat(netcat, chosen)}; '
        f"elif which virt-ssh-helper >/dev/null 2>&1; then {helper}; "
        'else echo "no virtd or libvirt daemon socket on this host" >&2; exit 1; fi'
    )
    return "sh -c " + shlex.quote(script)


def ssh_options(uri: URI, *, batch: bool | None = None) -> list[str]:
    """``ssh [-p port] [-l user] [-i keyfile] [-o ...]``: the program (``?command=``) and the options
    the URI asks for (``keyfile``, ``no_tty``, ``no_verify``, ``known_hosts``), without the host.

    ``batch``: BatchMode (never prompt); None decides as libvirt does (``no_tty``, or no terminal).
    Other drivers that reach a host over ssh themselves (virt-xen) build on it.
    """
    if not uri.host:
        raise InvalidArgument(f"URI {uri} names no host for the ssh transport")
    argv = [uri.param("command") or "ssh"]
    if uri.port is not None:
        argv += ["-p", str(uri.port)]
    if uri.user:
        argv += ["-l", uri.user]
    keyfile = uri.param("keyfile")
    if keyfile:
        argv += ["-i", keyfile]
    if batch is None:
        batch = _flag(uri, "no_tty") or not sys.stdin.isatty()
    if batch:
        argv += ["-o", "BatchMode=yes"]
    if _flag(uri, "no_verify"):
        argv += ["-o", "StrictHostKeyChecking=no"]
    known_hosts = uri.param("known_hosts")
    if known_hosts:
        argv += ["-o", f"UserKnownHostsFile={known_hosts}"]
    return argv


def ssh_argv(uri: URI, *, readonly: bool) -> list[str]:
    """``ssh [-p port] [-l user] [-i keyfile] -T -e none [-o ...] -- host COMMAND``, as libvirt runs it."""
    options = ssh_options(uri)
    first_o = options.index("-o") if "-o" in options else len(options)
    # libvirt's order: the identity options, -T -e none, then the -o options
    return [
        *options[:first_o],
        "-T",
        "-e",
        "none",
        *options[first_o:],
        "--",
        uri.host or "",
        ssh_remote_command(uri, readonly=readonly),
    ]


def remote_name(uri: URI) -> str:
    """The URI the daemon opens: ``?name=`` or ours without transport, host, user, port and the remote
    client's own parameters (others are passed on); "" for ``remote://`` (the daemon's default)."""
    explicit = uri.param("name")
    if explicit is not None:
        return explicit
    if uri.scheme == "remote":
        return ""
    from virt.uri import URI as URIClass

    params = tuple((k, v) for k, v in uri.params if k not in REMOTE_PARAMS)
    return str(URIClass(scheme=uri.scheme, path=uri.path or "/", params=params))


def open_transport(uri: URI, *, readonly: bool = False) -> Transport:
    """Connect to the daemon ``uri`` names over the transport it asks for."""
    kind = transport_name(uri)
    if kind == "unix":
        if uri.host:
            raise InvalidArgument(f"URI {uri}: the unix transport takes no host name")
        explicit = uri.param("socket")
        return connect_unix(explicit if explicit else default_unix_socket(uri, readonly=readonly))
    if kind == "tcp":
        return connect_tcp(uri.host or "localhost", uri.port or DEFAULT_TCP_PORT)
    if kind == "tls":
        return connect_tls(uri)
    if kind == "ssh":
        argv = ssh_argv(uri, readonly=readonly)
        return CommandTransport(argv, f"ssh {uri.user + '@' if uri.user else ''}{uri.host}")
    if kind == "ext":
        command = uri.param("command")
        if not command:
            raise InvalidArgument(f"URI {uri}: the ext transport needs a command parameter")
        return CommandTransport(shlex.split(command), f"command {command}")
    if kind in ("libssh", "libssh2"):
        raise NotSupported(f"transport '{kind}' is not supported by virt's remote client: use '+ssh' (OpenSSH)")
    raise InvalidArgument(f"remote_open: transport in URL not recognised (should be tls|unix|ssh|ext|tcp): {kind}")
