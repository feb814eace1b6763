"""The user's virtd behind plain session URIs (``qemu:///session``), started on demand as libvirt
starts its session daemon.

A driver registered with ``session_daemon=True`` does not open ``SCHEME:///session`` in-process:
the URI goes to the user's virtd on ``$XDG_RUNTIME_DIR/virt/virtd-sock``, so every program of the
user sees the same guests and one process owns them. When nothing listens there,
``virtd --session --timeout 120`` is started (it leaves 120 s after its last client) and waited
for. The driver opens in-process as before when no ``virtd`` is installed, with
``VIRT_DAEMON=never`` (or ``daemon = "never"`` in virt.toml), and inside virtd itself, which sets
``VIRT_DAEMON=never`` for its own process so that it never connects to its own socket.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from virt.errors import ConnectionError, ErrorDomain, ErrorNumber, VirtError
from virt.remote.transport import virtd_session_dir

if TYPE_CHECKING:
    from virt.driver import DriverConnection
    from virt.uri import URI

IDLE_TIMEOUT = 120
"""Seconds an on-demand session virtd stays without any client (libvirt's session daemon: 120)."""
START_TIMEOUT = 15.0
"""Seconds to wait for a virtd just started to listen."""
POLICIES = ("auto", "never")


def daemon_policy(config: dict[str, Any]) -> str:
    """``VIRT_DAEMON``, else virt.toml's ``daemon``, else ``auto``: whether session URIs use virtd."""
    value = os.environ.get("VIRT_DAEMON") or config.get("daemon", "auto")
    if value not in POLICIES:
        raise VirtError(
            f"VIRT_DAEMON or virt.toml's daemon is {value!r}: expected one of {', '.join(POLICIES)}",
            ErrorNumber.CONF_SYNTAX,
        )
    return str(value)


def virtd_command() -> list[str] | None:
    """The installed ``virtd``: the one beside this Python (a virtualenv's), else on PATH; None if none."""
    beside = Path(sys.executable).parent / "virtd"
    if os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which("virtd")
    return [found] if found else None


def session_socket() -> Path:
    return virtd_session_dir() / "virtd-sock"


def log_path() -> Path:
    """Where an on-demand virtd's output goes (libvirt's session daemon logs under ~/.cache too)."""
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "virt" / "virtd.log"


def open_session_daemon(uri: URI, *, readonly: bool, config: dict[str, Any]) -> DriverConnection | None:
    """A connection to the user's virtd for a plain session ``uri``, starting virtd if need be;
    None when the driver should open in-process (not a session URI, policy "never", no virtd)."""
    if uri.is_remote or uri.path.rstrip("/") != "/session" or daemon_policy(config) == "never":
        return None
    path = session_socket()
    if not _accepts(path):
        command = virtd_command()
        if command is None:
            return None
        _start(command, path)
    from virt.remote.connection import RemoteConnection
    from virt.uri import URI as URIClass

    through = URIClass(scheme=uri.scheme, transport="unix", path=uri.path, params=(*uri.params, ("socket", str(path))))
    return RemoteConnection(through, readonly=readonly)


def _accepts(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(str(path))
        except OSError:
            return False
        return True


def _start(command: list[str], path: Path) -> None:
    """Run ``virtd --session --timeout 120`` in its own session and wait until ``path`` accepts.

    Two programs may start one at the same moment: virtd's lock on its socket folder lets one
    win, the other exits, and both callers find the winner listening.
    """
    log = log_path()
    log.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, VIRT_DAEMON="never")
    argv = [*command, "--session", "--timeout", str(IDLE_TIMEOUT)]
    with open(log, "ab") as out:
        try:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        except OSError as exc:
            raise ConnectionError(
                f"cannot start the session daemon {command[0]}: {exc.strerror}", ErrorNumber.NO_CONNECT
            ) from exc
    # The daemon outlives this call, and maybe this program: reap it whenever it exits.
    threading.Thread(target=process.wait, name="virt-session-daemon-reaper", daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT
    while not _accepts(path):
        if process.poll() is not None and not _accepts(path):
            raise ConnectionError(
                f"the session daemon ({' '.join(argv)}) exited with status {process.returncode}"
                f" before listening on {path}: {_tail(log)}",
                ErrorNumber.NO_CONNECT,
                ErrorDomain.REMOTE,
            )
        if time.monotonic() > deadline:
            raise ConnectionError(
                f"the session daemon ({' '.join(argv)}) is not listening on {path}"
                f" after {START_TIMEOUT:g} s: {_tail(log)}",
                ErrorNumber.NO_CONNECT,
                ErrorDomain.REMOTE,
            )
        time.sleep(0.01)


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return f"see {log}"
    return lines[-1] if lines else f"no output in {log}"
