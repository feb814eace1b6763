"""Progress of long operations: the driver's reports reach the caller's callback; the CLI's line display."""

from __future__ import annotations

import io

import virt
from virt.cli.progress import TerminalProgress
from virt.progress import Progress


def test_driver_reports_reach_the_connection_callback() -> None:
    seen: list[Progress] = []
    with virt.open("test:///default") as conn:
        conn.set_progress_callback(seen.append)
        conn.driver.report_progress("powering on domain 'x'", 40)
        conn.driver.report_progress("powering on domain 'x'", done=True)
        conn.set_progress_callback(None)
        conn.driver.report_progress("ignored")
    assert seen == [Progress("powering on domain 'x'", 40), Progress("powering on domain 'x'", None, done=True)]


def test_a_failing_callback_does_not_fail_the_operation() -> None:
    def broken(progress: Progress) -> None:
        raise RuntimeError("display gone")

    with virt.open("test:///default") as conn:
        conn.set_progress_callback(broken)
        conn.driver.report_progress("anything", 1)  # logged, not raised


def test_terminal_line_is_drawn_throttled_and_erased() -> None:
    now = [0.0]
    stream = io.StringIO()
    show = TerminalProgress(stream, interval=0.5, monotonic=lambda: now[0])
    show(Progress("powering on domain 'web'", 10))
    now[0] = 0.1
    show(Progress("powering on domain 'web'", 20))  # too soon: not drawn
    now[0] = 2.0
    show(Progress("powering on domain 'web'"))  # no percentage: the seconds waited
    show(Progress("powering on domain 'web'", done=True))
    text = stream.getvalue()
    assert text.startswith("\rpowering on domain 'web': 10%")
    assert "20%" not in text
    assert "\rpowering on domain 'web': 2s" in text
    assert text.endswith("\r" + " " * len("powering on domain 'web': 2s") + "\r")
