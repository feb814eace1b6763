"""Helpers for the test suites of virt-core and of driver plugins (imported by tests only).

The skip rule every suite follows is ``virt.testing.skiprule``, a pytest plugin."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import attrs

if TYPE_CHECKING:
    import subprocess


def missing_dependency(reason: str) -> NoReturn:
    """Skip for a missing system dependency; ``virt.testing.skiprule`` fails it when
    VIRT_REQUIRE_INTEGRATION=1 (as CI sets), as it does every skip that is not declared otherwise."""
    import pytest

    pytest.skip(reason)


def not_applicable(reason: str) -> NoReturn:
    """Skip a test that cannot apply to this host (not a missing dependency): a skip even in CI."""
    from virt.testing.skiprule import NOT_APPLICABLE, NotApplicable

    raise NotApplicable(NOT_APPLICABLE + reason, allow_module_level=True)


def require_corpus(*parts: str) -> Path:
    """libvirt's conformance corpus folder (or ``parts`` inside it); skips with the one common reason
    when it is absent (a failure where CI or VIRT_CONFORMANCE_DIR says it must be there)."""
    from virt.testing.skiprule import CORPUS_REASON, CorpusAbsent

    corpus = conformance_dir()
    if corpus is None:
        raise CorpusAbsent(CORPUS_REASON, allow_module_level=True)
    return corpus.joinpath(*parts)


def shared_dir(start: Path | None = None) -> Path | None:
    """The project's ``shared`` folder (conformance corpus, reference docs): ``$VIRT_SHARED_DIR``, or
    the first ``shared/`` beside a parent of ``start`` (this file by default), or None."""
    explicit = os.environ.get("VIRT_SHARED_DIR")
    if explicit:
        return Path(explicit)
    for parent in (start or Path(__file__)).resolve().parents:
        candidate = parent / "shared"
        if (candidate / "conformance").is_dir():
            return candidate
    return None


def conformance_dir() -> Path | None:
    """libvirt 9.0's test data (``shared/conformance``): ``$VIRT_CONFORMANCE_DIR`` or beside the project."""
    explicit = os.environ.get("VIRT_CONFORMANCE_DIR")
    shared = shared_dir()
    found = Path(explicit) if explicit else (shared / "conformance" if shared else None)
    return found if found is not None and found.is_dir() else None


# -- a private libvirtd --------------------------------------------------------------------------------
LIBVIRTD = "/usr/sbin/libvirtd"
_DRIVER_DIR = "/usr/lib/x86_64-linux-gnu/libvirt/connection-driver"
# What a root libvirtd writes to: each gets an empty tmpfs inside the daemon's own mount namespace,
# so the host's libvirt state is neither seen nor touched.
_PRIVATE_DIRS = ("/run/libvirt", "/var/lib/libvirt", "/var/cache/libvirt", "/var/log/libvirt")


@attrs.frozen
class TestPKI:
    """Certificates for TLS tests, in libvirt's file names (``?pkipath=`` takes ``client_dir``)."""

    __test__ = False  # not a pytest test class, whatever its name says
    folder: Path
    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    @property
    def client_dir(self) -> Path:
        """Holds cacert.pem, clientcert.pem and clientkey.pem: what libvirt's ``pkipath`` names."""
        return self.client_cert.parent


