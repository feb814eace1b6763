"""vol-upload and vol-download draw their progress on a terminal, and nothing elsewhere."""

from __future__ import annotations

import io

from virt.cli.commands.volume import _progress
from virt.cli.context import Context


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_drawn_on_a_terminal_and_erased_at_the_end() -> None:
    terminal = Terminal()
    report = _progress(Context(stderr=terminal), "uploading to v.img", 1000)
    report(250, False)
    assert terminal.getvalue() == "\ruploading to v.img: 25%"
    report(1000, True)
    assert terminal.getvalue().endswith("\r" + " " * len("uploading to v.img: 25%") + "\r")


def test_no_progress_off_a_terminal() -> None:
    quiet = io.StringIO()
    report = _progress(Context(stderr=quiet), "downloading v.img", 1000)
    report(500, False)
    report(1000, True)
    assert quiet.getvalue() == ""
