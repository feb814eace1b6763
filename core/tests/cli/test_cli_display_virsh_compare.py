"""``virt screenshot`` and ``virt domdisplay`` print what virsh prints on test:///default (exit status,
standard output and standard error), each run in a folder of its own; the file names virsh makes up
from the clock are hidden. The QEMU side, with real displays through virtd, is
plugins/virt-qemu/tests/test_cli_display.py."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from virt.testing import missing_dependency

VIRT = shutil.which("virt", path=str(Path(sys.executable).parent))
URI = "test:///default"
CLOCK_NAME = re.compile(r"-\d{4}-\d\d-\d\d-\d\d:\d\d:\d\d\.png")

COMMANDS = [
    "screenshot test shot.png",
    "screenshot test",
    "screenshot test --file shot.png --screen 3",
    "screenshot test --screen 1 shot.png",
    "screenshot test shot.png --screen 4294967295",
    "screenshot test shot.png --screen 4294967296",
    "screenshot test shot.png --screen -1",
    "screenshot test shot.png --screen abc",
    "screenshot test shot.png --screen ''",
    "screenshot test --file ''",
    "screenshot test shot.png; screenshot test shot.png",
    "screenshot test missing/shot.png",
    "screenshot nosuch shot.png",
    "screenshot",
    "--quiet screenshot test shot.png",
    "destroy test; screenshot test shot.png",
    "domdisplay test",
    "domdisplay test --all",
    "domdisplay test --type vnc",
    "domdisplay test --type ''",
    "domdisplay test --include-password",
    "domdisplay test --all --type vnc",
    "domdisplay nosuch",
    "destroy test; domdisplay test",
    "destroy test; domdisplay test --type ''",
]


def _run(program: str, command: str, folder: Path) -> tuple[int, str, str, list[str]]:
    folder.mkdir()
    done = subprocess.run(
        [program, "-c", URI, command], capture_output=True, text=True, timeout=60, check=False, cwd=folder
    )
    files = sorted(CLOCK_NAME.sub("-TIME.png", p.name) for p in folder.iterdir())
    return done.returncode, CLOCK_NAME.sub("-TIME.png", done.stdout), done.stderr, files


@pytest.mark.parametrize("command", COMMANDS)
def test_screenshot_and_domdisplay_print_what_virsh_prints(command: str, tmp_path: Path) -> None:
    virsh = shutil.which("virsh")
    if virsh is None:
        missing_dependency("virsh (libvirt-clients) is not installed")
    if VIRT is None:
        pytest.fail("the virt console script is not installed: pip install -e core")
    ours = _run(VIRT, command, tmp_path / "virt")
    assert ours == _run(virsh, command, tmp_path / "virsh")
    for image in (tmp_path / "virt").iterdir():
        assert image.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")  # the test driver's picture, whole