def make_test_pki(
    folder: Path, *, client_cn: str = "virt-test-client", hosts: Sequence[str] = ("localhost",)
) -> TestPKI:
    """A CA, a server certificate valid for ``hosts`` and 127.0.0.1/::1, and a client certificate, made with openssl.

    The server files go to ``folder/server``, the client's (with a copy of the CA) to ``folder/client``.
    """
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        missing_dependency("openssl is not installed")
    server_dir, client_dir = folder / "server", folder / "client"
    server_dir.mkdir(parents=True, exist_ok=True)
    client_dir.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        result = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"openssl {args[0]} failed: {result.stderr.strip()}")

    ca_key, ca_cert = folder / "cakey.pem", folder / "cacert.pem"
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca_cert),
        "-days", "2", "-subj", "/O=virt tests/CN=virt test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    names = ",".join([*(f"DNS:{host}" for host in hosts), "IP:127.0.0.1", "IP:::1"])

    def issue(key: Path, cert: Path, subject: str, usage: str, alt_names: str | None) -> None:
        request = cert.with_suffix(".csr")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(request), "-subj", subject)
        extensions = cert.with_suffix(".ext")
        lines = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment",
                 f"extendedKeyUsage={usage}"]  # fmt: skip
        if alt_names:
            lines.append(f"subjectAltName={alt_names}")
        extensions.write_text("\n".join(lines) + "\n")
        openssl(
            "x509", "-req", "-in", str(request), "-CA", str(ca_cert), "-CAkey", str(ca_key), "-CAcreateserial",
            "-out", str(cert), "-days", "2", "-extfile", str(extensions),
        )  # fmt: skip
        request.unlink()
        extensions.unlink()

    server_key, server_cert = server_dir / "serverkey.pem", server_dir / "servercert.pem"
    client_key, client_cert = client_dir / "clientkey.pem", client_dir / "clientcert.pem"
    issue(server_key, server_cert, f"/O=virt tests/CN={hosts[0] if hosts else 'localhost'}", "serverAuth", names)
    issue(client_key, client_cert, f"/O=virt tests/CN={client_cn}", "clientAuth", None)
    shutil.copy(ca_cert, client_dir / "cacert.pem")
    shutil.copy(ca_cert, server_dir / "cacert.pem")
    return TestPKI(folder, ca_cert, server_cert, server_key, client_cert, client_key)


@attrs.define
class DaemonUnderTest:
    """A daemon a test started (libvirtd or virtd): where it listens, its pid and its log."""

    socket: str
    """The read-write unix socket."""
    socket_ro: str
    """The read-only unix socket."""
    tcp_port: int | None
    """Plain TCP on 127.0.0.1, when asked for (no authentication)."""
    tls_port: int | None
    """TLS on 127.0.0.1, when a PKI was given (client certificates verified)."""
    pid: int
    log: Path
    """The daemon's output and log."""

    def uri(
        self, transport: str = "unix", *, driver: str = "test", path: str = "/default", readonly: bool = False
    ) -> str:
        """The URI reaching this daemon over ``transport`` (``unix``, ``tcp`` or ``tls``), e.g.
        ``test+unix:///default?socket=...``."""
        if transport == "unix":
            return f"{driver}+unix://{path}?socket={self.socket_ro if readonly else self.socket}"
        port = self.tcp_port if transport == "tcp" else self.tls_port if transport == "tls" else None
        if port is None:
            raise ValueError(f"this daemon does not listen for {transport!r}")
        return f"{driver}+{transport}://127.0.0.1:{port}{path}"

    def listening(self) -> bool:
        """True once every socket and port of the daemon accepts connections."""
        import socket

        ready = accepts_connections(socket.AF_UNIX, self.socket)
        for port in (self.tcp_port, self.tls_port):
            ready = ready and (port is None or accepts_connections(socket.AF_INET, ("127.0.0.1", port)))
        return ready


@attrs.define
class Libvirtd(DaemonUnderTest):
    """A running private libvirtd, what ``start_libvirtd`` yields (its log: warnings and errors)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 free right now (another process could take it before it is used)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


LIBVIRTD_QEMU_CONF = 'user = "root"\ngroup = "root"\nstdio_handler = "file"\n'
"""The qemu.conf a private libvirtd gets with its QEMU driver unless ``files`` gives one: /dev/kvm is
root's here, so its QEMU runs as root (libvirt's default user is libvirt-qemu); QEMU's output goes to
a file, as there is no virtlogd in the daemon's private namespace."""


