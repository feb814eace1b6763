"""Running the ``virt`` command as a user does: its own process, its exit status and output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(*args: str, uri: str | None = None, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``virt [-c uri] args...`` (the console script beside this Python, else ``python -m virt.cli.main``)."""
    script = Path(sys.executable).parent / "virt"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "virt.cli.main"]
    if uri is not None:
        command += ["-c", uri]
    return subprocess.run(
        [*command, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),
        check=False,
    )
