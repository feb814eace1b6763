"""Debian's stock virsh against a daemon serving QEMU guests (virtd or libvirtd), and what must
differ between two daemons' answers about the same guest.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
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


def virsh(uri: str, *args: str, timeout: float = 60) -> Outcome:
    done = subprocess.run([VIRSH, "-c", uri, *args], capture_output=True, text=True, timeout=timeout, check=False)
    return Outcome(done.returncode, done.stdout, done.stderr)


def virsh_ok(uri: str, *args: str) -> str:
    """virsh's output of a command that must succeed."""
    outcome = virsh(uri, *args)
    assert outcome.code == 0, f"virsh {' '.join(args)} failed: {outcome.stderr.strip()}"
    return outcome.stdout


def normalise(text: str) -> str:
    """What must differ between two daemons running the same guest: where their sockets and files
    are, the ids they handed out, and how much CPU time the guest has had so far."""
    text = re.sub(r"socket=[^\s'\"]+", "socket=SOCKET", text)
    text = re.sub(r"(CPU time:\s+)\S+", r"\1N", text)
    text = re.sub(r"^(Id:\s+)\d+$", r"\1N", text, flags=re.MULTILINE)
    text = re.sub(r" id='\d+'", " id='N'", text)
    return _normalise_table(text)


def _normalise_table(text: str) -> str:
    """``virsh list``'s table with the ids as N: virsh sizes the columns to the widest id, so
    the spacing goes too (the layout is virsh's own, the daemon only sends the values)."""
    lines = text.splitlines()
    rule = next((i for i, line in enumerate(lines) if line and set(line) == {"-"}), None)
    if rule is None:
        return text
    rows = [" ".join(lines[rule - 1].split()), "-"]
    for line in lines[rule + 1 :]:
        fields = line.split(maxsplit=2)
        if fields and fields[0].isdigit():
            fields[0] = "N"
        rows.append(" ".join(fields))
    return "\n".join([*lines[: rule - 1], *rows]) + "\n"


def without_lines(text: str, *prefixes: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith(prefixes))


def xml_contained(ours: ET.Element, theirs: ET.Element, where: str = "") -> list[str]:
    """Where ``ours`` says something ``theirs`` does not: each element of ours must have a
    counterpart in theirs (same tag, attributes and text, its children contained in turn), taken
    in document order. Elements only theirs has are allowed (libvirt's defaults, see callers)."""
    where = f"{where}/{ours.tag}"
    problems = []
    if ours.attrib != theirs.attrib:
        problems.append(f"{where}: attributes {ours.attrib} vs {theirs.attrib}")
    if (ours.text or "").strip() != (theirs.text or "").strip():
        problems.append(f"{where}: text {ours.text!r} vs {theirs.text!r}")
    candidates = list(theirs)
    for child in ours:
        match = next((c for c in candidates if c.tag == child.tag and not xml_contained(child, c, where)), None)
        if match is None:
            similar = [c for c in candidates if c.tag == child.tag]
            detail = xml_contained(child, similar[0], where) if similar else [f"{where}/{child.tag}: missing"]
            problems.extend(detail)
            continue
        candidates = candidates[candidates.index(match) + 1 :]
    return problems


class EventWatcher:
    """``virsh event --all --loop`` on a daemon, writing every event line to a file.

    libvirt's client files its callback only after reading the registration's reply, so the watcher
    counts as ready once a change made elsewhere shows up: a probe domain is defined and undefined
    until its events are printed, then the record starts afresh.
    """

    def __init__(self, uri: str, folder: Path, probe_xml: Path) -> None:
        self.uri = uri
        self.path = folder / "events.txt"
        self._out = open(self.path, "a")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [VIRSH, "-c", uri, "event", "--all", "--loop"], stdout=self._out, stderr=subprocess.STDOUT, text=True
        )
        try:
            self._ready(probe_xml)
        except BaseException:
            self.stop()
            raise

    def lines(self) -> list[str]:
        return self.path.read_text().splitlines()

    def wait_for(self, count: int, timeout: float = 20) -> list[str]:
        """The event lines once there are ``count`` of them (and a moment more, to catch extra ones)."""
        deadline = time.monotonic() + timeout
        while len(self.lines()) < count:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"virsh event printed {self.lines()} (wanted {count} lines)")
            time.sleep(0.02)
        time.sleep(0.3)
        return self.lines()

    def _ready(self, probe_xml: Path) -> None:
        name = ET.parse(probe_xml).getroot().findtext("name")
        deadline = time.monotonic() + 20
        while True:
            virsh_ok(self.uri, "define", str(probe_xml))
            virsh_ok(self.uri, "undefine", str(name))
            waited = time.monotonic() + 0.5
            while time.monotonic() < waited:
                if any("Undefined" in line for line in self.lines()):
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


def pids_mentioning(text: str) -> list[int]:
    """Every live process (but this one) whose command line contains ``text``."""
    needle = text.encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


def kill_processes_mentioning(text: str) -> None:
    for pid in pids_mentioning(text):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
