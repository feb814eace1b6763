"""``virt console``: the relay between a terminal and a console socket, and the command's refusals."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

from cli_helpers import Run
from virt.cli.commands.console import relay


def test_relay_copies_both_ways_and_stops_at_the_escape_character() -> None:
    ours, console = socket.socketpair()
    typed_r, typed_w = os.pipe()
    shown_r, shown_w = os.pipe()
    try:
        console.sendall(b"login: ")
        os.write(typed_w, b"root\r")
        worker = threading.Thread(target=relay, args=(ours, typed_r, shown_w))
        worker.start()
        assert console.recv(100) == b"root\r"
        assert os.read(shown_r, 100) == b"login: "
        os.write(typed_w, b"ls\x1dnever sent")
        worker.join(5)
        assert not worker.is_alive()
        console.settimeout(1)
        assert console.recv(100) == b"ls"
        console.setblocking(False)
        try:
            leftover = console.recv(100)
        except BlockingIOError:
            leftover = b""
        assert leftover == b""
    finally:
        for fd in (typed_r, typed_w, shown_r, shown_w):
            os.close(fd)
        ours.close()
        console.close()


def test_relay_ends_when_the_console_closes() -> None:
    ours, console = socket.socketpair()
    typed_r, typed_w = os.pipe()
    shown_r, shown_w = os.pipe()
    try:
        console.sendall(b"bye\r\n")
        console.close()
        relay(ours, typed_r, shown_w)
        assert os.read(shown_r, 100) == b"bye\r\n"
    finally:
        for fd in (typed_r, typed_w, shown_r, shown_w):
            os.close(fd)
        ours.close()


def test_console_needs_a_terminal(virt: Run) -> None:
    result = virt("console", "test")
    assert result.status == 1
    assert "error: Cannot run interactive console without a controlling TTY" in result.err


def test_console_of_a_driver_without_consoles_says_so() -> None:
    import pty

    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "virt.cli.main", "-c", "test:///default", "console", "test"],
            stdin=follower,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(leader)
        os.close(follower)
    assert result.returncode == 1
    assert "this function is not supported by the connection driver 'TEST': open_console" in result.stderr
