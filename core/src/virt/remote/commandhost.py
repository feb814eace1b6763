"""The one door to the host a command-line driven hypervisor runs on: run a command there, read or
write a file there (virt-xen's dom0, virt-bhyve's FreeBSD host).

``DRIVER:///system`` runs on this host (``LocalHost``: subprocesses); ``DRIVER+ssh://[user@]host[:port]/system``
reaches a remote host with OpenSSH (``SshHost``), with the URI's options as virt's remote transport
reads them (``keyfile``, ``known_hosts``, ``no_verify``, ``command``). Every ssh call goes through
one master connection per host (ControlMaster, kept by ControlPersist after the process ends), so
that a short-lived ``virt`` command or a burst of tool calls does not pay an ssh handshake each:
under emulation that handshake costs more than the call.

``Place`` says whose door it is: the error domain of its errors, what the remote host is called
in them (``dom0``), the hint when a tool is missing, and the tool's chatter that is no complaint.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pty
import re
import shlex
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from virt.errors import ConnectionError, ErrorDomain, ErrorNumber

if TYPE_CHECKING:
    from virt.uri import URI

_GUARD = 'exec 3<&0; trap "kill -9 \\$c 2>/dev/null; exit 1" HUP TERM; "$@" 0<&3 3<&- & c=$!; wait $c'
"""Runs its arguments on the session's terminal (fd 3 carries it past the /dev/null a background
command gets), killing them when the session is hung up."""
COMMAND_TIMEOUT = 300.0
"""Seconds any one command on the host may take (``xl save`` of a large guest is the slowest)."""
CONTROL_PERSIST = 600
"""Seconds the shared ssh connection outlives its last user."""


@attrs.frozen
class Place:
    """Whose door it is, for its errors."""

    domain: ErrorDomain
    """The error domain of the driver."""
    noun: str
    """What the remote host is called in messages (``dom0``, ``bhyve host``)."""
    missing: str = ""
    """The hint after a command that is not there (``is Xen's toolstack installed?``)."""
    chatter: re.Pattern[str] | None = None
    """Lines the tools print on their way that are no part of a complaint."""


@attrs.frozen
class Result:
    """What a command on the host ended with."""

    status: int
    stdout: bytes
    stderr: bytes
    chatter: re.Pattern[str] | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def error_text(self) -> str:
        """The command's complaint: its standard error (without the tool's progress chatter), else
        its output, else the exit status."""
        text = (self.stderr or self.stdout).decode(errors="replace")
        chatter = self.chatter
        lines = [line for line in text.splitlines() if line.strip() and not (chatter and chatter.match(line))]
        return "\n".join(lines).strip() or f"exit status {self.status}"


class Spawned:
    """A long-running command on the host (a console, a xenstore watch): bytes in and out, until ``stop``."""

    def __init__(self, process: subprocess.Popen[bytes], read_fd: int, write_fd: int, *, group: bool) -> None:
        self.process = process
        self.read_fd = read_fd
        self.write_fd = write_fd
        self._group = group
        self._closed = False

    def stop(self, farewell: bytes = b"") -> None:
        """End the command (its whole process group when local) and close our ends; ``farewell`` is
        written first, and the command given a moment to end on it."""
        if self._closed:
            return
        self._closed = True
        if farewell:
            try:
                os.write(self.write_fd, farewell)
                self.process.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if self._group:
                os.killpg(self.process.pid, signal.SIGTERM)
            else:
                self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in {self.read_fd, self.write_fd}:
            with contextlib.suppress(OSError):
                os.close(fd)


class CommandHost:
    """Commands and files on the hypervisor's host."""

    description: str
    """Where the host is, for messages: ``this host`` or ``root@host:port``."""
    place: Place

    def run(self, argv: Sequence[str], *, input: bytes | None = None, timeout: float = COMMAND_TIMEOUT) -> Result:
        """Run ``argv`` on the host and wait for it; ConnectionError when the host cannot be reached."""
        raise NotImplementedError

    def spawn(self, argv: Sequence[str]) -> Spawned:
        """Start ``argv`` on the host on a terminal of its own (``xl console`` wants one), not waiting."""
        raise NotImplementedError

    def read_file(self, path: str, limit: int | None = None) -> bytes:
        """The content of ``path`` on the host (its first ``limit`` bytes); OSError-like failures as ConnectionError."""
        raise NotImplementedError

    def write_file(self, path: str, data: bytes) -> None:
        """Replace ``path`` on the host with ``data``, readable by root only."""
        raise NotImplementedError

    def close(self) -> None:
        """Let go of what the door holds (a shared ssh connection stays for the next process)."""

    def _late(self, argv: Sequence[str], timeout: float) -> ConnectionError:
        return ConnectionError(
            f"{shlex.join(argv)} did not finish within {timeout:.0f} s on {self.description}",
            ErrorNumber.OPERATION_TIMEOUT,
            self.place.domain,
        )


def _take_terminal() -> None:
    """In the child, a session leader: the pty on its standard input becomes its controlling terminal,
    so that it is hung up (SIGHUP) when our end closes, even when we are killed."""
    import fcntl
    import termios

    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _local_tty(argv: Sequence[str], prefix: Sequence[str] = ()) -> Spawned:
    """``argv`` (after ``prefix``) on a new pseudo-terminal of its own, in its own process group."""
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            [*prefix, *argv],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            close_fds=True,
            preexec_fn=_take_terminal,  # one ioctl, no lock taken
        )
    except OSError:
        os.close(master)
        raise
    finally:
        os.close(slave)
    return Spawned(process, master, master, group=True)


