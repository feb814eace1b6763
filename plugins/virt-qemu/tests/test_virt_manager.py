"""Debian's virt-manager manages a running guest through virtd, on a private desktop (Xvfb).

A q35 guest booting the tests' tiny Linux is installed with virt-install through virtd (serial
console on a pty, no graphics: virt-manager's console window is then its text console). virt-manager
(``--connect`` virtd's socket, ``--no-fork --debug``) runs with statistics polling on (CPU, memory,
disk, network, every second) and the memory column shown, as a user would set its preferences.
What is checked, through the accessibility tree (how virt-manager's own UI tests read it), the X
window titles and a screenshot:
- the VM list has the guest's row, "Running", under the QEMU/KVM connection;
- the CPU and memory usage graphs of that row are drawn (coloured pixels in their cells of the screenshot);
- the memory graph is live: virt-manager asks for the guest's memory statistics every 5 seconds
  (virDomainSetMemoryStatsPeriod, live: the running definition then has ``<stats period='5'/>``), the
  guest reports again and again (``dommemstat``'s ``last_update`` moves on), and the guest's
  performance page (``--show-domain-performance``) shows memory in use, ``actual - unused``, above 0;
- no error dialog appears, from start to end;
- ``virt-manager --show-domain-console NAME`` opens the guest's console window; where virtd serves
  virDomainOpenConsole its terminal shows the guest's boot marker, else the window says that this
  procedure is unknown (nothing else is wrong).
The screenshot is kept in the test's folder (and copied to ``$VIRT_SCREENSHOT``, if set: how
``docs/virt-manager.png`` was made).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from client_support import need_virt_install, virt_install_ok
from daemon_support import private_virtd, qemu_uri
from desktop_support import Desktop, private_desktop, wait_for
from guest import GuestImage
from virsh_support import virsh_ok
from virt.daemon.testing import Virtd
from virt.testing import missing_dependency

VIRT_MANAGER = "virt-manager"
NAME = "vmgr"
CONNECTION = "QEMU/KVM"
MANAGER = "Virtual Machine Manager"
STATS = {
    "org/virt-manager/virt-manager/stats": {
        "enable-cpu-poll": "true",
        "enable-memory-poll": "true",
        "enable-disk-poll": "true",
        "enable-net-poll": "true",
        "update-interval": "1",
    },
    "org/virt-manager/virt-manager/vmlist-fields": {"cpu-usage": "true", "memory-usage": "true"},
}
"""virt-manager's preferences: every statistic polled each second, the memory usage graph shown."""
ERROR_WORDS = ("error", "failed", "unable")
UI_TIMEOUT = 60.0
GRAPH_HISTORY = 5.0
"""Seconds of polling shown in the final screenshot's graphs."""
OPEN_CONSOLE = 201
"""REMOTE_PROC_DOMAIN_OPEN_CONSOLE: virDomainOpenConsole, what virt-manager's text console calls."""
STATS_PERIOD = 5
"""The seconds between the guest's memory reports virt-manager asks for (its statsmanager's own figure)."""
MEMORY_TEXT = re.compile(r"(\d+) MiB of (\d+) MiB")
"""The performance page's memory figure: in use (actual - unused) of the guest's memory."""


@pytest.fixture(scope="module")
def virtd() -> Iterator[Virtd]:
    need_virt_install()
    if shutil.which(VIRT_MANAGER) is None:
        missing_dependency("virt-manager is not installed (apt-get install virt-manager)")
    with private_virtd("vvm") as daemon:
        yield daemon


