"""What the driver and a container's controller say over the controller's unix socket.

Each connection starts with one request line of JSON and gets one reply line:
``{"op": "watch"}`` (the reply, then an ``{"event": "exited", "status": N}`` line when init
ends), ``{"op": "console", "dev": N, "force": false}`` (after the reply the connection carries
the console's bytes both ways) and ``{"op": "info"}``. Only the standard library is used: the
controller imports this module, and it must start small.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

MAX_LINE = 65536


class ProtocolError(Exception):
    """The controller is not there, hung up, or said something unexpected."""


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def read_line(sock: socket.socket, deadline: float, *, exact: bool = False) -> tuple[dict[str, Any], bytes]:
    """One JSON line from ``sock`` and whatever bytes followed it; ProtocolError on EOF or timeout.

    ``exact`` takes nothing after the line from the socket (a console's bytes follow it)."""
    buffer = b""
    while b"\n" not in buffer:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProtocolError("the container's controller did not answer in time")
        sock.settimeout(remaining)
        try:
            if exact:
                peeked = sock.recv(4096, socket.MSG_PEEK)
                end = peeked.find(b"\n")
                chunk = sock.recv(end + 1 if end >= 0 else len(peeked)) if peeked else b""
            else:
                chunk = sock.recv(4096)
        except TimeoutError:
            raise ProtocolError("the container's controller did not answer in time") from None
        except OSError as exc:
            raise ProtocolError(f"the container's controller hung up: {exc.strerror}") from None
        if not chunk:
            raise ProtocolError("the container's controller hung up")
        buffer += chunk
        if len(buffer) > MAX_LINE:
            raise ProtocolError("the container's controller sent an overlong line")
    line, _, rest = buffer.partition(b"\n")
    try:
        message = json.loads(line)
    except ValueError:
        raise ProtocolError(f"the container's controller sent {line[:80]!r}") from None
    if not isinstance(message, dict):
        raise ProtocolError(f"the container's controller sent {line[:80]!r}")
    return message, rest


def request(
    path: Path, message: dict[str, Any], timeout: float = 10.0, *, exact: bool = False
) -> tuple[socket.socket, dict[str, Any], bytes]:
    """Connect to the controller at ``path``, send ``message``; the open socket, the reply and any bytes after it.

    A reply with ``"ok": false`` raises ProtocolError with the controller's error."""
    deadline = time.monotonic() + timeout
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
        except OSError as exc:
            raise ProtocolError(f"cannot reach the container's controller at {path}: {exc.strerror}") from None
        sock.sendall(encode(message))
        reply, rest = read_line(sock, deadline, exact=exact)
    except BaseException:
        sock.close()
        raise
    if not reply.get("ok"):
        sock.close()
        raise ProtocolError(str(reply.get("error", "the container's controller refused the request")))
    sock.settimeout(None)
    return sock, reply, rest
