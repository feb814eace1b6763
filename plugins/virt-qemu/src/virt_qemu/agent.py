"""The QEMU guest agent: a JSON protocol spoken over the guest's virtio-serial port ``org.qemu.guest_agent.0``.

QEMU serves the port's host side as a unix socket (``-chardev socket,...,server=on,wait=off``); the
driver connects to it as the client for one operation and closes it afterwards. libvirt keeps one
connection per guest and learns from QMP ``VSERPORT_CHANGE`` events whether the guest's agent has
the port open; here that question is asked when it matters, through ``query-chardev``'s
``frontend-open`` (:func:`port_open`), so there is no state to lose when another process takes the
guests back, and nothing to keep in step with events.

The agent is guest software, so it is not trusted: every wait is bounded, garbage and stale replies
are skipped, and a guest that never answers costs at most :data:`SYNC_TIMEOUT` seconds.

The conversation (qemu-ga's protocol):
1. ``0xFF`` (the agent drops whatever partial request it was parsing), then ``guest-sync-delimited``
   with a random id; everything read before the reply carrying that id (leftovers of an earlier
   conversation, the ``0xFF`` the agent puts before its reply) is skipped.
2. ``guest-shutdown`` (mode ``powerdown`` or ``reboot``), which sends no reply when it works, and right
   after it a second ``guest-sync-delimited``: the agent handles requests in order, so an answer to
   that second sync means the shutdown was carried out without error. The guest going down first
   also proves it: QEMU reports the power-off or the reset (``went_down``), or QEMU exits and the
   socket closes. An error reply means it failed.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import select
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from virt.errors import ErrorDomain, ErrorNumber, VirtError, libvirt_error

if TYPE_CHECKING:
    from virt.xml import Domain
    from virt.xml.devices import Char

    from virt_qemu.runtime import Running

CHANNEL_NAME = "org.qemu.guest_agent.0"
SYNC_TIMEOUT = 5.0
"""How long the agent may take to answer the sync (libvirt's QEMU_AGENT_WAIT_TIME)."""
COMMAND_TIMEOUT = 5.0
"""How long ``guest-shutdown`` may take to be carried out (answered by the second sync) or fail."""
CONNECT_TIMEOUT = 2.0
"""QEMU accepts one client at a time on the port's socket; a second one waits in its backlog."""
MAX_BUFFER = 10 * 1024 * 1024
"""A line longer than this is not a reply (libvirt's QEMU_AGENT_MAX_RESPONSE): dropped as garbage."""
_POLL_SLICE = 0.05
"""How often a wait checks ``went_down`` (QEMU's events arrive on another thread)."""
DELIMITER = b"\xff"
BLOCK_TIMEOUT = 24 * 3600.0
"""What "wait without end" (virDomainAgentSetResponseTimeout's -2) waits at most: a day, still bounded."""


def command_timeout(setting: int) -> float:
    """The seconds a command's reply is waited for, from the domain's agent timeout setting (-2: no
    end, -1: the default, 0: only what is there at once, else seconds)."""
    if setting == -2:
        return BLOCK_TIMEOUT
    if setting == -1:
        return COMMAND_TIMEOUT
    return float(setting)


def agent_error(code: ErrorNumber, detail: str) -> VirtError:
    return libvirt_error(code, detail, ErrorDomain.QEMU)


def not_configured() -> VirtError:
    return agent_error(ErrorNumber.ARGUMENT_UNSUPPORTED, "QEMU guest agent is not configured")


def not_connected() -> VirtError:
    return agent_error(ErrorNumber.AGENT_UNRESPONSIVE, "QEMU guest agent is not connected")


class AgentChannel:
    """Where a domain's agent is: its channel's chardev id (in QMP), and its socket (None: the channel is
    not a unix socket QEMU serves)."""

    def __init__(self, chardev_id: str, socket_path: Path | None, kind: str | None) -> None:
        self.chardev_id = chardev_id
        self.socket_path = socket_path
        self.kind = kind


def find_channel(definition: Domain, run_dir: Path) -> AgentChannel | None:
    """The agent channel of ``definition`` (libvirt's qemuFindAgentConfig), None when it has none."""
    from virt_qemu.command.chardev import channel_chardev_id, channel_socket_name

    devices = definition.devices
    if devices is None:
        return None
    for n, channel in enumerate(devices.channels):
        target = channel.target
        if target is None or target.type != "virtio" or target.name != CHANNEL_NAME:
            continue
        return AgentChannel(
            channel_chardev_id(n), _socket_path(channel, run_dir, channel_socket_name(channel, n)), channel.type
        )
    return None


def _socket_path(channel: Char, run_dir: Path, default_name: str) -> Path | None:
    # the same place the command builder gave QEMU (chardev.backend): the source path, else the run folder
    if channel.type != "unix":
        return None
    source = channel.sources[0] if channel.sources else None
    if source is not None and source.mode == "connect":
        return None  # QEMU is the client of somebody else's socket: not ours to talk to
    path = source.path if source is not None else None
    return Path(path) if path else run_dir / default_name


def port_open(chardevs: Any, chardev_id: str) -> bool:
    """Whether the guest side of the port is open (its agent runs), from QMP ``query-chardev``'s answer."""
    if not isinstance(chardevs, list):
        return False
    for chardev in chardevs:
        if isinstance(chardev, dict) and chardev.get("label") == chardev_id:
            return bool(chardev.get("frontend-open"))
    return False


class _Lines:
    """Splits what the agent sends into replies: one JSON value per line, optionally after ``0xFF``."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[Any]:
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        if len(self._buffer) > MAX_BUFFER:
            self._buffer = b""
        replies = []
        for line in lines:
            text = line.rsplit(DELIMITER, 1)[-1].strip()
            if not text:
                continue
            try:
                replies.append(json.loads(text))
            except ValueError:
                continue  # a partial reply left from an earlier conversation, or noise
        return replies


class AgentConnection:
    """One conversation with a guest agent over its socket; use :func:`connect`."""

    def __init__(self, sock: socket.socket, path: Path) -> None:
        self._sock = sock
        self._path = path
        self._lines = _Lines()
        self._pending: list[Any] = []
        self._eof = False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()

    # -- the operations ------------------------------------------------------------------------
    def sync(self, timeout: float = SYNC_TIMEOUT) -> None:
        """Make sure the agent listens and that nothing stale is left to read (guest-sync-delimited)."""
        deadline = time.monotonic() + timeout
        ident = secrets.randbelow(2**31)
        self._send(DELIMITER + _request("guest-sync-delimited", {"id": ident}), deadline)
        while True:
            reply = self._next(deadline, None)
            if reply is _TIMEOUT:
                raise agent_error(
                    ErrorNumber.AGENT_UNRESPONSIVE,
                    f"Guest agent not available for now (no answer to guest-sync-delimited within {timeout:g} s)",
                )
            if reply is _EOF:
                raise agent_error(ErrorNumber.AGENT_UNRESPONSIVE, "Guest agent disappeared while executing command")
            if isinstance(reply, dict) and reply.get("return") == ident:
                return

    def shutdown(
        self, mode: str, *, timeout: float = COMMAND_TIMEOUT, went_down: Callable[[], bool] | None = None
    ) -> None:
        """``guest-shutdown`` in ``mode`` (powerdown, reboot, halt), after :meth:`sync`; see the module's notes.

        ``went_down``: True once QEMU reported the guest's power-off or reset, which proves the command worked.
        """
        self.unanswered("guest-shutdown", {"mode": mode}, timeout=timeout, went_down=went_down)

    def unanswered(
        self,
        command: str,
        arguments: dict[str, Any],
        *,
        timeout: float = COMMAND_TIMEOUT,
        went_down: Callable[[], bool] | None = None,
    ) -> None:
        """A command the agent does not answer when it works (``guest-shutdown``, ``guest-suspend-*``):
        sent with a sync behind it, whose answer (or ``went_down``: QEMU reported what the command
        does) proves it was carried out; an error reply is the agent's refusal."""
        deadline = time.monotonic() + timeout
        ident = secrets.randbelow(2**31)
        self._send(_request(command, arguments) + _request("guest-sync-delimited", {"id": ident}), deadline)
        while True:
            reply = self._next(deadline, went_down)
            if reply is _EOF or reply is _WENT_DOWN:
                return  # the guest went down (QEMU reported it, or exited closing the socket)
            if reply is _TIMEOUT:
                raise agent_error(
                    ErrorNumber.AGENT_UNRESPONSIVE,
                    f"Guest agent not available for now ({command} neither done nor refused within {timeout:g} s)",
                )
            if not isinstance(reply, dict):
                continue
            if "error" in reply:
                detail = _describe(reply["error"])
                raise agent_error(
                    ErrorNumber.INTERNAL_ERROR, f"unable to execute QEMU agent command '{command}': {detail}"
                )
            if "return" in reply:
                return  # the second sync's answer (or an agent that does answer guest-shutdown)

    def execute(
        self, command: str, arguments: dict[str, Any] | None = None, *, timeout: float = COMMAND_TIMEOUT
    ) -> Any:
        """One command that answers (``guest-get-time``...), after :meth:`sync`: its ``return`` value."""
        deadline = time.monotonic() + timeout
        request = {"execute": command, **({"arguments": arguments} if arguments else {})}
        self._send(json.dumps(request).encode() + b"\n", deadline)
        while True:
            reply = self._next(deadline, None)
            if reply is _TIMEOUT:
                raise agent_error(
                    ErrorNumber.AGENT_UNRESPONSIVE, f"Guest agent not available for now ({command}: no answer)"
                )
            if reply is _EOF:
                raise agent_error(ErrorNumber.AGENT_UNRESPONSIVE, "Guest agent disappeared while executing command")
            if not isinstance(reply, dict):
                continue
            if "error" in reply:
                detail = _describe(reply["error"])
                raise agent_error(
                    ErrorNumber.INTERNAL_ERROR, f"unable to execute QEMU agent command '{command}': {detail}"
                )
            if "return" in reply:
                return reply["return"]

    # -- the wire --------------------------------------------------------------------------------
    def _send(self, data: bytes, deadline: float) -> None:
        try:
            self._sock.settimeout(max(0.001, deadline - time.monotonic()))
            self._sock.sendall(data)
        except TimeoutError:
            raise agent_error(
                ErrorNumber.AGENT_UNRESPONSIVE, "Guest agent not available for now (it reads nothing)"
            ) from None
        except OSError as exc:
            raise agent_error(
                ErrorNumber.AGENT_UNRESPONSIVE,
                f"cannot write to the guest agent socket {self._path}: {exc.strerror or exc}",
            ) from exc

    def _next(self, deadline: float, went_down: Callable[[], bool] | None) -> Any:
        """The next reply, or _EOF / _TIMEOUT / _WENT_DOWN."""
        poller = select.poll()
        poller.register(self._sock, select.POLLIN)
        while not self._pending:
            if self._eof:
                return _EOF
            if went_down is not None and went_down():
                return _WENT_DOWN
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return _TIMEOUT
            wait = min(remaining, _POLL_SLICE) if went_down is not None else remaining
            if not poller.poll(max(1, int(wait * 1000))):
                continue
            try:
                data = self._sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                self._eof = True
                continue
            self._pending.extend(self._lines.feed(data))
        return self._pending.pop(0)


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_EOF = _Marker("EOF")
_TIMEOUT = _Marker("TIMEOUT")
_WENT_DOWN = _Marker("WENT_DOWN")


def _request(command: str, arguments: dict[str, Any]) -> bytes:
    return json.dumps({"execute": command, "arguments": arguments}).encode() + b"\n"


def _describe(error: Any) -> str:
    if isinstance(error, dict):
        desc = error.get("desc")
        if isinstance(desc, str) and desc:
            return desc
        klass = error.get("class")
        if isinstance(klass, str) and klass:
            return klass
    return "unknown QEMU command error"


@contextlib.contextmanager
def connect(path: Path, timeout: float = CONNECT_TIMEOUT) -> Iterator[AgentConnection]:
    """A conversation with the agent behind ``path``, closed on leaving the block."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        sock.settimeout(timeout)
        sock.connect(str(path))
    except OSError as exc:
        sock.close()
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise agent_error(
            ErrorNumber.AGENT_UNRESPONSIVE, f"cannot connect to the guest agent socket {path}: {reason}"
        ) from exc
    connection = AgentConnection(sock, path)
    try:
        yield connection
    finally:
        connection.close()


@contextlib.contextmanager
def held(running: Running, path: Path, timeout: float) -> Iterator[AgentConnection]:
    """A synced conversation with the agent of ``running``, the only one on that guest meanwhile
    (its agent lock: libvirt's agent job), ``timeout`` being how long its command may take."""
    budget = CONNECT_TIMEOUT + SYNC_TIMEOUT + timeout
    if not running.agent_lock.acquire(timeout=budget):
        raise agent_error(ErrorNumber.AGENT_UNRESPONSIVE, "another guest agent command is still waiting for the agent")
    try:
        with connect(path) as conversation:
            conversation.sync()
            yield conversation
    finally:
        running.agent_lock.release()