@pytest.fixture(scope="module")
def defined_guest(virtd: Virtd, tiny_guest: GuestImage, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The guest virt-manager shows, as virt-install writes it, defined but not started (TCG: it only idles)."""
    boot = f"kernel={tiny_guest.kernel},initrd={tiny_guest.initrd},kernel_args={tiny_guest.cmdline}"
    printed = virt_install_ok(
        qemu_uri(virtd),
        [
            "--name", NAME, "--memory", "128", "--vcpus", "1", "--osinfo", "generic", "--machine", "q35",
            "--import", "--disk", "none", "--boot", boot, "--network", "user", "--graphics", "none",
            "--virt-type", "qemu", "--noautoconsole", "--print-xml",
        ],
    )  # fmt: skip
    xml = tmp_path_factory.mktemp("guest") / f"{NAME}.xml"
    xml.write_text(printed)
    virsh_ok(qemu_uri(virtd), "define", str(xml))
    return NAME


@pytest.fixture
def desktop() -> Iterator[Desktop]:
    with private_desktop(STATS, size="1600x900") as session:
        yield session


def virt_manager_uri(daemon: Virtd) -> str:
    return f"qemu+unix:///system?socket={daemon.socket}"


def window(tree: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((w for w in tree["windows"] if w["name"] == name and w["showing"]), None)


def row_of(tree: dict[str, Any], guest: str) -> dict[str, Any] | None:
    manager = window(tree, MANAGER)
    texts = manager["texts"] if manager else []
    return next((t for t in texts if t["role"] == "table cell" and t["text"].split("\n")[0] == guest), None)


def error_dialogs(desktop: Desktop, tree: dict[str, Any]) -> list[str]:
    """Alerts and dialogs in the accessibility tree, and X windows titled like an error."""
    found = [f"{w['role']} {w['name']!r}" for w in tree["windows"] if w["role"] in ("alert", "dialog") and w["showing"]]
    found += [t for t in desktop.window_titles() if any(word in t.lower() for word in ERROR_WORDS)]
    return found


def graph_box(tree: dict[str, Any], row: dict[str, Any], column: str) -> list[int]:
    """The cell of ``column`` in ``row``: the column header's x range, the row's y range."""
    header = next(h for h in tree["headers"] if h["name"] == column)
    x, _, width, _ = header["extents"]
    _, y, _, height = row["extents"]
    return [x, y, width, height]


def test_virt_manager_runs_a_guest_and_shows_its_console(
    virtd: Virtd, defined_guest: str, desktop: Desktop, tmp_path: Path
) -> None:
    uri, guest = virt_manager_uri(virtd), defined_guest
    started = time.monotonic()
    desktop.start([VIRT_MANAGER, "--connect", uri, "--no-fork", "--debug"], tmp_path / "virt-manager.log")
    wait_for(lambda: row_state(desktop, guest) == "Shutoff", UI_TIMEOUT, f"the row of {guest} in the VM list")
    listed = time.monotonic() - started

    # the console window, opened before the guest starts, follows it from its first line
    opened = subprocess.run(
        [VIRT_MANAGER, "--connect", uri, "--show-domain-console", guest],
        env=desktop.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr[-2000:]  # it hands the request to the running one and exits
    title = f"{guest} on {CONNECTION}"
    wait_for(lambda: window(desktop.accessible_tree(VIRT_MANAGER), title), UI_TIMEOUT, f"the window {title!r}")
    desktop.move_window(title, 560, 0)

    virsh_ok(qemu_uri(virtd), "start", guest)
    wait_for(lambda: row_state(desktop, guest) == "Running", UI_TIMEOUT, f"{guest} shown running")
    console = console_outcome(desktop, title)

    tree = desktop.accessible_tree(VIRT_MANAGER)
    row = row_of(tree, guest)
    assert row is not None
    assert any(t["text"] == CONNECTION for t in window(tree, MANAGER)["texts"])  # type: ignore[index]
    shot = tmp_path / "virt-manager.png"

    def cpu_graph_drawn() -> int:
        desktop.screenshot(shot)
        return desktop.colored_pixels(shot, graph_box(tree, row, "CPU usage"))

    def memory_graph_drawn() -> int:
        # an empty cell while the guest's reports have no free memory (virt-manager's figure is then 0)
        desktop.screenshot(shot)
        return desktop.colored_pixels(shot, graph_box(tree, row, "Memory usage"))

    wait_for(cpu_graph_drawn, UI_TIMEOUT, f"the CPU usage graph of {guest}")
    wait_for(memory_graph_drawn, UI_TIMEOUT, f"the memory usage graph of {guest}")
    time.sleep(GRAPH_HISTORY)
    assert cpu_graph_drawn() and memory_graph_drawn()
    if os.environ.get("VIRT_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["VIRT_SCREENSHOT"])
    assert error_dialogs(desktop, desktop.accessible_tree(VIRT_MANAGER)) == []
    assert guest in virsh_ok(qemu_uri(virtd), "list", "--state-running", "--name").split()
    memory = memory_in_use(desktop, virtd, guest, title, tmp_path / "virt-manager.log")
    assert error_dialogs(desktop, desktop.accessible_tree(VIRT_MANAGER)) == []
    print(f"\nvirt-manager: {guest} listed after {listed:.1f}s; console: {console}; memory: {memory}")


def row_state(desktop: Desktop, guest: str) -> str | None:
    """The state the VM list shows for ``guest`` (its row reads "NAME\nSTATE"), None without a row."""
    row = row_of(desktop.accessible_tree(VIRT_MANAGER), guest)
    return row["text"].split("\n", 1)[1] if row is not None and "\n" in row["text"] else None


def console_outcome(desktop: Desktop, title: str) -> str:
    """Where virtd serves virDomainOpenConsole, the console's terminal shows the guest booting up to
    its marker; else the console page says exactly that this procedure is unknown (nothing else)."""
    from guest import MARKER
    from virt.daemon.procedures import handlers

    def texts(role: str) -> list[str]:
        found = window(desktop.accessible_tree(VIRT_MANAGER), title)
        return [t["text"] for t in (found["texts"] if found else []) if t["role"] == role]

    if OPEN_CONSOLE in handlers():
        wait_for(lambda: any(MARKER in text for text in texts("terminal")), UI_TIMEOUT, "the marker in the console")
        return "the guest's boot marker in the terminal"
    unknown = f"Error connecting to text console: unknown procedure: {OPEN_CONSOLE}"
    wait_for(lambda: unknown in texts("label"), UI_TIMEOUT, "the console page's message")
    return unknown


def memory_in_use(desktop: Desktop, virtd: Virtd, guest: str, title: str, log: Path) -> str:
    """What virt-manager's memory graph shows is the guest's own, current figure: virt-manager set the
    balloon's statistics period on the running guest, the guest keeps reporting, and the guest's
    performance page (opened once the screenshot is taken: it replaces the console page) shows memory
    in use above 0 (virt-manager reads 0 when the guest's report has no ``unused``)."""
    uri = qemu_uri(virtd)

    def period() -> bool:
        return (
            virsh_ok(uri, "dumpxml", guest, "--xpath", "//memballoon/stats") == f'<stats period="{STATS_PERIOD}"/>\n\n'
        )

    wait_for(period, UI_TIMEOUT, "virt-manager's statistics period in the running definition")
    reports: list[int] = []

    def another_report() -> bool:
        figures = dict(line.split() for line in virsh_ok(uri, "dommemstat", guest).splitlines() if line)
        update = int(figures.get("last_update", 0))
        if update and update not in reports:
            reports.append(update)
        return len(reports) >= 2

    wait_for(another_report, UI_TIMEOUT, f"two reports of {guest}'s memory", interval=1.0)
    opened = subprocess.run(
        [VIRT_MANAGER, "--connect", virt_manager_uri(virtd), "--show-domain-performance", guest],
        env=desktop.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr[-2000:]

    def shown() -> tuple[int, int] | None:
        found = window(desktop.accessible_tree(VIRT_MANAGER), title)
        labels = [t["text"] for t in (found["texts"] if found else []) if t["role"] == "label"]
        figures = [(int(m.group(1)), int(m.group(2))) for m in map(MEMORY_TEXT.fullmatch, labels) if m]
        return figures[0] if figures and figures[0][0] > 0 else None

    used, total = wait_for(shown, UI_TIMEOUT, f"{guest}'s memory in use on its performance page")
    assert 0 < used < total == 128
    written = log.read_text(errors="replace")
    assert "Error setting memstats period" not in written and "Error reading mem stats" not in written
    return f"{used} MiB of {total} MiB in use, guest reports {reports[1] - reports[0]}s apart"
