"""VMware's vSphere simulator (govmomi's ``simulator`` package) for the tests, built from Debian's sources.

``vcsim/main.go`` is built once per machine with ``GOPATH=/usr/share/gocode GO111MODULE=off go build``
into ``$VIRT_TEST_CACHE/vcsim`` (else ``/var/tmp/virt-test-vcsim``), and built again when main.go,
the Go compiler or govmomi's sources change. ``Simulator.start`` runs one on loopback (plain http)
and returns once it printed its URL; ``stop`` closes its standard input, which ends it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import select
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import attrs
from virt.driver import AuthCallback, Credential, CredentialType

MAIN = Path(__file__).parent / "vcsim" / "main.go"
GOPATH = Path("/usr/share/gocode")
GOVMOMI = GOPATH / "src" / "github.com" / "vmware" / "govmomi"
USER = "root"
PASSWORD = "secret"
START_TIMEOUT = 30.0


class SimulatorError(Exception):
    """The simulator cannot be built or started; the message says why."""


def cache_dir() -> Path:
    base = os.environ.get("VIRT_TEST_CACHE")
    return Path(base) / "vcsim" if base else Path("/var/tmp/virt-test-vcsim")


def _fingerprint(go: str) -> str:
    digest = hashlib.sha256(MAIN.read_bytes())
    digest.update(subprocess.run([go, "version"], capture_output=True, text=True, check=True).stdout.encode())
    for path in sorted(GOVMOMI.rglob("*.go")):
        stat = path.stat()
        digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def build() -> Path:
    """The simulator's binary, built now if the cache has none for these sources."""
    go = shutil.which("go")
    if go is None:
        raise SimulatorError("go is not installed (apt-get install golang-go)")
    if not (GOVMOMI / "simulator").is_dir():
        raise SimulatorError(
            f"govmomi's simulator is not in {GOVMOMI} (apt-get install golang-github-vmware-govmomi-dev)"
        )
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    binary = folder / f"vcsim-{_fingerprint(go)}"
    with (folder / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time; the others then find it done
        if binary.exists():
            return binary
        partial = binary.with_suffix(".partial")
        env = {
            **os.environ,
            "GOPATH": str(GOPATH),
            "GO111MODULE": "off",
            "GOCACHE": str(folder / "gocache"),
            "GOFLAGS": "",
        }
        result = subprocess.run(
            [go, "build", "-o", str(partial), str(MAIN)], env=env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise SimulatorError(f"go build of {MAIN} failed: {result.stderr.strip()[-2000:]}")
        partial.rename(binary)
        for stale in folder.glob("vcsim-*"):
            if stale != binary:
                with contextlib.suppress(OSError):
                    stale.unlink()
    return binary


def _first_line(process: subprocess.Popen[bytes]) -> str:
    """The URL line the simulator prints once it serves (SimulatorError if none comes in time)."""
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        ready, _, _ = select.select([process.stdout], [], [], max(0.0, remaining))
        chunk = os.read(process.stdout.fileno(), 4096) if ready else b""
        if not chunk:
            raise SimulatorError("printed no URL")
        line += chunk
    return line.decode().strip()


@attrs.define
class Simulator:
    """A running simulator: ``mode`` esx (one host) or vpx (a vCenter), its address and credentials."""

    mode: str
    process: subprocess.Popen[bytes]
    host: str
    port: int
    user: str = USER
    password: str = PASSWORD

    def uri(self, *, path: str = "", user: bool = True, params: str = "transport=http") -> str:
        """The virt URI of this simulator: ``esx://root@127.0.0.1:PORT/?transport=http``, and for a
        vCenter the path of its standalone host (``/DC0/DC0_H0``) unless ``path`` is given."""
        if self.mode == "vpx" and not path:
            path = "/DC0/DC0_H0"
        who = f"{self.user}@" if user else ""
        return f"{self.mode}://{who}{self.host}:{self.port}{path or '/'}?{params}"

    @classmethod
    def start(
        cls, binary: Path, mode: str, *, vms: int = 2, tls: bool = False, cert: tuple[Path, Path] | None = None
    ) -> Simulator:
        """Start one; ``tls`` serves https, with ``cert`` (certificate and key files) if given."""
        command = [str(binary), "-mode", mode, "-vms", str(vms), "-user", USER, "-password", PASSWORD]
        if tls:
            command.append("-tls")
        if cert is not None:
            command += ["-cert", str(cert[0]), "-key", str(cert[1])]
        # its log goes to a file: a pipe nobody reads would stall a chatty simulator
        with tempfile.TemporaryFile() as log:
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
            try:
                line = _first_line(process)
            except SimulatorError as exc:
                process.kill()
                process.wait(timeout=10)
                log.seek(0)
                raise SimulatorError(
                    f"the {mode} simulator {exc}: {log.read().decode(errors='replace')[-2000:]}"
                ) from None
        url = urllib.parse.urlsplit(line)
        if url.hostname is None or url.port is None:
            process.kill()
            raise SimulatorError(f"the {mode} simulator printed {line!r}, not its URL")
        return cls(mode, process, url.hostname, url.port)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                assert self.process.stdin is not None
                self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@contextlib.contextmanager
def running(
    binary: Path, mode: str, *, vms: int = 2, tls: bool = False, cert: tuple[Path, Path] | None = None
) -> Iterator[Simulator]:
    simulator = Simulator.start(binary, mode, vms=vms, tls=tls, cert=cert)
    try:
        yield simulator
    finally:
        simulator.stop()


def answer(user: str = USER, password: str = PASSWORD) -> AuthCallback:
    """An auth callback answering ``user`` and ``password``."""

    def callback(credentials: list[Credential]) -> None:
        for credential in credentials:
            if credential.type in (CredentialType.AUTHNAME, CredentialType.USERNAME):
                credential.result = user
            elif credential.type == CredentialType.PASSPHRASE:
                credential.result = password

    return callback
