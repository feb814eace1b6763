"""``virt event``: virsh's listener, run in-process while another thread changes domains."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import virt as virt_api
from cli_helpers import TEST_URI, Run


def wait_for_listener(conn: virt_api.Connection) -> None:
    """Until the command under test has registered its callback on the shared default host."""
    host = conn.driver.host  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while not host.events.subscribed:
        assert time.monotonic() < deadline, "virt event never registered its callback"
        time.sleep(0.01)


@pytest.fixture
def in_background() -> Iterator[Callable[[Callable[[virt_api.Connection], None]], None]]:
    """Run ``actions(conn)`` in a thread, on its own test:///default connection, once ``event`` listens."""
    threads: list[threading.Thread] = []
    errors: list[BaseException] = []
    # opened here, so that the host the command shares is the one the thread changes
    conn = virt_api.open(TEST_URI)

    def start(actions: Callable[[virt_api.Connection], None]) -> None:
        def body() -> None:
            try:
                wait_for_listener(conn)
                actions(conn)
            except BaseException as exc:  # noqa: BLE001 - reported by the fixture: a thread cannot fail a test
                errors.append(exc)

        thread = threading.Thread(target=body, daemon=True)
        threads.append(thread)
        thread.start()

    yield start
    for thread in threads:
        thread.join(10)
    conn.close()
    if errors:
        raise errors[0]


def test_one_shot_prints_the_first_event(virt: Run, in_background: Callable[..., None]) -> None:
    def actions(conn: virt_api.Connection) -> None:
        dom = conn.lookup_domain_by_name("test")
        dom.destroy()
        dom.start()

    in_background(actions)
    result = virt("event", "--all", "--timeout", "10")
    assert result.status == 0
    assert result.out == "event 'lifecycle' for domain 'test': Stopped Destroyed\nevents received: 1\n\n"


def test_loop_until_timeout(virt: Run, in_background: Callable[..., None]) -> None:
    def actions(conn: virt_api.Connection) -> None:
        dom = conn.lookup_domain_by_name("test")
        dom.suspend()
        dom.resume()
        dom.destroy()
        dom.start()

    in_background(actions)
    result = virt("event", "--event", "lifecycle", "--loop", "--timeout", "2")
    assert result.status == 0
    assert result.out == (
        "event 'lifecycle' for domain 'test': Suspended Paused\n"
        "event 'lifecycle' for domain 'test': Resumed Unpaused\n"
        "event 'lifecycle' for domain 'test': Stopped Destroyed\n"
        "event 'lifecycle' for domain 'test': Started Booted\n"
        "event loop timed out\n"
        "events received: 4\n\n"
    )


def test_domain_filter_and_timestamp(virt: Run, in_background: Callable[..., None]) -> None:
    xml = "<domain type='test'><name>other</name><memory>1024</memory><os><type>hvm</type></os></domain>"

    def actions(conn: virt_api.Connection) -> None:
        conn.define_domain(xml)  # not the domain asked for
        conn.lookup_domain_by_name("test").suspend()

    in_background(actions)
    result = virt("event", "--domain", "test", "--all", "--timestamp", "--timeout", "10")
    assert result.status == 0
    first, last, blank = result.out.split("\n", 2)
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000: event 'lifecycle' for domain 'test': Suspended Paused", first
    )
    assert (last, blank) == ("events received: 1", "\n")


def test_nothing_received_fails_silently(virt: Run) -> None:
    result = virt("event", "--all", "--timeout", "1")
    assert (result.status, result.out, result.err) == (1, "event loop timed out\nevents received: 0\n\n", "")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "one of --list, --all, or --event <type> is required"),
        (("--all", "--event", "lifecycle"), "Options --all and --event are mutually exclusive"),
        (("--list", "--all"), "Options --list and --all are mutually exclusive"),
        (("--list", "--event", "lifecycle"), "Options --list and --event are mutually exclusive"),
        (("--all", "--timeout", "0"), "Numeric value '0' for <timeout> option is malformed or out of range"),
        (("--all", "--timeout", "abc"), "Numeric value 'abc' for <timeout> option is malformed or out of range"),
        (("--event", "nosuch"), "unknown event type nosuch"),
        (("--event", "nic-mac-change"), "unknown event type nic-mac-change"),
        (("--all", "--domain", "nosuch", "--timeout", "1"), "failed to get domain 'nosuch'"),
    ],
)
def test_errors(virt: Run, argv: tuple[str, ...], message: str) -> None:
    result = virt("event", *argv)
    assert result.status == 1
    assert result.err == f"error: {message}\n"


def test_list(virt: Run) -> None:
    """libvirt 9.0's virsh lists the 27 ids it knows, in id order."""
    out = virt("event", "--list").out
    assert out == subprocess.run(["virsh", "-c", TEST_URI, "event", "--list"], capture_output=True, text=True).stdout


def test_metadata_changes_with_the_words_of_virsh(virt: Run, in_background: Callable[..., None]) -> None:
    def actions(conn: virt_api.Connection) -> None:
        from virt.domainchanges import MetadataType

        dom = conn.lookup_domain_by_name("test")
        dom.suspend()  # not a metadata change
        dom.set_metadata(MetadataType.DESCRIPTION, "about")
        dom.set_metadata(MetadataType.ELEMENT, "<a/>", key="k", uri="http://e/")
        dom.set_metadata(MetadataType.ELEMENT, None, uri="http://e/")
        dom.set_metadata(MetadataType.DESCRIPTION, None)
        dom.resume()

    in_background(actions)
    result = virt("event", "--event", "metadata-change", "--loop", "--timeout", "2")
    assert result.status == 0
    assert result.out == (
        "event 'metadata-change' for domain 'test': type description, uri <null>\n"
        "event 'metadata-change' for domain 'test': type element, uri http://e/\n"
        "event 'metadata-change' for domain 'test': type element, uri http://e/\n"
        "event 'metadata-change' for domain 'test': type description, uri <null>\n"
        "event loop timed out\n"
        "events received: 4\n\n"
    )


def _catches_sigint(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    return False


def test_sigint_ends_the_loop_of_a_background_command() -> None:
    """A shell without job control starts ``virt event --loop &`` with SIGINT ignored; ``kill -INT``
    must still end it, with virsh's closing words, as it ends virsh's."""
    listener = subprocess.Popen(
        [sys.executable, "-m", "virt.cli.main", "-c", TEST_URI, "event", "--loop", "--all"],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # as the shell does
    )
    try:
        deadline = time.monotonic() + 30
        while not _catches_sigint(listener.pid):  # its handler is in place once it listens
            assert listener.poll() is None, "virt event ended early"
            assert time.monotonic() < deadline, "virt event never started listening"
            time.sleep(0.02)
        listener.send_signal(signal.SIGINT)
        out, _ = listener.communicate(timeout=10)
    finally:
        listener.kill()
    assert out.splitlines() == ["event loop interrupted", "events received: 0", ""]
    assert listener.returncode == 1
