"""Debian's stock virsh against a daemon serving QEMU guests (virtd or libvirtd), and what must
differ between two daemons' answers about the same guest.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from virt.testing import VIRSH, VirshEventWatcher


class Outcome(NamedTuple):
    code: int
    stdout: str
    stderr: str


def virsh(uri: str, *args: str, timeout: float = 60) -> Outcome:
    done = subprocess.run([VIRSH, "-c", uri, *args], capture_output=True, text=True, timeout=timeout, check=False)
    return Outcome(done.returncode, done.stdout, done.stderr)


def virsh_in(uri: str, folder: Path, args: list[str]) -> tuple[int, str, str]:
    """virsh's exit code and outputs, ``folder`` (a daemon's own) written DIR so that daemons compare."""
    outcome = virsh(uri, *args)
    return outcome.code, outcome.stdout.replace(str(folder), "DIR"), outcome.stderr.replace(str(folder), "DIR")


def client_outcome(uri: str, words: list[str], program: str | None = None) -> tuple[int, str, str]:
    """virsh's (or ``program``'s, a virsh-like client) exit code, output and errors for ``words`` on ``uri``."""
    if program is None:
        outcome = virsh(uri, *words)
        return outcome.code, outcome.stdout, outcome.stderr
    done = subprocess.run([program, "-c", uri, *words], capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, done.stdout, done.stderr


def outcome_diff(ours: tuple[int, str, str], theirs: tuple[int, str, str]) -> str:
    """What differs between two clients' outcomes, line by line (virtd's side first)."""
    import difflib

    def lines(outcome: tuple[int, str, str]) -> list[str]:
        return [f"exit {outcome[0]}", *outcome[1].splitlines(), "-- stderr:", *outcome[2].splitlines()]

    return "\n".join(difflib.unified_diff(lines(ours), lines(theirs), "virtd", "libvirtd", lineterm="", n=1))


def step_differences(
    daemons: dict[str, tuple[str, Path]], steps: list[str], shown: Callable[[str, Path, str], tuple[int, str, str]]
) -> str:
    """Each step run on virtd then libvirtd (``shown(uri, folder, step)``: what it printed); the steps
    where they differ, both answers written out (empty when none does)."""
    failures = []
    for step in steps:
        ours = shown(*daemons["virtd"], step)
        theirs = shown(*daemons["libvirtd"], step)
        if ours != theirs:
            failures.append(f"virsh {step}:\n virtd:    {ours}\n libvirtd: {theirs}")
    return "\n".join(failures)


@contextlib.contextmanager
def defined_and_started(uri: str, name: str, xml_path: Path) -> Iterator[None]:
    """The domain of ``xml_path`` defined and started on the daemon at ``uri``; destroyed and undefined
    (with its snapshots' metadata) afterwards."""
    virsh_ok(uri, "define", str(xml_path))
    try:
        virsh_ok(uri, "start", name)
        yield
    finally:
        virsh(uri, "destroy", name)
        virsh(uri, "undefine", name, "--snapshots-metadata")


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


def event_watcher(uri: str, folder: Path, probe_xml: Path) -> VirshEventWatcher:
    """``virsh event --all --loop`` on a daemon, ready once the define and undefine of the probe
    domain ``probe_xml`` shows up."""
    name = str(ET.parse(probe_xml).getroot().findtext("name"))

    def probe() -> None:
        virsh_ok(uri, "define", str(probe_xml))
        virsh_ok(uri, "undefine", name)

    return VirshEventWatcher(uri, folder, probe, "Undefined")


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


def lifecycle_during(
    uri: str,
    folder: Path,
    probe_xml: str,
    steps: list[list[str]],
    count: int | None,
    keep: Callable[[list[str]], list[str]] = lambda lines: lines,
) -> list[str]:
    """The lifecycle events ``virsh event --all --loop`` prints while ``steps`` (virsh arguments) run,
    filtered by ``keep`` (``count``: how many to wait for; None: whatever came within a settling time).
    ``probe_xml`` is a domain's XML the watcher defines and undefines to know it is ready."""
    probe = folder / "probe.xml"
    probe.write_text(probe_xml)
    watcher = event_watcher(uri, folder, probe)

    def lifecycle() -> list[str]:
        return keep([line for line in watcher.lines() if line.startswith("event 'lifecycle'")])

    try:
        for step in steps:
            virsh_ok(uri, *step)
        deadline = time.monotonic() + 20
        while count is not None and len(lifecycle()) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2)  # extra ones, if any, show
        return lifecycle()
    finally:
        watcher.stop()
