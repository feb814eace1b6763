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
from typing import Any

import pytest
from virt.errors import ErrorNumber, VirtError
from virt.xml import Domain
from virt_qemu import agent
from virt_qemu.agent import DELIMITER

Handler = Callable[[socket.socket, Callable[[], bytes]], None]
"""A fake agent: the accepted connection and a function returning the next line it receives."""


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="vqa", dir="/tmp") as folder:  # short: unix socket paths
        yield Path(folder)


class FakeAgent:
    """A fake agent serving the first client of a unix socket, in a thread.

    It never judges in its own thread (an assertion there would only end the thread, and the client
    would see an agent that went away, which some tests take for success): it records every line it
    received and any exception its handler raised, and :meth:`finish`, called by the test after the
    client is done, joins the thread, re-raises the handler's exception and returns the lines, for
    the test to check in its own thread.
    """

    def __init__(self, path: Path, handler: Handler) -> None:
        self.path = path
        self.received: list[bytes] = []
        self.error: BaseException | None = None
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(path))
        self._listener.listen(1)
        self._handler = handler
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self._listener:
                conn, _ = self._listener.accept()
                conn.settimeout(10)  # a fake never outlives its test by long
                with conn, conn.makefile("rb") as reader:

                    def receive() -> bytes:
                        line = reader.readline()
                        self.received.append(line)
                        return line

                    self._handler(conn, receive)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread by finish()
            self.error = exc

    def finish(self, timeout: float = 10.0) -> list[bytes]:
        """Wait for the handler, re-raise what it raised, and return the lines it received."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"the fake agent is still running after {timeout:g} s"
        if self.error is not None:
            raise AssertionError(f"the fake agent failed: {self.error!r}") from self.error
        return [line for line in self.received if line]  # b"": the client hung up


@pytest.fixture
def serve(socket_dir: Path) -> Iterator[Callable[[Handler], FakeAgent]]:
    """Start a fake agent on ``socket_dir/a.sock``; each one is also finished at teardown, so a
    handler that failed fails its test even when the test did not look."""
    agents: list[FakeAgent] = []

    def start(handler: Handler) -> FakeAgent:
        agents.append(FakeAgent(socket_dir / "a.sock", handler))
        return agents[-1]

    yield start
    for fake in agents:
        fake.finish()


def request(line: bytes) -> dict[str, Any]:
    """A request as the fake received it (after the 0xFF the client sends before a sync)."""
    return dict(json.loads(line.lstrip(DELIMITER)))


def sync_id(line: bytes) -> int:
    """The id of a guest-sync-delimited request; a fake answers whatever it gets, the test judges later."""
    return int(request(line)["arguments"]["id"])


def answer_sync(conn: socket.socket, line: bytes) -> None:
    conn.sendall(DELIMITER + json.dumps({"return": sync_id(line)}).encode() + b"\n")


def assert_sync(line: bytes) -> None:
    assert line.startswith(DELIMITER), line  # the agent is told to drop any half-parsed request
    assert request(line) == {"execute": "guest-sync-delimited", "arguments": {"id": sync_id(line)}}, line


def assert_shutdown_conversation(received: list[bytes], mode: str = "reboot") -> None:
    """A sync, then guest-shutdown in ``mode`` and the second sync (see ``virt_qemu.agent``)."""
    assert len(received) == 3, received
    assert_sync(received[0])
    assert json.loads(received[1]) == {"execute": "guest-shutdown", "arguments": {"mode": mode}}
    second = json.loads(received[2])
    assert second["execute"] == "guest-sync-delimited" and isinstance(second["arguments"]["id"], int), second


def test_sync_skips_garbage_stale_replies_and_the_delimiter(serve: Callable[[Handler], FakeAgent]) -> None:
    def handler(conn: socket.socket, receive: Callable[[], bytes]) -> None:
        ident = sync_id(receive())
        conn.sendall(b"garbage from an earlier conversation\n")
        conn.sendall(b'{"return": 12}\n\xff{"return": 7}\n{"ret')  # stale replies, a partial one
        conn.sendall(b'urn": {}}\n\xff{"return": %d}\n' % ident)
        receive()  # until the client hangs up

    fake = serve(handler)
    with agent.connect(fake.path) as conversation:
        conversation.sync(timeout=5.0)
    (sync,) = fake.finish()
    assert_sync(sync)


def test_a_silent_agent_costs_the_sync_timeout_only(serve: Callable[[Handler], FakeAgent]) -> None:
    def handler(conn: socket.socket, receive: Callable[[], bytes]) -> None:
        receive()
        receive()  # says nothing until the client gave up (and hung up)

    fake = serve(handler)
    started = time.monotonic()
    with pytest.raises(VirtError) as raised, agent.connect(fake.path) as conversation:
        conversation.sync(timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 0.9
    assert raised.value.code == ErrorNumber.AGENT_UNRESPONSIVE
    assert raised.value.message.startswith("Guest agent is not responding: Guest agent not available for now")
    (sync,) = fake.finish()
    assert_sync(sync)


def test_an_agent_that_goes_away_during_the_sync(serve: Callable[[Handler], FakeAgent]) -> None:
    fake = serve(lambda conn, receive: receive() and None)  # closes once asked
    with (
        pytest.raises(VirtError, match="Guest agent disappeared") as raised,
        agent.connect(fake.path) as conversation,
    ):
        conversation.sync(timeout=5.0)
    assert raised.value.code == ErrorNumber.AGENT_UNRESPONSIVE
    (sync,) = fake.finish()
    assert_sync(sync)


def test_no_agent_socket(socket_dir: Path) -> None:
    with pytest.raises(VirtError) as raised, agent.connect(socket_dir / "missing.sock"):
        pass
    assert raised.value.code == ErrorNumber.AGENT_UNRESPONSIVE
    assert f"cannot connect to the guest agent socket {socket_dir / 'missing.sock'}" in raised.value.message


def _shutdown_handler(after_command: Callable[[socket.socket, Callable[[], bytes], bytes], None]) -> Handler:
    """A fake agent that syncs, receives a command and the second sync, then does ``after_command``
    (given the connection, ``receive`` and that second sync). What it received is judged by the test."""

    def handler(conn: socket.socket, receive: Callable[[], bytes]) -> None:
        answer_sync(conn, receive())
        receive()  # the command, whatever it is
        after_command(conn, receive, receive())

    return handler


def test_shutdown_done_when_the_second_sync_is_answered(serve: Callable[[Handler], FakeAgent]) -> None:
    fake = serve(_shutdown_handler(lambda conn, receive, sync: (answer_sync(conn, sync), receive())))
    with agent.connect(fake.path) as conversation:
        conversation.sync()
        conversation.shutdown("reboot", timeout=5.0)
    assert_shutdown_conversation(fake.finish())


def test_shutdown_done_when_the_agent_goes_away(serve: Callable[[Handler], FakeAgent]) -> None:
    fake = serve(_shutdown_handler(lambda conn, receive, sync: None))  # the guest went down
    started = time.monotonic()
    with agent.connect(fake.path) as conversation:
        conversation.sync()
        conversation.shutdown("reboot", timeout=5.0)
    assert time.monotonic() - started < 2.0
    assert_shutdown_conversation(fake.finish())


def test_shutdown_done_when_qemu_reports_the_guest_down(serve: Callable[[Handler], FakeAgent]) -> None:
    down = threading.Event()

    def after(conn: socket.socket, receive: Callable[[], bytes], sync: bytes) -> None:
        down.set()  # what QEMU's SHUTDOWN or RESET event tells the driver
        receive()  # and nothing from the agent until the client hangs up

    fake = serve(_shutdown_handler(after))
    started = time.monotonic()
    with agent.connect(fake.path) as conversation:
        conversation.sync()
        conversation.shutdown("powerdown", timeout=5.0, went_down=down.is_set)
    assert time.monotonic() - started < 1.5
    assert_shutdown_conversation(fake.finish(), "powerdown")


def test_shutdown_refused_by_the_agent(serve: Callable[[Handler], FakeAgent]) -> None:
    def after(conn: socket.socket, receive: Callable[[], bytes], sync: bytes) -> None:
        error = {"class": "CommandDisabled", "desc": "The command guest-shutdown has been disabled for this instance"}
        conn.sendall(json.dumps({"error": error}).encode() + b"\n")
        with contextlib.suppress(OSError):  # the client may have hung up on the error already
            answer_sync(conn, sync)
            receive()

    fake = serve(_shutdown_handler(after))
    with pytest.raises(VirtError) as raised, agent.connect(fake.path) as conversation:
        conversation.sync()
        conversation.shutdown("reboot", timeout=5.0)
    assert raised.value.code == ErrorNumber.INTERNAL_ERROR
    assert raised.value.message == (
        "internal error: unable to execute QEMU agent command 'guest-shutdown': "
        "The command guest-shutdown has been disabled for this instance"
    )
    assert_shutdown_conversation(fake.finish())


def test_shutdown_neither_done_nor_refused_in_time(serve: Callable[[Handler], FakeAgent]) -> None:
    fake = serve(_shutdown_handler(lambda conn, receive, sync: receive() and None))  # silent until hung up on
    started = time.monotonic()
    with pytest.raises(VirtError) as raised, agent.connect(fake.path) as conversation:
        conversation.sync()
        conversation.shutdown("reboot", timeout=0.3, went_down=lambda: False)
    assert time.monotonic() - started < 0.9
    assert raised.value.code == ErrorNumber.AGENT_UNRESPONSIVE
    assert "guest-shutdown neither done nor refused within 0.3 s" in raised.value.message
    assert_shutdown_conversation(fake.finish())


def test_a_failing_fake_fails_its_test(serve: Callable[[Handler], FakeAgent]) -> None:
    """The fakes' own check: a handler that raises is reported in the test's thread, not lost with its thread."""

    def handler(conn: socket.socket, receive: Callable[[], bytes]) -> None:
        receive()
        raise ValueError("the fake's own complaint")

    fake = serve(handler)
    with pytest.raises(VirtError), agent.connect(fake.path) as conversation:
        conversation.sync(timeout=5.0)  # the fake hangs up: "Guest agent disappeared"
    with pytest.raises(AssertionError, match="the fake's own complaint"):
        fake.finish()
    fake.error = None  # reported: the fixture's teardown need not raise it again


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
