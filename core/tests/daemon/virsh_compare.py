"""Running Debian's stock virsh against a daemon, and what may differ between two daemons' answers."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import NamedTuple

from virt.testing import missing_dependency

VIRSH = "virsh"


class Outcome(NamedTuple):
    code: int
    stdout: str
    stderr: str


def need_virsh() -> None:
    if shutil.which(VIRSH) is None:
        missing_dependency("virsh (libvirt-clients) is not installed")


def normalise(text: str) -> str:
    """What must differ between two daemons: where their sockets are, and the test driver's CPU
    time (the wall clock when asked)."""
    text = re.sub(r"socket=[^\s'\"]+", "socket=SOCKET", text)
    return re.sub(r"(CPU time:\s+)\S+", r"\1N", text)


def virsh(uri: str, *args: str, timeout: float = 30) -> Outcome:
    done = subprocess.run([VIRSH, "-c", uri, *args], capture_output=True, text=True, timeout=timeout, check=False)
    return Outcome(done.returncode, normalise(done.stdout), normalise(done.stderr))


class EventWatcher:
    """``virsh event --all --loop`` on a daemon: it holds a connection open (so test:///default keeps
    its state between the other virsh runs) and writes every event it gets to a file."""

    def __init__(self, uri: str, folder: Path) -> None:
        self.uri = uri
        self.path = folder / "events.txt"
        # appending, so that emptying the file between steps leaves no hole where virsh writes next
        self._out = open(self.path, "a")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [VIRSH, "-c", uri, "event", "--all", "--loop"], stdout=self._out, stderr=subprocess.STDOUT, text=True
        )
        self._ready()

    def lines(self) -> list[str]:
        return self.path.read_text().splitlines()

    def wait_for(self, count: int, timeout: float = 10) -> list[str]:
        """The event lines once there are ``count`` of them."""
        deadline = time.monotonic() + timeout
        while len(self.lines()) < count:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"virsh event printed {self.lines()} (wanted {count} lines)")
            time.sleep(0.02)
        return self.lines()

    def _ready(self) -> None:
        # Registered once a change made elsewhere shows up: pause and resume the running domain
        # until it does, then start the record afresh.
        deadline = time.monotonic() + 20
        while True:
            virsh(self.uri, "suspend", "test")
            virsh(self.uri, "resume", "test")
            waited = time.monotonic() + 0.5
            while time.monotonic() < waited:
                if any("Resumed" in line for line in self.lines()):
                    self.path.write_text("")
                    return
                time.sleep(0.02)
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"virsh event never registered: {self.lines()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._out.close()
