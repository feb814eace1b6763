"""The balloon's memory statistics through stock virsh, virtd serving ``qemu:///system`` side by side with
libvirtd 9.0's QEMU driver, on the same guest: the tests' tiny Linux (TCG) with a virtio balloon, whose
driver it loads, so that the guest reports its memory once asked to (``dommemstat --period``, libvirt's
virDomainSetMemoryStatsPeriod, what virt-manager calls before it graphs memory).

Each daemon's guest goes through the same steps: statistics before any period (the guest's balloon
driver reports once when it starts), ``dommemstat --period 2 --live``, then, once the guest has reported
again, ``dommemstat`` and ``domstats --balloon`` with the guest's figures; the period in the live and persistent definitions; the
errors of bad periods and of a guest without a balloon. Every step must print what libvirtd prints, the
figures aside (each guest's memory is its own).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_support import private_virtd, qemu_uri, reference_libvirtd, remove_guests
from guest import GuestImage, domain_xml
from virsh_support import kill_processes_mentioning, virsh, virsh_ok
from virt.testing import need_virsh

NAME = "vqm1"
UUID = "5e1f0c3a-7d2b-4c69-9a41-0f6b2d8e3d01"
NO_BALLOON = "vqm2"
NO_BALLOON_UUID = "5e1f0c3a-7d2b-4c69-9a41-0f6b2d8e3d02"
BOOT_TIMEOUT = 90.0
REPORT_TIMEOUT = 30.0
"""How long the guest may take to send its first statistics once asked every 2 seconds (TCG)."""
GUEST_FIGURES = ("unused", "available", "usable", "swap_in", "swap_out", "major_fault", "minor_fault")
NUMBER = re.compile(r"\b\d+\b")

STEPS = [
    ["dommemstat", NAME, "--period", "-1"],
    ["dommemstat", NAME, "--period", "abc"],
    ["dommemstat", NAME, "--period"],
    ["dommemstat", NAME, "--period", "2", "--current", "--live"],
    ["dommemstat", NAME, "--period", "4", "--config"],
    ["dumpxml", NAME, "--inactive", "--xpath", "//memballoon/stats"],
    ["dumpxml", NAME, "--xpath", "//memballoon/stats"],
    ["dommemstat", NAME, "--period", "3", "--live", "--config"],
    ["dumpxml", NAME, "--xpath", "//memballoon/stats"],
    ["dumpxml", NAME, "--inactive", "--xpath", "//memballoon/stats"],
    ["dommemstat", NAME, "--period", "0", "--config"],
    ["dumpxml", NAME, "--inactive", "--xpath", "//memballoon/stats"],
    ["dommemstat", NO_BALLOON, "--period", "2"],
    ["dommemstat", NO_BALLOON, "--period", "2", "--live"],
    ["start", NO_BALLOON],
    ["dommemstat", NO_BALLOON, "--period", "2", "--live"],
    ["dommemstat", NO_BALLOON, "--period", "2"],
    ["dommemstat", NO_BALLOON],
    ["destroy", NO_BALLOON],
    ["dommemstat", NAME, "--period", "2"],
]
"""After the guest reported: virsh's own refusals, the persistent period, a guest without a balloon."""


@contextlib.contextmanager
def _guests(uri: str, folder: Path, tiny_guest: GuestImage) -> Iterator[Path]:
    """Both guests defined on the daemon at ``uri``, the one with the balloon started; the serial log
    of that one (removed afterwards)."""
    folder.mkdir()
    log = folder / "serial.log"
    for name, uuid, balloon in ((NAME, UUID, True), (NO_BALLOON, NO_BALLOON_UUID, False)):
        xml = domain_xml(name, tiny_guest, serial_log=log if balloon else None, balloon=balloon)
        path = folder / f"{name}.xml"
        path.write_text(xml.replace(f"<name>{name}</name>", f"<name>{name}</name>\n  <uuid>{uuid}</uuid>"))
        virsh_ok(uri, "define", str(path))
    try:
        virsh_ok(uri, "start", NAME)
        yield log
    finally:
        remove_guests(uri)


@pytest.fixture(scope="module")
def daemons(tiny_guest: GuestImage, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    need_virsh()
    folder = tmp_path_factory.mktemp("memstats")
    try:
        with (
            private_virtd() as ours,
            reference_libvirtd() as theirs,
            _guests(qemu_uri(ours), folder / "virtd", tiny_guest) as our_log,
            _guests(qemu_uri(theirs), folder / "libvirtd", tiny_guest) as their_log,
        ):
            for log in (our_log, their_log):
                _wait(lambda log=log: tiny_guest.marker in _text(log), BOOT_TIMEOUT, f"the guest's marker in {log}")
            yield {"virtd": qemu_uri(ours), "libvirtd": qemu_uri(theirs)}
    finally:
        kill_processes_mentioning(UUID)
        kill_processes_mentioning(NO_BALLOON_UUID)


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.5)