class LocalHost(CommandHost):
    """The hypervisor runs on this host: plain subprocesses and files."""

    description = "this host"

    def __init__(self, place: Place) -> None:
        self.place = place

    def run(self, argv: Sequence[str], *, input: bytes | None = None, timeout: float = COMMAND_TIMEOUT) -> Result:
        try:
            done = subprocess.run(list(argv), input=input, capture_output=True, timeout=timeout, check=False)
        except FileNotFoundError as exc:
            hint = f" ({self.place.missing})" if self.place.missing else ""
            raise ConnectionError(
                f"cannot run {argv[0]} on {self.description}: {exc.strerror}{hint}",
                ErrorNumber.NO_CONNECT,
                self.place.domain,
            ) from None
        except subprocess.TimeoutExpired:
            raise self._late(argv, timeout) from None
        return Result(done.returncode, done.stdout, done.stderr, self.place.chatter)

    def spawn(self, argv: Sequence[str]) -> Spawned:
        return _local_tty(argv)

    def read_file(self, path: str, limit: int | None = None) -> bytes:
        with Path(path).open("rb") as file:
            return file.read(-1 if limit is None else limit)

    def write_file(self, path: str, data: bytes) -> None:
        from virt.localstate.files import atomic_write

        atomic_write(Path(path), data.decode(), durable=False)


def control_dir(domain: ErrorDomain) -> Path:
    """A folder of our own for the ssh control sockets: short (a socket path has 107 bytes), private."""
    folder = Path(tempfile.gettempdir()) / f"virt-ssh-{os.geteuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if info.st_uid != os.geteuid() or info.st_mode & 0o077 or not folder.is_dir() or folder.is_symlink():
        raise ConnectionError(
            f"{folder} is not a private folder of this user: refusing to keep ssh control sockets there",
            ErrorNumber.NO_CONNECT,
            domain,
        )
    return folder


