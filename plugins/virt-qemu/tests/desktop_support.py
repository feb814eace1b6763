"""A private desktop for graphical clients in tests: Xvfb, a D-Bus session bus (with the
accessibility bus it starts on demand), and a HOME, XDG folders and GSettings of its own (the
``keyfile`` backend: nothing of the host's settings or dconf database is read or written).

What is on the screen is read through the accessibility tree (AT-SPI, as virt-manager's own UI
tests read it) and the X window titles (xdotool), and taken as a PNG screenshot; ``desktop_probe.py``
does the AT-SPI and image work under Debian's /usr/bin/python3 (python3-pyatspi, python3-gi).

Every process of the desktop runs in a process group of its own, each group killed at the end, and
its folder is removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from virt.testing import missing_dependency

SYSTEM_PYTHON = "/usr/bin/python3"
PROBE = Path(__file__).with_name("desktop_probe.py")
TOOLS = {
    "Xvfb": "xvfb",
    "dbus-daemon": "dbus-daemon",
    "xdotool": "xdotool",
}
"""The programs a desktop needs, and the Debian package of each."""


def need_desktop_tools() -> None:
    for program, package in TOOLS.items():
        if shutil.which(program) is None:
            missing_dependency(f"{program} is not installed (apt-get install {package})")
    check = "import gi, pyatspi; gi.require_version('Gdk', '3.0'); from gi.repository import Gdk"
    if not Path(SYSTEM_PYTHON).exists() or subprocess.run([SYSTEM_PYTHON, "-c", check], capture_output=True).returncode:
        missing_dependency("python3-pyatspi and python3-gi (GTK 3) are needed for /usr/bin/python3")


@attrs.define
class Desktop:
    """A running desktop: its folder, the environment its programs get, the processes it started."""

    folder: Path
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = attrs.field(factory=list)

    @property
    def display(self) -> str:
        return self.env["DISPLAY"]

    def start(self, argv: Sequence[str], log: Path) -> subprocess.Popen[bytes]:
        """Start a program on this desktop (its own process group; stdout and stderr to ``log``)."""
        with log.open("wb") as out:
            process = subprocess.Popen(
                argv, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.processes.append(process)
        return process

    def accessible_tree(self, app: str) -> dict[str, Any]:
        """What the accessibility tree of the application ``app`` shows (see ``desktop_probe.py``)."""
        done = subprocess.run(
            [SYSTEM_PYTHON, str(PROBE), "tree", app], env=self.env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"the accessibility probe failed: {done.stderr[-2000:]}"
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    def screenshot(self, path: Path) -> None:
        done = subprocess.run(
            [SYSTEM_PYTHON, str(PROBE), "screenshot", str(path)], env=self.env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"the screenshot failed: {done.stderr[-2000:]}"

    def colored_pixels(self, png: Path, box: Sequence[int]) -> int:
        """How many pixels of the ``box`` (x, y, width, height) of the image are coloured (not grey)."""
        done = subprocess.run(
            [SYSTEM_PYTHON, str(PROBE), "colored", str(png), *map(str, box)],
            env=self.env, capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, f"reading {png} failed: {done.stderr[-2000:]}"
        return int(done.stdout)

    def window_titles(self) -> list[str]:
        """The titles of the visible top-level X windows (what a window list would show)."""
        found = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", ""], env=self.env, capture_output=True, text=True
        )
        titles = []
        for window in found.stdout.split():
            name = subprocess.run(["xdotool", "getwindowname", window], env=self.env, capture_output=True, text=True)
            if name.returncode == 0 and name.stdout.strip():
                titles.append(name.stdout.strip())
        return titles

    def move_window(self, title: str, x: int, y: int) -> None:
        """Move the window named ``title`` (there is no window manager: windows open at 0,0)."""
        found = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"], env=self.env, capture_output=True, text=True
        )
        for window in found.stdout.split():
            subprocess.run(["xdotool", "windowmove", window, str(x), str(y)], env=self.env, check=True)


def _gsettings_keyfile(settings: Mapping[str, Mapping[str, str]]) -> str:
    """GSettings' keyfile backend format: a group per schema path, values in GVariant text."""
    return "".join(
        f"[{path}]\n" + "".join(f"{k}={v}\n" for k, v in keys.items()) + "\n" for path, keys in settings.items()
    )


@contextlib.contextmanager
def private_desktop(settings: Mapping[str, Mapping[str, str]] = {}, size: str = "1280x800") -> Iterator[Desktop]:
    """Xvfb and a session bus with a private HOME; ``settings``: GSettings values by schema path."""
    need_desktop_tools()
    folder = Path(tempfile.mkdtemp(prefix="virt-desktop-"))
    env = {key: value for key, value in os.environ.items() if not key.startswith(("XDG_", "DBUS_", "WAYLAND"))}
    env.update(
        HOME=str(folder / "home"), XDG_CONFIG_HOME=str(folder / "config"), XDG_CACHE_HOME=str(folder / "cache"),
        XDG_DATA_HOME=str(folder / "data"), XDG_RUNTIME_DIR=str(folder / "run"), GSETTINGS_BACKEND="keyfile",
        NO_AT_BRIDGE="0", GTK_A11Y="atspi", LANG="C.UTF-8",
    )  # fmt: skip
    for name in ("home", "config/glib-2.0/settings", "cache", "data", "run"):
        (folder / name).mkdir(parents=True, mode=0o700)
    (folder / "config/glib-2.0/settings/keyfile").write_text(_gsettings_keyfile(settings))
    desktop = Desktop(folder, env)
    try:
        env["DISPLAY"] = _start_xvfb(desktop, size)
        env["DBUS_SESSION_BUS_ADDRESS"] = _start_session_bus(desktop)
        yield desktop
    finally:
        for process in reversed(desktop.processes):
            _stop_group(process)
        shutil.rmtree(folder, ignore_errors=True)


def _start_xvfb(desktop: Desktop, size: str) -> str:
    """Xvfb on a display number it picks itself (written to a pipe once it accepts clients)."""
    read, write = os.pipe()
    try:
        with (desktop.folder / "xvfb.log").open("wb") as out:
            process = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, pass_fds=(write,),
                start_new_session=True,
            )  # fmt: skip
        desktop.processes.append(process)
        os.close(write)
        write = -1
        number = _read_line(read, process, 30).strip()
    finally:
        if write >= 0:
            os.close(write)
        os.close(read)
    if not number.isdigit():
        raise RuntimeError(f"Xvfb did not start: {(desktop.folder / 'xvfb.log').read_text()[-1000:]}")
    return f":{number}"


def _start_session_bus(desktop: Desktop) -> str:
    """A session bus whose activated services (the accessibility bus) stay in its process group."""
    process = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        env=desktop.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    desktop.processes.append(process)
    assert process.stdout is not None
    address = _read_line(process.stdout.fileno(), process, 30).strip()
    if not address.startswith("unix:"):
        raise RuntimeError(f"dbus-daemon did not start (exit status {process.poll()})")
    return address


def _read_line(fd: int, process: subprocess.Popen[bytes], timeout: float) -> str:
    import select

    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 256)
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace")


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process's group (what it started too), SIGKILL what is left 5 s later."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)
        if signum == signal.SIGTERM and not _group_alive(process.pid):
            return


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(predicate: Any, timeout: float, what: str, interval: float = 0.5) -> Any:
    """The first truthy value of ``predicate()`` within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)