def _memstat(uri: str) -> dict[str, int]:
    lines = virsh_ok(uri, "dommemstat", NAME).splitlines()
    return {name: int(value) for name, value in (line.split() for line in lines if line)}


def _shown(uri: str, command: list[str]) -> tuple[int, str, str]:
    outcome = virsh(uri, *command)
    return outcome.code, NUMBER.sub("N", outcome.stdout), outcome.stderr


def test_the_guests_memory_figures_once_a_period_is_set(daemons: dict[str, str]) -> None:
    """The statistics the guest's balloon driver sent once, when it started; ``--period 2 --live``; then
    new reports of the guest's figures, named and ordered as libvirtd names and orders them, in dommemstat
    and domstats."""
    before = {side: _shown(uri, ["dommemstat", NAME]) for side, uri in daemons.items()}
    assert before["virtd"] == before["libvirtd"]
    reported = {side: _memstat(uri).get("last_update", 0) for side, uri in daemons.items()}
    asked = {side: virsh(uri, "dommemstat", NAME, "--period", "2", "--live") for side, uri in daemons.items()}
    assert asked["virtd"] == asked["libvirtd"] and asked["virtd"].code == 0
    for side, uri in daemons.items():
        # the balloon asks the guest every 2 s from now on: its report time moves on
        _wait(
            lambda uri=uri, side=side: _memstat(uri).get("last_update", 0) > reported[side],
            REPORT_TIMEOUT,
            f"a new report of the guest through {side}",
        )
    after = {side: _shown(uri, ["dommemstat", NAME]) for side, uri in daemons.items()}
    assert after["virtd"] == after["libvirtd"]
    balloon = {side: _shown(uri, ["domstats", "--balloon", NAME]) for side, uri in daemons.items()}
    assert balloon["virtd"] == balloon["libvirtd"]
    live = {side: virsh_ok(uri, "dumpxml", NAME, "--xpath", "//memballoon/stats") for side, uri in daemons.items()}
    assert live["virtd"] == live["libvirtd"] == '<stats period="2"/>\n\n'

    ours = _memstat(daemons["virtd"])
    assert list(ours)[:1] == ["actual"] and list(ours)[-1] == "rss"
    assert set(GUEST_FIGURES) <= ours.keys()
    # what virt-manager graphs: the memory in use, actual - unused, of a guest that booted into 128 MiB
    assert ours["actual"] == 128 * 1024 and 0 < ours["actual"] - ours["unused"] < ours["actual"]
    assert ours["available"] <= ours["actual"] and ours["usable"] <= ours["available"]
    assert abs(ours["last_update"] - time.time()) < 60  # seconds since the epoch, from the guest's clock
    shown = virsh_ok(daemons["virtd"], "domstats", "--balloon", NAME)
    stats = dict(line.strip().split("=", 1) for line in shown.splitlines() if "=" in line)
    assert int(stats["balloon.current"]) == ours["actual"] and "balloon.unused" in stats


@pytest.mark.parametrize("command", STEPS, ids=[" ".join(c) for c in STEPS])
def test_periods_and_refusals_print_what_libvirtd_prints(daemons: dict[str, str], command: list[str]) -> None:
    ours, theirs = _shown(daemons["virtd"], command), _shown(daemons["libvirtd"], command)
    assert ours == theirs, f"virsh {' '.join(command)}:\n virtd:    {ours}\n libvirtd: {theirs}"


def _reports(uri: str, count: int) -> list[int]:
    """The guest's report times (``last_update``) seen while polling ``dommemstat``, until ``count``
    different ones came (a driver that only reported once, at its start, gives one)."""
    seen: list[int] = []

    def another() -> bool:
        update = _memstat(uri).get("last_update", 0) if virsh(uri, "domstate", NAME).stdout.startswith("running") else 0
        if update and update not in seen:
            seen.append(update)
        return len(seen) >= count

    _wait(another, BOOT_TIMEOUT, f"{count} reports of the guest through {uri}")
    return seen


def test_the_persistent_period_is_applied_at_start(daemons: dict[str, str]) -> None:
    """``<stats period='2'/>`` in the persistent definition: the started guest is polled from the start,
    without any further call (libvirt's qemuProcessSetupBalloon)."""
    for uri in daemons.values():
        virsh_ok(uri, "dommemstat", NAME, "--period", "2", "--config")
        virsh_ok(uri, "destroy", NAME)
        virsh_ok(uri, "start", NAME)
    live = {side: virsh_ok(uri, "dumpxml", NAME, "--xpath", "//memballoon/stats") for side, uri in daemons.items()}
    assert live["virtd"] == live["libvirtd"] == '<stats period="2"/>\n\n'
    for uri in daemons.values():
        first, second = _reports(uri, 2)
        assert 0 < second - first < 30