class SshHost(CommandHost):
    """A remote host over OpenSSH, every call through one shared master connection."""

    def __init__(self, uri: URI, place: Place) -> None:
        from virt.remote.transport import ssh_options

        assert uri.host is not None
        self.place = place
        self.host = uri.host
        self.description = f"{uri.user + '@' if uri.user else ''}{uri.host}{f':{uri.port}' if uri.port else ''}"
        options = ssh_options(uri, batch=True)  # never a prompt: stdin is ours
        key = hashlib.sha256(shlex.join([*options, uri.host]).encode()).hexdigest()[:16]
        self.control_path = control_dir(place.domain) / key
        self._own = [*options, "-o", "ServerAliveInterval=15"]
        """Options of a connection of its own; ssh takes the first value of an option, so the
        control path is not among them."""
        self._base = [*self._own, "-o", f"ControlPath={self.control_path}"]
        """Options of a session through the shared connection."""
        self._ensure_master()

    def _ensure_master(self) -> None:
        """Start the shared connection unless one is up (``ssh -O check`` asks it without the network)."""
        check = subprocess.run(
            [*self._base, "-O", "check", "--", self.host], capture_output=True, check=False, timeout=30
        )
        if check.returncode == 0:
            return
        with contextlib.suppress(FileNotFoundError):
            self.control_path.unlink()  # a master that died left its socket
        # -f: into the background once logged in; its standard streams are not ours to wait on
        with tempfile.TemporaryFile() as errors:
            try:
                started = subprocess.run(
                    [
                        *self._base,
                        "-o",
                        "ControlMaster=yes",
                        "-o",
                        f"ControlPersist={CONTROL_PERSIST}",
                        "-o",
                        "ConnectTimeout=30",
                        "-f",
                        "-N",
                        "--",
                        self.host,
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=errors,
                    check=False,
                    timeout=120,
                )
            except FileNotFoundError as exc:
                raise ConnectionError(
                    f"cannot run {self._base[0]}: {exc.strerror}", ErrorNumber.NO_CONNECT, self.place.domain
                ) from None
            except subprocess.TimeoutExpired:
                raise ConnectionError(
                    f"ssh to {self.description} did not connect within 120 s",
                    ErrorNumber.NO_CONNECT,
                    self.place.domain,
                ) from None
            if started.returncode != 0:
                errors.seek(0)
                text = errors.read().decode(errors="replace").strip()
                text = text or f"exit status {started.returncode}"
                raise ConnectionError(
                    f"cannot connect to {self.place.noun} {self.description} over ssh: {text}",
                    ErrorNumber.NO_CONNECT,
                    self.place.domain,
                )

    def _argv(self, argv: Sequence[str], *, tty: bool = False) -> list[str]:
        # ControlMaster=no: use the master when it is there, else connect on our own (it expired).
        # A long-running command on a terminal gets a connection of its own (ControlPath=none): when
        # it ends, the server hangs up the terminal on the host, which a session through the master is
        # not (its command would outlive us).
        if tty:
            return [*self._own, "-o", "ControlPath=none", "-tt", "--", self.host, shlex.join(argv)]
        return [*self._base, "-o", "ControlMaster=no", "-T", "--", self.host, shlex.join(argv)]

    def run(self, argv: Sequence[str], *, input: bytes | None = None, timeout: float = COMMAND_TIMEOUT) -> Result:
        try:
            done = subprocess.run(
                self._argv(argv),
                input=input if input is not None else b"",
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise self._late(argv, timeout) from None
        if done.returncode == 255:  # ssh's own failure, not the command's
            text = done.stderr.decode(errors="replace").strip()
            raise ConnectionError(
                f"cannot reach {self.place.noun} {self.description} over ssh: {text or 'ssh exit status 255'}",
                ErrorNumber.NO_CONNECT,
                self.place.domain,
            )
        return Result(done.returncode, done.stdout, done.stderr)

    def spawn(self, argv: Sequence[str]) -> Spawned:
        # -tt: a terminal on the host for the command; ours is a local pty, so ssh sees one too and
        # hangs up (SIGHUP on the host) when it ends. A shell stands guard: xenconsole survives a hang-up
        # (it only stops reading its terminal), so the hang-up the shell receives kills it.
        guarded = ["sh", "-c", _GUARD, "sh", *argv]
        return _local_tty(self._argv(guarded, tty=True))

    def read_file(self, path: str, limit: int | None = None) -> bytes:
        argv = ["cat", "--", path] if limit is None else ["head", "-c", str(limit), "--", path]
        result = self.run(argv)
        if result.status != 0:
            raise ConnectionError(
                f"cannot read {path} on {self.place.noun} {self.description}: {result.error_text}",
                ErrorNumber.SYSTEM_ERROR,
                self.place.domain,
            )
        return result.stdout

    def write_file(self, path: str, data: bytes) -> None:
        script = 'umask 077 && cat > "$1.new" && mv -f "$1.new" "$1"'
        result = self.run(["sh", "-c", script, "sh", path], input=data)
        if result.status != 0:
            raise ConnectionError(
                f"cannot write {path} on {self.place.noun} {self.description}: {result.error_text}",
                ErrorNumber.SYSTEM_ERROR,
                self.place.domain,
            )


def for_uri(uri: URI, place: Place) -> CommandHost:
    """The door ``uri`` names: this host for ``DRIVER:///``, ssh for ``DRIVER+ssh://host/``."""
    if uri.transport == "ssh":
        return SshHost(uri, place)
    return LocalHost(place)