@contextlib.contextmanager
def start_libvirtd(
    *,
    tcp: bool = False,
    tls: TestPKI | None = None,
    drivers: Sequence[str] = (),
    files: Mapping[str, str] | None = None,
    settings: str = "",
    timeout: float = 30.0,
) -> Iterator[Libvirtd]:
    """Run Debian's real libvirtd 9.0, isolated from the host's, for the life of the ``with`` block.

    The daemon runs in a private mount namespace where /run/libvirt, /var/lib/libvirt,
    /var/cache/libvirt and /var/log/libvirt are empty tmpfs and /etc/libvirt is a temporary folder
    holding its libvirtd.conf (plus ``files``: name -> text, e.g. ``{"qemu.conf": ...}``; with the
    ``"qemu"`` driver and no qemu.conf given, ``LIBVIRTD_QEMU_CONF``). Its unix
    sockets live in a temporary folder outside that namespace; unix auth is "none". Only the
    embedded test driver (``test:///default``) is there, unless ``drivers`` names connection
    driver modules to load (``"qemu"``, ``"network"``: they act on the real host, so guests and
    networks a test makes are the test's to remove). ``tcp=True`` listens on 127.0.0.1 with
    ``auth_tcp = "none"``; ``tls=make_test_pki(...)`` listens for TLS on 127.0.0.1 with that PKI.
    ``settings`` is more libvirtd.conf text; its keys replace ours (``auth_unix_rw = "sasl"``).

    Skips the test (``missing_dependency``) when libvirtd or unshare is missing or not root.
    Leaving the block stops the daemon (SIGTERM, then SIGKILL) and removes every file it made.
    """
    import shutil
    import signal
    import subprocess
    import tempfile
    import time

    if not Path(LIBVIRTD).exists():
        missing_dependency(f"{LIBVIRTD} is not installed (libvirt-daemon)")
    if shutil.which("unshare") is None:
        missing_dependency("unshare (util-linux) is not installed")
    if os.geteuid() != 0:
        missing_dependency("a private libvirtd needs root (it runs in its own mount namespace)")

    with tempfile.TemporaryDirectory(prefix="virt-libvirtd-") as temp:
        folder = Path(temp)
        etc, modules, sockets = folder / "etc", folder / "drivers", folder / "sock"
        for path in (etc, modules, sockets):
            path.mkdir()
        for name in drivers:
            shutil.copy(Path(_DRIVER_DIR) / f"libvirt_driver_{name}.so", modules)
        tcp_port = free_port() if tcp else None
        tls_port = free_port() if tls is not None else None
        config = [
            f'unix_sock_dir = "{sockets}"',
            'auth_unix_rw = "none"',
            'auth_unix_ro = "none"',
            f'log_outputs = "3:file:{folder}/libvirtd.log"',
            'listen_addr = "127.0.0.1"',
            f"listen_tcp = {int(tcp_port is not None)}",
            f"listen_tls = {int(tls_port is not None)}",
        ]
        if tcp_port is not None:
            config += [f'tcp_port = "{tcp_port}"', 'auth_tcp = "none"']
        if tls is not None:
            config += [
                f'tls_port = "{tls_port}"',
                'auth_tls = "none"',
                f'ca_file = "{tls.ca_cert}"',
                f'cert_file = "{tls.server_cert}"',
                f'key_file = "{tls.server_key}"',
            ]
        # libvirtd keeps the first of two settings of one key: leave ours out where ``settings`` has its own
        overridden = {line.partition("=")[0].strip() for line in settings.splitlines() if "=" in line}
        config = [line for line in config if line.partition("=")[0].strip() not in overridden]
        (etc / "libvirtd.conf").write_text("\n".join([*config, settings]) + "\n")
        written = dict(files or {})
        if "qemu" in drivers:
            written.setdefault("qemu.conf", LIBVIRTD_QEMU_CONF)
        for name, text in written.items():
            (etc / name).write_text(text)
        mounts = "".join(f"mkdir -p {d} && mount -t tmpfs virt-test {d} && " for d in _PRIVATE_DIRS)
        script = (
            f'{mounts}mount --bind "$0/etc" /etc/libvirt && mount --bind "$0/drivers" {_DRIVER_DIR} && '
            f'exec {LIBVIRTD} -f /etc/libvirt/libvirtd.conf -p "$0/libvirtd.pid"{" --listen" if tcp or tls else ""}'
        )
        log = folder / "libvirtd.out"
        with open(log, "ab") as out:
            popen = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, str(folder)],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        daemon = Libvirtd(
            socket=str(sockets / "libvirt-sock"),
            socket_ro=str(sockets / "libvirt-sock-ro"),
            tcp_port=tcp_port,
            tls_port=tls_port,
            pid=popen.pid,
            log=log,
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                ready = daemon.listening()
                if ready:
                    break
                if popen.poll() is not None or time.monotonic() > deadline:
                    output = log.read_text(errors="replace") + _read_or_empty(folder / "libvirtd.log")
                    raise RuntimeError(f"libvirtd did not start (exit status {popen.poll()}): {output.strip()[-2000:]}")
                time.sleep(0.01)
            yield daemon
        finally:
            for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
                if popen.poll() is not None:
                    break
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(popen.pid, sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    popen.wait(wait)


def accepts_connections(family: int, address: str | tuple[str, int]) -> bool:
    """True when something accepts a connection at ``address`` right now."""
    import socket

    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(address)
        except OSError:
            return False
        return True


def _read_or_empty(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


VIRSH = "virsh"


def need_virsh() -> None:
    """Skip (``missing_dependency``) when Debian's stock virsh is not installed."""
    import shutil

    if shutil.which(VIRSH) is None:
        missing_dependency("virsh (libvirt-clients) is not installed")


class VirshEventWatcher:
    """``virsh event --all --loop`` on ``uri``, writing every event line to ``folder/events.txt``.

    libvirt's client files its callback only after reading the registration's reply, so the
    watcher counts as ready once a change made elsewhere shows up: ``probe()`` (which makes a
    change) runs until a line containing ``seen`` is printed, then the record starts afresh.
    """

    def __init__(self, uri: str, folder: Path, probe: Callable[[], object], seen: str) -> None:
        import subprocess

        self.uri = uri
        self.path = folder / "events.txt"
        # appending, so that emptying the file between steps leaves no hole where virsh writes next
        self._out = open(self.path, "a")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [VIRSH, "-c", uri, "event", "--all", "--loop"], stdout=self._out, stderr=subprocess.STDOUT, text=True
        )
        try:
            self._ready(probe, seen)
        except BaseException:
            self.stop()
            raise

    def lines(self) -> list[str]:
        return self.path.read_text().splitlines()

    def wait_for(self, count: int, timeout: float = 10, settle: float = 0.0) -> list[str]:
        """The event lines once there are ``count`` of them (after ``settle`` seconds more, to let
        unexpected extra ones show)."""
        import time

        deadline = time.monotonic() + timeout
        while len(self.lines()) < count:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"virsh event printed {self.lines()} (wanted {count} lines)")
            time.sleep(0.02)
        time.sleep(settle)
        return self.lines()

    def _ready(self, probe: Callable[[], object], seen: str) -> None:
        import time

        deadline = time.monotonic() + 20
        while True:
            probe()
            waited = time.monotonic() + 0.5
            while time.monotonic() < waited:
                if any(seen in line for line in self.lines()):
                    self.path.write_text("")
                    return
                time.sleep(0.02)
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"virsh event never registered: {self.lines()}")

    def stop(self) -> None:
        end_process(self.process)
        self._out.close()


def end_process(process: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """``process`` terminated (SIGTERM) and reaped; killed if still there after ``grace`` seconds."""
    import subprocess

    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
