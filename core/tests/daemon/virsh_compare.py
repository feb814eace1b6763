"""Running Debian's stock virsh against a daemon, and what may differ between two daemons' answers."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import NamedTuple

from virt.testing import VIRSH, VirshEventWatcher


class Outcome(NamedTuple):
    code: int
    stdout: str
    stderr: str


def normalise(text: str) -> str:
    """What must differ between two daemons: where their sockets are, and the test driver's CPU
    time (the wall clock when asked)."""
    text = re.sub(r"socket=[^\s'\"]+", "socket=SOCKET", text)
    return re.sub(r"(CPU time:\s+)\S+", r"\1N", text)


def virsh(uri: str, *args: str, timeout: float = 30) -> Outcome:
    done = subprocess.run([VIRSH, "-c", uri, *args], capture_output=True, text=True, timeout=timeout, check=False)
    return Outcome(done.returncode, normalise(done.stdout), normalise(done.stderr))


def event_watcher(uri: str, folder: Path) -> VirshEventWatcher:
    """``virsh event --all --loop`` on a daemon: it holds a connection open (so test:///default keeps
    its state between the other virsh runs); ready once it prints the running domain's resume."""

    def probe() -> None:
        virsh(uri, "suspend", "test")
        virsh(uri, "resume", "test")

    return VirshEventWatcher(uri, folder, probe, "Resumed")
