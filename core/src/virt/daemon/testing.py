"""A private virtd for tests (of the daemon, of the remote client, of plugins): ``start_virtd()``
runs one in its own socket folder for a ``with`` block, as ``virt.testing.start_libvirtd`` does
for libvirtd, and yields the same kind of handle (sockets, ports, ``uri()``)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs

from virt.testing import DaemonUnderTest, TestPKI, free_port


@attrs.define
class Virtd(DaemonUnderTest):
    """A running virtd, what ``start_virtd`` yields."""

    socket_dir: Path
    process: subprocess.Popen[bytes]

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def virtd_command() -> list[str]:
    """How to run the virtd of this installation."""
    return [sys.executable, "-m", "virt.daemon.main"]


@contextlib.contextmanager
def start_virtd(
    *,
    tcp: bool = False,
    tls: TestPKI | None = None,
    settings: str = "",
    args: Sequence[str] = (),
    socket_dir: Path | None = None,
    system: bool = False,
    timeout: float = 30.0,
) -> Iterator[Virtd]:
    """Run ``virtd --session`` (``--system`` with ``system``) on a temporary socket folder (or
    ``socket_dir``) for the ``with`` block.

    ``tcp=True`` listens on 127.0.0.1 without encryption; ``tls=make_test_pki(...)`` listens for TLS
    on 127.0.0.1 with that PKI; ``settings`` is more ``virtd.toml`` text (keys, then tables such as ``[acl]``); ``args``
    more command-line arguments. Leaving the block stops the daemon with SIGTERM (SIGKILL after 10 s)
    and removes its files; its exit status is then in ``process.returncode``. Unless the caller
    set ``VIRT_NETWORK_ROOT``, the daemon's host network service keeps its state in the temporary
    folder, past its first use: no ``default`` network is defined and autostarted on the host.
    Likewise its secrets live in the temporary folder unless the caller set ``VIRT_SECRETS_ROOT``,
    and its network filters unless the caller set ``VIRT_NWFILTER_ROOT``.
    """
    with tempfile.TemporaryDirectory(prefix="virtd-test-") as temp:
        folder = Path(temp)
        sockets = socket_dir or folder / "sock"
        tcp_port = free_port() if tcp else None
        tls_port = free_port() if tls is not None else None
        lines = ['listen_addr = "127.0.0.1"']
        if tcp_port is not None:
            lines += ["listen_tcp = true", f"tcp_port = {tcp_port}"]
        if tls is not None:
            lines += ["listen_tls = true", f"tls_port = {tls_port}"]
        lines.append(settings)  # may open tables of its own ([acl]...): [tls] comes after
        if tls is not None:
            lines += [
                "[tls]",
                f'key_file = "{tls.server_key}"',
                f'cert_file = "{tls.server_cert}"',
                f'ca_file = "{tls.ca_cert}"',
            ]
        config = folder / "virtd.toml"
        config.write_text("\n".join(lines) + "\n")
        log = folder / "virtd.log"
        mode = "--system" if system else "--session"
        command = [*virtd_command(), mode, "--socket-dir", str(sockets), "--config", str(config), *args]
        env = dict(os.environ)
        if not env.get("VIRT_NETWORK_ROOT"):
            from virt.testing.netns import private_network_root

            env["VIRT_NETWORK_ROOT"] = str(private_network_root(folder))
        if not env.get("VIRT_SECRETS_ROOT"):
            # secrets: the host's secrets (virt.secretstore) are no test's to define or read
            env["VIRT_SECRETS_ROOT"] = str(folder / "secrets")
        if not env.get("VIRT_NWFILTER_ROOT"):
            # network filters: the host's filters (virt.nwfilters) are no test's to define
            env["VIRT_NWFILTER_ROOT"] = str(folder / "nwfilter")
        with open(log, "wb") as out:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env)
        daemon = Virtd(
            socket=str(sockets / "virtd-sock"),
            socket_ro=str(sockets / "virtd-sock-ro"),
            tcp_port=tcp_port,
            tls_port=tls_port,
            pid=process.pid,
            log=log,
            socket_dir=sockets,
            process=process,
        )
        try:
            _wait_ready(daemon, timeout)
            yield daemon
        finally:
            stop_virtd(daemon)


def _wait_ready(daemon: Virtd, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if daemon.listening():
            return
        if daemon.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"virtd did not start (exit status {daemon.process.poll()}): {daemon.output()[-2000:]}")
        time.sleep(0.01)


def stop_virtd(daemon: Virtd, sig: int = signal.SIGTERM) -> int:
    """Stop the daemon with ``sig`` (SIGKILL if it is still there 10 s later); its exit status."""
    for signum in (sig, signal.SIGKILL):
        if daemon.process.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.kill(daemon.process.pid, signum)
        with contextlib.suppress(subprocess.TimeoutExpired):
            daemon.process.wait(10)
    return daemon.process.wait()
