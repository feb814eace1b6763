"""The guest agent client against fake agents (no QEMU): the protocol, garbage, silence, errors, the channel."""

from __future__ import annotations

import contextlib
import json
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from virt.errors import ErrorNumber, VirtError
from virt.xml import Domain
from virt_qemu import agent

Handler = Callable[[socket.socket, Callable[[], bytes]], None]
"""A fake agent: the accepted connection and a function returning the next line it receives."""


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="vqa", dir="/tmp") as folder:  # short: unix socket paths
        yield Path(folder)


def serve(path: Path, handler: Handler) -> threading.Thread:
    """Run ``handler`` for the first client of a listening socket at ``path``, in a thread."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def run() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn, conn.makefile("rb") as reader:
                handler(conn, lambda: reader.readline())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def sync_id(line: bytes) -> int:
    """The id of a guest-sync-delimited request (after the 0xFF the client sends first)."""
    request = json.loads(line.lstrip(b"\xff"))
    assert request["execute"] == "guest-sync-delimited"
    return int(request["arguments"]["id"])


def answer_sync(conn: socket.socket, line: bytes) -> None:
    conn.sendall(b"\xff" + json.dumps({"return": sync_id(line)}).encode() + b"\n")


def test_sync_skips_garbage_stale_replies_and_the_delimiter(socket_dir: Path) -> None:
    def handler(conn: socket.socket, receive: Callable[[], bytes]) -> None:
        line = receive()
        assert line.startswith(b"\xff")  # the agent is told to drop any half-parsed request
        ident = sync_id(line)
        conn.sendall(b"garbage from an earlier conversation\n")
        conn.sendall(b'{"return": 12}\n\xff{"return": 7}\n{"ret')  # stale replies, a partial one
        conn.sendall(b'urn": {}}\n\xff{"return": %d}\n' % ident)

    thread = serve(socket_dir / "a.sock", handler)
    with agent.connect(socket_dir / "a.sock") as conversation:
        conversation.sync(timeout=5.0)
    thread.join(5)


def test_a_silent_agent_costs_the_sync_timeout_only(socket_dir: Path) -> None:
    def handler(conn: socket.socket, receive: Callable[[], bytes]) -> None:
        receive()
        time.sleep(1.0)  # says nothing until the client gave up

    serve(socket_dir / "a.sock", handler)
    started = time.monotonic()
    with pytest.raises(VirtError) as raised, agent.connect(socket_dir / "a.sock") as conversation:
        conversation.sync(timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 0.9
    assert raised.value.code == ErrorNumber.AGENT_UNRESPONSIVE
    assert raised.value.message.startswith("Guest agent is not responding: Guest agent not available for now")


def test_an_agent_that_goes_away_during_the_sync(socket_dir: Path) -> None:
    serve(socket_dir / "a.sock", lambda conn, receive: receive() and None)  # closes once asked
    with (
        pytest.raises(VirtError, match="Guest agent disappeared") as raised,
        agent.connect(socket_dir / "a.sock") as conversation,
    ):
        conversation.sync(timeout=5.0)
    assert raised.value.code == ErrorNumber.AGENT_UNRESPONSIVE


def test_no_agent_socket(socket_dir: Path) -> None:
    with pytest.raises(VirtError) as raised, agent.connect(socket_dir / "missing.sock"):
        pass
    assert raised.value.code == ErrorNumber.AGENT_UNRESPONSIVE
    assert f"cannot connect to the guest agent socket {socket_dir / 'missing.sock'}" in raised.value.message


def _shutdown_handler(after_command: Callable[[socket.socket, bytes, bytes], None]) -> Handler:
    """A fake agent that syncs, receives guest-shutdown and the second sync, then does ``after_command``."""

    def handler(conn: socket.socket, receive: Callable[[], bytes]) -> None:
        answer_sync(conn, receive())
        command = receive()
        assert json.loads(command) == {"execute": "guest-shutdown", "arguments": {"mode": "reboot"}}
        after_command(conn, command, receive())

    return handler


def test_shutdown_done_when_the_second_sync_is_answered(socket_dir: Path) -> None:
    serve(socket_dir / "a.sock", _shutdown_handler(lambda conn, command, sync: answer_sync(conn, sync)))
    with agent.connect(socket_dir / "a.sock") as conversation:
        conversation.sync()
        conversation.shutdown("reboot", timeout=5.0)


def test_shutdown_done_when_the_agent_goes_away(socket_dir: Path) -> None:
    serve(socket_dir / "a.sock", _shutdown_handler(lambda conn, command, sync: None))  # the guest went down
    started = time.monotonic()
    with agent.connect(socket_dir / "a.sock") as conversation:
        conversation.sync()
        conversation.shutdown("reboot", timeout=5.0)
    assert time.monotonic() - started < 2.0


def test_shutdown_done_when_qemu_reports_the_guest_down(socket_dir: Path) -> None:
    down = threading.Event()

    def after(conn: socket.socket, command: bytes, sync: bytes) -> None:
        down.set()  # what QEMU's SHUTDOWN or RESET event tells the driver
        time.sleep(2.0)

    serve(socket_dir / "a.sock", _shutdown_handler(after))
    started = time.monotonic()
    with agent.connect(socket_dir / "a.sock") as conversation:
        conversation.sync()
        conversation.shutdown("reboot", timeout=5.0, went_down=down.is_set)
    assert time.monotonic() - started < 1.5


def test_shutdown_refused_by_the_agent(socket_dir: Path) -> None:
    def after(conn: socket.socket, command: bytes, sync: bytes) -> None:
        error = {"class": "CommandDisabled", "desc": "The command guest-shutdown has been disabled for this instance"}
        conn.sendall(json.dumps({"error": error}).encode() + b"\n")
        with contextlib.suppress(OSError):  # the client may have hung up on the error already
            answer_sync(conn, sync)

    serve(socket_dir / "a.sock", _shutdown_handler(after))
    with pytest.raises(VirtError) as raised, agent.connect(socket_dir / "a.sock") as conversation:
        conversation.sync()
        conversation.shutdown("reboot", timeout=5.0)
    assert raised.value.code == ErrorNumber.INTERNAL_ERROR
    assert raised.value.message == (
        "internal error: unable to execute QEMU agent command 'guest-shutdown': "
        "The command guest-shutdown has been disabled for this instance"
    )


def test_shutdown_neither_done_nor_refused_in_time(socket_dir: Path) -> None:
    serve(socket_dir / "a.sock", _shutdown_handler(lambda conn, command, sync: time.sleep(1.0)))
    started = time.monotonic()
    with pytest.raises(VirtError) as raised, agent.connect(socket_dir / "a.sock") as conversation:
        conversation.sync()
        conversation.shutdown("reboot", timeout=0.3, went_down=lambda: False)
    assert time.monotonic() - started < 0.9
    assert raised.value.code == ErrorNumber.AGENT_UNRESPONSIVE
    assert "guest-shutdown neither done nor refused within 0.3 s" in raised.value.message


def _domain(channels: str) -> Domain:
    return Domain.from_xml(
        f"<domain type='qemu'><name>g</name><memory>65536</memory><devices>{channels}</devices></domain>"
    )


def test_the_agent_channel_and_its_socket() -> None:
    run_dir = Path("/run/x/domains/g")
    spice = "<channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>"
    target = "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
    default = "<channel type='unix'>" + target
    found = agent.find_channel(_domain(spice + default), run_dir)
    assert found is not None
    assert (found.chardev_id, found.socket_path) == ("charchannel1", run_dir / "org.qemu.guest_agent.0")
    explicit = "<channel type='unix'><source mode='bind' path='/tmp/qga.sock'/>" + target
    found = agent.find_channel(_domain(explicit), run_dir)
    assert found is not None and found.socket_path == Path("/tmp/qga.sock")
    for other in (
        "<channel type='unix'><source mode='connect' path='/tmp/qga.sock'/>" + target,  # QEMU is the client
        "<channel type='pty'>" + target,
    ):
        found = agent.find_channel(_domain(other), run_dir)
        assert found is not None and found.socket_path is None
    assert agent.find_channel(_domain(spice), run_dir) is None
    assert agent.find_channel(_domain(""), run_dir) is None


def test_port_open_from_query_chardev() -> None:
    chardevs = [
        {"label": "charserial0", "filename": "pty:/dev/pts/3", "frontend-open": True},
        {"label": "charchannel0", "filename": "unix:/run/x.sock,server=on", "frontend-open": False},
        {"label": "charchannel1", "filename": "unix:/run/y.sock,server=on", "frontend-open": True},
    ]
    assert agent.port_open(chardevs, "charchannel1")
    assert not agent.port_open(chardevs, "charchannel0")
    assert not agent.port_open(chardevs, "charchannel2")
    assert not agent.port_open({"not": "a list"}, "charchannel1")
